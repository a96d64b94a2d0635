"""The quality tables: `quality.check_results` and `quality.signoffs` (docs/internals.md)."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from ingest.warehouse import Warehouse

Severity = Literal["error", "warn"]
Status = Literal["passed", "failed"]
Source = Literal["gx", "dbt", "completeness"]

CHECK_RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS quality.check_results (
    run_id VARCHAR NOT NULL,
    checked_at TIMESTAMP NOT NULL,
    period VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    check_id VARCHAR NOT NULL,
    check_name_zh VARCHAR,
    check_name_en VARCHAR,
    severity VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    failing_rows BIGINT NOT NULL,
    sample_rows VARCHAR,
    file_sha256 VARCHAR,
    source VARCHAR NOT NULL
)"""

SIGNOFFS_DDL = """
CREATE TABLE IF NOT EXISTS quality.signoffs (
    signed_at TIMESTAMP NOT NULL,
    period VARCHAR NOT NULL,
    signed_by VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    overrides VARCHAR NOT NULL
)"""

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
    con.execute("CREATE SCHEMA IF NOT EXISTS quality")
    con.execute(CHECK_RESULTS_DDL)
    con.execute(SIGNOFFS_DDL)


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
    placeholders = ", ".join("?" for _ in COLUMNS)
    con.executemany(
        f"INSERT INTO quality.check_results ({', '.join(COLUMNS)}) VALUES ({placeholders})",
        [[getattr(r, c) for c in COLUMNS] for r in results],
    )


def rows_as_results(rows: list[tuple]) -> list[CheckResult]:
    return [CheckResult(*row) for row in rows]
