"""The publication gate: what blocks a period, what a revision or a sign-off changes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from expectations.gate import evaluate_gate, record_signoff
from expectations.runner import run_checks
from ingest import clock
from tests.test_expectations import Warehouse, industry

PERIOD = "2024-03"
# No dbt build here: the completeness model does not exist, so completeness stays out of these tests.
DUPLICATE = "stats_services.uniqueness.business_key"


def clean_services() -> list[dict]:
    return [industry("合计", 300.0, 250.0, total=True), industry("G", 300.0, 250.0)]


def duplicated_services() -> list[dict]:
    return [industry("合计", 300.0, 250.0, total=True), industry("合计", 300.0, 250.0, total=True)]  # rows 4, 5


def test_clean_file_passes_and_warnings_never_block():
    wh = Warehouse()
    wh.land("stats_services", PERIOD, [
        industry("合计", 300.0, 250.0, yoy=20.0, total=True),
        industry("G", 300.0, 250.0, yoy=20.0),
        industry("53", 200.0, 200.0, yoy=0.0),
        industry("54", 100.0, 50.0, yoy=100.0),  # row 7: +100 %, a warning
    ])
    run_checks(wh.con, [PERIOD])
    gate = evaluate_gate(wh.con, PERIOD)
    assert (gate.passed, gate.status, gate.status_zh, gate.blocking) == (True, "passed", "通过", [])
    (warning,) = gate.warnings
    assert warning.check_id == "stats_services.outlier.yoy_over_50pct.revenue_yoy_pct"
    assert [s["_row_number"] for s in warning.samples] == [7]


def test_error_blocks_until_a_revision_passes():
    wh = Warehouse()
    first = wh.land("stats_services", PERIOD, duplicated_services(), file_name="v1.xlsx")
    run_checks(wh.con, [PERIOD])
    gate = evaluate_gate(wh.con, PERIOD)
    assert not gate.passed and gate.open_check_ids == [DUPLICATE]
    (blocking,) = gate.blocking
    assert blocking.file_sha256 == first
    assert [s["_row_number"] for s in blocking.samples] == [4, 5]

    second = wh.land("stats_services", PERIOD, clean_services(), file_name="v2.xlsx")
    unchecked = evaluate_gate(wh.con, PERIOD)  # the revision has not been checked yet
    assert not unchecked.passed
    assert [(r.check_id, r.file_sha256) for r in unchecked.blocking] == [("stats_services.gate.unchecked", second)]

    run_checks(wh.con, [PERIOD])
    assert evaluate_gate(wh.con, PERIOD).passed  # the old vintage's failure no longer counts


def test_latest_run_of_a_check_counts():
    wh = Warehouse()
    wh.land("stats_services", "2024-02", [industry("合计", 100.0, 90.0, total=True)])
    wh.land("stats_services", PERIOD, [industry("合计", 95.0, 92.0, total=True)])
    run_checks(wh.con, ["2024-02", PERIOD])
    assert evaluate_gate(wh.con, PERIOD).open_check_ids == ["stats_services.logic.ytd_decrease.revenue_ytd"]
    # February is revised down to 90: March's 95 no longer falls, once March is checked again
    wh.land("stats_services", "2024-02", [industry("合计", 90.0, 90.0, total=True)])
    run_checks(wh.con, ["2024-02", PERIOD])
    assert evaluate_gate(wh.con, PERIOD).passed


def test_rejected_file_never_blocks():
    wh = Warehouse()
    wh.land("stats_services", PERIOD, clean_services())
    wh.reject("tax_revenue", "税收（损坏）.xlsx")
    run_checks(wh.con, [PERIOD])
    assert evaluate_gate(wh.con, PERIOD).passed


def test_signoff_needs_a_name_and_a_reason():
    wh = Warehouse()
    wh.land("stats_services", PERIOD, duplicated_services())
    run_checks(wh.con, [PERIOD])
    with pytest.raises(ValueError, match="签字人姓名.*name"):
        record_signoff(wh.con, PERIOD, "  ", "已核实", [DUPLICATE])
    with pytest.raises(ValueError, match="理由.*reason"):
        record_signoff(wh.con, PERIOD, "王统计", "", [DUPLICATE])
    assert wh.con.execute("SELECT count(*) FROM quality.signoffs").fetchone()[0] == 0
    assert not evaluate_gate(wh.con, PERIOD).passed


def test_override_must_name_a_failing_check_of_the_period():
    wh = Warehouse()
    wh.land("stats_services", PERIOD, duplicated_services())
    run_checks(wh.con, [PERIOD])
    with pytest.raises(ValueError) as refused:
        record_signoff(wh.con, PERIOD, "王统计", "已核实", ["stats_services.schema.parse_errors"])
    message = str(refused.value)
    assert "stats_services.schema.parse_errors" in message and DUPLICATE in message
    assert "当前未通过" in message and "failing now" in message


def test_override_lets_the_gate_pass_and_a_review_is_only_recorded():
    wh = Warehouse()
    wh.land("stats_services", PERIOD, duplicated_services())
    run_checks(wh.con, [PERIOD])

    record_signoff(wh.con, PERIOD, "李审核", "已阅提示", [])  # a review of warnings: recorded, changes nothing
    assert not evaluate_gate(wh.con, PERIOD).passed

    record_signoff(wh.con, PERIOD, "王统计", "合计行重复为同一数据，已与统计局核实", [DUPLICATE])
    gate = evaluate_gate(wh.con, PERIOD)
    assert (gate.passed, gate.status, gate.status_zh) == (True, "overridden", "已签字放行")
    assert gate.overridden == [DUPLICATE] and gate.open_check_ids == []
    rows = wh.con.execute("SELECT signed_by, reason, overrides FROM quality.signoffs ORDER BY signed_at").fetchall()
    assert [(by, json.loads(o)) for by, _r, o in rows] == [("李审核", []), ("王统计", [DUPLICATE])]
    assert [s.signed_by for s in gate.signoffs] == ["李审核", "王统计"]


def test_a_revision_arriving_after_the_signoff_needs_a_new_look():
    wh = Warehouse()
    wh.land("stats_services", PERIOD, duplicated_services())
    run_checks(wh.con, [PERIOD])
    record_signoff(wh.con, PERIOD, "王统计", "已核实", [DUPLICATE])
    assert evaluate_gate(wh.con, PERIOD).passed

    later = clock.now() + dt.timedelta(minutes=5)  # stored times are the deployment zone's clock
    wh.land("stats_services", PERIOD, duplicated_services(), received_at=later)
    run_checks(wh.con, [PERIOD])
    gate = evaluate_gate(wh.con, PERIOD)
    assert not gate.passed and gate.open_check_ids == [DUPLICATE]


def test_bad_period_is_refused():
    wh = Warehouse()
    with pytest.raises(ValueError, match="YYYY-MM"):
        evaluate_gate(wh.con, "2024-3")
    with pytest.raises(ValueError, match="YYYY-MM"):
        run_checks(wh.con, ["202403"])
