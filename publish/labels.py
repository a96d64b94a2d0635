"""How periods, numbers and times read in reports: `2023年1-6月`, `12.35亿元`, `增长3.2%`,
`2026年12月2日 01:39`."""

from __future__ import annotations

import math

from ingest.clock import fmt_datetime  # noqa: F401  (one home, shared with expectations/)
from ingest.periods import validate_period
from ingest.registry import COUNT_UNITS

WAN_PER_YI = 1e4  # 万元 per 亿元


def parse_period(period: str) -> tuple[int, int]:
    """'YYYY-MM' -> (year, month); anything else is a clear error (ingest.periods.PeriodError)."""
    validate_period(period)
    return int(period[:4]), int(period[5:])


def ytd_label(period: str) -> str:
    """Year-to-date label of a period: `1月`, `1-2月` (the statistics bureau's first period), `1-6月`."""
    _, month = parse_period(period)
    return "1月" if month == 1 else f"1-{month}月"


def period_title(period: str) -> str:
    year, _ = parse_period(period)
    return f"{year}年{ytd_label(period)}"


def is_quarter_end(period: str) -> bool:
    return parse_period(period)[1] in (3, 6, 9, 12)


def quarter_name(period: str) -> str:
    year, month = parse_period(period)
    return f"{year}年第{'一二三四'[(month - 1) // 3]}季度"


def shift_period(period: str, months: int) -> str:
    year, month = parse_period(period)
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_number(value, decimals: int = 2) -> str:
    """Thousands separators, trailing zeros kept to the stated precision; missing -> `—`."""
    if is_missing(value):
        return "—"
    text = f"{value:,.{decimals}f}"
    # A tiny negative rounds to `-0.00`, which reads as a sign error: show it as zero.
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def fmt_value(value, unit=None, decimals: int = 2) -> str:
    """An indicator value: counts (by `unit`) and whole numbers without decimals, others to `decimals`."""
    if not is_missing(value) and float(value).is_integer():
        return fmt_number(value, 0)
    return fmt_number(value, unit_decimals(unit, decimals))


def fmt_plain(value, decimals: int = 2) -> str:
    """A number inside a sentence: no thousands separator, trailing zeros dropped."""
    if is_missing(value):
        return "—"
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]
    return text.rstrip("0").rstrip(".") if "." in text else text


def wan_to_yi(value):
    return None if is_missing(value) else value / WAN_PER_YI


def change_phrase(pct, decimals: int = 1) -> str:
    """`同比增长3.2%` / `同比下降1.5%` / `与上年同期持平`, chosen by the sign of the rounded figure."""
    rounded = round(pct, decimals)
    if rounded > 0:
        return f"同比增长{fmt_plain(rounded, decimals)}%"
    if rounded < 0:
        return f"同比下降{fmt_plain(-rounded, decimals)}%"
    return "与上年同期持平"


def join_names(names: list[str], limit: int | None = None) -> str:
    """`甲、乙、丙` (and `等N项` when cut at `limit`)."""
    if limit is not None and len(names) > limit:
        return "、".join(names[:limit]) + f"等{len(names)}项"
    return "、".join(names)


# --- units and timestamps as readers see them -------------------------------------------------
def is_count_unit(unit) -> bool:
    """Counts of things and people are whole (ingest/registry.py COUNT_UNITS: 家 个 项 场, 人 名, 人次)."""
    return unit in COUNT_UNITS


def unit_decimals(unit, decimals: int = 2) -> int:
    """Decimals a value in `unit` shows: 0 for counts (`1`, not `1.00`), `decimals` otherwise."""
    return 0 if is_count_unit(unit) else decimals


