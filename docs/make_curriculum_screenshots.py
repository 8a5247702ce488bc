"""Make docs/images/curriculum-report-md.png: recipe 12's report.md as GitHub shows it.

Not run in CI. Needs headless Chromium (``chromium`` on the PATH) and markdown-it-py
(``pip install markdown-it-py``; with Pillow the picture is cropped to the page). Runs
recipe 12 in a copy of the curriculum (a first run, so every step really runs), renders its
report.md to HTML with GitHub-like styles, and screenshots it::

    python docs/make_curriculum_screenshots.py
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
WIDTH = 900

STYLE = """
body { font: 15px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
       color: #1f2328; background: #fff; margin: 0; }
article { max-width: 820px; margin: 24px auto; padding: 32px; border: 1px solid #d1d9e0;
          border-radius: 6px; }
h1, h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; font-weight: 600; }
h1 { font-size: 2em; margin-top: 0; } h2 { font-size: 1.5em; margin-top: 24px; }
table { border-collapse: collapse; margin: 0 0 16px; display: block; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
tr:nth-child(2n) { background: #f6f8fa; } th { font-weight: 600; }
code { background: #eff1f3; border-radius: 6px; padding: .2em .4em; font-size: 85%;
       font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
"""


def curriculum_copy(where: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("scriptlets", "templates", "recipes/data"):
        shutil.copytree(ROOT / folder, where / folder, ignore=ignore)
    shutil.copy(ROOT / "recipes" / "12_advanced_full.yaml", where / "recipes")
    (where / "pytest.ini").write_text("[pytest]\n")
    return where


def report_of_a_run(project: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                    "recipes/12_advanced_full.yaml"], cwd=project, check=True,
                   capture_output=True)
    return next((project / ".orchestrator" / "artifacts").glob("*/NUM-012/report.md"))


def markdown_page(markdown: str, title: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(markdown)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{STYLE}</style></head><body><article>{body}</article></body></html>")


def screenshot(page: Path, png: Path, height: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", f"--screenshot={png}",
                    f"--window-size={WIDTH},{height}", page.as_uri()],
                   check=True, capture_output=True)
    crop_to_content(png)


def crop_to_content(png: Path, margin: int = 24) -> None:
    """Cut the white space below the page, when Pillow is there to do it."""
    try:
        from PIL import Image, ImageChops
    except ImportError:
        return
    with Image.open(png) as image:
        rgb = image.convert("RGB")
    box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
    if box is not None:
        rgb.crop((0, 0, rgb.width, min(rgb.height, box[3] + margin))).save(png)


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = report_of_a_run(curriculum_copy(Path(tmp)))
        page = Path(tmp, "report.html")
        page.write_text(markdown_page(report.read_text(), "report.md"), encoding="utf-8")
        screenshot(page, IMAGES / "curriculum-report-md.png", height=3200)
    print(IMAGES / "curriculum-report-md.png")


if __name__ == "__main__":
    main()
