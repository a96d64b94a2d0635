"""Publication: versions, diff, atomicity, inputs, analyst copy.

The marts are hand-written here (the columns publish/ relies on, a few rows); the helpers
`make_warehouse` / `publish` are shared with test_reports.py and test_exports.py.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from publish import publication
from publish.contract import PUBLISHED_MARTS
from publish.errors import NotPublished, PublicationError
from publish.publication import (
    current_inputs,
    latest_published_version,
    publication_diff,
    publication_record,
    publish_period,
    published_rows,
    write_analyst_copy,
)

MART_DDL = {
    "fct_indicator_progress": """period VARCHAR, indicator_id VARCHAR, indicator_name VARCHAR, unit VARCHAR,
        kind VARCHAR, owner_dept VARCHAR, value DOUBLE, annual_target DOUBLE, target_is_derived BOOLEAN,
        completion_pct DOUBLE, time_progress_pct DOUBLE, light VARCHAR, light_reason VARCHAR,
        target_2027 DOUBLE, value_since_2023 DOUBLE, completion_2027_pct DOUBLE, projected_2027 DOUBLE,
        indicator_group VARCHAR, sort_order INTEGER""",
    "fct_industry_352": """period VARCHAR, level VARCHAR, code VARCHAR, name VARCHAR, revenue_ytd DOUBLE,
        revenue_prior_ytd DOUBLE, yoy_pct DOUBLE, contribution_pct DOUBLE, enterprise_count_micro INTEGER,
        suppressed BOOLEAN""",
    "fct_major_projects": """period VARCHAR, project_code VARCHAR, name VARCHAR, project_type VARCHAR,
        level VARCHAR, total_investment DOUBLE, annual_plan_investment DOUBLE, completed_ytd DOUBLE,
        completion_rate_pct DOUBLE, light VARCHAR, responsible_dept VARCHAR""",
    "fct_department_scorecard": """period VARCHAR, dept_name VARCHAR, indicators_owned INTEGER, greens INTEGER,
        yellows INTEGER, reds INTEGER, files_due INTEGER, files_on_time INTEGER, files_late INTEGER,
        files_missing INTEGER, score DOUBLE, rank INTEGER, red_light_indicators VARCHAR""",
    "fct_supervision_items": """period VARCHAR, item_id VARCHAR, responsible_dept VARCHAR, description VARCHAR,
        raised_on DATE, due_on DATE, closed_on DATE, state VARCHAR, days_overdue INTEGER""",
    "fct_key_tasks": """period VARCHAR, indicator_id VARCHAR, indicator_name VARCHAR, unit VARCHAR,
        owner_dept VARCHAR, value DOUBLE, annual_target DOUBLE, light VARCHAR, progress_note VARCHAR""",
    "fct_enterprise_cultivation": "period VARCHAR, uscc VARCHAR, name VARCHAR, tier VARCHAR, status VARCHAR",
    "fct_talent": "period VARCHAR, category VARCHAR, talents INTEGER",
}

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

# 万元. Group 两大潜力产业 and division 72 rest on 2 enterprises: suppressed in outputs.
INDUSTRY = [
    ("total", "合计", "规上服务业合计", 1234567.0, 1100000.0, 12.2333, 100.0, 120, False),
    ("group", "G1", "三大支撑性产业", 800000.0, 700000.0, 14.2857, 74.3, 70, False),
    ("group", "G2", "五大优势产业", 388889.0, 380000.0, 2.3392, 6.6, 48, False),
    ("group", "G3", "两大潜力产业", 45678.0, 20000.0, 128.39, 19.1, 2, True),
    ("division", "51", "批发业", 600000.0, 520000.0, 15.3846, 59.4, 40, False),
    ("division", "72", "商务服务业", 45678.0, 20000.0, 128.39, 19.1, 2, True),
]

PROJECTS = [
    ("2023-330302-72-01-000001", "鹿城广场国际时尚中心", "产业赋能型", "省重大", 30.0, 4.0, 2.0, 50.0, "绿", "区发改局"),
    ("2023-330302-72-01-000002", "江心屿西园改造提升工程", "生活美好型", "市重点", 8.0, 3.0, 0.5, 16.6667, "红", "区文化和广电旅游体育局"),
]

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


def _insert(con, mart: str, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join(["?"] * len(rows[0]))
        con.executemany(f"INSERT INTO marts.{mart} VALUES ({marks})", rows)


def add_period(con, period: str, *, scale: float = 1.0, lights: dict | None = None, yoy_sign: float = 1.0) -> None:
    """Write the hand-made rows for `period` into the marts (`scale` multiplies indicator values,
    `lights` overrides lights by indicator_id, `yoy_sign` flips the growth rates)."""
    lights = lights or {}
    month = int(period[5:])
    _insert(con, "fct_indicator_progress", [
        (period, i, n, u, k, o, v * scale, t, False, c, month / 12 * 100, lights.get(i, light), None,
         g27, since, None if since is None else since / g27 * 100, proj, grp, so)
        for i, n, u, k, o, v, t, c, light, grp, so, g27, since, proj in INDICATORS
    ])
    _insert(con, "fct_industry_352", [
        (period, lv, code, name, rev, prior, yoy * yoy_sign, contrib, n, sup)
        for lv, code, name, rev, prior, yoy, contrib, n, sup in INDUSTRY
    ])
    _insert(con, "fct_major_projects", [(period, *p) for p in PROJECTS])
    _insert(con, "fct_department_scorecard", [(period, *s) for s in SCORECARD])
    _insert(con, "fct_supervision_items", [(period, *s) for s in SUPERVISION])
    _insert(con, "fct_key_tasks", [
        (period, "first_stores", "新引进品牌首店", "家", "区商务局", 3.0, 10.0, "红", "=HYPERLINK(\"x\")"),
    ])
    _insert(con, "fct_enterprise_cultivation", [(period, "91330302MA2AAAAA0X", "某商贸公司", "领跑企业", "在库")])
    _insert(con, "fct_talent", [(period, "服务业领军人才", 1)])


def make_warehouse(path=":memory:", periods=("2023-06",)) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    for mart, ddl in MART_DDL.items():
        con.execute(f"CREATE TABLE marts.{mart} ({ddl})")
    con.execute("CREATE SCHEMA raw")
    con.execute("""CREATE TABLE raw.vintages (feed_id VARCHAR, period VARCHAR, scope VARCHAR,
                   file_sha256 VARCHAR, vintage INTEGER, received_at TIMESTAMP)""")
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
        m: con.execute(f"SELECT count(*) FROM published.{m}").fetchone()[0]
        for m in PUBLISHED_MARTS
        if con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema='published' AND table_name=?", [m]
        ).fetchone()[0]
    }


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

    diff = publication_diff(con, "2023-06", 2)
    assert [(d["indicator_id"], d["old_value"], d["new_value"], d["delta"], d["old_light"], d["new_light"],
             d["previous_version"]) for d in diff] == [("first_stores", 3.0, 5.0, 2.0, "红", "绿", 1)]
    # Version 1 stays as it was.
    v1 = {r["indicator_id"]: r["value"] for r in published_rows(con, "fct_indicator_progress", "2023-06", 1)}
    v2 = {r["indicator_id"]: r["value"] for r in published_rows(con, "fct_indicator_progress", "2023-06")}
    assert (v1["first_stores"], v2["first_stores"]) == (3.0, 5.0)
    assert publication_record(con, "2023-06", 2)["input_vintages"][0]["file_sha256"] == "b" * 64


def test_same_inputs_but_changed_rows_is_a_new_version():
    con = make_warehouse()
    publish(con, "2023-06")
    con.execute("DELETE FROM marts.fct_supervision_items WHERE item_id = 'DB-004'")
    assert publish(con, "2023-06") == 2
    assert len(published_rows(con, "fct_supervision_items", "2023-06")) == len(SUPERVISION) - 1
    assert publication_diff(con, "2023-06", 2) == []  # no indicator moved


def test_indicator_added_or_removed_shows_in_the_diff():
    con = make_warehouse()
    publish(con, "2023-06")
    con.execute("DELETE FROM marts.fct_indicator_progress WHERE indicator_id = 'talent_leaders'")
    publish(con, "2023-06", sha="c" * 64)
    (row,) = publication_diff(con, "2023-06", 2)
    assert (row["indicator_id"], row["old_value"], row["new_value"], row["new_light"]) == ("talent_leaders", 1.0, None, None)


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


def test_current_inputs_takes_the_latest_vintage_per_scope_of_the_period():
    con = make_warehouse()
    con.executemany("INSERT INTO raw.vintages VALUES (?, ?, ?, ?, ?, current_timestamp)", [
        ("stats_services", "2023-06", "", "s1", 1),
        ("stats_services", "2023-06", "", "s2", 2),  # revision: replaces s1
        ("dept_task_progress", "2023-06", "区商务局", "t1", 1),
        ("dept_task_progress", "2023-06", "区科技局", "t2", 1),
        ("stats_services", "2023-05", "", "old", 1),  # another period
    ])
    assert current_inputs(con, "2023-06") == [
        {"feed_id": "dept_task_progress", "scope": "区商务局", "period": "2023-06", "file_sha256": "t1"},
        {"feed_id": "dept_task_progress", "scope": "区科技局", "period": "2023-06", "file_sha256": "t2"},
        {"feed_id": "stats_services", "scope": "", "period": "2023-06", "file_sha256": "s2"},
    ]


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published", "published.duckdb"]  # no temp files left

    reader = duckdb.connect(str(target), read_only=True)
    assert reader.execute("SELECT count(*) FROM published.fct_indicator_progress").fetchone()[0] == len(INDICATORS)
    log = reader.execute("SELECT period, version, input_vintages FROM published.publication_log").fetchall()
    assert [(p, v, json.loads(iv)) for p, v, iv in log] == [("2023-06", 1, vintages("2023-06"))]
    reader.close()

    parquet = tmp_path / "published" / "fct_industry_352.parquet"
    assert duckdb.sql(f"SELECT count(*) FROM '{parquet}'").fetchall()[0][0] == len(INDUSTRY)

    # Rewriting after a new version replaces the copy.
    con.execute("UPDATE marts.fct_indicator_progress SET value = value + 1")
    publish(con, "2023-06", sha="e" * 64)
    write_analyst_copy(con, tmp_path)
    reader = duckdb.connect(str(target), read_only=True)
    assert reader.execute("SELECT max(version) FROM published.publication_log").fetchone()[0] == 2
    reader.close()
