"""The DAG of a recipe as a picture: from a Recipe (``orchestrator graph``) or from the steps a
run recorded (reports, ``step_sequence.svg``), drawn by levels as text, Graphviz DOT, Mermaid,
SVG or PNG. Needs nothing but the standard library, except PNG (Pillow)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..dag import levels

if TYPE_CHECKING:
    from ..recipe import Recipe

FORMATS = ("text", "dot", "mermaid", "svg", "png")

#: outcome -> (fill, stroke, legend): the colours every format and report uses.
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "passed": ("#d7f0d2", "#2e7d32", "passed"),
    "failed": ("#fbd3d0", "#c62828", "failed"),
    "error": ("#f9c9b6", "#8e2012", "error"),
    "xfailed": ("#ffe3b8", "#e07b00", "failed as expected"),
    "skipped": ("#eceff1", "#78909c", "skipped"),
    "restored": ("#d5e6fa", "#1e63b5", "restored from an earlier run"),
    # a running session, as the live dashboard draws it
    "running": ("#fff3c4", "#b28704", "running"),
    "waiting": ("#ffffff", "#90a4ae", "waiting"),
    "not run": ("#f5f5f5", "#bdbdbd", "not run (the session ended first)"),
}
PLAIN = ("#ffffff", "#455a64", "")


@dataclass(frozen=True, slots=True)
class Node:
    """One step as drawn: its dependencies, level and marks, and how it went (if known)."""

    name: str
    deps: tuple[str, ...]
    level: int
    parallel: bool = False
    finally_: bool = False
    exclusive: bool = False
    outcome: str | None = None
    detail: str = ""  # a short second line: "python", "passed 0.12 s, cached"

    @property
    def marks(self) -> list[str]:
        return [m for m, on in (("finally", self.finally_), ("exclusive", self.exclusive)) if on]

    @property
    def caption(self) -> str:
        """The box's second line: how it went (or its type), and its marks."""
        return ", ".join([*([self.detail] if self.detail else []), *self.marks])

    @property
    def colours(self) -> tuple[str, str, str]:
        return OUTCOMES.get(self.outcome or "", PLAIN)


@dataclass(frozen=True, slots=True)
class Graph:
    """A recipe's (or a recipe row's) steps in run order."""

    title: str
    nodes: tuple[Node, ...]
    namespace: str = ""  # the context namespace of the recipe row drawn from a run

    @property
    def levels(self) -> list[list[Node]]:
        rows: list[list[Node]] = [[] for _ in range(1 + max((n.level for n in self.nodes),
                                                            default=-1))]
        for node in self.nodes:
            rows[node.level].append(node)
        return rows

    @property
    def edges(self) -> list[tuple[str, str]]:
        return [(dep, node.name) for node in self.nodes for dep in node.deps]

    def counts(self) -> Counter[str]:
        return Counter(node.outcome for node in self.nodes if node.outcome)

    def summary(self) -> str:
        """``4 steps in 3 levels: 3 passed, 1 failed``."""
        steps, depth = len(self.nodes), len(self.levels)
        text = f"{steps} step{'s' * (steps != 1)} in {depth} level{'s' * (depth != 1)}"
        counts = self.counts()
        if counts:
            text += ": " + ", ".join(f"{n} {outcome}" for outcome, n in counts.most_common())
        return text


def from_recipe(recipe: Recipe) -> Graph:
    """The DAG a recipe declares (every row of a parametrized recipe has the same one)."""
    level = levels((s.name, s.deps) for s in recipe.steps)
    return Graph(recipe.test_id, tuple(
        Node(s.name, s.deps, level[s.name], s.parallel, s.finally_, s.exclusive,
             detail=s.type + (", cached" if s.cache_key else ""))
        for s in recipe.steps))


def from_steps(steps: Iterable[Mapping[str, Any]]) -> list[Graph]:
    """One graph per recipe row from a run's stored steps (``ResultsStore.run()["steps"]``),
    coloured by outcome; a dependency the run did not record is left out."""
    rows: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = {}
    for step in steps:
        name, _, row = str(step["step"]).partition("[")
        rows.setdefault((step["test_id"], row.rstrip("]")), {})[name] = step
    return [_row_graph(test_id, row, found) for (test_id, row), found in rows.items()]


def _row_graph(test_id: str, row: str, found: dict[str, Mapping[str, Any]]) -> Graph:
    ordered = sorted(found.items(), key=lambda item: item[1].get("rank") or 0)
    deps = {name: tuple(d for d in step.get("depends_on") or () if d in found)
            for name, step in ordered}
    level = levels(deps.items())
    return Graph(f"{test_id}[{row}]" if row else test_id, tuple(
        Node(name, deps[name], level[name], bool(step.get("parallel")),
             bool(step.get("finally")), bool(step.get("exclusive")), str(step["outcome"]),
             step_detail(step))
        for name, step in ordered), namespace=str(ordered[0][1].get("namespace") or ""))


def step_detail(step: Mapping[str, Any]) -> str:
    """``passed 0.12 s, cached``: how a recorded step went, in a few words."""
    if step["outcome"] in ("waiting", "not run"):
        return str(step["outcome"])
    parts = [f"{step['outcome']} {float(step.get('duration') or 0):.2f} s"]
    if step.get("cache_hit"):
        parts.append("cached")
    if (step.get("attempts") or 1) > 1:
        parts.append(f"{step['attempts']} attempts")
    return ", ".join(parts)


def render(graph: Graph, fmt: str) -> str | bytes:
    """The graph in one of FORMATS."""
    if fmt == "png":
        from .graph_png import to_png

        return to_png(graph)
    if fmt == "svg":
        from .graph_svg import to_svg

        return to_svg(graph)
    return {"text": to_text, "dot": to_dot, "mermaid": to_mermaid}[fmt](graph)


# -- text ----------------------------------------------------------------------------------

def to_text(graph: Graph, width: int = 100) -> str:
    """An ASCII picture: one row of boxes per level, then what the level's steps come after."""
    lines = [f"{graph.title}: {graph.summary()}", ""]
    for number, row in enumerate(graph.levels):
        label = f"level {number}"
        if len(row) > 1:
            label += " (parallel)"
        lines.append(label)
        for chunk in _chunks([_box(node) for node in row], width - 2):
            lines += ["  " + "  ".join(box[i] for box in chunk).rstrip() for i in range(4)]
        for deps, names in _by_deps(row).items():
            if deps:
                lines.append(f"  {', '.join(names)} <- {', '.join(deps)}")
    marks = [text for on, text in ((any(n.finally_ for n in graph.nodes), ": : finally"),
                                   (any(n.exclusive for n in graph.nodes), "+==+ exclusive"))
             if on]
    if marks:
        lines += ["", "borders: " + ", ".join(marks)]
    return "\n".join(lines) + "\n"


def _box(node: Node) -> list[str]:
    second = node.caption
    inner = max(len(node.name), len(second))
    edge = "+" + ("=" if node.exclusive else "-") * (inner + 2) + "+"
    side = ":" if node.finally_ else "|"
    return [edge, f"{side} {node.name:<{inner}} {side}", f"{side} {second:<{inner}} {side}", edge]


def _chunks(boxes: list[list[str]], width: int) -> list[list[list[str]]]:
    chunks: list[list[list[str]]] = [[]]
    used = 0
    for box in boxes:
        if chunks[-1] and used + len(box[0]) > width:
            chunks.append([])
            used = 0
        chunks[-1].append(box)
        used += len(box[0]) + 2
    return chunks


def _by_deps(row: list[Node]) -> dict[tuple[str, ...], list[str]]:
    grouped: dict[tuple[str, ...], list[str]] = {}
    for node in row:
        grouped.setdefault(node.deps, []).append(node.name)
    return grouped


# -- Graphviz DOT and Mermaid --------------------------------------------------------------

def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: Graph) -> str:
    """Graphviz source: a box per step (filled by outcome; dashed: finally, double border:
    exclusive), the steps of one level on one rank."""
    lines = [f"digraph {_quoted(graph.title)} {{",
             f"  graph [rankdir=TB, labelloc=t, fontname=Helvetica, "
             f"label={_quoted(graph.title + ': ' + graph.summary())}];",
             "  node [shape=box, style=\"rounded,filled\", fontname=Helvetica, fontsize=11];",
             "  edge [color=\"#78909c\"];"]
    for number, row in enumerate(graph.levels):
        names = " ".join(_quoted(n.name) + ";" for n in row)
        lines.append(f"  subgraph level_{number} {{ rank=same; {names} }}")
    for node in graph.nodes:
        fill, stroke, _ = node.colours
        style = "rounded,filled,dashed" if node.finally_ else "rounded,filled"
        label = "\\n".join([node.name, *([node.detail] if node.detail else []),
                            *(f"({m})" for m in node.marks)])
        lines.append(f"  {_quoted(node.name)} [label=\"{label}\", fillcolor=\"{fill}\", "
                     f"color=\"{stroke}\", style=\"{style}\""
                     f"{', peripheries=2' if node.exclusive else ''}];")
    lines += [f"  {_quoted(dep)} -> {_quoted(name)};" for dep, name in graph.edges]
    return "\n".join([*lines, "}"]) + "\n"


def _mermaid_id(name: str) -> str:
    return f"s_{name}"  # a prefix: Mermaid reserves words such as 'end'


def to_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart (GitHub and GitLab draw it): a subgraph per parallel level,
    stadium shape for finally steps, a double box for exclusive ones."""
    lines = ["flowchart TD"]
    for number, row in enumerate(graph.levels):
        inside = len(row) > 1
        if inside:
            lines.append(f"  subgraph level_{number} [\"level {number} (parallel)\"]")
        for node in row:
            label = "<br/>".join([node.name, *([node.detail] if node.detail else []),
                                  *(f"({m})" for m in node.marks)]).replace('"', "#quot;")
            opening, closing = ("([", "])") if node.finally_ else \
                ("[[", "]]") if node.exclusive else ("[", "]")
            lines.append(f"{'    ' if inside else '  '}{_mermaid_id(node.name)}"
                         f"{opening}\"{label}\"{closing}")
        if inside:
            lines.append("  end")
    lines += [f"  {_mermaid_id(dep)} --> {_mermaid_id(name)}" for dep, name in graph.edges]
    for outcome in sorted({n.outcome for n in graph.nodes if n.outcome}):
        fill, stroke, _ = OUTCOMES.get(outcome, PLAIN)
        members = ",".join(_mermaid_id(n.name) for n in graph.nodes if n.outcome == outcome)
        lines += [f"  classDef {outcome} fill:{fill},stroke:{stroke},color:#1b1b1b",
                  f"  class {members} {outcome}"]
    return "\n".join(lines) + "\n"
