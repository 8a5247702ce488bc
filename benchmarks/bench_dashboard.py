"""A recipe run with the live dashboard open in a browser against the same run with none: the
dashboard reads the results store while the run writes it, and must not slow it."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import Pair, Side, benchmark, pytest_side
from projects import step_names, write_recipe_project

COUNT = 300
#: Seconds between the page showing the store and the timed run: two refreshes of the page.
SETTLE = 5.0
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@benchmark("dashboard_open", goal=1.05, items=COUNT,
           what=f"run a {COUNT}-step recipe (results store on) with `orchestrator dashboard` "
                "open in headless Chromium (refresh every 2 s) vs the same run with no dashboard")
def dashboard_open(root: Path) -> Pair:
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        raise RuntimeError("needs /usr/bin/chromium and /usr/bin/chromedriver "
                           "(apt-get install chromium chromium-driver)")
    project = write_recipe_project(root / "recipe", step_names(COUNT))
    run = pytest_side(project, "recipes/chain.yaml", expect=f"{COUNT} passed", ours=True)
    return Pair(baseline=run, ours=_watched(project, run))


@benchmark("dashboard_reader", goal=1.05, items=COUNT,
           what=f"run a {COUNT}-step recipe (results store on) while a process reads the store "
                "as the dashboard does (LiveStore.snapshot) every 0.5 s, 4 times the page's "
                "rate, vs the same run with no reader: the store's locks, without the drawing")
def dashboard_reader(root: Path) -> Pair:
    project = write_recipe_project(root / "recipe", step_names(COUNT))
    run = pytest_side(project, "recipes/chain.yaml", expect=f"{COUNT} passed", ours=True)

    def side() -> float:
        with subprocess.Popen([sys.executable, "-c", READER], cwd=project) as reader:
            try:
                return run()
            finally:
                reader.terminate()
                reader.wait(timeout=30)
    return Pair(baseline=run, ours=side)


READER = """
import time
from pathlib import Path
from pytest_orchestrator.dashboard.reading import LiveStore
store = LiveStore(Path(".orchestrator/results.db"))
while True:
    store.snapshot()
    time.sleep(0.5)
"""


def _watched(project: Path, run: Side) -> Side:
    """``run`` timed while the dashboard, started before and stopped after the timing, shows
    the store in a browser that has drawn it once already."""
    def side() -> float:
        with _dashboard(project) as url, _browser(url):
            return run()
    return side


@contextmanager
def _dashboard(project: Path) -> Iterator[str]:
    argv = [sys.executable, "-m", "pytest_orchestrator", "dashboard", "--port", "0"]
    with subprocess.Popen(argv, cwd=project, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.startswith("dashboard: http://"):
                raise RuntimeError(f"the dashboard did not start: {line!r}")
            yield line.split()[1]
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@contextmanager
def _browser(url: str) -> Iterator[Any]:
    from selenium import webdriver

    with tempfile.TemporaryDirectory(prefix="orch-bench-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--window-size=1280,1600", f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(
            executable_path=str(CHROMEDRIVER)))
        try:
            driver.get(url)
            _until_drawn(driver)
            time.sleep(SETTLE)  # the page's first drawing done: the run meets a page at rest
            yield driver
        finally:
            driver.quit()


def _until_drawn(driver: Any, deadline: float = 120.0) -> None:
    """Wait until the page shows the steps table with the store's rows."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if driver.find_elements("css selector", "#steps-table tr[data-step]"):
            return
        time.sleep(0.2)
    raise RuntimeError("the dashboard page never showed the steps")
