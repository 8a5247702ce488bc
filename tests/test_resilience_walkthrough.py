"""docs/resilience-walkthrough.md is true: its commands, run in order by real pytest processes
in a copy of the project (its own results store and .pytest_cache), end as the page says and
print the lines it shows."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DASH_WARNING

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "resilience-walkthrough.md"
RECIPE = "recipes/11_resilience_controls.yaml"

#: The walk-through, in order: (environment, pytest args, exit code).
WALKTHROUGH = [
    ({}, [RECIPE, "-v"], 0),
    ({"ORCH_INJECT_FAILURE": "1"}, [RECIPE, "-v"], 1),
    ({"ORCH_INJECT_FAILURE": "1"}, [RECIPE, "--skip", "fault_switch", "-v"], 0),
    ({"ORCH_INJECT_FAILURE": "1"}, [RECIPE, "--resume-from", "fault_switch", "-v"], 1),
    ({}, [RECIPE, "--lf", "-v"], 0),
]


def console_blocks(text: str) -> list[tuple[dict[str, str], list[str], list[str]]]:
    """Each ```console block of the page: (environment, pytest args, the lines it shows)."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, re.S):
        command, *shown = body.splitlines()
        assert command.startswith("$ "), command
        words = shlex.split(command[2:])
        env = {}
        while "=" in words[0]:
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        assert words[0] == "pytest", command
        blocks.append((env, words[1:], [line for line in shown if line.strip() != "..."]))
    return blocks


def normal(line: str) -> str:
    """A terminal line without what varies: the progress percentage, timings, the width of
    the ===== rules and of runs of spaces."""
    line = re.sub(r"\[\s*\d+%\]\s*$", "", line)
    line = re.sub(r"\d+\.\d+s\b", "Ns", line)
    return " ".join(line.strip().strip("=").split())


def project(tmp_path: Path) -> Path:
    """The recipes (with their data) and the scriptlets, under an ini of their own."""
    root = tmp_path / "lab"
    ignore = shutil.ignore_patterns("__pycache__", ".orchestrator")
    shutil.copytree(ROOT / "recipes", root / "recipes", ignore=ignore)
    shutil.copytree(ROOT / "scriptlets", root / "scriptlets", ignore=ignore)
    (root / "pytest.ini").write_text("[pytest]\norchestrator_scriptlet_packages = scriptlets\n"
                                     f"filterwarnings = {DASH_WARNING}\n")
    return root


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without its ORCH_* and PYTEST_* (xdist too) variables; a wide
    terminal, so that pytest does not shorten the skip reasons."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ORCH_", "PYTEST_"))}
    return {**env, "COLUMNS": "140", **extra}


def pytest_in(root: Path, env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=root, env=clean_env(**env),
                          capture_output=True, text=True, timeout=120)


def test_the_page_shows_the_walkthrough_commands_in_order():
    blocks = console_blocks(DOC.read_text(encoding="utf-8"))
    assert [(env, args) for env, args, _ in blocks] == [(e, a) for e, a, _ in WALKTHROUGH]


def test_the_walkthrough_behaves_as_the_page_says(tmp_path):
    root = project(tmp_path)
    for (env, args, shown), (_, _, code) in zip(console_blocks(DOC.read_text(encoding="utf-8")),
                                                WALKTHROUGH, strict=True):
        result = pytest_in(root, env, args)
        where = f"{env} pytest {' '.join(args)}:\n{result.stdout}{result.stderr}"
        assert result.returncode == code, where
        printed = [normal(line) for line in result.stdout.splitlines()]
        for line in shown:
            assert any(normal(line) in out for out in printed), f"{line!r} missing from {where}"

    # The store agrees: the --lf run restored the passed dependencies and executed the rest.
    orchestrator = [sys.executable, "-m", "pytest_orchestrator"]
    runs = subprocess.run([*orchestrator, "runs", "--limit", "1"], cwd=root, env=clean_env(),
                          capture_output=True, text=True, timeout=60)
    latest = runs.stdout.splitlines()[1].split()[0]
    show = subprocess.run([*orchestrator, "show", latest], cwd=root, env=clean_env(),
                          capture_output=True, text=True, timeout=60)
    rows = {line.split()[1]: line.split() for line in show.stdout.splitlines()
            if line.startswith("NUM-011")}
    assert {step: row[2] for step, row in rows.items()} == {
        "load_numbers": "restored", "flaky_probe": "restored",
        "fault_switch": "passed", "compute_numbers": "passed"}, show.stdout
    assert rows["flaky_probe"][4] == "3", show.stdout  # the attempts of the run it came from


def test_skipping_a_step_that_never_passed_has_nothing_to_restore(tmp_path):
    root = project(tmp_path)
    failed = pytest_in(root, {"ORCH_INJECT_FAILURE": "1"}, [RECIPE, "-v"])
    assert failed.returncode == 1, failed.stdout
    skipped = pytest_in(root, {"ORCH_INJECT_FAILURE": "1"},
                        [RECIPE, "--skip", "fault_switch", "-v"])
    assert "dependency 'fault_switch' has no recorded state: run it first or select it too" \
        in skipped.stdout
    assert "3 passed, 1 deselected, 1 error" in skipped.stdout
    assert "dependency 'fault_switch' has no recorded state" in \
        DOC.read_text(encoding="utf-8")
