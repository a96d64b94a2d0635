"""The quality tables: `quality.check_results` and `quality.signoffs` (docs/internals.md)."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from ingest import database
from ingest.warehouse import Warehouse

Severity = Literal["error", "warn"]
Status = Literal["passed", "failed"]
Source = Literal["gx", "dbt", "completeness"]

# (column, storage kind, constraint) for Warehouse.create_table.
CHECK_RESULTS_COLUMNS = (
    ("run_id", "text", "NOT NULL"),
    ("checked_at", "timestamp", "NOT NULL"),
    ("period", "text", "NOT NULL"),
    ("target", "text", "NOT NULL"),
    ("check_id", "text", "NOT NULL"),
    ("check_name_zh", "text", ""),
    ("check_name_en", "text", ""),
    ("severity", "text", "NOT NULL"),
    ("status", "text", "NOT NULL"),
    ("failing_rows", "bigint", "NOT NULL"),
    ("sample_rows", "text", ""),
    ("file_sha256", "text", ""),
    ("source", "text", "NOT NULL"),
)

SIGNOFFS_COLUMNS = (
    ("signed_at", "timestamp", "NOT NULL"),
    ("period", "text", "NOT NULL"),
    ("signed_by", "text", "NOT NULL"),
    ("reason", "text", "NOT NULL"),
    ("overrides", "text", "NOT NULL"),
)

MAX_SAMPLE_ROWS = 20


@dataclass
class CheckResult:
    """One row of `quality.check_results`: one check on one vintage (or one period for model checks)."""

    run_id: str
    checked_at: dt.datetime
    period: str
    target: str
    check_id: str
    check_name_zh: str
    check_name_en: str
    severity: Severity
    status: Status
    failing_rows: int
    sample_rows: str  # JSON list
    file_sha256: str | None
    source: Source
    # (row_key, value_hash) of every failing feed row, not a column: `quality.check_failures`
    # (expectations/acknowledgements.py) stores them.
    failing_keys: list[tuple[str, str]] = field(default_factory=list, repr=False, compare=False)

    @property
    def samples(self) -> list[dict[str, Any]]:
        return json.loads(self.sample_rows or "[]")

    @property
    def failed(self) -> bool:
        return self.status == "failed"


COLUMNS = tuple(f.name for f in fields(CheckResult) if f.name != "failing_keys")


def ensure_quality_schema(con: Warehouse) -> None:
    """The quality tables, created when missing (with their grants on PostgreSQL). When both are
    there nothing runs, so a statistician's session (no DDL rights) can call it too."""
    if con.table_exists("quality", "check_results") and con.table_exists("quality", "signoffs"):
        return
    con.execute("CREATE SCHEMA IF NOT EXISTS quality")
    con.create_table("quality.check_results", CHECK_RESULTS_COLUMNS)
    con.create_table("quality.signoffs", SIGNOFFS_COLUMNS)
    database.grant_table_privileges(con)


def _plain(value: Any) -> Any:
    """JSON-safe scalar: NaN/NA → None, numpy → Python, dates → ISO text."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def samples_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(
        [{k: _plain(v) for k, v in row.items()} for row in rows[:MAX_SAMPLE_ROWS]],
        ensure_ascii=False,
        default=str,
    )


def insert_results(con: Warehouse, results: list[CheckResult]) -> None:
    if not results:
        return
    ensure_quality_schema(con)
    con.insert_rows("quality.check_results", COLUMNS, [[getattr(r, c) for c in COLUMNS] for r in results])


def rows_as_results(rows: list[tuple]) -> list[CheckResult]:
    return [CheckResult(*row) for row in rows]
