"""Statistical disclosure control (统计法 第二十五条): the one home of the rule.

A published figure built from fewer than 3 enterprises is never shown: outputs print `—` and
carry the footnote. Internal marts keep the number with `suppressed = true`; this module only
decides what readers see.

Primary suppression alone leaks: when a parent (合计, a 门类) is shown and exactly one of its
children is hidden, the child is the parent minus its visible siblings. So a second sibling
(the smallest visible one) is hidden as well (complementary suppression).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MIN_ENTERPRISES = 3
SUPPRESSED_MARK = "—"
FOOTNOTE = "注：涉及企业少于3家的数据不予公开"
# Columns that say how many enterprises a row is built from (first one present wins).
ENTERPRISE_COUNT_COLUMNS: tuple[str, ...] = ("enterprise_count_micro", "enterprise_count")
# Set on row copies by `mark_hidden`: the final decision, primary and complementary.
HIDDEN_KEY = "_disclosure_hidden"
SIZE_COLUMN = "revenue_ytd"  # the complementary cell is the smallest visible sibling by this

# GB/T 4754-2017: first and last 2-digit division of each section (门类), to find a division's parent.
_SECTION_RANGES: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 5), ("B", 6, 12), ("C", 13, 43), ("D", 44, 46), ("E", 47, 50), ("F", 51, 52),
    ("G", 53, 60), ("H", 61, 62), ("I", 63, 65), ("J", 66, 69), ("K", 70, 70), ("L", 71, 72),
    ("M", 73, 75), ("N", 76, 79), ("O", 80, 82), ("P", 83, 83), ("Q", 84, 85), ("R", 86, 90),
    ("S", 91, 96), ("T", 97, 97),
)


def primary_suppressed(row: Mapping) -> bool:
    """True when the mart flags the row, or its enterprise count is known and below 3.

    The flag is trusted when set; the count is checked as well so a mart that forgets the flag
    still cannot leak a figure.
    """
    if row.get("suppressed"):
        return True
    for column in ENTERPRISE_COUNT_COLUMNS:
        count = row.get(column)
        if count is not None:
            return count < MIN_ENTERPRISES
    return False


def is_suppressed(row: Mapping) -> bool:
    """Whether readers may not see the row's figures (after `mark_hidden`, its full decision)."""
    if HIDDEN_KEY in row:
        return bool(row[HIDDEN_KEY])
    return primary_suppressed(row)


def section_of_division(code: str | None) -> str | None:
    if not code or not code.isdigit():
        return None
    number = int(code[:2])
    return next((letter for letter, lo, hi in _SECTION_RANGES if lo <= number <= hi), None)


def _parent(row: Mapping, total_code: str | None):
    """The key (level, code) of the row the row adds up into, or None."""
    if row.get("parent_code"):
        return ("parent", row["parent_code"])
    level = row.get("level")
    if level in ("group", "section"):
        return ("total", total_code)
    if level == "division":
        return ("section", section_of_division(row.get("code")))
    if level == "industry_352":
        # The contract gives no group for a 352 industry: treat all ten as one family, which
        # hides a second industry whenever one is hidden (cautious, maybe more than needed).
        return ("industry_352", None)
    return None


def mark_hidden(rows: list[Mapping]) -> list[dict]:
    """Copies of the rows with HIDDEN_KEY set: primary plus complementary suppression.

    Rows without a `level` (tables that are not a hierarchy) get primary suppression only.
    """
    out = [dict(r) for r in rows]
    for r in out:
        r[HIDDEN_KEY] = primary_suppressed(r)
    if not any(r[HIDDEN_KEY] for r in out) or not any("level" in r for r in out):
        return out
    total_code = next((r.get("code") for r in out if r.get("level") == "total"), None)
    by_key = {("parent", r.get("code")): r for r in out}
    by_key.update({(r.get("level"), r.get("code")): r for r in out})
    families: dict[tuple, list[dict]] = {}
    for r in out:
        parent = _parent(r, total_code)
        if parent is not None:
            families.setdefault(parent, []).append(r)
    changed = True
    while changed:  # hiding a row may expose a family above or below it: repeat until stable
        changed = False
        for parent_key, children in families.items():
            parent = by_key.get(parent_key)
            parent_shown = parent_key[0] == "industry_352" or (parent is not None and not parent[HIDDEN_KEY])
            hidden = [c for c in children if c[HIDDEN_KEY]]
            visible = [c for c in children if not c[HIDDEN_KEY]]
            if parent_shown and len(hidden) == 1 and visible:
                smallest = min(visible, key=lambda c: abs(c.get(SIZE_COLUMN) or 0))
                smallest[HIDDEN_KEY] = True
                changed = True
    return out


def masked(row: Mapping, columns: Iterable[str]) -> dict:
    """A copy of the row with `columns` replaced by `—` when the row is suppressed."""
    out = dict(row)
    if is_suppressed(row):
        for column in columns:
            if column in out:
                out[column] = SUPPRESSED_MARK
    return out


def any_suppressed(rows: Iterable[Mapping]) -> bool:
    return any(is_suppressed(r) for r in rows)
