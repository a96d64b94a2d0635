"""The marts beyond the indicator table, built by dbt from a tiny hand-written warehouse.

One dbt build is shared by every test of this module (module fixture); the incremental test copies
it and runs the partitioned marts once more. Each expected number is worked out by hand in the
comment above its assertion, from the raw rows written below.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import pytest

from ingest.registry import FEEDS
from orchestration.dbt import DBT_PROJECT_DIR
from tests.dbt_fixtures import insert_raw, make_warehouse, query, run_dbt

D = dt.date
SEEDS = DBT_PROJECT_DIR / "seeds"

# Everything this module's marts need, with their parents; tests of other helpers' models run
# only when all their parents are selected (cautious indirect selection).
MART_SELECTION = [
    "+fct_major_projects", "+fct_supervision_items", "+fct_key_tasks", "+fct_department_scorecard",
    "+fct_industry_352", "+fct_enterprise_cultivation", "+fct_talent", "+dim_industries",
    "+dim_industry_352", "ref_key_tasks", "ref_industries", "ref_industry_352", "ref_feeds", "ref_feed_calendars",
]
# Due dates are judged on this day: every due date of 2023-01..06 has passed, July's have not.
AS_OF = "2023-08-01"


def _seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _project(code: str, name: str, plan: float | None, done: float, **extra) -> dict:
    return {
        "project_code": code, "name": name, "project_type": "生活美好型", "level": "区重点",
        "is_qxwy": False, "total_investment": 20.0, "annual_plan_investment": plan,
        "completed_ytd": done, "status": "在建", "responsible_dept": "发改局", "street": "五马街道",
        **extra,
    }


def _land_feeds(db) -> None:
    # 重大项目: A appears first in the 2022-12 list; B and C first in 2023-06.
    insert_raw(db, "major_projects", [_project("2022-330302-72-01-000001", "项目A", 3.0, 0.1)],
               period="2022-12")
    insert_raw(db, "major_projects", [_project("2022-330302-72-01-000001", "项目A", 4.0, 1.2)],
               period="2023-05")
    insert_raw(db, "major_projects", [
        _project("2022-330302-72-01-000001", "项目A", 4.0, 1.8, responsible_dept="区发展和改革局"),
        _project("2023-330302-72-01-000002", "项目B", 2.0, 0.5),
        _project("2023-330302-72-01-000003", "项目C", None, 0.7),
    ], period="2023-06")

    # 督导服务销号表 at 2023-06 (period end 2023-06-30).
    item = {"responsible_dept": "区商务局", "description": "问题", "raised_on": D(2023, 4, 1)}
    insert_raw(db, "supervision_items", [
        {**item, "item_id": "DB-01", "due_on": D(2023, 6, 10), "status": "未销号"},
        {**item, "item_id": "DB-02", "due_on": D(2023, 5, 31), "closed_on": D(2023, 6, 15), "status": "已销号"},
        {**item, "item_id": "DB-03", "due_on": D(2023, 7, 15), "status": "未销号"},
        # Closed in July, in a file sent late: still open at the end of June.
        {**item, "item_id": "DB-04", "due_on": D(2023, 6, 20), "closed_on": D(2023, 7, 2), "status": "已销号"},
    ], period="2023-06")

    # 规上服务业分行业 2023-06 (万元): 合计 1000 against 800 a year before.
    def industry(code, ytd, prior, count, total=False):
        return {"industry_code": code, "revenue_ytd": ytd, "revenue_prior_ytd": prior,
                "enterprise_count": count, "_is_total": total}

    insert_raw(db, "stats_services", [
        industry("合计", 1000.0, 800.0, 11, total=True),
        industry("I", 300.0, 200.0, 5),
        industry("64", 120.0, 100.0, 2),
        industry("65", 180.0, 100.0, 3),
        industry("L", 500.0, 450.0, 5),
        industry("72", 500.0, 450.0, 5),
        industry("M", 200.0, 150.0, 1),
        industry("74", 200.0, 150.0, 1),
    ], period="2023-06")
    # Enterprise micro data (千元): two enterprises in 6420 (division 64), one in 6510.
    insert_raw(db, "stats_enterprises", [
        {"uscc": "91330302000000001A", "name": "甲", "industry_code": "6420", "revenue_ytd": 600.0},
        {"uscc": "91330302000000002B", "name": "乙", "industry_code": "6420", "revenue_ytd": 600.0},
        {"uscc": "91330302000000003C", "name": "丙", "industry_code": "6510", "revenue_ytd": 1800.0},
    ], period="2023-06")
    insert_raw(db, "tax_revenue", [{"industry_code": "合计", "tax_ytd": 50.0, "_is_total": True}],
               period="2023-06")

    # 重点服务业企业培育清单: E1 leaves the list in June (调出) and stays out in July.
    def firm(uscc, tier, status, listed):
        return {"uscc": uscc, "name": uscc, "tier": tier, "industry_352": "信息服务",
                "listed_month": listed, "status": status}

    insert_raw(db, "enterprise_cultivation", [
        firm("E1", "领跑企业", "在库", "2023-01"),
        firm("E2", "领跑企业", "在库", "2023-03"),
        firm("E3", "创新型市场主体", "在库", "2023-02"),
    ], period="2023-05")
    insert_raw(db, "enterprise_cultivation", [
        firm("E1", "领跑企业", "调出", "2023-01"),
        firm("E2", "领跑企业", "在库", "2023-03"),
        firm("E3", "创新型市场主体", "在库", "2023-02"),
        firm("E4", "领跑企业", "替补", "2023-06"),
        firm("E5", "创新型市场主体", "在库", "2023-06"),
    ], period="2023-06")
    insert_raw(db, "enterprise_cultivation", [
        firm("E1", "领跑企业", "调出", "2023-01"),
        firm("E2", "领跑企业", "在库", "2023-03"),
    ], period="2023-07")

    # 人才清单 2023-05.
    insert_raw(db, "talent_registry", [
        {"name": "张三", "id_number": "11010519491231002X", "category": "服务业领军人才",
         "industry_352": "信息服务", "recognized_month": "2023-03", "status": "在库"},
        {"name": "李四", "id_number": "110105194912310029", "category": "服务业领军人才",
         "industry_352": "信息服务", "recognized_month": "2022-10", "status": "在库"},
        {"name": "王五", "id_number": "440524188001010014", "category": "高技能人才",
         "industry_352": "健康服务", "recognized_month": "2023-01", "status": "调出"},
    ], period="2023-05")

    # 重点任务进度 2023-06, one file per department. 区卫生健康局 sends on 07-08, after the 07-05 due date.
    def progress(dept, indicator_id, value, note=None):
        return {"indicator_id": indicator_id, "value_ytd": value, "progress_note": note, "reporting_dept": dept}

    insert_raw(db, "dept_task_progress", [progress("区司法局", "law_firm_branches", 1.0, "已引进1家")],
               period="2023-06", submitted_on=D(2023, 7, 3))
    insert_raw(db, "dept_task_progress", [progress("区卫健局", "smart_health_stations", 7.0, "已规范运营7家")],
               period="2023-06", submitted_on=D(2023, 7, 8))
    insert_raw(db, "dept_task_progress", [progress("区公安分局", "KT18-05", 0.0, "信用评价已启动")],
               period="2023-05")
    insert_raw(db, "dept_task_progress", [progress("区公安分局", "KT18-05", 0.0, None)],
               period="2023-06")
    insert_raw(db, "dept_task_progress",
               [progress("市生态环境局鹿城分局", "KT09-04", 1.0, "已印发生态环境服务业举措")],
               period="2023-06")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = make_warehouse(tmp_path_factory.mktemp("marts"))
    _land_feeds(path)
    run_dbt(path, "build", "--select", *MART_SELECTION, "--indirect-selection", "cautious",
            vars={"as_of_date": AS_OF})
    return path


def _one(db, sql: str, params: list) -> dict:
    rows = query(db, sql, params)
    assert len(rows) == 1, rows
    return rows[0]


# --- 重大项目实施表 ------------------------------------------------------------------------
def test_project_completion_rate_and_light(db):
    a = _one(db, "select * from marts.fct_major_projects where period = '2023-06' and project_name = '项目A'", [])
    # 1.8 / 4.0 = 45 % against a time progress of 6/12 = 50 %: short by 5 points (≤ 10) → 黄.
    assert a["completion_rate_pct"] == pytest.approx(45.0)
    assert a["time_progress_pct"] == pytest.approx(50.0)
    assert a["light"] == "黄"
    # First listed in 2022-12: counts for 2022, not as a new 2023 project.
    assert a["first_seen_year"] == 2022 and a["is_new_this_year"] is False
    assert a["responsible_dept"] == "区发改局"

    b = _one(db, "select * from marts.fct_major_projects where period = '2023-06' and project_name = '项目B'", [])
    # 0.5 / 2.0 = 25 % < 50 − 10 → 红.
    assert b["completion_rate_pct"] == pytest.approx(25.0)
    assert b["light"] == "红"
    assert b["first_seen_year"] == 2023 and b["is_new_this_year"] is True

    c = _one(db, "select * from marts.fct_major_projects where period = '2023-06' and project_name = '项目C'", [])
    assert c["completion_rate_pct"] is None
    assert (c["light"], c["light_reason"]) == ("—", "无年度目标")


# --- 督导服务销号表 ------------------------------------------------------------------------
def test_supervision_states_at_period_end(db):
    rows = {r["item_id"]: r for r in query(db, "select * from marts.fct_supervision_items where period = '2023-06'")}
    # DB-01: due 06-10, open at 06-30 → 逾期 by 20 days.
    assert (rows["DB-01"]["state"], rows["DB-01"]["days_overdue"]) == ("逾期", 20)
    # DB-02: closed 06-15, after its 05-31 due date → 已销号, closed late, nothing overdue now.
    assert (rows["DB-02"]["state"], rows["DB-02"]["days_overdue"], rows["DB-02"]["closed_late"]) == ("已销号", 0, True)
    # DB-03: due 07-15 → still within its term.
    assert (rows["DB-03"]["state"], rows["DB-03"]["days_overdue"]) == ("未销号", 0)
    # DB-04: due 06-20, closed only on 07-02 → open and 10 days overdue at 06-30.
    assert (rows["DB-04"]["state"], rows["DB-04"]["days_overdue"]) == ("逾期", 10)


# --- 争先创优晾晒表 ------------------------------------------------------------------------
def test_scorecard_score_and_rank(db):
    cards = {r["dept_name"]: r for r in query(db, "select * from marts.fct_department_scorecard where period = '2023-06'")}
    justice = cards["区司法局"]
    # law_firm_branches (milestone, 2023 target 1): 1 ≥ 1 → 绿; its file came 07-03 ≤ 07-05.
    assert (justice["greens"], justice["yellows"], justice["reds"]) == (1, 0, 0)
    assert (justice["files_due"], justice["files_on_time"], justice["files_late"], justice["files_missing"]) == (1, 1, 0, 0)
    # 100 × 3 / 3 = 100, nothing to deduct: the highest score there can be → rank 1.
    assert justice["score"] == pytest.approx(100.0)
    assert justice["score_rank"] == 1
    assert justice["red_light_indicators"] is None

    health = cards["区卫生健康局"]
    # smart_health_stations (cumulative, target 16): 7/16 = 43.75 % ≥ 50 − 10 → 黄; file 07-08 > 07-05 → late.
    assert (health["greens"], health["yellows"], health["reds"]) == (0, 1, 0)
    assert (health["files_due"], health["files_on_time"], health["files_late"], health["files_missing"]) == (1, 0, 1, 0)
    # 100 × 1 / 3 − 5 = 28.33…
    assert health["score"] == pytest.approx(100 / 3 - 5)
    assert health["late_or_missing_feeds"] == "重点任务进度（迟报）"
    # Dense rank: one more than the number of distinct higher scores (100 is among them).
    higher = {round(r["score"], 9) for r in cards.values() if r["score"] > health["score"] + 1e-9}
    assert 100.0 in higher
    assert health["score_rank"] == len(higher) + 1


def test_scorecard_marks_missing_file_and_red_light(db):
    cards = {r["dept_name"]: r for r in query(db, "select * from marts.fct_department_scorecard where period = '2023-06'")}
    finance = cards["区金融办"]
    # 区金融办 sent no dept_task_progress for June: its two indicators are 红 (未报送) and the file is missing.
    assert (finance["reds"], finance["files_missing"]) == (2, 1)
    assert finance["score"] == 0
    assert set(finance["red_light_indicators"].split("、")) == {"本外币存贷款新增（市区合计）", "新增上市（过会）企业"}
    # 区税务局 owns no indicator and sent tax_revenue on time (the fixture's default 3rd of next month).
    tax = cards["区税务局"]
    assert (tax["indicators_owned"], tax["files_on_time"], tax["score"], tax["score_rank"]) == (0, 1, 100.0, 1)


def test_july_files_are_not_yet_due(db):
    # As of 2023-08-01, July's files (due 08-05 / 08-20) are not missing yet; the one that came
    # (enterprise_cultivation, 区发改局) counts as due and on time.
    cards = {r["dept_name"]: r for r in query(db, "select * from marts.fct_department_scorecard where period = '2023-07'")}
    assert cards and all(r["files_missing"] == 0 and r["files_late"] == 0 for r in cards.values())
    assert (cards["区发改局"]["files_due"], cards["区发改局"]["files_on_time"]) == (1, 1)
    assert sum(r["files_due"] for r in cards.values()) == 1


# --- "352" industries -------------------------------------------------------------------------
def test_industry_352_contribution_share_and_suppression(db):
    rows = {(r["row_level"], r["row_code"]): r
            for r in query(db, "select * from marts.fct_industry_352 where period = '2023-06'")}
    info = rows[("industry_352", "信息服务")]
    # 信息服务 = divisions 64 + 65: 300 against 200; growth 50 %; contribution (300 − 200) / 800 = 12.5 points.
    assert (info["revenue_ytd"], info["revenue_prior_ytd"]) == (300.0, 200.0)
    assert info["yoy_pct"] == pytest.approx(50.0)
    assert info["growth_contribution_pct"] == pytest.approx(12.5)
    assert info["share_pct"] == pytest.approx(30.0)
    assert (info["enterprise_count"], info["enterprise_count_micro"], info["suppressed"]) == (5, 3, False)

    # 五大新兴产业 = 信息服务 100 + 商务会展 (72) 50 + 科技服务 (74) 50 = 200 → 200 / 800 = 25 points.
    assert rows[("group_352", "五大新兴产业")]["growth_contribution_pct"] == pytest.approx(25.0)
    # Contributions of the sections add up to the total's growth: (1000 / 800 − 1) × 100 = 25.
    sections = sum(r["growth_contribution_pct"] for (level, _), r in rows.items() if level == "section")
    assert sections == pytest.approx(rows[("total", "合计")]["yoy_pct"]) == pytest.approx(25.0)

    # Division 64 stands on 2 enterprises (2 in the micro data too): kept, flagged.
    d64 = rows[("division", "64")]
    assert (d64["enterprise_count"], d64["enterprise_count_micro"], d64["suppressed"]) == (2, 2, True)
    assert d64["growth_contribution_pct"] == pytest.approx(2.5)
    d65 = rows[("division", "65")]
    assert (d65["enterprise_count"], d65["suppressed"]) == (3, False)


def test_industry_dims():
    divisions = {r["industry_code"]: r for r in _seed("ref_industry_352")}
    industries = {r["industry_code"]: r for r in _seed("ref_industries")}
    assert {r["industry_352"] for r in divisions.values()} == set(FEEDS["enterprise_cultivation"].column("industry_352").enum)
    assert all(industries[code]["level"] == "division" for code in divisions)


# --- enterprises and talent ----------------------------------------------------------------
def test_enterprise_cultivation_exit_entry_replacement(db):
    cells = {(r["period"], r["tier"], r["status"]): r for r in query(db, "select * from marts.fct_enterprise_cultivation")}
    out_june = cells[("2023-06", "领跑企业", "调出")]
    # E1 was 在库 in May and is 调出 in June: one exit.
    assert (out_june["enterprise_count"], out_june["exits"]) == (1, 1)
    # Still 调出 in July: counted in the list, not a new exit.
    assert (cells[("2023-07", "领跑企业", "调出")]["enterprise_count"], cells[("2023-07", "领跑企业", "调出")]["exits"]) == (1, 0)
    # May has no 调出 yet: the cell is there with 0.
    assert cells[("2023-05", "领跑企业", "调出")]["enterprise_count"] == 0
    # E4 joins as 替补 in June, listed that month.
    spare = cells[("2023-06", "领跑企业", "替补")]
    assert (spare["enterprise_count"], spare["replacements"], spare["entries"]) == (1, 1, 1)
    # E3 (listed 2023-02) and E5 (listed 2023-06) are 在库: one entry.
    innovative = cells[("2023-06", "创新型市场主体", "在库")]
    assert (innovative["enterprise_count"], innovative["entries"]) == (2, 1)


def test_talent_counts_without_personal_data(db):
    cells = {(r["category"], r["industry_352"]): r for r in query(db, "select * from marts.fct_talent where period = '2023-05'")}
    leaders = cells[("服务业领军人才", "信息服务")]
    # Two leaders in the list; only the one recognised in 2023-03 is new this year.
    assert (leaders["talents_in_list"], leaders["talents_new_this_year"], leaders["talents_out"]) == (2, 1, 0)
    skilled = cells[("高技能人才", "健康服务")]
    assert (skilled["talents_in_list"], skilled["talents_out"]) == (0, 1)
    columns = {r["column_name"] for r in query(
        db, "select column_name from information_schema.columns where table_schema = 'marts' and table_name = 'fct_talent'")}
    assert not columns & {"name", "id_number", "phone", "person_key"}


# --- 重点任务攻坚表 ------------------------------------------------------------------------
def test_key_task_statuses(db):
    tasks = {r["task_id"]: r for r in query(db, "select * from marts.fct_key_tasks where period = '2023-06'")}
    assert len(tasks) == len(_seed("ref_key_tasks"))
    # Linked: law_firm_branches 1 ≥ 1 → 已完成; smart_health_stations 黄 with 7 → 推进中;
    # hr_services_revenue: nothing from 区人力社保局 → 红 未报送 → 未报送.
    assert tasks["KT11-04"]["status"] == "已完成"
    assert tasks["KT15-01"]["status"] == "推进中"
    assert tasks["KT15-01"]["progress_note"] == "已规范运营7家"
    assert tasks["KT13-01"]["status"] == "未报送"
    # Qualitative: 本年累计值 1 → 已完成; a row without a note in June, before the 2023-12 due month →
    # 未启动, while the latest note (May's) is kept; no row at all → 未报送.
    assert tasks["KT09-04"]["status"] == "已完成"
    assert tasks["KT18-05"]["status"] == "未启动"
    assert (tasks["KT18-05"]["progress_note"], tasks["KT18-05"]["progress_note_period"]) == ("信用评价已启动", "2023-05")
    assert tasks["KT18-02"]["status"] == "未报送"
    may = _one(db, "select status from marts.fct_key_tasks where period = '2023-05' and task_id = 'KT18-05'", [])
    assert may["status"] == "推进中"


# --- reference data -----------------------------------------------------------------------
def test_key_tasks_cover_every_plan_indicator():
    indicators = {r["indicator_id"]: r for r in _seed("ref_indicators")}
    tasks = _seed("ref_key_tasks")
    linked = [t["indicator_id"] for t in tasks if t["indicator_id"]]
    assert len(linked) == len(set(linked))
    # Every indicator citing 附件1 is measured for exactly one task, led by the indicator's owner.
    assert {i for i, r in indicators.items() if "附件1" in r["plan_ref"]} <= set(linked) <= set(indicators)
    for task in tasks:
        if task["indicator_id"]:
            assert task["lead_dept"] == indicators[task["indicator_id"]]["owner_dept"], task["task_id"]
    # 附件1 has 19 numbered tasks.
    assert sorted({int(t["seq_no"]) for t in tasks}) == list(range(1, 20))


# --- the partitioned marts -----------------------------------------------------------------
PARTITIONED_MARTS = (
    "fct_indicator_progress", "fct_major_projects", "fct_key_tasks", "fct_department_scorecard",
    "fct_supervision_items", "fct_industry_352", "fct_enterprise_cultivation", "fct_talent",
)


def _row_counts(db) -> dict[str, int]:
    return {m: query(db, f"select count(*) as n from marts.{m}")[0]["n"] for m in PARTITIONED_MARTS}


def test_incremental_run_rebuilds_only_the_month_asked_for(db, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(db, copy)
    # Revised lists for 2023-06 (the month rebuilt) and 2023-05 (outside it): 项目A done 2.4 / 1.6.
    insert_raw(copy, "major_projects", [
        _project("2022-330302-72-01-000001", "项目A", 4.0, 2.4),
        _project("2023-330302-72-01-000002", "项目B", 2.0, 0.5),
        _project("2023-330302-72-01-000003", "项目C", None, 0.7),
    ], period="2023-06")
    insert_raw(copy, "major_projects", [_project("2022-330302-72-01-000001", "项目A", 4.0, 1.6)],
               period="2023-05")
    run_dbt(copy, "run", "--select", "tag:partitioned",
            vars={"as_of_date": AS_OF, "period_from": "2023-06", "period_to": "2023-06"})

    def project_a(period):
        return _one(copy, "select * from marts.fct_major_projects where period = ? and project_name = '项目A'",
                    [period])

    june = project_a("2023-06")
    # 2.4 / 4.0 = 60 % ≥ time progress 50 % → 绿. Still first seen in 2022: the first year reads
    # every list, not only the month rebuilt.
    assert (june["completed_ytd"], june["completion_rate_pct"], june["light"]) == (2.4, pytest.approx(60.0), "绿")
    assert (june["first_seen_year"], june["is_new_this_year"]) == (2022, False)
    # May was not rebuilt: the old 1.2, not the revised 1.6.
    assert project_a("2023-05")["completed_ytd"] == 1.2
    # E1's June exit is judged against its May snapshot, which lies outside the range.
    exits = _one(copy, "select exits from marts.fct_enterprise_cultivation"
                       " where period = '2023-06' and tier = '领跑企业' and status = '调出'", [])
    assert exits["exits"] == 1
    # No period lost or doubled in any partitioned mart.
    assert _row_counts(copy) == _row_counts(db)
