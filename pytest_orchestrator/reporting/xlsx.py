"""How our workbooks look: header and outcome styles, tables with filters and frozen headers,
column widths, print set-up and native charts, over openpyxl (imported only by the export)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import NumFmt
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

#: Cell fills of each outcome (Excel's own Good / Bad / Neutral tints where they fit).
OUTCOME_FILLS = {"passed": "C6EFCE", "failed": "FFC7CE", "error": "F4B6C2", "skipped": "FFEB9C",
                 "xfailed": "E4DFEC", "restored": "DDEBF7", "cached": "DDEBF7"}
#: Their text colours, and the colours of their series in charts.
OUTCOME_FONTS = {"passed": "006100", "failed": "9C0006", "error": "7B002C", "skipped": "9C5700",
                 "xfailed": "5A4A78", "restored": "1F4E79", "cached": "1F4E79"}
OUTCOME_SERIES = {"passed": "4EA72E", "failed": "D13438", "error": "8E1B3F", "skipped": "F2B01E",
                  "xfailed": "8E7CC3", "restored": "5B9BD5", "cached": "5B9BD5"}
#: A failed or errored step's whole row gets this tint (conditional formatting on its outcome).
FAILED_ROW = "FDE9EC"
#: Every font names its face: a font without a name prints in a serif face in LibreOffice.
FACE = "Calibri"
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(name=FACE, bold=True, color="FFFFFF")
TITLE_FONT = Font(name=FACE, bold=True, size=16, color="1F3864")
SECTION_FONT = Font(name=FACE, bold=True, size=12, color="1F3864")
LABEL_FONT = Font(name=FACE, bold=True, color="404040")
NOTE_FONT = Font(name=FACE, italic=True, color="595959")
ZERO_FONT = Font(name=FACE, color="A6A6A6")
#: Number formats: seconds, megabytes, counts, UTC times. Each ends with the room of an "M"
#: (``_M``), so a right-aligned figure never touches the left-aligned text of the next column.
SECONDS = '0.000" s"_M'
MB = '#,##0.0" MB"_M'
NUMBER = "General"
COUNT = "#,##0_M"
#: Counts in summaries: a zero is a grey dash, so the figures that matter stand out.
TALLY = '#,##0_M;-#,##0_M;"\u2013"_M'
TIME = "yyyy-mm-dd hh:mm:ss_M"
CLOCK = "hh:mm:ss_M"
#: Excel refuses control characters and cells over 32,767 characters.
RIGHT, LEFT = Alignment(horizontal="right", indent=1), Alignment(horizontal="left")
WRAP = Alignment(wrap_text=True, vertical="top")
_ILLEGAL = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|[\000-\010\013\014\016-\037]")  # ANSI first
_CELL_LIMIT = 32_767


@dataclass(frozen=True)
class Column:
    """A table column: its header, number format and width bounds."""

    header: str
    number_format: str = ""
    min_width: int = 6
    max_width: int = 50
    wrap: bool = False  # text longer than max_width wraps onto more lines


def text(value: Any, limit: int = _CELL_LIMIT) -> Any:
    """A value a cell can hold: control characters and ANSI colours dropped, text cut to what
    Excel accepts. Anything else unchanged."""
    if not isinstance(value, str):
        return value
    if not value.isprintable():  # the common case skips the regex
        value = _ILLEGAL.sub("", value)
    return value if len(value) <= limit else value[:limit - 1] + "…"


@dataclass(frozen=True)
class Table:
    """Where a table was written: its header row, first column, width and last row."""

    top: int
    left: int
    width: int
    last: int

    @property
    def ref(self) -> str:
        """``A1:F9``: the header and every row."""
        return f"{self.cell(self.top)}:{self.cell(self.last, self.width - 1)}"

    def cell(self, row: int, offset: int = 0) -> str:
        return f"{get_column_letter(self.left + offset)}{row}"


def write_table(ws: Worksheet, top: int, columns: Sequence[Column],
                rows: Iterable[Sequence[Any]], left: int = 1) -> Table:
    """Write a header row at ``top`` and the rows below it. Strings stay strings, even one that
    starts with "=" (never a formula)."""
    for offset, column in enumerate(columns):
        cell = ws.cell(top, left + offset, column.header)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = RIGHT if column.number_format else LEFT
    row_number = top
    for row_number, values in enumerate(rows, start=top + 1):
        for offset, (value, column) in enumerate(zip(values, columns, strict=True)):
            if value is None or value == "":
                continue  # no cell at all: a blank costs nothing to write or to read
            cell = ws.cell(row_number, left + offset, text(value))
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"
            if column.number_format:
                cell.number_format = column.number_format
            elif column.wrap and len(str(value)) > column.max_width:
                cell.alignment = WRAP
    return Table(top, left, len(columns), row_number)


def tally(cell: Any, outcome: str) -> None:
    """A count of steps with this outcome: in the outcome's colours when not zero, a grey
    dash when zero."""
    cell.number_format = TALLY
    if cell.value:
        outcome_style(cell, outcome)
    else:
        cell.font = ZERO_FONT


def outcome_style(cell: Any, outcome: str) -> None:
    cell.fill = PatternFill("solid", fgColor=OUTCOME_FILLS[outcome])
    cell.font = Font(name=FACE, bold=True, color=OUTCOME_FONTS[outcome])


def filtered_table(ws: Worksheet, table: Table) -> None:
    """A table that heads its sheet: autofilter on it, its header row frozen and printed on
    every page."""
    ws.auto_filter.ref = table.ref
    ws.freeze_panes = table.cell(table.top + 1)
    ws.print_title_rows = f"{table.top}:{table.top}"


def fit_columns(ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
                left: int = 1, sample: int = 2000) -> None:
    """Column widths from the header and the widest shown value (of the first ``sample`` rows),
    within each column's bounds."""
    for offset, column in enumerate(columns):
        widest = max((_shown_width(r[offset], column) for r in rows[:sample]), default=0)
        # bold, the face may be wider, and a right-aligned header is indented
        header = math.ceil(len(column.header) * 1.1) + (2 if column.number_format else 0)
        width = min(max(widest, header, column.min_width), column.max_width)
        ws.column_dimensions[get_column_letter(left + offset)].width = width + 2


def _shown_width(value: Any, column: Column) -> int:
    """About how many characters a value takes in its column's number format."""
    if value is None:
        return 0
    if column.number_format in (TIME, CLOCK):
        return len(column.number_format)  # its "_M" stands for the two letters of "ss"
    if isinstance(value, (int, float)) and column.number_format:
        digits = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
        return len(digits) + {SECONDS: 2, MB: 3}.get(column.number_format, 0) + 2
    return len(str(value))


def outcome_cells(ws: Worksheet, table: Table, offset: int) -> None:
    """Colour each outcome cell of a table's column by its value: conditional formats, so the
    colours follow a sort or an edit, and cost nothing per row."""
    if table.last == table.top:
        return
    first = table.top + 1
    column = get_column_letter(table.left + offset)
    for outcome, colour in OUTCOME_FILLS.items():
        style = DifferentialStyle(fill=PatternFill(bgColor=colour),
                                  font=Font(name=FACE, bold=True, color=OUTCOME_FONTS[outcome]))
        ws.conditional_formatting.add(f"{column}{first}:{column}{table.last}", Rule(
            type="cellIs", operator="equal", formula=[f'"{outcome}"'], dxf=style))


def tint_failed_rows(ws: Worksheet, table: Table, offset: int) -> None:
    """The whole row of a failed or errored step is tinted (after its outcome cell's own rule)."""
    if table.last == table.top:
        return
    first = table.top + 1
    outcome = f"${get_column_letter(table.left + offset)}{first}"
    rule = Rule(type="expression", formula=[f'OR({outcome}="failed",{outcome}="error")'],
                dxf=DifferentialStyle(fill=PatternFill(bgColor=FAILED_ROW)))
    ws.conditional_formatting.add(f"{table.cell(first)}:{table.cell(table.last, table.width - 1)}",
                                  rule)


def print_setup(ws: Worksheet, title: str) -> None:
    """Printed (and PDF) pages: A4 landscape, every column on the page width, the sheet's title
    at the top and page numbers at the bottom."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    header, footer = ws.oddHeader, ws.oddFooter
    if header is not None and footer is not None:
        header.center.text = title
        footer.right.text = "page &P of &N"


def bar_chart(title: str, x_title: str, y_title: str, *, horizontal: bool = False,
              stacked: bool = False) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    if stacked:
        chart.grouping, chart.overlap = "stacked", 100
    chart.gapWidth = 60
    _titles(chart, title, x_title, y_title)
    chart.y_axis.scaling.min = 0
    if horizontal:  # the first category on top, as in the table beside; values below
        chart.x_axis.scaling.orientation = "maxMin"
        chart.y_axis.crosses = "max"
    return chart


def line_chart(title: str, x_title: str, y_title: str) -> LineChart:
    chart = LineChart()
    _titles(chart, title, x_title, y_title)
    return chart


def _titles(chart: BarChart | LineChart, title: str, x_title: str, y_title: str) -> None:
    chart.title, chart.x_axis.title, chart.y_axis.title = title, x_title, y_title
    chart.style = 10
    # openpyxl leaves the axes' ``delete`` unset, which Excel and LibreOffice read as hidden.
    chart.x_axis.delete = chart.y_axis.delete = False
    # the value axis's own numbers, not the format of the cells (a dash for zero, " s"...)
    chart.y_axis.numFmt = NumFmt(formatCode="General", sourceLinked=False)
    if chart.legend is not None:
        chart.legend.position = "b"


def add_series(chart: BarChart | LineChart, ws: Worksheet, column: int, first: int, last: int,
               colour: str, title_from_header: bool = True) -> None:
    """One series from a column of values (its header, at ``first``, names it)."""
    data = Reference(ws, min_col=column, min_row=first, max_row=last)
    chart.add_data(data, titles_from_data=title_from_header)
    series = chart.series[-1]
    series.graphicalProperties = GraphicalProperties(solidFill=colour)
    series.graphicalProperties.line.solidFill = colour
    if isinstance(chart, LineChart):
        series.graphicalProperties.line.width = 28575  # 2.25 pt
        series.smooth = False


def categories(chart: BarChart | LineChart, ws: Worksheet, first_col: int, first: int,
               last: int, last_col: int | None = None) -> None:
    chart.set_categories(Reference(ws, min_col=first_col, max_col=last_col or first_col,
                                   min_row=first, max_row=last))


def place(ws: Worksheet, chart: BarChart | LineChart, anchor: str, width_cm: int,
          height_cm: float) -> None:
    chart.width, chart.height = width_cm, height_cm
    ws.add_chart(chart, anchor)
