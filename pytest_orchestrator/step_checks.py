"""What the schema cannot see of a recipe step: the fields its type needs and refuses, the
environment variables and markers it may set, time ceilings, context schemas, placeholders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import limits, placeholders, safety
from .errors import RecipeError
from .schema import LinePath


def step_problems(i: int, raw: dict[str, Any], params: dict[str, Any],
                   fail: Callable[..., RecipeError]) -> list[RecipeError]:
    """Every problem of one step (merged with the defaults) that the schema cannot see."""
    here = ("steps", i)
    kind = raw.get("type", "python")
    found = _python_problems(here, raw, fail) if kind == "python" \
        else _script_problems(here, raw, kind, fail)
    args = raw.get("args", {})
    for name in args if kind != "python" and isinstance(args, dict) else ():
        found += check(safety.env_problem(str(name)), (*here, "args", name), fail)
    for j, mark in enumerate(raw.get("markers", ())):
        found += check(safety.marker_problem(mark), (*here, "markers", j), fail)
    found += check(limits.time_problem("timeout", raw.get("timeout")), (*here, "timeout"), fail)
    for name, value in (raw.get("retry") or {}).items():
        found += check(limits.time_problem(name, value), (*here, "retry", name), fail)
    success = raw.get("success", {})
    for key, schema in success.get("ctx_schema", {}).items():
        bad = safety.schema_problem(schema)
        if bad:
            found.append(fail((*here, "success", "ctx_schema", key, *bad[0]), *bad[1:]))
    script_field = "cmd" if "cmd" in raw else "script"
    for key_path, value in (((*here, "args"), args),
                            ((*here, script_field), raw.get("script", raw.get("cmd"))),
                            ((*here, "success", "files_exist"), success.get("files_exist", []))):
        found += [fail((*key_path, *inner), message)
                  for inner, message in placeholders.problems(value, params)]
    return found


def _python_problems(here: LinePath, raw: dict[str, Any],
                     fail: Callable[..., RecipeError]) -> list[RecipeError]:
    found = []
    for needed in ("module", "function"):
        if needed not in raw:
            default = "" if "type" in raw else " (python is the default type)"
            found.append(fail(here, f"missing field '{needed}'", "a python step names its "
                              f"scriptlet with 'module' and 'function'{default}"))
    if raw.get("script", raw.get("cmd")) is not None:
        found.append(fail((*here, "script"), "a python step has no 'script'",
                          "use type: shell or type: exec to run a script"))
    if isinstance(raw.get("args"), list):
        found.append(fail((*here, "args"), "a python step takes its args as a mapping of "
                          "params", "write args: {name: value, ...}"))
    return found


def _script_problems(here: LinePath, raw: dict[str, Any], kind: str,
                     fail: Callable[..., RecipeError]) -> list[RecipeError]:
    found = []
    if raw.get("script", raw.get("cmd")) is None:
        found.append(fail(here, "missing field 'script'", f"a {kind} step names the file to run"))
    if "script" in raw and "cmd" in raw:
        found.append(fail((*here, "cmd"), "give 'script' or its alias 'cmd', not both"))
    found += [fail((*here, name), f"a {kind} step has no '{name}'",
                   "use type: python to run a scriptlet class")
              for name in ("module", "function") if name in raw]
    return found


def check(problem: tuple[str, str] | None, at: LinePath,
          fail: Callable[..., RecipeError]) -> list[RecipeError]:
    """A (message, hint) problem of the field at ``at``, as a list of none or one error."""
    return [fail(at, *problem)] if problem else []
