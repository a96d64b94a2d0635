"""Landing: archive, register, vintages, no-op on same bytes, rejections and atomicity."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest import clock, landing
from tests.conftest import write_feed_file

SERVICES_CSV = """鹿城区2023年1-6月规上服务业分行业主要指标
单位：万元
行业代码,行业名称,企业数,营业收入_本年累计,营业收入_上年同期,营业收入_增速
合计,合计,3,"1,500",1200,25.0
I,信息传输、软件和信息技术服务业,3,1500,1200,25.0
I64,互联网和相关服务,1,500,400,25.0
I65,软件和信息技术服务业,2,1000,800,25.0
填报人：王五
"""


def task_csv(dept: str, rows: list[tuple[str, str]], reported_on: str = "2023-07-03") -> str:
    lines = ["指标代码,本年累计值,单位,填报单位,填报日期"]
    lines += [f"{ind},{value},,{dept},{reported_on}" for ind, value in rows]
    return "\n".join(lines) + "\n"


@pytest.fixture
def con(home):
    c = landing.connect()
    yield c
    c.close()


def count(con, sql: str, params=()) -> int:
    return con.execute(sql, list(params)).fetchone()[0]


def test_accepted_file_is_archived_registered_and_loaded(home, con):
    inbox = home / "inbox"
    path = write_feed_file(inbox, "stats_services", "分行业202306.csv", SERVICES_CSV, "gb18030")
    [result] = landing.land_inbox(con, inbox)
    assert (result.status, result.period, result.rows) == ("accepted", "2023-06", 4)
    archived = home / "archive" / "stats_services" / f"{landing.sha256_of(path)}.csv"
    assert archived.read_bytes() == path.read_bytes()
    # The 合计 row is loaded and flagged, never summed as data; the note row is not data.
    assert count(con, "SELECT count(*) FROM raw.stats_services WHERE NOT _is_total") == 3
    assert count(con, "SELECT sum(revenue_ytd) FROM raw.stats_services WHERE NOT _is_total") == 3000
    assert con.execute("SELECT _file_name, _period, _row_number FROM raw.stats_services "
                       "WHERE industry_code = 'I64'").fetchone() == ("分行业202306.csv", "2023-06", 6)
    assert con.execute("SELECT status, period, row_count FROM raw.file_register").fetchall() == [
        ("accepted", "2023-06", 4)]


def test_same_bytes_twice_is_a_no_op(home, con):
    inbox = home / "inbox"
    write_feed_file(inbox, "stats_services", "分行业202306.csv", SERVICES_CSV)
    landing.land_inbox(con, inbox)
    write_feed_file(inbox, "stats_services", "copy of 分行业202306.csv", SERVICES_CSV)
    results = landing.land_inbox(con, inbox)
    assert sorted(r.status for r in results) == ["duplicate", "duplicate"]
    assert count(con, "SELECT count(*) FROM raw.stats_services") == 4
    assert count(con, "SELECT count(*) FROM raw.vintages") == 1


@pytest.mark.parametrize(
    ("folder", "name", "content", "cause"),
    [
        ("stats_services", "分行业202306.csv", SERVICES_CSV.replace("营业收入_本年累计", "营业额"), "营业收入_本年累计"),
        ("stats_services", "分行业202306.txt", SERVICES_CSV, "不支持的文件类型"),
        ("stats_services", "分行业202306.csv", "", "分行业202306.csv"),
        ("unknown_feed", "分行业202306.csv", SERVICES_CSV, "不在已知报表目录"),
        ("stats_services", "分行业.csv", SERVICES_CSV.replace("2023年1-6月", ""), "分行业.csv"),
    ],
    ids=["missing_required_column", "wrong_type", "empty", "unknown_folder", "no_period"],
)
def test_rejections_leave_nothing_in_raw(home, con, folder, name, content, cause):
    inbox = home / "inbox"
    write_feed_file(inbox, folder, name, content)
    [result] = landing.land_inbox(con, inbox)
    assert result.status == "rejected"
    assert cause in result.reason and "/" in result.reason  # bilingual, names the cause
    assert count(con, "SELECT count(*) FROM raw.stats_services") == 0
    assert count(con, "SELECT count(*) FROM raw.vintages") == 0
    assert con.execute("SELECT status FROM raw.file_register").fetchall() == [("rejected",)]
    # Judged again on the next run, but the same verdict is recorded once.
    landing.land_inbox(con, inbox)
    assert count(con, "SELECT count(*) FROM raw.file_register") == 1


def test_lock_and_hidden_files_are_ignored(home, con):
    inbox = home / "inbox"
    write_feed_file(inbox, "stats_services", "~$分行业202306.xlsx", "lock")
    write_feed_file(inbox, "stats_services", ".分行业202306.csv", SERVICES_CSV)
    assert landing.land_inbox(con, inbox) == []


def test_department_revision_replaces_only_that_departments_rows(home, con):
    inbox = home / "inbox"
    write_feed_file(inbox, "dept_task_progress", "区商务局202306.csv",
          task_csv("区商务局", [("first_stores", "4"), ("exhibitions", "5")]))
    write_feed_file(inbox, "dept_task_progress", "区人社局202306.csv",
          task_csv("区人社局", [("hr_services_revenue", "3.5")]))
    landing.land_inbox(con, inbox)
    # The commerce bureau revises June and drops the exhibitions row.
    write_feed_file(inbox, "dept_task_progress", "区商务局202306修订.csv",
          task_csv("区商务局", [("first_stores", "6")], reported_on="2023-07-08"))
    results = landing.land_inbox(con, inbox)
    revised = [r for r in results if r.status == "accepted"]
    assert [(r.scopes, r.vintage) for r in revised] == [(("区商务局",), 2)]
    assert con.execute("SELECT scope, max(vintage) FROM raw.vintages GROUP BY scope ORDER BY scope").fetchall() == [
        ("区人力社保局", 1), ("区商务局", 2)]  # 区人社局 resolves to its canonical name
    # raw.current_vintages, the one relation every reader takes "current" from, names the revision.
    assert con.execute("SELECT scope, vintage, file_sha256 FROM raw.current_vintages ORDER BY scope").fetchall() == [
        ("区人力社保局", 1, landing.sha256_of(inbox / "dept_task_progress" / "区人社局202306.csv")),
        ("区商务局", 2, landing.sha256_of(inbox / "dept_task_progress" / "区商务局202306修订.csv"))]
    latest = con.execute("""
        SELECT r.reporting_dept, r.indicator_id, r.value_ytd
        FROM raw.dept_task_progress r
        JOIN raw.current_vintages v
          ON r._file_sha256 = v.file_sha256 AND r._scope = v.scope AND r._period = v.period
        ORDER BY 1, 2""").fetchall()
    assert latest == [("区人社局", "hr_services_revenue", 3.5), ("区商务局", "first_stores", 6.0)]
    # Every vintage is kept in raw.
    assert count(con, "SELECT count(*) FROM raw.dept_task_progress") == 4
    # The stated 填报日期 is the department's claim, stored beside the landing date (received means
    # landed): today in the deployment's zone, which after 16:00 UTC is already tomorrow in Wenzhou.
    assert con.execute("SELECT claimed_on, submitted_on FROM raw.file_register "
                       "WHERE file_name = '区商务局202306修订.csv'").fetchone() == (dt.date(2023, 7, 8), clock.today())


def test_explicit_submission_date_wins(home, con):
    inbox = home / "inbox"
    path = write_feed_file(inbox, "stats_services", "分行业202306.csv", SERVICES_CSV)
    landing.land_file(con, path, "stats_services", submitted_on=dt.date(2023, 7, 25))
    assert con.execute("SELECT submitted_on FROM raw.file_register").fetchone()[0] == dt.date(2023, 7, 25)


def test_a_crash_mid_load_leaves_nothing_behind(home, con, monkeypatch):
    inbox = home / "inbox"
    path = write_feed_file(inbox, "stats_services", "分行业202306.csv", SERVICES_CSV)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(landing, "_raw_arrow", boom)
    with pytest.raises(RuntimeError):
        landing.land_file(con, path, "stats_services")
    for table in ("raw.stats_services", "raw.vintages", "raw.file_register"):
        assert count(con, f"SELECT count(*) FROM {table}") == 0
    monkeypatch.undo()
    monkeypatch.setenv("SVCMON_HOME", str(home))
    assert landing.land_file(con, path, "stats_services").status == "accepted"
