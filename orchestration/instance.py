"""The Dagster instance `svcmon` uses: its `dagster.yaml` under `$SVCMON_HOME/dagster`.

On DuckDB the instance keeps its runs, events and schedules in SQLite files beside the config
(Dagster's default). With `SVCMON_WAREHOUSE_URL=postgresql://…` they live on the same server,
in the schema `dagster` (`ingest.database.DAGSTER_SCHEMA`), through `dagster-postgres`, so the
CLI, `dagster-webserver` and `dagster-daemon` (deploy/) all see the same runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from ingest import database, settings
from ingest.warehouse import is_postgres_url


def dagster_home() -> Path:
    return settings.home() / "dagster"


def storage_url(url: str) -> str:
    """The warehouse URL whose sessions (libpq `options`) create their tables in Dagster's schema, as the
    role that owns what the pipeline creates. The driver is named: dagster-postgres is written for
    psycopg2 (its `NOTIFY … :id` does not bind under psycopg 3, SQLAlchemy 2.1's default)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-c search_path={database.DAGSTER_SCHEMA} -c role={database.OWNER}"))
    return urlunsplit(parts._replace(scheme="postgresql+psycopg2", query=urlencode(query)))


def instance_config(url: str | None = None) -> dict:
    """The `dagster.yaml` for the warehouse `url` (default `settings.warehouse_url()`)."""
    url = url or settings.warehouse_url()
    config: dict = {"telemetry": {"enabled": False}}  # the machines are offline
    if is_postgres_url(url):
        config["storage"] = {"postgres": {"postgres_url": storage_url(url)}}
    return config


def write_instance_config(home: Path | None = None, url: str | None = None) -> Path:
    """Write `dagster.yaml` into `home` (default `dagster_home()`) when it is missing or says
    something else (the URL changed). It may hold the server's password: mode 0600."""
    home = home or dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    text = yaml.safe_dump(instance_config(url), sort_keys=False)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.touch(mode=0o600, exist_ok=True)
        os.chmod(path, 0o600)
        path.write_text(text, encoding="utf-8")
    return path
