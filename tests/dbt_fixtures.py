"""Test helper: a fresh DuckDB warehouse with empty `raw.*` tables, hand-written raw rows,
and dbt run against it (a subprocess, see run_dbt).

    db = make_warehouse(tmp_path)
    insert_raw(db, "stats_fai", [{"indicator": "服务业投资", "yoy_pct": 9.0}], period="2024-03")
    run = run_dbt(db, "build")               # raises DbtRunFailed unless every node passed
    rows = query(db, "select * from marts.fct_indicator_progress")

The raw layout is the one of docs/internals.md ("Landing"); the raw tables' columns come from
`ingest.registry.raw_table_columns`, so they follow the registry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ingest.landing import derived_values, ensure_raw_schema, scope_of
from ingest.registry import get_feed, raw_table_columns

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"


class DbtRunFailed(AssertionError):
    """dbt returned failure; the message lists the nodes that did not pass."""


def make_warehouse(tmp_path: Path, name: str = "warehouse.duckdb") -> Path:
    """Create `tmp_path/name` with schema raw, an empty raw.<feed_id> for every registry feed,
    raw.file_register and raw.vintages. Returns the file's path."""
    db = Path(tmp_path) / name
    with duckdb.connect(str(db)) as con:
        ensure_raw_schema(con)  # the landing's own DDL: one home for the raw layout
    return db


def _fake_sha(feed_id: str, period: str, scope: str, rows: list[Mapping[str, Any]], salt: str) -> str:
    return hashlib.sha256(repr((feed_id, period, scope, rows, salt)).encode()).hexdigest()


def insert_raw(
    db: Path,
    feed_id: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    period: str,
    file_sha256: str | None = None,
    file_name: str | None = None,
    scope: str | None = None,
    vintage: int | None = None,
    submitted_on: dt.date | None = None,
    received_at: dt.datetime | None = None,
) -> str:
    """Land one accepted file of `feed_id` for `period`: its rows in raw.<feed_id> (lineage filled
    in), a raw.file_register row, and one raw.vintages row per scope it covers.

    `rows` hold registry field names (unknown keys are an error) and may set `_is_total`,
    `_row_number`, `_source_unit`. `scope` defaults to '' for single-owner feeds and, for the
    multi-department feeds, to each row's scope as the landing computes it (the `reporting_dept`
    resolved through the alias seed, else the name normalised). `vintage` defaults to the scope's next vintage;
    `file_sha256` to a hash of the contents. Returns the file's sha256."""
    feed = get_feed(feed_id)
    rows = [dict(r) for r in rows]
    fields = [n for n, _ in raw_table_columns(feed)]
    settable = {c.field for c in feed.columns} | {"_is_total", "_row_number", "_source_unit", "_parse_errors"}
    for i, row in enumerate(rows):
        unknown = set(row) - settable
        if unknown:
            raise ValueError(f"{feed_id} row {i}: unknown column(s) {sorted(unknown)}; known: {sorted(settable)}")
    sha = file_sha256 or _fake_sha(feed_id, period, scope or "", rows, str(vintage))
    name = file_name or f"{feed_id}_{period.replace('-', '')}.xlsx"
    # Default arrival: the 3rd of the next month, on time for every feed.
    received = received_at or (
        dt.datetime(int(period[:4]), int(period[5:]), 1) + dt.timedelta(days=32)
    ).replace(day=3)
    submitted = submitted_on or received.date()

    def row_scope(row: Mapping[str, Any]) -> str:
        return scope if scope is not None else scope_of(feed, row)

    scopes = sorted({row_scope(r) for r in rows}) or [scope or ""]
    now = dt.datetime.now()
    with duckdb.connect(str(db)) as con:
        for i, row in enumerate(rows):
            full = {f: row.get(f) for f in fields}
            full.update(derived_values(feed, row))  # canonical department names, as landing stores them
            full.update(
                _feed_id=feed_id, _file_sha256=sha, _file_name=name, _sheet="Sheet1",
                _row_number=row.get("_row_number", i + 2), _period=period, _scope=row_scope(row),
                _is_total=bool(row.get("_is_total", False)), _source_unit=row.get("_source_unit"),
                _parse_errors=row.get("_parse_errors"), _ingested_at=now,
            )
            placeholders = ", ".join("?" for _ in fields)
            con.execute(f"insert into raw.{feed_id} values ({placeholders})", [full[f] for f in fields])
        con.execute(
            "insert into raw.file_register values (?, ?, ?, ?, ?, ?, 'accepted', null, ?, ?, ?)",
            [sha, feed_id, name, f"archive/{feed_id}/{sha}.xlsx", "Sheet1", period, received, submitted, len(rows)],
        )
        for s in scopes:
            v = vintage
            if v is None:
                (last,) = con.execute(
                    "select coalesce(max(vintage), 0) from raw.vintages where feed_id = ? and period = ? and scope = ?",
                    [feed_id, period, s],
                ).fetchone()
                v = last + 1
            con.execute("insert into raw.vintages values (?, ?, ?, ?, ?, ?)", [feed_id, period, s, sha, v, received])
    return sha


def insert_rejected(db: Path, feed_id: str, *, period: str | None, file_name: str, reason: str) -> str:
    """A rejected file: a register row only (nothing reaches raw.<feed_id> or raw.vintages)."""
    get_feed(feed_id)
    sha = hashlib.sha256(f"rejected {feed_id} {file_name} {reason}".encode()).hexdigest()
    with duckdb.connect(str(db)) as con:
        con.execute(
            "insert into raw.file_register values (?, ?, ?, null, null, ?, 'rejected', ?, ?, ?, 0)",
            [sha, feed_id, file_name, period, reason, dt.datetime.now(), dt.date.today()],
        )
    return sha


def dbt_args(db: Path, *args: str, vars: Mapping[str, Any] | None = None) -> list[str]:
    """The dbt CLI arguments run_dbt uses: target/log paths beside the warehouse file, so tests
    running at the same time never share dbt's target directory."""
    work = Path(db).parent / f"{Path(db).stem}_dbt"
    cli = [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    if vars:
        cli += ["--vars", json.dumps(dict(vars))]
    return cli


@dataclass
class DbtRun:
    """One dbt invocation: its exit code, console output and target/run_results.json (parsed)."""

    returncode: int
    output: str
    run_results: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.returncode == 0

    def statuses(self) -> dict[str, str]:
        """unique_id -> status ('success', 'pass', 'warn', 'fail', 'error', 'skipped')."""
        return {r["unique_id"]: r["status"] for r in self.run_results.get("results", [])}

    def failures(self) -> list[str]:
        return [f"{r['unique_id']}: {r['status']}: {r.get('message')}"
                for r in self.run_results.get("results", [])
                if r["status"] not in ("success", "pass", "warn", "skipped")]


def run_dbt(db: Path, *args: str, vars: Mapping[str, Any] | None = None, check: bool = True,
            env: Mapping[str, str] | None = None) -> DbtRun:
    """Run dbt against `db` in a subprocess, e.g. `run_dbt(db, "build")` or
    `run_dbt(db, "run", "--select", "tag:partitioned", vars={"period_from": "2024-03"})`.

    A subprocess, not dbtRunner in-process: dbt-duckdb keeps the database file open in the
    process that ran it, and the test could then not open it. With `check`, raises DbtRunFailed
    listing the nodes that did not pass."""
    cli = [str(Path(sys.executable).parent / "dbt"), *dbt_args(db, *args, vars=vars)]
    proc_env = {**os.environ, "SVCMON_WAREHOUSE": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                **(env or {})}
    proc = subprocess.run(cli, env=proc_env, capture_output=True, text=True, cwd=DBT_PROJECT_DIR, check=False)
    results_file = Path(db).parent / f"{Path(db).stem}_dbt" / "target" / "run_results.json"
    run_results = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else {}
    run = DbtRun(proc.returncode, proc.stdout + proc.stderr, run_results)
    if check and not run.success:
        detail = "\n".join(run.failures()) or run.output[-4000:]
        raise DbtRunFailed(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{detail}")
    return run


def query(db: Path, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    """Rows of `sql` as dicts (read-only connection, closed at once)."""
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
