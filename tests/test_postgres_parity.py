"""The whole pipeline on both engines (issue 11 item 3): the same hand-written inbox (three feeds,
two months: June publishes, a revision of June publishes version 2 with its diff, July is blocked
by a duplicated row) landed, built, checked, gated and published on DuckDB and on
PostgreSQL, then every published table compared row by row. On the PostgreSQL side also: an
analyst's login reads the published layer and nothing else, and the analysts' DuckDB copy written
from the server opens in the DuckDB 1.x command line with its column comments."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from ingest import database, landing
from ingest.warehouse import connect
from tests.conftest import prepare_dbt_project, write_feed_file
from tests.pg_fixtures import login_role, pg_module_url, with_login  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
REFUSED = psycopg.errors.InsufficientPrivilege

FAI, TALENT, TASKS = "stats_fai", "talent_registry", "dept_task_progress"
FAI_HEAD = "指标名称,增速,占比\n"
TASK_HEAD = "指标代码,本年累计值,进展情况,填报单位,填报日期\n"
TALENT_HEAD = "姓名,公民身份号码,手机号码,人才类别,认定时间\n"
# Each step: (as-of date of the build, period, files (feed, name, text, received on)). Every month is
# judged before the 5th of the next, so the feeds it lacks are not yet due (a warning, not a block).
STEPS = [
    ("2023-07-04", "2023-06", [
        (FAI, "固定资产投资2023年6月.csv", FAI_HEAD + "固定资产投资,5.0,\n第三产业投资,7.5,68.0\n", "2023-07-03"),
        (TASKS, "重点任务进度2023年6月.csv",
         TASK_HEAD + "first_stores,4,进行中,区商务局,2023-07-02\nexhibitions,3,筹备,区商务局,2023-07-02\n", "2023-07-03"),
        (TALENT, "人才清单2023年6月.csv", TALENT_HEAD + "张三,11010519491231002X,13800000000,服务业领军人才,2023-05\n",
         "2023-07-03"),
    ]),
    # The revision: June's investment growth corrected from 7.5 to 8.2 (version 2, one number moves).
    ("2023-07-04", "2023-06", [
        (FAI, "固定资产投资2023年6月（修订）.csv", FAI_HEAD + "固定资产投资,5.0,\n第三产业投资,8.2,68.0\n", "2023-07-04"),
    ]),
    # July: 第三产业投资 twice in one file, the uniqueness check (error) blocks the month.
    ("2023-08-04", "2023-07", [
        (FAI, "固定资产投资2023年7月.csv", FAI_HEAD + "第三产业投资,7.9,68.2\n第三产业投资,8.1,68.4\n", "2023-08-03"),
    ]),
]
EXPECTED_LOG = [("2023-06", 1, "passed"), ("2023-06", 2, "passed")]
DECIMALS = 4  # the contract shows at most 2 decimals; values are compared to 4


def _pipeline(root: Path, url: str) -> dict[str, bool]:
    """Land, build and publish STEPS on the warehouse at `url` (the home under `root`); returns
    {period step: published?}."""
    from dagster import DagsterInstance

    from orchestration.dbt import AS_OF_TAG
    from orchestration.runs import execute_range

    prepare_dbt_project()
    published = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SVCMON_HOME", str(root / "home"))
        mp.delenv("SVCMON_INBOX", raising=False)
        if url.startswith("postgresql://"):
            mp.setenv("SVCMON_WAREHOUSE_URL", url)
        else:
            mp.delenv("SVCMON_WAREHOUSE_URL", raising=False)
        instance = DagsterInstance.ephemeral()
        for number, (as_of, period, files) in enumerate(STEPS):
            con = landing.connect(url)
            try:
                for feed, name, text, received in files:
                    path = write_feed_file(root / "inbox", feed, name, text)
                    result = landing.land_file(con, path, feed, archive_root=root / "archive",
                                               received_at=dt.datetime.fromisoformat(received + "T09:00"))
                    assert result.status == "accepted", (name, result)
            finally:
                con.close()
            build = execute_range("build_job", period, period, instance=instance, tags={AS_OF_TAG: as_of})
            assert build.success, (url, period)
            published[f"{number}:{period}"] = execute_range("publish_job", period, period, instance=instance).success
    return published


@pytest.fixture(scope="module")
def engines(tmp_path_factory, pg_module_url):  # noqa: F811
    root = tmp_path_factory.mktemp("parity")
    urls = {"duckdb": str(root / "duckdb" / "home" / "warehouse.duckdb"), "postgres": pg_module_url}
    outcomes = {engine: _pipeline(root / engine, url) for engine, url in urls.items()}
    return urls, outcomes, root


def _value(v):
    """A value as compared: numbers to DECIMALS, JSON text decoded, NaN as None."""
    if isinstance(v, decimal.Decimal):
        v = float(v)
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, DECIMALS)
    return v


def _published_tables(url: str) -> list[str]:
    con = connect(url)
    try:
        return sorted(t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'published'").fetchall())
    finally:
        con.close()


def _rows(url: str, table: str, columns: list[str]) -> list[tuple]:
    con = connect(url)
    try:
        select = ", ".join(f'"{c}"' for c in columns)
        rows = con.execute(f"SELECT {select} FROM published.{table}").fetchall()
    finally:
        con.close()
    decoded = []
    for row in rows:
        values = []
        for column, v in zip(columns, row, strict=True):
            if column in ("input_vintages", "override") and v is not None:
                v = json.loads(v)
                v = json.dumps(v, sort_keys=True, ensure_ascii=False)
            values.append(_value(v))
        decoded.append(tuple(values))
    return sorted(decoded, key=repr)


def _columns(url: str, table: str) -> list[str]:
    con = connect(url)
    try:
        return con.columns("published", table)
    finally:
        con.close()


def test_both_engines_publish_the_same_months(engines):
    _urls, outcomes, _root = engines
    assert outcomes["postgres"] == outcomes["duckdb"] == {
        "0:2023-06": True, "1:2023-06": True, "2:2023-07": False}


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_the_log_holds_june_and_its_revision(engines, engine):
    urls, _outcomes, _root = engines
    rows = _rows(urls[engine], "publication_log", ["period", "version", "gate_result"])
    assert rows == EXPECTED_LOG
    # The revision moved one number: 第三产业投资 growth 7.5 → 8.2 in the indicator table.
    diff = _rows(urls[engine], "publication_diff", ["period", "version", "table_name", "column_name", "old_value",
                                                    "new_value", "delta"])
    assert ("2023-06", 2, "fct_indicator_progress", "value", 7.5, 8.2, 0.7) in diff


def test_every_published_table_is_the_same_on_both_engines(engines):
    urls, _outcomes, _root = engines
    tables = _published_tables(urls["duckdb"])
    assert _published_tables(urls["postgres"]) == tables
    assert {"fct_indicator_progress", "fct_indicator_progress_history", "publication_log", "publication_diff",
            "dim_indicators", "dim_periods"} <= set(tables)
    for table in tables:
        columns = _columns(urls["duckdb"], table)
        assert _columns(urls["postgres"], table) == columns, table
        compared = [c for c in columns if not (table == "publication_log" and c == "published_at")]
        duck, pg = _rows(urls["duckdb"], table, compared), _rows(urls["postgres"], table, compared)
        assert len(pg) == len(duck), table
        assert [(d, p) for d, p in zip(duck, pg, strict=True) if d != p] == [], table


def test_lights_reasons_and_vintages_are_identical(engines):
    urls, _outcomes, _root = engines
    columns = ["period", "publication_version", "indicator_id", "value", "light", "light_reason"]
    rows = {engine: _rows(url, "fct_indicator_progress_history", columns) for engine, url in urls.items()}
    assert rows["postgres"] == rows["duckdb"]
    june = {(r[1], r[2]): (r[3], r[4]) for r in rows["postgres"] if r[0] == "2023-06"}
    assert june[(1, "inv_services_growth")] == (7.5, "黄")  # 7.5 against a rate target of 8.0: within 1 point
    assert june[(2, "inv_services_growth")] == (8.2, "绿")
    log = {engine: _rows(url, "publication_log", ["period", "version", "input_vintages"]) for engine, url in urls.items()}
    assert log["postgres"] == log["duckdb"]
    june_v2 = json.loads(next(v for p, n, v in log["postgres"] if (p, n) == ("2023-06", 2)))
    assert {(v["feed_id"], v["period"]) for v in june_v2} >= {(FAI, "2023-06"), (TASKS, "2023-06")}


def test_the_blocked_month_failed_the_same_check_on_both_engines(engines):
    urls, _outcomes, _root = engines
    failed = {}
    for engine, url in urls.items():
        con = connect(url)
        try:
            failed[engine] = sorted({check for (check,) in con.execute(
                "SELECT check_id FROM quality.check_results WHERE period = '2023-07' AND status = 'failed' "
                "AND severity = 'error'").fetchall()})
        finally:
            con.close()
    assert failed["postgres"] == failed["duckdb"]
    assert any("uniqueness" in check for check in failed["postgres"]), failed


def test_an_analyst_reads_every_published_table_and_nothing_else(engines):
    urls, _outcomes, _root = engines
    url = urls["postgres"]
    tables = _published_tables(url)
    with login_role(database.ANALYST) as (name, password):
        analyst = connect(with_login(url, name, password))
        try:
            for table in tables:
                analyst.execute(f"SELECT count(*) FROM published.{table}").fetchone()
            assert analyst.execute("SELECT count(*) FROM published.publication_log").fetchone()[0] == 2
            marts = [t for (t,) in analyst.execute(
                "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'marts' AND c.relkind IN ('r', 'v')").fetchall()]
            assert "fct_indicator_progress" in marts
            for sql in ["SELECT count(*) FROM raw.talent_registry", "CREATE TABLE published.x (y integer)",
                        *(f"SELECT count(*) FROM marts.{t}" for t in marts)]:
                with pytest.raises(REFUSED):
                    analyst.execute(sql)
        finally:
            analyst.close()


def test_published_tables_on_the_server_carry_their_descriptions(engines):
    urls, _outcomes, _root = engines
    con = connect(urls["postgres"])
    try:
        comment = con.execute(
            "SELECT col_description('published.fct_indicator_progress_history'::regclass, a.attnum) "
            "FROM pg_attribute AS a WHERE a.attrelid = 'published.fct_indicator_progress_history'::regclass "
            "AND a.attname = 'light'").fetchone()[0]
        view = con.execute("SELECT obj_description('published.fct_indicator_progress'::regclass, 'pg_class')").fetchone()[0]
    finally:
        con.close()
    assert comment and "绿" in comment
    assert view and "当前版本" in view


def test_the_analysts_copy_from_the_server_opens_in_duckdb_1_x_with_comments(engines):
    import duckdb

    _urls, _outcomes, root = engines
    copies = {engine: root / engine / "home" / "published.duckdb" for engine in ("duckdb", "postgres")}
    contents = {}
    for engine, path in copies.items():
        reader = duckdb.connect(str(path), read_only=True)
        try:
            contents[engine] = {t: sorted(map(repr, reader.execute(f'SELECT * FROM "{t}"').fetchall()))
                                for (t,) in reader.execute("SELECT table_name FROM duckdb_tables()").fetchall()
                                if t != "publication_log"}
        finally:
            reader.close()
    assert contents["postgres"].keys() == contents["duckdb"].keys()
    assert len(contents["postgres"]["fct_indicator_progress_history"]) == \
        len(contents["duckdb"]["fct_indicator_progress_history"]) > 0
    cli_binary = shutil.which("duckdb")
    if cli_binary is None:
        pytest.skip("duckdb-cli is not installed (pip install -e '.[dev]')")
    out = subprocess.run([cli_binary, "-readonly", "-json", str(copies["postgres"]), "-c",
                          "SELECT comment FROM duckdb_columns() WHERE table_name = 'fct_indicator_progress' "
                          "AND column_name = 'light'"], capture_output=True, text=True, check=True)
    assert "绿" in json.loads(out.stdout)[0]["comment"]
    version = subprocess.run([cli_binary, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1.")


def test_a_statisticians_gate_judges_the_read_set_the_pipeline_judges(engines):
    """The gate seen through a statistician's login reads the live read set (intermediate.int_read_set,
    granted to the role) and not only the period's own files: July's numbers read July's investment
    file and June's task report (重点任务进度 reads the earlier months of the year), and July is
    blocked by the same checks either way."""
    from expectations import gate

    urls, _outcomes, _root = engines
    url = urls["postgres"]
    owner = connect(url)
    try:
        with login_role(database.STATISTICIAN) as (name, password):
            statistician = connect(with_login(url, name, password))
            try:
                assert statistician.execute("SELECT current_user").fetchone()[0] == name
                seen = {who: (gate.read_set_vintages(con, "2023-07"), gate.evaluate_gate(con, "2023-07"))
                        for who, con in (("owner", owner), ("statistician", statistician))}
            finally:
                statistician.close()
    finally:
        owner.close()
    (vintages, verdict), (owners_vintages, owners_verdict) = seen["statistician"], seen["owner"]
    assert sorted((feed, period) for feed, _scope, _sha, period, _received in vintages) == [
        (TASKS, "2023-06"), (FAI, "2023-07")]
    assert vintages == owners_vintages
    assert not verdict.passed and verdict.open_check_ids == owners_verdict.open_check_ids
    assert any("uniqueness" in check for check in verdict.open_check_ids)
