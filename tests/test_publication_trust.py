"""What is published can be trusted, end to end through the `svcmon` commands on demo feeds of
2024-01..06 with a few hand-written files:

- a blocking error in March's employment release blocks every month that carries it forward (April,
  May) and no other; a revision publishes all three, their logs naming the new file;
- a revised May whose YTD now exceeds June's fails on May's file, re-checks June and leaves June's
  version as it was;
- a sign-off after a corrected file landed, and a file landing between a run's build and its
  publication: the marts are built again first, so the version's inputs are what it read, and
  `svcmon rebuild` of it is identical; a plain sum over the current table gives the new version;
- a version published before a due day rebuilds identically weeks later (the as-of date is kept);
- the analysts' copy holds no protected figure and opens in the DuckDB 1.5 CLI with comments;
- with the warehouse deleted, `svcmon rebuild --all` recreates every published table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.conftest import open_read_only, prepare_dbt_project, query, records, svcmon_home, write_feed_file

pytestmark = pytest.mark.slow

FIRST, LAST = "2024-01", "2024-06"
AS_OF = "2024-07-04"  # June's department files are due 07-05, its statistics 07-20: not yet due
EMPLOYMENT = "stats_employment"
DUPLICATE = f"{EMPLOYMENT}.uniqueness.business_key"
YTD_FALL = "stats_services.logic.ytd_decrease.revenue_ytd"


def employment_csv(total: int, services: int, *, repeat: bool = False) -> str:
    rows = [f"全社会从业人员,{total}", f"第三产业从业人员,{services}"] + ([f"第三产业从业人员,{services}"] if repeat else [])
    return "指标名称,数值\n" + "\n".join(rows) + "\n"


def cli(*args: str):
    from orchestration.cli import app

    result = CliRunner().invoke(app, list(args))
    return result


def outcomes(home: Path) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for period, version in query(home, "SELECT period, version FROM published.publication_log ORDER BY 1, 2"):
        out.setdefault(period, []).append(version)
    return out


def services_rows(home: Path, period: str) -> list[dict]:
    return records(home, """
        SELECT r.* FROM raw.stats_services r JOIN raw.current_vintages c
          ON c.feed_id = 'stats_services' AND c.file_sha256 = r._file_sha256 AND c.period = r._period
        WHERE r._period = ? ORDER BY r._row_number""", [period])


def services_csv(rows: list[dict]) -> str:
    from ingest.registry import get_feed

    feed = get_feed("stats_services")
    lines = [",".join(c.header for c in feed.columns)]
    for r in rows:
        code = "合计" if r["_is_total"] else r["industry_code"]
        lines.append(",".join(code if c.field == "industry_code" else ("" if r[c.field] is None else str(r[c.field]))
                              for c in feed.columns))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from demo import generate_demo_feeds
    from ingest import landing, settings

    root = tmp_path_factory.mktemp("trust")
    with svcmon_home(root) as home, pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(root / "dagster"))
        (root / "dagster").mkdir()
        (root / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
        mp.setenv("COLUMNS", "200")
        prepare_dbt_project()
        inbox = settings.inbox_path()
        manifest = generate_demo_feeds(inbox, FIRST, LAST, seed=7)
        for f in manifest.files_of(EMPLOYMENT, "2024-03"):
            (inbox / f.path).unlink()
        write_feed_file(inbox, EMPLOYMENT, "从业人员2024年3月.csv", employment_csv(410000, 280000, repeat=True))
        stated = {f.path: dt.date.fromisoformat(f.submitted_on) for f in manifest.files}
        con = landing.connect()
        landing.land_inbox(con, submitted_on=stated)
        con.close()
        first_run = cli("run", "--from", FIRST, "--to", LAST, "--as-of", AS_OF)
        assert first_run.exit_code == 0, first_run.output
        yield home, {"first_run": dict(outcomes(home))}


def test_an_error_blocks_every_period_that_reads_the_file(pipeline):
    home, state = pipeline
    published = state["first_run"]
    # March's release carries forward to April and May; June has its own, February reads none of it.
    assert {p for p in ("2024-02", "2024-03", "2024-04", "2024-05", "2024-06") if p in published} == {
        "2024-02", "2024-06"}
    [(march_file,)] = query(home, "SELECT file_sha256 FROM raw.current_vintages WHERE feed_id = ? AND period = '2024-03'",
                            [EMPLOYMENT])
    from expectations.gate import evaluate_gate
    from ingest import landing

    con = landing.connect(home / "warehouse.duckdb")
    try:
        april = evaluate_gate(con, "2024-04")
    finally:
        con.close()
    assert [(r.check_id, r.file_sha256, r.period) for r in april.blocking] == [(DUPLICATE, march_file, "2024-03")]
    [(june_inputs,)] = query(home, "SELECT input_vintages FROM published.publication_log WHERE period = '2024-06'")
    june_employment = [v for v in json.loads(june_inputs) if v["feed_id"] == EMPLOYMENT]
    assert [v["period"] for v in june_employment] == ["2024-06"]


def test_a_revision_of_march_publishes_march_april_and_may(pipeline):
    home, state = pipeline
    write_feed_file(home / "inbox", EMPLOYMENT, "从业人员2024年3月（修订）.csv", employment_csv(410000, 280000))
    result = cli("run", "--period", "2024-03", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "2024-04" in result.output and "2024-05" in result.output  # "new files also touch"
    [(revised,)] = query(home, "SELECT file_sha256 FROM raw.current_vintages WHERE feed_id = ? AND period = '2024-03'",
                         [EMPLOYMENT])
    published = outcomes(home)
    for period in ("2024-03", "2024-04", "2024-05"):
        assert published[period] == [1], period
        [(inputs,)] = query(home, "SELECT input_vintages FROM published.publication_log WHERE period = ?", [period])
        assert {v["file_sha256"] for v in json.loads(inputs) if v["feed_id"] == EMPLOYMENT} == {revised}
    # 280000 / 410000 = 68.29 %, carried forward to May with its reason.
    [(value, reason)] = query(home, "SELECT value, light_reason FROM published.fct_indicator_progress "
                                    "WHERE period = '2024-05' AND indicator_id = 'employment_services_share'")
    assert value == pytest.approx(100 * 280000 / 410000) and reason == "沿用2024-03数据"
    assert published["2024-06"] == [1]


def test_a_revised_may_above_june_fails_on_may_and_leaves_june(pipeline):
    home, state = pipeline
    june_before = query(home, "SELECT * FROM published.fct_industry_352_history WHERE period = '2024-06' ORDER BY ALL")
    june_total = next(r for r in services_rows(home, "2024-06") if r["_is_total"])["revenue_ytd"]
    may = services_rows(home, "2024-05")
    for r in may:
        if r["_is_total"]:
            r["revenue_ytd"] = june_total + 1000.0  # now above June's YTD (and off balance)
    write_feed_file(home / "inbox", "stats_services", "规上服务业2024年1-5月（修订）.csv", services_csv(may))
    result = cli("run", "--period", "2024-05", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    [(revised,)] = query(home, "SELECT file_sha256 FROM raw.current_vintages WHERE feed_id = 'stats_services' "
                               "AND period = '2024-05'")
    failed = query(home, "SELECT period, file_sha256, status FROM quality.check_results WHERE check_id = ? "
                         "AND status = 'failed' AND file_sha256 = ?", [YTD_FALL, revised])
    assert failed and {p for p, _s, _st in failed} == {"2024-05"}  # charged to the newer file: May's
    # June was checked again, and its own YTD check passes now.
    [(june_latest,)] = query(home, """
        SELECT status FROM quality.check_results WHERE check_id = ? AND period = '2024-06'
        ORDER BY checked_at DESC LIMIT 1""", [YTD_FALL])
    assert june_latest == "passed"
    assert outcomes(home)["2024-05"] == [1] and outcomes(home)["2024-06"] == [1]
    assert query(home, "SELECT * FROM published.fct_industry_352_history WHERE period = '2024-06' ORDER BY ALL") \
        == june_before
    state["may_total"] = june_total + 1000.0


def test_a_signoff_after_a_corrected_file_rebuilds_before_publishing(pipeline):
    home, state = pipeline
    may = services_rows(home, "2024-05")
    for r in may:
        if r["_is_total"]:
            r["revenue_ytd"] = state["may_total"] + 500.0  # the bureau confirms a high May, in a new file
    write_feed_file(home / "inbox", "stats_services", "规上服务业2024年1-5月（再次修订）.csv", services_csv(may))
    assert cli("land").exit_code == 0
    assert cli("quality", "--period", "2024-05").exit_code == 0  # checked, not built
    [(newest,)] = query(home, "SELECT file_sha256 FROM raw.current_vintages WHERE feed_id = 'stats_services' "
                              "AND period = '2024-05'")
    failing = query(home, "SELECT DISTINCT check_id FROM quality.check_results WHERE file_sha256 = ? AND "
                          "status = 'failed' AND severity = 'error'", [newest])
    overrides = [a for (c,) in failing for a in ("--override", c)]
    result = cli("signoff", "--period", "2024-05", "--by", "张统计", "--reason", "统计局确认5月数据", *overrides)
    assert result.exit_code == 0, result.output
    assert "重新构建" in result.output and "已发布 published" in result.output
    assert outcomes(home)["2024-05"] == [1, 2]
    [(inputs, gate_result)] = query(home, "SELECT input_vintages, gate_result FROM published.publication_log "
                                          "WHERE period = '2024-05' AND version = 2")
    assert gate_result == "overridden"
    assert newest in {v["file_sha256"] for v in json.loads(inputs)}
    # A plain sum over the current table gives version 2 alone; the diff has the headline total.
    [(total,)] = query(home, "SELECT sum(revenue_ytd) FROM published.fct_industry_352 "
                             "WHERE period = '2024-05' AND row_level = 'total'")
    assert total == pytest.approx(state["may_total"] + 500.0)
    [(old, new)] = query(home, "SELECT old_value, new_value FROM published.publication_diff WHERE period = '2024-05' "
                               "AND version = 2 AND table_name = 'fct_industry_352' AND row_key = 'total / 合计' "
                               "AND column_name = 'revenue_ytd'")
    assert new == pytest.approx(total) and old != new
    assert cli("rebuild", "--period", "2024-05", "--version", "2").exit_code == 0


def test_a_file_landing_between_build_and_publication_is_built_before_it_is_published(pipeline):
    from ingest import landing
    from orchestration import cli as commands
    from orchestration import runs

    home, state = pipeline
    as_of = dt.date.fromisoformat(AS_OF)
    assert runs.execute_range("build_job", "2024-02", "2024-02", instance=runs.instance(),
                              tags=commands._run_tags(as_of)).success
    path = write_feed_file(home / "inbox", "stats_fai", "固定资产投资2024年1-2月（修订）.csv",
                           "指标名称,增速,占比\n固定资产投资,4.1,100\n服务业投资,9.9,70.2\n")
    con = landing.connect()
    landed = landing.land_file(con, path, "stats_fai")
    con.close()
    said: list[str] = []
    assert commands._publish(said.append, "2024-02", as_of=as_of).success
    assert said == ["2024-02: 构建后有新文件落地，重新构建 / files landed after the build: building again"]
    assert outcomes(home)["2024-02"] == [1, 2]
    [(inputs,)] = query(home, "SELECT input_vintages FROM published.publication_log WHERE period = '2024-02' "
                              "AND version = 2")
    assert landed.sha256 in {v["file_sha256"] for v in json.loads(inputs)}
    [(growth,)] = query(home, "SELECT value FROM published.fct_indicator_progress WHERE period = '2024-02' "
                              "AND indicator_id = 'inv_services_growth'")
    assert growth == 9.9
    assert cli("rebuild", "--period", "2024-02", "--version", "2").exit_code == 0


def test_a_version_published_before_the_due_day_rebuilds_identically_later(pipeline, tmp_path):
    from ingest import landing
    from orchestration.rebuild import rebuild_version

    home, _state = pipeline
    [(as_of,)] = query(home, "SELECT as_of_date FROM published.publication_log WHERE period = '2024-06'")
    assert as_of == dt.date.fromisoformat(AS_OF)
    con = landing.connect(home / "warehouse.duckdb")
    try:
        assert rebuild_version(con, "2024-06", 1, tmp_path / "kept").identical
        # Judged weeks later instead, June's department files would be due: other rows.
        later = rebuild_version(con, "2024-06", 1, tmp_path / "later", as_of=dt.date(2024, 8, 30))
    finally:
        con.close()
    assert not later.identical


def _protected_values(home: Path) -> set[float]:
    """The true figures of every cell the published layer withholds (from the marts)."""
    withheld = query(home, "SELECT period, row_level, row_code FROM published.fct_industry_352_history "
                           "WHERE suppression_reason IS NOT NULL")
    values = set()
    for period, level, code in withheld:
        [row] = query(home, "SELECT revenue_ytd, revenue_prior_ytd, revenue_change FROM marts.fct_industry_352 "
                            "WHERE period = ? AND row_level = ? AND row_code = ?", [period, level, code])
        values.update(round(v, 4) for v in row if v)
    return values


def test_the_analysts_copy_holds_no_protected_figure_and_opens_in_duckdb_1_5(pipeline):
    home, _state = pipeline
    protected = _protected_values(home)
    assert protected, "the demo has divisions of fewer than 3 enterprises"
    copy = home / "published.duckdb"
    reader = duckdb.connect(str(copy), read_only=True)
    try:
        tables = [t for (t,) in reader.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        assert {"fct_industry_352", "fct_industry_352_history", "publication_log", "publication_diff",
                "dim_indicators", "dim_periods"} <= set(tables)
        for table in tables:
            numbers = [c for c, t in reader.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?", [table]).fetchall()
                if t in ("DOUBLE", "DECIMAL", "FLOAT", "BIGINT", "INTEGER")]
            for column in numbers:
                found = {round(v, 4) for (v,) in reader.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()
                         if v is not None}
                assert not found & protected, (table, column)
    finally:
        reader.close()
    for parquet in (home / "published").rglob("*.parquet"):
        frame = duckdb.sql(f"SELECT * FROM read_parquet('{parquet}')").df()
        for column in frame.select_dtypes("number").columns:
            assert not {round(v, 4) for v in frame[column].dropna()} & protected, (parquet, column)
    # Opened with the DuckDB 1.5 command line (dev extra duckdb-cli): tables and comments.
    cli_binary = shutil.which("duckdb")
    if cli_binary is None:
        pytest.skip("duckdb-cli is not installed (pip install -e '.[dev]')")
    out = subprocess.run([cli_binary, "-readonly", "-json", str(copy), "-c",
                          "SELECT comment FROM duckdb_columns() WHERE table_name = 'fct_industry_352' "
                          "AND column_name = 'suppression_reason'"],
                         capture_output=True, text=True, check=True)
    assert "primary" in json.loads(out.stdout)[0]["comment"]
    version = subprocess.run([cli_binary, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1.")


def test_with_the_warehouse_lost_rebuild_all_recreates_every_published_table(pipeline, tmp_path):
    home, _state = pipeline
    tables = [t for (t,) in query(home, "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                        "'published' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'dim_%'")]
    before = {t: sorted(query(home, f"SELECT * FROM published.{t}"), key=repr) for t in tables}
    saved = tmp_path / "warehouse.duckdb"
    shutil.move(home / "warehouse.duckdb", saved)
    for leftover in home.glob("warehouse.duckdb.wal"):
        os.unlink(leftover)
    result = cli("rebuild", "--all")
    assert result.exit_code == 0, result.output
    assert "已恢复 recovered" in result.output
    with open_read_only(home) as con:
        after = {t: sorted(con.execute(f"SELECT * FROM published.{t}").fetchall(), key=repr) for t in tables}
    assert after == before
