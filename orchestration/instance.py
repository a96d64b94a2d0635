"""The Dagster instance `svcmon` uses: `$DAGSTER_HOME` when an operator set it, else
`$SVCMON_HOME/dagster`, whose `dagster.yaml` svcmon writes (keys an operator set are kept):
telemetry off, run monitoring on, and a run queue that starts one writing run at a time
(`concurrency.runs.tag_concurrency_limits` on WRITER_TAG).

On DuckDB the instance keeps its runs, events and schedules in SQLite files beside the config
(Dagster's default), its events through `orchestration.event_log` (Dagster's SQLite event log with
one connection kept per file). With `SVCMON_WAREHOUSE_URL=postgresql://…` they live on the same server,
in the schema `dagster` (`ingest.database.DAGSTER_SCHEMA`), through `dagster-postgres`, so the
CLI, `dagster-webserver` and `dagster-daemon` (deploy/) all see the same runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from ingest import database, settings
from ingest.warehouse import is_postgres_url

WRITER_TAG = "svcmon/writer"  # every job writes the warehouse: one such run in progress at a time

INSTANCE_SETTINGS: dict[str, Any] = {
    "telemetry": {"enabled": False},  # the machines are offline
    "concurrency": {"runs": {"tag_concurrency_limits": [{"key": WRITER_TAG, "limit": 1}]}},
    # The daemon notices run workers that died and fails their runs.
    "run_monitoring": {"enabled": True, "poll_interval_seconds": 30},
}

_set_here: str | None = None  # the DAGSTER_HOME this process chose (not an operator's)


def dagster_home() -> Path:
    """`$DAGSTER_HOME` when an operator set it, else `$SVCMON_HOME/dagster`, which is then set
    for this process (and followed if the home changes) so the runs it starts and the UI started
    from it (`dagster dev`) share one instance. Its `dagster.yaml` is written (`write_instance_config`)."""
    global _set_here
    given = os.environ.get("DAGSTER_HOME")
    if given and given != _set_here:
        home = Path(given)
    else:
        home = settings.home() / "dagster"
        os.environ["DAGSTER_HOME"] = _set_here = str(home)
    write_instance_config(home)  # svcmon's settings (the writer queue, the storage) on any instance it runs on
    return home


def storage_url(url: str) -> str:
    """The warehouse URL whose sessions (libpq `options`) create their tables in Dagster's schema, as the
    role that owns what the pipeline creates. The driver is named: dagster-postgres is written for
    psycopg2 (its `NOTIFY … :id` does not bind under psycopg 3, SQLAlchemy 2.1's default)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-c search_path={database.DAGSTER_SCHEMA} -c role={database.OWNER}"))
    return urlunsplit(parts._replace(scheme="postgresql+psycopg2", query=urlencode(query)))


POOLED_EVENT_LOG = {"module": "orchestration.event_log", "class": "PooledSqliteEventLogStorage"}


def instance_config(url: str | None = None, current: dict | None = None, home: Path | None = None) -> dict:
    """The `dagster.yaml` of the instance in `home` (default `dagster_home()`) for the warehouse `url`
    (default `settings.warehouse_url()`): svcmon's settings under the keys an operator set
    (`current`); on PostgreSQL the storage is always the warehouse's server (it follows the URL); on
    DuckDB the events go through `orchestration.event_log` into the folder Dagster's default uses,
    unless the operator chose a storage of their own."""
    url = url or settings.warehouse_url()
    config: dict = {**INSTANCE_SETTINGS, **(current or {})}
    ours = {key: value for key, value in (config.get("event_log_storage") or {}).items() if key != "config"}
    if ours == POOLED_EVENT_LOG:
        config.pop("event_log_storage", None)  # written again below, for this home and URL
    if is_postgres_url(url):
        config["storage"] = {"postgres": {"postgres_url": storage_url(url)}}
    elif "storage" not in config and "event_log_storage" not in config:
        folder = Path(home or dagster_home()) / "history" / "runs"  # Dagster's own default folder
        config["event_log_storage"] = {**POOLED_EVENT_LOG, "config": {"base_dir": f"{folder}{os.sep}"}}
    return config


def write_instance_config(home: Path | None = None, url: str | None = None) -> Path:
    """Write `dagster.yaml` into `home` (default `dagster_home()`) when it is missing or says
    something else (the URL changed). It may hold the server's password: mode 0600."""
    home = home or dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    current = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
    text = yaml.safe_dump(instance_config(url, current, home), sort_keys=False, allow_unicode=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.touch(mode=0o600, exist_ok=True)
        os.chmod(path, 0o600)
        path.write_text(text, encoding="utf-8")
    return path
