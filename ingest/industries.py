"""GB/T 4754-2017: which section (门类, a letter) each division (大类, 2 digits) belongs to.

The one home of the section table: the balance checks (平衡审核, expectations/) add divisions
up to their section, disclosure control (publish/) finds a division's parent section. A
division's section follows from its code alone; a 4-digit 小类 belongs to the division of its
first two digits.
"""

from __future__ import annotations

import re

# (section, first division, last division), GB/T 4754-2017 (incl. amendment No. 1, 2019).
_SECTION_RANGES: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 5),     # 农、林、牧、渔业
    ("B", 6, 12),    # 采矿业
    ("C", 13, 43),   # 制造业
    ("D", 44, 46),   # 电力、热力、燃气及水生产和供应业
    ("E", 47, 50),   # 建筑业
    ("F", 51, 52),   # 批发和零售业
    ("G", 53, 60),   # 交通运输、仓储和邮政业
    ("H", 61, 62),   # 住宿和餐饮业
    ("I", 63, 65),   # 信息传输、软件和信息技术服务业
    ("J", 66, 69),   # 金融业
    ("K", 70, 70),   # 房地产业
    ("L", 71, 72),   # 租赁和商务服务业
    ("M", 73, 75),   # 科学研究和技术服务业
    ("N", 76, 79),   # 水利、环境和公共设施管理业
    ("O", 80, 82),   # 居民服务、修理和其他服务业
    ("P", 83, 83),   # 教育
    ("Q", 84, 85),   # 卫生和社会工作
    ("R", 86, 90),   # 文化、体育和娱乐业
    ("S", 91, 96),   # 公共管理、社会保障和社会组织
    ("T", 97, 97),   # 国际组织
)

DIVISION_SECTION: dict[str, str] = {
    f"{division:02d}": section
    for section, first, last in _SECTION_RANGES
    for division in range(first, last + 1)
}

TOTAL_CODES = ("合计", "总计")
_SECTION_RE = re.compile(r"^[A-T]$")
_DIVISION_RE = re.compile(r"^\d{2}$")


def section_of(code: str | None) -> str | None:
    """Section letter of a division (`'72'` → `'L'`) or a 4-digit class (`'7212'` → `'L'`)."""
    if not code or not code[:2].isdigit():
        return None
    return DIVISION_SECTION.get(code[:2])


def level_of(code: str | None, is_total: bool = False) -> str | None:
    """'total', 'section', 'division', or None for a code that is none of these."""
    code = (code or "").strip()
    if is_total or code in TOTAL_CODES:
        return "total"
    if _SECTION_RE.match(code):
        return "section"
    if _DIVISION_RE.match(code) and code in DIVISION_SECTION:
        return "division"
    return None
