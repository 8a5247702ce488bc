"""The folders the plugin creates under a project: ``.orchestrator/`` keeps itself out of git."""

from __future__ import annotations

from pathlib import Path

STATE_FOLDER = ".orchestrator"
GITIGNORE = "# Created by pytest-orchestrator automatically.\n*\n"


def make_folder(path: Path) -> Path:
    """Create ``path`` with its parents; a ``.orchestrator`` folder created here gets a
    ``.gitignore`` that ignores everything in it, as ``.pytest_cache`` does."""
    path = Path(path)
    created = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in created:
        if folder.name == STATE_FOLDER:
            (folder / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return path
