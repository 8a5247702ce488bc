"""``.orchestrator/`` keeps itself out of version control, as ``.pytest_cache`` does: the folder
carries its own ``.gitignore`` from the moment a run creates it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import step
from pytest_orchestrator.folders import make_folder

RECIPE = "test_meta: {test_id: GI-1}\nsteps:\n" + step("load")


def test_a_run_leaves_a_gitignore_that_ignores_everything_in_orchestrator(project):
    project.recipe("r", RECIPE)
    project.run().assert_outcomes(passed=1)
    assert (project.root / ".orchestrator" / ".gitignore").read_text().splitlines() == [
        "# Created by pytest-orchestrator automatically.", "*"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_status_shows_nothing_of_a_run_under_orchestrator(project):
    subprocess.run(["git", "init", "-q"], cwd=project.root, check=True)
    project.recipe("r", RECIPE)
    project.run().assert_outcomes(passed=1)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=project.root, check=True, capture_output=True, text=True).stdout
    assert (project.root / ".orchestrator" / "results.db").is_file()
    assert "recipes/r.yaml" in status  # git does see the project's own files
    assert ".orchestrator" not in status


def test_every_orchestrator_folder_created_on_the_way_gets_a_gitignore(tmp_path):
    made = make_folder(tmp_path / "a" / ".orchestrator" / "artifacts" / "run-1")
    assert made.is_dir()
    assert (tmp_path / "a" / ".orchestrator" / ".gitignore").read_text().endswith("\n*\n")
    assert [p.name for p in tmp_path.rglob(".gitignore")] == [".gitignore"]


def test_an_existing_orchestrator_folder_is_left_as_it_is(tmp_path):
    (tmp_path / ".orchestrator").mkdir()
    make_folder(tmp_path / ".orchestrator" / "context")
    assert not (tmp_path / ".orchestrator" / ".gitignore").exists()
    assert make_folder(tmp_path / ".orchestrator" / "context") == tmp_path / ".orchestrator" \
        / "context"
