"""Acknowledged warnings (审核说明): a statistician's written explanation of a soft error, once.

A warning on feed rows (e.g. an ID number whose region code did not exist in the birth year)
may be normal for given rows. `svcmon signoff --acknowledge CHECK_ID [--key KEY …]` records, per
failing row, who acknowledged it, when and why. The acknowledgement holds for the same check,
row and value in every later period; the warning is raised again only when the row's value
changes.

Rows are named without personal data: `row_key` = HMAC(`SVCMON_PII_SECRET`, feed and business
key), `value_hash` = HMAC(secret, the values the check judged), both hex, 16 characters. The check
runner stores them for every failing row (`quality.check_failures`) and shows `_key` beside each
sample row of the quality report, where a statistician reads the keys to give.

`quality.acknowledgements` is append-only; `list_acknowledgements` is what the
disaster-recovery file mirror copies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from expectations.store import CheckResult, ensure_quality_schema
from ingest import clock, pii
from ingest.warehouse import Warehouse

KEY_LENGTH = 16

# (column, storage kind, constraint) for Warehouse.create_table (each engine's DDL types).
CHECK_FAILURES_COLUMNS = (
    ("run_id", "text", "NOT NULL"),
    ("period", "text", "NOT NULL"),
    ("check_id", "text", "NOT NULL"),
    ("file_sha256", "text", ""),
    ("row_key", "text", "NOT NULL"),
    ("value_hash", "text", "NOT NULL"),
)

ACKNOWLEDGEMENTS_COLUMNS = (
    ("acknowledged_at", "timestamp", "NOT NULL"),
    ("period", "text", "NOT NULL"),
    ("check_id", "text", "NOT NULL"),
    ("row_key", "text", "NOT NULL"),
    ("value_hash", "text", "NOT NULL"),
    ("acknowledged_by", "text", "NOT NULL"),
    ("reason", "text", "NOT NULL"),
)


@dataclass(frozen=True)
class Acknowledgement:
    acknowledged_at: dt.datetime
    period: str
    check_id: str
    row_key: str
    value_hash: str
    acknowledged_by: str
    reason: str


@dataclass
class AcknowledgementState:
    """How far a failed warning is acknowledged: its failing rows, those acknowledged, and by whom."""

    failing: int
    acknowledged: int
    by: list[Acknowledgement]
    keys: frozenset[tuple[str, str]] = frozenset()  # (row_key, value_hash) of the rows acknowledged

    @property
    def fully(self) -> bool:
        return self.failing > 0 and self.acknowledged >= self.failing


def ensure_tables(con: Warehouse) -> None:
    ensure_quality_schema(con)
    con.create_table("quality.check_failures", CHECK_FAILURES_COLUMNS)
    con.create_table("quality.acknowledgements", ACKNOWLEDGEMENTS_COLUMNS)


def _digest(parts: Sequence[Any]) -> str:
    text = json.dumps([None if p is None else str(p) for p in parts], ensure_ascii=False)
    return hmac.new(pii.secret(), text.encode(), hashlib.sha256).hexdigest()[:KEY_LENGTH]


def row_key(feed_id: str, key_values: Sequence[Any]) -> str:
    """The stable name of a feed row across periods: its feed and business key, keyed-hashed."""
    return _digest([feed_id, *key_values])


def value_hash(values: Sequence[Any]) -> str:
    return _digest(values)


def record_failures(con: Warehouse, results: Iterable[CheckResult]) -> None:
    """Store the (row_key, value_hash) of every failing row the runner named (`CheckResult.failing_keys`)."""
    rows = [[r.run_id, r.period, r.check_id, r.file_sha256, key, value]
            for r in results for key, value in r.failing_keys]
    if not rows:
        return
    ensure_tables(con)
    con.insert_rows("quality.check_failures",
                    ("run_id", "period", "check_id", "file_sha256", "row_key", "value_hash"), rows)


def failing_rows(con: Warehouse, result: CheckResult) -> list[tuple[str, str]]:
    """(row_key, value_hash) of the failing rows of one stored result."""
    return failing_rows_of(con, [result])[id(result)]


def failing_rows_of(con: Warehouse, results: Sequence[CheckResult]) -> dict[int, list[tuple[str, str]]]:
    """id(result) -> (row_key, value_hash) of its failing rows, by row key, for stored results; one
    query for all of them (the failures table holds every run's rows: a query per result read it
    again for each, and a period's report asks for dozens)."""
    if not results:
        return {}
    ensure_tables(con)
    runs, periods = sorted({r.run_id for r in results}), sorted({r.period for r in results})
    found: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}
    for run_id, check_id, period, sha, key, value in con.execute(
            "SELECT run_id, check_id, period, coalesce(file_sha256, ''), row_key, value_hash "
            f"FROM quality.check_failures WHERE run_id IN ({', '.join('?' for _ in runs)}) "
            f"AND period IN ({', '.join('?' for _ in periods)}) ORDER BY row_key", [*runs, *periods]).fetchall():
        found.setdefault((run_id, check_id, period, sha), []).append((key, value))
    return {id(r): found.get((r.run_id, r.check_id, r.period, r.file_sha256 or ""), []) for r in results}


def list_acknowledgements(con: Warehouse) -> list[Acknowledgement]:
    """Every acknowledgement ever recorded, oldest first (for the disaster-recovery mirror)."""
    ensure_tables(con)
    return [Acknowledgement(*row) for row in con.execute(
        "SELECT acknowledged_at, period, check_id, row_key, value_hash, acknowledged_by, reason "
        "FROM quality.acknowledgements ORDER BY acknowledged_at, check_id, row_key").fetchall()]


def _acknowledged(con: Warehouse, check_ids: Iterable[str]) -> dict[tuple[str, str, str], Acknowledgement]:
    """(check_id, row_key, value_hash) -> its first acknowledgement."""
    wanted = sorted(set(check_ids))
    if not wanted:
        return {}
    ensure_tables(con)
    placeholders = ", ".join("?" for _ in wanted)
    found: dict[tuple[str, str, str], Acknowledgement] = {}
    for row in con.execute(
            "SELECT acknowledged_at, period, check_id, row_key, value_hash, acknowledged_by, reason "
            f"FROM quality.acknowledgements WHERE check_id IN ({placeholders}) ORDER BY acknowledged_at",
            wanted).fetchall():
        ack = Acknowledgement(*row)
        found.setdefault((ack.check_id, ack.row_key, ack.value_hash), ack)
    return found


def states(con: Warehouse, results: Sequence[CheckResult]) -> dict[int, AcknowledgementState]:
    """id(result) -> its acknowledgement state, for failed results on feed rows."""
    acknowledged = _acknowledged(con, [r.check_id for r in results])
    judged = [r for r in results if r.failed and r.file_sha256 is not None]
    rows_of = failing_rows_of(con, judged)
    out: dict[int, AcknowledgementState] = {}
    for result in judged:
        rows = rows_of[id(result)]
        hit = [(k, v) for k, v in rows if (result.check_id, k, v) in acknowledged]
        out[id(result)] = AcknowledgementState(
            failing=len(rows), acknowledged=len(hit), by=_distinct([acknowledged[(result.check_id, *kv)] for kv in hit]),
            keys=frozenset(hit))
    return out


def acknowledged_samples(con: Warehouse, result: CheckResult) -> set[tuple[str, str]]:
    """(row_key, value_hash) of the result's failing rows that are acknowledged."""
    state = states(con, [result]).get(id(result))
    return set(state.keys) if state else set()


def _distinct(acks: list[Acknowledgement]) -> list[Acknowledgement]:
    seen: dict[tuple, Acknowledgement] = {}
    for ack in acks:
        seen.setdefault((ack.acknowledged_by, ack.acknowledged_at, ack.reason), ack)
    return sorted(seen.values(), key=lambda a: a.acknowledged_at)


def unacknowledged(con: Warehouse, warnings: Sequence[CheckResult]) -> list[CheckResult]:
    """The warnings that still ask for a look: not every failing row of them is acknowledged."""
    known = states(con, warnings)
    return [w for w in warnings if not (id(w) in known and known[id(w)].fully)]


def acknowledge(con: Warehouse, period: str, check_id: str, acknowledged_by: str, reason: str,
                keys: Sequence[str] | None, warnings: Sequence[CheckResult],
                errors: Mapping[str, CheckResult] | None = None) -> int:
    """Acknowledge the failing rows `keys` (all of them when none are given) of the warning
    `check_id` failing in `period` (`warnings`: the gate's failed warnings of the period).
    Returns the number of rows newly acknowledged; raises ValueError (bilingual) otherwise."""
    if not (acknowledged_by or "").strip():
        raise ValueError("确认须写明确认人姓名 / an acknowledgement needs the name of the person")
    if not (reason or "").strip():
        raise ValueError("确认须写明理由（审核说明）/ an acknowledgement needs a reason")
    if errors and check_id in errors:
        raise ValueError(f"{check_id} 是错误级审核，请用 --override 签字放行 / {check_id} is an error check: "
                         "use --override to sign it off")
    results = [w for w in warnings if w.check_id == check_id]
    if not results:
        failing = sorted({w.check_id for w in warnings if w.file_sha256})
        raise ValueError(
            f"{check_id} 不是{period}当前未通过的提示；当前提示：{'、'.join(failing) or '无'} / {check_id} is not a "
            f"failing warning of {period}; failing now: {', '.join(failing) or 'none'}")
    if any(r.file_sha256 is None for r in results):
        raise ValueError(f"只能确认报表数据行的提示，{check_id} 不是 / only warnings on feed rows can be "
                         f"acknowledged; {check_id} is not one")
    rows = {k: v for r in results for k, v in failing_rows(con, r)}
    wanted = list(dict.fromkeys(k.strip() for k in (keys or []) if k and k.strip())) or sorted(rows)
    unknown = [k for k in wanted if k not in rows]
    if unknown:
        raise ValueError(f"{period} 的 {check_id} 没有这些行键：{'、'.join(unknown)}（行键见质量报告）/ no failing row "
                         f"of {check_id} in {period} has the key(s) {', '.join(unknown)} (the quality report lists them)")
    done = _acknowledged(con, [check_id])
    new = [k for k in wanted if (check_id, k, rows[k]) not in done]
    now = clock.now()
    con.executemany(
        "INSERT INTO quality.acknowledgements (acknowledged_at, period, check_id, row_key, value_hash, "
        "acknowledged_by, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [[now, period, check_id, k, rows[k], acknowledged_by.strip(), reason.strip()] for k in new])
    return len(new)
