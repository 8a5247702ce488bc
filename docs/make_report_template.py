"""Writes the shipped Word template, pytest_orchestrator/reporting/templates/report.docx: a plain
python-docx document whose text holds docxtpl's Jinja2 tags. Run it after changing this file
(``python docs/make_report_template.py``); open the result in Word or LibreOffice to start a
lab's own template from it (docs/reports.md)."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

OUT = Path(__file__).resolve().parents[1] / "pytest_orchestrator" / "reporting" / "templates" \
    / "report.docx"
GREY = RGBColor(0x5F, 0x6F, 0x78)
WIDTHS: dict = {}  # table element -> its column widths

SUMMARY = [("Status", "{{ run.status }}"),
           ("Steps", "{{ run.total }}: {% for outcome, n in run.counts|dictsort %}{{ n }} "
                     "{{ outcome }}{{ ', ' if not loop.last }}{% endfor %}"),
           ("Started", "{{ run.started }}"),
           ("Ended", "{{ run.ended or '(not finished)' }}"),
           ("Elapsed", "{{ run.duration|seconds }}"), ("Host", "{{ run.host }}"),
           ("Git revision", "{{ run.git_rev or '-' }}"),
           ("pytest arguments", "{{ run.args_text or '(none)' }}")]
RECIPES = [("Recipe", 54), ("Steps", 22), ("Passed", 22), ("Failed", 22), ("Skipped", 22),
           ("Elapsed", 32)]
RECIPE_ROW = ["{% cellbg 'D7F0D2' if r.ok else 'FBD3D0' %}{{ r.title }}", "{{ r.total }}",
              "{{ r.passed }}", "{{ r.failed }}", "{{ r.skipped }}", "{{ r.duration|seconds }}"]
FAILED = [("Recipe", 36), ("Step", 40), ("Reason", 98)]
FAILED_ROW = ["{{ s.test_id }}{{ '[%s]' % s.row if s.row }}",
              "{% cellbg outcomes[s.outcome].fill[1:] %}{{ s.step }}",
              "{{ s.reason or '(no reason given)' }}"]
STEPS = [("#", 7), ("Step", 36), ("Outcome", 20), ("Duration", 20), ("Attempts", 20),
         ("Cached", 16), ("Executor", 20), ("CPU", 15), ("Peak RSS", 20)]
STEP_ROW = ["{{ loop.index }}", "{{ s.name }}",
            "{% cellbg outcomes[s.outcome].fill[1:] if s.outcome in outcomes else 'FFFFFF' %}"
            "{{ s.outcome }}", "{{ s.duration|seconds }}", "{{ s.attempts }}",
            "{{ 'yes' if s.cached else '' }}", "{{ s.executor }}", "{{ s.cpu|seconds }}",
            "{{ s.peak_rss|megabytes if s.peak_rss else '' }}"]


def main() -> None:
    doc = Document()
    for section in doc.sections:  # A4
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(18)
        section.top_margin = section.bottom_margin = Mm(16)
    doc.styles["Normal"].font.name, doc.styles["Normal"].font.size = "Calibri", Pt(10)
    doc.add_heading("Run report", level=0)
    _muted(doc.add_paragraph("run {{ run.run_id }} · {{ run.started }} · {{ run.host }}"))
    _banner(doc)
    summary = _table(doc, [("", 40), ("", 134)], header=False)
    for label, value in SUMMARY:
        cells = summary.add_row().cells
        cells[0].text, cells[1].text = "{% cellbg 'EEF2F5' %}" + label, value
        cells[0].paragraphs[0].runs[0].bold = True
    doc.add_heading("Statistics by recipe", level=1)
    recipes = _table(doc, RECIPES)
    _loop_rows(recipes, "{%tr for r in recipes %}", RECIPE_ROW)
    doc.add_paragraph("{%p if run.failed %}")
    doc.add_heading("Failed steps", level=1)
    failed = _table(doc, FAILED)
    _loop_rows(failed, "{%tr for s in steps if s.outcome in ('failed', 'error') %}", FAILED_ROW)
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for recipe in recipes %}")
    heading = doc.add_heading("{{ recipe.title }}: {{ 'PASS' if recipe.ok else 'FAIL' }}", level=1)
    heading.paragraph_format.page_break_before = True
    meta = doc.add_paragraph("{{ recipe.file }} · namespace {{ recipe.namespace }} · "
                             "{{ recipe.summary }} · {{ recipe.duration|seconds }}")
    _muted(meta)
    meta.paragraph_format.keep_with_next = True
    picture = doc.add_paragraph("{{ recipe.dag }}")
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    steps = _table(doc, STEPS)
    _loop_rows(steps, "{%tr for s in recipe.steps %}", STEP_ROW)
    doc.add_paragraph("{%p for s in recipe.steps if s.outcome in ('failed', 'error') %}")
    doc.add_heading("{{ s.name }}: {{ s.outcome }}", level=2)
    doc.add_paragraph("{{ s.reason or '(no reason given)' }}")
    _muted(doc.add_paragraph("{{ s.stderr[-1500:] }}"))
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")
    _muted(doc.add_paragraph("Generated {{ generated }} by pytest-orchestrator from the results "
                             "store."))
    _sized(doc)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(OUT))
    print(f"wrote {OUT}")


def _banner(doc):
    """A one-cell table, green or red: the verdict a reader sees first."""
    table = doc.add_table(rows=1, cols=1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    paragraph = table.rows[0].cells[0].paragraphs[0]
    paragraph.text = "{% cellbg '2E7D32' if run.ok else 'C62828' %}"
    text = paragraph.add_run("{{ 'ALL STEPS PASSED' if run.ok else '%d FAILED' % run.failed }}"
                             " · {{ run.total }} steps in {{ recipes|length }} recipe"
                             "{{ 's' if recipes|length != 1 }}")
    text.bold, text.font.size, text.font.color.rgb = True, Pt(13), RGBColor(0xFF, 0xFF, 0xFF)
    table.rows[0].cells[0].width = Mm(174)
    doc.add_paragraph()


def _table(doc, columns, header=True):
    table = doc.add_table(rows=0, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    WIDTHS[table._tbl] = [Mm(width) for _, width in columns]
    if header:
        cells = table.add_row().cells
        for cell, (text, _) in zip(cells, columns, strict=True):
            cell.text = "{% cellbg 'DCE4EA' %}" + text
            cell.paragraphs[0].runs[0].bold = True
        _row_property(table.rows[0], "w:tblHeader")
    return table


def _loop_rows(table, opening, row):
    """docxtpl's row loop: a row holding {%tr for %}, the repeated row, a row holding
    {%tr endfor %}."""
    table.add_row().cells[0].text = opening
    for cell, text in zip(table.add_row().cells, row, strict=True):
        cell.text = text
    table.add_row().cells[0].text = "{%tr endfor %}"


def _sized(doc):
    """Column widths on every cell (Word reads the cells, LibreOffice the grid), rows that
    never split across pages, 9 pt table text."""
    for table in doc.tables:
        widths = WIDTHS.get(table._tbl)
        for row in table.rows:
            _row_property(row, "w:cantSplit")
            for i, cell in enumerate(row.cells):
                if widths:
                    cell.width = widths[i]
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.space_after = Pt(0)
                    for run in paragraph.runs:
                        run.font.size = run.font.size or Pt(9)
        if widths:
            for col, width in zip(table.columns, widths, strict=True):
                col.width = width


def _row_property(row, name):
    properties = row._tr.get_or_add_trPr()
    element = OxmlElement(name)
    element.set(qn("w:val"), "true")
    properties.append(element)


def _muted(paragraph):
    for run in paragraph.runs:
        run.font.color.rgb = GREY
        run.font.size = Pt(9)


if __name__ == "__main__":
    main()
