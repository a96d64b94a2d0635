"""Identifier validators with real valid codes (check characters computed here by hand)."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.identifiers import validate, validate_id_number, validate_project_code, validate_uscc

GB32100 = "0123456789ABCDEFGHJKLMNPQRTUWXY"
TODAY = dt.date(2026, 11, 27)


def uscc_with_check(first17: str) -> str:
    """GB 32100-2015: weights 3^i mod 31, check = (31 - Σ mod 31) mod 31 in the alphabet."""
    total = sum(GB32100.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return first17 + GB32100[(31 - total % 31) % 31]


def ric_with_check(first17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2, weights written out by hand."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def test_helpers_reproduce_published_examples():
    # Published valid numbers: a USCC (python-stdnum docs) and the GB 11643 example.
    assert uscc_with_check("91110000600037341") == "91110000600037341L"
    assert ric_with_check("11010519491231002") == "11010519491231002X"


VALID_USCC = [
    "91110000600037341L",
    uscc_with_check("91330302MA2H4L8X1"),
    uscc_with_check("12330302002593811"),
    uscc_with_check("Y1330302MA7EQK2Q9"),  # registering authority Y (其他)
]


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_uscc(code):
    verdict = validate_uscc(code)
    assert verdict.ok and verdict.severity is None


def test_uscc_lower_case_and_full_width_are_read_as_written_in_capitals():
    code = VALID_USCC[1]
    assert validate_uscc(code.lower()).ok
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert validate_uscc(full_width).ok


def _wrong_check(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


@pytest.mark.parametrize(
    ("code", "severity", "word"),
    [
        (_wrong_check(VALID_USCC[1]), "warn", "校验位"),
        (VALID_USCC[1][:17], "error", "18位"),
        (VALID_USCC[1] + "1", "error", "18位"),
        ("91330302MA2H4L8XIO", "error", "非法字符"),  # I and O are not in the alphabet
        ("91330302MA2H4L8XS1", "error", "非法字符"),
        ("91330302 MA2H4L8X1", "error", "非法字符"),
    ],
)
def test_broken_uscc(code, severity, word):
    verdict = validate_uscc(code)
    assert not verdict.ok
    assert verdict.severity == severity
    assert word in verdict.reason_zh and verdict.reason_en


VALID_ID = ric_with_check("33030219900101123")  # 鹿城区, born 1990-01-01


@pytest.mark.parametrize(
    "number",
    [
        VALID_ID,
        "11010519491231002X",
        "11010519491231002x",
        ric_with_check("33030220000229004"),  # leap day
        ric_with_check("11010120230615003"),
    ],
)
def test_valid_id_numbers(number):
    verdict = validate_id_number(number, today=TODAY)
    assert verdict.ok and verdict.severity is None, verdict


@pytest.mark.parametrize(
    ("number", "severity", "word"),
    [
        (VALID_ID[:17], "error", "18位"),
        ("330302900101123", "error", "18位"),  # old 15-digit card
        (VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1"), "error", "校验位"),
        (ric_with_check("33030219900230123"), "error", "出生日期"),
        (ric_with_check("33030219901301123"), "error", "出生日期"),
        (ric_with_check("33030218800101123"), "error", "出生日期"),
        (ric_with_check("33030220300101123"), "error", "出生日期"),  # in the future
        ("3303021990010112X3", "error", "17位数字"),
        # only warns: the code is where the card was issued
        (ric_with_check("33030219750101123"), "warn", "尚未设立"),  # 鹿城区 since 1984
        (ric_with_check("99999919900101123"), "warn", "未知"),
        (ric_with_check("33039919900101123"), "warn", "未知"),
    ],
)
def test_broken_id_numbers(number, severity, word):
    verdict = validate_id_number(number, today=TODAY)
    assert not verdict.ok
    assert verdict.severity == severity
    assert word in verdict.reason_zh and verdict.reason_en


@pytest.mark.parametrize(
    "code",
    [
        "2023-330302-72-01-123456",
        "2019-330302-47-03-000001",
        "２０２３－３３０３０２－７２－０１－１２３４５６",
    ],
)
def test_valid_project_codes(code):
    assert validate_project_code(code, today=TODAY).ok


@pytest.mark.parametrize(
    "code",
    [
        "2023-330303-72-01-123456",  # another county
        "2023-330302-7-01-123456",
        "2023-330302-72-01-12345",
        "2023330302720112345",
        "23-330302-72-01-123456",
        "2023—330302—72—01—123456",
        "2010-330302-72-01-123456",  # before the national code existed
        "2099-330302-72-01-123456",
    ],
)
def test_broken_project_codes(code):
    verdict = validate_project_code(code, today=TODAY)
    assert not verdict.ok and verdict.severity == "error"
    assert verdict.reason_zh and verdict.reason_en


def test_validate_dispatches_on_the_registry_kind():
    assert validate("uscc", VALID_USCC[0]).ok
    assert validate("ric", "11010519491231002X").ok
    assert validate("project_code", "2023-330302-72-01-123456").ok
    assert validate("uscc", "x").severity == "error"
