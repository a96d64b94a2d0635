"""Issue 10 item 7: a deployment whose statistics bureau releases 从业人员 once a year
(`SVCMON_EMPLOYMENT_RELEASE=annual`, read at run time and passed to dbt as a var). The demo year
2024 without its March, June and September employment files publishes every month without an
override, and the employment share carries the December 2023 value forward until December."""

from __future__ import annotations

import pytest

from demo import generate_demo_feeds
from ingest.registry import month_range
from tests.conftest import records, run_job

pytestmark = pytest.mark.slow

MONTHS = month_range("2024-01", "2024-12")


def test_with_annual_release_a_year_publishes_and_carries_december_forward(home, monkeypatch):
    monkeypatch.setenv("SVCMON_EMPLOYMENT_RELEASE", "annual")
    manifest = generate_demo_feeds(home / "inbox", "2023-12", "2024-12", seed=7)
    quarterly = [f for f in manifest.files if f.feed_id == "stats_employment" and f.period in
                 ("2024-03", "2024-06", "2024-09")]
    assert len(quarterly) == 3
    for f in quarterly:  # an annual bureau sends none of these
        (home / "inbox" / f.path).unlink()

    assert run_job("build_job", "2023-12", "2024-12").success
    for period in MONTHS:
        assert run_job("publish_job", period, period).success, period

    log = records(home, "SELECT period, gate_result, override FROM published.publication_log ORDER BY period")
    assert [(r["period"], r["gate_result"], r["override"]) for r in log if r["period"] in MONTHS] == [
        (p, "passed", None) for p in MONTHS]
    completeness = records(home, "SELECT period, state FROM marts.fct_feed_completeness "
                                 "WHERE feed_id = 'stats_employment' AND period BETWEEN '2024-01' AND '2024-12'")
    assert [(r["period"], r["state"]) for r in completeness] == [("2024-12", "late")]  # landed now, after its due day

    shares = records(home, "SELECT period, value_source_period, light_reason FROM published.fct_indicator_progress "
                           "WHERE indicator_id = 'employment_services_share' ORDER BY period")
    carried = {r["period"]: r for r in shares}
    for period in MONTHS[:-1]:
        assert carried[period]["value_source_period"] == "2023-12", period
        assert "沿用2023-12数据" in carried[period]["light_reason"], period
    assert carried["2024-12"]["value_source_period"] == "2024-12"
