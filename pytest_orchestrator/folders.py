"""The folders the orchestrator writes: ``.orchestrator/`` keeps itself out of version control
(as ``.pytest_cache`` does), and a run's artifact folder is removed only where it belongs."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from .errors import OrchestratorError

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


def run_folders(artifacts: Path, run_ids: Iterable[str]) -> list[Path]:
    """The existing artifact folders ``<artifacts>/<run_id>`` of these runs. A run id that is
    not a plain folder name (``..``, a slash) names no folder: nothing outside ``artifacts``."""
    folders = []
    for run_id in run_ids:
        if run_id in ("", ".", "..") or Path(run_id).name != run_id or "\\" in run_id:
            continue
        folder = Path(artifacts, run_id)
        if folder.is_dir() or folder.is_symlink():
            folders.append(folder)
    return folders


def remove_folders(folders: Iterable[Path]) -> None:
    """Remove runs' artifact folders; a symlink is unlinked, never followed."""
    for folder in folders:
        try:
            if folder.is_symlink():
                folder.unlink()
            else:
                shutil.rmtree(folder)
        except OSError as exc:
            raise OrchestratorError(f"cannot remove an artifact folder: {exc}", where=str(folder),
                                    hint="its run is gone from the results store; remove the "
                                         "folder by hand") from None
