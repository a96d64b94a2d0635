"""Reading one department file into typed rows (FEEDS.md "Rules for every feed").

`read_feed_file` returns a `ParsedFile` or raises `FeedRejection`; it never raises
anything else for bad input. Cells that cannot be read as their type become None and
are listed in the row's `_parse_errors`: the file is loaded and the checks judge it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from ingest import reference
from ingest.errors import FeedRejection, FileWarning
from ingest.headers import (
    HEADER_SEARCH_ROWS,
    HeaderColumn,
    HeaderMatch,
    find_header,
    find_unit_line,
    split_header,
)
from ingest.limits import ReadLimits, check_extent, check_file_size, too_large
from ingest.periods import (
    period_from_file_name,
    period_from_title,
    period_from_value,
    resolve_period,
    year_period,
)
from ingest.registry import UNITS, Column, Feed, conversion_factor, get_feed, unit_dimension
from ingest.values import (
    ValueParseError,
    as_percent,
    display,
    normalise_text,
    parse_bool,
    parse_date,
    parse_month,
    parse_number,
    parse_text,
)
from ingest.xlsx import XlsxPackage

SUPPORTED_EXTENSIONS = (".xlsx", ".xls", ".csv")
CSV_DELIMITERS = (",", "\t", ";")
TOTAL_CODE = "合计"
REPORTED_ON_HEADERS = frozenset({"填报日期", "填报时间", "报送日期"})
# A running number column is in nearly every template: not a field, not worth a warning.
SEQUENCE_HEADERS = frozenset({"序号", "序", "No", "No."})

# First cell of a row after the data that makes it a note, not data.
_NOTE_ROW = re.compile(
    r"^(?:(?:注|说明|备注)(?=[:\s\d①-⑩、.(]|$)"
    r"|填报人|审核人|负责人|单位负责人|填报日期|填表说明|制表|联系人|联系电话|数据来源)"
)
# 合计, 总计, 全区合计, 合计（全区）; not a section named …业合计 (that is data with a code).
_TOTAL_TEXT = re.compile(r"^(?:全区|全部|本区|服务业)?(?:合计|总计)")
_REPORTED_ON_LABEL = re.compile(r"填报(?:日期|时间)[:：]?\s*(.*)$")
_DATE_PREFIX = re.compile(r"[0-9年月日./\-]+")
_PERIOD_LABEL = re.compile(r"^报告期[:：]?$")
# Fields whose text may say 合计 on a total row (besides the key and the first cell).
_NAME_FIELDS = ("industry_name", "name", "zone_name", "indicator", "indicator_name")

PARSERS: dict[str, Callable[[object], object]] = {
    "number": parse_number,
    "integer": parse_number,
    "bool": parse_bool,
    "month": parse_month,
    "date": parse_date,
    "text": parse_text,
    "enum": parse_text,
}


@dataclass
class ParsedFile:
    feed_id: str
    file_name: str
    sheet: str | None
    period: str
    rows: list[dict]
    reported_on: dt.date | None  # the latest 填报日期 in the file: the department's claim
    warnings: list[FileWarning]  # each a `str` (the bilingual sentence) with row and column
    header_row: int  # 1-based row of the (first) header row, as a person sees it


@dataclass
class _Grid:
    """One sheet (or CSV) as rows of cells, and the row number a person sees for each."""

    sheet: str | None
    rows: list[list[object]]
    row_numbers: list[int]
    # 0-based (grid row, column) of cells formatted as percentages (`12.5%` shown, 0.125 stored)
    percent_cells: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class _UnitPlan:
    """How one column's values reach its canonical unit."""

    source_unit: str | None = None  # set when a conversion happens; recorded in _source_unit
    target_unit: str | None = None
    error: tuple[str, str] | None = None  # (zh, en) when the written unit cannot be converted

    def convert(self, value: float) -> float:
        if self.source_unit is None or self.target_unit is None:
            return value
        return _convert(value, self.source_unit, self.target_unit)


def _convert(value: float, source: str, target: str) -> float:
    """`value` in `source` as `target` (same dimension). Multiplying by the source's base
    factor and dividing by the target's keeps 12345678 元 = 1234.5678 万元 exact."""
    conversion_factor(source, target)  # the registry refuses a change of dimension
    return value * UNITS[source][1] / UNITS[target][1]


@dataclass
class _Context:
    feed: Feed
    file_name: str
    grid: _Grid
    header: HeaderMatch
    line_units: list[str]
    warnings: list[FileWarning] = field(default_factory=list)
    # A 填报日期 column in a feed without a reported_on field still dates the file.
    reported_index: int | None = None
    # Indicator id -> unit, for a value whose unit is per row (None: the indicator registry seed's).
    indicator_units: Mapping[str, str] | None = None
    # `填报单位：区人社局` above the header of a multi-department feed: every row's scope.
    scope_line: str | None = None

    def indicator_unit(self, indicator_id: str) -> str | None:
        if self.indicator_units is not None:
            return self.indicator_units.get(indicator_id)
        return reference.indicator_unit(indicator_id)


def read_feed_file(path: Path, feed_id: str, *, file_name: str | None = None,
                   indicator_units: Mapping[str, str] | None = None, limits: ReadLimits | None = None) -> ParsedFile:
    """Read one department file. Bounded: a file beyond `limits` (default: the settings) is
    rejected before a parser allocates for it. Run it in `ingest.isolation`'s child process
    where a crafted file could still exhaust memory (landing and the inbox sensor do).
    `indicator_units` (indicator id -> unit) is what a per-row unit converts to: landing passes
    the registry's and the tasks the year's target lists added (`landing.indicator_units`);
    without it, the indicator registry seed's."""
    path = Path(path)
    name = file_name or path.name
    limits = limits or ReadLimits.from_env()
    try:
        feed = get_feed(feed_id)
    except KeyError:
        raise FeedRejection(f"未知的报表类型「{feed_id}」", f"unknown feed {feed_id}", name) from None
    extension = (path.suffix or Path(name).suffix).lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise FeedRejection(
            f"不支持的文件类型「{extension or '无扩展名'}」，请提交 .xlsx、.xls 或 .csv 文件",
            f"unsupported file type {extension or '(no extension)'}; send .xlsx, .xls or .csv",
            name,
        )
    sheet: str | None = None
    try:
        check_file_size(path.stat().st_size, limits, name)
        if extension == ".csv":
            grid = _read_csv(path, name, feed, limits)
        else:
            grid = _read_excel(path, name, feed, limits)
        sheet = grid.sheet
        return _parse_grid(grid, feed, name, indicator_units)
    except FeedRejection:
        raise
    except MemoryError:
        raise too_large("读取时内存不足", "reading it ran out of memory", name, sheet) from None
    except Exception as exc:  # a broken file must become a rejection, never a crash
        raise FeedRejection(
            f"无法读取文件（{type(exc).__name__}: {exc}）",
            f"the file cannot be read ({type(exc).__name__}: {exc})",
            name,
            sheet,
        ) from exc


# --- reading cells -----------------------------------------------------------------------
ZIP_MAGIC = b"PK\x03\x04"


def _read_excel(path: Path, name: str, feed: Feed, limits: ReadLimits) -> _Grid:
    with open(path, "rb") as fh:
        is_zip = fh.read(4) == ZIP_MAGIC
    # An .xlsx saved as .xls (or the reverse) is common: calamine sniffs the bytes.
    package = XlsxPackage(str(path), limits, name) if is_zip else None
    try:
        if package is not None:
            package.check_shared_strings()
        try:
            workbook = CalamineWorkbook.from_path(str(path))
        except Exception:
            workbook = None
        try:
            if workbook is None:
                with open(path, "rb") as fh:
                    workbook = CalamineWorkbook.from_filelike(io.BytesIO(fh.read()))
        except Exception as exc:
            raise FeedRejection(
                f"无法打开Excel文件，文件可能已损坏或不是Excel格式（{exc}）",
                f"cannot open the Excel file; it may be corrupt or not an Excel file ({exc})",
                name,
            ) from exc
        with workbook:
            sheet_name = _choose_sheet(workbook, feed)
            if sheet_name is None:
                raise FeedRejection("文件中没有工作表", "the workbook has no worksheet", name)
            percent_cells: set[tuple[int, int]] = set()
            if package is not None:
                # The sheet's declared and real extent, before calamine allocates by them.
                styles = package.percent_styles() if any(c.unit == "%" for c in feed.columns) else set()
                percent_cells = package.scan_sheet(sheet_name, styles).percent_cells
            sheet = workbook.get_sheet_by_name(sheet_name)
            # .xls has no declared sizes to check first: its extent is checked here, before
            # Python builds a cell of it (the reading process's memory limit bounds calamine).
            if sheet.end is not None:
                check_extent(sheet.end[0] + 1, sheet.end[1] + 1, limits, name, sheet_name)
            rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
            _fill_merged(rows, sheet.merged_cell_ranges or [])
    finally:
        if package is not None:
            package.close()
    return _Grid(sheet_name, rows, list(range(1, len(rows) + 1)), percent_cells)


def _choose_sheet(workbook: CalamineWorkbook, feed: Feed) -> str | None:
    """The sheet named after the feed, else the first visible worksheet."""
    sheets = [
        m.name
        for m in workbook.sheets_metadata
        if m.typ == SheetTypeEnum.WorkSheet and m.visible == SheetVisibleEnum.Visible
    ] or list(workbook.sheet_names)
    wanted = "".join(normalise_text(feed.name_zh).split())
    keys = {s: "".join(normalise_text(s).split()) for s in workbook.sheet_names}
    for sheet, key in keys.items():
        if key == wanted:
            return sheet
    for sheet, key in keys.items():
        if wanted in key:
            return sheet
    return sheets[0] if sheets else None


def _fill_merged(rows: list[list[object]], ranges: Sequence[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """A merged range reads as its value in every cell it covers, as a person sees it."""
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(rows):
            continue
        top_left = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    row[c] = top_left


# The header lies within the first rows: the delimiter is chosen on this much of the text.
CSV_SNIFF_CHARS = 64 * 1024


def _csv_encoding(path: Path, name: str) -> str:
    """The file's encoding, found by decoding it as a stream (never held whole)."""
    with open(path, "rb") as fh:
        head = fh.read(2)
    if head in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise FeedRejection(
        "无法识别CSV文件的编码（应为UTF-8或GB18030/GBK）",
        "cannot decode the CSV file (expected UTF-8 or GB18030/GBK)",
        name,
    )


def _csv_grid(lines: Iterable[str], delimiter: str, limits: ReadLimits | None = None, name: str = "") -> _Grid:
    reader = csv.reader(lines, delimiter=delimiter)
    rows: list[list[object]] = []
    numbers: list[int] = []
    line = 0
    for record in reader:
        if limits is not None:
            check_extent(len(rows) + 1, len(record), limits, name, None)
        rows.append(list(record))
        numbers.append(line + 1)  # the line the record starts on
        line = reader.line_num
    return _Grid(None, rows, numbers)


def _read_csv(path: Path, name: str, feed: Feed, limits: ReadLimits) -> _Grid:
    encoding = _csv_encoding(path, name)
    with open(path, encoding=encoding, newline="") as fh:
        head = fh.read(CSV_SNIFF_CHARS)
    head_lines = head.splitlines(keepends=True)
    if len(head) == CSV_SNIFF_CHARS and len(head_lines) > 1:
        head_lines.pop()  # cut mid-line
    # The delimiter is the one under which the header is found (sniffing on separators
    # alone is fooled by thousands separators and Chinese punctuation).
    best: tuple[tuple[int, int], str] | None = None
    for delimiter in CSV_DELIMITERS:
        try:
            match = find_header(_csv_grid(head_lines, delimiter).rows, feed)
        except csv.Error:
            continue
        score = (-len(match.missing_required), len(match.columns))
        if best is None or score > best[0]:
            best = (score, delimiter)
    delimiter = best[1] if best else CSV_DELIMITERS[0]
    with open(path, encoding=encoding, newline="") as fh:
        return _csv_grid(fh, delimiter, limits, name)


# --- from cells to rows ------------------------------------------------------------------
def _cell(row: Sequence[object], index: int | None) -> object:
    if index is None or index >= len(row):
        return None
    value = row[index]
    return None if value == "" else value


def _is_blank(row: Sequence[object]) -> bool:
    return all(v is None or (isinstance(v, str) and not normalise_text(v)) for v in row)


def _first_text(row: Sequence[object]) -> str:
    for value in row:
        if value is not None and value != "":
            text = normalise_text(display(value))
            if text:
                return text
    return ""


def _row_text(row: Sequence[object]) -> str:
    seen: list[str] = []
    for value in row:
        if value is None or value == "":
            continue
        text = normalise_text(display(value))
        if text and text not in seen:  # merged title cells repeat their text
            seen.append(text)
    return " ".join(seen)


def _unreadable_reported_on(raw: object, row_number: int) -> FileWarning:
    return FileWarning(f"第{row_number}行的填报日期「{display(raw)}」无法识别",
                       f"the 填报日期 in row {row_number} cannot be read: {display(raw)}",
                       row=row_number, column="填报日期")


def _reported_dates(row: Sequence[object], row_number: int, warnings: list[FileWarning]) -> list[dt.date]:
    """Dates after a `填报日期` label in this row (in the same cell or the next one); an
    unreadable one is warned, since lateness is judged by it."""
    found: list[dt.date] = []
    for i, value in enumerate(row):
        if not isinstance(value, str):
            continue
        m = _REPORTED_ON_LABEL.search(normalise_text(value))
        if not m:
            continue
        tail = m.group(1).strip()
        candidate: object = None
        if tail:
            prefix = _DATE_PREFIX.match("".join(tail.split()))
            candidate = prefix.group(0) if prefix else tail
        else:
            candidate = next((v for v in row[i + 1 :] if v not in (None, "")), None)
        try:
            day = parse_date(candidate)
        except ValueParseError:
            day = None
            warnings.append(_unreadable_reported_on(candidate, row_number))
        if day:
            found.append(day)
    return found


def _reported_cell(row: Sequence[object], index: int, row_number: int,
                   warnings: list[FileWarning]) -> list[dt.date]:
    raw = _cell(row, index)
    try:
        day = parse_date(raw)
    except ValueParseError:
        warnings.append(_unreadable_reported_on(raw, row_number))
        return []
    return [day] if day else []


def _labelled_period(row: Sequence[object]) -> object:
    """The value after a `报告期：` label cell above the header (e.g. an Excel date)."""
    for i, value in enumerate(row):
        if isinstance(value, str) and _PERIOD_LABEL.match(normalise_text(value)):
            return next((v for v in row[i + 1 :] if v not in (None, "")), None)
    return None


def _unit_plan(column: Column, matched: HeaderColumn, line_units: list[str]) -> _UnitPlan:
    canonical = column.unit
    if canonical is None:
        return _UnitPlan()
    written = matched.unit
    if written is None:
        # A parent header's unit (`营业收入（万元）` over `本年累计`) or a 单位 line applies only to
        # columns of its dimension (money never to counts or percentages); the nearest first.
        written = next((u for u in (*matched.parent_units, *line_units)
                        if u in UNITS and unit_dimension(u) == unit_dimension(canonical)), None)
    if written is None or written == canonical:
        return _UnitPlan()
    if unit_dimension(written) != unit_dimension(canonical):
        return _UnitPlan(
            error=(
                f"单位「{written}」无法换算为「{canonical}」",
                f"unit {written} cannot be converted to {canonical}",
            )
        )
    if conversion_factor(written, canonical) == 1:  # 家 for 个, 名 for 人: nothing to convert
        return _UnitPlan()
    return _UnitPlan(source_unit=written, target_unit=canonical)


def _parse_error(field_name: str, raw: object, zh: str, en: str) -> str:
    return f"{field_name}: {display(raw)} ({zh} / {en})"


def _is_total(row: Sequence[object], feed: Feed, header: HeaderMatch) -> bool:
    texts = [_first_text(row)]
    for field_name in (*feed.key, *_NAME_FIELDS):
        if field_name in header.columns:
            texts.append(normalise_text(display(_cell(row, header.columns[field_name].index) or "")))
    return any(_TOTAL_TEXT.search("".join(t.split())) for t in texts if t)


def _convert_per_row(ctx: _Context, record: dict, raw_row: Sequence[object]) -> tuple[str | None, str | None]:
    """dept_task_progress: value_ytd is in the indicator's unit; a different unit written
    in the row is converted. Returns (source unit note, parse error)."""
    value_field, unit_field, indicator_field = ctx.feed.per_row_unit
    value = record[value_field]
    target = ctx.indicator_unit(record[indicator_field]) if record[indicator_field] else None
    if value is None or not target:
        return None, None
    written = record[unit_field]
    if not written and value_field in ctx.header.columns:
        written = ctx.header.columns[value_field].unit
    if not written:
        parents = ctx.header.columns[value_field].parent_units if value_field in ctx.header.columns else ()
        written = next((u for u in (*parents, *ctx.line_units)
                        if u in UNITS and unit_dimension(u) == unit_dimension(target)), None)
    if not written or written == target:
        return None, None
    if written not in UNITS or unit_dimension(written) != unit_dimension(target):
        record[value_field] = None
        raw = _cell(raw_row, ctx.header.columns[value_field].index)
        return None, _parse_error(
            value_field,
            raw,
            f"单位「{written}」无法换算为指标单位「{target}」",
            f"unit {written} cannot be converted to the indicator's unit {target}",
        )
    record[unit_field] = target
    if conversion_factor(written, target) == 1:
        return None, None
    record[value_field] = _convert(value, written, target)
    return f"{value_field}={written}", None


def _parse_grid(grid: _Grid, feed: Feed, name: str, indicator_units: Mapping[str, str] | None = None) -> ParsedFile:
    if not grid.rows or all(_is_blank(r) for r in grid.rows):
        raise FeedRejection("文件为空", "the file is empty", name, grid.sheet)
    # A multi-department file may name its 填报单位 in a line above the header, not a column.
    scope_lines = _scope_lines(grid.rows, feed)
    header = find_header(grid.rows, feed, optional=frozenset({feed.scope_field}) if scope_lines else frozenset())
    scope_lines = [(i, value) for i, value in scope_lines if i < header.row_index]
    missing_fields = list(header.missing_required)
    if feed.scope_field and feed.scope_field not in header.columns and not scope_lines:
        missing_fields.append(feed.scope_field)
    if missing_fields:
        missing = [feed.column(f) for f in feed.required_fields if f in missing_fields]
        raise FeedRejection(
            "缺少必填列" + "、".join(f"「{c.header}」" for c in missing),
            ("missing required column " if len(missing) == 1 else "missing required columns ")
            + ", ".join(f"{c.header} ({c.field})" for c in missing),
            name,
            grid.sheet,
        )
    above = grid.rows[: header.row_index]
    ctx = _Context(feed, name, grid, header, find_unit_line(above), indicator_units=indicator_units)
    if scope_lines:
        named = {_scope_key(value): value for _i, value in scope_lines}
        if len(named) > 1:
            raise FeedRejection(
                "表头上方的填报单位不一致：" + "、".join(f"「{v}」" for v in named.values()),
                "the 填报单位 lines above the header disagree: " + ", ".join(named.values()),
                name, grid.sheet, row=grid.row_numbers[scope_lines[-1][0]])
        ctx.scope_line = scope_lines[0][1]
    for col, text in header.unmatched:
        key = split_header(text)[0]
        if "reported_on" not in header.columns and key in REPORTED_ON_HEADERS:
            ctx.reported_index = col
            continue
        if key in SEQUENCE_HEADERS:
            continue
        ctx.warnings.append(FileWarning(
            f"列「{text}」（第{col + 1}列）不属于本表，未读取",
            f"column {text} (column {col + 1}) is not part of this feed and was not read",
            row=grid.row_numbers[header.row_index], column=text))
    for col, text, field_name in header.duplicates:
        ctx.warnings.append(FileWarning(
            f"列「{text}」（第{col + 1}列）与前面的列重复，未读取",
            f"column {text} (column {col + 1}) repeats {field_name} and was not read",
            row=grid.row_numbers[header.row_index], column=text))

    plans = {f: _unit_plan(feed.column(f), matched, ctx.line_units) for f, matched in header.columns.items()}
    for f, plan in plans.items():
        if plan.error:
            ctx.warnings.append(FileWarning(
                f"「{header.columns[f].header}」列：{plan.error[0]}",
                f"column {header.columns[f].header}: {plan.error[1]}",
                row=grid.row_numbers[header.row_index], column=header.columns[f].header))

    reported: list[dt.date] = []
    sources: dict[str, object] = {}
    title_periods: list[tuple[int, str]] = []
    for i, row in enumerate(above):
        reported += _reported_dates(row, grid.row_numbers[i], ctx.warnings)
        period = period_from_title(_row_text(row), yearly=feed.period_is_year)
        labelled = _labelled_period(row)
        if period is None and labelled is not None:
            try:
                period = period_from_value(labelled, yearly=feed.period_is_year)
            except ValueParseError:
                period = None
        if period:
            title_periods.append((grid.row_numbers[i], period))
    if len(title_periods) == 1:
        sources["title"] = title_periods[0][1]
    else:
        for row_number, period in title_periods:
            sources[f"title_row_{row_number}"] = period

    records, column_periods = _read_data_rows(ctx, plans, reported)
    if not records:
        raise FeedRejection("表头下没有数据行", "no data rows below the header", name, grid.sheet)
    sources["report_column"] = column_periods if header.period_index is not None else None
    if feed.year_column:
        sources["year_column"] = _year_column_periods(ctx, records)
    sources["file_name"] = period_from_file_name(name, yearly=feed.period_is_year)
    period = resolve_period(sources, file_name=name, sheet=grid.sheet)  # type: ignore[arg-type]
    return ParsedFile(
        feed_id=feed.feed_id,
        file_name=name,
        sheet=grid.sheet,
        period=period,
        rows=records,
        reported_on=max(reported) if reported else None,
        warnings=ctx.warnings,
        header_row=grid.row_numbers[header.row_index],
    )


def _year_column_periods(ctx: _Context, records: list[dict]) -> set[str]:
    """The periods (`YYYY-01`) the 年度 column of a feed whose period is a year states."""
    periods: set[str] = set()
    for record in records:
        try:
            period = year_period(record[ctx.feed.year_column])
        except ValueParseError as exc:
            column = ctx.feed.column(ctx.feed.year_column).header
            raise FeedRejection(
                f"{column}「{display(record[ctx.feed.year_column])}」无法识别（{exc.reason_zh}）",
                f"the {column} {display(record[ctx.feed.year_column])} cannot be read ({exc.reason_en})",
                ctx.file_name, ctx.grid.sheet, row=record["_row_number"], column=column) from None
        if period:
            periods.add(period)
    return periods


# `填报单位：区人社局`, `填报单位（盖章）: 区人社局` (the name may also stand in the next cell).
_SCOPE_LABEL = re.compile(r"^填报单位(?:\([^)]*\))?[:：]\s*(.*)$")
# What may follow the name in the same cell: another label, or a wide gap.
_SCOPE_TAIL_END = re.compile(r"\s{2,}|\s*(?:填报|报送|制表|联系|负责|审核|单位负责人|日期|电话)")


def _scope_lines(rows: Sequence[Sequence[object]], feed: Feed) -> list[tuple[int, str]]:
    """(row index, name) of `填报单位：…` lines among the rows the header may lie under, for a
    multi-department feed (its scope field); none for other feeds."""
    if not feed.scope_field:
        return []
    found: list[tuple[int, str]] = []
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        for c, value in enumerate(row):
            if not isinstance(value, str):
                continue
            m = _SCOPE_LABEL.match(normalise_text(value))
            if not m:
                continue
            name = _SCOPE_TAIL_END.split(m.group(1), maxsplit=1)[0].strip()
            if not name:
                following = next((v for v in row[c + 1:] if v not in (None, "")), None)
                name = parse_text(following) or ""
            if name:
                found.append((i, name))
            break
    return found


def _scope_key(name: str) -> str:
    """How landing compares 填报单位 names (`landing.scope_of`): canonical, else normalised."""
    return reference.canonical_department(name) or reference.normalise_name(name)


def _apply_scope_line(ctx: _Context, record: dict, row_number: int) -> None:
    """The line is the scope of every row; a row's own 填报单位 wins, warned when it differs."""
    field_name = ctx.feed.scope_field
    written = record.get(field_name)
    if written is None:
        record[field_name] = ctx.scope_line
    elif _scope_key(written) != _scope_key(ctx.scope_line):
        header = ctx.header.columns[field_name].header
        ctx.warnings.append(FileWarning(
            f"第{row_number}行的填报单位「{written}」与表头上方的「{ctx.scope_line}」不一致，按本行",
            f"row {row_number} names 填报单位 {written}, the line above the header {ctx.scope_line}; "
            f"the row's own is used",
            row=row_number, column=header))


def _read_data_rows(
    ctx: _Context, plans: dict[str, _UnitPlan], reported: list[dt.date]
) -> tuple[list[dict], set[str]]:
    feed, header, grid = ctx.feed, ctx.header, ctx.grid
    records: list[dict] = []
    column_periods: set[str] = set()
    in_notes = False
    for i in range(header.data_start, len(grid.rows)):
        row = grid.rows[i]
        row_number = grid.row_numbers[i]
        if _is_blank(row):
            continue
        if in_notes or _NOTE_ROW.match(_first_text(row)):
            in_notes = True
            reported += _reported_dates(row, row_number, ctx.warnings)
            if all(_cell(row, header.columns[f].index) is not None for f in feed.required_fields):
                ctx.warnings.append(FileWarning(
                    f"第{row_number}行位于注释之后，未作为数据读取",
                    f"row {row_number} follows the notes and was not read as data",
                    row=row_number))
            continue
        record, errors, source_units = _read_record(ctx, row, plans, i)
        if ctx.scope_line is not None:
            _apply_scope_line(ctx, record, row_number)
        if header.period_index is not None:
            raw_period = _cell(row, header.period_index)
            try:
                period = period_from_value(raw_period, yearly=feed.period_is_year)
            except ValueParseError as exc:
                raise FeedRejection(
                    f"报告期「{display(raw_period)}」无法识别（{exc.reason_zh}）",
                    f"the report period {display(raw_period)} cannot be read ({exc.reason_en})",
                    ctx.file_name,
                    grid.sheet,
                    row=row_number,
                    column="报告期",
                ) from None
            if period:
                column_periods.add(period)
        if feed.per_row_unit:
            note, error = _convert_per_row(ctx, record, row)
            if note:
                source_units.append(note)
            if error:
                errors.append(error)
        if record.get("reported_on"):
            reported.append(record["reported_on"])
        if ctx.reported_index is not None:
            reported += _reported_cell(row, ctx.reported_index, row_number, ctx.warnings)
        record["_row_number"] = row_number
        record["_is_total"] = _is_total(row, feed, header)
        if record["_is_total"] and feed.hierarchical:
            record[feed.key[0]] = TOTAL_CODE
        record["_source_unit"] = "; ".join(source_units) or None
        record["_parse_errors"] = "; ".join(errors) or None
        records.append(record)
    return records, column_periods


def _read_record(
    ctx: _Context, row: Sequence[object], plans: dict[str, _UnitPlan], grid_row: int
) -> tuple[dict, list[str], list[str]]:
    record: dict[str, object] = {}
    errors: list[str] = []
    source_units: list[str] = []
    for column in ctx.feed.columns:
        matched = ctx.header.columns.get(column.field)
        if matched is None:
            record[column.field] = None
            continue
        raw = _cell(row, matched.index)
        try:
            value = PARSERS[column.type](raw)
        except ValueParseError as exc:
            record[column.field] = None
            errors.append(_parse_error(column.field, raw, exc.reason_zh, exc.reason_en))
            continue
        if (column.unit == "%" and isinstance(raw, int | float) and not isinstance(raw, bool)
                and (grid_row, matched.index) in ctx.grid.percent_cells and value is not None):
            value = as_percent(value)  # a cell formatted `0.0%`: what it shows, 12.5, not 0.125
        plan = plans[column.field]
        if value is not None and plan.error:
            errors.append(_parse_error(column.field, raw, *plan.error))
            value = None
        elif value is not None and plan.source_unit:
            value = plan.convert(value)  # type: ignore[arg-type]
            source_units.append(f"{column.field}={plan.source_unit}")
        record[column.field] = value
    return record, errors, source_units
