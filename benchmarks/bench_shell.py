"""Shell steps against the same script run by hand: the cost of our subprocess executor
(process group, environment, context snapshot, wait4, envelope check) per step."""

from __future__ import annotations

from pathlib import Path

from harness import Pair, benchmark, pytest_side
from projects import step_names, write_files

SCRIPT = "#!/usr/bin/env bash\necho '{\"status\": \"ok\", \"set\": {\"bench.n_v1\": 1}}'\n"
COUNT = 200


@benchmark("shell_vs_subprocess", goal=1.2, items=COUNT,
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
