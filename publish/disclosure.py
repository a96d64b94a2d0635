"""Statistical disclosure control (统计法 第二十五条): the one home of the rule.

A published figure built from fewer than MIN_ENTERPRISES (3) enterprises is never shown: outputs print `—` and
carry the footnote. Internal marts keep the number with `suppressed = true`; this module only
decides what readers see.

Primary suppression alone leaks: when a parent (合计, a 门类) is shown and exactly one of its
children is hidden, the child is the parent minus its visible siblings. So a second sibling
(the smallest visible one) is hidden as well (complementary suppression). The "352" industries
cut across the 门类, so a hidden figure can also be the difference of two hierarchies; a
linear-algebra check hides more until no hidden figure follows from the shown ones.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ingest.industries import section_of
from ingest.reference import dbt_var

# The threshold's home is the dbt var the mart's `suppressed` flag uses (dbt_project.yml).
MIN_ENTERPRISES: int = int(dbt_var("disclosure_min_enterprises"))
SUPPRESSED_MARK = "—"
FOOTNOTE = f"注：涉及企业少于{MIN_ENTERPRISES}家的数据不予公开"
# Columns that say how many enterprises a row is built from (first one present wins).
ENTERPRISE_COUNT_COLUMNS: tuple[str, ...] = ("enterprise_count", "enterprise_count_micro")
# Set on row copies by `mark_hidden`: the final decision, primary and complementary.
HIDDEN_KEY = "_disclosure_hidden"
SIZE_COLUMN = "revenue_ytd"  # the complementary cell is the smallest visible sibling by this



def primary_suppressed(row: Mapping) -> bool:
    """True when the mart flags the row, or its enterprise count is known and below MIN_ENTERPRISES.

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


# fct_industry_352 columns that place a row in its hierarchy (see _industry_352.yml).
LEVEL_COLUMN, CODE_COLUMN = "row_level", "row_code"


def _parents(row: Mapping, total_code: str | None) -> list[tuple[str, str | None]]:
    """Keys (row_level, row_code) of the rows this row adds up into.

    A 大类 adds up into its 门类 and, when mapped, into its "352" industry; a "352" industry into
    its group; 门类 and groups into the 合计. Both families of a division are checked, since either
    parent minus its visible children would reveal a hidden division.
    """
    level = row.get(LEVEL_COLUMN)
    if level in ("section", "group_352"):
        return [("total", total_code)]
    if level == "division":
        section = row.get("section_code") or section_of(row.get(CODE_COLUMN))
        parents = [("section", section)]
        if row.get("industry_352"):
            parents.append(("industry_352", row["industry_352"]))
        return parents
    if level == "industry_352" and row.get("group_352"):
        return [("group_352", row["group_352"])]
    return []


def mark_hidden(rows: list[Mapping]) -> list[dict]:
    """Copies of the rows with HIDDEN_KEY set: primary plus complementary suppression.

    Rows without a `row_level` (tables that are not a hierarchy) get primary suppression only.
    A parent row absent from `rows` counts as shown (a reader may know it from elsewhere).
    """
    out = [dict(r) for r in rows]
    for r in out:
        r[HIDDEN_KEY] = primary_suppressed(r)
    # Only the primary figures are confidential: a complementary cell may itself be derivable.
    primary = {id(r) for r in out if r[HIDDEN_KEY]}
    if not any(r[HIDDEN_KEY] for r in out) or not any(LEVEL_COLUMN in r for r in out):
        return out
    total_code = next((r.get(CODE_COLUMN) for r in out if r.get(LEVEL_COLUMN) == "total"), None)
    by_key = {(r.get(LEVEL_COLUMN), r.get(CODE_COLUMN)): r for r in out}
    families: dict[tuple, list[dict]] = {}
    for r in out:
        for parent in _parents(r, total_code):
            families.setdefault(parent, []).append(r)
    changed = True
    while changed:  # hiding a row may expose another family it belongs to: repeat until stable
        changed = False
        for parent_key, children in families.items():
            parent = by_key.get(parent_key)
            parent_shown = parent is None or not parent[HIDDEN_KEY]
            hidden = [c for c in children if c[HIDDEN_KEY]]
            visible = [c for c in children if not c[HIDDEN_KEY]]
            if parent_shown and len(hidden) == 1 and id(hidden[0]) in primary and visible:
                _smallest(visible)[HIDDEN_KEY] = True
                changed = True
        changed = _hide_one_cross_hierarchy_witness(out, total_code, primary) or changed
    return out


def _smallest(rows: list[dict]) -> dict:
    return min(rows, key=lambda c: abs(c.get(SIZE_COLUMN) or 0))


def _leaf_vectors(rows: list[dict], total_code: str | None) -> np.ndarray:
    """Each row as the set of 大类 (or own leaf) it adds up, one 0/1 column per leaf.

    A division belongs to a 门类 and to a "352" industry at once, so differences across the two
    hierarchies (a "352" industry minus a 门类) can isolate a division that neither family alone
    exposes. Aggregates are taken as exact sums of their divisions: the reader's best case.
    """
    divisions = [i for i, r in enumerate(rows) if r.get(LEVEL_COLUMN) == "division"]
    column_of = {i: n for n, i in enumerate(divisions)}
    own = [i for i, r in enumerate(rows) if i not in column_of]
    column_of.update({i: len(divisions) + n for n, i in enumerate(own)})
    members = {"section": "section_code", "industry_352": "industry_352", "group_352": "group_352"}
    vectors = np.zeros((len(rows), len(column_of)))
    for i in range(len(rows)):
        vectors[i, column_of[i]] = 1.0
    # The 合计 adds up the 门类 (else the groups); one listed without its divisions is a leaf of its own.
    top_level = "section" if any(r.get(LEVEL_COLUMN) == "section" for r in rows) else "group_352"
    top_leaves = [
        i for i, r in enumerate(rows)
        if r.get(LEVEL_COLUMN) == top_level
        and not any(rows[d].get(members[top_level]) == r.get(CODE_COLUMN) for d in divisions)
    ]
    for i, r in enumerate(rows):
        level, code = r.get(LEVEL_COLUMN), r.get(CODE_COLUMN)
        if level in members:
            under = [d for d in divisions if rows[d].get(members[level]) == code]
        elif level == "total" and code == total_code:
            under = divisions + top_leaves
        else:
            continue
        if under:  # an aggregate with its divisions listed is their sum, not a leaf of its own
            vectors[i, column_of[i]] = 0.0
            for d in under:
                vectors[i, column_of[d]] = 1.0
    return vectors


# Which rows to give up first for complementary suppression: detail before the headline groups.
HIDE_PREFERENCE: dict[str, int] = {"division": 0, "industry_352": 1, "section": 2, "group_352": 3}


def _derivable(vectors: np.ndarray, shown: list[int], target: int) -> np.ndarray | None:
    """Coefficients over `shown` rows that add up to row `target`, or None when there are none."""
    if not shown:
        return None
    basis = vectors[shown].T
    coefficients, *_ = np.linalg.lstsq(basis, vectors[target], rcond=None)
    return coefficients if np.allclose(basis @ coefficients, vectors[target], atol=1e-9) else None


def _hide_one_cross_hierarchy_witness(rows: list[dict], total_code: str | None, primary: set[int]) -> bool:
    """When a primary-suppressed row is a linear combination of shown rows, hide one more shown row and
    return True (False when no hidden figure is derivable).

    The row hidden is the first (by HIDE_PREFERENCE, then smallest) whose hiding alone breaks
    that combination (never the 合计); failing that, the first row the combination uses.
    """
    if not any(r.get(LEVEL_COLUMN) == "division" for r in rows):
        return False
    vectors = _leaf_vectors(rows, total_code)
    shown = [i for i, r in enumerate(rows) if not r[HIDDEN_KEY]]

    def preference(j: int) -> tuple:
        return HIDE_PREFERENCE.get(rows[j].get(LEVEL_COLUMN), 0), abs(rows[j].get(SIZE_COLUMN) or 0)

    for target, r in enumerate(rows):
        if id(r) not in primary:
            continue
        coefficients = _derivable(vectors, shown, target)
        if coefficients is None:
            continue
        witnesses = sorted(
            (j for j, c in zip(shown, coefficients, strict=True)
             if abs(c) > 1e-9 and rows[j].get(LEVEL_COLUMN) != "total"),
            key=preference,
        )
        if not witnesses:
            continue
        # Any shown row may break the combination, not only those of the one lstsq found.
        candidates = sorted((j for j in shown if rows[j].get(LEVEL_COLUMN) != "total"), key=preference)
        breaking = next(
            (j for j in candidates if _derivable(vectors, [k for k in shown if k != j], target) is None),
            None,
        )
        if breaking is None:
            # No single row breaks it: give up the first detail row the combination uses, and
            # the headline groups only when nothing else is left.
            # (aggregates first: a division is usually itself derivable from them, so hiding it
            # alone rarely helps).
            order = {"industry_352": 0, "section": 1, "division": 2, "group_352": 3}
            breaking = min(witnesses, key=lambda j: (order.get(rows[j].get(LEVEL_COLUMN), 2), preference(j)))
        rows[breaking][HIDDEN_KEY] = True
        return True
    return False
