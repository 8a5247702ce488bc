"""The ``ctx_schema`` success check, bounded: a JSON Schema's ``pattern`` is a regular
expression that can backtrack for ever (``(a+)+$``) inside C code that no signal interrupts,
so the check runs in a child process, killed past its limit."""

from __future__ import annotations

from typing import Any

#: The limit of a ctx_schema check when its step has no timeout (its own or the default).
CHECK_LIMIT = 60.0


def check_schema(key: str, schema: dict[str, Any], value: Any, timeout: float | None) -> str:
    """The failure of ``ctx_schema`` for ``key`` ("" when ``value`` matches ``schema``), run in
    a child process stopped after the step's ``timeout`` (or :data:`CHECK_LIMIT`)."""
    from .executors.child import check_in_child

    limit = timeout or CHECK_LIMIT
    found = check_in_child(schema, value, limit)
    if found is None:
        bound = "the step's timeout" if timeout else "the limit of a check without a timeout"
        return (f"success check exceeded {limit:g}s ({bound}) and was stopped: ctx_schema of "
                f"'{key}'; a regular expression that backtracks, such as (a+)+$, can run for "
                "ever: simplify the pattern")
    if not found:
        return ""
    where = "" if found.startswith(("[", ":")) else ": "  # a path into the value, or not
    return f"success check ctx_schema: {key}{where}{found}"


def schema_problem(schema: dict[str, Any], value: Any) -> str:
    """How ``value`` breaks ``schema`` ("[path]...: message", the best match), or ""."""
    import jsonschema
    import referencing
    import referencing.exceptions

    try:
        # a registry of our own: its default retrieve fails, where jsonschema's (when none is
        # given) still fetches http:// and file:// references; only local '#/...' resolve
        validator = jsonschema.validators.validator_for(schema)(
            schema, registry=referencing.Registry())
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    except referencing.exceptions.Unresolvable as exc:
        return f": the schema's reference cannot be resolved ({exc}); refer to '#/...' only"
    except Exception as exc:  # e.g. an unknown type: the recipe's schema is wrong
        return (f": the schema cannot be used ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())}); fix it in the recipe")
    if error is None:
        return ""
    return "".join(f"[{p!r}]" for p in error.absolute_path) + f": {error.message}"
