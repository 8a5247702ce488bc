"""pytest-html extras of a step: its envelope, the context diff, stderr, resources and
artifacts (images inline)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from ..executors import StepOutcome
from ..safety import Redactor
from .junit import where

IMAGES = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".svg": "svg"}
MAX_INLINE_BYTES = 2 * 1024 * 1024


def html_extras(outcome: StepOutcome, redactor: Redactor, rootdir: Path,
                log: Path | None = None, html_path: str = "") -> list[dict[str, Any]]:
    """The extras, as the plain dicts pytest-html's helpers make (execnet-safe); ``log``, the
    step's log file, is linked relative to the report at ``html_path``."""
    from pytest_html import extras

    found = [extras.json(redactor.value(outcome.envelope_dict), name="envelope")]
    diff = [f"{w['key']}: {json.dumps(w['before'])} -> {json.dumps(w['after'])}"
            for w in redactor.value(outcome.writes) if not w["key"].startswith("_runner.")]
    if diff:
        found.append(extras.text("\n".join(diff), name="context diff"))
    if outcome.stderr.strip():
        found.append(extras.text(redactor.text(outcome.stderr), name="stderr"))
    usage = outcome.usage
    found.append(extras.text(
        f"wall {usage.wall:.3f}s  cpu user {usage.cpu_user:.3f}s sys {usage.cpu_sys:.3f}s  "
        f"peak rss {usage.peak_rss / 1e6:.1f} MB  attempts {outcome.attempts}  "
        f"executor {outcome.executor}  cache {'hit' if outcome.cache_hit else 'miss'}  "
        f"worker {where()}",
        name="resources"))
    if log is not None:
        found.append(extras.url(_link(log, html_path), name="step log"))
    for artifact in outcome.envelope.artifacts if outcome.envelope else []:
        found.append(_artifact(Path(rootdir, artifact), extras))
    return found


def _link(path: Path, html_path: str) -> str:
    """``path`` relative to the report's folder (the report and the run's artifacts move
    together), or a file URL where no relative path exists."""
    try:
        return Path(os.path.relpath(path, Path(html_path).resolve().parent)).as_posix()
    except ValueError:  # another drive
        return path.resolve().as_uri()


def _artifact(path: Path, extras: Any) -> dict[str, Any]:
    """An image inline (base64, as pytest-html wants it, in an ``<img>``: an SVG's scripts do
    not run), anything else as its path; one that cannot be embedded says why, never fails."""
    kind = IMAGES.get(path.suffix.lower())
    why = ""
    if kind:
        try:
            data = path.read_bytes() if path.stat().st_size <= MAX_INLINE_BYTES else None
            if data is None:
                why = f"over {MAX_INLINE_BYTES // (1024 * 1024)} MiB"
            elif kind == "svg" and not _utf8(data):
                why = "not a UTF-8 SVG"
            else:
                content = base64.b64encode(data).decode()
                return getattr(extras, kind)(content, name=path.name)  # type: ignore[no-any-return]
        except (OSError, ValueError) as exc:  # gone, unreadable, a name no file can have
            why = getattr(exc, "strerror", None) or str(exc)
    note = f" (not embedded: {why})" if why else ""
    return extras.text(f"{path}{note}", name=f"artifact {path.name}")  # type: ignore[no-any-return]


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
