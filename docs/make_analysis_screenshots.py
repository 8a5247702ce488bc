"""Makes the analysis pictures in docs/images/ (not run in CI): a throughput recipe run six times
steady and once at half speed in a temporary folder, then

* docs/images/run-report-regression.png  the top of our HTML run report: the summary and the
  Regressions card with its trend charts (headless Chromium)
* docs/images/trend.png                  ``orchestrator trend mean_mbps --png``

Needs chromium on the PATH and matplotlib (the report extra):
``python docs/make_analysis_screenshots.py [--keep DIR]``."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
MEASURE = r"""#!/bin/sh
# NAME: iperf_mean  DESC: the mean throughput of a (simulated) iperf run, from $MBPS
printf '{"status":"ok","outputs":["net.throughput_v1"],"metrics":{"mean_mbps":%s},' "$MBPS"
printf '"set":{"net.throughput_v1":{"mean":%s,"unit":"Mbit/s"}}}\n' "$MBPS"
"""
RECIPE = """test_meta: {test_id: NET-301, description: Uplink throughput leaf1 -> spine1}
steps:
  - name: iperf_uplink
    type: exec
    script: scripts/iperf_mean.sh
    args: {mbps: "${env:MBPS}"}
    metrics:
      mean_mbps: {better: higher}
      net.throughput_v1.mean: {better: higher, tolerance: 10%}
"""
SPEEDS = (941.2, 938.7, 943.0, 940.1, 939.4, 942.3, 470.8)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the project in DIR and keep it")
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        print("chromium is not on the PATH", file=sys.stderr)
        return 1
    work = args.keep or Path(tempfile.mkdtemp(prefix="orch-analysis-shots-"))
    project = work / "lab"
    shutil.rmtree(project, ignore_errors=True)
    (project / "recipes").mkdir(parents=True)
    (project / "scripts").mkdir()
    script = project / "scripts" / "iperf_mean.sh"
    script.write_text(MEASURE, encoding="utf-8")
    script.chmod(0o755)
    (project / "recipes" / "net.yaml").write_text(RECIPE, encoding="utf-8")
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    for speed in SPEEDS:
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "recipes"],
                       cwd=project, check=True, capture_output=True,
                       env={**os.environ, "MBPS": str(speed)})
    orchestrator(project, "report", "-o", "report.html")
    orchestrator(project, "trend", "mean_mbps", "--png", str(IMAGES / "trend.png"))
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["chromium", "--headless", *FLAGS, f"--user-data-dir={profile}",
                        f"--screenshot={IMAGES / 'run-report-regression.png'}",
                        "--window-size=1280,980", (project / "report.html").as_uri()],
                       check=True, capture_output=True, timeout=120)
    print(f"project in {project}; pictures in {IMAGES}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def orchestrator(project: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "pytest_orchestrator", *args], cwd=project,
                   check=True, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
