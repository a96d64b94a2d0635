"""Finding a feed's table in a sheet (FEEDS.md "Finding the table").

Header cells match the registry's headers and aliases ignoring white space, full-width /
half-width forms, underscores, `*` marks and a unit in brackets at the end of any part of a
header path (`营业收入（万元）`, `营业收入（万元）` merged over `本年累计`). `营业收入_1-N月` in the registry stands for any N.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.periods import DASHES
from ingest.registry import UNITS, Feed
from ingest.values import normalise_text

HEADER_SEARCH_ROWS = 15
# The 报告期 column is a period source, not a field of any feed.
PERIOD_HEADERS = frozenset({"报告期", "报告期间", "所属期"})

_TRAILING_BRACKET = re.compile(r"[(\[【〔]([^()\[\]【】〔〕]*)[)\]】〕]$")
# Bracket text that is meant as a unit even when we do not know it (`百万元`).
_UNIT_LIKE = re.compile(r"(元|人次|人|家|个|项|场|名|%)$")
_UNIT_LINE = re.compile(r"单位[:：]\s*([^\s,，;；]+)")


@dataclass(frozen=True)
class HeaderColumn:
    field: str
    index: int  # 0-based column index in the sheet
    header: str  # as written (two-row headers joined with `_`)
    unit: str | None  # the unit written in the column's own header bracket, if any
    parent_units: tuple[str, ...] = ()  # units written over it by parent headers, nearest first


@dataclass
class HeaderMatch:
    row_index: int  # 0-based index of the (first) header row
    n_rows: int  # 1, or 2 for a merged two-row header
    columns: dict[str, HeaderColumn] = field(default_factory=dict)
    period_index: int | None = None  # a 报告期 column
    missing_required: tuple[str, ...] = ()  # fields
    unmatched: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)  # (index, header, field)

    @property
    def complete(self) -> bool:
        return not self.missing_required

    @property
    def data_start(self) -> int:
        return self.row_index + self.n_rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalise_text(str(value))


def split_header(text: object) -> tuple[str, str | None]:
    """(matching key, unit written in brackets or None) of one header cell or header path: the
    unit of the cell itself, else the nearest a parent states (see `header_units`)."""
    key, own, parents = header_units(text)
    return key, own or next(iter(parents), None)


def header_units(text: object) -> tuple[str, str | None, tuple[str, ...]]:
    """(matching key, the unit the column's own cell writes, units its parents write, nearest
    first) of a header path. A two-row header reads `parent_child`: `营业收入（万元）` merged over
    `本年累计` states 万元 for that column as a parent (a parent's unit applies to the columns of
    its dimension, like a `单位：` line; `增速` under `营业收入（万元）` stays a percentage)."""
    text = "".join(_cell_text(text).split()).strip("*※")
    parts = [_split_part(part) for part in text.split("_")]
    key = DASHES.sub("-", "".join(k for k, _ in parts)).strip(":：")
    own = parts[-1][1]
    parents = tuple(u for _, u in reversed(parts[:-1]) if u)
    return key, own, parents


def _split_part(key: str) -> tuple[str, str | None]:
    """One part of a header path without its trailing brackets and `%`, and the unit they name."""
    key = key.strip("*※")
    unit = None
    while m := _TRAILING_BRACKET.search(key):
        inner = m.group(1).removeprefix("单位").lstrip(":：")
        if unit is None and (inner in UNITS or _UNIT_LIKE.search(inner)):
            unit = inner
        key = key[: m.start()].rstrip("*※")
    if key.endswith("%") and len(key) > 1:
        unit = unit or "%"
        key = key[:-1]
    return key, unit


class HeaderIndex:
    """The headers and aliases of one feed, ready to match cells against."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        self.exact: dict[str, str] = {}
        self.patterns: list[tuple[re.Pattern[str], str]] = []
        for column in feed.columns:
            for header in column.headers:
                key, _ = split_header(header)
                if "N" in key:  # `营业收入_1-N月`: any month count
                    pattern = re.compile(re.escape(key).replace("N", r"\d{1,2}"))
                    self.patterns.append((pattern, column.field))
                else:
                    self.exact.setdefault(key, column.field)

    def field_for(self, key: str) -> str | None:
        if key in self.exact:
            return self.exact[key]
        for pattern, field_name in self.patterns:
            if pattern.fullmatch(key):
                return field_name
        return None


def _row_texts(row: Sequence[object], width: int) -> list[str]:
    texts = [_cell_text(v) for v in row]
    return texts + [""] * (width - len(texts))


def combine_two_rows(parent: Sequence[object], child: Sequence[object]) -> list[str]:
    """Header names of a two-row header: `营业收入` over `本年累计` reads `营业收入_本年累计`.

    A merged parent is empty in its continuation columns (unless the reader filled merged
    ranges already): it carries on over the columns that have a sub-header.
    """
    return [name for name, _ in _combine(parent, child)]


def _combine(parent: Sequence[object], child: Sequence[object]) -> list[tuple[str, bool]]:
    """(name, whether it joins a parent and a sub-header) per column."""
    width = max(len(parent), len(child))
    tops, subs = _row_texts(parent, width), _row_texts(child, width)
    names: list[tuple[str, bool]] = []
    carried = ""
    for top, sub in zip(tops, subs, strict=True):
        if top:
            # A parent carries on only when it stands over a sub-header.
            carried = top if sub and sub != top else ""
        elif sub and carried:
            top = carried
        else:
            carried = ""
        if not sub or sub == top:
            names.append((top, False))
        elif not top:
            names.append((sub, False))
        else:
            names.append((f"{top}_{sub}", True))
    return names


def match_names(names: Sequence[object], index: HeaderIndex, row_index: int, n_rows: int,
                optional: frozenset[str] = frozenset()) -> HeaderMatch:
    match = HeaderMatch(row_index=row_index, n_rows=n_rows)
    for col, name in enumerate(names):
        written = _cell_text(name)
        if not written:
            continue
        key, unit, parent_units = header_units(written)
        field_name = index.field_for(key)
        if field_name is None:
            if key in PERIOD_HEADERS and match.period_index is None:
                match.period_index = col
            else:
                match.unmatched.append((col, written))
        elif field_name in match.columns:
            match.duplicates.append((col, written, field_name))
        else:
            match.columns[field_name] = HeaderColumn(field_name, col, written, unit, parent_units)
    match.missing_required = tuple(f for f in index.feed.required_fields
                                   if f not in match.columns and f not in optional)
    return match


def find_header(
    rows: Sequence[Sequence[object]], feed: Feed, *, search_rows: int = HEADER_SEARCH_ROWS,
    optional: frozenset[str] = frozenset(),
) -> HeaderMatch:
    """The first row (within `search_rows`) holding all the feed's required columns (but those
    in `optional`, given elsewhere in the file), read as a single or a two-row header. When
    there is none, the best partial match is returned (`complete` is False and
    `missing_required` names what is missing)."""
    index = HeaderIndex(feed)
    best: HeaderMatch | None = None
    limit = min(search_rows, len(rows))
    for r in range(limit):
        single = match_names(rows[r], index, r, 1, optional)
        candidates = [single]
        if r + 1 < len(rows):
            combined = _combine(rows[r], rows[r + 1])
            two = match_names([name for name, _ in combined], index, r, 2, optional)
            # Two rows only when a joined name matched: a blank or title row above a
            # one-row header is not a parent row.
            joined = any(combined[c.index][1] for c in two.columns.values())
            if joined:
                if two.complete and (not single.complete or len(two.columns) > len(single.columns)):
                    return two
                candidates.append(two)
        if single.complete:
            return single
        for candidate in candidates:
            if best is None or _score(candidate) > _score(best):
                best = candidate
    return best if best is not None else HeaderMatch(0, 1, missing_required=feed.required_fields)


def _score(match: HeaderMatch) -> tuple[int, int]:
    return (-len(match.missing_required), len(match.columns))


def units_in_text(text: object) -> list[str]:
    """Known units a `单位：万元` line states (`单位:千元`, `金额单位：万元`, `单位：万元、人`)."""
    units: list[str] = []
    for m in _UNIT_LINE.finditer(_cell_text(text)):
        for token in re.split(r"[、/,，;；]", m.group(1)):
            if token in UNITS and token not in units:
                units.append(token)
    return units


def find_unit_line(rows: Sequence[Sequence[object]]) -> list[str]:
    """Units stated by `单位：` lines in the rows above the header, in order of appearance."""
    units: list[str] = []
    for row in rows:
        for value in row:
            for unit in units_in_text(value):
                if unit not in units:
                    units.append(unit)
    return units
