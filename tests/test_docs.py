"""The docs are part of the product: every option, ini key, hook, command and curriculum
scriptlet must be documented, and the README's commands must be the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_orchestrator import hookspecs

ROOT = Path(__file__).resolve().parents[1]
DOCS = "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md",
                                                          *sorted((ROOT / "docs").glob("*.md"))])
PLUGIN = (ROOT / "pytest_orchestrator" / "plugin.py").read_text(encoding="utf-8")
CLI = "\n".join(p.read_text(encoding="utf-8")
                for p in sorted((ROOT / "pytest_orchestrator" / "cli").glob("*.py")))


@pytest.mark.parametrize("option", re.findall(r'addoption\(\s*"(--[\w-]+)"', PLUGIN))
def test_every_command_line_option_is_documented(option):
    assert f"`{option}" in DOCS


@pytest.mark.parametrize("key", re.findall(r'addini\(\s*"(\w+)"', PLUGIN))
def test_every_ini_key_is_documented(key):
    assert f"`{key}`" in DOCS


@pytest.mark.parametrize("hook", [n for n in dir(hookspecs) if n.startswith("pytest_orch")])
def test_every_hook_is_documented_with_an_example(hook):
    assert f"`{hook}(" in DOCS
    assert "Example" in (getattr(hookspecs, hook).__doc__ or "")


@pytest.mark.parametrize("command", re.findall(r'add_parser\(\s*"(\w+)"', CLI))
def test_every_orchestrator_subcommand_is_documented(command):
    assert re.search(rf"`orchestrator (\w+ )?{command}\b", DOCS)


@pytest.mark.parametrize("scriptlet", sorted(
    [p.stem for p in (ROOT / "scriptlets" / "steps").glob("*.py") if p.stem != "__init__"]
    + [p.name for p in (ROOT / "scriptlets" / "shell").glob("*.sh")]))
def test_every_curriculum_scriptlet_is_documented(scriptlet):
    assert f"`{scriptlet}`" in DOCS


def test_ci_runs_the_test_command_the_readme_gives():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.rstrip().splitlines()[-1]
    assert command.startswith("pytest")
    assert f"   {command}\n" in readme
    assert "pip install" in ci and "'.[dev]'" in ci


def test_the_readme_recipe_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in re.findall(r"pytest (recipes/\S+\.yaml)", readme):
        assert (ROOT / path).is_file(), path
