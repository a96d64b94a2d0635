"""Statistical disclosure control (统计法 第二十五条): the one home of the rule, applied when publishing.

A figure built from fewer than MIN_ENTERPRISES (3) enterprises is never published (primary
suppression), nor a figure from which it can be worked out by adding and subtracting what is shown
(complementary suppression). Publication (`publish.publication`) applies `protect` to every version
of a protected mart before it reaches the published layer: protected cells are NULL there, the row
says why (`suppression_reason`: primary | complementary) and `suppressed` is true; the marts keep
the true figures for statisticians. Reports and exports read the published rows and print `—`.

Complementary suppression: each row is the set of 大类 it adds up (a 门类 and a
"352" industry or group cut across each other, so a division can be the difference of two
hierarchies); a primary cell is exposed when its set is a linear combination of the shown rows'.
Cells are hidden one at a time, each time the one that leaves fewest primary cells exposed
(ties: detail before headline rows, then the smallest), until none is; then every complementary
cell that is not needed after all is shown again, largest first. The 合计 is never hidden.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ingest.reference import dbt_var

# The threshold's home is the dbt var the mart's `suppressed` flag uses (dbt_project.yml).
MIN_ENTERPRISES: int = int(dbt_var("disclosure_min_enterprises"))
SUPPRESSED_MARK = "—"
FOOTNOTE = f"注：涉及企业少于{MIN_ENTERPRISES}家的数据不予公开"
# Columns that say how many enterprises a row is built from (first one present wins).
ENTERPRISE_COUNT_COLUMNS: tuple[str, ...] = ("enterprise_count", "enterprise_count_micro")
# Set on row copies by `mark_hidden`: the final decision, primary and complementary.
HIDDEN_KEY = "_disclosure_hidden"
# The published column that says why a row's figures are withheld.
REASON_COLUMN = "suppression_reason"
PRIMARY, COMPLEMENTARY = "primary", "complementary"
SIZE_COLUMN = "revenue_ytd"  # the size of a cell: which of two equally good cells to give up


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
    """Whether readers may not see the row's figures: a published row says so (`suppression_reason`),
    a row through `mark_hidden` carries the full decision; otherwise the primary rule."""
    if row.get(REASON_COLUMN):
        return True
    if HIDDEN_KEY in row:
        return bool(row[HIDDEN_KEY])
    return primary_suppressed(row)


# fct_industry_352 columns that place a row in its hierarchy (see _industry_352.yml).
LEVEL_COLUMN, CODE_COLUMN = "row_level", "row_code"


def row_key(row: Mapping) -> tuple:
    """A row's place in its table (row_level, row_code): how versions of a period name the same cell."""
    return (row.get(LEVEL_COLUMN), row.get(CODE_COLUMN))


def protect(rows: Sequence[Mapping], *, keep_hidden: set[tuple] = frozenset()) -> list[str | None]:
    """Why each row's figures are withheld: PRIMARY, COMPLEMENTARY or None (shown).

    `keep_hidden`: keys (`row_key`) of cells an earlier version of the same period withheld; they
    stay withheld, so two versions side by side cannot be subtracted from each other either.
    Rows without a `row_level` (tables that are not a hierarchy) get primary suppression only.
    """
    reasons: list[str | None] = [PRIMARY if primary_suppressed(r) else None for r in rows]
    if not any(reasons) or not any(LEVEL_COLUMN in r for r in rows):
        return reasons
    hidden = [reason is not None or row_key(r) in keep_hidden for r, reason in zip(rows, reasons, strict=True)]
    primaries = [i for i, reason in enumerate(reasons) if reason == PRIMARY]
    total_code = next((r.get(CODE_COLUMN) for r in rows if r.get(LEVEL_COLUMN) == "total"), None)
    derivable = _answers_for(_leaf_vectors([dict(r) for r in rows], total_code))

    def exposed(hidden_now: list[bool]) -> int:
        return derivable(tuple(i for i, h in enumerate(hidden_now) if not h), tuple(primaries))

    def cost(i: int) -> tuple:
        return HIDE_PREFERENCE.get(rows[i].get(LEVEL_COLUMN), 0), abs(rows[i].get(SIZE_COLUMN) or 0)

    candidates = [i for i, r in enumerate(rows) if r.get(LEVEL_COLUMN) != "total"]
    while exposed(hidden):
        choices = [i for i in candidates if not hidden[i]]
        if not choices:
            break
        best = min(choices, key=lambda i: (exposed([h or j == i for j, h in enumerate(hidden)]), cost(i)))
        hidden[best] = True
    # Show again every complementary cell not needed after all (largest first: they matter most).
    added = [i for i, h in enumerate(hidden) if h and reasons[i] is None and row_key(rows[i]) not in keep_hidden]
    for i in sorted(added, key=cost, reverse=True):
        trial = [h and j != i for j, h in enumerate(hidden)]
        if not exposed(trial):
            hidden = trial
    return [reason or (COMPLEMENTARY if h else None) for reason, h in zip(reasons, hidden, strict=True)]


def mark_hidden(rows: list[Mapping]) -> list[dict]:
    """Copies of the rows with HIDDEN_KEY set: primary plus complementary suppression (`protect`).

    A parent row absent from `rows` counts as shown (a reader may know it from elsewhere).
    """
    reasons = protect(rows)
    return [{**r, HIDDEN_KEY: reason is not None} for r, reason in zip(rows, reasons, strict=True)]


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


# The search asks ~850 questions of a month's table, and every month of a hierarchy asks mostly the
# same ones again (the demo's 22 months: 18,826 questions, 2,741 distinct). The answers are kept per
# table structure (the leaf vectors), for the few structures most recently seen.
_ANSWERS: OrderedDict[bytes, dict[tuple, int]] = OrderedDict()
KEPT_STRUCTURES = 4
KEPT_ANSWERS = 100_000  # per structure (tens of MB at most): a process may publish for years


def _answers_for(vectors: np.ndarray) -> Callable[[tuple[int, ...], tuple[int, ...]], int]:
    """`_derivable_count` over `vectors`, each question answered once."""
    structure = hashlib.blake2b(repr(vectors.shape).encode() + vectors.tobytes(), digest_size=16).digest()
    answers = _ANSWERS.pop(structure, None) or {}
    _ANSWERS[structure] = answers  # the most recently used last
    while len(_ANSWERS) > KEPT_STRUCTURES:
        _ANSWERS.popitem(last=False)

    def derivable(shown: tuple[int, ...], targets: tuple[int, ...]) -> int:
        key = (shown, targets)
        if key not in answers:
            if len(answers) >= KEPT_ANSWERS:
                answers.clear()
            answers[key] = _derivable_count(vectors, list(shown), list(targets))
        return answers[key]

    return derivable


def _derivable_count(vectors: np.ndarray, shown: list[int], targets: list[int]) -> int:
    """How many `targets` rows a sum of `shown` rows (any coefficients) gives exactly: one
    least-squares solve for all targets at once (each column of the right-hand side is solved on
    its own, as one solve per target would)."""
    if not shown or not targets:
        return 0
    basis = vectors[shown].T
    wanted = vectors[targets].T
    coefficients, *_ = np.linalg.lstsq(basis, wanted, rcond=None)
    residual = np.abs(basis @ coefficients - wanted)
    # np.allclose's test per target, with rtol 1e-05 and atol 1e-9.
    return int(np.sum(np.all(residual <= 1e-9 + 1e-05 * np.abs(wanted), axis=0)))
