"""What the controller writes once a run is recorded: each recipe row's DAG picture
``<run artifacts>/<namespace>/step_sequence.svg``, coloured by outcome, and with
``--orch-report PATH`` our HTML run report. Both read the results store, never the session."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .graph import from_steps
from .step_log import safe_name

if TYPE_CHECKING:
    from ..store import ResultsStore

PICTURE = "step_sequence.svg"
#: A recipe row with more steps gets no picture after each run: nobody reads a DAG that many
#: boxes tall, and it would cost each run a second and megabytes (``orchestrator graph`` and
#: the reports still draw it when asked).
MAX_PICTURE_STEPS = 500


def write_pictures(store: ResultsStore, run_id: str) -> list[Path]:
    """The DAG picture of every recipe row the run recorded (up to
    :data:`MAX_PICTURE_STEPS` steps), in its row's artifact folder (a second recipe sharing a
    namespace gets ``step_sequence_<test_id>.svg`` beside it)."""
    from .graph_svg import svg_lines

    artifacts, steps = _outline(store, run_id)
    sizes = Counter((s["test_id"], s["namespace"]) for s in steps)
    steps = [s for s in steps if sizes[s["test_id"], s["namespace"]] <= MAX_PICTURE_STEPS]
    if not steps or not artifacts:
        return []
    graphs = from_steps(steps)
    del steps  # drawn from the graphs now: the rows' dicts need not outlive them
    written: list[Path] = []
    for graph in graphs:
        folder = Path(artifacts, safe_name(graph.namespace or graph.title))
        path = folder / PICTURE
        if path in written:
            path = folder / f"step_sequence_{safe_name(graph.title)}.svg"
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:  # a line at a time: 7 MB at 10,000 steps
            out.writelines(svg_lines(graph))
        written.append(path)
    return written


def _outline(store: ResultsStore, run_id: str) -> tuple[str, list[dict[str, Any]]]:
    """A run's artifact folder and what a DAG picture shows of its steps (their names, rows,
    outcomes and places in the DAG), in recording order: read without sqlite-utils and
    without the JSON of envelopes and writes, so the pictures at the end of a large run cost
    little memory."""
    found = store.conn.execute("SELECT artifacts FROM runs WHERE run_id = ?",
                               (run_id,)).fetchone()
    flags = ("cache_hit", "parallel", "finally", "exclusive")
    columns = ("step", "test_id", "namespace", "outcome", "duration", "attempts",
               "depends_on", "rank", *flags)
    rows = store.conn.execute(f"SELECT {', '.join(columns)} FROM steps WHERE run_id = ? "
                              "ORDER BY id", (run_id,))
    steps = [dict(zip(columns, row, strict=True)) for row in rows]
    for step in steps:
        step.update({k: bool(step[k]) for k in flags}, rank=step["rank"] or 0,
                    depends_on=json.loads(step["depends_on"] or "[]"))
    return (found[0] or "") if found else "", steps


def write_run_report(store: ResultsStore, run_id: str, path: Path) -> Path:
    from .documents import write_report

    return write_report(store, path, fmt="html", run_id=run_id)
