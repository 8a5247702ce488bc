"""Recipe files: YAML with line numbers, checked by the JSON Schema and the DAG rules, turned into
frozen Recipe and Step values. Every problem is one RecipeError naming file, line and field."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import dag, limits, safety, step_checks
from .errors import Problems, RecipeError
from .schema import LinePath, check_schema, did_you_mean, dotted, line_of


class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loading, except that dates stay strings: a recipe is JSON-shaped data, and
    ``test_id: 2024-01-01`` means the text. Numbers JSON cannot hold are recorded in
    ``refused`` (node id -> problem, hint), for the line walk to report with their field."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.refused: dict[int, tuple[str, str]] = {}


Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_str)
Loader.add_constructor("tag:yaml.org,2002:int", limits.construct_int)
Loader.add_constructor("tag:yaml.org,2002:float", limits.construct_float)

MAX_PARAMETRIZE_ROWS = limits.MAX_PARAMETRIZE_ROWS
#: Step fields that are not part of its definition's hash (``Step.spec_hash``).
UNHASHED = ("idx", "metrics")


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
    index: int = 0
    field_lines: dict[str, int] = field(default_factory=dict)
    spec_hash: str = ""  # this step's definition and its ancestors': resume trusts it
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> rule (analysis)

    def field_at(self, name: str) -> tuple[str, int]:
        """``steps[i].name`` and its line, for messages about one field of this step."""
        return f"steps[{self.index}].{name}", self.field_lines.get(name, self.line)


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
    test_id_line: int = 1

    def rows(self, hidden: Callable[[str], bool] = lambda name: False
             ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(row id, params) for each run of the recipe: one row when not parametrized. The
        value of a parameter whose name is ``hidden`` (a secret) never shows in the row id:
        its place in the list does (``password0``)."""
        if not self.parametrize:
            yield "", {}
            return
        names = list(self.parametrize)
        shown = [[f"{name}{i}" for i in range(len(self.parametrize[name]))] if hidden(name)
                 else [str(v) for v in self.parametrize[name]] for name in names]
        for picks in itertools.product(*(range(len(self.parametrize[n])) for n in names)):
            yield ("-".join(shown[n][i] for n, i in enumerate(picks)),
                   {name: self.parametrize[name][i] for name, i in zip(names, picks, strict=True)})

    def namespace(self, row_id: str = "") -> str:
        """The context namespace of one run of this recipe."""
        if self.context.startswith("shared:"):
            return self.context.split(":", 1)[1]
        return f"{self.test_id}[{row_id}]" if row_id else self.test_id


def load_recipe(path: Path, rootdir: Path, *, problems: Problems | None = None,
                max_rows: int = MAX_PARAMETRIZE_ROWS) -> Recipe:
    """Read, check and build a recipe; raise RecipeError on the first problem. ``problems``
    that keep all (``orchestrator lint``) get every problem found, and what stops the checks
    (unreadable text, YAML, the schema) is still raised. A recipe whose parametrize product
    has more than ``max_rows`` rows is refused before any row is made."""
    where = _relative(path, rootdir)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RecipeError(f"the recipe is not UTF-8 text ({exc.reason} at byte {exc.start})",
                          where=f"{where}:1", hint="save the file as UTF-8") from None
    return recipe_from_text(text, path, where, problems=problems, max_rows=max_rows)


def recipe_from_text(text: str, path: Path, where: str, *, problems: Problems | None = None,
                     max_rows: int = MAX_PARAMETRIZE_ROWS) -> Recipe:
    """Check and build the recipe ``text`` of the file ``path`` (shown as ``where``); raise
    RecipeError on the first problem."""
    doc, lines = parse_yaml(text, where, problems)
    check_schema(doc, lines, where, problems)
    problem = limits.rows_problem(doc.get("parametrize", {}), max_rows)
    if problem:
        (problems or Problems()).add(RecipeError(
            f"parametrize: {problem[0]}", hint=problem[1],
            where=f"{where}:{line_of(lines, ('parametrize',))}"))
    return build(doc, lines, path, where, problems)


def parse_yaml(text: str, where: str, problems: Problems | None = None
               ) -> tuple[Any, dict[LinePath, int]]:
    """Safe-load YAML and record the line of every mapping key and list item. Problems of
    single values (a key given twice, what JSON cannot hold) are raised at the first, or
    with ``problems`` that keep all, all found and the first raised."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:  # aliases and depth are checked before anything is built
            limits.check_graph(node, where)
        doc = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise RecipeError(f"YAML syntax error: {_yaml_problem(exc)}", where=f"{where}:{line}",
                          hint=_yaml_hint(exc)) from None
    except yaml.reader.ReaderError as exc:  # a character YAML refuses: no mark, a position
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise RecipeError(f"the character U+{char:04X} cannot be in a YAML file",
                          where=f"{where}:{text.count(chr(10), 0, exc.position) + 1}",
                          hint="remove it; in a double-quoted string write it as an escape, "
                               'e.g. "\\x07"') from None
    except yaml.YAMLError as exc:
        raise RecipeError(f"YAML error: {' '.join(str(exc).split())}", where=f"{where}:1") \
            from None
    finally:
        loader.dispose()
    if not isinstance(doc, dict):
        kind = "empty" if doc is None else f"a {type(doc).__name__}"
        raise RecipeError(f"the recipe is {kind}, not a mapping", where=f"{where}:1",
                          hint="a recipe is a mapping with 'test_meta' and 'steps'")
    lines: dict[LinePath, int] = {(): 1}
    kept = Problems(keep_all=problems is not None and problems.keep_all)
    _record_lines(node, (), lines, frozenset(), where, loader.refused, kept)
    if kept.found:  # the document is not the file's data: nothing more can be checked
        (problems or kept).stop(kept.found)
    return doc, lines


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        if exc.context.startswith("while") and exc.context_mark:
            return f"{problem} ({exc.context} from line {exc.context_mark.line + 1})"
        return f"{exc.context}, {problem}"
    return problem


def _yaml_hint(exc: yaml.MarkedYAMLError) -> str:
    if isinstance(exc, yaml.constructor.ConstructorError):
        if "unhashable" in str(exc.problem):
            return "a mapping key is text: write it out, or quote it"
        return "a recipe holds plain data: remove the '!' tag"
    if "another document" in str(exc.problem):
        return "a recipe is one YAML document: remove the '---' line"
    return "check the indentation and quoting on that line"


def _record_lines(node: yaml.Node, path: LinePath, lines: dict[LinePath, int],
                  within: frozenset[int], where: str, refused: dict[int, tuple[str, str]],
                  problems: Problems) -> None:
    """Record the line of every key and item under ``node``; refuse what safe_load lets pass:
    a key written twice in one mapping (the last would silently win; a key brought by a
    ``<<`` merge may be overridden), an alias nested in itself, and what JSON cannot hold
    (:func:`limits.node_problem`)."""
    if id(node) in within:
        problems.add(RecipeError(f"{dotted(path)}: a YAML alias that contains itself",
                                 where=f"{where}:{line_of(lines, path)}",
                                 hint="an anchor can be reused, not nested inside itself"))
        return
    if isinstance(node, yaml.MappingNode):
        children = [(key.value, key, value) for key, value in node.value]
    elif isinstance(node, yaml.SequenceNode):
        children = [(i, item, item) for i, item in enumerate(node.value)]
    else:
        return
    written: set[Any] = set()
    inner = within | {id(node)}
    first, last = node.start_mark.index, node.end_mark.index
    in_list = isinstance(node, yaml.SequenceNode)
    for part, start, value in children:
        child = (*path, part)
        problem = limits.node_problem(None if in_list else start, value, refused)
        if problem:
            problems.add(RecipeError(f"{dotted(child)}: {problem[0]}", hint=problem[1],
                                     where=f"{where}:{start.start_mark.line + 1}"))
            continue
        if first <= start.start_mark.index <= last:
            if part in written:
                problems.add(RecipeError(
                    f"{dotted(child)}: given twice (first at line {lines[child]})",
                    where=f"{where}:{start.start_mark.line + 1}",
                    hint="keep one: YAML would silently use the last"))
            written.add(part)
        lines[child] = start.start_mark.line + 1
        if in_list:  # a step's last line, for the excerpt shown when it fails
            lines[(*child, "<end>")] = value.end_mark.line
        if not isinstance(value, yaml.ScalarNode):
            _record_lines(value, child, lines, inner, where, refused, problems)


def build(doc: dict[str, Any], lines: dict[LinePath, int], path: Path, where: str,
          problems: Problems | None = None) -> Recipe:
    """Schema-valid document → Recipe, enforcing what the schema cannot express. Each problem
    goes to ``problems`` (raised by default); kept, the checks go on without the step at fault,
    every problem of every step."""
    problems = problems or Problems()
    meta = doc["test_meta"]
    defaults = doc.get("defaults", {})
    raw_steps = doc["steps"]
    params = doc.get("parametrize", {})

    def fail(step_path: LinePath, message: str, hint: str = "") -> RecipeError:
        return RecipeError(f"{dotted(step_path)}: {message}",
                           where=f"{where}:{line_of(lines, step_path)}", hint=hint)

    for j, tag in enumerate(meta.get("tags", ())):
        for problem in step_checks.check(safety.marker_problem(tag), ("test_meta", "tags", j),
                                         fail):
            problems.add(problem)
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_steps):
        name = raw["name"]
        if name in seen:
            first = line_of(lines, ("steps", seen[name], "name"))
            problems.add(fail(("steps", i, "name"), f"duplicate step name '{name}' (first at "
                              f"line {first})", "give every step its own name"))
        seen.setdefault(name, i)
    sequence = _sequence(raw_steps)
    links = [dag.StepLink(raw["name"], _explicit_deps(raw, defaults),
                          bool(raw.get("parallel", defaults.get("parallel", False))))
             for _, raw in sequence]
    for (i, raw), link in zip(sequence, links, strict=False):
        for j, dep in enumerate(link.depends_on or ()):
            if dep not in seen:
                dep_path = ("steps", i, "depends_on", j) if "depends_on" in raw \
                    else ("defaults", "depends_on", j)
                problems.add(fail(dep_path, f"unknown step '{dep}'",
                                  did_you_mean(dep, list(seen), "step")))
    deps = dag.resolve_dependencies(links)
    names = [link.name for link in links]
    try:  # (no order for names that are unknown or given twice: they are reported already)
        order = names if problems.found else dag.topological_order(names, deps)
    except ValueError:
        explicit = {link.name: link.depends_on or () for link in links}
        cycle = dag.find_cycle(names, deps)
        problems.add(_cycle_error(cycle, explicit, raw_steps, seen, fail))
        order = names
    steps: dict[str, Step] = {}
    for i, raw in sequence:
        found = step_checks.step_problems(i, {**defaults, **raw}, params, fail)
        for problem in found:
            problems.add(problem)
        if not found:
            steps[raw["name"]] = _step(i, {**defaults, **raw}, deps[raw["name"]], lines)
    order = [name for name in dict.fromkeys(order) if name in steps]
    merged = {raw["name"]: {**defaults, **raw} for _, raw in sequence}
    hashes: dict[str, str] = {}
    for name in order:  # Merkle-style: editing a step changes the hash of all its dependents
        # (how its metrics are judged is not what it does: declaring one keeps its history)
        spec = json.dumps({k: v for k, v in merged[name].items() if k not in UNHASHED},
                          sort_keys=True,
                          default=str) + "".join(hashes.get(d, "") for d in sorted(deps[name]))
        hashes[name] = hashlib.sha256(spec.encode()).hexdigest()[:16]
        steps[name] = dataclasses.replace(steps[name], spec_hash=hashes[name])
    return Recipe(path=path, where=where, test_id=meta["test_id"],
                  steps=tuple(steps[name] for name in order), tester=meta.get("tester", ""),
                  description=meta.get("description", ""), tags=tuple(meta.get("tags", ())),
                  parametrize=params, context=doc.get("context", "isolated"),
                  conflict=doc.get("conflict", "fail_on_conflict"),
                  test_id_line=lines.get(("test_meta", "test_id"), 1))


def _cycle_error(cycle: list[str], explicit: dict[str, tuple[str, ...]],
                 raw_steps: list[dict[str, Any]], seen: dict[str, int],
                 fail: Callable[..., RecipeError]) -> RecipeError:
    """Name the cycle at the first depends_on entry in it (implicit links have no line)."""
    edges = list(itertools.pairwise(cycle))
    step, dep = next((s, d) for s, d in edges if d in explicit[s])
    i = seen[step]
    at = ("steps", i) if "depends_on" in raw_steps[i] else ("defaults",)
    hint = "remove one of these depends_on entries"
    if any(d not in explicit[s] for s, d in edges):
        hint += " (a step without depends_on depends on the step before it)"
    return fail((*at, "depends_on", explicit[step].index(dep)),
                f"dependency cycle {' -> '.join(cycle)}", hint)


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


def _step(i: int, raw: dict[str, Any], deps: tuple[str, ...], lines: dict[LinePath, int]
          ) -> Step:
    """The Step of a step (merged with the defaults) that has no problem."""
    here = ("steps", i)
    kind = raw.get("type", "python")
    script = raw.get("script", raw.get("cmd"))
    args = raw.get("args", {})
    success = raw.get("success", {})
    retry = raw.get("retry")
    xfail = raw.get("xfail")
    field_lines = {name: lines[(*here, name)] for name in ("module", "function", "script", "cmd")
                   if (*here, name) in lines}
    return Step(name=raw["name"], line=lines[here], end_line=lines[(*here, "<end>")], type=kind,
                index=i, field_lines=field_lines,
                deps=deps, module=raw.get("module"), function=raw.get("function"),
                script=script, args=args, parallel=raw.get("parallel", False),
                requires_process=raw.get("requires_process", False),
                timeout=raw.get("timeout"), retry=Retry(**retry) if retry else None,
                cache_key=raw.get("cache_key"),
                xfail=("expected failure" if xfail is True else xfail) or None,
                finally_=raw.get("finally", False), exclusive=raw.get("exclusive", False),
                markers=tuple(raw.get("markers", ())), success=success,
                metrics=raw.get("metrics", {}))


def claim_test_id(recipe: Recipe, owners: dict[str, Path], rootdir: Path) -> None:
    """A test_id names one recipe file: raise when ``owners`` (test_id → file) gives it to
    another file, else record this one."""
    owner = owners.setdefault(recipe.test_id, recipe.path)
    if owner != recipe.path:
        raise RecipeError(f"test_id '{recipe.test_id}' is already the test_id of "
                          f"{_relative(owner, rootdir)}: two recipes would share one namespace "
                          "and one history", where=f"{recipe.where}:{recipe.test_id_line}",
                          hint="give each recipe its own test_meta.test_id")


def _relative(path: Path, rootdir: Path) -> str:
    try:
        return path.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
