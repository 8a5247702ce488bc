"""The Analysis sheet of the Excel workbook: the run's regression flags, flaky steps,
restarted baselines and written summary (with who wrote it)."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from ..analysis.findings import Findings
from . import xlsx
from .xlsx import COUNT, NUMBER, Column

FLAG_COLUMNS = [Column("recipe", max_width=30), Column("step", max_width=30),
                Column("metric", max_width=30), Column("value", NUMBER),
                Column("baseline", NUMBER), Column("MAD", NUMBER), Column("change %", "0.0"),
                Column("z", "0.0"), Column("better"), Column("runs", COUNT),
                Column("note", max_width=60, wrap=True)]


def analysis_sheet(ws: Worksheet, found: Findings) -> None:
    """Regressions as a filtered table, then the flaky steps, the new baselines and the
    summary, one line each."""
    rows = [[f.test_id + (f"[{f.row}]" if f.row else ""), f.step, f.metric, f.value,
             f.baseline, f.mad, f.change_pct, f.z, f.better, f.runs, f.note]
            for f in found.flags]
    table = xlsx.write_table(ws, 1, FLAG_COLUMNS, rows or [["(no regression flagged)",
                                                            *[""] * 10]])
    for row in range(2, table.last + 1 if rows else 2):
        xlsx.outcome_style(ws.cell(row, 7), "failed")
    xlsx.fit_columns(ws, FLAG_COLUMNS, rows)
    top = table.last + 2
    notes = [("Flaky steps", [s.line() for s in found.flaky]),
             ("New baselines", found.restarted)]
    if found.summary:
        notes.append((f"Summary ({found.summary['label']})",
                      found.summary["text"].splitlines()))
    for title, lines in notes:
        ws.cell(top, 1, title).font = xlsx.SECTION_FONT
        for offset, line in enumerate(lines or ["(none)"], start=1):
            ws.cell(top + offset, 1, xlsx.text(line)).data_type = "s"
        top += len(lines or [""]) + 2
    xlsx.print_setup(ws, f"Analysis of run {found.run_id}")
