"""End to end through Dagster: hand-written feed files in a temporary $SVCMON_HOME are
landed, built by dbt, checked and gated; the marts are compared with numbers worked
out by hand below (not by the demo generator)."""

from __future__ import annotations

import pytest

from orchestration.dbt import DBT_PROJECT_DIR
from tests.conftest import (
    PREPARED_STAMP,
    prepare_dbt_project,
    query,
    records,
    run_job,
    svcmon_home,
    write_feed_file,
)

pytestmark = pytest.mark.slow

PERIODS = ["2023-02", "2023-03", "2023-04", "2023-05", "2023-06"]

# 区统计局, 1-2月 and 1-3月 (YTD). Section I = 64 + 65; 合计 = I.
SERVICES = {
    "2023-02": """鹿城区2023年1-2月规上服务业分行业主要指标
单位：万元
行业代码,行业名称,企业数,营业收入_本年累计,营业收入_上年同期,营业收入_增速
合计,合计,3,1000,800,25.0
I,信息传输、软件和信息技术服务业,3,1000,800,25.0
64,互联网和相关服务,1,400,320,25.0
65,软件和信息技术服务业,2,600,480,25.0
""",
    "2023-03": """鹿城区2023年1-3月规上服务业分行业主要指标
单位：万元
行业代码,行业名称,企业数,营业收入_本年累计,营业收入_上年同期,营业收入_增速
合计,合计,3,1600,1280,25.0
I,信息传输、软件和信息技术服务业,3,1600,1280,25.0
64,互联网和相关服务,1,700,560,25.0
65,软件和信息技术服务业,2,900,720,25.0
""",
}

# Enterprise micro data in 千元 (its canonical unit): 12,345 千元 = 1,234.5 万元.
ENTERPRISES_MARCH = """鹿城区2023年1-3月规上服务业企业主要指标
单位：千元
统一社会信用代码,单位详细名称,行业代码,入库年月,营业收入_本年累计,营业收入_上年同期
91330302MA2AXXXX0X,温州甲科技有限公司,6510,2023-02,"12,345",10000
"""

# 区商务局 reports three indicators in June (targets 10, 50, 10; time progress 6/12 = 50 %).
COMMERCE_JUNE = """指标代码,指标名称,本年累计值,单位,填报单位,填报日期
first_stores,新引进品牌首店,5,家,区商务局,2023-07-03
product_launches,新品首发活动,21,场,区商务局,2023-07-03
exhibitions,举办展会活动,3,场,区商务局,2023-07-03
"""

# 区人社局 training: 3,000 person-times of 金蓝领 by June; the file's 合计 row is not data.
TRAINING_JUNE = """培训项目,本月人次,本年累计人次,填报单位
金蓝领,500,3000,区人社局
合计,500,3000,区人社局
"""


def _write_inbox(home) -> None:
    from stdnum.cn import uscc

    inbox = home / "inbox"
    for period, text in SERVICES.items():
        write_feed_file(inbox, "stats_services", f"分行业{period.replace('-', '')}.csv", text, "gb18030")
    code = "91330302MA2AXXXX0"
    valid = code + uscc.calc_check_digit(code)
    write_feed_file(inbox, "stats_enterprises", "企业202303.csv", ENTERPRISES_MARCH.replace("91330302MA2AXXXX0X", valid))
    write_feed_file(inbox, "dept_task_progress", "区商务局2023年6月.csv", COMMERCE_JUNE, "utf-8-sig")
    write_feed_file(inbox, "training_records", "培训台账202306.csv", TRAINING_JUNE)


# What preparing the project (`dbt parse`) writes into the package's target, and the tests' record
# of it (tests/conftest.py): another test file running beside this one prepares it afresh
# (tests/test_cli.py, first use after an install).
PREPARED = frozenset({"target/manifest.json", "target/semantic_manifest.json", "target/partial_parse.msgpack",
                      "target/perf_info.json", "target/dbt.log", "target/manifest.concurrent-update-lock",
                      f"target/{PREPARED_STAMP}"})


def package_dbt_files() -> dict[str, tuple[int, int]]:
    """Every file in the package's dbt target and logs folders but what preparing it writes:
    path -> (size, mtime)."""
    folders = [DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs"]
    found = {str(p.relative_to(DBT_PROJECT_DIR)): (p.stat().st_size, p.stat().st_mtime_ns)
             for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()}
    return {path: stat for path, stat in found.items() if path not in PREPARED}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    prepare_dbt_project()  # the package's build artefact, prepared before the runs are watched
    package_before = package_dbt_files()
    with svcmon_home(tmp_path_factory.mktemp("e2e")) as home:
        _write_inbox(home)
        build = run_job("build_job", PERIODS[0], PERIODS[-1])
        publish = run_job("publish_job", "2023-06", "2023-06")
        yield home, build, publish, package_before


def progress(home, period: str, indicator: str) -> dict:
    (row,) = records(home, "SELECT * FROM marts.fct_indicator_progress WHERE period = ? AND indicator_id = ?",
                     [period, indicator])
    return row


def test_build_succeeds_and_backfill_runs_dbt_once(built):
    _home, build, _publish, _package = built
    assert build.success
    steps = [e.step_key for e in build.all_events if e.event_type_value == "STEP_START"]
    assert sum("svcmon_dbt_period_marts" in s for s in steps) == 1  # 5 months, one step
    # The period marts' step reports what the build's one dbt invocation did: each mart, each month.
    marts = {(e.asset_key.path[-1], e.partition) for e in build.get_asset_materialization_events()
             if e.step_key == "svcmon_dbt_period_marts"}
    assert {(name, period) for name, period in marts if name == "fct_indicator_progress"} == {
        ("fct_indicator_progress", period) for period in PERIODS}
    assert len(marts) == 10 * len(PERIODS)  # the ten period marts


def test_ytd_becomes_monthly(built):
    home = built[0]
    rows = dict(query(home, "SELECT period, revenue_month FROM intermediate.int_stats_services__monthly "
                            "WHERE industry_code = '64' ORDER BY period"))
    assert rows == {"2023-02": 400.0, "2023-03": 300.0}  # 1-2月 is its YTD; March = 700 - 400


def test_thousand_yuan_become_ten_thousand_yuan(built):
    home = built[0]
    assert query(home, "SELECT revenue_ytd, revenue_prior_ytd FROM staging.stg_stats_enterprises__enterprises"
                 ) == [(1234.5, 1000.0)]


@pytest.mark.parametrize(
    ("indicator", "value", "completion", "light"),
    [
        ("first_stores", 5, 50.0, "绿"),  # 5/10 = 50 % = time progress: green, boundary inclusive
        ("product_launches", 21, 42.0, "黄"),  # 42 % >= 50 - 10
        ("exhibitions", 3, 30.0, "红"),  # 30 % < 40
    ],
)
def test_a_light_of_each_colour(built, indicator, value, completion, light):
    row = progress(built[0], "2023-06", indicator)
    assert row["value"] == value
    assert row["completion_pct"] == pytest.approx(completion)
    assert row["time_progress_pct"] == pytest.approx(50.0)
    assert row["light"] == light


def test_missing_department_is_red_not_reported(built):
    row = progress(built[0], "2023-06", "services_budget")  # 区财政局 sent nothing
    assert (row["value"], row["light"], row["light_reason"]) == (None, "红", "未报送")


def test_statistics_not_due_in_january_has_no_light(built):
    row = progress(built[0], "2023-01", "inv_services_growth")
    assert (row["light"], row["light_reason"]) == ("—", "未到报送期")


def test_five_year_projection(built):
    row = progress(built[0], "2023-06", "training_person_times")
    assert row["value"] == 3000
    assert row["annual_target"] == pytest.approx(10000)  # 50,000 over five years, derived
    assert row["target_is_derived"] is True
    assert row["value_since_2023"] == 3000
    assert row["completion_2027_pct"] == pytest.approx(6.0)  # 3,000 / 50,000
    assert row["projected_2027"] == pytest.approx(30000)  # 3,000 in 6 of 60 months


def test_incomplete_month_is_blocked_and_not_published(built):
    home, _build, publish, _package = built
    assert not publish.success  # the blocking gate stopped the publication step
    failed_checks = {e.asset_check_evaluation_data.check_name
                     for e in publish.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
                     and not e.asset_check_evaluation_data.passed}
    assert "gate_stats_fai" in failed_checks  # due on 2023-07-20, never sent: completeness error
    # The statisticians get the blocked month's quality report all the same.
    report = (home / "reports" / "quality" / "quality_2023-06.html").read_text(encoding="utf-8")
    assert "未通过" in report and "stats_fai.completeness.missing" in report
    assert query(home, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'published' "
                       "AND table_name = 'publication_log'") == [(0,)] or query(
        home, "SELECT count(*) FROM published.publication_log WHERE period = '2023-06'") == [(0,)]


def test_rerunning_a_month_gives_identical_marts(built):
    home = built[0]
    before = query(home, "SELECT * FROM marts.fct_indicator_progress WHERE period = '2023-06' ORDER BY indicator_id")
    again = run_job("build_job", "2023-06", "2023-06")
    assert again.success
    after = query(home, "SELECT * FROM marts.fct_indicator_progress WHERE period = '2023-06' ORDER BY indicator_id")
    assert after == before


def test_landing_is_one_unpartitioned_step_that_says_what_it_landed(built):
    _home, build, _publish, _package = built
    steps = [e.step_key for e in build.all_events if e.event_type_value == "STEP_START"]
    assert steps.count("land_inbox") == 1
    landed = {e.materialization.asset_key.path[1]: e.materialization
              for e in build.get_asset_materialization_events() if e.materialization.asset_key.path[0] == "raw"}
    assert {m.partition for m in landed.values()} == {None}  # no month is claimed as landed
    meta = {feed: {k: v.value for k, v in m.metadata.items()} for feed, m in landed.items()}
    # Two statistics files of four rows each (合计, I, 64, 65), for February and March.
    assert (meta["stats_services"]["accepted_files"], meta["stats_services"]["rows_landed"],
            meta["stats_services"]["periods_touched"]) == (2, 8, "2023-02, 2023-03")
    # The training file's 合计 row is landed too (flagged, never summed): two rows.
    assert (meta["training_records"]["accepted_files"], meta["training_records"]["rows_landed"],
            meta["training_records"]["periods_touched"]) == (1, 2, "2023-06")
    assert (meta["stats_fai"]["accepted_files"], meta["stats_fai"]["periods_touched"]) == (0, "—")  # none came


def test_runs_leave_dbt_output_in_the_home_not_the_package(built):
    home, _build, _publish, package_before = built
    assert package_dbt_files() == package_before
    # One dbt invocation per build run, in its first dbt step's folder (issue 12).
    assert (home / "dbt" / "target" / "svcmon_dbt_reference_and_staging" / "run_results.json").exists()
    assert not (home / "dbt" / "target" / "svcmon_dbt_period_marts").exists()
    assert (home / "dbt" / "logs" / "dbt.log").exists()
