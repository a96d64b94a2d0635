"""Dagster with the warehouse on PostgreSQL: the instance `svcmon` writes keeps its runs on the
same server (schema `dagster`), and `build_job` lands the inbox and builds the marts there through
the DbtCliResource."""

from __future__ import annotations

import pytest

from ingest import database
from ingest.warehouse import connect
from tests.conftest import prepare_dbt_project
from tests.pg_fixtures import pg_url  # noqa: F401  (fixture)
from tests.test_postgres_pipeline import EXPECTED, FILES, PERIOD

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_build_job_on_postgres_records_its_run_on_the_same_server(pg_url, tmp_path, monkeypatch):  # noqa: F811
    from dagster_postgres import PostgresRunStorage

    from orchestration.runs import execute_range
    from orchestration.runs import instance as dagster_instance

    home = tmp_path / "home"
    monkeypatch.setenv("SVCMON_HOME", str(home))
    monkeypatch.delenv("SVCMON_INBOX", raising=False)
    monkeypatch.setenv("SVCMON_WAREHOUSE_URL", pg_url)
    monkeypatch.setenv("DAGSTER_HOME", "")  # svcmon picks the home's instance (restored afterwards)
    for feed, name, text in FILES:
        (home / "inbox" / feed).mkdir(parents=True, exist_ok=True)
        (home / "inbox" / feed / name).write_text(text, encoding="utf-8")

    prepare_dbt_project()
    instance = dagster_instance()
    assert isinstance(instance.run_storage, PostgresRunStorage)
    result = execute_range("build_job", PERIOD, PERIOD, instance=instance)
    assert result.success

    con = connect(pg_url)
    try:
        got = {i: (v, light) for i, v, light in con.execute(
            "SELECT indicator_id, value, light FROM marts.fct_indicator_progress WHERE period = ?", [PERIOD]
        ).fetchall() if i in EXPECTED}
        assert got == EXPECTED
        assert con.execute("SELECT count(*) FROM raw.file_register WHERE status = 'accepted'").fetchone() == (3,)
        runs = con.execute(f"SELECT run_id, status FROM {database.DAGSTER_SCHEMA}.runs").fetchall()
        assert runs == [(result.run_id, "SUCCESS")]
    finally:
        con.close()
    instance.dispose()
