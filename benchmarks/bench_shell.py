"""Shell steps against the same script run by hand: the cost of our subprocess executor
(process group, environment, context snapshot, wait4, envelope check) per step."""

from __future__ import annotations

from pathlib import Path

from harness import Figure, Pair, Sample, Side, benchmark, figures, pytest_side
from projects import step_names, write_files

SCRIPT = "#!/usr/bin/env bash\necho '{\"status\": \"ok\", \"set\": {\"bench.n_v1\": 1}}'\n"
COUNT = 200


@benchmark("shell_vs_subprocess", goal=1.3, items=COUNT,
           what=f"run {COUNT} independent shell steps vs {COUNT} tests doing subprocess.run "
                "of the same script")
def shell_vs_subprocess(root: Path) -> Pair:
    names = step_names(COUNT)
    steps = "".join(f"  - {{name: {n}, type: shell, script: sh/ok.sh, depends_on: []}}\n"
                    for n in names)
    recipe = write_files(root / "recipe", {
        "pytest.ini": "[pytest]\n", "sh/ok.sh": SCRIPT,
        "recipes/shell.yaml": f"test_meta:\n  test_id: BENCH-SH\nconflict: last_write_wins\n"
                              f"steps:\n{steps}"})
    tests = "".join(
        f"\n\ndef test_{n}():\n    out = subprocess.run(['bash', SCRIPT], capture_output=True,"
        f" check=True)\n    assert json.loads(out.stdout)['status'] == 'ok'\n" for n in names)
    plain = write_files(root / "plain", {
        "pytest.ini": "[pytest]\n", "sh/ok.sh": SCRIPT,
        "test_shell.py": f"import json, subprocess\nSCRIPT = 'sh/ok.sh'\n{tests}"})
    expect = f"{COUNT} passed"
    return Pair(baseline=pytest_side(plain, "test_shell.py", expect=expect),
                ours=pytest_side(recipe, "recipes/shell.yaml", expect=expect, ours=True))


#: The same script with a scriptlet header declaring what it reads (not the context): the
#: runner writes no context snapshot for it.
DECLARED = ("#!/usr/bin/env bash\n# NAME     ok.sh\n# DESC     prints an ok envelope\n"
            "# USAGE    ok.sh\n# RETURNS  ok\n# ENV      (none)\n" + SCRIPT.split("\n", 1)[1])


@figures("shell_step_vs_subprocess_run", quick=True,
         what=f"{COUNT} shell steps through the runner (env, context snapshot, process group, "
              "wait4, envelope, commit) vs subprocess.run of the same script, in one process; "
              "and with a header that declares no need of the context",
         figures=(Figure("shell step vs subprocess.run", "ours", "baseline", 1.3),
                  Figure("same, the script declaring its ENV (no snapshot)", "declared",
                         "baseline", 1.3)))
def shell_step_vs_subprocess_run(root: Path) -> dict[str, Side]:
    import json
    import os
    import subprocess
    import time

    import psutil

    from pytest_orchestrator.context import Context, open_backend
    from pytest_orchestrator.placeholders import Expansion
    from pytest_orchestrator.recipe import Recipe, Step
    from pytest_orchestrator.runner import StepRun, execute
    from pytest_orchestrator.safety import Redactor

    script = root / "ok.sh"
    script.write_text(SCRIPT, encoding="utf-8")
    (root / "declared.sh").write_text(DECLARED, encoding="utf-8")
    (root / "artifacts").mkdir()
    recipe = Recipe(path=root / "r.yaml", where="r.yaml", test_id="BENCH-SH", steps=(),
                    conflict="last_write_wins")
    expansion = Expansion(rootdir=str(root), data=str(root), artifacts=str(root / "artifacts"),
                          run_id="bench", environ=os.environ)
    redactor = Redactor()

    def ours(name: str) -> Side:
        steps = [Step(name=n, line=1, end_line=1, type="shell", deps=(), script=name)
                 for n in step_names(COUNT)]

        def run() -> Sample:
            backend = open_backend("memory://")
            cpu, start = _cpu(), time.perf_counter()
            for step in steps:
                ctx = Context(backend, "bench", step=step.name, policy="last_write_wins")
                if not execute(StepRun(recipe, step, ctx, expansion, redactor)).passed:
                    raise RuntimeError("a benchmark shell step failed")
            return Sample(time.perf_counter() - start, cpu_seconds=_cpu() - cpu)
        return run

    def baseline() -> Sample:
        cpu, start = _cpu(), time.perf_counter()
        for _ in range(COUNT):
            done = subprocess.run(["bash", str(script)], capture_output=True, check=True)
            json.loads(done.stdout)
        return Sample(time.perf_counter() - start, cpu_seconds=_cpu() - cpu)

    def _cpu() -> float:
        """CPU seconds of this process, of the children it reaped (the baseline's scripts)
        and of its running children with those they reaped (the step server, the steps'
        scripts)."""
        times = os.times()
        running = 0.0
        for child in psutil.Process().children():
            try:
                used = child.cpu_times()
            except psutil.Error:
                continue
            running += used.user + used.system + used.children_user + used.children_system
        return times.user + times.system + times.children_user + times.children_system + running

    return {"baseline": baseline, "ours": ours("ok.sh"), "declared": ours("declared.sh")}
