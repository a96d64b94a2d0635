"""Roles on a real PostgreSQL server (`ingest/database.py`): what an analyst's and a statistician's
login may read and write, grants that survive a table being recreated, and `svcmon db init`
run again and again."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from typer.testing import CliRunner

from ingest import database, landing
from ingest.warehouse import connect
from orchestration.cli import app
from tests.pg_fixtures import login_role, pg_url, with_login  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres
REFUSED = psycopg.errors.InsufficientPrivilege


@pytest.fixture
def pipeline(pg_url):  # noqa: F811
    """The pipeline's session (the server URL's login, a member of svcmon_owner after init) with
    raw, quality and one table in each of marts and published."""
    con = landing.connect(pg_url)
    from expectations.store import ensure_quality_schema

    ensure_quality_schema(con)
    con.execute("CREATE TABLE marts.fct_protected AS SELECT 'X' AS cell")
    con.execute("CREATE TABLE published.fct_public AS SELECT 1 AS version")
    con.execute("INSERT INTO quality.check_results VALUES ('r1', ?, '2024-03', 'raw.stats_fai', 'c1', '检查', "
                "'check', 'error', 'failed', 1, '[]', NULL, 'gx')", [dt.datetime(2024, 4, 1)])
    yield con
    con.close()


def test_the_pipeline_runs_as_the_owner_role_and_owns_what_it_creates(pipeline):
    assert pipeline.execute("SELECT current_user").fetchone()[0] == database.OWNER
    owners = pipeline.execute(
        "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname IN ('raw', 'quality', 'marts', 'published')"
    ).fetchall()
    assert owners == [(database.OWNER,)]
    schemas = pipeline.execute(
        "SELECT nspname FROM pg_namespace AS n JOIN pg_roles AS r ON r.oid = n.nspowner WHERE r.rolname = ? "
        "ORDER BY nspname", [database.OWNER]).fetchall()
    assert sorted(s for (s,) in schemas) == sorted(database.SCHEMAS)


def test_an_analyst_reads_published_and_nothing_else(pipeline, pg_url):  # noqa: F811
    with login_role(database.ANALYST) as (name, password):
        analyst = connect(with_login(pg_url, name, password))
        try:
            assert analyst.execute("SELECT current_user").fetchone()[0] == name
            assert analyst.execute("SELECT version FROM published.fct_public").fetchall() == [(1,)]
            for sql in ("SELECT count(*) FROM raw.talent_registry",        # personal data
                        "SELECT count(*) FROM raw.file_register",
                        "SELECT count(*) FROM marts.fct_protected",        # protected figures
                        "SELECT count(*) FROM quality.check_results",
                        "CREATE TABLE published.mine (x integer)",         # no writes anywhere
                        "CREATE TABLE public.mine (x integer)",
                        "INSERT INTO published.fct_public VALUES (2)",
                        "DROP TABLE published.fct_public",
                        "SET ROLE svcmon_owner"):
                with pytest.raises((REFUSED, psycopg.errors.InvalidSchemaName)):
                    analyst.execute(sql)
        finally:
            analyst.close()


def test_grants_survive_the_owner_recreating_a_table(pipeline, pg_url):  # noqa: F811
    with login_role(database.ANALYST) as (name, password):
        analyst = connect(with_login(pg_url, name, password))
        try:
            pipeline.execute("DROP TABLE published.fct_public")
            pipeline.execute("CREATE TABLE published.fct_public AS SELECT 2 AS version")
            pipeline.execute("CREATE TABLE published.fct_new AS SELECT 'new' AS what")
            assert analyst.execute("SELECT version FROM published.fct_public").fetchall() == [(2,)]
            assert analyst.execute("SELECT what FROM published.fct_new").fetchall() == [("new",)]
        finally:
            analyst.close()


def test_a_statistician_reads_quality_and_marts_and_signs_off(pipeline, pg_url):  # noqa: F811
    with login_role(database.STATISTICIAN) as (name, password):
        statistician = connect(with_login(pg_url, name, password))
        try:
            assert statistician.execute("SELECT cell FROM marts.fct_protected").fetchall() == [("X",)]
            assert statistician.execute("SELECT version FROM published.fct_public").fetchall() == [(1,)]
            assert statistician.execute("SELECT check_id FROM quality.check_results").fetchall() == [("c1",)]
            assert statistician.execute("SELECT count(*) FROM raw.file_register").fetchone() == (0,)
            # What `gate.record_signoff` writes (the gate's own reads are ported in the next round).
            statistician.execute("INSERT INTO quality.signoffs VALUES (?, ?, ?, ?, ?)",
                                 [dt.datetime(2024, 4, 2), "2024-03", "张三", "已复核 / reviewed", "[]"])
            assert pipeline.execute("SELECT period, signed_by FROM quality.signoffs").fetchall() == [
                ("2024-03", "张三")]
            for sql in ("SELECT count(*) FROM raw.talent_registry",
                        "SELECT count(*) FROM staging.stg_talent_registry__talents",
                        "INSERT INTO quality.check_results (run_id) VALUES ('forged')",
                        "DELETE FROM quality.signoffs",
                        "CREATE TABLE marts.mine (x integer)"):
                with pytest.raises((REFUSED, psycopg.errors.UndefinedTable)):
                    statistician.execute(sql)
        finally:
            statistician.close()


def test_db_init_is_idempotent(pg_url, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setenv("SVCMON_WAREHOUSE_URL", pg_url)
    monkeypatch.setenv("SVCMON_HOME", str(tmp_path / "home"))
    for _ in range(2):
        result = CliRunner().invoke(app, ["db", "init"])
        assert result.exit_code == 0, result.output
    con = connect(pg_url)
    try:
        assert database.is_initialised(con)
        assert con.table_exists("raw", "talent_registry") and con.table_exists("quality", "signoffs")
        # Default privileges are recorded once per (schema, role), however often init runs.
        assert con.execute(
            "SELECT count(*) FROM pg_default_acl AS d JOIN pg_namespace AS n ON n.oid = d.defaclnamespace "
            "WHERE n.nspname = 'published'").fetchone()[0] == 1
        assert con.execute(
            "SELECT has_table_privilege(?, 'quality.signoffs', 'INSERT'), "
            "has_table_privilege(?, 'quality.signoffs', 'INSERT')",
            [database.STATISTICIAN, database.ANALYST]).fetchone() == (True, False)
    finally:
        con.close()
    assert "postgres:" in (tmp_path / "home" / "dagster" / "dagster.yaml").read_text(encoding="utf-8")


def test_a_login_that_may_not_initialise_gets_one_clear_line(pg_url):  # noqa: F811
    # A fresh database nobody initialised, opened by a login without rights: no traceback of
    # half-made roles, one message naming the command to run.
    from tests.pg_fixtures import fresh_database

    with fresh_database("svcmon_uninit") as url, login_role() as (name, password):
        with pytest.raises(database.DatabaseNotReady, match="svcmon db init"):
            connect(with_login(url, name, password))


def test_a_database_owner_without_superuser_rights_initialises_and_runs_the_pipeline():
    # The production set-up of docs/deploy.md: the pipeline's login owns the database and may
    # create roles, nothing more. Init makes it a member of svcmon_owner; person_key's hmac()
    # (pgcrypto, a trusted extension) is there; a second init needs no role rights any more.
    import hashlib
    import hmac

    from tests.pg_fixtures import admin, fresh_database

    with login_role() as (name, password):
        admin(f"ALTER ROLE {name} CREATEROLE")
        with fresh_database("svcmon_owned") as url:
            database_name = url.rsplit("/", 1)[1]
            admin(f'ALTER DATABASE "{database_name}" OWNER TO {name}')
            pipeline_url = with_login(url, name, password)
            con = landing.connect(pipeline_url)
            try:
                assert con.execute("SELECT current_user, session_user").fetchone() == (database.OWNER, name)
                assert con.execute("SELECT rolsuper FROM pg_roles WHERE rolname = ?", [name]).fetchone() == (False,)
                key = con.execute("SELECT encode(hmac(convert_to('110105194912310021', 'UTF8'), "
                                  "convert_to('s', 'UTF8'), 'sha256'), 'hex')").fetchone()[0]
                assert key == hmac.new(b"s", b"110105194912310021", hashlib.sha256).hexdigest()
                con.execute("CREATE TABLE published.fct_public AS SELECT 1 AS version")
            finally:
                con.close()
            admin(f"ALTER ROLE {name} NOCREATEROLE")
            again = connect(pipeline_url)
            try:
                database.init_database(again)
            finally:
                again.close()
            with login_role(database.ANALYST) as (analyst_name, analyst_password):
                analyst = connect(with_login(url, analyst_name, analyst_password))
                try:
                    assert analyst.execute("SELECT version FROM published.fct_public").fetchall() == [(1,)]
                finally:
                    analyst.close()
            admin(f'ALTER DATABASE "{database_name}" OWNER TO CURRENT_USER')


def test_two_hosts_initialising_two_databases_of_one_server_at_once_both_succeed():
    # Roles and memberships are the server's, an advisory lock only the database's. The other host
    # has granted the pipeline's login its membership of svcmon_owner in its own init (not yet
    # committed) when this host initialises another database with the same login: this init waits
    # for that one and takes the membership as made, instead of failing on the duplicate.
    import threading
    import time

    from tests.pg_fixtures import admin, fresh_database, server_url

    with login_role() as (name, password):
        admin(f"ALTER ROLE {name} CREATEROLE")
        with fresh_database("svcmon_host_a") as first, fresh_database("svcmon_host_b") as second:
            connect(first).close()  # the roles exist (initialised by the server's own login)
            admin(f'ALTER DATABASE "{second.rsplit("/", 1)[1]}" OWNER TO {name}')
            other_host = psycopg.connect(with_login(first, name, password))  # a transaction, left open
            other_host.execute(f"GRANT {database.OWNER} TO {name}")
            outcome = {}

            def initialise() -> None:
                try:
                    con = connect(with_login(second, name, password))
                    outcome["ran as"] = con.execute("SELECT current_user").fetchone()[0]
                    con.close()
                except Exception as exc:  # reported below
                    outcome["error"] = exc

            this_host = threading.Thread(target=initialise)
            this_host.start()
            # Wait (no time asserted) until this host's init is blocked behind the other host's grant.
            deadline = time.monotonic() + 300
            with psycopg.connect(server_url(), autocommit=True) as watch:
                while watch.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND datname = %s "
                        "AND wait_event_type = 'Lock'", [name, second.rsplit("/", 1)[1]]).fetchone()[0] == 0:
                    assert this_host.is_alive() and time.monotonic() < deadline, outcome
                    time.sleep(0.1)
            other_host.commit()
            other_host.close()
            this_host.join()
            admin(f'ALTER DATABASE "{second.rsplit("/", 1)[1]}" OWNER TO CURRENT_USER')
    assert outcome == {"ran as": database.OWNER}
