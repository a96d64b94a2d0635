"""The feed checks on small raw tables written by hand: which check fails, how severe, traced to which row."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from itertools import count
from pathlib import Path

import pytest
from stdnum.cn import uscc as stdnum_uscc

from expectations.gate import evaluate_gate
from expectations.runner import record_dbt_results, run_checks
from ingest import landing, reference
from ingest.registry import FEEDS
from ingest.warehouse import connect as connect_warehouse
from tests.conftest import land_rows
from tests.dbt_fixtures import run_dbt

HEADER_ROW = 3  # title, unit line, header: data starts on Excel row 4
_serial = count(1)


class Warehouse:
    """A warehouse with the landing's raw schema (in memory, or in `path` when dbt must read it),
    filled file by file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.con = connect_warehouse(path or ":memory:")
        landing.ensure_raw_schema(self.con)

    def judge_completeness(self, as_of: dt.date) -> None:
        """Build the completeness model (dbt, with the seeds and views it reads) judged at `as_of`."""
        assert self.path is not None, "dbt needs a warehouse file: Warehouse(tmp_path / 'warehouse.duckdb')"
        self.con.close()  # one writer: dbt runs in its own process
        try:
            run_dbt(self.path, "build", "--select", "+fct_feed_completeness", "ref_departments",
                    "--indirect-selection", "cautious", vars={"as_of_date": as_of.isoformat()})
        finally:
            self.con = connect_warehouse(self.path)

    def land(self, feed_id: str, period: str, rows: list[dict], *, file_name: str | None = None,
             sheet: str = "Sheet1", received_at: dt.datetime | None = None,
             submitted_on: dt.date | None = None) -> str:
        received_at = received_at or dt.datetime(int(period[:4]), int(period[5:]), 28) + dt.timedelta(days=10)
        return land_rows(self.con, feed_id, period, rows, received_at=received_at, sheet=sheet,
                         file_name=file_name or f"{feed_id}_{period}_{next(_serial)}.xlsx",
                         first_row=HEADER_ROW + 1, submitted_on=submitted_on)

    def reject(self, feed_id: str, file_name: str) -> None:
        """A file landing rejects (it cannot be read as a workbook): a register row, nothing in raw."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / file_name
            path.write_text("不是工作簿 / not a workbook", encoding="utf-8")
            result = landing.land_file(self.con, path, feed_id, received_at=dt.datetime(2024, 4, 1))
        assert result.status == "rejected", result


def result(results, check_id: str, sha: str | None = None):
    found = [r for r in results if r.check_id == check_id and (sha is None or r.file_sha256 == sha)]
    assert len(found) == 1, f"{check_id}: {len(found)} results"
    return found[0]


def failed_ids(results) -> set[str]:
    return {r.check_id for r in results if r.status == "failed"}


def industry(code: str, revenue: float | None, prior: float | None, *, yoy: float | None = None,
             total: bool = False, **more) -> dict:
    return {"industry_code": code, "revenue_ytd": revenue, "revenue_prior_ytd": prior, "revenue_yoy_pct": yoy,
            "_is_total": total, **more}


# --- balance --------------------------------------------------------------------------------

def test_balance_at_tolerance_passes_and_just_beyond_fails():
    wh = Warehouse()
    sha = wh.land("stats_services", "2024-03", [
        industry("合计", 10500, 20000, total=True),        # row 4: 10000 + 500 = 10500 exactly
        industry("G", 10000, 10000),                       # row 5: revenue Σ 6000+3990 = 9990, off by 10 = 0.1 %
        industry("53", 6000, 5000),                        # row 6
        industry("54", 3990, 4989.99),                     # row 7: prior Σ 9989.99, off by 10.01 > 10
        industry("L", 500, 10000),                         # row 8: revenue Σ 498.9, off by 1.1 > max(0.5, 1)
        industry("72", 498.9, 10000),                      # row 9
    ], file_name="规上服务业2024年1-3月.xlsx")
    results = run_checks(wh.con, ["2024-03"])

    revenue = result(results, "stats_services.balance.section_vs_divisions.revenue_ytd", sha)
    assert (revenue.status, revenue.severity, revenue.failing_rows) == ("failed", "error", 1)
    (row,) = revenue.samples
    assert (row["_file_name"], row["_sheet"], row["_row_number"], row["industry_code"]) == (
        "规上服务业2024年1-3月.xlsx", "Sheet1", 8, "L")
    assert row["children_sum"] == pytest.approx(498.9)
    assert row["difference"] == pytest.approx(1.1)
    assert row["tolerance"] == 1.0

    prior = result(results, "stats_services.balance.section_vs_divisions.revenue_prior_ytd", sha)
    assert prior.failing_rows == 1 and prior.samples[0]["_row_number"] == 5  # G: 10.01 beyond 10

    # 合计 = G + L exactly for revenue; prior 合计 20000 = 10000 + 10000
    assert result(results, "stats_services.balance.total_vs_sections.revenue_ytd", sha).status == "passed"
    assert result(results, "stats_services.balance.total_vs_sections.revenue_prior_ytd", sha).status == "passed"
    gate = evaluate_gate(wh.con, "2024-03")
    assert not gate.passed
    assert gate.open_check_ids == ["stats_services.balance.section_vs_divisions.revenue_prior_ytd",
                                   "stats_services.balance.section_vs_divisions.revenue_ytd"]


def test_total_against_sections_in_tax_revenue():
    wh = Warehouse()
    sha = wh.land("tax_revenue", "2024-03", [
        {"industry_code": "合计", "tax_ytd": 1000, "tax_prior_ytd": 900, "_is_total": True},
        {"industry_code": "F", "tax_ytd": 600, "tax_prior_ytd": 500},
        {"industry_code": "J", "tax_ytd": 398, "tax_prior_ytd": 400},  # tax Σ 998: off by 2 > max(1, 1)
    ])
    results = run_checks(wh.con, ["2024-03"])
    tax = result(results, "tax_revenue.balance.total_vs_sections.tax_ytd", sha)
    assert (tax.status, tax.samples[0]["_row_number"], tax.samples[0]["difference"]) == ("failed", 4, 2.0)
    assert result(results, "tax_revenue.balance.total_vs_sections.tax_prior_ytd", sha).status == "passed"


def test_enterprise_revenue_against_divisions_is_a_warning():
    wh = Warehouse()
    services = wh.land("stats_services", "2024-03", [
        industry("72", 100.0, 90.0),   # 万元; enterprises: 600 + 400 千元 = 100 万元 → balanced
        industry("73", 50.0, 40.0),    # enterprises: 520 千元 = 52 万元 → 4 % off
    ])
    uscc_a, uscc_b, uscc_c = valid_uscc("91330302MA2AAAAA0"), valid_uscc("91330302MA2AAAAB0"), valid_uscc(
        "91330302MA2AAAAC0")
    wh.land("stats_enterprises", "2024-03", [
        {"uscc": uscc_a, "name": "甲", "industry_code": "7211", "revenue_ytd": 600.0},
        {"uscc": uscc_b, "name": "乙", "industry_code": "7212", "revenue_ytd": 400.0},
        {"uscc": uscc_c, "name": "丙", "industry_code": "7310", "revenue_ytd": 520.0},
    ])
    results = run_checks(wh.con, ["2024-03"])
    check = result(results, "stats_services.balance.enterprises_vs_divisions.revenue_ytd", services)
    assert (check.status, check.severity) == ("failed", "warn")
    assert [(s["industry_code"], s["enterprise_sum"]) for s in check.samples] == [("73", 52.0)]


# --- logic ------------------------------------------------------------------------------------

def test_ytd_fall_is_charged_to_the_later_vintage_only():
    wh = Warehouse()
    feb = wh.land("stats_services", "2024-02", [industry("合计", 100.0, 90.0, total=True)])
    mar = wh.land("stats_services", "2024-03", [industry("合计", 95.0, 92.0, total=True)], file_name="三月.xlsx")
    dec = wh.land("stats_services", "2023-12", [industry("合计", 700.0, 650.0, total=True)])
    results = run_checks(wh.con, ["2023-12", "2024-02", "2024-03"])
    check_id = "stats_services.logic.ytd_decrease.revenue_ytd"
    assert result(results, check_id, feb).status == "passed"  # a new year starts again from zero
    assert result(results, check_id, dec).status == "passed"
    fall = result(results, check_id, mar)
    assert (fall.status, fall.severity, fall.period) == ("failed", "error", "2024-03")
    (row,) = fall.samples
    assert (row["_file_name"], row["_row_number"], row["revenue_ytd"], row["revenue_ytd_prev"], row["_prev_period"]) \
        == ("三月.xlsx", 4, 95.0, 100.0, "2024-02")
    assert check_id not in evaluate_gate(wh.con, "2024-02").open_check_ids
    assert check_id in evaluate_gate(wh.con, "2024-03").open_check_ids


def test_months_checked_in_batches_give_the_results_of_one_batch(monkeypatch):
    from expectations import runner

    wh = Warehouse()
    first_feb = wh.land("stats_services", "2024-02", [industry("合计", 100.0, 90.0, total=True)])
    mar = wh.land("stats_services", "2024-03", [industry("合计", 120.0, 92.0, total=True)], file_name="三月.xlsx")
    # February revised after March arrived: 130 now exceeds March's 120, charged to the revision.
    feb = wh.land("stats_services", "2024-02", [industry("合计", 130.0, 90.0, total=True)], file_name="二月修订.xlsx",
                  received_at=dt.datetime(2024, 4, 20))
    months = ["2024-02", "2024-03"]

    def outcome():
        return [(r.check_id, r.file_sha256, r.period, r.status, r.failing_rows, r.sample_rows)
                for r in run_checks(wh.con, months)]

    whole = outcome()
    monkeypatch.setattr(runner, "CHECK_BATCH_ROWS", 1)  # every month a batch of its own
    assert runner._period_batches(runner.load_current_rows(wh.con, FEEDS["stats_services"]), months) == [
        ["2024-02"], ["2024-03"]]
    assert outcome() == whole
    check_id = "stats_services.logic.ytd_decrease.revenue_ytd"
    fall = [r for r in whole if r[0] == check_id and r[3] == "failed"]
    assert [(r[1], r[2], r[4]) for r in fall] == [(feb, "2024-02", 1)]
    assert first_feb not in {r[1] for r in whole}  # the replaced vintage is not checked
    assert mar in {r[1] for r in whole}


def test_reported_growth_against_computed_growth_and_outliers():
    wh = Warehouse()
    sha = wh.land("stats_services", "2024-03", [
        industry("70", 110.0, 100.0, yoy=10.1),   # computed 10.0: 0.1 point off, allowed
        industry("71", 110.0, 100.0, yoy=10.2),   # 0.2 point off: error
        industry("72", 160.0, 100.0, yoy=60.0),   # consistent, but +60 % is an outlier
        industry("73", 40.0, 100.0),              # no reported growth: computed −60 % is an outlier
    ])
    results = run_checks(wh.con, ["2024-03"])
    mismatch = result(results, "stats_services.logic.yoy_mismatch.revenue_yoy_pct", sha)
    assert [s["industry_code"] for s in mismatch.samples] == ["71"]
    assert mismatch.samples[0]["computed_yoy_pct"] == pytest.approx(10.0)
    outlier = result(results, "stats_services.outlier.yoy_over_50pct.revenue_yoy_pct", sha)
    assert outlier.severity == "warn"
    assert [(s["industry_code"], round(s["effective_yoy_pct"], 6)) for s in outlier.samples] == [
        ("72", 60.0), ("73", -60.0)]


def test_month_against_difference_of_ytds():
    wh = Warehouse()
    base = {"reporting_dept": "区人社局"}
    wh.land("training_records", "2024-02", [
        {**base, "program": "金蓝领", "person_times_ytd": 100.0},
        {**base, "program": "家政培训", "person_times_ytd": 30.0},
    ])
    mar = wh.land("training_records", "2024-03", [
        {**base, "program": "金蓝领", "person_times_month": 40.0, "person_times_ytd": 150.0},   # 150 − 100 = 50
        {**base, "program": "家政培训", "person_times_month": 20.0, "person_times_ytd": 50.0},  # 50 − 30 = 20
    ])
    results = run_checks(wh.con, ["2024-03"])
    check = result(results, "training_records.logic.month_vs_ytd.person_times_month", mar)
    assert (check.status, check.severity) == ("failed", "error")
    assert [(s["program"], s["expected_month"], s["_row_number"]) for s in check.samples] == [("金蓝领", 50.0, 4)]


def test_project_logic_warnings():
    wh = Warehouse()
    sha = wh.land("major_projects", "2024-05", [
        project("2023-330302-72-01-000001", total=10.0, completed=12.0),                      # row 4: > total
        project("2024-330302-72-01-000002", total=10.0, completed=1.0, start="2024-08"),      # row 5: before start
        project("2024-330302-72-01-000003", total=10.0, completed=1.0, start="2024-05"),      # row 6: fine
    ])
    results = run_checks(wh.con, ["2024-05"])
    over = result(results, "major_projects.logic.completed_exceeds_total", sha)
    early = result(results, "major_projects.logic.completed_before_start", sha)
    assert (over.severity, [s["_row_number"] for s in over.samples]) == ("warn", [4])
    assert (early.severity, [s["_row_number"] for s in early.samples]) == ("warn", [5])
    assert evaluate_gate(wh.con, "2024-05").passed  # warnings never block


# --- schema, uniqueness, identifiers, departments ---------------------------------------------

def project(code: str | None, *, total: float = 5.0, completed: float = 1.0, start: str | None = None,
            **more) -> dict:
    return {"project_code": code, "name": "项目", "project_type": "产业赋能型", "level": "区重点",
            "total_investment": total, "completed_ytd": completed, "start_month": start,
            "responsible_dept": "区发改局", **more}


def valid_uscc(first17: str) -> str:
    return first17[:17] + stdnum_uscc.calc_check_digit(first17[:17])


def test_schema_uniqueness_and_department_checks_trace_the_rows():
    wh = Warehouse()
    sha = wh.land("major_projects", "2024-05", [
        project("2024-330302-72-01-000001"),                                    # row 4: clean
        project("2024-330302-72-01-000001"),                                    # row 5: duplicate key
        project("2024-330302-72-01-000003", project_type="产业型"),              # row 6: not an enum value
        project("2024-3303-72-01-000004"),                                      # row 7: malformed code
        project("2024-330302-72-01-000005", name=None),                         # row 8: name missing
        project("2024-330302-72-01-000006", _parse_errors="total_investment: 十亿"),  # row 9
        project("2024-330302-72-01-000007", responsible_dept="区人力社保局"),    # row 10: alias resolves
        project("2024-330302-72-01-000008", responsible_dept="区不存在局"),      # row 11: unresolved
        {**project(None), "_is_total": True, "name": None, "responsible_dept": None},  # row 12: 合计, not data
    ], file_name="重大项目2024年5月.xlsx", sheet="重大项目实施表")
    results = run_checks(wh.con, ["2024-05"])

    def rows_of(check_id: str) -> list[int]:
        return [s["_row_number"] for s in result(results, check_id, sha).samples]

    assert rows_of("major_projects.uniqueness.business_key") == [4, 5]
    assert rows_of("major_projects.schema.enum.project_type") == [6]
    assert rows_of("major_projects.schema.identifier_error.project_code") == [7]
    assert rows_of("major_projects.schema.required.name") == [8]
    assert rows_of("major_projects.schema.parse_errors") == [9]
    assert rows_of("major_projects.department.unresolved.responsible_dept") == [11]
    assert rows_of("major_projects.schema.required.project_code") == []  # the 合计 row is not a project
    enum = result(results, "major_projects.schema.enum.project_type", sha)
    shown = {k: v for k, v in enum.samples[0].items() if k not in ("_key", "_value")}
    assert shown == {"_file_name": "重大项目2024年5月.xlsx", "_sheet": "重大项目实施表", "_row_number": 6,
                     "project_code": "2024-330302-72-01-000003", "project_type": "产业型"}
    # the row's acknowledgement keys: keyed hashes, never the values themselves
    assert all(len(enum.samples[0][k]) == 16 for k in ("_key", "_value"))
    assert result(results, "major_projects.department.unresolved.responsible_dept", sha).severity == "warn"
    assert failed_ids(results) & {r.check_id for r in results if r.severity == "error"} == {
        "major_projects.uniqueness.business_key", "major_projects.schema.enum.project_type",
        "major_projects.schema.identifier_error.project_code", "major_projects.schema.required.name",
        "major_projects.schema.parse_errors"}


def test_uscc_check_character_is_a_warning_and_a_short_code_an_error():
    wh = Warehouse()
    good = valid_uscc("91330302MA2AAAAA0")
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    sha = wh.land("stats_enterprises", "2024-03", [
        {"uscc": good, "name": "甲", "industry_code": "7211", "revenue_ytd": 1.0},
        {"uscc": wrong_check, "name": "乙", "industry_code": "7212", "revenue_ytd": 1.0},
        {"uscc": good[:17], "name": "丙", "industry_code": "7213", "revenue_ytd": 1.0},
        {"uscc": valid_uscc("91330302MA2AAAAD0"), "name": "丁", "industry_code": "9911", "revenue_ytd": 1.0},
    ])
    results = run_checks(wh.con, ["2024-03"])
    warn = result(results, "stats_enterprises.schema.identifier_warn.uscc", sha)
    error = result(results, "stats_enterprises.schema.identifier_error.uscc", sha)
    assert (warn.severity, [s["_row_number"] for s in warn.samples]) == ("warn", [5])
    assert (error.severity, [s["_row_number"] for s in error.samples]) == ("error", [6])
    assert error.samples[0]["reason"]
    assert [s["_row_number"] for s in result(results, "stats_enterprises.schema.format.industry_code", sha).samples] \
        == [7]  # division 99 does not exist


def test_enterprise_unit_slip_is_a_warning():
    wh = Warehouse()
    a, b = valid_uscc("91330302MA2AAAAA0"), valid_uscc("91330302MA2AAAAB0")
    wh.land("stats_enterprises", "2024-02", [
        {"uscc": a, "name": "甲", "industry_code": "7211", "revenue_ytd": 1000.0},
        {"uscc": b, "name": "乙", "industry_code": "7211", "revenue_ytd": 1000.0},
    ])
    mar = wh.land("stats_enterprises", "2024-03", [
        {"uscc": a, "name": "甲", "industry_code": "7211", "revenue_ytd": 10_000_000.0},  # ×10000: 元 for 千元
        {"uscc": b, "name": "乙", "industry_code": "7211", "revenue_ytd": 1500.0},
    ])
    results = run_checks(wh.con, ["2024-03"])
    slip = result(results, "stats_enterprises.outlier.unit_slip.revenue_ytd", mar)
    assert (slip.severity, slip.failing_rows) == ("warn", 1)
    assert (slip.samples[0]["name"], slip.samples[0]["jump_factor"], slip.samples[0]["_row_number"]) == ("甲", 10000.0, 4)


def test_an_enterprise_without_its_scope_month_is_a_warning():
    wh = Warehouse()
    sha = wh.land("stats_enterprises", "2024-03", [
        {"uscc": valid_uscc("91330302MA2AAAAA0"), "name": "甲", "industry_code": "7211", "revenue_ytd": 1.0,
         "entered_scope_month": "2024-02"},
        {"uscc": valid_uscc("91330302MA2AAAAB0"), "name": "乙", "industry_code": "7211", "revenue_ytd": 1.0},
        {"uscc": "合计", "name": "合计", "industry_code": None, "revenue_ytd": 2.0, "_is_total": True},
    ])
    results = run_checks(wh.con, ["2024-03"])
    missing = result(results, "stats_enterprises.schema.not_counted.entered_scope_month", sha)
    # 乙 (row 5) has no 入库年月 and is not counted in ent_new_above_scale; the file's 合计 row is no enterprise.
    assert (missing.status, missing.severity, [s["_row_number"] for s in missing.samples]) == ("failed", "warn", [5])
    assert missing.samples[0]["name"] == "乙"
    assert "不计入新增规上服务业企业" in missing.check_name_zh
    # a warn never blocks
    assert "stats_enterprises.schema.not_counted.entered_scope_month" not in evaluate_gate(wh.con, "2024-03").open_check_ids


def _target(indicator_id: str, name: str, unit: str, kind: str, target: float, dept: str) -> dict:
    return {"year": "2024", "indicator_id": indicator_id, "name": name, "unit": unit, "kind": kind,
            "annual_target": target, "responsible_dept": dept}


def test_the_target_list_against_the_indicator_registry():
    wh = Warehouse()
    sha = wh.land("annual_targets", "2024-01", [
        _target("first_stores", "新引进品牌首店", "家", "累计", 12, "区商务局"),            # row 4: agrees
        _target("T2024-01", "新建城市书房", "个", "节点", 3, "区文广旅体局、区教育局"),     # row 5: a new task
        _target("first_store", "新引进品牌首店", "家", "累计", 12, "区商务局"),             # row 6: unknown id
        _target("talent_leaders", "服务业领军人才", "人", "累计", 3, "区委组织部"),         # row 7: registry says 名
        _target("trendy_stores", "潮店网红店", "家", "累计", 3, "区商务局"),                # row 8: registry: milestone
        _target("T2024-02", "夜间经济", "万元", "其他", 5000, "区夜经济办"),                # row 9: kind, department
    ])
    results = run_checks(wh.con, ["2024-01"])

    def rows_of(check_id):
        found = result(results, check_id, sha)
        return found.severity, [s["_row_number"] for s in found.samples]

    assert rows_of("annual_targets.reference.unknown_indicator") == ("error", [6])
    assert rows_of("annual_targets.reference.unit_mismatch") == ("error", [7])
    assert result(results, "annual_targets.reference.unit_mismatch", sha).samples[0]["registry_unit"] == "名"
    assert rows_of("annual_targets.reference.kind_mismatch") == ("error", [8])
    assert rows_of("annual_targets.schema.enum.kind") == ("error", [9])
    # A department that does not resolve only warns; 区文广旅体局、区教育局 resolves name by name.
    assert rows_of("annual_targets.department.unresolved.responsible_dept") == ("warn", [9])
    gate = evaluate_gate(wh.con, "2024-01")
    assert {"annual_targets.reference.unknown_indicator", "annual_targets.reference.unit_mismatch",
            "annual_targets.reference.kind_mismatch"} <= set(gate.open_check_ids)


# --- completeness ----------------------------------------------------------------------------

def test_missing_feed_is_a_warning_before_its_due_date_and_an_error_after(tmp_path):
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    # Completeness covers the months up to the latest file: June's services file reaches 2024-06.
    wh.land("stats_services", "2024-06", [industry("合计", 100.0, 90.0, total=True)])
    # stats_fai 2024-03 is due on 2024-04-20
    wh.judge_completeness(dt.date(2024, 4, 20))
    on_due_date = run_checks(wh.con, ["2024-03"])
    wh.judge_completeness(dt.date(2024, 4, 21))
    after = run_checks(wh.con, ["2024-03"])
    before = result(on_due_date, "stats_fai.completeness.missing")
    assert (before.status, before.severity, before.source) == ("failed", "warn", "completeness")
    missing = result(after, "stats_fai.completeness.missing")
    assert (missing.status, missing.severity, missing.file_sha256) == ("failed", "error", None)
    assert missing.samples[0]["due_date"] == "2024-04-20"
    gate = evaluate_gate(wh.con, "2024-03")
    assert not gate.passed and "stats_fai.completeness.missing" in gate.open_check_ids
    # January owes no statistics file; the month is not over before its end
    january = run_checks(wh.con, ["2024-01"])
    assert not [r for r in january if r.check_id == "stats_fai.completeness.missing"]
    wh.judge_completeness(dt.date(2024, 6, 30))
    assert not [r for r in run_checks(wh.con, ["2024-06"]) if r.source == "completeness"]


def test_late_arrival_and_silent_departments_are_warnings(tmp_path):
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    wh.land("tax_revenue", "2024-03", [{"industry_code": "合计", "tax_ytd": 1.0, "_is_total": True}],
            file_name="税收3月.xlsx", submitted_on=dt.date(2024, 4, 8))  # due 2024-04-05
    wh.land("dept_task_progress", "2024-03", [
        {"reporting_dept": "区商务局", "indicator_id": "first_stores", "value_ytd": 3.0}],
        submitted_on=dt.date(2024, 4, 3))
    wh.reject("stats_fai", "固投.xlsx")  # a rejection is no file: stats_fai is missing
    wh.judge_completeness(dt.date(2024, 4, 10))
    results = run_checks(wh.con, ["2024-03"])
    late = result(results, "tax_revenue.completeness.late")
    assert (late.status, late.severity) == ("failed", "warn")
    assert (late.samples[0]["_file_name"], late.samples[0]["submitted_on"]) == ("税收3月.xlsx", "2024-04-08")
    assert result(results, "tax_revenue.completeness.missing").status == "passed"
    assert result(results, "dept_task_progress.completeness.late").status == "passed"
    silent = result(results, "dept_task_progress.completeness.department_missing")
    departments = [s["department"] for s in silent.samples]
    assert silent.severity == "warn" and "区科技局" in departments and "区商务局" not in departments
    assert result(results, "stats_fai.completeness.missing").severity == "warn"  # due 04-20


# --- marts and dbt ---------------------------------------------------------------------------

def test_mart_suite_on_indicator_progress():
    wh = Warehouse()
    wh.con.execute("CREATE SCHEMA marts")
    wh.con.execute("CREATE TABLE marts.fct_indicator_progress (indicator_id VARCHAR, period VARCHAR, kind VARCHAR, "
                   "value DOUBLE, annual_target DOUBLE, completion_pct DOUBLE, light VARCHAR, light_reason VARCHAR)")
    wh.con.executemany("INSERT INTO marts.fct_indicator_progress VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        ("proj_count", "2024-03", "cumulative", 2.0, 4.0, 50.0, "绿", None),
        ("zones_revenue", "2024-03", "cumulative", 30.0, 120.0, 20.0, "红", None),  # 30/120 = 25 %, not 20
        ("zones_tax", "2024-03", "cumulative", None, None, None, "—", "数据缺失"),     # not an allowed reason
        ("zones_high_tier", "2024-03", "milestone", None, None, None, None, None),   # NULL light
        ("zones_provincial", "2024-03", "milestone", None, None, None, "—", "无年度目标"),
    ])
    results = [r for r in run_checks(wh.con, ["2024-03"])
               if r.target == "marts.fct_indicator_progress"]

    def ids(check_id: str) -> list[str]:
        return [s["indicator_id"] for s in result(results, check_id).samples]

    assert ids("fct_indicator_progress.light.not_null") == ["zones_high_tier"]
    assert ids("fct_indicator_progress.light.no_light_reason") == ["zones_tax"]
    assert ids("fct_indicator_progress.completion.consistent") == ["zones_revenue"]
    # a NULL light is the not-null check's business, not the set's
    assert result(results, "fct_indicator_progress.light.in_set").status == "passed"
    complete = result(results, "fct_indicator_progress.indicators.complete")
    registry = sorted(reference.indicators())
    present = {"proj_count", "zones_revenue", "zones_tax", "zones_high_tier", "zones_provincial"}
    assert complete.failing_rows == len(registry) - 5
    assert ids("fct_indicator_progress.indicators.complete") == [i for i in registry if i not in present][:20]


def test_dbt_results_land_as_model_checks(tmp_path):
    wh = Warehouse()
    target = tmp_path / "target"
    target.mkdir()
    (target / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": "test.svcmon.not_null_fct_x_light.abc", "status": "fail", "failures": 3, "message": "Got 3"},
        {"unique_id": "test.svcmon.relationships_dept.def", "status": "warn", "failures": 2, "message": "Got 2"},
        {"unique_id": "test.svcmon.unique_fct_x_id.ghi", "status": "pass", "failures": 0, "message": None},
        {"unique_id": "test.svcmon.skipped_one.jkl", "status": "skipped", "failures": None, "message": None},
        {"unique_id": "model.svcmon.fct_x", "status": "success", "failures": None, "message": None},
    ]}), encoding="utf-8")
    (target / "manifest.json").write_text(json.dumps({"nodes": {
        "test.svcmon.unique_fct_x_id.ghi": {"name": "unique_fct_x_id", "config": {"severity": "warn"},
                                            "attached_node": "model.svcmon.fct_x"},
    }}), encoding="utf-8")
    results = record_dbt_results(wh.con, target / "run_results.json", ["2024-03", "2024-04"], "run-1")
    assert sorted({(r.check_id, r.severity, r.status, r.failing_rows) for r in results}) == [
        ("dbt.not_null_fct_x_light", "error", "failed", 3),
        ("dbt.relationships_dept", "warn", "failed", 2),
        ("dbt.unique_fct_x_id", "warn", "passed", 0),
    ]
    assert {r.period for r in results} == {"2024-03", "2024-04"}
    assert all(r.source == "dbt" and r.file_sha256 is None for r in results)
    gate = evaluate_gate(wh.con, "2024-04")
    assert gate.open_check_ids == ["dbt.not_null_fct_x_light"]
    assert [w.check_id for w in gate.warnings] == ["dbt.relationships_dept"]


def test_every_suite_yields_one_result_per_check_and_vintage():
    from expectations.checks import feed_suite

    wh = Warehouse()
    one_row = {
        "stats_services": [industry("合计", 1.0, 1.0, total=True)],
        "stats_enterprises": [{"uscc": valid_uscc("91330302MA2AAAAA0"), "name": "甲", "industry_code": "7211",
                               "revenue_ytd": 1.0, "entered_scope_month": "2023-05"}],
        "stats_fai": [{"indicator": "服务业投资", "yoy_pct": 8.0}],
        "stats_employment": [{"indicator": "全社会从业人员", "persons": 1000.0}],
        "tax_revenue": [{"industry_code": "合计", "tax_ytd": 1.0, "_is_total": True}],
        "major_projects": [project("2024-330302-72-01-000001")],
        "innovation_zones": [{"zone_name": "甲区", "level": "省级", "status": "创建", "is_high_tier": True}],
        "enterprise_cultivation": [{"uscc": valid_uscc("91330302MA2AAAAA0"), "name": "甲", "tier": "领跑企业",
                                    "industry_352": "现代物流", "listed_month": "2023-01", "status": "在库"}],
        "talent_registry": [{"name": "张三", "id_number": "11010519491231002X", "category": "新生代企业家",
                             "recognized_month": "2023-01"}],
        "training_records": [{"reporting_dept": "区教育局", "program": "其他", "person_times_ytd": 5.0}],
        "dept_task_progress": [{"reporting_dept": "区商务局", "indicator_id": "first_stores", "value_ytd": 2.0,
                                "reported_on": dt.date(2024, 4, 1)}],
        "supervision_items": [{"item_id": "DD-1", "responsible_dept": "区发改局", "description": "问题",
                               "raised_on": dt.date(2024, 1, 5), "due_on": dt.date(2024, 6, 30)}],
        "annual_targets": [_target("first_stores", "新引进品牌首店", "家", "累计", 12, "区商务局")],
    }
    assert set(one_row) == set(FEEDS)
    # The target list's period is its year's January.
    shas = {feed_id: wh.land(feed_id, "2024-01" if FEEDS[feed_id].period_is_year else "2024-03", rows)
            for feed_id, rows in one_row.items()}
    results = run_checks(wh.con, ["2024-01", "2024-03"])
    for feed_id, sha in shas.items():
        mine = [r for r in results if r.file_sha256 == sha]
        assert sorted(r.check_id for r in mine) == sorted(c.check_id for c in feed_suite(FEEDS[feed_id]))
        assert [r.check_id for r in mine if r.status == "failed"] == []
    stored = wh.con.execute("SELECT count(*) FROM quality.check_results").fetchone()[0]
    assert stored == len(results)


def test_catalogue_ids_are_unique_and_described_in_both_languages():
    from expectations.checks import catalogue

    rows = catalogue()
    ids = [r["check_id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert all(r["name_zh"] and r["name_en"] and r["severity"] in ("error", "warn", "warn/error") for r in rows)
    by_id = {r["check_id"]: r for r in rows}
    # one balance check per additive column and level: stats_services has 6 additive columns
    assert len([i for i in ids if i.startswith("stats_services.balance.section_vs_divisions.")]) == 6
    assert by_id["tax_revenue.balance.total_vs_sections.tax_prior_ytd"]["engine"] == "python"
    assert by_id["major_projects.schema.enum.level"]["engine"] == "gx"


def test_personal_data_is_masked_in_samples():
    wh = Warehouse()
    person = {"name": "张三", "category": "新生代企业家", "recognized_month": "2023-01"}
    sha = wh.land("talent_registry", "2024-03", [
        {**person, "id_number": "11010519491231002X"},
        {**person, "id_number": "11010519491231002X"},   # the same person twice
        {**person, "id_number": "110105194912310021"},   # wrong check character: error
    ])
    results = run_checks(wh.con, ["2024-03"])
    duplicate = result(results, "talent_registry.uniqueness.business_key", sha)
    assert [(s["_row_number"], s["id_number"]) for s in duplicate.samples] == [
        (4, "1101************2X"), (5, "1101************2X")]
    error = result(results, "talent_registry.schema.identifier_error.id_number", sha)
    assert [(s["_row_number"], s["id_number"]) for s in error.samples] == [(6, "1101************21")]
    stored = wh.con.execute("SELECT string_agg(sample_rows, ' ') FROM quality.check_results").fetchone()[0]
    assert "11010519491231002X" not in stored and "张三" not in stored
