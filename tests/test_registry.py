"""The registry is the one home of the feed contract: what derives from it stays in step."""

from ingest import dbt_sources
from ingest.registry import FEEDS, conversion_factor, month_range


def test_dbt_sources_file_is_generated_from_the_registry():
    assert dbt_sources.SOURCES_FILE.read_text(encoding="utf-8") == dbt_sources.render_sources(), (
        "run `python -m ingest.dbt_sources` after changing ingest/registry.py")


def test_due_dates_and_first_periods():
    services, projects, employment = FEEDS["stats_services"], FEEDS["major_projects"], FEEDS["stats_employment"]
    assert str(services.due_date("2023-12")) == "2024-01-20"
    assert str(projects.due_date("2023-06")) == "2023-07-05"
    assert services.due_periods("2023-01", "2023-03") == ["2023-02", "2023-03"]  # no January file
    assert employment.due_periods("2023-01", "2023-12") == ["2023-03", "2023-06", "2023-09", "2023-12"]
    assert month_range("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]


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
