"""How much a recipe may hold, so a hostile one costs bounded time and memory: YAML aliases that
expand within a small budget and nesting within a depth (checked on the parsed nodes, before
anything is built), JSON data only (text keys, finite numbers, integers Python can read, no NUL
character, no YAML-only type), time fields under ceilings, and parametrize rows under a limit."""

from __future__ import annotations

import math
import sys
from typing import Any

import yaml

from .errors import RecipeError

#: How many nodes YAML aliases may add to a recipe beyond those its file writes: enough for
#: anchors of shared defaults, far too few for a "billion laughs".
ALIAS_BUDGET = 10_000
#: How deep mappings and lists may nest (a real recipe needs about 8 levels).
MAX_DEPTH = 64
#: The largest values of the time fields: beyond them a run would never end, and the
#: system's timers overflow (a timeout past ~24 days does).
TIME_LIMITS = {"timeout": 7 * 24 * 3600, "max": 1000, "delay_sec": 24 * 3600, "backoff": 100}
#: How many rows a parametrized recipe may have (ini orchestrator_max_parametrize_rows).
MAX_PARAMETRIZE_ROWS = 10_000

_TAG = "tag:yaml.org,2002:"
#: The tags of JSON data (timestamps are read as text by the recipe loader).
JSON_TAGS = frozenset(_TAG + name for name in
                      ("str", "int", "float", "bool", "null", "seq", "map", "timestamp"))


def check_graph(root: yaml.Node, where: str) -> None:
    """Refuse a document whose aliases expand it past :data:`ALIAS_BUDGET` nodes more than the
    file writes, or that nests (aliases expanded) deeper than :data:`MAX_DEPTH`. Each node is
    visited once, its expanded size and height remembered, so a bomb costs the time of reading
    its text, never of expanding it."""
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    refs: dict[int, int] = {}
    nodes: dict[int, yaml.Node] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:  # a node inside itself counts 0 here: the line walk refuses it
            children = _children(node)
            sizes[id(node)] = 1 + sum(sizes.get(id(c), 0) for c in children)
            heights[id(node)] = 1 + max((heights.get(id(c), 0) for c in children), default=0)
            continue
        if id(node) in nodes:
            continue  # shared through an alias: counted once
        nodes[id(node)] = node
        stack.append((node, True))
        for child in _children(node):
            refs[id(child)] = refs.get(id(child), 0) + 1
            stack.append((child, False))
    if heights[id(root)] > MAX_DEPTH:
        deepest = root
        for _ in range(MAX_DEPTH):
            deepest = max(_children(deepest), key=lambda c: heights.get(id(c), 0))
        raise RecipeError(f"the recipe nests mappings and lists more than {MAX_DEPTH} deep",
                          where=f"{where}:{deepest.start_mark.line + 1}",
                          hint="a recipe is a few levels deep: flatten this value")
    extra = sizes[id(root)] - len(nodes)
    if extra > ALIAS_BUDGET:
        anchor = max(nodes.values(), key=lambda n: sizes.get(id(n), 0) * (refs.get(id(n), 1) - 1))
        raise RecipeError(
            f"YAML aliases expand the recipe by {_count(extra)} values, over the limit of "
            f"{ALIAS_BUDGET:,} (the anchor on this line is the largest reused)",
            where=f"{where}:{anchor.start_mark.line + 1}",
            hint="write the values out, or reuse fewer and smaller anchors")


def time_problem(field: str, value: float | None) -> tuple[str, str] | None:
    """(message, hint) when the time field ``field`` (timeout, or retry's max, delay_sec,
    backoff) is over its ceiling; None otherwise."""
    if value is None or value <= TIME_LIMITS[field]:
        return None
    return (f"{value:,} is over the limit of {TIME_LIMITS[field]:,}",
            "give a smaller value (seconds, for timeout and delay_sec)")


def rows_problem(params: dict[str, list[Any]], max_rows: int) -> tuple[str, str] | None:
    """(message, hint) when the parametrize product has more than ``max_rows`` rows, counted
    from the lists' lengths before any row is made; None otherwise."""
    rows = math.prod(len(values) for values in params.values())
    if rows <= max_rows:
        return None
    sizes = " x ".join(f"{len(values):,} {name}" for name, values in params.items())
    return (f"{sizes} make {rows:,} rows, over the limit of {max_rows:,}",
            "split the recipe, or raise the ini option orchestrator_max_parametrize_rows")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _count(number: int) -> str:
    return f"{number:,}" if number < 10**15 else f"about 10^{len(str(number)) - 1}"


# -- scalars: the loader's constructors record what they refuse, the line walk reports it ------

def construct_int(loader: Any, node: yaml.ScalarNode) -> Any:
    """An integer, or a refusal when it has more digits than Python converts."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:
        limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
        return refuse(loader, node, f"an integer of {len(node.value):,} digits is longer than "
                                    f"Python reads ({limit:,} digits)",
                      "quote it if it is text")


def construct_float(loader: Any, node: yaml.ScalarNode) -> Any:
    """A finite number, or a refusal (``.inf``, ``.nan``, ``1e999``)."""
    value = yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)
    if math.isfinite(value):
        return value
    return refuse(loader, node, f"{node.value} is not a finite number",
                  "JSON has no infinity or NaN: give a number, or quote it if it is text")


def refuse(loader: Any, node: yaml.Node, problem: str, hint: str) -> None:
    loader.refused[id(node)] = (problem, hint)


def node_problem(key: yaml.Node | None, value: yaml.Node,
                 refused: dict[int, tuple[str, str]]) -> tuple[str, str] | None:
    """What is wrong with one entry of a mapping (``key``) or list (no key), or None."""
    if key is not None and not (isinstance(key, yaml.ScalarNode) and key.tag == _TAG + "str"):
        shown = key.value if isinstance(key, yaml.ScalarNode) else "a collection"
        return (f"the key {shown!r} is not text ({_kind(key)})",
                f"quote it: '{shown}' (YAML reads ~, yes, on, 1 as null, true, a number)")
    for node in (key, value):
        if node is None:
            continue
        if id(node) in refused:
            return refused[id(node)]
        if node.tag not in JSON_TAGS:
            return (f"{_kind(node)} is not JSON data",
                    "a recipe holds text, numbers, true/false, null, lists and mappings")
        if isinstance(node, yaml.ScalarNode) and "\0" in node.value:
            return ("the text holds a NUL character (\\0)",
                    "remove it: no file name, argument or environment variable can hold one")
    return None


def _kind(node: yaml.Node) -> str:
    tag = node.tag.removeprefix(_TAG)
    return f"!!{tag}" if tag != node.tag else node.tag
