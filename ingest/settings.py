"""Where things live. `$SVCMON_HOME` (default `./.svcmon`) holds the warehouse, inbox,
archive, reports and dbt's run output; `$SVCMON_INBOX` may move the inbox elsewhere."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("SVCMON_HOME", ".svcmon")).resolve()


# The DuckDB warehouse's file name, in a home and in a scratch home (`svcmon rebuild`): dbt's profile
# names it without its folder (`orchestration.dbt.dbt_environment`).
WAREHOUSE_FILE = "warehouse.duckdb"


def warehouse_path() -> Path:
    return home() / WAREHOUSE_FILE


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


# How the statistics bureau releases stats_employment in this deployment (FEEDS.md feed 4), and the
# registry calendar each release cadence uses (`Feed.alternative_calendars`).
EMPLOYMENT_RELEASE_ENV = "SVCMON_EMPLOYMENT_RELEASE"
EMPLOYMENT_RELEASE_CADENCES = {"quarterly": "quarterly", "annual": "yearly"}


def employment_release() -> str:
    """`SVCMON_EMPLOYMENT_RELEASE`: `quarterly` (default) or `annual`."""
    value = (os.environ.get(EMPLOYMENT_RELEASE_ENV) or "quarterly").strip().lower()
    if value not in EMPLOYMENT_RELEASE_CADENCES:
        raise ValueError(f"{EMPLOYMENT_RELEASE_ENV} must be one of {', '.join(EMPLOYMENT_RELEASE_CADENCES)}, "
                         f"got {value!r}")
    return value


def deployment_dbt_vars() -> dict:
    """dbt vars that come from this deployment's settings, read at run time (never baked into
    generated files): the cadence overrides of `int_feed_due_periods`."""
    cadence = EMPLOYMENT_RELEASE_CADENCES[employment_release()]
    return {"feed_cadence_overrides": {"stats_employment": cadence}} if cadence != "quarterly" else {}


def lock_timeout_seconds() -> float:
    """How long a writing command waits for another one to finish (`SVCMON_LOCK_TIMEOUT`, seconds;
    default one hour: a whole demo run fits)."""
    return float(os.environ.get("SVCMON_LOCK_TIMEOUT") or 3600)

