"""Excel exports of the published 表: Chinese headers with units, lights as fills, frozen header,
suppressed figures as `—`, and text that can never turn into a formula.

Only published rows are exported (`published.*` at a version), never the live marts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from ingest.warehouse import Warehouse
from publish.contract import LIGHT_FILLS, TABLE_KEYS, ExportColumn, TableSpec, table_specs
from publish.disclosure import FOOTNOTE, SUPPRESSED_MARK, is_suppressed, mark_hidden
from publish.errors import ReportRefused
from publish.labels import is_missing, period_title, ytd_label
from publish.publication import published_rows, require_published

HEADER_ROW = 2  # 0-based: title, subtitle, then the header
# Text is text: a description such as `=SUM(A1)` or `+86…` must never become a formula,
# a URL or a number (CSV/formula injection, and losing leading zeros).
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def new_workbook(path: Path) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)


class SheetFormats:
    def __init__(self, wb: xlsxwriter.Workbook):
        border = {"border": 1, "valign": "vcenter"}
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.subtitle = wb.add_format({"font_size": 9, "font_color": "#555555"})
        self.header = wb.add_format({**border, "bold": True, "text_wrap": True, "align": "center", "bg_color": "#D9E1F2"})
        self.text = wb.add_format({**border, "text_wrap": True})
        self.centre = wb.add_format({**border, "align": "center"})
        self.date = wb.add_format({**border, "num_format": "yyyy-mm-dd", "align": "center"})
        self.note = wb.add_format({"font_size": 9, "italic": True})
        self._numbers: dict[str, object] = {}
        self.lights = {k: wb.add_format({**border, "align": "center", "bg_color": v}) for k, v in LIGHT_FILLS.items()}
        self._wb = wb

    def number(self, num_format: str):
        if num_format not in self._numbers:
            self._numbers[num_format] = self._wb.add_format({"border": 1, "num_format": num_format})
        return self._numbers[num_format]


def _num_format(col: ExportColumn) -> str:
    if col.kind == "integer":
        return "#,##0"
    return "#,##0" + ("." + "0" * col.decimals if col.decimals else "")


def _write_cell(ws, row: int, col_index: int, col: ExportColumn, value, suppressed: bool, fmt: SheetFormats) -> None:
    if suppressed and col.disclosure:
        ws.write_string(row, col_index, SUPPRESSED_MARK, fmt.centre)
        return
    if col.labels:
        value = dict(col.labels).get(value, value)
    if col.kind == "light":
        text = "—" if is_missing(value) else str(value)
        ws.write_string(row, col_index, text, fmt.lights.get(text, fmt.centre))
    elif col.kind in ("number", "integer", "pct"):
        if is_missing(value) or isinstance(value, str):
            ws.write_string(row, col_index, "—" if is_missing(value) else value, fmt.centre)
        else:
            ws.write_number(row, col_index, float(value), fmt.number(_num_format(col)))
    elif col.kind == "date":
        if isinstance(value, dt.date):
            ws.write_datetime(row, col_index, dt.datetime.combine(value, dt.time()), fmt.date)
        elif is_missing(value):
            ws.write_blank(row, col_index, None, fmt.text)
        else:
            ws.write_string(row, col_index, str(value), fmt.text)
    elif isinstance(value, bool):
        ws.write_string(row, col_index, "是" if value else "否", fmt.centre)
    elif is_missing(value):
        ws.write_blank(row, col_index, None, fmt.text)
    else:
        # write_string, never write(): text starting with = + - @ stays text.
        ws.write_string(row, col_index, str(value), fmt.text)


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
    if con.columns("published", spec.mart):
        rows = mark_hidden(published_rows(con, spec.mart, period, record["version"], order_by=spec.order_by))
        available = con.columns("published", spec.mart)
    else:  # the mart was published empty-handed (no such table yet): an empty sheet, not a crash
        rows, available = [], [c.source for c in spec.columns if not c.optional]
    return spec, present_columns(spec, available), rows, record


def version_note(record: dict) -> str:
    published_at = record["published_at"]
    when = published_at.strftime("%Y-%m-%d %H:%M") if hasattr(published_at, "strftime") else str(published_at)
    note = f"数据版本：第{record['version']}版（{when} 发布）"
    if record["gate_result"] == "overridden":
        note += "；本期数据经统计人员签字放行"
    return note


def write_table_sheet(
    wb: xlsxwriter.Workbook, fmt: SheetFormats, spec: TableSpec, columns: list[ExportColumn], rows: list[dict],
    period: str, record: dict, sheet_name: str | None = None,
) -> None:
    ws = wb.add_worksheet(sheet_name or spec.title)
    ws.write_string(0, 0, f"{spec.title}（{period_title(period)}）", fmt.title)
    ws.write_string(1, 0, version_note(record), fmt.subtitle)
    for j, col in enumerate(columns):
        ws.write_string(HEADER_ROW, j, col.header, fmt.header)
        ws.set_column(j, j, col.width)
    ws.set_row(HEADER_ROW, 30)
    ws.freeze_panes(HEADER_ROW + 1, 0)
    any_hidden = False
    for i, row in enumerate(rows, start=HEADER_ROW + 1):
        hidden = is_suppressed(row) and any(c.disclosure for c in columns)
        any_hidden = any_hidden or hidden
        for j, col in enumerate(columns):
            _write_cell(ws, i, j, col, row.get(col.source), hidden, fmt)
    notes = list(spec.footnotes) + ([FOOTNOTE] if any_hidden else [])
    for k, note in enumerate(notes):
        ws.write_string(HEADER_ROW + len(rows) + 2 + k, 0, note, fmt.note)
    if rows:
        ws.autofilter(HEADER_ROW, 0, HEADER_ROW + len(rows), len(columns) - 1)


def export_table(
    con: Warehouse, period: str, table: str, out_path: Path, version: int | None = None
) -> Path:
    """Write one 表 (`indicators`, `projects`, `tasks`, `scorecard`, `supervision`, `industry`) of a
    published (period, version) to `out_path` (.xlsx); refuses an unpublished period."""
    spec, columns, rows, record = load_table(con, period, table, version)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb = new_workbook(out_path)
    write_table_sheet(wb, SheetFormats(wb), spec, columns, rows, period, record)
    wb.close()
    return out_path


def write_workbook(
    con: Warehouse, period: str, version: int, out_path: Path,
    tables: tuple[str, ...] = TABLE_KEYS, summary: list[str] | None = None, summary_title: str = "摘要",
) -> Path:
    """A workbook of several 表 (one sheet each), with an optional first sheet of summary lines."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb = new_workbook(out_path)
    fmt = SheetFormats(wb)
    if summary is not None:
        ws = wb.add_worksheet(summary_title)
        ws.set_column(0, 0, 110)
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        for i, line in enumerate(summary):
            ws.write_string(i, 0, line, fmt.title if i == 0 else wrap)
    for table in tables:
        spec, columns, rows, record = load_table(con, period, table, version)
        write_table_sheet(wb, fmt, spec, columns, rows, period, record)
    wb.close()
    return out_path
