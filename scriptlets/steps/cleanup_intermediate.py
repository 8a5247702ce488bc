"""cleanup_intermediate: remove a run's intermediate files, and nothing outside the project."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import check_params, list_param

DEFAULT_PATTERNS = ("*.tmp", "sanitized.csv")


def allowed_roots() -> list[Path]:
    """The folders cleanup may act in: the current directory and $ORCH_ROOTDIR (when set)."""
    roots = [Path.cwd().resolve()]
    if os.environ.get("ORCH_ROOTDIR"):
        roots.append(Path(os.environ["ORCH_ROOTDIR"]).resolve())
    return roots


def refusal(folder: Path) -> str:
    """Why cleanup must not act in ``folder`` (already resolved); "" when it may."""
    if folder == Path(folder.anchor):
        return f"dir {str(folder)!r} is a filesystem root"
    roots = allowed_roots()
    if not any(folder.is_relative_to(root) for root in roots):
        return (f"dir {str(folder)!r} is outside the project "
                f"({' or '.join(str(r) for r in roots)})")
    return ""


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
                current directory (the rootdir in a pytest run) or $ORCH_ROOTDIR, and is
                never a filesystem root. A folder that does not exist has nothing to remove
                (a warning says so).
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
        problem = refusal(Path(params["dir"]).resolve())
        if problem:
            raise ValueError(f"refusing to clean: {problem}")

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        folder = Path(params["dir"]).resolve()
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
