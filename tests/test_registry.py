"""The registry is the one home of the feed contract; dbt reads it only through generated files."""

import dataclasses
import datetime as dt

import pytest

from ingest import dbt_artifacts
from ingest.registry import FEEDS, Calendar, Column, conversion_factor, month_range

# --- the generated dbt files ------------------------------------------------------------------

def test_generated_dbt_files_are_current():
    assert dbt_artifacts.stale_files() == [], (
        "run `python -m ingest.dbt_artifacts` after changing ingest/registry.py")


def test_a_registry_change_leaves_the_committed_files_stale(monkeypatch):
    services = FEEDS["stats_services"]
    # The owner is in the sources' description and in ref_feeds; the calendar is not touched.
    monkeypatch.setitem(FEEDS, "stats_services", dataclasses.replace(services, owner_dept="区发改局"))
    assert set(dbt_artifacts.stale_files()) == {dbt_artifacts.SOURCES_FILE, dbt_artifacts.FEEDS_SEED}

    # A due day only changes the calendar seed.
    monkeypatch.setitem(FEEDS, "stats_services", dataclasses.replace(
        services, calendar=dataclasses.replace(services.calendar, due_day=25)))
    assert dbt_artifacts.stale_files() == [dbt_artifacts.CALENDARS_SEED]

    # A warehouse unit changes the column meta staging converts with.
    enterprises = FEEDS["stats_enterprises"]
    columns = tuple(dataclasses.replace(c, warehouse_unit="亿元") if c.field == "payroll_ytd" else c
                    for c in enterprises.columns)
    monkeypatch.setitem(FEEDS, "stats_services", services)
    monkeypatch.setitem(FEEDS, "stats_enterprises", dataclasses.replace(enterprises, columns=columns))
    assert dbt_artifacts.stale_files() == [dbt_artifacts.SOURCES_FILE]


def test_sources_carry_the_unit_factor_and_the_department_columns():
    import yaml

    (raw,) = yaml.safe_load(dbt_artifacts.render_sources())["sources"]
    tables = {t["name"]: t for t in raw["tables"]}
    revenue = next(c for c in tables["stats_enterprises"]["columns"] if c["name"] == "revenue_ytd")
    assert revenue["config"]["meta"] == {"unit": "千元", "warehouse_unit": "万元"}
    # The unit table macros/registry.sql converts with: 1 千元 = 1 000 元, 1 万元 = 10 000 元.
    assert raw["config"]["meta"]["units"]["千元"] == ["money", 1000.0]
    assert raw["config"]["meta"]["units"]["万元"] == ["money", 10000.0]
    projects = [c["name"] for c in tables["major_projects"]["columns"]]
    assert projects.index("responsible_dept_canonical") == projects.index("street") + 1
    assert tables["stats_employment"]["config"]["meta"]["cadences"] == ["quarterly", "yearly"]
    assert tables["training_records"]["config"]["meta"]["multi_department"] is True


# --- the calendar -----------------------------------------------------------------------------

def test_due_dates_and_first_periods():
    services, projects, employment = FEEDS["stats_services"], FEEDS["major_projects"], FEEDS["stats_employment"]
    assert str(services.due_date("2023-12")) == "2024-01-20"
    assert str(projects.due_date("2023-06")) == "2023-07-05"
    assert services.due_periods("2023-01", "2023-03") == ["2023-02", "2023-03"]  # no January file
    assert employment.due_periods("2023-01", "2023-12") == ["2023-03", "2023-06", "2023-09", "2023-12"]
    assert month_range("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]


def test_a_yearly_feed_of_period_january_is_due_on_31_march():
    # FEEDS.md feed 13 (annual_targets): period YYYY-01, due 31 March = day 31, 2 months after.
    annual = Calendar("yearly", first_month=1, due_after_months=2, due_day=31)
    assert annual.due_months == (1,)
    assert annual.due_date("2024-01") == dt.date(2024, 3, 31)


def test_the_target_list_is_owed_from_2024_and_its_period_is_a_year():
    targets = FEEDS["annual_targets"]
    assert (targets.cadence, targets.due_date("2024-01"), targets.period_is_year) == ("yearly", dt.date(2024, 3, 31), True)
    # The plan states 2023's targets (附件1): the first list owed is 2024's, one a year, for January.
    assert targets.due_periods("2023-01", "2025-12") == ["2024-01", "2025-01"]
    assert not targets.owes_file("2023-01") and targets.owes_file("2025-01")
    # Its 类型 decodes to the registry's kinds; a file's other feeds' periods stay months.
    assert [targets.column("kind").decode(v) for v in ("累计", "节点", "比率", "其他")] == [
        "cumulative", "milestone", "rate", None]
    assert not any(f.period_is_year for f in FEEDS.values() if f is not targets)


def test_count_units_are_the_whole_units_of_the_unit_table():
    from ingest.registry import COUNT_UNITS
    from publish.labels import is_count_unit

    assert COUNT_UNITS == {"家", "个", "项", "场", "人", "名", "人次"}
    assert is_count_unit("人次") and not is_count_unit("万人次") and not is_count_unit("亿元")


def test_a_due_day_missing_from_some_due_month_is_refused_at_registry_time():
    # Monthly, due next month: March periods fall due in April (30 days), January ones in February.
    with pytest.raises(ValueError, match="April"):
        Calendar("monthly", first_month=3, due_after_months=1, due_day=31)
    with pytest.raises(ValueError, match="February"):
        Calendar("monthly", first_month=1, due_after_months=1, due_day=29)
    # Quarterly from March: due in April, July, October, January: 31 fails in April, 30 exists in all.
    with pytest.raises(ValueError, match="April"):
        Calendar("quarterly", first_month=3, due_after_months=1, due_day=31)
    assert Calendar("quarterly", first_month=3, due_after_months=1, due_day=30).due_date("2024-03") == dt.date(
        2024, 4, 30)
    # A yearly December period due in February: day 29 exists only in leap years.
    with pytest.raises(ValueError, match="February"):
        Calendar("yearly", first_month=12, due_after_months=2, due_day=29)
    with pytest.raises(ValueError, match="cadence"):
        Calendar("weekly", first_month=1, due_after_months=1, due_day=5)


def test_a_deployment_may_receive_employment_yearly_but_not_monthly():
    yearly = FEEDS["stats_employment"].with_cadence("yearly")
    assert yearly.cadence == "yearly"
    assert yearly.due_periods("2023-01", "2024-12") == ["2023-12", "2024-12"]
    assert yearly.due_date("2023-12") == dt.date(2024, 1, 20)
    with pytest.raises(ValueError, match="no monthly calendar"):
        FEEDS["stats_employment"].with_cadence("monthly")


# --- units and department columns ------------------------------------------------------------

def test_units_convert_within_a_dimension_only():
    assert conversion_factor("千元", "万元") == 0.1
    assert conversion_factor("亿元", "万元") == 10000
    assert conversion_factor("万人次", "人次") == 10000
    try:
        conversion_factor("万元", "人")
    except ValueError:
        pass
    else:
        raise AssertionError("money must not convert to persons")


def test_a_warehouse_unit_must_share_the_columns_dimension():
    assert Column("x", "x", "number", unit="千元", warehouse_unit="亿元").warehouse_factor == 1e-5
    assert Column("x", "x", "number", unit="万元").warehouse_factor == 1.0
    with pytest.raises(ValueError, match="cannot convert"):
        Column("x", "x", "number", unit="千元", warehouse_unit="人")
    with pytest.raises(ValueError, match="canonical unit"):
        Column("x", "x", "number", warehouse_unit="万元")


def test_department_columns_are_marked_in_the_registry():
    marked = {(f.feed_id, c.field) for f in FEEDS.values() for c in f.department_columns}
    assert marked == {
        ("major_projects", "responsible_dept"), ("enterprise_cultivation", "recommending_dept"),
        ("training_records", "reporting_dept"), ("dept_task_progress", "reporting_dept"),
        ("supervision_items", "responsible_dept"), ("annual_targets", "responsible_dept"),
    }
