"""Reading one cell as people really fill it (FEEDS.md "Values").

Small pure functions: each takes what a spreadsheet or CSV cell holds (str, int, float,
bool, date, datetime or None) and returns the typed value, None for a missing value
(never 0), or raises `ValueParseError` with a bilingual reason.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import re
import unicodedata

# Cells that mean "no value" (after NFKC, so full-width forms are covered).
MISSING_TOKENS = frozenset({"", "-", "--", "—", "——", "–", "/", "无"})

# Excel serial numbers we take for dates: 1950-01-01 .. 2100-12-31. No feed has older
# dates, and smaller numbers (a year such as 2023, a count) are not dates in disguise.
EXCEL_EPOCH = dt.date(1899, 12, 30)
SERIAL_MIN = (dt.date(1950, 1, 1) - EXCEL_EPOCH).days
SERIAL_MAX = (dt.date(2100, 12, 31) - EXCEL_EPOCH).days
YEAR_MIN, YEAR_MAX = 1900, 2100

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"))
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", re.IGNORECASE)
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_YEAR_MONTH = re.compile(r"(\d{4})[-./年](\d{1,2})月?")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?")

TRUE_TOKENS = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "✔", "对"})
FALSE_TOKENS = frozenset({"否", "n", "no", "false", "0", "×", "✗", "✘"})


class ValueParseError(ValueError):
    """A cell that cannot be read as its column's type."""

    def __init__(self, reason_zh: str, reason_en: str) -> None:
        self.reason_zh = reason_zh
        self.reason_en = reason_en
        super().__init__(f"{reason_zh} / {reason_en}")


def normalise_text(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation to half-width), no zero-width
    characters, no surrounding white space."""
    if text.isascii():  # NFKC leaves ASCII as it is, and zero-width characters are not ASCII
        return text.strip()
    return _normalise_unicode(text)


@functools.lru_cache(maxsize=1 << 16)  # the same names, streets and labels recur row after row
def _normalise_unicode(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).strip()


def is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return normalise_text(value) in MISSING_TOKENS
    return False


def display(value: object) -> str:
    """A cell as a person would read it back in a message (51.0 -> '51')."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return str(value).strip()


def parse_text(value: object) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date | dt.time):
        return display(value)
    if isinstance(value, float) and value.is_integer():
        # A code typed into a number cell (行业代码 51) comes back as 51.0.
        return str(int(value))
    return normalise_text(str(value))


def parse_number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueParseError("是逻辑值，不是数值", "is a true/false value, not a number")
    if isinstance(value, int | float):
        if math.isnan(value) or math.isinf(value):
            raise ValueParseError("不是有限数值", "is not a finite number")
        return float(value)
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        raise ValueParseError("是日期或时间，不是数值", "is a date or time, not a number")
    text = normalise_text(str(value))
    if text in MISSING_TOKENS:
        return None
    text = "".join(text.split()).replace(",", "").replace("\u2212", "-")
    text = text.removesuffix("%")
    if not _NUMBER.fullmatch(text):
        raise ValueParseError("不是数值", "is not a number")
    return float(text)


def as_percent(value: float) -> float:
    """A fraction shown as a percentage (a cell formatted `0.0%` stores 0.125 for `12.5%`) in
    percentage points, without binary noise: 0.123 → 12.3, not 12.299999999999999."""
    return float(decimal.Decimal(repr(value)) * 100)


def parse_bool(value: object) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = normalise_text(str(value))
    if text in MISSING_TOKENS:
        return None
    token = text.lower()
    if token in TRUE_TOKENS:
        return True
    if token in FALSE_TOKENS:
        return False
    raise ValueParseError("不是「是/否」", "is not a yes/no value")


def _month_text(year: int, month: int) -> str:
    if not YEAR_MIN <= year <= YEAR_MAX or not 1 <= month <= 12:
        raise ValueParseError("不是有效的年月", "is not a valid year and month")
    return f"{year:04d}-{month:02d}"


def _date(year: int, month: int, day: int) -> dt.date:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValueParseError("年份不合理", "has an implausible year")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueParseError("不是有效日期", "is not a valid date") from None


def _from_serial(serial: float) -> dt.date:
    if not SERIAL_MIN <= serial <= SERIAL_MAX:
        raise ValueParseError("不是有效的Excel日期序号", "is not a valid Excel date serial number")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def _date_from_text(text: str) -> dt.date | None:
    """A full date written as text (several spellings), or None when it is not one."""
    if m := _YEAR_MONTH_DAY.fullmatch(text):
        return _date(*map(int, m.groups()))
    if re.fullmatch(r"\d{8}", text):
        return _date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _from_serial(float(text))
    return None


def _clean_date_text(value: object) -> str:
    text = normalise_text(str(value))
    text = _TIME_SUFFIX.sub("", text)
    return "".join(text.split())


def parse_month(value: object) -> str | None:
    """A month as 'YYYY-MM': 2023-06, 2023.06, 202306, 2023年6月, 2023/6, a full date,
    an Excel date or serial number."""
    if value is None:
        return None
    if isinstance(value, dt.date):  # datetime is a date too
        return _month_text(value.year, value.month)
    if isinstance(value, bool) or isinstance(value, dt.time | dt.timedelta):
        raise ValueParseError("不是年月", "is not a month")
    if isinstance(value, int | float):
        return _month_from_number(float(value))
    text = _clean_date_text(value)
    if text in MISSING_TOKENS:
        return None
    if re.fullmatch(r"\d{6}", text):
        return _month_text(int(text[:4]), int(text[4:]))
    if m := _YEAR_MONTH.fullmatch(text):
        return _month_text(int(m.group(1)), int(m.group(2)))
    day = _date_from_text(text)
    if day is None:
        raise ValueParseError("不是年月", "is not a month")
    return _month_text(day.year, day.month)


def _month_from_number(number: float) -> str:
    if number.is_integer():
        n = int(number)
        if 100000 <= n <= 999999:
            return _month_text(n // 100, n % 100)
        day = _from_serial(n)
        return _month_text(day.year, day.month)
    if YEAR_MIN <= number < YEAR_MAX + 1:
        # 2023.06 typed into a number cell; Excel drops trailing zeros, so 2023.1 may be
        # January or October and is refused rather than guessed.
        year = int(number)
        hundredths = round((number - year) * 100)
        if hundredths == 10:
            raise ValueParseError("年月有歧义（1月还是10月？）", "is ambiguous (January or October?)")
        if 1 <= hundredths <= 12:
            return _month_text(year, hundredths)
        if hundredths % 10 == 0 and 2 <= hundredths // 10 <= 9:
            return _month_text(year, hundredths // 10)
        raise ValueParseError("不是年月", "is not a month")
    day = _from_serial(number)
    return _month_text(day.year, day.month)


def parse_date(value: object) -> dt.date | None:
    """A date: ISO, 2023/6/5, 2023年6月5日, 2023.06.05, 20230605, an Excel date or serial."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool) or isinstance(value, dt.time | dt.timedelta):
        raise ValueParseError("不是日期", "is not a date")
    if isinstance(value, int | float):
        if float(value).is_integer() and 19000101 <= value <= 21001231:
            n = int(value)
            return _date(n // 10000, n // 100 % 100, n % 100)
        return _from_serial(float(value))
    text = _clean_date_text(value)
    if text in MISSING_TOKENS:
        return None
    day = _date_from_text(text)
    if day is None:
        raise ValueParseError("不是日期", "is not a date")
    return day
