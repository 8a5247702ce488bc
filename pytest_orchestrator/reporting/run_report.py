"""A stored run as the values every report shows (``run``, ``recipes``, ``steps``, ``metrics``,
``context``: docs/reports.md), read from the results store only, with paths to the per-step
logs and artifacts made relative to the report."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..analysis.findings import findings
from ..errors import OrchestratorError
from .graph import OUTCOMES, Graph, from_steps
from .step_log import safe_name

if TYPE_CHECKING:
    from ..store import ResultsStore

#: Outcomes that count as a failure of the run, in the statistics and the colours.
FAILED = ("failed", "error")
#: Metrics every step has (they are columns of the steps table): not repeated as metrics.
RESOURCES = ("duration", "cpu", "peak_rss")
IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
          ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp"}
MAX_INLINE_BYTES = 2 * 1024 * 1024


def report_data(store: ResultsStore, run_id: str | None, report: Path) -> dict[str, Any]:
    """Everything a template sees of one run (the latest when ``run_id`` is None); links
    are relative to the folder of ``report``."""
    run = _find_run(store, run_id)
    metrics = store.step_metrics(run["run_id"])
    folders = _Folders(run, store.path, report.resolve().parent)
    steps = [_step(row, metrics.get(row["id"], {}), folders) for row in run["steps"]]
    recipes = _recipes(steps, from_steps(run["steps"]), folders)
    return {
        "run": _run(run, steps, folders),
        "recipes": recipes,
        "steps": steps,
        "metrics": [{"test_id": s["test_id"], "step": s["name"], "name": name, "value": value}
                    for s in steps for name, value in s["metrics"].items()],
        "context": _context(steps),
        "analysis": findings(store, run["run_id"]).as_dict(),
        "outcomes": {k: {"fill": f, "stroke": c, "label": t} for k, (f, c, t)
                     in OUTCOMES.items()},
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def _find_run(store: ResultsStore, run_id: str | None) -> dict[str, Any]:
    if run_id is None:
        latest = store.runs(1)
        if not latest:
            raise OrchestratorError(f"the results store {store.path} holds no run yet",
                                    hint="run pytest on your recipes first")
        run_id = str(latest[0]["run_id"])
    run = store.run(run_id)
    if run is None:
        raise OrchestratorError(f"no run '{run_id}' in {store.path}",
                                hint="`orchestrator runs` lists them")
    return run


class _Folders:
    """Where a run's files are, and how the report links to them."""

    def __init__(self, run: dict[str, Any], db: Path, report_dir: Path) -> None:
        self.rootdir = Path(run.get("rootdir") or db.resolve().parent.parent)
        default = db.resolve().parent / "artifacts" / run["run_id"]  # the default layout
        self.artifacts = Path(run.get("artifacts") or default)
        self.report_dir = report_dir

    def href(self, path: Path) -> str:
        """A link to ``path``: relative to the report when it can be, else a file URL."""
        try:
            return quote(Path(os.path.relpath(path, self.report_dir)).as_posix())
        except ValueError:  # another drive
            return path.resolve().as_uri()

    def log(self, stored: str | None, test_id: str, step: str, row: str) -> Path | None:
        """The step's log file, if it wrote one: where the store says, else where the run
        puts them (``logs/<test_id>/<step>[<row>].log``: a store that did not record it)."""
        name = safe_name(step) + (f"[{safe_name(row)}]" if row else "")
        found = Path(stored) if stored else \
            self.artifacts / "logs" / safe_name(test_id) / f"{name}.log"
        return found if found.is_file() else None

    def picture(self, namespace: str) -> Path | None:
        found = self.artifacts / safe_name(namespace) / "step_sequence.svg"
        return found if found.is_file() else None


def _run(run: dict[str, Any], steps: list[dict[str, Any]], folders: _Folders) -> dict[str, Any]:
    counts = _counts(steps)
    return {
        "run_id": run["run_id"], "status": run["status"], "started": run["started"],
        "ended": run["ended"], "duration": _seconds(run["started"], run["ended"]),
        "host": run["host"], "git_rev": run["git_rev"] or "", "args": run["args"],
        "args_text": " ".join(run["args"]), "rootdir": str(folders.rootdir),
        "artifacts": str(folders.artifacts), "counts": counts, "total": len(steps),
        "passed": counts.get("passed", 0), "failed": sum(counts.get(o, 0) for o in FAILED),
        "skipped": counts.get("skipped", 0), "ok": not any(counts.get(o) for o in FAILED),
    }


def _seconds(started: str | None, ended: str | None) -> float:
    try:
        start, end = (datetime.fromisoformat(str(t).replace("Z", "+00:00"))
                      for t in (started, ended))
    except ValueError:
        return 0.0
    return max(0.0, (end - start).total_seconds())


def _counts(steps: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for step in steps:
        counts[step["outcome"]] = counts.get(step["outcome"], 0) + 1
    return counts


def _step(row: dict[str, Any], metrics: dict[str, float], folders: _Folders) -> dict[str, Any]:
    envelope = row["envelope"] or {}
    base, _, row_id = row["step"].partition("[")
    row_id = row_id.rstrip("]")
    log = folders.log(row.get("log"), row["test_id"], base, row_id)
    return {
        "id": row["id"], "anchor": f"step-{row['id']}", "name": row["step"], "step": base,
        "row": row_id, "test_id": row["test_id"], "namespace": row["namespace"],
        "nodeid": row["nodeid"], "file": row["nodeid"].split("::", 1)[0],
        "outcome": row["outcome"], "attempts": row["attempts"] or 1,
        "cached": bool(row["cache_hit"]), "executor": row["executor"] or "",
        "worker": row["worker"] or "", "duration": row["duration"] or 0.0,
        "cpu": (row["cpu_user"] or 0.0) + (row["cpu_sys"] or 0.0),
        "cpu_user": row["cpu_user"] or 0.0, "cpu_sys": row["cpu_sys"] or 0.0,
        "peak_rss": row["peak_rss"] or 0, "started": row["started"], "ended": row["ended"],
        "exit_code": row["exit_code"] or 0, "envelope": envelope,
        "envelope_json": json.dumps(envelope, indent=2, sort_keys=True) if envelope else "",
        "reason": str(envelope.get("reason", "")) if row["outcome"] != "passed" else "",
        "writes": [{"key": w["key"], "before": _json(w.get("before")),
                    "after": _json(w.get("after"))} for w in row["writes"]],
        "stderr": row["stderr_tail"] or "",
        "metrics": {k: v for k, v in metrics.items() if k not in RESOURCES},
        "artifacts": [_artifact(str(a), folders) for a in envelope.get("artifacts") or []],
        "log": {"path": str(log), "href": folders.href(log)} if log else None,
        "depends_on": row["depends_on"], "rank": row["rank"], "parallel": row["parallel"],
        "finally": row["finally"], "exclusive": row["exclusive"],
    }


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _artifact(name: str, folders: _Folders) -> dict[str, Any]:
    """An artifact the envelope named: inline when it is a small image, else a link."""
    path = Path(folders.rootdir, name)
    kind = IMAGES.get(path.suffix.lower())
    image = None
    if kind and path.is_file() and path.stat().st_size <= MAX_INLINE_BYTES:
        data = path.read_bytes()
        if kind == "image/svg+xml":  # text read from outside the store: masked here
            from ..safety import Redactor

            data = Redactor().text(data.decode("utf-8", "replace")).encode()
        image = f"data:{kind};base64,{base64.b64encode(data).decode()}"
    return {"name": path.name, "path": str(path), "exists": path.is_file(),
            "href": folders.href(path), "image": image}


def _recipes(steps: list[dict[str, Any]], graphs: list[Graph],
             folders: _Folders) -> list[dict[str, Any]]:
    """One entry per recipe row, in the order the run recorded their first step."""
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for step in steps:
        rows.setdefault((step["test_id"], step["row"]), []).append(step)
    by_title = {graph.title: graph for graph in graphs}
    return [_recipe(test_id, row, members, by_title[f"{test_id}[{row}]" if row else test_id],
                    folders) for (test_id, row), members in rows.items()]


def _recipe(test_id: str, row: str, steps: list[dict[str, Any]], graph: Graph,
            folders: _Folders) -> dict[str, Any]:
    from .graph import to_mermaid
    from .graph_svg import to_svg

    counts = _counts(steps)
    level = {node.name: node.level for node in graph.nodes}
    for step in steps:
        step["level"] = level.get(step["step"], 0)
    picture = folders.picture(steps[0]["namespace"])
    return {
        "title": graph.title, "test_id": test_id, "row": row,
        "namespace": steps[0]["namespace"], "file": steps[0]["file"],
        "anchor": "recipe-" + safe_name(graph.title), "steps": steps, "counts": counts,
        "total": len(steps), "passed": counts.get("passed", 0),
        "failed": sum(counts.get(o, 0) for o in FAILED), "skipped": counts.get("skipped", 0),
        "ok": not any(counts.get(o) for o in FAILED),
        "duration": sum(s["duration"] for s in steps), "levels": len(graph.levels),
        "graph": graph, "mermaid": to_mermaid(graph), "svg": to_svg(graph),
        "summary": graph.summary(),
        "picture": {"path": str(picture), "href": folders.href(picture)} if picture else None,
    }


def _context(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each namespace's keys as the run left them: the last value each step committed."""
    found: dict[str, dict[str, Any]] = {}
    for step in steps:
        for write in step["writes"]:
            found.setdefault(step["namespace"], {})[write["key"]] = json.loads(write["after"])
    return found
