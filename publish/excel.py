"""Excel exports of the published 表: Chinese headers with units, lights as fills, frozen header,
suppressed figures as `—`, and text that can never turn into a formula.

Only published rows are exported (`published.*` at a version), never the live marts.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import xlsxwriter

from ingest.warehouse import Warehouse
from publish.contract import LIGHT_FILLS, TABLE_KEYS, ExportColumn, TableSpec, table_specs
from publish.disclosure import FOOTNOTE, SUPPRESSED_MARK, is_suppressed
from publish.errors import ReportRefused
from publish.labels import fmt_datetime, is_missing, period_title, unit_decimals, ytd_label
from publish.publication import published_columns, published_rows, require_published

HEADER_ROW = 2  # 0-based: title, subtitle, then the header
# Text is text: a description such as `=SUM(A1)` or `+86…` must never become a formula,
# a URL or a number (CSV/formula injection, and losing leading zeros).
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

# --- print layout --------------------------------------------------------------------------------
# Every sheet prints on A4, one page wide (any height), the header row on every page, and a
# footer with page numbers and the data version. xlsxwriter does not autofit, so column widths
# and row heights are estimated from the text: a CJK character takes ~2 width units.
PAPER_A4 = 9  # xlsxwriter / Excel paper code
MARGINS_INCH = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.8}
# Printable width of A4 portrait at 100 %, in pixels at 96 dpi (8.27 in less the side margins).
PORTRAIT_PIXELS = int((8.27 - MARGINS_INCH["left"] - MARGINS_INCH["right"]) * 96)
LINE_POINTS = 15.5  # one line of 11 pt text; CJK fonts are tall (~1.4 em)
CELL_PADDING = 2  # width units around a cell's text (borders, margins)
MIN_WIDTH = 5
# The summary sheet's one column, narrower than A4 portrait also where Calibri is missing
# (LibreOffice then measures units in a wider font and, one column being "one page wide" already,
# does not scale it down).
SUMMARY_WIDTH = 72
FOOTER_PAGES = "第 &P 页 共 &N 页"
DATE_FORMAT = 'yyyy"年"m"月"d"日"'


def text_width(text: str) -> int:
    """Width of one line in Excel column units: East Asian wide characters count 2."""
    if text.isascii():  # numbers and codes, most cells: no wide character among them
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrapped_lines(text: str, width: float) -> int:
    """Lines `text` takes when wrapped in a column `width` units wide (each written line at least one)."""
    usable = max(width - CELL_PADDING, 1)
    return sum(max(1, math.ceil(text_width(line) / usable)) for line in str(text).split("\n"))


def column_pixels(width: float) -> int:
    return int(width * 7 + 5)  # Calibri 11: 7-pixel digits plus 5 pixels of padding


def row_points(lines: int, line_points: float = LINE_POINTS) -> float:
    return round(lines * line_points + 2, 1)


def footer(period: str, record: dict) -> str:
    """Excel footer: the data version on the left, the sheet's name and `第 1 页 共 3 页` on the right."""
    version = f"{period_title(period)} 第{record['version']}版 {fmt_datetime(record['published_at'])}发布"
    return f"&L{version.replace('&', '&&')}&R&A　{FOOTER_PAGES}"


def set_print_layout(ws, widths: list[float], period: str, record: dict, title_rows: int | None) -> None:
    """A4, landscape when the columns are wider than portrait, one page wide, print titles, footer."""
    ws.set_paper(PAPER_A4)
    if sum(column_pixels(w) for w in widths) > PORTRAIT_PIXELS:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(**MARGINS_INCH)
    ws.fit_to_pages(1, 0)
    if title_rows is not None:
        ws.repeat_rows(title_rows)
    ws.set_footer(footer(period, record))


def new_workbook(path: Path) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)


class SheetFormats:
    def __init__(self, wb: xlsxwriter.Workbook):
        border = {"border": 1, "valign": "vcenter"}
        self.title = wb.add_format({"bold": True, "font_size": 14, "valign": "vcenter"})
        self.subtitle = wb.add_format({"font_size": 9, "font_color": "#555555", "valign": "vcenter"})
        self.header = wb.add_format({**border, "bold": True, "text_wrap": True, "align": "center", "bg_color": "#D9E1F2"})
        self.text = wb.add_format({**border, "text_wrap": True})
        self.centre = wb.add_format({**border, "align": "center"})
        # Dates read as everywhere else for readers (publish.labels.fmt_datetime): 2023年5月1日.
        self.date = wb.add_format({**border, "num_format": DATE_FORMAT, "align": "center"})
        self.note = wb.add_format({"font_size": 9, "italic": True, "text_wrap": True, "valign": "top"})
        self.paragraph = wb.add_format({"text_wrap": True, "valign": "top"})
        self._numbers: dict[str, object] = {}
        self.lights = {k: wb.add_format({**border, "align": "center", "bg_color": v}) for k, v in LIGHT_FILLS.items()}
        self._wb = wb

    def number(self, num_format: str):
        if num_format not in self._numbers:
            self._numbers[num_format] = self._wb.add_format({"border": 1, "valign": "vcenter", "num_format": num_format})
        return self._numbers[num_format]


def cell_decimals(col: ExportColumn, row: dict) -> int:
    """Decimals of a numeric cell: integers 0, a measure by its row's unit, else the column's."""
    if col.kind == "integer":
        return 0
    if col.kind == "measure":
        return unit_decimals(row.get("unit"), col.decimals)
    return col.decimals


def number_format(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


_NUMERIC_KINDS = ("number", "integer", "pct", "measure")


def _display(col: ExportColumn, row: dict, suppressed: bool):
    """(text as shown, is numeric) of one cell, for writing and for sizing."""
    value = row.get(col.source)
    if suppressed and col.disclosure:
        return SUPPRESSED_MARK, False
    if col.labels:
        value = dict(col.labels).get(value, value)
    if col.kind == "light":
        return ("—" if is_missing(value) else str(value)), False
    if col.kind in _NUMERIC_KINDS:
        if is_missing(value) or isinstance(value, str):
            return ("—" if is_missing(value) else value), False
        return f"{float(value):,.{cell_decimals(col, row)}f}", True
    if col.kind == "date" and isinstance(value, dt.date):
        return fmt_datetime(value, time=False), False
    if isinstance(value, bool):
        return ("是" if value else "否"), False
    return ("" if is_missing(value) else str(value)), False


def _write_cell(ws, row_index: int, col_index: int, col: ExportColumn, row: dict, suppressed: bool,
                fmt: SheetFormats) -> None:
    text, numeric = _display(col, row, suppressed)
    value = row.get(col.source)
    if suppressed and col.disclosure:
        ws.write_string(row_index, col_index, text, fmt.centre)
    elif col.kind == "light":
        ws.write_string(row_index, col_index, text, fmt.lights.get(text, fmt.centre))
    elif numeric:
        ws.write_number(row_index, col_index, float(value), fmt.number(number_format(cell_decimals(col, row))))
    elif col.kind in _NUMERIC_KINDS:
        ws.write_string(row_index, col_index, text, fmt.centre)
    elif col.kind == "date" and isinstance(value, dt.date):
        ws.write_datetime(row_index, col_index, dt.datetime.combine(value, dt.time()), fmt.date)
    elif isinstance(value, bool):
        ws.write_string(row_index, col_index, text, fmt.centre)
    elif text == "":
        ws.write_blank(row_index, col_index, None, fmt.text)
    else:
        # write_string, never write(): text starting with = + - @ stays text.
        ws.write_string(row_index, col_index, text, fmt.text)


def _wraps(col: ExportColumn) -> bool:
    """Free text wraps in its column; numbers, dates, lights and labels must show whole."""
    return col.kind == "text" and not col.labels


def column_widths(columns: list[ExportColumn], shown: list[list[str]]) -> list[float]:
    """Width of each column: its widest value (a wrapping text column at most `col.width`), and
    at least half its header (headers wrap onto two lines)."""
    widths = []
    for j, col in enumerate(columns):
        content = max((text_width(line) for texts in shown for line in texts[j].split("\n")), default=0)
        header = math.ceil(text_width(col.header) / 2)
        width = max(content, header, MIN_WIDTH - CELL_PADDING) + CELL_PADDING
        widths.append(min(width, max(col.width, header + CELL_PADDING)) if _wraps(col) else width)
    return widths


def present_columns(spec: TableSpec, available: list[str]) -> list[ExportColumn]:
    """The spec's columns the published table has; a missing required column is a clear error."""
    missing = [c.source for c in spec.columns if c.source not in available and not c.optional]
    if missing:
        raise ValueError(
            f"{spec.title}（{spec.mart}）缺少列 {missing}，请更新 publish/contract.py / "
            f"{spec.mart} lacks columns {missing}; adapt publish/contract.py"
        )
    return [c for c in spec.columns if c.source in available]


def load_table(con: Warehouse, period: str, table: str, version: int | None = None):
    """(spec, columns, rows, log record) of one 表 at a published (period, version)."""
    if table not in TABLE_KEYS:
        raise ValueError(f"未知的表 {table!r}，可选：{', '.join(TABLE_KEYS)} / unknown table {table!r}")
    record = require_published(con, period, version, error=ReportRefused)
    spec = table_specs(ytd_label(period))[table]
    if published_columns(con, spec.mart):
        # Protected figures are NULL and flagged in the published rows (disclosure at publication).
        rows = published_rows(con, spec.mart, period, record["version"], order_by=spec.order_by)
        available = published_columns(con, spec.mart)
    else:  # the mart was published empty-handed (no such table yet): an empty sheet, not a crash
        rows, available = [], [c.source for c in spec.columns if not c.optional]
    columns = present_columns(spec, available)
    if "unit" not in available and any(c.kind == "measure" for c in columns):
        rows = with_indicator_units(con, period, record["version"], rows)
    return spec, columns, rows, record


def with_indicator_units(con: Warehouse, period: str, version: int, rows: list[dict]) -> list[dict]:
    """Rows that name an `indicator_id` (key tasks) get the indicator's unit from the same published
    version, so their values print with the indicator's decimals."""
    indicators = table_specs(ytd_label(period))["indicators"].mart
    if not published_columns(con, indicators):
        return rows
    units = {r["indicator_id"]: r.get("unit") for r in published_rows(con, indicators, period, version)}
    return [{**row, "unit": units.get(row.get("indicator_id"))} for row in rows]


def version_note(record: dict) -> str:
    note = f"数据版本：第{record['version']}版（{fmt_datetime(record['published_at'])}发布）"
    if record["gate_result"] == "overridden":
        note += "；本期数据经统计人员签字放行"
    return note


def _merged_line(ws, row: int, last_col: int, text: str, cell_format) -> None:
    """A line across the table's width (title, notes), so print never cuts it at column A's edge."""
    if last_col > 0:
        ws.merge_range(row, 0, row, last_col, text, cell_format)
    else:
        ws.write_string(row, 0, text, cell_format)


def write_table_sheet(
    wb: xlsxwriter.Workbook, fmt: SheetFormats, spec: TableSpec, columns: list[ExportColumn], rows: list[dict],
    period: str, record: dict, sheet_name: str | None = None,
) -> None:
    ws = wb.add_worksheet(sheet_name or spec.title)
    hidden = [is_suppressed(row) and any(c.disclosure for c in columns) for row in rows]
    shown = [[_display(col, row, h)[0] for col in columns] for row, h in zip(rows, hidden, strict=True)]
    widths = column_widths(columns, shown)
    last = len(columns) - 1
    table_width = sum(widths)

    _merged_line(ws, 0, last, f"{spec.title}（{period_title(period)}）", fmt.title)
    ws.set_row(0, row_points(1, 20))
    _merged_line(ws, 1, last, version_note(record), fmt.subtitle)
    for j, (col, width) in enumerate(zip(columns, widths, strict=True)):
        ws.write_string(HEADER_ROW, j, col.header, fmt.header)
        ws.set_column(j, j, width)
    ws.set_row(HEADER_ROW, row_points(max(wrapped_lines(c.header, w) for c, w in zip(columns, widths, strict=True))))
    ws.freeze_panes(HEADER_ROW + 1, 0)
    for i, (row, h, texts) in enumerate(zip(rows, hidden, shown, strict=True), start=HEADER_ROW + 1):
        for j, col in enumerate(columns):
            _write_cell(ws, i, j, col, row, h, fmt)
        lines = max((wrapped_lines(t, w) for t, w, c in zip(texts, widths, columns, strict=True) if _wraps(c)),
                    default=1)
        # xlsxwriter does not autofit: a wrapped cell needs its row made taller (and one line of
        # CJK text is taller than Excel's default row).
        ws.set_row(i, row_points(lines))
    notes = list(spec.footnotes) + ([FOOTNOTE] if any(hidden) else [])
    for k, note in enumerate(notes):
        r = HEADER_ROW + len(rows) + 2 + k
        _merged_line(ws, r, last, note, fmt.note)
        ws.set_row(r, row_points(wrapped_lines(note, table_width), 13))
    if rows:
        ws.autofilter(HEADER_ROW, 0, HEADER_ROW + len(rows), last)
    set_print_layout(ws, widths, period, record, title_rows=HEADER_ROW)


def write_summary_sheet(
    wb: xlsxwriter.Workbook, fmt: SheetFormats, lines: list[str], period: str, record: dict, title: str = "摘要",
) -> None:
    """A first sheet of paragraphs (title first), wrapped in one portrait-wide column."""
    ws = wb.add_worksheet(title)
    ws.set_column(0, 0, SUMMARY_WIDTH)
    for i, line in enumerate(lines):
        if i == 0:
            ws.write_string(i, 0, line, fmt.title)
            ws.set_row(i, row_points(wrapped_lines(line, SUMMARY_WIDTH / 1.3), 20))  # 14 pt: wider glyphs
        else:
            ws.write_string(i, 0, line, fmt.paragraph)
            ws.set_row(i, row_points(wrapped_lines(line, SUMMARY_WIDTH)))
    set_print_layout(ws, [SUMMARY_WIDTH], period, record, title_rows=None)


def export_table(
    con: Warehouse, period: str, table: str, out_path: Path, version: int | None = None,
    loaded: tuple | None = None,
) -> Path:
    """Write one 表 (`indicators`, `projects`, `tasks`, `scorecard`, `supervision`, `industry`) of a
    published (period, version) to `out_path` (.xlsx); refuses an unpublished period. `loaded`: what
    `load_table` gave for it already (the report step reads each table once for two files)."""
    spec, columns, rows, record = loaded or load_table(con, period, table, version)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb = new_workbook(out_path)
    write_table_sheet(wb, SheetFormats(wb), spec, columns, rows, period, record)
    wb.close()
    return out_path


def write_workbook(
    con: Warehouse, period: str, version: int, out_path: Path,
    tables: tuple[str, ...] = TABLE_KEYS, summary: list[str] | None = None, summary_title: str = "摘要",
    loaded: Mapping[str, tuple] | None = None,
) -> Path:
    """A workbook of several 表 (one sheet each), with an optional first sheet of summary lines;
    `loaded`: tables `load_table` gave already, by key."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb = new_workbook(out_path)
    fmt = SheetFormats(wb)
    if summary is not None:
        record = require_published(con, period, version, error=ReportRefused)
        write_summary_sheet(wb, fmt, summary, period, record, summary_title)
    for table in tables:
        spec, columns, rows, record = (loaded or {}).get(table) or load_table(con, period, table, version)
        write_table_sheet(wb, fmt, spec, columns, rows, period, record)
    wb.close()
    return out_path
