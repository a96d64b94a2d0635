"""Identifier validators (FEEDS.md "Identifiers"): USCC, resident ID number, project code.

Each returns a `Verdict`: `ok` is True only when nothing is wrong; `severity` says how
bad a fault is (`error` blocks, `warn` goes to the review list). Callers skip missing
values (whether a value is required is a separate check).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Literal

from stdnum import numdb
from stdnum.cn import ric, uscc

from ingest.values import normalise_text

# GB 32100-2015: digits and capital letters without I, O, Z, S, V.
USCC_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")
# Birth years before this are not plausible for a living resident's card.
RIC_BIRTH_YEAR_MIN = 1900
# National investment project codes (投资项目统一代码) exist since the online platform of 2015.
PROJECT_CODE_YEAR_MIN = 2015
LUCHENG_REGION = "330302"
PROJECT_CODE = re.compile(rf"(\d{{4}})-{LUCHENG_REGION}-\d{{2}}-\d{{2}}-\d{{6}}")

Severity = Literal["error", "warn"]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    severity: Severity | None = None
    reason_zh: str = ""
    reason_en: str = ""

    @property
    def reason(self) -> str:
        return f"{self.reason_zh} / {self.reason_en}" if self.reason_zh else ""


VALID = Verdict(ok=True)


def _error(zh: str, en: str) -> Verdict:
    return Verdict(False, "error", zh, en)


def _warn(zh: str, en: str) -> Verdict:
    return Verdict(False, "warn", zh, en)


def _clean(value: object) -> str:
    return normalise_text(str(value)).upper()


@functools.lru_cache(maxsize=1 << 18)  # an enterprise's code comes back in every month's file
def validate_uscc(value: object) -> Verdict:
    """18 characters of the GB 32100 alphabet (else error); a wrong check character is only
    a warn, since some early codes fail it legitimately."""
    code = _clean(value)
    if len(code) != 18:
        return _error(
            f"统一社会信用代码应为18位，实为{len(code)}位",
            f"a USCC has 18 characters, this one has {len(code)}",
        )
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        return _error(
            f"统一社会信用代码含非法字符「{''.join(bad)}」",
            f"the USCC holds characters outside the GB 32100 alphabet: {''.join(bad)}",
        )
    expected = uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        return _warn(
            f"统一社会信用代码校验位应为「{expected}」，实为「{code[17]}」",
            f"USCC check character should be {expected}, is {code[17]}",
        )
    return VALID


def validate_id_number(value: object, *, today: dt.date | None = None) -> Verdict:
    """Resident ID number (GB 11643): error when not 18 characters, an impossible birth date
    (or one in the future), or a failed MOD 11-2 check; only a warn when the region code is
    unknown or did not exist in the birth year (the code is where the card was issued)."""
    number = _clean(value)
    today = today or dt.date.today()
    if len(number) != 18:
        return _error(
            f"公民身份号码应为18位，实为{len(number)}位",
            f"a resident ID number has 18 characters, this one has {len(number)}",
        )
    if (
        not number[:17].isascii()
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        return _error(
            "公民身份号码应为17位数字加1位数字或X", "a resident ID number is 17 digits and a digit or X"
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < RIC_BIRTH_YEAR_MIN or birth > today:
        return _error(
            f"公民身份号码出生日期「{number[6:14]}」不可能",
            f"the birth date {number[6:14]} in the resident ID number is impossible",
        )
    expected = ric.calc_check_digit(number)  # ISO 7064 MOD 11-2 over the 17 leading digits
    if number[17] != expected:
        return _error(
            f"公民身份号码校验位应为「{expected}」，实为「{number[17]}」",
            f"resident ID number check character should be {expected}, is {number[17]}",
        )
    return _region_verdict(number[:6], birth.year)


@functools.lru_cache(maxsize=65536)
def _region_verdict(region: str, birth_year: int) -> Verdict:
    # Depends on the region code and the birth year only (stdnum's lookup reads no more), so a
    # roster of thousands of people asks the region database once per (region, year).
    number = f"{region}{birth_year:04d}01010000"
    info = {k: v for _, props in numdb.get("cn/loc").info(region) for k, v in props.items()}
    if "county" not in info:
        return _warn(
            f"公民身份号码地区码「{region}」未知", f"unknown region code {region} in the resident ID number"
        )
    try:
        ric.get_birth_place(number)  # raises when no county had the code in the birth year
    except Exception:
        return _warn(
            f"公民身份号码地区码「{region}」在出生年份{birth_year}年尚未设立（可能为后来签发地）",
            f"region code {region} did not exist in the birth year {birth_year} "
            "(it may be where the card was issued later)",
        )
    return VALID


def validate_project_code(value: object, *, today: dt.date | None = None) -> Verdict:
    """National investment project code of Lucheng: `YYYY-330302-NN-NN-NNNNNN` with a
    plausible year."""
    code = _clean(value)
    today = today or dt.date.today()
    m = PROJECT_CODE.fullmatch(code)
    if not m:
        return _error(
            f"项目代码「{code}」不符合格式 YYYY-{LUCHENG_REGION}-NN-NN-NNNNNN",
            f"project code {code} does not match YYYY-{LUCHENG_REGION}-NN-NN-NNNNNN",
        )
    year = int(m.group(1))
    if not PROJECT_CODE_YEAR_MIN <= year <= today.year + 1:
        return _error(f"项目代码年份{year}不合理", f"the year {year} in the project code is implausible")
    return VALID


VALIDATORS = {
    "uscc": validate_uscc,
    "ric": validate_id_number,
    "project_code": validate_project_code,
}


def validate(identifier: str, value: object) -> Verdict:
    """Validate by the registry's `Column.identifier` kind."""
    return VALIDATORS[identifier](value)
