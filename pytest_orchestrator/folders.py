"""The folders the orchestrator writes: ``.orchestrator/`` keeps itself out of version control,
as ``.pytest_cache`` does."""

from __future__ import annotations

from pathlib import Path

#: The name of the folder under the rootdir that holds the results store, artifacts, context.
ORCHESTRATOR_FOLDER = ".orchestrator"

GITIGNORE = "# Created by pytest-orchestrator automatically.\n*\n"


def make_folder(path: Path) -> Path:
    """Create ``path`` and its missing parents; each ``.orchestrator`` folder created here gets
    a ``.gitignore`` that ignores everything in it. An existing folder is left as it is."""
    path = Path(path)
    created = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in created:
        if folder.name == ORCHESTRATOR_FOLDER:
            (folder / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return path
