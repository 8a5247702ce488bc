"""The recipe JSON Schema: a fast check of valid recipes, and for an invalid one a message
naming the first problem's field and line, with a hint."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Problems, RecipeError

if TYPE_CHECKING:
    import jsonschema

#: A place in a recipe document: the keys and list indexes leading to it.
LinePath = tuple[Any, ...]


def schema_path() -> Path:
    """The recipe JSON Schema file shipped in the package: what ``orchestrator schema`` prints,
    and what an editor maps the schema's ``$id`` to (nothing here ever fetches that URL)."""
    return Path(__file__).resolve().with_name("recipe.schema.json")


@lru_cache(maxsize=1)
def recipe_schema() -> dict[str, Any]:
    """The recipe JSON Schema shipped in the package."""
    return dict(json.loads(schema_path().read_text("utf-8")))


@lru_cache(maxsize=1)
def schema_validator() -> jsonschema.protocols.Validator:
    """The reference validator: used to explain what is wrong with a recipe."""
    import jsonschema

    schema = recipe_schema()
    return jsonschema.validators.validator_for(schema)(schema)


def validator_source() -> str:
    """The source of ``_recipe_validator.py`` for the current schema."""
    import fastjsonschema

    code = fastjsonschema.compile_to_code(recipe_schema())
    entry = code[code.index("def ") + 4:code.index("(", code.index("def "))]
    return ("# Generated from recipe.schema.json by fastjsonschema: do not edit.\n"
            "# Regenerate: python -m pytest_orchestrator.schema\n"
            f'SCHEMA_SHA256 = "{schema_digest()}"\n{code}\nvalidate = {entry}\n')


def schema_digest() -> str:
    """Identifies the schema the shipped validator was generated from."""
    return hashlib.sha256(schema_path().read_bytes()).hexdigest()


def check_schema(doc: Any, lines: dict[LinePath, int], where: str,
                 problems: Problems | None = None) -> None:
    """Raise a RecipeError for the first schema problem in ``doc``, if any, saying how many
    more there are; ``problems`` that keep all get the others too."""
    # The schema compiled to Python by fastjsonschema, ~15x faster than jsonschema on valid
    # recipes; shipped pre-generated (compiling at every start would cost ~30 ms). Catch the
    # exception class the validator module itself imported (pytester's in-process runs may
    # have re-imported fastjsonschema since)
    from . import _recipe_validator as fast

    with contextlib.suppress(fast.JsonSchemaValueException):  # type: ignore[attr-defined]
        fast.validate(doc)  # type: ignore[no-untyped-call]
        return  # valid: the fast path; only an invalid recipe pays for the explanation
    # the first problem in the file, deepest first; a missing field last, since it is often
    # the misspelt field reported as unknown
    errors = sorted(schema_validator().iter_errors(doc), key=lambda e: (
        e.validator == "required", line_of(lines, _explain(e)[0]), -len(e.absolute_path)))
    if errors:
        (problems or Problems()).stop([_problem(error, lines, where) for error in errors])


def _problem(error: jsonschema.ValidationError, lines: dict[LinePath, int],
             where: str) -> RecipeError:
    path, message, hint = _explain(error)
    return RecipeError(f"{dotted(path)}: {message}", where=f"{where}:{line_of(lines, path)}",
                       hint=hint)


def _explain(error: jsonschema.ValidationError) -> tuple[LinePath, str, str]:
    path = tuple(error.absolute_path)
    kind = error.validator
    # the stubs type these as unions with Unset; for the validators below they are plain JSON
    value: Any = error.instance
    expected: Any = error.validator_value
    field_name = path[-1] if path and isinstance(path[-1], str) else ""
    if kind == "additionalProperties":
        schema: Any = error.schema
        allowed = list(schema.get("properties", {}))
        extra = sorted(str(k) for k in value if k not in allowed)[0]
        return (*path, extra), "unknown field", _unknown_field_hint(path, extra, allowed)
    if kind == "required":
        missing = [name for name in expected if name not in value]
        return path, f"missing required field '{missing[0]}'", f"add '{missing[0]}'"
    if kind == "type":
        want = " or ".join(expected) if isinstance(expected, list) else str(expected)
        hint = "give the number of seconds, e.g. 30" if field_name == "timeout" else \
            f"write a list: [{value}]" if want == "array" and isinstance(value, str) else ""
        return path, f"expected {_article(want)}, got {_shown(value)}", hint
    if kind == "enum":
        options = [str(o) for o in expected]
        return path, f"{_shown(value)} is not one of {', '.join(options)}", \
            did_you_mean(str(value), options, "")
    if kind == "pattern":
        return path, *_pattern_message(path, value)
    if kind == "minItems":
        return path, "must not be empty", "list at least one entry"
    if kind == "not" and path == ("defaults",):
        return path, "'name' and 'idx' cannot have defaults", "set them on each step"
    return path, error.message, ""


_IDENTIFIER = "use letters, digits and '_', not starting with a digit"
_PATTERNS = {  # the field whose pattern failed → (what the value is not, what to do)
    "name": ("a valid step name", _IDENTIFIER),
    "depends_on": ("a valid step name", _IDENTIFIER),
    "parametrize": ("a valid parametrize name", _IDENTIFIER),
    "tags": ("a valid marker name", _IDENTIFIER),
    "markers": ("a valid marker name", _IDENTIFIER),
    "function": ("a class name", _IDENTIFIER),
    "module": ("a dotted module name", "e.g. scriptlets.steps.load_numbers"),
    "test_id": ("a valid test_id", "use letters, digits, '_', '.' and '-', e.g. NUM-012"),
    "context": ("a context mode", "use 'isolated' or 'shared:<name>'"),
}


def _pattern_message(path: LinePath, value: Any) -> tuple[str, str]:
    fields = [part for part in path if isinstance(part, str)]
    what, hint = _PATTERNS.get(fields[-1] if fields else "", ("allowed here", ""))
    return f"{_shown(value)} is not {what}", hint


def _shown(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):  # YAML-only values: !!set, !!binary
        return f"{value!r}"


def _unknown_field_hint(path: LinePath, extra: str, allowed: list[str]) -> str:
    """Did you mean a field of this mapping, or (at the top) a step field put too far left?"""
    if path or difflib.get_close_matches(extra, allowed, n=1, cutoff=0.6):
        return did_you_mean(extra, allowed, "field")
    schema: Any = schema_validator().schema
    step_fields = list(schema["$defs"]["stepFields"]["properties"])
    close = difflib.get_close_matches(extra, step_fields, n=1, cutoff=0.6)
    if close:
        return (f"did you mean '{close[0]}'? It is a step field: put it under a step, or "
                "under 'defaults' for every step")
    return did_you_mean(extra, allowed, "field")


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


# --- where a problem is, and a suggestion: shared with recipe.py --------------------------

def line_of(lines: dict[LinePath, int], path: LinePath) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def dotted(path: LinePath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "recipe"


def did_you_mean(word: str, options: list[str], what: str) -> str:
    """A close match, else the list of ``what``s (nothing when ``what`` is empty)."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"known {what}s: {', '.join(options)}" if what else ""


if __name__ == "__main__":  # regenerate the shipped validator after editing the schema
    Path(__file__).with_name("_recipe_validator.py").write_text(validator_source(), "utf-8")
