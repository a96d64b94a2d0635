"""Publication: versions, diff, atomicity, inputs, analyst copy.

The marts' columns come from their dbt contracts, their rows are written here (the columns
publish/ relies on); the helpers `make_warehouse` / `publish` are shared with test_reports.py
and test_exports.py.
"""

from __future__ import annotations

import datetime as dt
import functools
import json

import duckdb
import pytest

from ingest import landing
from ingest.warehouse import Warehouse
from ingest.warehouse import connect as connect_warehouse
from publish import publication
from publish.analyst_copy import write_analyst_copy
from publish.contract import PUBLISHED_MARTS
from publish.errors import NotPublished, PublicationError
from publish.publication import (
    built_inputs,
    latest_published_version,
    publication_diff,
    publication_record,
    publish_period,
    published_rows,
)
from tests.conftest import prepare_dbt_project


@functools.cache
def mart_ddl() -> dict[str, str]:
    """Every published mart's columns and types as dbt builds it: its enforced contract, read from
    the parsed manifest. Rows below fill the columns publish/ reads, the rest stay NULL, so these
    tables prove publish/ works on the marts as built."""
    nodes = json.loads(prepare_dbt_project().read_text(encoding="utf-8"))["nodes"]
    models = {n["name"]: n for n in nodes.values() if n["resource_type"] == "model"}
    ddl = {}
    for mart in PUBLISHED_MARTS:
        node = models[mart]
        if not node["config"].get("contract", {}).get("enforced"):
            raise AssertionError(f"{mart} has no enforced contract: its columns are not known before it is built")
        ddl[mart] = ", ".join(f'"{name}" {column["data_type"]}' for name, column in node["columns"].items())
    return ddl


# period 2023-06; time progress 50 %. Lights worked out by hand from INDICATORS.md:
# cumulative 绿 when completion >= 50, 黄 >= 40, 红 below; rate 黄 within 1 point.
INDICATORS = [
    # id, name, unit, kind, owner, value, target, completion, light, group, order, 2027 goal, since 2023, projected
    ("zones_provincial", "省级现代服务业创新发展区", "个", "milestone", "区发改局", 1, 1, 100.0, "绿", "平台", 101, 2, 1, 2.4),
    ("ent_runners", "领跑企业（在库）", "家", "cumulative", "区发改局", 3, 4, 75.0, "绿", "企业", 201, 10, 3, 12.0),
    ("proj_count", "累计实施重大项目", "个", "cumulative", "区发改局", 1, 4, 25.0, "红", "项目", 301, 20, 1, 10.0),
    ("talent_leaders", "服务业领军（高端）人才", "名", "cumulative", "区委组织部", 1, 2, 50.0, "绿", "人才", 401, 10, 1, 10.0),
    ("first_stores", "新引进品牌首店", "家", "cumulative", "区商务局", 3, 10, 30.0, "红", "重点任务", 501, None, None, None),
    ("rnd_intensity", "研发投入强度", "%", "rate", "区科技局", 1.75, 1.8, None, "黄", "重点任务", 502, None, None, None),
]

# 万元, a small hierarchy shaped like the real one (no 门类 rows): 合计 = the three "352" groups =
# their 大类. 两大幸福产业 and its 大类 88, and 大类 72, rest on 2 enterprises: suppressed in
# outputs. Contribution (百分点) = change / 合计 prior × 100, e.g. 三大支撑性产业
# (800000 − 700000) / 1100000 × 100 = 9.09.
INDUSTRY_COLUMNS = ("row_level", "row_code", "row_name", "section_code", "industry_352", "group_352",
                    "revenue_ytd", "revenue_prior_ytd", "yoy_pct", "growth_contribution_pct",
                    "enterprise_count", "suppressed", "sort_order")
INDUSTRY = [
    ("total", "合计", "规上服务业合计", None, None, None, 1234567.0, 1100000.0, 12.2333, 12.2333, 120, False, 0),
    ("division", "51", "批发业", "F", "现代商贸", "三大支撑性产业", 600000.0, 520000.0, 15.3846, 7.2727, 40, False, 551),
    ("division", "58", "多式联运和运输代理业", "G", "现代物流", "三大支撑性产业",
     200000.0, 180000.0, 11.1111, 1.8182, 30, False, 658),
    ("division", "64", "互联网和相关服务", "I", "信息服务", "五大新兴产业",
     343211.0, 360000.0, -4.6636, -1.5263, 46, False, 864),
    ("division", "72", "商务服务业", "L", "商务会展", "五大新兴产业", 45678.0, 20000.0, 128.39, 2.3344, 2, True, 972),
    ("division", "88", "文化艺术业", "R", "文化旅游", "两大幸福产业", 45678.0, 20000.0, 128.39, 2.3344, 2, True, 1388),
    ("group_352", "三大支撑性产业", "三大支撑性产业", None, None, "三大支撑性产业",
     800000.0, 700000.0, 14.2857, 9.0909, 70, False, 20001),
    ("group_352", "五大新兴产业", "五大新兴产业", None, None, "五大新兴产业",
     388889.0, 380000.0, 2.3392, 0.8081, 48, False, 20002),
    ("group_352", "两大幸福产业", "两大幸福产业", None, None, "两大幸福产业",
     45678.0, 20000.0, 128.39, 2.3344, 2, True, 20003),
]

# project_code, project_name, project_type, project_level, total, annual plan, ytd, rate %, light, dept
PROJECTS = [
    ("2023-330302-72-01-000001", "鹿城广场国际时尚中心", "产业赋能型", "省重大", 30.0, 4.0, 2.0, 50.0, "绿", "区发改局"),
    ("2023-330302-72-01-000002", "江心屿西园改造提升工程", "生活美好型", "市重点", 8.0, 3.0, 0.5, 16.6667, "红", "区文化和广电旅游体育局"),
]

# dept_name, owned, greens, yellows, reds, due, on time, late, missing, score, score_rank, red indicators
SCORECARD = [
    ("区委组织部", 1, 1, 0, 0, 2, 2, 0, 0, 100.0, 1, None),
    ("区发改局", 3, 2, 0, 1, 3, 3, 0, 0, 80.0, 2, "累计实施重大项目"),
    ("区科技局", 1, 0, 1, 0, 1, 0, 1, 0, 70.0, 3, None),
    ("区商务局", 1, 0, 0, 1, 1, 0, 0, 1, 40.0, 4, "新引进品牌首店"),
]

SUPERVISION = [
    ("DB-001", "区商务局", "首店补助政策未兑现", dt.date(2023, 3, 1), dt.date(2023, 4, 30), dt.date(2023, 4, 20), "已销号", 0),
    ("DB-002", "区发改局", "+86 项目用地手续未办结", dt.date(2023, 5, 10), dt.date(2023, 7, 31), None, "未销号", 0),
    ("DB-003", "区商务局", "=SUM(A1)", dt.date(2023, 4, 1), dt.date(2023, 6, 18), None, "逾期", 12),
    ("DB-004", "区科技局", "@研发投入统计口径待核", dt.date(2023, 5, 1), dt.date(2023, 8, 1), None, "未销号", 0),
]


def _insert(con, mart: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows giving only `columns`; the mart's other columns stay NULL."""
    if rows:
        names = ", ".join(columns)
        marks = ", ".join(["?"] * len(columns))
        con.executemany(f"INSERT INTO marts.{mart} ({names}) VALUES ({marks})", rows)


def add_period(con, period: str, *, scale: float = 1.0, lights: dict | None = None, yoy_sign: float = 1.0) -> None:
    """Write the hand-made rows for `period` into the marts (`scale` multiplies indicator values,
    `lights` overrides lights by indicator_id, `yoy_sign` flips the growth rates)."""
    lights = lights or {}
    month = int(period[5:])
    plan_months = (int(period[:4]) - 2023) * 12 + month  # of the plan's 60 (2023-06: 6 → 10 %)
    _insert(con, "fct_indicator_progress", (
        "period", "indicator_id", "indicator_name", "unit", "kind", "owner_dept", "value", "annual_target",
        "target_is_derived", "completion_pct", "time_progress_pct", "light", "light_reason", "target_2027",
        "value_since_2023", "completion_2027_pct", "time_progress_2027_pct", "projected_2027",
        "indicator_group", "sort_order",
    ), [
        (period, i, n, u, k, o, v * scale, t, False, c, month / 12 * 100, lights.get(i, light), None,
         g27, since, None if since is None else since / g27 * 100, plan_months / 60 * 100, proj, grp, so)
        for i, n, u, k, o, v, t, c, light, grp, so, g27, since, proj in INDICATORS
    ])
    _insert(con, "fct_industry_352", ("period", *INDUSTRY_COLUMNS), [
        (period, *r[:8], r[8] * yoy_sign, *r[9:]) for r in INDUSTRY
    ])
    _insert(con, "fct_major_projects", (
        "period", "project_code", "project_name", "project_type", "project_level", "total_investment",
        "annual_plan_investment", "completed_ytd", "completion_rate_pct", "light", "responsible_dept",
        "_file_name", "_row_number",
    ), [(period, *p, "重大项目.xlsx", n) for n, p in enumerate(PROJECTS, start=2)])
    _insert(con, "fct_department_scorecard", (
        "period", "dept_name", "indicators_owned", "greens", "yellows", "reds", "files_due", "files_on_time",
        "files_late", "files_missing", "score", "score_rank", "red_light_indicators", "dept_sort_order",
    ), [(period, *s, n) for n, s in enumerate(SCORECARD)])
    _insert(con, "fct_supervision_items", (
        "period", "item_id", "responsible_dept", "description", "raised_on", "due_on", "closed_on", "state",
        "days_overdue",
    ), [(period, *s) for s in SUPERVISION])
    _insert(con, "fct_key_tasks", (
        "period", "task_id", "seq_no", "task_name", "lead_dept", "indicator_id", "indicator_value",
        "annual_target", "light", "progress_note", "sort_order",
    ), [
        (period, "T05", 5, "新引进品牌首店", "区商务局", "first_stores", 3.0, 10.0, "红", "=HYPERLINK(\"x\")", 5),
    ])
    _insert(con, "fct_enterprise_cultivation", ("period", "tier", "status", "enterprise_count"),
            [(period, "领跑企业", "在库", 1)])
    _insert(con, "fct_talent", ("period", "category", "talents_in_list"), [(period, "服务业领军人才", 1)])


def make_warehouse(path=":memory:", periods=("2023-06",)) -> Warehouse:
    con = connect_warehouse(path)
    con.execute("CREATE SCHEMA marts")
    for mart, columns in mart_ddl().items():
        con.execute(f"CREATE TABLE marts.{mart} ({columns})")
    landing.ensure_raw_schema(con)
    for p in periods:
        add_period(con, p)
    return con


def vintages(period: str, sha: str = "a" * 64) -> list[dict]:
    return [{"feed_id": "stats_services", "scope": "", "period": period, "file_sha256": sha}]


def publish(con, period: str, sha: str = "a" * 64, **kw) -> int:
    kw.setdefault("gate_result", "passed")
    kw.setdefault("override", None)
    return publish_period(con, period, input_vintages=vintages(period, sha), **kw)


def _published_counts(con) -> dict[str, int]:
    return {
        m: con.execute(f"SELECT count(*) FROM published.{m}_history").fetchone()[0]
        for m in PUBLISHED_MARTS
        if con.table_exists("published", f"{m}_history")
    }


def _diff(con, period: str, version: int, table: str | None = None) -> list[tuple]:
    return [(d["table_name"], d["row_key"], d["change"], d["column_name"], d["old_value"], d["new_value"],
             d["delta"], d["old_text"], d["new_text"]) for d in publication_diff(con, period, version, table)]


# --- tests ---------------------------------------------------------------------------------
def test_first_publication_copies_the_period_and_logs_it():
    con = make_warehouse(periods=("2023-05", "2023-06"))
    assert publish(con, "2023-06") == 1

    rows = published_rows(con, "fct_indicator_progress", "2023-06")
    assert len(rows) == len(INDICATORS)
    assert {r["publication_version"] for r in rows} == {1}
    assert {r["period"] for r in rows} == {"2023-06"}  # 2023-05 is not part of this publication
    assert {r["indicator_id"]: r["value"] for r in rows}["rnd_intensity"] == 1.75
    assert len(published_rows(con, "fct_supervision_items", "2023-06")) == len(SUPERVISION)

    record = publication_record(con, "2023-06")
    assert record["version"] == 1 and record["gate_result"] == "passed" and record["override"] is None
    assert record["input_vintages"] == vintages("2023-06")
    assert publication_diff(con, "2023-06", 1) == []
    assert latest_published_version(con, "2023-05") is None


def test_republish_with_same_inputs_keeps_the_version():
    con = make_warehouse()
    assert publish(con, "2023-06") == 1
    assert publish(con, "2023-06") == 1
    assert con.execute("SELECT count(*) FROM published.publication_log").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM published.fct_indicator_progress").fetchone()[0] == len(INDICATORS)


def test_changed_inputs_make_version_2_with_a_diff():
    con = make_warehouse()
    publish(con, "2023-06")
    # A revised file: first_stores 3 -> 5 (completion 50 % = time progress: 红 -> 绿).
    con.execute("""UPDATE marts.fct_indicator_progress SET value = 5, completion_pct = 50, light = '绿'
                   WHERE indicator_id = 'first_stores'""")
    assert publish(con, "2023-06", sha="b" * 64) == 2

    assert _diff(con, "2023-06", 2) == [
        ("fct_indicator_progress", "first_stores", "changed", "light", None, None, None, "红", "绿"),
        ("fct_indicator_progress", "first_stores", "changed", "value", 3.0, 5.0, 2.0, None, None),
    ]
    assert {d["previous_version"] for d in publication_diff(con, "2023-06", 2)} == {1}
    # Version 1 stays as it was.
    v1 = {r["indicator_id"]: r["value"] for r in published_rows(con, "fct_indicator_progress", "2023-06", 1)}
    v2 = {r["indicator_id"]: r["value"] for r in published_rows(con, "fct_indicator_progress", "2023-06")}
    assert (v1["first_stores"], v2["first_stores"]) == (3.0, 5.0)
    assert publication_record(con, "2023-06", 2)["input_vintages"][0]["file_sha256"] == "b" * 64
    # The plain name holds the current version only: a sum counts version 2 once (Σ values of
    # INDICATORS with first_stores 5 instead of 3), the history table both.
    v2_total = sum(row[5] for row in INDICATORS) + 2
    assert con.execute("SELECT sum(value) FROM published.fct_indicator_progress").fetchone()[0] == pytest.approx(v2_total)
    assert con.execute("SELECT sum(value) FROM published.fct_indicator_progress_history").fetchone()[0] == \
        pytest.approx(2 * v2_total - 2)


def test_same_inputs_but_changed_rows_is_a_new_version():
    con = make_warehouse()
    publish(con, "2023-06")
    con.execute("DELETE FROM marts.fct_supervision_items WHERE item_id = 'DB-004'")
    assert publish(con, "2023-06") == 2
    assert len(published_rows(con, "fct_supervision_items", "2023-06")) == len(SUPERVISION) - 1
    # No indicator moved; the item that went is in the diff.
    assert _diff(con, "2023-06", 2) == [
        ("fct_supervision_items", "DB-004", "removed", None, None, None, None, None, None)]


def test_indicator_added_or_removed_shows_in_the_diff():
    con = make_warehouse()
    publish(con, "2023-06")
    con.execute("DELETE FROM marts.fct_indicator_progress WHERE indicator_id = 'talent_leaders'")
    publish(con, "2023-06", sha="c" * 64)
    assert _diff(con, "2023-06", 2) == [
        ("fct_indicator_progress", "talent_leaders", "removed", None, None, None, None, None, None)]


def test_failure_mid_publication_writes_nothing(monkeypatch):
    con = make_warehouse()
    real_copy = publication._copy_mart
    copied = []

    def failing_copy(con_, mart, *args):
        if len(copied) == 3:
            raise RuntimeError("disk full")
        copied.append(mart)
        real_copy(con_, mart, *args)

    monkeypatch.setattr(publication, "_copy_mart", failing_copy)
    with pytest.raises(RuntimeError, match="disk full"):
        publish(con, "2023-06")
    assert copied == list(PUBLISHED_MARTS[:3])  # the failure really came mid-way
    assert latest_published_version(con, "2023-06") is None
    assert _published_counts(con) == {}

    # A second version failing at its diff leaves version 1 untouched.
    monkeypatch.setattr(publication, "_copy_mart", real_copy)
    publish(con, "2023-06")
    before = _published_counts(con)
    con.execute("UPDATE marts.fct_indicator_progress SET value = value + 1")

    def failing_diff(*args):
        raise RuntimeError("crash while diffing")

    monkeypatch.setattr(publication, "_write_diff", failing_diff)
    with pytest.raises(RuntimeError, match="crash while diffing"):
        publish(con, "2023-06", sha="d" * 64)
    assert latest_published_version(con, "2023-06") == 1
    assert _published_counts(con) == before
    assert con.execute("SELECT count(*) FROM published.publication_diff").fetchone()[0] == 0


def test_inputs_are_the_read_set_captured_when_the_marts_were_built():
    con = make_warehouse()
    with pytest.raises(PublicationError, match="not been built"):
        built_inputs(con, "2023-06")
    con.execute("""CREATE TABLE marts.fct_read_set (period VARCHAR, feed_id VARCHAR, scope VARCHAR,
                   input_period VARCHAR, file_sha256 VARCHAR, vintage INTEGER, as_of_date DATE)""")
    con.executemany("INSERT INTO marts.fct_read_set VALUES (?, ?, ?, ?, ?, ?, DATE '2023-07-25')", [
        ("2023-06", "stats_services", "", "2023-06", "s2", 2),
        ("2023-06", "dept_task_progress", "区商务局", "2023-05", "t1", 1),
        ("2023-07", "stats_services", "", "2023-07", "july", 1),  # another period's
    ])
    assert built_inputs(con, "2023-06") == [
        {"feed_id": "dept_task_progress", "scope": "区商务局", "period": "2023-05", "file_sha256": "t1"},
        {"feed_id": "stats_services", "scope": "", "period": "2023-06", "file_sha256": "s2"},
    ]
    publish(con, "2023-06", as_of_date=dt.date(2023, 7, 25))
    assert publication_record(con, "2023-06")["as_of_date"] == dt.date(2023, 7, 25)


def test_diff_covers_industry_totals_projects_and_tasks():
    con = make_warehouse()
    publish(con, "2023-06")
    con.execute("UPDATE marts.fct_industry_352 SET revenue_ytd = 1230000 WHERE row_level = 'total'")
    con.execute("UPDATE marts.fct_major_projects SET completed_ytd = 2.5 WHERE project_code LIKE '%000001'")
    con.execute("UPDATE marts.fct_key_tasks SET indicator_value = 4")
    publish(con, "2023-06", sha="f" * 64)
    assert _diff(con, "2023-06", 2) == [
        ("fct_industry_352", "total / 合计", "changed", "revenue_ytd", 1234567.0, 1230000.0, -4567.0, None, None),
        ("fct_key_tasks", "T05", "changed", "indicator_value", 3.0, 4.0, 1.0, None, None),
        ("fct_major_projects", "2023-330302-72-01-000001", "changed", "completed_ytd", 2.0, 2.5, 0.5, None, None),
    ]


def test_protected_cells_are_null_in_the_published_rows_with_the_reason():
    con = make_warehouse()
    publish(con, "2023-06")
    rows = {r["row_code"]: r for r in published_rows(con, "fct_industry_352", "2023-06")}
    # 2 enterprises: primary (两大幸福产业, 88, 72). Shown, 五大新兴产业 − 64 would give 72 and
    # 合计 − 三大 − 五大 would give 两大幸福产业 = 88: hiding 五大新兴产业 alone closes both.
    assert {c for c, r in rows.items() if r["suppression_reason"]} == {"两大幸福产业", "88", "72", "五大新兴产业"}
    assert (rows["两大幸福产业"]["suppression_reason"], rows["88"]["suppression_reason"]) == ("primary", "primary")
    assert rows["五大新兴产业"]["suppression_reason"] == "complementary"
    for code in ("两大幸福产业", "88", "72", "五大新兴产业"):
        assert rows[code]["suppressed"] is True
        assert [rows[code][c] for c in ("revenue_ytd", "revenue_prior_ytd", "yoy_pct", "growth_contribution_pct",
                                         "share_pct")] == [None] * 5
    assert rows["两大幸福产业"]["enterprise_count"] == 2  # the count itself is not confidential
    assert (rows["64"]["revenue_ytd"], rows["64"]["suppressed"], rows["64"]["suppression_reason"]) == (
        343211.0, False, None)
    # The marts keep the true figures for statisticians.
    assert con.execute("SELECT revenue_ytd FROM marts.fct_industry_352 WHERE row_code = '88'").fetchone()[0] == 45678.0


def test_overridden_publication_records_the_signoff():
    con = make_warehouse()
    signoff = {"signed_by": "王统计", "signed_at": "2023-07-21", "reason": "平衡差异已核实", "overrides": ["balance_revenue"]}
    assert publish(con, "2023-06", gate_result="overridden", override=signoff) == 1
    record = publication_record(con, "2023-06")
    assert record["gate_result"] == "overridden" and record["override"] == signoff


@pytest.mark.parametrize(("gate_result", "override", "message"), [
    ("overridden", None, "sign-off"),
    ("failed", None, "gate_result"),
    ("passed", {"signed_by": "x"}, "no override"),
])
def test_bad_publication_requests_are_refused(gate_result, override, message):
    con = make_warehouse()
    with pytest.raises(PublicationError, match=message):
        publish(con, "2023-06", gate_result=gate_result, override=override)
    assert latest_published_version(con, "2023-06") is None


def test_missing_mart_and_bad_period_are_clear_errors():
    con = make_warehouse()
    con.execute("DROP TABLE marts.fct_talent")
    with pytest.raises(PublicationError, match="marts.fct_talent"):
        publish(con, "2023-06")
    with pytest.raises(ValueError, match="YYYY-MM"):
        publish(con, "2023-6")
    with pytest.raises(NotPublished, match="2023-06"):
        published_rows(con, "fct_indicator_progress", "2023-06")


def test_analyst_copy_is_a_complete_readable_snapshot(tmp_path):
    con = make_warehouse()
    publish(con, "2023-06")
    target = write_analyst_copy(con, tmp_path)
    assert target == tmp_path / "published.duckdb"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published", "published.duckdb", "published_versions"]
    assert target.is_symlink() and (tmp_path / "published").is_symlink()
    first_folder = target.resolve().parent

    reader = connect_warehouse(target, read_only=True)
    assert reader.execute("SELECT count(*) FROM published.fct_indicator_progress").fetchone()[0] == len(INDICATORS)
    assert reader.execute("SELECT count(*) FROM fct_indicator_progress_history").fetchone()[0] == len(INDICATORS)
    log = reader.execute("SELECT period, version, input_vintages FROM published.publication_log").fetchall()
    assert [(p, v, json.loads(iv)) for p, v, iv in log] == [("2023-06", 1, vintages("2023-06"))]
    reader.close()

    parquet = tmp_path / "published"
    assert duckdb.sql(f"SELECT count(*) FROM '{parquet / 'fct_industry_352.parquet'}'").fetchall()[0][0] == len(INDUSTRY)
    assert sorted(p.name for p in (parquet / "fct_industry_352_history").iterdir()) == ["period=2023-06"]

    # Rewriting after a new version writes a new folder and switches both paths to it.
    con.execute("UPDATE marts.fct_indicator_progress SET value = value + 1")
    publish(con, "2023-06", sha="e" * 64)
    write_analyst_copy(con, tmp_path)
    assert target.resolve().parent != first_folder
    assert (tmp_path / "published").resolve().parent == target.resolve().parent
    reader = connect_warehouse(target, read_only=True)
    assert reader.execute("SELECT max(version) FROM published.publication_log").fetchone()[0] == 2
    assert reader.execute("SELECT count(*) FROM fct_indicator_progress").fetchone()[0] == len(INDICATORS)
    assert reader.execute("SELECT count(*) FROM fct_indicator_progress_history").fetchone()[0] == 2 * len(INDICATORS)
    reader.close()
    assert first_folder.exists()  # the previous copy stays while a reader may hold it


def test_analyst_copy_leftovers_are_cleaned_and_old_copies_dropped(tmp_path):
    con = make_warehouse()
    publish(con, "2023-06")
    folders = []
    for _ in range(3):
        write_analyst_copy(con, tmp_path)
        folders.append((tmp_path / "published.duckdb").resolve().parent)
    # An interrupted copy: a half-written folder and a temporary link.
    (tmp_path / "published_versions" / ".tmp-20990101T000000").mkdir()
    (tmp_path / ".published.duckdb.x.link").symlink_to("nowhere")
    write_analyst_copy(con, tmp_path)
    current = (tmp_path / "published.duckdb").resolve().parent
    left = sorted(p.name for p in (tmp_path / "published_versions").iterdir() if not p.is_symlink())
    # At the start of the 4th copy the current (3rd) and the previous (2nd) were kept: then the new one.
    assert left == sorted([folders[1].name, folders[2].name, current.name])
    assert not list(tmp_path.glob(".published*"))


def test_one_link_switches_both_paths_of_the_analyst_copy(tmp_path):
    """A kill falls before or after the one rename that switches the copy: the DuckDB file and the
    Parquet folder analysts open always belong to one version folder."""
    con = make_warehouse()
    publish(con, "2023-06")
    write_analyst_copy(con, tmp_path)
    first = (tmp_path / "published.duckdb").resolve().parent
    con.execute("UPDATE marts.fct_indicator_progress SET value = value + 1")
    publish(con, "2023-06", sha="e" * 64)
    write_analyst_copy(con, tmp_path)
    second = (tmp_path / "published.duckdb").resolve().parent
    assert second != first and (tmp_path / "published").resolve().parent == second
    current = tmp_path / "published_versions" / "current"
    assert current.is_symlink() and current.resolve() == second

    # The state a kill just before the switch leaves: `current` still names the first copy.
    current.unlink()
    current.symlink_to(first.name)
    assert (tmp_path / "published.duckdb").resolve().parent == first
    assert (tmp_path / "published").resolve().parent == first
    reader = connect_warehouse(tmp_path / "published.duckdb", read_only=True)
    assert reader.execute("SELECT max(version) FROM publication_log").fetchone()[0] == 1
    reader.close()
    parquet = tmp_path / "published" / "publication_log.parquet"
    assert duckdb.sql(f"SELECT max(version) FROM '{parquet}'").fetchall()[0][0] == 1


def test_lineage_columns_are_published_and_a_new_mart_column_is_added():
    con = make_warehouse()
    publish(con, "2023-06")
    (first, second) = published_rows(con, "fct_major_projects", "2023-06", order_by="project_code")
    # add_period numbers the projects from spreadsheet row 2.
    assert (first["_file_name"], first["_row_number"], second["_row_number"]) == ("重大项目.xlsx", 2, 3)

    # The mart gains a column: version 2 carries it, version 1 reads NULL.
    con.execute("ALTER TABLE marts.fct_talent ADD COLUMN talents_ytd INTEGER")
    con.execute("UPDATE marts.fct_talent SET talents_ytd = 4")
    assert publish(con, "2023-06") == 2
    assert [r["talents_ytd"] for r in published_rows(con, "fct_talent", "2023-06")] == [4]
    assert [r["talents_ytd"] for r in published_rows(con, "fct_talent", "2023-06", 1)] == [None]
