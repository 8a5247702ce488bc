"""The figures of the performance issue, at the sizes it names: a trivial step against a plain
test at 2,000 and 10,000 (wall time, each added step, the store's share, peak RSS), chained
``requires_process`` steps against in-process ones, and a chain under ``-n 2`` against the
same chain run sequentially (at two sizes: linear in N)."""

from __future__ import annotations

from pathlib import Path

from harness import Figure, Side, figures, pytest_side
from projects import step_names, write_files, write_plain_project, write_recipe_project


def _steps(root: Path, count: int) -> dict[str, Side]:
    """plain, ours with the store off, ours (store on, the default) at ``count`` items."""
    names = step_names(count)
    plain = write_plain_project(root / f"plain{count}", names)
    recipe = write_recipe_project(root / f"recipe{count}", names)
    expect = f"{count} passed"
    return {f"plain{count}": pytest_side(plain, "test_functions.py", expect=expect),
            f"off{count}": pytest_side(recipe, "--orch-db", "off", "recipes/chain.yaml",
                                       expect=expect, ours=True),
            f"ours{count}": pytest_side(recipe, "recipes/chain.yaml", expect=expect, ours=True)}


@figures("steps_2000", quick=True, full=False,
         what="2,000 trivial chained python steps (store on, and off) vs 2,000 plain tests",
         figures=(Figure("step vs plain test, 2,000, store on", "ours2000", "plain2000", 1.2),
                  Figure("store on vs off, 2,000", "ours2000", "off2000", 0.05, 2000, "ms"),
                  Figure("peak RSS, 2,000 steps vs plain", "ours2000", "plain2000", 1.3,
                         measure="rss")))
def steps_2000(root: Path) -> dict[str, Side]:
    return _steps(root, 2000)


@figures("steps_scaling", quick=False,
         what="2,000 and 10,000 trivial chained python steps vs as many plain tests; "
              "the store on vs off at 10,000",
         figures=(Figure("step vs plain test, 2,000, store on", "ours2000", "plain2000", 1.2),
                  Figure("step vs plain test, 10,000, store on", "ours10000", "plain10000",
                         1.2),
                  Figure("each added step 2,000→10,000 vs plain's", ("ours2000", "ours10000"),
                         ("plain2000", "plain10000"), 1.2, measure="slope"),
                  Figure("store on vs off, 10,000", "ours10000", "off10000", 0.05, 10000,
                         "ms"),
                  Figure("peak RSS, 10,000 steps vs plain", "ours10000", "plain10000", 1.3,
                         measure="rss")))
def steps_scaling(root: Path) -> dict[str, Side]:
    small = _steps(root, 2000)
    del small["off2000"]
    return {**small, **_steps(root, 10000)}


CHILD = '''
from pytest_orchestrator import BaseScriptlet


class Bump(BaseScriptlet):
    """Reads the previous step's key, writes its own: the context grows with the chain."""

    def run(self, ctx, params):
        return {f"bench.{self.step}_v1": {"n": params["n"], "pad": "x" * 200}}
'''


def _chain(root: Path, count: int, *, child: bool) -> Path:
    """A chain of ``count`` steps, each writing a ~250-byte key: in a child process or not."""
    flag = ", requires_process: true" if child else ""
    steps = "".join(f"  - {{name: {n}, module: bench_steps.bump, function: Bump, "
                    f"args: {{n: {i}}}{flag}}}\n" for i, n in enumerate(step_names(count)))
    return write_files(root / f"{'child' if child else 'inproc'}{count}", {
        "pytest.ini": "[pytest]\norchestrator_scriptlet_packages = bench_steps\n",
        "bench_steps/__init__.py": "", "bench_steps/bump.py": CHILD,
        "recipes/chain.yaml": f"test_meta:\n  test_id: BENCH-CHILD\nsteps:\n{steps}"})


def _child_sides(root: Path, *counts: int) -> dict[str, Side]:
    sides = {}
    for count in counts:
        expect = f"{count} passed"
        for child in (False, True):
            name = f"{'child' if child else 'inproc'}{count}"
            sides[name] = pytest_side(_chain(root, count, child=child), "recipes/chain.yaml",
                                      expect=expect, ours=True)
    return sides


@figures("child_chain_200", quick=True, full=False,
         what="a chain of 200 requires_process steps vs the same steps in-process",
         figures=(Figure("requires_process vs in-process, 200 (Δ ms/step)", "child200",
                         "inproc200", 1.5, 200, "ms"),))
def child_chain_200(root: Path) -> dict[str, Side]:
    return _child_sides(root, 200)


@figures("child_chain_scaling", quick=False,
         what="chains of 200 and 1,000 requires_process steps vs the same steps in-process",
         figures=(Figure("requires_process vs in-process, 200 (Δ ms/step)", "child200",
                         "inproc200", 1.5, 200, "ms"),
                  Figure("requires_process vs in-process, 1,000 (Δ ms/step)", "child1000",
                         "inproc1000", 1.5, 1000, "ms"),
                  Figure("growth of that Δ, 200→1,000 (flat = 1)", ("child200", "child1000"),
                         ("inproc200", "inproc1000"), 1.2, (200, 1000), "growth")))
def child_chain_scaling(root: Path) -> dict[str, Side]:
    return _child_sides(root, 200, 1000)


def _xdist_sides(root: Path, *counts: int) -> dict[str, Side]:
    sides = {}
    for count in counts:
        project = write_recipe_project(root / f"chain{count}", step_names(count))
        expect = f"{count} passed"
        sides[f"seq{count}"] = pytest_side(project, "recipes/chain.yaml", expect=expect,
                                           ours=True)
        sides[f"n2_{count}"] = pytest_side(project, "-n", "2", "recipes/chain.yaml",
                                           expect=expect, ours=True)
    return sides


@figures("chain_xdist_200", quick=True, full=False,
         what="a 200-step chain under -n 2 vs the same chain sequentially",
         figures=(Figure("200-step chain, -n 2 vs sequential", "n2_200", "seq200", 1.5),))
def chain_xdist_200(root: Path) -> dict[str, Side]:
    return _xdist_sides(root, 200)


@figures("chain_xdist_scaling", quick=False,
         what="200- and 2,000-step chains under -n 2 vs the same chains sequentially",
         figures=(Figure("200-step chain, -n 2 vs sequential", "n2_200", "seq200", 1.5),
                  Figure("2,000-step chain, -n 2 vs sequential", "n2_2000", "seq2000", 1.5),
                  Figure("each added step under -n 2 vs sequential's, 200→2,000",
                         ("n2_200", "n2_2000"), ("seq200", "seq2000"), 1.5,
                         measure="slope")))
def chain_xdist_scaling(root: Path) -> dict[str, Side]:
    return _xdist_sides(root, 200, 2000)
