"""The live dashboard as a user meets it: a real pytest run whose step waits for a file (an
event, never a timing), the results store it writes, the dashboard reading it read-only, and a
headless Chromium on the served page seeing the step go from waiting to running to passed."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import QUIET_PLUGINS, Project, step, stop
from pytest_orchestrator.dashboard.reading import LiveStore

WAITING = '''
import os
import time
from pytest_orchestrator import BaseScriptlet


class WaitForFile(BaseScriptlet):
    """Waits until params['path'] exists (at most 300 s), then reports params['value']."""

    def run(self, ctx, params):
        deadline = time.monotonic() + 300
        while not os.path.exists(params["path"]):
            if time.monotonic() > deadline:
                return self.emit_error("the release file never came")
            time.sleep(0.05)
        return self.emit_ok([], metrics={"throughput": params.get("value", 1.0)})
'''
#: The deadline of everything awaited here: generous, the machine is busy.
DEADLINE = 180.0
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def held_recipe(project: Project, release: Path, value: float = 1.0) -> None:
    """``hold`` waits for the file ``release``; ``after`` depends on it."""
    project.write("steps/waiting.py", WAITING)
    project.recipe("live", "test_meta: {test_id: LIVE-1}\nsteps:\n"
                   "  - name: hold\n    module: steps.waiting\n    function: WaitForFile\n"
                   f"    args: {{path: {str(release)!r}, value: {value}}}\n"
                   + step("after", depends_on=["hold"]))


@contextmanager
def running(argv: list[str], cwd: Path, **popen: object) -> Iterator[subprocess.Popen[str]]:
    """A process of ours for the length of the block, then stopped (killed if it lingers)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORCH_", "PYTEST_"))}
    with subprocess.Popen(argv, cwd=cwd, env=env, text=True,  # type: ignore[call-overload]
                          **popen) as proc:
        try:
            yield proc
        finally:
            stop(proc, grace=30)


def pytest_run(project: Project, *args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", *QUIET_PLUGINS, "-p", "no:randomly",
            "-p", "no:cacheprovider", *args]


def until(condition: Callable[[], object], what: str, proc: subprocess.Popen[str] | None = None,
          deadline: float = DEADLINE) -> object:
    """Poll ``condition`` until it holds; fail naming ``what`` when the deadline passes or
    the process we wait on ends first."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = condition()
        if found:
            return found
        if proc is not None and proc.poll() is not None and not condition():
            pytest.fail(f"the run ended (exit {proc.returncode}) before {what}")
        time.sleep(0.1)
    pytest.fail(f"not within {deadline:.0f} s: {what}")


def statuses(store: LiveStore) -> dict[str, str]:
    shot = store.snapshot()
    return {s["step"]: s["status"] for recipe in shot.recipes for s in recipe.steps}


def test_the_store_tells_a_running_step_from_a_waiting_one_and_then_the_outcome(project):
    release = project.root / "release"
    held_recipe(project, release)
    store = LiveStore(project.root / ".orchestrator" / "results.db")
    with running(pytest_run(project, "recipes/live.yaml"), project.root) as run:
        until(lambda: statuses(store) == {"hold": "running", "after": "waiting"},
              "hold running and after waiting", run)
        shot = store.snapshot()
        assert shot.run is not None and shot.run["status"] == "running"
        assert shot.recipes[0].title == "LIVE-1"
        assert shot.recipes[0].counts == {"done": 0, "running": 1, "waiting": 1, "failed": 0}
        release.touch()
        assert run.wait(timeout=DEADLINE) == 0
    assert statuses(store) == {"hold": "passed", "after": "passed"}
    assert store.snapshot().recipes[0].counts["done"] == 2


def test_the_plan_of_a_session_under_xdist_is_recorded_by_the_controller(project):
    project.recipe("fan", "test_meta: {test_id: FAN-1}\nsteps:\n" + step("load")
                   + step("left", parallel=True) + step("right", parallel=True)
                   + step("join"))
    with running(pytest_run(project, "-n", "2"), project.root) as run:
        assert run.wait(timeout=DEADLINE) == 0
    db = sqlite3.connect(project.root / ".orchestrator" / "results.db")
    planned = db.execute("SELECT step, depends_on, rank, parallel, started IS NOT NULL "
                         "FROM planned ORDER BY rank").fetchall()
    assert planned == [("load", "[]", 0, 0, 1), ("left", '["load"]', 1, 1, 1),
                       ("right", '["load"]', 2, 1, 1), ("join", '["left", "right"]', 3, 0, 1)]
    assert [(s.get("step"), s["status"]) for s in LiveStore(
        project.root / ".orchestrator" / "results.db").snapshot().recipes[0].steps] == [
        ("load", "passed"), ("left", "passed"), ("right", "passed"), ("join", "passed")]


def test_reading_the_store_changes_nothing_and_a_missing_store_is_not_created(project):
    project.recipe("one", "test_meta: {test_id: ONE-1}\nsteps:\n" + step("only"))
    project.run().assert_outcomes(passed=1)
    db = project.root / ".orchestrator" / "results.db"

    def digest() -> str:
        return hashlib.sha256(db.read_bytes()).hexdigest()

    before = digest()
    store = LiveStore(db)
    assert store.snapshot().run is not None and store.metrics()
    assert digest() == before
    missing = project.root / "elsewhere" / "results.db"
    assert LiveStore(missing).snapshot().runs == [] and LiveStore(missing).metrics() == []
    assert not missing.parent.exists()


def test_a_metric_trend_carries_the_regression_flags_the_analysis_recorded(project):
    release = project.root / "release"
    release.touch()
    for value in (10.0, 10.5, 30.0):
        held_recipe(project, release, value)
        project.run().assert_outcomes(passed=2)
    db = project.root / ".orchestrator" / "results.db"
    store = LiveStore(db)
    assert [p["value"] for p in store.trend("throughput", "LIVE-1", "hold")] == [10.0, 10.5, 30.0]
    assert all(p["flag"] is None for p in store.trend("throughput", "LIVE-1", "hold"))
    with sqlite3.connect(db) as conn:  # a flag as the analysis records it (docs/stores.md)
        run_id, step_id = conn.execute("SELECT run_id, step_id FROM metrics WHERE name = "
                                       "'throughput' ORDER BY id DESC").fetchone()
        conn.execute("INSERT INTO flags (run_id, step_id, test_id, step, row, metric, value, "
                     "baseline, mad, change_pct, z, better, runs, note) VALUES (?, ?, 'LIVE-1', "
                     "'hold', '', 'throughput', 30.0, 10.25, 0.25, 192.7, 54.0, 'lower', 2, "
                     "'slower')", (run_id, step_id))
    flagged = [p["flag"]["note"] if p["flag"] else None
               for p in store.trend("throughput", "LIVE-1", "hold")]
    assert flagged == [None, None, "slower"]
    assert [f["metric"] for f in store.snapshot().flags] == ["throughput"]
    from pytest_orchestrator.dashboard.views import trend_figure

    figure = trend_figure(store.trend("throughput", "LIVE-1", "hold"), "throughput")
    assert [trace["name"] for trace in figure["data"]] == ["throughput", "regression"]
    assert figure["data"][1]["y"] == [30.0]


def test_the_dashboard_listens_on_loopback_unless_told_otherwise(cli):
    done = cli("dashboard", "--host", "0.0.0.0", code=2)
    assert done.stderr.splitlines() == [
        "orchestrator: --host 0.0.0.0 would let other machines reach the results",
        "hint: pass --allow-remote as well to listen there, or keep the default 127.0.0.1"]


@contextmanager
def dashboard(root: Path) -> Iterator[str]:
    """``orchestrator dashboard`` on a free loopback port in a process of its own: its URL."""
    argv = [sys.executable, "-m", "pytest_orchestrator", "dashboard", "--port", "0",
            "--refresh", "1"]
    with running(argv, root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("dashboard: http://127.0.0.1:"), first + proc.stdout.read()
        yield first.split()[1]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    """Debian's headless Chromium through its chromedriver (selenium)."""
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.skip("chromium and chromedriver are not installed "
                    "(apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                                                 "(pip install -e '.[dev]')")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1600",
                 f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(DEADLINE)
    try:
        yield driver
    finally:
        driver.quit()


def shown(driver: object, selector: str, attribute: str | None = None) -> str | None:
    """The text (or ``attribute``) of the first element the page shows for a CSS selector;
    None while it shows none."""
    from selenium.common.exceptions import WebDriverException

    try:
        found = driver.find_elements("css selector", selector)  # type: ignore[attr-defined]
        if not found:
            return None
        return str(found[0].get_attribute(attribute) if attribute else found[0].text)
    except WebDriverException:  # redrawn by a refresh while we read it
        return None


def dag_of(driver: object, recipe: str) -> str:
    """The SVG of the DAG picture the page shows for ``recipe`` ("" while none)."""
    src = shown(driver, f'[data-recipe="{recipe}"] img.dag', "src") or ""
    prefix = "data:image/svg+xml;base64,"
    return base64.b64decode(src[len(prefix):]).decode() if src.startswith(prefix) else ""


def shown_status(driver: object, name: str) -> str | None:
    """The status the page's steps table shows for step ``name``."""
    return shown(driver, f'#steps-table tr[data-step="{name}"]', "data-status")


@pytest.mark.skipif(shutil.which("chromium") is None and not CHROMIUM.is_file(),
                    reason="chromium is not installed (apt-get install chromium chromium-driver)")
def test_a_browser_sees_a_step_go_from_waiting_to_running_to_passed(project, browser):
    release = project.root / "release"
    held_recipe(project, release)
    with dashboard(project.root) as url, \
            running(pytest_run(project, "recipes/live.yaml"), project.root) as run:
        browser.get(url)  # type: ignore[attr-defined]
        until(lambda: (shown_status(browser, "hold"), shown_status(browser, "after"))
              == ("running", "waiting"), "the page showing hold running, after waiting", run)
        until(lambda: shown(browser, '[data-recipe="LIVE-1"] [data-group="running"]')
              == "1 running", "the progress of LIVE-1 counting one step running")
        until(lambda: 'data-step="hold" data-outcome="running"' in dag_of(browser, "LIVE-1"),
              "the DAG of LIVE-1 drawing hold as running")
        release.touch()
        until(lambda: (shown_status(browser, "hold"), shown_status(browser, "after"))
              == ("passed", "passed"), "the page showing both steps passed")
        assert run.wait(timeout=DEADLINE) == 0
        until(lambda: shown(browser, '[data-recipe="LIVE-1"] [data-group="done"]') == "2 done",
              "the progress of LIVE-1 counting two steps done")
        until(lambda: 'data-step="after" data-outcome="passed"' in dag_of(browser, "LIVE-1"),
              "the DAG of LIVE-1 drawing after as passed")
