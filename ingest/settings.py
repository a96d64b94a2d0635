"""Where things live. `$SVCMON_HOME` (default `./.svcmon`) holds the warehouse, inbox,
archive, reports and dbt's run output; `$SVCMON_INBOX` may move the inbox elsewhere."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("SVCMON_HOME", ".svcmon")).resolve()


def warehouse_path() -> Path:
    return home() / "warehouse.duckdb"


def warehouse_url() -> str:
    """`SVCMON_WAREHOUSE_URL` (e.g. `postgresql://user:pass@host:5432/db`), else the DuckDB file."""
    return os.environ.get("SVCMON_WAREHOUSE_URL") or f"duckdb://{warehouse_path()}"


def published_copy_path() -> Path:
    return home() / "published.duckdb"


def inbox_path() -> Path:
    inbox = os.environ.get("SVCMON_INBOX")
    return Path(inbox).resolve() if inbox else home() / "inbox"


def archive_path() -> Path:
    return home() / "archive"


def reports_path() -> Path:
    return home() / "reports"


def dbt_path() -> Path:
    """dbt's target folders and logs of each run: they belong to the home, not the package."""
    return home() / "dbt"


def lock_timeout_seconds() -> float:
    """How long a writing command waits for another one to finish (`SVCMON_LOCK_TIMEOUT`, seconds;
    default one hour: a whole demo run fits)."""
    return float(os.environ.get("SVCMON_LOCK_TIMEOUT") or 3600)


def pii_secret() -> str:
    """The HMAC secret for keys derived from personal data (`person_key` in dbt, the row keys of
    acknowledged warnings): `SVCMON_PII_SECRET`; the demo default is not a secret."""
    return os.environ.get("SVCMON_PII_SECRET") or "svcmon-demo-secret"
