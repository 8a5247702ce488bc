"""Make docs/images/dashboard.png: the live dashboard in the middle of a run of recipe 09.

Not run in CI. Needs the dashboard extra, selenium, and Debian's chromium and chromedriver.
In a copy of the curriculum it runs recipe 09 six times, quickly, on numbers that drift from
run to run (so the metric trends have a story), then once more under ``-n 2`` with long pauses,
and takes the picture while two samples run and two wait::

    python docs/make_dashboard_screenshot.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "images" / "dashboard.png"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:dash",
          "-p", "no:cacheprovider"]
NUMBERS = [4, 8, 15, 16, 23, 42, 7, 9, 10.5, 12, 3, 20]


def curriculum_copy(where: Path) -> Path:
    shutil.copytree(ROOT / "scriptlets", where / "scriptlets",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (where / "recipes" / "data").mkdir(parents=True, exist_ok=True)
    (where / "pytest.ini").write_text("[pytest]\n")
    return where


def set_pause(project: Path, pause: float) -> None:
    """Recipe 09 with every sample pausing ``pause`` seconds."""
    recipe = (ROOT / "recipes" / "09_dashboard.yaml").read_text(encoding="utf-8")
    (project / "recipes" / "09_dashboard.yaml").write_text(
        recipe.replace("pause_sec: 0.4", f"pause_sec: {pause}"), encoding="utf-8")


def drifting_runs(project: Path, runs: int = 6) -> None:
    for run in range(runs):
        values = [round(n * (1 + 0.04 * run) + (run % 2), 2) for n in NUMBERS]
        (project / "recipes" / "data" / "numbers.csv").write_text(
            "value\n" + "\n".join(map(str, values)) + "\n")
        subprocess.run([*PYTEST, "recipes/09_dashboard.yaml"], cwd=project, check=True,
                       capture_output=True)


def main() -> int:
    from selenium import webdriver

    sys.path.insert(0, str(ROOT))
    from pytest_orchestrator.dashboard.reading import LiveStore

    with tempfile.TemporaryDirectory(prefix="orch-dashboard-shot-") as tmp:
        fast = curriculum_copy(Path(tmp))
        set_pause(fast, 0)
        drifting_runs(fast)
        set_pause(fast, 8)
        store = LiveStore(fast / ".orchestrator" / "results.db")
        dashboard = subprocess.Popen([sys.executable, "-m", "pytest_orchestrator", "dashboard",
                                      "--port", "0", "--refresh", "1"], cwd=fast,
                                     stdout=subprocess.PIPE, text=True)
        run = subprocess.Popen([*PYTEST, "-n", "2", "recipes/09_dashboard.yaml"], cwd=fast,
                               stdout=subprocess.DEVNULL)
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--window-size=1280,2200", "--hide-scrollbars",
                     f"--user-data-dir={Path(tmp, 'chromium')}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(
            executable_path="/usr/bin/chromedriver"))
        try:
            assert dashboard.stdout is not None
            driver.get(dashboard.stdout.readline().split()[1])
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                shot = store.snapshot()
                if shot.recipes and shot.run and shot.run["status"] == "running" and \
                        shot.recipes[0].counts["running"] == 2:
                    break
                time.sleep(0.2)
            time.sleep(2.5)  # two refreshes of the page: it shows what the store holds
            driver.save_screenshot(str(TARGET))
        finally:
            driver.quit()
            run.wait(timeout=120)
            dashboard.terminate()
            dashboard.wait(timeout=30)
    print(TARGET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
