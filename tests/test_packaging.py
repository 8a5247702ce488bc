"""What a package index shows of the project: the MIT license file (shipped in the wheel and
the sdist; hatchling picks ``LICENSE`` up by itself) and the project's links."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
REPOSITORY = "https://github.com/pytest-orchestrator/pytest-orchestrator"


def test_the_license_is_mit_with_the_authors_copyright():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the pytest-orchestrator authors\n")
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in text
    assert PROJECT["license"] == "MIT"


def test_the_project_links_point_at_the_repository_its_docs_and_issues():
    assert PROJECT["urls"] == {"Homepage": REPOSITORY, "Documentation": f"{REPOSITORY}/blob/main/docs",
                               "Source": REPOSITORY, "Issues": f"{REPOSITORY}/issues"}
