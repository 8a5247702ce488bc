"""Makes the report pictures in docs/images/ (not run in CI): runs a small lab project twice in
a temporary folder (the curriculum's scriptlets, recipes 04 and 06, and a demo recipe with a
failure, a retry, a cache hit, an image artifact, an exclusive and a finally step), then

* docs/images/run-report.png  our HTML run report (headless Chromium), the failed step open
* docs/images/report-docx.png the Word report's first page (LibreOffice -> PDF -> pdftoppm)
* docs/images/dag.png         the demo recipe's step_sequence.svg (headless Chromium)

Needs chromium, soffice and pdftoppm on the PATH and the report extra installed:
``python docs/make_screenshots.py [--keep DIR]``."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"

PLOT = '''"""plot_numbers: a bar chart of numbers.raw_v1 as plot.png (an image artifact)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PIL import Image, ImageDraw

from pytest_orchestrator.scriptlet import BaseScriptlet


class PlotNumbers(BaseScriptlet):
    def run(self, ctx, params):
        numbers = ctx.get("numbers.raw_v1")
        out = Path(os.environ.get("ORCH_ARTIFACTS", params.get("out", "."))) / "plot.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", (360, 160), "white")
        draw = ImageDraw.Draw(image)
        top = max(numbers)
        width = 340 / len(numbers)
        for i, value in enumerate(numbers):
            x = 10 + i * width
            draw.rectangle([x + 2, 150 - 130 * value / top, x + width - 2, 150],
                           fill="#4f86c6")
        draw.line([8, 150, 352, 150], fill="#455a64")
        image.save(out)
        ctx.set("plot.latency_v1", str(out))
        print(f"plotted {len(numbers)} samples to {out.name}", file=sys.stderr)
        return self.emit_ok(["plot.latency_v1"], artifacts=[str(out)],
                            metrics={"samples": len(numbers), "max_ms": top})
'''

DEMO = """\
test_meta:
  test_id: NET-204
  tester: lab-b
  description: Leaf uplink latency, with a fault injected on the spine probe
  tags: [network, latency]
steps:
  - name: load_numbers
    module: scriptlets.steps.load_numbers
    function: LoadNumbers
    args: {src: "${DATA}/numbers.csv"}
    cache_key: auto
  - {name: compute_mean, module: scriptlets.steps.compute_mean, function: ComputeMean,
     parallel: true}
  - {name: compute_median, module: scriptlets.steps.compute_median,
     function: ComputeMedian, parallel: true}
  - {name: compute_std, module: scriptlets.steps.compute_std, function: ComputeStd,
     parallel: true}
  - {name: plot_numbers, module: scriptlets.steps.plot_numbers, function: PlotNumbers,
     parallel: true}
  - name: aggregate_metrics
    module: scriptlets.steps.aggregate_metrics
    function: AggregateMetrics
    depends_on: [compute_mean, compute_median, compute_std]
  - name: spine_probe
    module: scriptlets.steps.inject_failure
    function: InjectFailure
    depends_on: [aggregate_metrics]
    retry: {max: 1}
  - name: publish_stats
    module: scriptlets.steps.compute_numbers
    function: ComputeNumbers
    depends_on: [spine_probe, plot_numbers]
    exclusive: true
  - name: cleanup
    module: scriptlets.steps.cleanup_intermediate
    function: CleanupIntermediate
    args: {dir: "${ARTIFACTS}", patterns: ["*.tmp"]}
    depends_on: [publish_stats]
    finally: true
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the project in DIR and keep it")
    args = parser.parse_args()
    for tool in ("chromium", "soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            print(f"{tool} is not on the PATH", file=sys.stderr)
            return 1
    work = args.keep or Path(tempfile.mkdtemp(prefix="orch-shots-"))
    project = make_project(work)
    for _ in range(2):  # the second run shows the cache hit
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "recipes"],
                       cwd=project, check=False, capture_output=True)
    IMAGES.mkdir(parents=True, exist_ok=True)
    orchestrator(project, "report", "-o", "report.html")
    orchestrator(project, "report", "--format", "docx", "-o", "report.docx")
    orchestrator(project, "report", "--format", "md", "-o", "report.md")
    chromium(project / "report.html", IMAGES / "run-report.png", 1280, 2560)
    docx_page(project / "report.docx", IMAGES / "report-docx.png")
    picture = sorted(project.glob(".orchestrator/artifacts/*/NET-204/step_sequence.svg"))[-1]
    width, height = (int(v) for v in re.search(r'width="(\d+)" height="(\d+)"',
                                               picture.read_text()).groups())
    chromium(picture, IMAGES / "dag.png", width, height)
    print(f"project in {project}; pictures in {IMAGES}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def make_project(work: Path) -> Path:
    project = work / "lab"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(ROOT / "scriptlets", project / "scriptlets",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (project / "scriptlets" / "steps" / "plot_numbers.py").write_text(PLOT, encoding="utf-8")
    (project / "recipes").mkdir()
    shutil.copytree(ROOT / "recipes" / "data", project / "recipes" / "data")
    for name in ("04_artifacts_pipeline.yaml", "06_parallel_fan_in.yaml"):
        shutil.copy(ROOT / "recipes" / name, project / "recipes" / name)
    (project / "recipes" / "00_uplink_latency.yaml").write_text(DEMO, encoding="utf-8")
    (project / "pytest.ini").write_text("[pytest]\norchestrator_scriptlet_packages = scriptlets\n",
                                        encoding="utf-8")
    return project


def orchestrator(project: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "pytest_orchestrator", *args], cwd=project,
                   check=True)


def chromium(page: Path, png: Path, width: int, height: int) -> None:
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", f"--screenshot={png}",
                    f"--window-size={width},{height}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)


def docx_page(docx: Path, png: Path) -> None:
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                    str(docx.parent), str(docx)], check=True, capture_output=True, timeout=300)
    stem = docx.parent / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(docx.with_suffix(".pdf")), str(stem)], check=True, timeout=120)
    shutil.move(str(stem.with_suffix(".png")), png)


if __name__ == "__main__":
    sys.exit(main())
