"""Issue 10 item 3: a file is received when it is landed. Its 填报日期 is the department's claim,
stored and shown beside the landing date; it stands for the submission date only when history is
loaded on purpose (`--history`). One tax file for June (due 07-05) says 填报日期 2024-07-03 and is
landed on 07-12: late in the completeness model, the 晾晒表 and `svcmon status`; on time when
landed as history."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from ingest import landing
from orchestration.cli import app
from tests.conftest import records, write_feed_file
from tests.dbt_fixtures import run_dbt

pytestmark = pytest.mark.slow

TAX_JUNE = """鹿城区2024年1-6月分行业税收收入
行业代码,行业名称,税收收入_本年累计,税收收入_上年同期
合计,合计,900,800
填报人：王五　　填报日期：2024年7月3日
"""
LANDED_AT = dt.datetime(2024, 7, 12, 9, 30)
CLAIMED, DUE = dt.date(2024, 7, 3), dt.date(2024, 7, 5)


@pytest.mark.parametrize(("history", "state", "submitted", "late_note"), [
    (False, "late", LANDED_AT.date(), "分行业税收收入（迟报，文件填报日期2024-07-03）"),
    (True, "on_time", CLAIMED, None),
], ids=["landed_late", "history"])
def test_a_file_landed_after_its_due_day_is_late_whatever_it_claims(home, monkeypatch, history, state, submitted,
                                                                     late_note):
    monkeypatch.setenv("COLUMNS", "300")
    path = write_feed_file(home / "inbox", "tax_revenue", "分行业税收收入2024年6月.csv", TAX_JUNE)
    con = landing.connect()
    try:
        landed = landing.land_file(con, path, "tax_revenue", received_at=LANDED_AT, history=history)
    finally:
        con.close()
    assert landed.status == "accepted", landed.reason
    run_dbt(home / "warehouse.duckdb", "build", "--select", "+fct_department_scorecard",
            "--resource-type", "seed", "--resource-type", "model", vars={"as_of_date": "2024-08-01"})

    (row,) = records(home, "SELECT due_date, submitted_on, claimed_on, state FROM marts.fct_feed_completeness "
                           "WHERE feed_id = 'tax_revenue' AND period = '2024-06'")
    assert row == {"due_date": DUE, "submitted_on": submitted, "claimed_on": CLAIMED, "state": state}

    # 晾晒表: the tax bureau owes this one file in June.
    (card,) = records(home, "SELECT files_on_time, files_late, late_or_missing_feeds FROM marts.fct_department_scorecard "
                            "WHERE dept_name = '区税务局' AND period = '2024-06'")
    assert (card["files_on_time"], card["files_late"]) == ((0, 1) if state == "late" else (1, 0))
    assert card["late_or_missing_feeds"] == late_note

    result = CliRunner().invoke(app, ["status", "--period", "2024-06"])
    assert result.exit_code == 0, result.output
    if state == "late":
        assert "2024-06 迟报 late: 区税务局（分行业税收收入）" in result.output
        assert "区税务局（分行业税收收入） 落地 received 2024-07-12，文件填报日期 claimed 2024-07-03" in result.output
    else:
        assert "迟报 late:" not in result.output
