"""JUnit ``<property>`` values of a step (``--junitxml``), as strings."""

from __future__ import annotations

import os
import socket

from ..executors import StepOutcome

HOST = socket.gethostname()


def where() -> str:
    """``worker@host``: the xdist worker (``main`` without xdist) and host that ran a step."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}@{HOST}"


def junit_properties(outcome: StepOutcome) -> list[tuple[str, str]]:
    usage = outcome.usage
    outputs = sorted({w["key"] for w in outcome.writes if not w["key"].startswith("_runner.")})
    return [("duration", f"{usage.wall:.6f}"), ("cpu", f"{usage.cpu_user + usage.cpu_sys:.6f}"),
            ("peak_rss", str(usage.peak_rss)), ("attempts", str(outcome.attempts)),
            ("cache", "hit" if outcome.cache_hit else "miss"),
            ("executor", outcome.executor), ("outputs", ",".join(outputs)),
            ("worker", os.environ.get("PYTEST_XDIST_WORKER", "main")), ("host", HOST)]
