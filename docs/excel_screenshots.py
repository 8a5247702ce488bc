"""Make the Excel screenshots of the docs (docs/images/excel-*.png); not run in CI.

    python docs/excel_screenshots.py [--keep DIR]

Copies the curriculum (recipes/, scriptlets/) into a scratch folder, runs ``pytest recipes/``
four times (the last with ORCH_INJECT_FAILURE=1, so one step fails and one is skipped),
exports the latest run with ``orchestrator export --xlsx``, converts the workbook to PDF with
LibreOffice (``soffice --headless``) and the first page of each sheet to PNG with
``pdftoppm``. Needs soffice, pdftoppm and pdftotext on the PATH.
"""

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
#: The sheets to picture, found in the PDF by the page header each sheet prints, and how much
#: of the page's height to keep (the Steps page of a small run is mostly blank paper).
SHOTS = {"excel-summary.png": ("Run ", 0.62), "excel-steps.png": ("Steps of run", 0.5)}
DPI = 110
A4_LANDSCAPE = (11.69, 8.27)  # inches


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="excel-shots-"))
    try:
        workbook = _workbook(work)
        pdf = _pdf(workbook)
        IMAGES.mkdir(parents=True, exist_ok=True)
        for name, (header, height) in SHOTS.items():
            _png(pdf, _page(pdf, header), IMAGES / name, height)
            print(f"wrote {IMAGES / name}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _workbook(work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    for folder in ("recipes", "scriptlets"):
        shutil.rmtree(work / folder, ignore_errors=True)
        shutil.copytree(ROOT / folder, work / folder)
    (work / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for fault in ("0", "0", "0", "1"):
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "recipes"],
                       cwd=work, env={**env, "ORCH_INJECT_FAILURE": fault},
                       stdout=subprocess.DEVNULL, check=False)
    workbook = work / "run.xlsx"
    subprocess.run([sys.executable, "-m", "pytest_orchestrator", "export", "--xlsx",
                    str(workbook)], cwd=work, env=env, check=True)
    return workbook


def _pdf(workbook: Path) -> Path:
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                    str(workbook.parent), str(workbook)], check=True,
                   stdout=subprocess.DEVNULL, timeout=300)
    return workbook.with_suffix(".pdf")


def _page(pdf: Path, header: str) -> int:
    """The first page whose text starts with this sheet's header."""
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout.split("\f")
    for number, text in enumerate(pages, start=1):
        if text.strip().startswith(header):
            return number
    raise SystemExit(f"no page of {pdf} starts with {header!r}")


def _png(pdf: Path, page: int, target: Path, height: float) -> None:
    """The top ``height`` of the page, without its margins, at DPI."""
    width_px, height_px = (round(inches * DPI) for inches in A4_LANDSCAPE)
    margin = round(0.3 * DPI)
    box = ["-x", str(margin), "-y", str(margin), "-W", str(width_px - 2 * margin),
           "-H", str(round(height_px * height) - margin)]
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", str(page), "-l", str(page),
                    *box, "-singlefile", str(pdf), str(target.with_suffix(""))], check=True)


if __name__ == "__main__":
    sys.exit(main())
