"""The year's target list (feed annual_targets, FEEDS.md feed 13) end to end below Dagster: hand-written
files are landed for real (reader, landing, vintages), dbt builds the marts, and the list's targets
replace derived ones while its new tasks join the 主要指标进度表, the 重点任务攻坚表 and the 晾晒表 of
its year. Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ingest import landing
from tests.dbt_fixtures import query, run_dbt

AS_OF = "2024-04-10"  # March's department files (due 04-05) and the list (due 03-31) are all due

# Version 1 of the 2024 list, issued in January; version 2 (March) raises first_stores to 12.
LIST_TITLE = "鹿城区2024年度服务业“十百千”工程目标任务分解"
LIST_HEADER = "年度,指标代码,指标名称,计量单位,类型,年度目标,责任单位,规划条目\n"
LIST_ROWS = (
    "2024,talent_entrepreneurs,新生代企业家,名,累计,30,区委统战部,二、主要目标（四）\n"
    "2024,T2024-01,新建城市书房,个,节点,3,区文广旅体局、区教育局,二（三）文化旅游业\n"
    "2024,T2024-02,夜间经济消费额,万元,累计,5000,区商务局,二（一）现代商贸业\n"
)
LIST_V1 = LIST_TITLE + "\n" + LIST_HEADER + "2024,first_stores,新引进品牌首店,家,累计,10,区商务局,附件1 第6项\n" + LIST_ROWS
LIST_V2 = LIST_TITLE + "\n" + LIST_HEADER + "2024,first_stores,新引进品牌首店,家,累计,12,区商务局,附件1 第6项\n" + LIST_ROWS

TASKS_HEADER = "指标代码,指标名称,本年累计值,单位,填报单位\n"
# (folder, file name, text, submitted on)
FILES = [
    ("annual_targets", "2024年度目标任务分解.csv", LIST_V1, dt.date(2024, 1, 20)),
    ("annual_targets", "2024年度目标任务分解（修订）.csv", LIST_V2, dt.date(2024, 3, 20)),
    # 区商务局 reports its new task in 亿元: 0.2 亿元 = 2000 万元, the list's unit.
    ("dept_task_progress", "区商务局重点任务进度202403.csv",
     TASKS_HEADER + "first_stores,新引进品牌首店,4,家,区商务局\nT2024-02,夜间经济消费额,0.2,亿元,区商务局\n",
     dt.date(2024, 4, 3)),
    # The lead of T2024-01 (the first department the list names) reports 2 of 3.
    ("dept_task_progress", "区文广旅体局重点任务进度202403.csv",
     TASKS_HEADER + "T2024-01,新建城市书房,2,个,区文化和广电旅游体育局\n", dt.date(2024, 4, 2)),
    # 区教育局 is named second: its 3 does not stand in for the lead's 2.
    ("dept_task_progress", "区教育局重点任务进度202403.csv",
     TASKS_HEADER + "T2024-01,新建城市书房,3,个,区教育局\n", dt.date(2024, 4, 2)),
    ("talent_registry", "服务业紧缺领军人才清单202403.csv",
     "姓名,公民身份号码,人才类别,认定时间\n张三,11010519491231002X,新生代企业家,2024-02\n", dt.date(2024, 4, 3)),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("annual_targets") / "home"
    con = landing.connect(home / "warehouse.duckdb")
    try:
        for feed_id, name, text, submitted in FILES:
            path = home / "inbox" / feed_id / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            landed = landing.land_file(con, path, feed_id, archive_root=home / "archive", submitted_on=submitted)
            assert landed.status == "accepted", (name, landed.reason)
    finally:
        con.close()
    run_dbt(home / "warehouse.duckdb", "build", "--select", "+fct_indicator_progress", "+fct_key_tasks",
            "+fct_department_scorecard", "ref_departments", "--indirect-selection", "cautious",
            vars={"as_of_date": AS_OF})
    return home


def _indicator(home: Path, period: str, indicator_id: str) -> dict | None:
    rows = query(home / "warehouse.duckdb", "select * from marts.fct_indicator_progress "
                                            "where period = ? and indicator_id = ?", [period, indicator_id])
    assert len(rows) <= 1
    return rows[0] if rows else None


def test_the_list_is_a_yearly_file_whose_revision_is_a_new_vintage(home):
    rows = query(home / "warehouse.duckdb", "select period, scope, vintage from raw.current_vintages "
                                            "where feed_id = 'annual_targets'")
    # Period from the title and the name (2024年度): the year's January; the revision is vintage 2.
    assert rows == [{"period": "2024-01", "scope": "", "vintage": 2}]


def test_official_targets_of_the_list_replace_derived_ones(home):
    # talent_entrepreneurs: the plan's five-year goal gives 100 / 5 = 20 a year; the list says 30.
    talent = _indicator(home, "2024-03", "talent_entrepreneurs")
    assert (talent["value"], talent["annual_target"], talent["target_is_derived"]) == (1.0, 30.0, False)
    # 1 / 30 = 3.3 % against 3/12 = 25 % → 红
    assert talent["light"] == "红"
    # talent_skilled, not in the list, keeps its derived target: 1000 / 5 = 200.
    skilled = _indicator(home, "2024-03", "talent_skilled")
    assert (skilled["annual_target"], skilled["target_is_derived"]) == (200.0, True)
    # first_stores, a 2023 task with no target in 2024 until the list: the revision's 12 stands.
    stores = _indicator(home, "2024-03", "first_stores")
    assert (stores["value"], stores["annual_target"], stores["target_is_derived"]) == (4.0, 12.0, False)
    # 4 / 12 = 33.3 % ≥ 25 % → 绿
    assert stores["light"] == "绿"
    # a 2023 task the list does not name keeps no target: — 无年度目标
    exhibitions = _indicator(home, "2024-03", "exhibitions")
    assert (exhibitions["annual_target"], exhibitions["light"], exhibitions["light_reason"]) == (None, "—", "无年度目标")


def test_a_new_task_joins_the_indicator_table_of_its_year(home):
    task = _indicator(home, "2024-03", "T2024-01")
    # Owned by its lead (the first named), 区文广旅体局 = 区文化和广电旅游体育局; only the lead's 2 counts.
    assert (task["indicator_name"], task["unit"], task["kind"], task["owner_dept"]) == (
        "新建城市书房", "个", "milestone", "区文化和广电旅游体育局")
    # milestone 2 of 3 in March (≤ September) → 黄
    assert (task["value"], task["annual_target"], task["target_is_derived"], task["light"]) == (2.0, 3.0, False, "黄")
    assert task["light_2027_reason"] == "年度任务，无五年目标"
    # Not part of 2023's table.
    assert _indicator(home, "2023-12", "T2024-01") is None
    # Its unit reached the reader: 0.2 亿元 → 2000 万元; 2000 / 5000 = 40 % ≥ 25 % → 绿.
    nightlife = _indicator(home, "2024-03", "T2024-02")
    assert (nightlife["value"], nightlife["unit"], nightlife["light"]) == (2000.0, "万元", "绿")
    (raw,) = query(home / "warehouse.duckdb", "select value_ytd, unit, _source_unit from raw.dept_task_progress "
                                              "where indicator_id = 'T2024-02'")
    assert raw == {"value_ytd": 2000.0, "unit": "万元", "_source_unit": "value_ytd=亿元"}


def test_a_new_task_appears_in_the_key_tasks_table(home):
    tasks = {r["task_id"]: r for r in query(home / "warehouse.duckdb",
                                            "select * from marts.fct_key_tasks where period = '2024-03'")}
    # 2024's tasks are the list's rows: four, none of 附件1's qualitative 2023 tasks.
    assert set(tasks) == {"KT06-01", "KT05-02", "T2024-01", "T2024-02"}
    new = tasks["T2024-01"]
    assert (new["task_name"], new["lead_dept"], new["responsible_units"], new["target_and_deadline"]) == (
        "新建城市书房", "区文化和广电旅游体育局", "区文化和广电旅游体育局、区教育局", "2024年目标：3个")
    # 2 of 3, 黄 → 推进中, reported by the lead
    assert (new["status"], new["indicator_value"], new["reporting_dept"], new["due_month"]) == (
        "推进中", 2.0, "区文化和广电旅游体育局", "2024-12")
    # first_stores continues 附件1's KT06-01 with the list's target
    continued = tasks["KT06-01"]
    assert (continued["seq_no"], continued["target_and_deadline"], continued["annual_target"]) == (
        6, "2024年目标：12家", 12.0)
    # 2023's table still holds 附件1's tasks
    (n,) = query(home / "warehouse.duckdb", "select count(*) as n from marts.fct_key_tasks where period = '2023-12'")
    assert n["n"] == len(query(home / "warehouse.duckdb", "select * from reference.ref_key_tasks"))


def test_a_new_task_is_scored_for_its_lead_department(home):
    cards = {r["dept_name"]: r for r in query(home / "warehouse.duckdb",
                                              "select * from marts.fct_department_scorecard where period = '2024-03'")}
    culture = cards["区文化和广电旅游体育局"]
    # Its 2023 tasks have no 2024 target (—); T2024-01 is its one lit indicator: 黄 → 100 × 1 / 3.
    assert (culture["greens"], culture["yellows"], culture["reds"]) == (0, 1, 0)
    assert culture["indicator_score"] == pytest.approx(100 / 3)
    assert culture["score_rank"] is not None and culture["ranking_note"] is None
    # 区教育局 is not the lead: T2024-01 is not among its indicators.
    education = cards["区教育局"]
    assert education["greens"] + education["yellows"] + education["reds"] == 0
    assert (education["score_rank"], education["ranking_note"]) == (None, "不参与排名")
