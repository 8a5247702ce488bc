"""The folders the orchestrator writes: ``.orchestrator/`` keeps itself out of version control
(as ``.pytest_cache`` does), and a run's artifact folder is removed only where it belongs."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

from .errors import OrchestratorError

#: The name of the folder under the rootdir that holds the results store, artifacts, context.
ORCHESTRATOR_FOLDER = ".orchestrator"

GITIGNORE = "# Created by pytest-orchestrator automatically.\n*\n"
#: The longest folder name made from a recipe's test_id and parametrize row (file systems
#: refuse names over 255 bytes); a longer one is cut and ends with a hash of the whole.
MAX_NAME = 96


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


def folder_name(text: str) -> str:
    """``text`` as one plain folder name: characters other than letters, digits, '-', '_' and
    '.' become '_'; a name that would be only dots, or longer than :data:`MAX_NAME` bytes, is
    cut and followed by a hash of ``text``."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
    if name.strip(".") and len(name.encode("utf-8", "replace")) <= MAX_NAME:
        return name
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12]
    head = name.encode("utf-8", "replace")[:MAX_NAME - 13].decode("utf-8", "ignore")
    return f"{head}-{digest}"


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
