"""Cell parsing: the spellings departments really use (FEEDS.md "Values")."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.values import (
    ValueParseError,
    normalise_text,
    parse_bool,
    parse_date,
    parse_month,
    parse_number,
    parse_text,
)

# Excel serial numbers count days from 1899-12-30.
SERIAL_2023_06_01 = (dt.date(2023, 6, 1) - dt.date(1899, 12, 30)).days
SERIAL_2023_06_05 = (dt.date(2023, 6, 5) - dt.date(1899, 12, 30)).days


def test_excel_serial_constant_matches_the_brief():
    assert SERIAL_2023_06_01 == 45078


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  鹿城区  ", "鹿城区"),
        ("ＡＢＣ１２３", "ABC123"),
        ("\u3000区发改局\u3000", "区发改局"),
        ("温州某某（集团）有限公司", "温州某某(集团)有限公司"),
        ("\ufeff行业代码", "行业代码"),
    ],
)
def test_normalise_text(raw, expected):
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234,567.89", 1234567.89),
        ("１２３４５", 12345.0),
        ("１，２３４．５", 1234.5),
        (" 1 234 ", 1234.0),
        ("12.5%", 12.5),
        ("１２．５％", 12.5),
        ("-3.2", -3.2),
        ("－3.2", -3.2),
        ("\u22123.2", -3.2),
        ("+7", 7.0),
        (42, 42.0),
        (0, 0.0),
        ("0", 0.0),
        (3.75, 3.75),
        ("1e3", 1000.0),
    ],
)
def test_parse_number(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "—", "——", "-", "－", "/", "／", "无", "--"])
def test_missing_numbers_are_none_never_zero(raw):
    assert parse_number(raw) is None


@pytest.mark.parametrize(
    "raw", ["约100", "12..5", "abc", "1.2万", True, dt.date(2023, 1, 1), "nan", float("nan")]
)
def test_unreadable_numbers_raise_a_bilingual_reason(raw):
    with pytest.raises(ValueParseError) as info:
        parse_number(raw)
    assert info.value.reason_zh and info.value.reason_en
    assert " / " in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("Ｙ", True),
        ("yes", True),
        ("NO", False),
        ("1", True),
        ("0", False),
        (1, True),
        (0.0, False),
        ("√", True),
        ("×", False),
        (True, True),
        (False, False),
        ("", None),
        ("—", None),
        (None, None),
    ],
)
def test_parse_bool(raw, expected):
    assert parse_bool(raw) is expected


@pytest.mark.parametrize("raw", ["可能", "2", 2])
def test_unreadable_bool(raw):
    with pytest.raises(ValueParseError):
        parse_bool(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-06", "2023-06"),
        ("2023.06", "2023-06"),
        ("202306", "2023-06"),
        ("2023年6月", "2023-06"),
        ("２０２３年６月", "2023-06"),
        ("2023 年 6 月", "2023-06"),
        ("2023/6", "2023-06"),
        ("2023.1", "2023-01"),
        ("2023.10", "2023-10"),
        ("2023-06-15", "2023-06"),
        ("2023年6月15日", "2023-06"),
        ("2023-06-01 00:00:00", "2023-06"),
        (dt.date(2023, 6, 1), "2023-06"),
        (dt.datetime(2023, 6, 30, 12, 0), "2023-06"),
        (SERIAL_2023_06_01, "2023-06"),
        (float(SERIAL_2023_06_01), "2023-06"),
        (str(SERIAL_2023_06_01), "2023-06"),
        (202306, "2023-06"),
        (2023.06, "2023-06"),
        (2023.11, "2023-11"),
        (2023.2, "2023-02"),
        ("", None),
        (None, None),
        ("—", None),
    ],
)
def test_parse_month(raw, expected):
    assert parse_month(raw) == expected


@pytest.mark.parametrize("raw", ["2023-13", "202313", "六月", 2023.1, 2023, "2023", True, "2023-02-30"])
def test_unreadable_month(raw):
    # 2023.1 in a number cell may be January or October (Excel drops the trailing zero).
    with pytest.raises(ValueParseError):
        parse_month(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-06-05", dt.date(2023, 6, 5)),
        ("2023/6/5", dt.date(2023, 6, 5)),
        ("2023年6月5日", dt.date(2023, 6, 5)),
        ("２０２３年６月５日", dt.date(2023, 6, 5)),
        ("2023.06.05", dt.date(2023, 6, 5)),
        ("20230605", dt.date(2023, 6, 5)),
        ("2023-06-05 14:30", dt.date(2023, 6, 5)),
        ("2023-06-05T00:00:00", dt.date(2023, 6, 5)),
        (dt.date(2023, 6, 5), dt.date(2023, 6, 5)),
        (dt.datetime(2023, 6, 5, 9, 30), dt.date(2023, 6, 5)),
        (SERIAL_2023_06_05, dt.date(2023, 6, 5)),
        (SERIAL_2023_06_05 + 0.75, dt.date(2023, 6, 5)),
        (str(SERIAL_2023_06_05), dt.date(2023, 6, 5)),
        (20230605, dt.date(2023, 6, 5)),
        ("", None),
        ("/", None),
        (None, None),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["2023-02-30", "2023-06", "明天", 12, "1800-01-01", True])
def test_unreadable_date(raw):
    with pytest.raises(ValueParseError):
        parse_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(51.0, "51"), (7, "7"), ("  区人社局 ", "区人社局"), ("—", None), ("", None), (12.5, "12.5")],
)
def test_parse_text(raw, expected):
    assert parse_text(raw) == expected
