"""Throwaway test projects, written into a temporary folder (never into the repository): a
recipe project (ini, allowed scriptlet package, recipe) and its plain-pytest twin."""

from __future__ import annotations

from pathlib import Path

SCRIPTLET = '''
from pytest_orchestrator import BaseScriptlet


class WriteOne(BaseScriptlet):
    """Writes one context key, named after the step."""

    def run(self, ctx, params):
        return {f"bench.{self.step}_v1": 1}
'''


def step_names(count: int) -> list[str]:
    return [f"s{i:05d}" for i in range(count)]


def write_recipe_project(root: Path, names: list[str]) -> Path:
    """``recipes/chain.yaml``: one trivial python step per name, in a plain chain (no
    ``depends_on``: each step depends on the one before)."""
    steps = "".join(f"  - name: {name}\n    module: bench_steps.trivial\n"
                    "    function: WriteOne\n" for name in names)
    return _write(root, {
        "pytest.ini": "[pytest]\norchestrator_scriptlet_packages = bench_steps\n",
        "bench_steps/__init__.py": "",
        "bench_steps/trivial.py": SCRIPTLET,
        "recipes/chain.yaml": f"test_meta:\n  test_id: BENCH-CHAIN\nsteps:\n{steps}",
    })


def write_plain_project(root: Path, names: list[str]) -> Path:
    """``test_functions.py``: one test function per name, doing the same dict write."""
    tests = "".join(f"\n\ndef test_{name}():\n    STORE['bench.{name}_v1'] = 1\n"
                    for name in names)
    return _write(root, {"pytest.ini": "[pytest]\n", "test_functions.py": f"STORE = {{}}\n{tests}"})


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root``; return ``root``."""
    return _write(root, files)


def _write(root: Path, files: dict[str, str]) -> Path:
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
