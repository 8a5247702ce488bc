"""The Dash app of ``orchestrator dashboard``: the page, refreshed every few seconds from the
results store (read only), and the WSGI server (waitress) that serves it."""

from __future__ import annotations

import hashlib
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

#: The run picker's value that follows the newest run.
LATEST = "latest"
#: The trends are read once every this many refreshes.
TREND_EVERY = 5


def create_app(db: Path, refresh: float = 2.0) -> Any:
    """The Dash app reading the results store ``db``, refreshed every ``refresh`` seconds."""
    from dash import Dash, Input, Output, State, dcc, html
    from dash.exceptions import PreventUpdate

    from . import views
    from .reading import LiveStore

    store = LiveStore(db)
    app = Dash(__name__, title="pytest-orchestrator: live", update_title="",
               assets_folder=str(Path(__file__).with_name("assets")))
    app.layout = html.Div([
        html.Header([html.H1("pytest-orchestrator · live"),
                     html.Span(f"results store {db} (read only)", className="quiet"),
                     html.Span(id="refreshed", className="quiet")]),
        html.Section([html.H2("runs"),
                      html.Div([html.Label("show", htmlFor="run"),
                                dcc.Dropdown(id="run", value=LATEST, clearable=False,
                                             options=[{"label": "the newest run",
                                                       "value": LATEST}])],
                               className="picker"),
                      html.Div(id="runs")]),
        html.Section([html.H2("progress"), html.Div(id="progress", className="cards")]),
        html.Section([html.H2("steps"), html.Div(id="steps")]),
        html.Section([html.H2("step durations"), dcc.Graph(id="durations",
                                                           config={"displaylogo": False})]),
        html.Section([html.H2("metric trends"),
                      dcc.Dropdown(id="metric", placeholder="a metric of a step"),
                      dcc.Graph(id="trend", config={"displaylogo": False}),
                      html.Div(id="flags")]),
        dcc.Interval(id="tick", interval=int(refresh * 1000)), dcc.Store(id="seen"),
        # trends move from run to run: read them less often than a run's progress
        dcc.Interval(id="slow-tick", interval=int(refresh * TREND_EVERY * 1000)),
        dcc.Store(id="trend-seen"),
    ], className="page")

    @app.callback(Output("run", "options"), Output("runs", "children"),
                  Output("progress", "children"), Output("steps", "children"),
                  Output("durations", "figure"), Output("flags", "children"),
                  Output("refreshed", "children"), Output("seen", "data"),
                  Input("tick", "n_intervals"), Input("run", "value"), State("seen", "data"))
    def refresh_run(_: int | None, chosen: str, seen: str | None) -> tuple[Any, ...]:
        shot = store.snapshot(None if chosen == LATEST else chosen)
        now = fingerprint(shot, chosen)
        if now == seen:
            raise PreventUpdate  # nothing new: no redrawing in the browser either
        shown = shot.run["run_id"] if shot.run else None
        options = [{"label": f"the newest run{f' ({shown})' if shown else ''}",
                    "value": LATEST}] + [{"label": f"{r['run_id']} ({r['status']})",
                                          "value": r["run_id"]} for r in shot.runs]
        empty = html.P(_nothing_yet(db, shot.run is None), className="quiet", id="empty")
        return (options, views.runs_table(shot.runs, shown),
                views.progress_cards(shot.recipes) or empty, views.steps_table(shot.recipes),
                views.durations_figure(shot.recipes), views.flags_table(shot.flags),
                f"last change seen at {datetime.now():%H:%M:%S}", now)

    @app.callback(Output("metric", "options"), Output("metric", "value"),
                  Output("trend", "figure"), Output("trend-seen", "data"),
                  Input("slow-tick", "n_intervals"), Input("metric", "value"),
                  State("trend-seen", "data"))
    def refresh_trend(_: int | None, metric: str | None, seen: str | None) -> tuple[Any, ...]:
        found = {_metric_key(m): m for m in store.metrics()}
        options = [{"label": f"{m['test_id']} · {m['step']} · {m['name']} ({m['count']})",
                    "value": key} for key, m in found.items()]
        metric = metric if metric in found else _first_metric(found)
        chosen = found.get(metric or "")
        points = store.trend(chosen["name"], chosen["test_id"], chosen["step"]) \
            if chosen else []
        now = fingerprint((options, points), metric or "")
        if now == seen:
            raise PreventUpdate
        label = f"{chosen['test_id']} · {chosen['step']} · {chosen['name']}" if chosen else ""
        return options, metric, views.trend_figure(points, label), now

    return app


def fingerprint(shot: Any, chosen: str) -> str:
    """What a snapshot shows, in a few bytes: equal when a refresh would redraw the same."""
    return hashlib.blake2b(repr((chosen, shot)).encode(), digest_size=16).hexdigest()


def _metric_key(metric: dict[str, Any]) -> str:
    return "\t".join((metric["test_id"], metric["step"], metric["name"]))


def _first_metric(found: dict[str, dict[str, Any]]) -> str | None:
    """The metric shown first: one a scriptlet reported (not the runner's own) that moved
    most often, with the most values; else any."""
    runner = ("duration", "cpu", "peak_rss")
    ranked = sorted(found, key=lambda key: (found[key]["name"] in runner,
                                            -found[key]["distinct_values"], -found[key]["count"]))
    return ranked[0] if ranked else None


def _nothing_yet(db: Path, no_run: bool) -> str:
    if not db.is_file():
        return f"No results store at {db} yet: run pytest on a recipe, this page follows it."
    return "No run recorded yet." if no_run else "This run has no step yet."


def serve(db: Path, host: str = "127.0.0.1", port: int = 8050, *, refresh: float = 2.0,
          allow_remote: bool = False) -> None:
    """Serve the dashboard until interrupted; the first line printed is its address."""
    from ..server.access import check_bind

    check_bind(host, allow_remote, exposes="the results", risk="")
    from waitress import create_server

    # a page waiting for a busy machine is no news to print
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = create_server(create_app(db, refresh).server, host=host, port=port, threads=4)
    where = f"[{host}]" if ":" in host else host
    print(f"dashboard: http://{where}:{server.effective_port}/ (reading {db}; Ctrl-C stops "
          "it)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        sys.stdout.flush()
