"""The period of a feed file (FEEDS.md "Period"): one home for reading periods from a
title, a file name or a 报告期 cell, and for deciding the file's period from them; and the
one validator of a period someone gives the platform (`validate_period`).

A period is the text 'YYYY-MM'. Year-to-date figures (`1-N月`) belong to period N. A year alone
(`2023年度`, `2023年`, `全年`) is no period, except for a feed whose period is a year
(`yearly=True`, the registry's `Feed.year_column`: `annual_targets`), whose period is that year's
January, `YYYY-01`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from pathlib import PurePath

from ingest.errors import FeedRejection
from ingest.values import ValueParseError, normalise_text, parse_month

YEAR_MIN, YEAR_MAX = 1990, 2100

# Dash-like characters people put in `1-6月` (after NFKC: ～ is ~, － is -).
DASHES = re.compile(r"[-—–‐‑―~〜至到]")
_CHINESE_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

# Title spellings, leftmost match wins; at one position the alternatives are tried in order.
# A year needs a month after it: `2023年度`, `2023年` and `2023年全年` name no month (`1-12月` does).
_TITLE = re.compile(
    r"(?<!\d)(?P<year>\d{4})年度?(?:"
    r"1月?-(?P<ytd>\d{1,2})月"
    r"|(?P<half>上半年)"
    r"|(?P<q3>前三季度|1-3季度)"
    r"|第?(?P<quarter>[一二三四1-4])季度"
    r"|(?P<month>\d{1,2})月(?!\d{1,2}日)"
    r")"
)
# The year of a feed whose period is a year: `2024年度` first, else `2024年`; in a file name also
# a 4-digit year standing alone (`annual_targets_2024.xlsx`, not a date such as 20240315).
_YEAR_OF_PLAN = re.compile(r"(?<!\d)(\d{4})年度")
_YEAR_WRITTEN = re.compile(r"(?<!\d)(\d{4})年")
_YEAR_ALONE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# Numeric spellings: 202305, 2023-05, 2023_05, 2023.05 (but not a date 2023-05-20).
_COMPACT = re.compile(r"(?<!\d)(\d{4})(0[1-9]|1[0-2])(?!\d)")
_SEPARATED = re.compile(r"(?<!\d)(\d{4})[-_./](\d{1,2})(?!\d)(?![-_./]\d{1,2}(?!\d))")
# 填报日期 and the like are dates of the form, not periods: removed before reading a title.
_DATE_LABELS = re.compile(r"(填报|报送|制表|编制|打印|导出)(日期|时间)[:：]?\s*[0-9０-９年月日.\-/／\s]*")

# A period as the platform names it: 4-digit year, 2-digit month 01..12.
_VALID_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A period that is not 'YYYY-MM'; its message is one bilingual line."""


def validate_period(period: object) -> str:
    """`period` itself when it is 'YYYY-MM' (e.g. 2024-06); else PeriodError. The CLI, the check
    runner, the gate, publication and the reports all validate through this one function."""
    if isinstance(period, str) and _VALID_PERIOD.match(period):
        return period
    raise PeriodError(f"报告期应为 YYYY-MM（如 2024-06），收到 {period!r} / "
                      f"period must be YYYY-MM (e.g. 2024-06), got {period!r}")


SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "report_column": ("报告期列", "报告期 column"),
    "year_column": ("年度列", "年度 column"),
    "title": ("标题", "title"),
    "file_name": ("文件名", "file name"),
}


def _period(year: int, month: int) -> str | None:
    if YEAR_MIN <= year <= YEAR_MAX and 1 <= month <= 12:
        return f"{year:04d}-{month:02d}"
    return None


def _prepare(text: str) -> str:
    text = normalise_text(text)
    text = _DATE_LABELS.sub(" ", text)
    text = DASHES.sub("-", text)
    return "".join(text.split())


def _from_title_match(m: re.Match[str]) -> str | None:
    year = int(m.group("year"))
    if m.group("ytd"):
        return _period(year, int(m.group("ytd")))
    if m.group("half"):
        return _period(year, 6)
    if m.group("q3"):
        return _period(year, 9)
    if m.group("quarter"):
        return _period(year, 3 * _CHINESE_QUARTERS[m.group("quarter")])
    return _period(year, int(m.group("month")))


def _first_title_period(text: str) -> str | None:
    for m in _TITLE.finditer(text):
        if period := _from_title_match(m):
            return period
    return None


def _first_year_period(text: str, patterns: tuple[re.Pattern[str], ...]) -> str | None:
    """`YYYY-01` of the first year the patterns find, tried in order."""
    for pattern in patterns:
        for m in pattern.finditer(text):
            if period := _period(int(m.group(1)), 1):
                return period
    return None


def _first_numeric_period(text: str) -> str | None:
    for pattern in (_COMPACT, _SEPARATED):
        for m in pattern.finditer(text):
            if period := _period(int(m.group(1)), int(m.group(2))):
                return period
    return None


def period_from_title(text: str | None, *, yearly: bool = False) -> str | None:
    """The period a title line states (`2023年1-6月`, `2023年上半年`, `2023年一季度`, ...),
    or None; a year alone (`2023年度`, `全年`) is none. Dates such as `填报日期：2023年7月3日` are
    not periods. `yearly`: the feed's period is a year, `2024年度…` → `2024-01`."""
    if not text:
        return None
    prepared = _prepare(text)
    if yearly:
        return _first_year_period(prepared, (_YEAR_OF_PLAN, _YEAR_WRITTEN))
    return _first_title_period(prepared) or _first_numeric_period(prepared)


def period_from_file_name(file_name: str | None, *, yearly: bool = False) -> str | None:
    """The period in a file name: a 4-digit year and a month (`202305`, `2023-05`,
    `2023年5月`, `2023_05`, `2023年1-6月`), or None when the name lacks either.
    `yearly`: the year (`2024年度目标任务.xlsx`, `annual_targets_2024.xlsx`) → `2024-01`."""
    if not file_name:
        return None
    stem = PurePath(file_name).stem
    if yearly:
        return _first_year_period(_prepare(stem), (_YEAR_OF_PLAN, _YEAR_WRITTEN, _YEAR_ALONE))
    return period_from_title(stem)


def year_period(value: object) -> str | None:
    """`YYYY-01` of a 年度 cell (`2024`, `2024.0`, `2024年`, `2024年度`, a date); None when empty.
    Raises ValueParseError when the cell holds no year."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    year: int | None = None
    if isinstance(value, bool):
        year = None
    elif isinstance(value, int | float):
        year = int(value) if float(value).is_integer() else None
    elif isinstance(value, dt.date):
        year = value.year
    elif isinstance(value, str):
        m = re.fullmatch(r"(\d{4})(?:年度?)?", "".join(normalise_text(value).split()))
        year = int(m.group(1)) if m else None
    period = _period(year, 1) if year is not None else None
    if period is None:
        raise ValueParseError("不是年度（应为四位年份，如 2024）", "is not a year (expected e.g. 2024)")
    return period


def period_from_value(value: object, *, yearly: bool = False) -> str | None:
    """The period in one 报告期 cell (any month or title spelling); None when empty.
    Raises ValueParseError when the cell holds something else. `yearly`: the cell's year
    (`2024`, `2024年度`, or any month of it) → `YYYY-01`."""
    if yearly:
        try:
            return year_period(value)
        except ValueParseError:
            month = period_from_value(value)
            return None if month is None else f"{month[:4]}-01"
    try:
        period = parse_month(value)
    except ValueParseError:
        period = None
        if isinstance(value, str):
            prepared = _prepare(value)
            period = _first_title_period(prepared)
        if period is None:
            raise ValueParseError("不是报告期", "is not a report period") from None
    return period


def _label(key: str) -> tuple[str, str]:
    if key in SOURCE_LABELS:
        return SOURCE_LABELS[key]
    if key.startswith("title_row_"):
        row = key.removeprefix("title_row_")
        return f"标题（第{row}行）", f"title (row {row})"
    return key, key


def resolve_period(
    sources: dict[str, str | None | Collection[str]],
    *,
    file_name: str = "",
    sheet: str | None = None,
) -> str:
    """The one period all present sources agree on.

    `sources` maps a source (`report_column`, `year_column`, `title`, `title_row_<n>`, `file_name`,
    or any other name) to its period, None when absent, or, for the 报告期 / 年度 column, the
    collection of distinct periods it holds. Raises FeedRejection when no source exists,
    when two sources differ, or when the 报告期 column holds more than one period.
    """
    found: dict[str, str] = {}
    for key, value in sources.items():
        if value is None:
            continue
        if isinstance(value, str):
            found[key] = value
            continue
        distinct = sorted(set(value))
        if len(distinct) > 1:
            zh, en = _label(key)
            raise FeedRejection(
                f"{zh}含有多个报告期：{'、'.join(distinct)}",
                f"the {en} holds more than one period: {', '.join(distinct)}",
                file_name,
                sheet,
                column={"report_column": "报告期", "year_column": "年度"}.get(key),
            )
        if distinct:
            found[key] = distinct[0]
    if not found:
        raise FeedRejection(
            "无法确定报告期：标题、文件名和报告期列均未写明年月（如「2023年1-6月」）",
            "no period: neither the title, the file name nor a 报告期 column states "
            "a year and month (e.g. 2023年1-6月)",
            file_name,
            sheet,
        )
    if len(set(found.values())) > 1:
        zh = "，".join(f"{_label(k)[0]}为 {p}" for k, p in found.items())
        en = ", ".join(f"{_label(k)[1]} {p}" for k, p in found.items())
        raise FeedRejection(f"报告期不一致：{zh}", f"conflicting periods: {en}", file_name, sheet)
    return next(iter(found.values()))
