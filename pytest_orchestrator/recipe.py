"""Recipe files: YAML with line numbers, checked by the JSON Schema and the DAG rules, turned into
frozen Recipe and Step values. Every problem is one RecipeError naming file, line and field."""

from __future__ import annotations

import difflib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from . import dag, placeholders
from .errors import RecipeError

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LinePath = tuple[Any, ...]
RESERVED_ENV = frozenset({"PATH", "HOME", "SHELL", "USER", "PWD", "LD_PRELOAD", "PYTHONPATH",
                          "LD_LIBRARY_PATH", "IFS"})


@dataclass(frozen=True, slots=True)
class Retry:
    max: int
    delay_sec: float = 0.0
    backoff: float = 1.0


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a recipe, with its dependencies resolved."""

    name: str
    line: int
    end_line: int
    type: str
    deps: tuple[str, ...]
    module: str | None = None
    function: str | None = None
    script: str | None = None
    args: dict[str, Any] | list[Any] = field(default_factory=dict)
    parallel: bool = False
    requires_process: bool = False
    timeout: float | None = None
    retry: Retry | None = None
    cache_key: str | None = None
    xfail: str | None = None
    finally_: bool = False
    exclusive: bool = False
    markers: tuple[str, ...] = ()
    success: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Recipe:
    """A checked recipe; ``steps`` are in topological order."""

    path: Path
    where: str
    test_id: str
    steps: tuple[Step, ...]
    tester: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    parametrize: dict[str, list[Any]] = field(default_factory=dict)
    context: str = "isolated"
    conflict: str = "fail_on_conflict"

    def rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(row id, params) for each run of the recipe: one row when not parametrized."""
        if not self.parametrize:
            yield "", {}
            return
        names = list(self.parametrize)
        for values in itertools.product(*(self.parametrize[n] for n in names)):
            yield "-".join(str(v) for v in values), dict(zip(names, values, strict=False))

    def namespace(self, row_id: str = "") -> str:
        """The context namespace of one run of this recipe."""
        if self.context.startswith("shared:"):
            return self.context.split(":", 1)[1]
        return f"{self.test_id}[{row_id}]" if row_id else self.test_id


@lru_cache(maxsize=1)
def schema_validator() -> jsonschema.protocols.Validator:
    text = resources.files(__package__).joinpath("recipe.schema.json").read_text("utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)  # type: ignore[no-any-return]


def load_recipe(path: Path, rootdir: Path) -> Recipe:
    """Read, check and build a recipe; raise RecipeError on the first problem."""
    where = _relative(path, rootdir)
    doc, lines = parse_yaml(path.read_text(encoding="utf-8"), where)
    check_schema(doc, lines, where)
    return build(doc, lines, path, where)


def parse_yaml(text: str, where: str) -> tuple[Any, dict[LinePath, int]]:
    """Safe-load YAML and record the line of every mapping key and list item."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        doc = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise RecipeError(f"YAML syntax error: {problem}", where=f"{where}:{line}",
                          hint="check the indentation and quoting on that line") from None
    except yaml.YAMLError as exc:
        raise RecipeError(f"YAML error: {exc}", where=where) from None
    finally:
        loader.dispose()
    if not isinstance(doc, dict):
        kind = "empty" if doc is None else f"a {type(doc).__name__}"
        raise RecipeError(f"the recipe is {kind}, not a mapping", where=f"{where}:1",
                          hint="a recipe is a mapping with 'test_meta' and 'steps'")
    lines: dict[LinePath, int] = {(): 1}
    _record_lines(node, (), lines)
    return doc, lines


def _record_lines(node: yaml.Node, path: LinePath, lines: dict[LinePath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            lines[child] = key.start_mark.line + 1
            lines[(*child, "<end>")] = value.end_mark.line
            _record_lines(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            lines[(*path, i, "<end>")] = item.end_mark.line
            _record_lines(item, (*path, i), lines)


def line_of(lines: dict[LinePath, int], path: LinePath) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def dotted(path: LinePath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "recipe"


def check_schema(doc: Any, lines: dict[LinePath, int], where: str) -> None:
    errors = list(schema_validator().iter_errors(doc))
    if not errors:
        return
    error = min(errors, key=lambda e: (line_of(lines, tuple(e.absolute_path)),
                                       -len(e.absolute_path)))
    path, message, hint = _explain(error)
    more = f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})" \
        if len(errors) > 1 else ""
    raise RecipeError(f"{dotted(path)}: {message}{more}",
                      where=f"{where}:{line_of(lines, path)}", hint=hint)


def _explain(error: jsonschema.ValidationError) -> tuple[LinePath, str, str]:
    path = tuple(error.absolute_path)
    value, kind = error.instance, error.validator
    field_name = path[-1] if path and isinstance(path[-1], str) else ""
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))[0]
        return (*path, extra), "unknown field", _did_you_mean(extra, allowed, "field")
    if kind == "required":
        missing = [name for name in error.validator_value if name not in value]
        return path, f"missing required field '{missing[0]}'", f"add '{missing[0]}'"
    if kind == "type":
        want = error.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        hint = "give the number of seconds, e.g. 30" if field_name == "timeout" else ""
        return path, f"expected {_article(want)}, got {json.dumps(value)}", hint
    if kind == "enum":
        options = [str(o) for o in error.validator_value]
        return path, f"{json.dumps(value)} is not one of {', '.join(options)}", \
            _did_you_mean(str(value), options, "value")
    if kind == "pattern":
        return path, *_pattern_message(path, value)
    if kind == "minItems":
        return path, "must not be empty", "list at least one entry"
    if kind == "not" and path == ("defaults",):
        return path, "'name' and 'idx' cannot have defaults", "set them on each step"
    return path, error.message, ""


def _pattern_message(path: LinePath, value: Any) -> tuple[str, str]:
    if (path and path[-1] in ("name", "depends_on")) or (len(path) > 1 and path[-2] ==
                                                       "depends_on"):
        return (f"{json.dumps(value)} is not a valid step name",
                "use letters, digits and '_', not starting with a digit")
    if path and path[-1] == "context":
        return f"{json.dumps(value)} is not a context mode", "use 'isolated' or 'shared:<name>'"
    return f"{json.dumps(value)} is not allowed here", "see docs/recipe-schema.md"


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _did_you_mean(word: str, options: list[str], what: str) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"known {what}s: {', '.join(options)}"


def build(doc: dict[str, Any], lines: dict[LinePath, int], path: Path, where: str) -> Recipe:
    """Schema-valid document → Recipe, enforcing what the schema cannot express."""
    meta = doc["test_meta"]
    defaults = doc.get("defaults", {})
    raw_steps = doc["steps"]
    params = doc.get("parametrize", {})

    def fail(step_path: LinePath, message: str, hint: str = "") -> RecipeError:
        return RecipeError(f"{dotted(step_path)}: {message}",
                           where=f"{where}:{line_of(lines, step_path)}", hint=hint)

    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_steps):
        if raw["name"] in seen:
            first = raw_steps[seen[raw["name"]]]["name"]
            raise fail(("steps", i, "name"), f"duplicate step name '{first}' (first at line "
                       f"{line_of(lines, ('steps', seen[first]))})", "give every step its own name")
        seen[raw["name"]] = i
    sequence = _sequence(raw_steps)
    links = [dag.StepLink(raw["name"], _explicit_deps(raw, defaults),
                          bool(raw.get("parallel", defaults.get("parallel", False))))
             for _, raw in sequence]
    for (i, raw), link in zip(sequence, links, strict=False):
        for j, dep in enumerate(link.depends_on or ()):
            if dep not in seen:
                dep_path = ("steps", i, "depends_on", j) if "depends_on" in raw \
                    else ("defaults", "depends_on", j)
                raise fail(dep_path, f"unknown step '{dep}'",
                           _did_you_mean(dep, list(seen), "step"))
    deps = dag.resolve_dependencies(links)
    names = [link.name for link in links]
    try:
        order = dag.topological_order(names, deps)
    except ValueError as exc:
        raise RecipeError(f"steps: dependency cycle {exc}", where=f"{where}:"
                          f"{line_of(lines, ('steps', seen[str(exc).split(' ')[0]]))}",
                          hint="remove one of these depends_on entries") from None
    steps = {raw["name"]: _step(i, {**defaults, **raw}, deps[raw["name"]], lines, params, fail)
             for i, raw in sequence}
    return Recipe(path=path, where=where, test_id=meta["test_id"],
                  steps=tuple(steps[name] for name in order), tester=meta.get("tester", ""),
                  description=meta.get("description", ""), tags=tuple(meta.get("tags", ())),
                  parametrize=params, context=doc.get("context", "isolated"),
                  conflict=doc.get("conflict", "fail_on_conflict"))


def _sequence(raw_steps: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Steps by idx, then file order; a step without idx keeps its place after the one before."""
    keyed, idx = [], 0
    for i, raw in enumerate(raw_steps):
        idx = raw.get("idx", idx)
        keyed.append((idx, i, raw))
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [(i, raw) for _, i, raw in keyed]


def _explicit_deps(raw: dict[str, Any], defaults: dict[str, Any]) -> tuple[str, ...] | None:
    found = raw.get("depends_on", defaults.get("depends_on"))
    return None if found is None else tuple(found)


def _step(i: int, raw: dict[str, Any], deps: tuple[str, ...], lines: dict[LinePath, int],
          params: dict[str, Any], fail: Any) -> Step:
    here = ("steps", i)
    kind = raw.get("type", "python")
    script = raw.get("script", raw.get("cmd"))
    if kind == "python":
        for needed in ("module", "function"):
            if needed not in raw:
                raise fail(here, f"missing field '{needed}'",
                           "a python step names its scriptlet with 'module' and 'function'")
        if script is not None:
            raise fail((*here, "script"), "a python step has no 'script'",
                       "use type: shell or type: exec to run a script")
    else:
        if script is None:
            raise fail(here, "missing field 'script'", f"a {kind} step names the file to run")
        if "script" in raw and "cmd" in raw:
            raise fail((*here, "cmd"), "give 'script' or its alias 'cmd', not both")
        for name in ("module", "function"):
            if name in raw:
                raise fail((*here, name), f"a {kind} step has no '{name}'",
                           "use type: python to run a scriptlet class")
    args = raw.get("args", {})
    if kind != "python" and isinstance(args, dict):
        _check_env_names(args, here, fail)
    success = raw.get("success", {})
    for key_path, value in (("args", args), ("script", script),
                            ("success", success.get("files_exist", []))):
        found = placeholders.problems(value, params, key_path)
        if found:
            raise fail((*here, key_path), found[0].split(": ", 1)[1])
    retry = raw.get("retry")
    xfail = raw.get("xfail")
    return Step(name=raw["name"], line=lines[here], end_line=lines[(*here, "<end>")], type=kind,
                deps=deps, module=raw.get("module"), function=raw.get("function"),
                script=script, args=args, parallel=raw.get("parallel", False),
                requires_process=raw.get("requires_process", False),
                timeout=raw.get("timeout"), retry=Retry(**retry) if retry else None,
                cache_key=raw.get("cache_key"),
                xfail=("expected failure" if xfail is True else xfail) or None,
                finally_=raw.get("finally", False), exclusive=raw.get("exclusive", False),
                markers=tuple(raw.get("markers", ())), success=success)


def _check_env_names(args: dict[str, Any], here: LinePath, fail: Any) -> None:
    for name in args:
        upper = str(name).upper()
        if not placeholders._NAME_RE.match(str(name)) or upper in RESERVED_ENV \
                or upper.startswith("ORCH_"):
            raise fail((*here, "args", name), f"'{name}' cannot be an environment variable name",
                       "shell args become variables: use letters, digits and '_', "
                       "not PATH, HOME or ORCH_*")


def _relative(path: Path, rootdir: Path) -> str:
    try:
        return path.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
