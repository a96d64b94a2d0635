"""Test helper: a fresh DuckDB warehouse with empty `raw.*` tables, rows landed through
landing's own path, and dbt run against it (a subprocess, see run_dbt).

    db = make_warehouse(tmp_path)
    insert_raw(db, "stats_fai", [{"indicator": "服务业投资", "yoy_pct": 9.0}], period="2024-03")
    run = run_dbt(db, "build")               # raises DbtRunFailed unless every node passed
    rows = query(db, "select * from marts.fct_indicator_progress")

The raw layout, vintage numbering and register rows are landing's (`ingest/landing.py`):
rows written here go through `landing.land_parsed`, the path every accepted file takes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest import landing
from orchestration.dbt import run_dbt_process
from tests.conftest import land_rows, records


class DbtRunFailed(AssertionError):
    """dbt returned failure; the message lists the nodes that did not pass."""


def make_warehouse(tmp_path: Path, name: str = "warehouse.duckdb") -> Path:
    """Create `tmp_path/name` with landing's raw schema (every feed's empty raw table, the file
    register, the vintages). Returns the file's path."""
    db = Path(tmp_path) / name
    landing.connect(db).close()
    return db


def insert_raw(
    db: Path,
    feed_id: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    period: str,
    file_sha256: str | None = None,
    file_name: str | None = None,
    submitted_on: dt.date | None = None,
    received_at: dt.datetime | None = None,
) -> str:
    """Land one accepted file of `feed_id` for `period` holding `rows` (see `tests.conftest.land_rows`):
    its rows in raw.<feed_id>, its register row and the next vintage of every scope it covers.

    Default arrival: the 3rd of the next month, on time for every feed. Returns the file's sha256."""
    received = received_at or (
        dt.datetime(int(period[:4]), int(period[5:]), 1) + dt.timedelta(days=32)
    ).replace(day=3)
    con = landing.connect(db)
    try:
        return land_rows(con, feed_id, period, rows, received_at=received, file_name=file_name,
                         submitted_on=submitted_on, file_sha256=file_sha256)
    finally:
        con.close()


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
    # Target and logs beside the warehouse file: tests running at once never share them.
    work = Path(db).parent / f"{Path(db).stem}_dbt"
    proc = run_dbt_process(db, *args, work=work, vars=vars, env=env)
    results_file = work / "target" / "run_results.json"
    run_results = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else {}
    run = DbtRun(proc.returncode, proc.stdout + proc.stderr, run_results)
    if check and not run.success:
        detail = "\n".join(run.failures()) or run.output[-4000:]
        raise DbtRunFailed(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{detail}")
    return run


def query(db: Path, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    """Rows of `sql` as dicts (read-only connection, closed at once)."""
    return records(db, sql, params or [])
