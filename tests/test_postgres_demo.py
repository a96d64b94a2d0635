"""`svcmon demo` on a PostgreSQL database that already holds data: refused in one line (exit 2)
unless `--force`, whose emptying drops the pipeline's tables and views and keeps the schemas,
their grants and the roles."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from ingest import database, landing
from ingest.warehouse import connect
from orchestration.cli import app
from tests.conftest import land_rows
from tests.pg_fixtures import login_role, pg_url, with_login  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres


@pytest.fixture
def held(pg_url, home, monkeypatch):  # noqa: F811
    """A database holding one landed file and one published table; the CLI pointed at it."""
    monkeypatch.setenv("SVCMON_WAREHOUSE_URL", pg_url)
    con = landing.connect(pg_url)
    try:
        land_rows(con, "stats_fai", "2024-03", [{"indicator": "第三产业投资", "yoy_pct": 7.5}],
                  received_at=dt.datetime(2024, 4, 3, 9))
        con.execute("CREATE TABLE marts.fct_old AS SELECT 1 AS x")
        con.execute("CREATE TABLE published.fct_old_history AS SELECT 1 AS x")
        con.execute("CREATE VIEW published.fct_old AS SELECT x FROM published.fct_old_history")
    finally:
        con.close()
    return pg_url


def test_a_demo_on_a_database_holding_data_is_refused_in_one_line(held, home):
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "1 files" in lines[0] and "--force" in lines[0], result.output
    con = connect(held)
    try:
        assert con.execute("SELECT count(*) FROM raw.file_register").fetchone()[0] == 1
    finally:
        con.close()
    assert not (home / "inbox").exists()  # nothing generated either


def test_force_empties_the_pipeline_schemas_and_keeps_roles_and_grants(held):
    con = connect(held)
    try:
        assert database.held_data(con) == {"files": 1}
        dropped = database.empty_pipeline_schemas(con)
        left = con.execute(
            "SELECT n.nspname, c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ANY(?) AND c.relkind IN ('r', 'v', 'm')", [list(database.PIPELINE_SCHEMAS)]).fetchall()
        assert left == []
        assert dropped >= 4  # raw's tables, marts.fct_old, the published table and its view
        assert database.held_data(con) == {}
        assert database.is_initialised(con)  # schemas (owned by the owner role) and roles are all there
        # The default privileges survived: a table published afterwards is readable by analysts.
        con.execute("CREATE TABLE published.fct_new AS SELECT 2 AS version")
    finally:
        con.close()
    with login_role(database.ANALYST) as (name, password):
        analyst = connect(with_login(held, name, password))
        try:
            assert analyst.execute("SELECT version FROM published.fct_new").fetchall() == [(2,)]
        finally:
            analyst.close()
