"""Tables of the demo feeds as departments lay them out, and their writers.

A `DemoTable` is what one file shows: title lines, a `单位：` line, a one- or two-row
header, data rows, an optional 合计 row and the 填报人 notes. The generator builds
tables, faults edit them, and the writers put them on disk (xlsx through xlsxwriter,
CSV in GB18030), returning the row number a person sees for every body row.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from ingest import registry

# Fixed document properties so the same seed writes byte-identical workbooks.
_WORKBOOK_CREATED = dt.datetime(2023, 1, 1, 8, 0, 0)


@dataclass
class TableColumn:
    field: str  # registry field; '' for display-only columns (序号)
    header: str  # the header cell (the child header under a merged parent)
    parent: str | None = None  # merged parent header of a two-row header
    decimals: int | None = None  # number format of numeric cells
    file_unit: str | None = None  # unit the file states for this column (header bracket or 单位 line)
    width: float = 12

    @property
    def flat_header(self) -> str:
        return f"{self.parent}_{self.header}" if self.parent else self.header


@dataclass
class TableRow:
    values: dict[str, object]
    is_total: bool = False
    faulted: bool = False  # an injected fault changed this row


@dataclass
class DemoTable:
    feed_id: str
    period: str
    file_name: str
    columns: list[TableColumn]
    rows: list[TableRow]
    scope: str = ""  # canonical 填报单位 of multi-department feeds
    scope_as_written: str = ""
    sheet_name: str = "Sheet1"
    title: str | None = None
    unit_line: str | None = None
    notes: list[str] = field(default_factory=list)
    # Sheets placed before the data sheet (e.g. 填报说明), name -> lines of text.
    extra_sheets_before: dict[str, list[str]] = field(default_factory=dict)
    file_format: str = "xlsx"  # 'xlsx' | 'csv'
    csv_encoding: str = "gb18030"
    submitted_on: dt.date | None = None
    # The 填报人 line ends with `填报日期：…` (the submission date), filled in at write time
    # so a fault that makes the file late dates it late too.
    dated_notes: bool = False

    def column_index(self, field_name: str) -> int:
        for i, c in enumerate(self.columns):
            if c.field == field_name:
                return i
        raise KeyError(f"{self.file_name} has no column {field_name}")

    def data_rows(self) -> list[TableRow]:
        return [r for r in self.rows if not r.is_total]

    def canonical_sums(self) -> dict[str, float]:
        """Per numeric registry column, Σ over non-total rows in the feed's canonical unit."""
        feed = registry.get_feed(self.feed_id)
        sums: dict[str, float] = {}
        for col in self.columns:
            if not col.field or col.field.startswith("_"):
                continue  # display-only columns (序号, 报告期)
            spec = feed.column(col.field)
            if spec.type not in ("number", "integer"):
                continue
            factor = 1.0
            if col.file_unit and spec.unit and col.file_unit != spec.unit:
                factor = registry.conversion_factor(col.file_unit, spec.unit)
            total = 0.0
            for row in self.data_rows():
                value = row.values.get(col.field)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    total += value * factor
            sums[col.field] = round(total, 6)
        return sums


def _cell_text(value: object, decimals: int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return f"{value:.{decimals}f}" if decimals is not None else repr(value)
    return str(value)


def write_table(table: DemoTable, path: Path) -> list[int]:
    """Write `table` at `path`; return, per body row, its row number as a person sees it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if table.file_format == "csv":
        return _write_csv(table, path)
    return _write_xlsx(table, path)


def _write_csv(table: DemoTable, path: Path) -> list[int]:
    with open(path, "w", encoding=table.csv_encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.flat_header for c in table.columns])
        for row in table.rows:
            writer.writerow([_cell_text(row.values.get(c.field), c.decimals) for c in table.columns])
    return [i + 2 for i in range(len(table.rows))]


def _write_xlsx(table: DemoTable, path: Path) -> list[int]:
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({"created": _WORKBOOK_CREATED, "author": "鹿城区"})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    head_fmt = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter",
                              "text_wrap": True, "bg_color": "#DDEBF7"})
    text_fmt = wb.add_format({"border": 1})
    total_fmt = wb.add_format({"border": 1, "bold": True})
    date_fmt = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    num_fmts: dict[tuple[int | None, bool], object] = {}

    def num_fmt(decimals: int | None, bold: bool):
        key = (decimals, bold)
        if key not in num_fmts:
            props: dict[str, object] = {"border": 1, "bold": bold}
            if decimals is not None:  # None: General, the value as stored
                props["num_format"] = "#,##0" + ("." + "0" * decimals if decimals else "")
            num_fmts[key] = wb.add_format(props)
        return num_fmts[key]

    for sheet_name, lines in table.extra_sheets_before.items():
        ws_extra = wb.add_worksheet(sheet_name)
        ws_extra.set_column(0, 0, 80)
        for i, line in enumerate(lines):
            ws_extra.write_string(i, 0, line)

    ws = wb.add_worksheet(table.sheet_name)
    ncols = len(table.columns)
    for i, col in enumerate(table.columns):
        ws.set_column(i, i, col.width)
    r = 0
    if table.title:
        if ncols > 1:
            ws.merge_range(r, 0, r, ncols - 1, table.title, title_fmt)
        else:
            ws.write_string(r, 0, table.title, title_fmt)
        ws.set_row(r, 24)
        r += 1
    if table.unit_line:
        ws.write_string(r, ncols - 1 if ncols > 1 else 0, table.unit_line)
        r += 1

    two_rows = any(c.parent for c in table.columns)
    if two_rows:
        i = 0
        while i < ncols:
            col = table.columns[i]
            if col.parent is None:
                ws.merge_range(r, i, r + 1, i, col.header, head_fmt)
                i += 1
                continue
            j = i
            while j + 1 < ncols and table.columns[j + 1].parent == col.parent:
                j += 1
            if j > i:
                ws.merge_range(r, i, r, j, col.parent, head_fmt)
            else:
                ws.write_string(r, i, col.parent, head_fmt)
            for k in range(i, j + 1):
                ws.write_string(r + 1, k, table.columns[k].header, head_fmt)
            i = j + 1
        r += 2
    else:
        for i, col in enumerate(table.columns):
            ws.write_string(r, i, col.header, head_fmt)
        r += 1

    row_numbers = []
    for row in table.rows:
        for i, col in enumerate(table.columns):
            value = row.values.get(col.field)
            if value is None:
                ws.write_blank(r, i, None, text_fmt)
            elif isinstance(value, bool):
                ws.write_string(r, i, "是" if value else "否", text_fmt)
            elif isinstance(value, int | float):
                ws.write_number(r, i, value, num_fmt(col.decimals, row.is_total))
            elif isinstance(value, dt.date):
                ws.write_datetime(r, i, dt.datetime(value.year, value.month, value.day), date_fmt)
            else:
                ws.write_string(r, i, str(value), total_fmt if row.is_total else text_fmt)
        row_numbers.append(r + 1)
        r += 1
    notes = list(table.notes)
    if table.dated_notes and notes and table.submitted_on:
        notes[-1] += f"　　填报日期：{table.submitted_on:%Y年%m月%d日}"
    for note in notes:
        ws.write_string(r, 0, note)
        r += 1
    wb.close()
    return row_numbers
