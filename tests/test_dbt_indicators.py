"""dbt core (staging, intermediate, marts.fct_indicator_progress) against a small warehouse whose
raw rows are written here; every expected number is worked out by hand in the comments.

One `dbt build` builds the shared warehouse (module fixture); the incremental test copies it and
runs the partitioned mart once more.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import shutil

import pytest

from ingest.registry import FEEDS
from tests.dbt_fixtures import insert_raw, make_warehouse, query, run_dbt

E1, E2, E3, E4 = "91330302MA2AAAAA1A", "91330302MA2BBBBB2B", "91330302MA2CCCCC3C", "91330302MA2DDDDD4D"
INDICATOR_NODES = (
    "+path:models/marts/indicators", "path:models/staging", "int_stats_services__monthly",
    "int_stats_enterprises__monthly", "int_tax_revenue__monthly", "int_training_records__monthly",
    "int_department_names",
)
TALENT_ID_AS_WRITTEN = "11010519491231002x"  # lower-case check character: normalised to X


def _dept_row(indicator_id: str, value: float, dept: str) -> dict:
    return {"indicator_id": indicator_id, "value_ytd": value, "reporting_dept": dept}


def _load_demo(db) -> None:
    # --- stats_enterprises (千元). 2023-12: three entered the scope in 2023, one in 2022.
    insert_raw(db, "stats_enterprises", [
        {"uscc": "A1", "name": "甲", "industry_code": "7211", "revenue_ytd": 1000.0, "entered_scope_month": "2023-03"},
        {"uscc": "A2", "name": "乙", "industry_code": "7211", "revenue_ytd": 1000.0, "entered_scope_month": "2023-07"},
        {"uscc": "A3", "name": "丙", "industry_code": "7211", "revenue_ytd": 1000.0, "entered_scope_month": "2023-12"},
        # 12 000 000 千元 = 1 200 000 万元 = 120 亿元 over 2023: a 百亿级 enterprise
        {"uscc": "A4", "name": "丁", "industry_code": "7211", "revenue_ytd": 12_000_000.0,
         "entered_scope_month": "2022-11"},
    ], period="2023-12")
    # 2024 1-2月 and 3月: E1 entered 2024-01, E4 2024-03; E2 long ago; E3 has no 入库年月 (not counted).
    insert_raw(db, "stats_enterprises", [
        {"uscc": E1, "name": "一", "industry_code": "7211", "revenue_ytd": 12345.0, "entered_scope_month": "2024-01"},
        {"uscc": E2, "name": "二", "industry_code": "7211", "revenue_ytd": 50000.0, "entered_scope_month": "2019-05"},
        {"uscc": E3, "name": "三", "industry_code": "7211", "revenue_ytd": 800.0},
    ], period="2024-02")
    insert_raw(db, "stats_enterprises", [
        {"uscc": E1, "name": "一", "industry_code": "7211", "revenue_ytd": 20000.0, "entered_scope_month": "2024-01"},
        {"uscc": E2, "name": "二", "industry_code": "7211", "revenue_ytd": 80000.0, "entered_scope_month": "2019-05"},
        {"uscc": E3, "name": "三", "industry_code": "7211", "revenue_ytd": 900.0},
        {"uscc": E4, "name": "四", "industry_code": "7211", "revenue_ytd": 10.0, "entered_scope_month": "2024-03"},
    ], period="2024-03")

    # --- stats_services 合计 revenue YTD: 1-2月 1000, 1-3月 1600 (万元).
    for period, ytd in (("2024-02", 1000.0), ("2024-03", 1600.0)):
        insert_raw(db, "stats_services", [
            {"industry_code": "合计", "revenue_ytd": ytd, "revenue_prior_ytd": ytd * 0.9, "_is_total": True},
        ], period=period)

    # --- stats_fai 1-2月 2024: 服务业投资 under its alias 第三产业投资.
    insert_raw(db, "stats_fai", [
        {"indicator": "固定资产投资", "yoy_pct": 3.0},
        {"indicator": "第三产业投资", "yoy_pct": 7.0, "share_pct": 70.0},
    ], period="2024-02")

    # --- stats_employment, Q4 2023 only: 140000 / 200000 = 70 %.
    insert_raw(db, "stats_employment", [
        {"indicator": "全社会从业人员", "persons": 200000.0},
        {"indicator": "第三产业从业人员", "persons": 140000.0},
    ], period="2023-12")

    # --- innovation_zones: year-end 2023 no provincial zone created; 2024-03 one.
    insert_raw(db, "innovation_zones", [
        {"zone_name": "Z1", "level": "省级", "status": "培育"},
    ], period="2023-12")
    insert_raw(db, "innovation_zones", [
        {"zone_name": "Z1", "level": "省级", "status": "创建", "revenue_ytd": 10.0},
        {"zone_name": "Z2", "level": "省级", "status": "培育", "revenue_ytd": 2.5},
        {"zone_name": "Z3", "level": "市级", "status": "命名", "is_high_tier": True},
    ], period="2024-03")

    # --- major_projects: P1 first listed 2023-12; P2 first listed 2024-03.
    p1 = {"project_code": "2023-330302-72-01-000001", "name": "项目一", "project_type": "战略支撑型",
          "level": "省重大", "total_investment": 10.0, "completed_ytd": 1.0, "responsible_dept": "区发改局"}
    p2 = {"project_code": "2024-330302-72-01-000002", "name": "项目二", "project_type": "产业赋能型",
          "level": "市重点", "total_investment": 20.0, "completed_ytd": 0.5, "responsible_dept": "鹿城区发展和改革局"}
    insert_raw(db, "major_projects", [p1], period="2023-12")
    insert_raw(db, "major_projects", [p1, p2], period="2024-03")

    # --- enterprise_cultivation 2024-03: A4 百亿级 by its 2023 revenue; E2 in the tier but 8000 万元.
    insert_raw(db, "enterprise_cultivation", [
        {"uscc": "A4", "name": "丁", "tier": "百亿级龙头", "industry_352": "现代商贸", "listed_month": "2023-05", "status": "在库"},
        {"uscc": E2, "name": "二", "tier": "百亿级龙头", "industry_352": "现代金融", "listed_month": "2023-05", "status": "在库"},
        {"uscc": E1, "name": "一", "tier": "领跑企业", "industry_352": "信息服务", "listed_month": "2024-02", "status": "在库"},
        {"uscc": E3, "name": "三", "tier": "创新型市场主体", "industry_352": "科技服务", "listed_month": "2023-01",
         "status": "调出", "recommending_dept": "区经济和信息化局"},
    ], period="2024-03")

    # --- talent_registry: one 新生代企业家 recognised 2024-01.
    insert_raw(db, "talent_registry", [
        {"name": "张三", "id_number": TALENT_ID_AS_WRITTEN, "phone": "13800000000",
         "category": "新生代企业家", "recognized_month": "2024-01"},
    ], period="2024-03")

    # --- training_records 2024-02: three departments. 区委统战部 sends nothing for March.
    insert_raw(db, "training_records", [
        {"program": "金蓝领", "person_times_ytd": 200.0, "reporting_dept": "区人社局"},
    ], period="2024-02")
    insert_raw(db, "training_records", [
        {"program": "社会人员职业培训", "person_times_ytd": 80.0, "reporting_dept": "区教育局"},
        {"program": "成人学历提升", "person_times_ytd": 10.0, "reporting_dept": "区教育局"},
    ], period="2024-02")
    insert_raw(db, "training_records", [
        {"program": "新生代企业家培训", "person_times_ytd": 40.0, "reporting_dept": "区委统战部"},
    ], period="2024-02")

    # --- training_records 2024-03, two departments (each its own scope).
    insert_raw(db, "training_records", [
        {"program": "金蓝领", "person_times_ytd": 300.0, "reporting_dept": "区人社局"},
        {"program": "其他", "person_times_ytd": 50.0, "reporting_dept": "区人社局"},
    ], period="2024-03")
    insert_raw(db, "training_records", [
        {"program": "社会人员职业培训", "person_times_ytd": 120.0, "reporting_dept": "区教育局"},
    ], period="2024-03")
    # a name the alias table does not know: kept as written, a warn
    insert_raw(db, "training_records", [
        {"program": "其他", "person_times_ytd": 30.0, "reporting_dept": "区某某中心"},
    ], period="2024-03")

    # --- dept_task_progress 2023-06 (time progress 6/12 = 50 %).
    # 区商务局 vintage 1, then vintage 2 which changes exhibitions 8 → 3 and drops cbec_parks.
    insert_raw(db, "dept_task_progress", [
        _dept_row("first_stores", 5.0, "区商务局"),
        _dept_row("product_launches", 20.0, "区商务局"),
        _dept_row("exhibitions", 8.0, "区商务局"),
        _dept_row("trendy_stores", 1.0, "区商务局"),
        _dept_row("cbec_parks", 1.0, "区商务局"),
    ], period="2023-06")
    # 区金融办 writes its long name; its vintage 1 stays current.
    insert_raw(db, "dept_task_progress", [
        _dept_row("deposit_loan_increase", 1000.0, "区金融工作办公室"),
    ], period="2023-06")
    insert_raw(db, "dept_task_progress", [
        _dept_row("first_stores", 5.0, "区商务局"),
        _dept_row("product_launches", 20.0, "区商务局"),
        _dept_row("exhibitions", 3.0, "区商务局"),
        _dept_row("trendy_stores", 1.0, "区商务局"),
    ], period="2023-06")

    # --- dept_task_progress 2023-07: 区发改局 reports its own consumption_scenes and also writes
    # services_budget, which 区财政局 owns and did not report.
    insert_raw(db, "dept_task_progress", [
        _dept_row("consumption_scenes", 1.0, "区发改局"),
        _dept_row("services_budget", 400.0, "区发改局"),
    ], period="2023-07")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    db = make_warehouse(tmp_path_factory.mktemp("dbt_indicators"))
    _load_demo(db)
    # Only this project's part (staging, intermediate, the indicator marts and the seeds they
    # need): other marts have their own tests.
    run = run_dbt(db, "build", "--indirect-selection", "cautious", "--select", *INDICATOR_NODES)
    return db, run


@pytest.fixture(scope="module")
def built(build):
    return build[0]


def _progress(db, period: str, indicator_id: str) -> dict:
    rows = query(db, "select * from marts.fct_indicator_progress where period = ? and indicator_id = ?",
                 [period, indicator_id])
    assert len(rows) == 1, (period, indicator_id, rows)
    return rows[0]


# --- staging ----------------------------------------------------------------------------

def test_enterprise_money_is_converted_from_qianyuan_to_wanyuan(built):
    rows = query(built, "select period, revenue_ytd from staging.stg_stats_enterprises__enterprises "
                        "where uscc = ? order by period", [E1])
    # 12345 千元 = 1234.5 万元; 20000 千元 = 2000 万元
    assert rows == [{"period": "2024-02", "revenue_ytd": 1234.5}, {"period": "2024-03", "revenue_ytd": 2000.0}]


def test_talent_staging_has_a_person_key_and_no_personal_data(built):
    columns = {r["column_name"] for r in query(
        built, "select column_name from information_schema.columns "
               "where table_schema = 'staging' and table_name = 'stg_talent_registry__talents'")}
    assert not columns & {"name", "id_number", "phone"}
    (row,) = query(built, "select person_key from staging.stg_talent_registry__talents")
    expected = hmac.new(b"svcmon-demo-secret", TALENT_ID_AS_WRITTEN.upper().encode(), hashlib.sha256).hexdigest()
    assert row["person_key"] == expected


def test_departments_resolve_through_the_alias_seed(built):
    rows = query(built, "select reporting_dept, reporting_dept_raw, dept_resolved, _scope "
                        "from staging.stg_dept_task_progress__indicators where indicator_id = 'deposit_loan_increase'")
    assert rows == [{"reporting_dept": "区金融办", "reporting_dept_raw": "区金融工作办公室",
                     "dept_resolved": True, "_scope": "区金融办"}]
    (project,) = query(built, "select responsible_dept, dept_resolved from staging.stg_major_projects__projects "
                              "where period = '2024-03' and project_code like '2024-%'")
    assert project == {"responsible_dept": "区发改局", "dept_resolved": True}


def test_an_unknown_department_is_kept_as_written_and_only_warns(build):
    db, run = build
    (row,) = query(db, "select reporting_dept, dept_resolved, _scope from staging.stg_training_records__programs "
                       "where reporting_dept_raw = '区某某中心'")
    assert row == {"reporting_dept": "区某某中心", "dept_resolved": False, "_scope": "区某某中心"}
    warned = {uid for uid, status in run.statuses().items() if status == "warn"}
    assert any("stg_training_records__programs_reporting_dept" in uid and "relationships" in uid for uid in warned)
    assert any("int_department_names" in uid for uid in warned)
    assert run.success


def test_a_revision_replaces_only_its_departments_rows(built):
    rows = query(built, "select reporting_dept, indicator_id, value_ytd, _vintage "
                        "from staging.stg_dept_task_progress__indicators where period = '2023-06' "
                        "order by reporting_dept, indicator_id")
    by_key = {(r["reporting_dept"], r["indicator_id"]): (r["value_ytd"], r["_vintage"]) for r in rows}
    assert by_key[("区商务局", "exhibitions")] == (3.0, 2)          # the newer vintage's value
    assert ("区商务局", "cbec_parks") not in by_key                 # dropped from vintage 2: gone
    assert by_key[("区金融办", "deposit_loan_increase")] == (1000.0, 1)  # another scope untouched
    assert len(rows) == 5  # 4 of 区商务局 vintage 2 + 1 of 区金融办


# --- intermediate -----------------------------------------------------------------------

def test_monthly_flows_from_ytd(built):
    rows = query(built, "select period, months_covered, revenue_month from intermediate.int_stats_services__monthly "
                        "where industry_code = '合计' order by period")
    # 1-2月 is its own YTD and covers two months; March = 1600 − 1000
    assert rows == [{"period": "2024-02", "months_covered": 2, "revenue_month": 1000.0},
                    {"period": "2024-03", "months_covered": 1, "revenue_month": 600.0}]
    (e1,) = query(built, "select revenue_month from intermediate.int_stats_enterprises__monthly "
                         "where uscc = ? and period = '2024-03'", [E1])
    assert e1["revenue_month"] == pytest.approx(2000.0 - 1234.5)


def test_period_spine_runs_from_2023_01_to_the_latest_file(built):
    rows = query(built, "select min(period) as first, max(period) as last, count(*) as n from marts.dim_periods")
    assert rows == [{"first": "2023-01", "last": "2024-03", "n": 15}]
    n_indicators = query(built, "select count(*) as n from reference.ref_indicators")[0]["n"]
    (fct,) = query(built, "select count(*) as n from marts.fct_indicator_progress")
    assert fct["n"] == 15 * n_indicators


# --- the mart: values, targets, lights --------------------------------------------------

def test_lights_of_each_colour_from_department_tasks(built):
    # 2023-06, time progress 50 %: first_stores 5/10 = 50 % → 绿 (exactly at time progress)
    green = _progress(built, "2023-06", "first_stores")
    assert (green["completion_pct"], green["time_progress_pct"], green["light"]) == (50.0, 50.0, "绿")
    # product_launches 20/50 = 40 % = 50 − 10 points → 黄
    assert _progress(built, "2023-06", "product_launches")["light"] == "黄"
    # exhibitions 3/10 = 30 % (the revised value) → 红
    red = _progress(built, "2023-06", "exhibitions")
    assert (red["value"], red["light"]) == (3.0, "红")
    # trendy_stores, milestone 1 of 2 in June → 黄
    assert _progress(built, "2023-06", "trendy_stores")["light"] == "黄"
    # deposit_loan_increase 1000/2000 = 50 % → 绿 (reported under the department's long name)
    assert _progress(built, "2023-06", "deposit_loan_increase")["light"] == "绿"


def test_due_and_missing_is_red_not_reported(built):
    # 区财政局 sent nothing for 2023-06; cbec_parks was dropped by 区商务局's revision.
    for indicator_id in ("services_budget", "cbec_parks"):
        row = _progress(built, "2023-06", indicator_id)
        assert (row["value"], row["light"], row["light_reason"]) == (None, "红", "未报送")


def test_statistics_in_january_are_not_yet_due(built):
    row = _progress(built, "2024-01", "inv_services_growth")
    assert (row["value"], row["light"], row["light_reason"]) == (None, "—", "未到报送期")
    # 1-2月: 第三产业投资 7.0 against the 2027 goal 8.0 taken as the year's target: 7.0 ≥ 8 − 1 → 黄
    feb = _progress(built, "2024-02", "inv_services_growth")
    assert (feb["value"], feb["annual_target"], feb["target_is_derived"], feb["light"]) == (7.0, 8.0, True, "黄")
    assert feb["time_progress_pct"] == pytest.approx(100 * 2 / 12)
    share = _progress(built, "2024-02", "inv_services_share")
    assert (share["value"], share["light"]) == (70.0, "绿")  # 70 ≥ 66.7


def test_quarterly_value_is_carried_forward_until_the_next_release_is_due(built):
    for period in ("2024-01", "2024-02"):
        row = _progress(built, period, "employment_services_share")
        # 140000 / 200000 × 100 = 70, against the 2027 goal 70 → 绿
        assert (row["value"], row["value_source_period"], row["light"], row["light_reason"]) == (
            70.0, "2023-12", "绿", "沿用2023-12数据")
    march = _progress(built, "2024-03", "employment_services_share")
    assert (march["value"], march["light"], march["light_reason"]) == (None, "红", "未报送")


def test_no_target_for_a_2023_task_in_2024(built):
    row = _progress(built, "2024-03", "golden_blue_collar")
    assert (row["value"], row["light"], row["light_reason"]) == (300.0, "—", "无年度目标")


def test_new_above_scale_enterprises_and_the_five_year_view(built):
    row = _progress(built, "2024-03", "ent_new_above_scale")
    # 2024: E1 (2024-01) and E4 (2024-03); E2 entered 2019, E3 has no 入库年月
    assert row["value"] == 2.0
    # total goal 250 over five years → 50 a year (derived); 2 / 50 = 4 % against 25 % → 红
    assert (row["annual_target"], row["target_is_derived"], row["completion_pct"], row["light"]) == (
        50.0, True, 4.0, "红")
    # since 2023: 3 entered in 2023 (year-end 2023-12) + 2 → 5; 5 / 250 = 2 %;
    # 15 months since 2022-12 → projected 5 / 15 × 60 = 20
    assert (row["target_2027"], row["value_since_2023"], row["completion_2027_pct"], row["projected_2027"]) == (
        250.0, 5.0, 2.0, 20.0)


def test_projects_count_in_the_year_they_first_appear(built):
    first = _progress(built, "2023-12", "proj_count")
    assert first["value"] == 1.0  # P1
    row = _progress(built, "2024-03", "proj_count")
    # P1 was counted in 2023; P2 is new in 2024. Since 2023: 1 + 1.
    assert (row["value"], row["value_since_2023"]) == (1.0, 2.0)
    assert _progress(built, "2024-03", "proj_total_investment")["value"] == 20.0
    # the provincial list counts every item of the year's snapshot: P1 again in 2024
    assert _progress(built, "2024-03", "proj_provincial_count")["value"] == 1.0


def test_level_goal_target_is_derived_from_last_year_end(built):
    row = _progress(built, "2024-03", "zones_provincial")
    # 2023 year-end: 0 provincial zones created; 2024 target = 0 + (2 − 0) / (2028 − 2024) = 0.5 zones,
    # rounded up to 1 (个 is a count); the light uses 1: 1 ≥ 1 → 绿
    assert (row["value"], row["annual_target"], row["target_is_derived"], row["light"]) == (1.0, 1.0, True, "绿")
    assert _progress(built, "2024-03", "zones_revenue")["value"] == 12.5  # 10 + 2.5 亿元, all zones
    assert _progress(built, "2024-03", "zones_high_tier")["value"] == 1.0


def test_derived_targets_of_counts_are_whole_and_others_are_not(built):
    # proj_strategic_count: goal 4 projects over five years → 0.8 a year → 1 (个)
    count = _progress(built, "2024-03", "proj_strategic_count")
    assert (count["annual_target"], count["target_is_derived"]) == (1.0, True)
    # proj_strategic_investment: 35 亿元 / 5 = 7, a sum of money: not rounded; the share's 66.7 % neither
    assert _progress(built, "2024-03", "proj_strategic_investment")["annual_target"] == 7.0
    assert _progress(built, "2024-02", "inv_services_share")["annual_target"] == 66.7
    # every derived target in a count unit is whole
    rows = query(built, "select annual_target from marts.fct_indicator_progress "
                        "where target_is_derived and unit in ('家', '个', '项', '场', '人', '名', '人次')")
    assert rows and all(r["annual_target"] == int(r["annual_target"]) for r in rows)


def test_only_the_owner_reports_a_department_task(built):
    # 区发改局 wrote services_budget (区财政局's): not counted; 区财政局 sent nothing → 红 未报送
    budget = _progress(built, "2023-07", "services_budget")
    assert (budget["value"], budget["light"], budget["light_reason"]) == (None, "红", "未报送")
    # its own consumption_scenes counts: milestone 1 of target 1 → 绿
    scenes = _progress(built, "2023-07", "consumption_scenes")
    assert (scenes["value"], scenes["light"]) == (1.0, "绿")


def test_a_sum_missing_a_department_that_reported_earlier_is_red(built):
    # March: 区人社局 350 + 区教育局 120 + 区某某中心 30 = 500; 区委统战部 reported in February, not in March
    row = _progress(built, "2024-03", "training_person_times")
    assert (row["value"], row["light"], row["light_reason"]) == (500.0, "红", "部分单位未报送：区委统战部")
    # February: every department that reported so far sent a file: 200 + 80 + 10 + 40 = 330 against
    # 10000 × 2/12 = 1666.7 → 3.3 % of the year, far behind → 红 by the rule, not for a gap
    february = _progress(built, "2024-02", "training_person_times")
    assert (february["value"], february["light_reason"]) == (330.0, "完成进度落后时间进度超过10个百分点")


def test_the_five_year_light_and_why_there_is_none(built):
    row = _progress(built, "2024-03", "ent_new_above_scale")
    # 5 of 250 = 2 % against plan time progress 15 / 60 = 25 % → more than 10 points behind → 红
    assert (row["light_2027"], row["light_2027_reason"]) == ("红", "完成进度落后时间进度超过10个百分点")
    rate = _progress(built, "2024-03", "inv_services_growth")
    assert (rate["completion_2027_pct"], rate["light_2027"], rate["light_2027_reason"]) == (
        None, None, "比率指标，无五年累计目标")
    each_year = _progress(built, "2024-03", "proj_provincial_count")
    assert (each_year["light_2027"], each_year["light_2027_reason"]) == (None, "每年目标，无五年累计目标")
    task = _progress(built, "2023-06", "first_stores")
    assert (task["light_2027"], task["light_2027_reason"]) == (None, "年度任务，无五年目标")


def test_enterprise_tiers(built):
    # A4: tier 百亿级龙头 and 120 亿元 in 2023 → 1; E2 is in the tier with 8000 万元 → not counted
    assert _progress(built, "2024-03", "ent_leader_100bn")["value"] == 1.0
    assert _progress(built, "2024-03", "ent_runners")["value"] == 1.0      # E1
    assert _progress(built, "2024-03", "ent_innovative")["value"] == 0.0   # E3 调出
    assert _progress(built, "2024-03", "ent_leaders_new")["value"] == 1.0  # E1 listed 2024-02


def test_training_sums_every_department_and_programme(built):
    # 300 + 50 (区人社局) + 120 (区教育局) + 30 (区某某中心); 2024 target 50000 / 5 = 10000
    row = _progress(built, "2024-03", "training_person_times")
    assert (row["value"], row["annual_target"]) == (500.0, 10000.0)
    assert _progress(built, "2024-03", "social_vocational_training")["value"] == 120.0


def test_every_light_has_a_colour_and_dashes_have_a_reason(built):
    rows = query(built, "select light, count(*) as n, count(light_reason) as with_reason "
                        "from marts.fct_indicator_progress group by light")
    lights = {r["light"]: r for r in rows}
    assert set(lights) <= {"绿", "黄", "红", "—"}
    assert lights["—"]["n"] == lights["—"]["with_reason"]


# --- the partitioned mart ----------------------------------------------------------------

def test_incremental_run_rebuilds_only_the_periods_asked_for(built, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(built, db)
    # Revisions for 2024-02 (inside the bound) and 2023-06 (outside it).
    insert_raw(db, "stats_fai", [{"indicator": "服务业投资", "yoy_pct": 9.0, "share_pct": 60.0}], period="2024-02")
    insert_raw(db, "dept_task_progress", [_dept_row("exhibitions", 10.0, "区商务局")], period="2023-06")
    run_dbt(db, "run", "--select", "fct_indicator_progress", vars={"period_from": "2024-02", "period_to": "2024-02"})
    inside = _progress(db, "2024-02", "inv_services_growth")
    assert (inside["value"], inside["light"]) == (9.0, "绿")
    assert _progress(db, "2023-06", "exhibitions")["value"] == 3.0  # not rebuilt: still the old value
    assert query(db, "select count(*) as n from marts.fct_indicator_progress")[0]["n"] == query(
        built, "select count(*) as n from marts.fct_indicator_progress")[0]["n"]


# --- the feed calendar: read from the generated seeds -------------------------------------

def test_due_months_follow_the_registry(built):
    rows = query(built, "select period, feed_id, is_due_month from intermediate.int_feed_due_periods "
                        "where period in ('2024-01', '2024-02', '2024-03')")
    for r in rows:
        assert r["is_due_month"] == FEEDS[r["feed_id"]].is_due_month(int(r["period"][5:])), r


def test_a_cadence_override_reads_another_declared_calendar(built, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(built, db)
    run_dbt(db, "run", "--select", "int_feed_due_periods", "int_indicator_progress", "int_indicator_lights",
            "fct_indicator_progress", vars={"feed_cadence_overrides": {"stats_employment": "yearly"}})
    rows = query(db, "select period, is_due_month, due_date from intermediate.int_feed_due_periods "
                     "where feed_id = 'stats_employment' and period in ('2023-12', '2024-03')")
    # Yearly: only December owes a file, due the 20th of January.
    assert rows == [{"period": "2023-12", "is_due_month": True, "due_date": dt.date(2024, 1, 20)},
                    {"period": "2024-03", "is_due_month": False, "due_date": dt.date(2024, 4, 20)}]
    # March no longer owes the employment figure: 2023-12's 70 % is carried forward (绿), not 红 未报送.
    march = _progress(db, "2024-03", "employment_services_share")
    assert (march["value"], march["light"], march["light_reason"]) == (70.0, "绿", "沿用2023-12数据")


def test_a_cadence_the_registry_does_not_declare_is_refused(built, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(built, db)
    run = run_dbt(db, "run", "--select", "int_feed_due_periods", check=False,
                  vars={"feed_cadence_overrides": {"stats_employment": "monthly"}})
    assert not run.success
    assert "stats_employment cannot be received monthly (declared: quarterly, yearly)" in run.output
