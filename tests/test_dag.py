"""The DAG of a recipe: the implicit dependency rules of SPEC section 4, topological order with
ties broken by sequence order, cycle naming and ancestry; then the order steps really run in."""

from __future__ import annotations

import pytest

from pytest_orchestrator.dag import (
    Ancestry,
    StepLink,
    find_cycle,
    resolve_dependencies,
    topological_order,
)

# hypothesis's plugin, when installed, re-imports hypothesis in every in-process run (~1 s)
FAST = ("-p", "no:hypothesispytest")


def link(name: str, *, after: tuple[str, ...] | None = None, parallel: bool = False) -> StepLink:
    return StepLink(name, after, parallel)


def chain(n: int) -> dict[str, tuple[str, ...]]:
    return {f"s{i}": (f"s{i - 1}",) if i else () for i in range(n)}


DIAMOND = {"load": (), "mean": ("load",), "median": ("load",), "report": ("mean", "median")}


# -- implicit dependencies ---------------------------------------------------------------------

def test_a_plain_recipe_is_a_chain():
    deps = resolve_dependencies([link("load"), link("clean"), link("report")])
    assert deps == {"load": (), "clean": ("load",), "report": ("clean",)}


def test_a_run_of_parallel_steps_fans_out_and_the_next_step_fans_in():
    deps = resolve_dependencies([link("load"), link("mean", parallel=True),
                                 link("median", parallel=True), link("stdev", parallel=True),
                                 link("report")])
    assert deps == {"load": (), "mean": ("load",), "median": ("load",), "stdev": ("load",),
                    "report": ("mean", "median", "stdev")}


def test_a_parallel_step_depends_on_the_last_non_parallel_step():
    deps = resolve_dependencies([link("load"), link("clean"), link("mean", parallel=True),
                                 link("report"), link("archive", parallel=True)])
    assert deps["mean"] == ("clean",)
    assert deps["archive"] == ("report",)


def test_parallel_steps_at_the_start_are_roots_and_the_next_step_waits_for_all():
    deps = resolve_dependencies([link("ping1", parallel=True), link("ping2", parallel=True),
                                 link("report")])
    assert deps == {"ping1": (), "ping2": (), "report": ("ping1", "ping2")}


def test_two_runs_of_parallel_steps_fan_in_separately():
    deps = resolve_dependencies([link("a", parallel=True), link("b", parallel=True),
                                 link("join1"), link("c", parallel=True),
                                 link("d", parallel=True), link("join2")])
    assert deps["join1"] == ("a", "b")
    assert deps["c"] == deps["d"] == ("join1",)
    assert deps["join2"] == ("c", "d")


def test_an_explicit_depends_on_wins_over_the_implicit_rules():
    deps = resolve_dependencies([link("load"), link("clean"),
                                 link("mean", after=("load",), parallel=True),
                                 link("report", after=("load", "mean"))])
    assert deps["mean"] == ("load",)
    assert deps["report"] == ("load", "mean")


def test_depends_on_empty_makes_a_root_and_the_next_step_follows_it():
    deps = resolve_dependencies([link("load"), link("probe", after=()), link("report")])
    assert deps == {"load": (), "probe": (), "report": ("probe",)}


def test_a_step_after_an_explicit_parallel_step_fans_in_on_the_whole_run():
    deps = resolve_dependencies([link("load"), link("mean", parallel=True),
                                 link("lint", after=(), parallel=True), link("report")])
    assert deps["report"] == ("mean", "lint")


# -- order and cycles --------------------------------------------------------------------------

def test_dependencies_come_first():
    assert topological_order(["report", "mean", "load"],
                             {"report": ("mean",), "mean": ("load",), "load": ()}) \
        == ["load", "mean", "report"]


def test_ready_steps_keep_their_sequence_order():
    names = ["load", "median", "mean", "report"]
    assert topological_order(names, DIAMOND) == ["load", "median", "mean", "report"]
    names = ["load", "mean", "median", "report"]
    assert topological_order(names, DIAMOND) == names


def test_a_root_later_in_the_sequence_keeps_its_place():
    names = ["a", "b", "c", "solo"]
    deps = {"a": (), "b": ("a",), "c": ("b",), "solo": ()}
    assert topological_order(names, deps) == ["a", "b", "c", "solo"]
    assert topological_order(["solo", "a", "b", "c"], deps) == ["solo", "a", "b", "c"]


def test_an_early_step_waits_for_a_later_dependency():
    names = ["summary", "load", "report"]
    deps = {"summary": ("report",), "load": (), "report": ("load",)}
    assert topological_order(names, deps) == ["load", "report", "summary"]


def test_a_repeated_dependency_counts_once():
    assert topological_order(["a", "b"], {"a": (), "b": ("a", "a")}) == ["a", "b"]


def test_a_cycle_is_an_error_that_names_it():
    deps = {"load": (), "a": ("load", "c"), "b": ("a",), "c": ("b",)}
    with pytest.raises(ValueError, match=r"^a -> c -> b -> a$"):
        topological_order(["load", "a", "b", "c"], deps)


@pytest.mark.parametrize(("deps", "cycle"), [
    ({"a": ("b",), "b": ("a",)}, ["a", "b", "a"]),
    ({"a": ("a",), "b": ()}, ["a", "a"]),
    ({"a": (), "b": ("a", "d"), "c": ("b",), "d": ("c",)}, ["b", "d", "c", "b"]),
], ids=["two", "self", "behind-a-root"])
def test_find_cycle_returns_a_closed_path(deps, cycle):
    assert find_cycle(list(deps), deps) == cycle


def test_find_cycle_finds_nothing_in_a_dag():
    assert find_cycle(list(DIAMOND), DIAMOND) == []
    assert find_cycle(list(chain(50)), chain(50)) == []


# -- ancestry ----------------------------------------------------------------------------------

def test_in_a_diamond_both_branches_are_ancestors_of_the_join_but_not_of_each_other():
    tree = Ancestry(["load", "mean", "median", "report"], DIAMOND)
    assert tree.is_ancestor("load", "report")
    assert tree.is_ancestor("mean", "report") and tree.is_ancestor("median", "report")
    assert not tree.is_ancestor("mean", "median")
    assert not tree.is_ancestor("median", "mean")
    assert not tree.is_ancestor("report", "load")
    assert not tree.is_ancestor("load", "load")
    assert not tree.is_ancestor("unknown", "report")
    assert not tree.is_ancestor("load", "unknown")


def test_the_visible_writer_is_the_latest_ancestor_in_dag_order():
    tree = Ancestry(["load", "mean", "median", "report"], DIAMOND)
    assert tree.visible_writer("report", ["load", "mean"]) == "mean"
    assert tree.visible_writer("report", ["median", "load", "mean"]) == "median"
    assert tree.visible_writer("mean", ["median", "load"]) == "load"
    assert tree.visible_writer("mean", ["median"]) is None
    assert tree.visible_writer("load", ["report"]) is None


def test_the_closure_is_every_ancestor_in_order():
    tree = Ancestry(["load", "mean", "median", "report"], DIAMOND)
    assert tree.closure("report") == ["load", "mean", "median"]
    assert tree.closure("median") == ["load"]
    assert tree.closure("load") == []


def test_ancestry_on_a_long_chain_stays_linear():
    deps = chain(5000)
    names = list(deps)
    tree = Ancestry(topological_order(names, deps), deps)
    assert tree.is_ancestor("s0", "s4999")
    assert tree.is_ancestor("s4998", "s4999")
    assert not tree.is_ancestor("s4999", "s0")
    assert tree.visible_writer("s4999", ["s10", "s4000", "s4999"]) == "s4000"
    assert tree.closure("s4999") == names[:-1]


def test_ancestry_beside_a_chain_is_not_ancestry():
    deps = {**chain(100), "side": ()}
    tree = Ancestry(topological_order(list(deps), deps), deps)
    assert not tree.is_ancestor("side", "s99")
    assert tree.visible_writer("s99", ["side", "s3"]) == "s3"


def _brute_ancestors(deps: dict[str, tuple[str, ...]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name in deps:  # given in topological order
        found[name] = set().union(*({d} | found[d] for d in deps[name]))
    return found


@pytest.mark.parametrize("seed", range(20))
def test_ancestry_agrees_with_the_transitive_closure_on_random_dags(seed):
    import random

    rng = random.Random(seed)
    names = [f"s{i}" for i in range(60)]
    deps = {name: tuple(rng.sample(names[:i], min(i, rng.choice([0, 1, 1, 2, 3]))))
            for i, name in enumerate(names)}
    tree = Ancestry(names, deps)
    truth = _brute_ancestors(deps)
    for step in names:
        assert {a for a in names if tree.is_ancestor(a, step)} == truth[step], step
        assert tree.closure(step) == sorted(truth[step], key=names.index)


def test_the_closure_stops_at_steps_already_known():
    deps = {**chain(10), "side": (), "join": ("s9", "side")}
    tree = Ancestry(list(deps), deps)
    assert tree.closure("join", known=lambda name: name == "s5") == \
        ["s6", "s7", "s8", "s9", "side"]


def test_a_long_chain_shares_one_reach_table():
    """A chain of 10,000 steps: no step keeps a table of its own (no quadratic memory)."""
    deps = chain(10_000)
    tree = Ancestry(list(deps), deps)
    assert len({id(table) for table in tree._reach.values()}) == 1


# -- the order steps run in ----------------------------------------------------------------

RECORD = '''
from pytest_orchestrator import BaseScriptlet


class Record(BaseScriptlet):
    """Appends its step name to params['log']."""

    def run(self, ctx, params):
        with open(params["log"], "a", encoding="utf-8") as fh:
            fh.write(self.step + "\\n")
'''


def test_steps_run_in_dag_order_with_idx_reordering_the_file(project):
    project.write("steps/record.py", RECORD)
    project.recipe("order", """
        test_meta: {test_id: ORDER-1}
        defaults:
          module: steps.record
          function: Record
          args: {log: "${ROOTDIR}/order.log"}
        steps:
          - {idx: 4, name: summary, depends_on: [report]}
          - {idx: 3, name: report}
          - {idx: 1, name: load}
          - {idx: 2, name: median, parallel: true}
          - {idx: 2, name: mean, parallel: true}
          - {idx: 0, name: banner, depends_on: []}
        """)
    result = project.run("-v", *FAST)
    result.assert_outcomes(passed=6)
    expected = ["banner", "load", "median", "mean", "report", "summary"]
    result.stdout.fnmatch_lines([f"recipes/order.yaml::{name} PASSED*" for name in expected])
    assert (project.root / "order.log").read_text().split() == expected


def test_an_explicit_dependency_on_a_later_step_runs_it_first(project):
    project.write("steps/record.py", RECORD)
    project.recipe("order", """
        test_meta: {test_id: ORDER-2}
        defaults:
          module: steps.record
          function: Record
          args: {log: "${ROOTDIR}/order.log"}
        steps:
          - {name: report, depends_on: [mean, median]}
          - {name: load, depends_on: []}
          - {name: mean, parallel: true}
          - {name: median, parallel: true}
        """)
    result = project.run("--co", "-q", *FAST)
    result.stdout.fnmatch_lines(["recipes/order.yaml::load", "recipes/order.yaml::mean",
                                 "recipes/order.yaml::median", "recipes/order.yaml::report"])
    project.run(*FAST).assert_outcomes(passed=4)
    assert (project.root / "order.log").read_text().split() == ["load", "mean", "median",
                                                                 "report"]
