"""cleanup_intermediate: remove a run's intermediate files, and nothing outside the project."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.safety import project_path, project_roots
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import check_params, list_param

DEFAULT_PATTERNS = ("*.tmp", "sanitized.csv")


def target(folder: str) -> Path:
    """The folder to clean, resolved (a relative ``dir`` is from the project root, whatever the
    current directory); ValueError when it is a filesystem root or lies outside the project
    and this run's artifact folder (:func:`pytest_orchestrator.safety.project_roots`)."""
    resolved = Path(project_roots()[0], folder).resolve()
    if resolved == Path(resolved.anchor):
        raise ValueError(f"refusing to clean: dir {str(resolved)!r} is a filesystem root")
    try:
        return project_path(folder, "dir")
    except ValueError as exc:
        raise ValueError(f"refusing to clean: {exc}") from None


def remove_matching(folder: Path, patterns: list[str]) -> list[str]:
    """Delete the files (and links) under ``folder`` that match a pattern; return their paths
    relative to ``folder``, sorted. Folders are never removed, and a match that resolves
    outside ``folder`` is left alone."""
    removed = set()
    for pattern in patterns:
        for path in folder.glob(pattern):
            inside = path.parent.resolve().is_relative_to(folder)
            if inside and (path.is_symlink() or path.is_file()):
                path.unlink()
                removed.add(path.relative_to(folder).as_posix())
    return sorted(removed)


class CleanupIntermediate(BaseScriptlet):
    """Remove the intermediate files of a run; a second run removes nothing.

    Params:
      dir       the folder to clean (required), e.g. ``${ARTIFACTS}``; it must be inside the
                project ($ORCH_ROOTDIR, which the runner sets for every step, whatever the
                current directory; the current directory when run on its own) or this run's
                artifact folder ($ORCH_ARTIFACTS), and is never a filesystem root; a relative
                dir is from the project root. A folder that does not exist has nothing to
                remove (a warning says so).
      patterns  globs relative to ``dir`` (default ["*.tmp", "sanitized.csv"]); ``**/*.tmp``
                reaches into subfolders; absolute patterns and ``..`` are refused.
    Input: none.
    Outputs: cleanup.removed_v1 = the removed files' paths relative to ``dir``, sorted
    ([] when there was nothing left to remove).
    Exit codes: 0 ok; 1 a refused ``dir`` or pattern (nothing is removed).
    """

    parallelizable = False  # it deletes what other steps may be reading

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("dir", "patterns"))
        if not isinstance(params.get("dir"), str) or not params["dir"]:
            raise ValueError("dir is required: the folder to clean, e.g. ${ARTIFACTS}")
        for pattern in list_param(params, "patterns", str, DEFAULT_PATTERNS, "globs"):
            if not pattern or os.path.isabs(pattern) or ".." in Path(pattern).parts:
                raise ValueError(f"pattern {pattern!r} must be a glob relative to dir")
        target(params["dir"])

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        folder = target(params["dir"])
        patterns = list(params.get("patterns", DEFAULT_PATTERNS))
        removed = remove_matching(folder, patterns) if folder.is_dir() else []
        missing = [] if folder.is_dir() else [f"dir {str(folder)!r} does not exist"]
        ctx.set("cleanup.removed_v1", removed)
        print(f"cleanup_intermediate: removed {len(removed)} files from {folder}",
              file=sys.stderr)
        return self.emit_ok(["cleanup.removed_v1"], metrics={"removed": len(removed)},
                            warnings=missing)


if __name__ == "__main__":
    raise SystemExit(CleanupIntermediate.main())
