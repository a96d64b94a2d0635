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


def _reading_children() -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process().children(recursive=True) if "ingest.reader_child" in " ".join(p.cmdline())}


def test_reading_ahead_lands_in_name_order_with_the_verdicts_of_one_by_one(home, con):
    inbox = home / "inbox"
    revised = SERVICES_CSV.replace("1500", "1800").replace('"1,500"', '"1,800"').replace("1000,800", "1300,800")
    # Name order: the department file first (read at its turn: its units come from the registry),
    # then the same bytes twice, a rejection, and a revision of June that must land after v1.
    write_feed_file(inbox, "dept_task_progress", "区商务局202306.csv", task_csv("区商务局", [("first_stores", "4")]))
    write_feed_file(inbox, "stats_services", "a分行业202306.csv", SERVICES_CSV)
    write_feed_file(inbox, "stats_services", "b分行业202306副本.csv", SERVICES_CSV)
    write_feed_file(inbox, "stats_services", "c分行业202307.csv",
                    SERVICES_CSV.replace("营业收入_本年累计", "营业额").replace("1-6月", "1-7月"))
    write_feed_file(inbox, "stats_services", "d分行业202306修订.csv", revised)
    assert len(landing.survey_inbox(inbox).candidates) > landing.READ_AHEAD_WORKERS  # so it reads ahead
    before = _reading_children()
    results = landing.land_inbox(con, inbox)
    assert [(r.file_name, r.status, r.vintage) for r in results] == [
        ("区商务局202306.csv", "accepted", 1), ("a分行业202306.csv", "accepted", 1),
        ("b分行业202306副本.csv", "duplicate", None), ("c分行业202307.csv", "rejected", None),
        ("d分行业202306修订.csv", "accepted", 2)]
    assert "营业收入_本年累计" in results[3].reason
    # The current June is the revision: 1800 = 500 (I64) + 1300 (I65).
    assert con.execute("""
        SELECT sum(revenue_ytd) FROM raw.stats_services r JOIN raw.current_vintages v
          ON r._file_sha256 = v.file_sha256 AND r._period = v.period
        WHERE NOT r._is_total AND r.industry_code <> 'I'""").fetchone()[0] == 1800
    assert not list((home / "archive").glob(f"*/{landing.TEMP_PREFIX}*"))  # no copy left behind
    # The read-ahead's children ended with the landing; the process's own reading child (it read
    # the department file at its turn) stays for the next landing, as before.
    from ingest import isolation

    shared = {isolation._shared._process.pid} if isolation._shared and isolation._shared._process else set()
    assert _reading_children() - before - shared == set()


def test_a_file_changed_after_it_was_read_ahead_is_left_for_the_next_run(home, con):
    from ingest.isolation import ReaderProcess

    inbox = home / "inbox"
    path = write_feed_file(inbox, "stats_services", "分行业202306.csv", SERVICES_CSV)
    reader = ReaderProcess()
    try:
        ahead = landing._read_ahead(path, "stats_services", home / "archive", reader)
    finally:
        reader.close()
    assert ahead.parsed is not None and ahead.temp.exists()
    path.write_bytes(path.read_bytes() + "填报人：赵六\n".encode())  # the department saves again
    result = landing.land_file(con, path, "stats_services", inbox=inbox, ahead=ahead)
    assert result.status == "deferred"
    assert not ahead.temp.exists()
    assert count(con, "SELECT count(*) FROM raw.file_register") == 0
    [again] = landing.land_inbox(con, inbox)  # the next run reads what is there now
    assert (again.status, again.rows) == ("accepted", 4)


def test_files_already_landed_are_not_read_again(home, con, monkeypatch):
    from ingest import isolation

    inbox = home / "inbox"
    for month in range(1, 6):  # more files than reading children, so it reads ahead
        write_feed_file(inbox, "stats_services", f"分行业2023{month:02d}.csv",
                        SERVICES_CSV.replace("1-6月", f"1-{month}月"))
    assert [r.status for r in landing.land_inbox(con, inbox)] == ["accepted"] * 5
    write_feed_file(inbox, "stats_services", "分行业202307.csv", SERVICES_CSV.replace("1-6月", "1-7月"))
    reads = []
    original = isolation.ReaderProcess.read
    monkeypatch.setattr(isolation.ReaderProcess, "read",
                        lambda self, path, feed_id, **kw: reads.append(kw.get("file_name")) or original(
                            self, path, feed_id, **kw))
    results = landing.land_inbox(con, inbox)
    assert [r.status for r in results] == ["duplicate"] * 5 + ["accepted"]
    assert reads == ["分行业202307.csv"]  # only the new file was read
    assert count(con, "SELECT count(*) FROM raw.vintages") == 6
    assert not list((home / "archive").glob(f"*/{landing.TEMP_PREFIX}*"))
