"""A build run starts dbt once (issue 12): the reference-and-staging step's `dbt build` builds the
period marts of the run's months too, and the period marts' step reports what it did. A failure of
a period mart's test is still the period marts' step's failure, never the first step's, and only
the period marts' tests land as checks.

The inbox is the kill-point tests' two feeds over February and March 2023. After a clean build of
both months, the test writes a second copy of one of February's rows into `fct_indicator_progress`:
its unique-key test (severity error) fails on the next build, which is March's alone and so leaves
February's rows as they are.
"""

from __future__ import annotations

import json

import pytest

from orchestration.runs import failure_message
from tests.conftest import query, run_job, svcmon_home, write_feed_file
from tests.test_kill_points import INBOX

pytestmark = pytest.mark.slow

FIRST, LAST = "2023-02", "2023-03"
UNIQUE_KEY_TEST = "dbt.unique_combination_of_columns_fct_indicator_progress_period__indicator_id"
# The period marts' data tests: 50 of the marts' own columns and keys, 10 relationships to the dims
# (counted in the run results of the period marts' own `dbt build --select tag:partitioned`).
PERIOD_MART_TESTS = 60


def _dbt_invocations(home) -> list[str]:
    """The dbt invocations of the home, in order (dbt's JSON log)."""
    seen: dict[str, None] = {}
    logs = home / "dbt" / "logs"
    for path in sorted(logs.glob("dbt.log*")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                seen.setdefault(json.loads(line)["info"]["invocation_id"], None)
            except (ValueError, KeyError):
                continue
    return list(seen)


def _step_outcomes(run) -> dict[str, str]:
    return {e.step_key: e.event_type_value for e in run.all_events
            if e.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE")}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    with svcmon_home(tmp_path_factory.mktemp("one_dbt")) as home:
        for (feed_id, name), text in INBOX.items():
            write_feed_file(home / "inbox", feed_id, name, text)
        first = run_job("build_job", FIRST, LAST)
        assert first.success
        yield home, first


def test_a_build_of_both_steps_starts_dbt_once(built):
    home, first = built
    assert _dbt_invocations(home) and len(_dbt_invocations(home)) == 1
    assert _step_outcomes(first) == {"land_inbox": "STEP_SUCCESS", "svcmon_dbt_reference_and_staging": "STEP_SUCCESS",
                                     "svcmon_dbt_period_marts": "STEP_SUCCESS"}
    # The marts' step materialized each mart for each month, from the one invocation's events.
    marts = {(e.asset_key.path[-1], e.partition) for e in first.get_asset_materialization_events()
             if e.step_key == "svcmon_dbt_period_marts"}
    assert ("fct_indicator_progress", FIRST) in marts and ("fct_talent", LAST) in marts
    assert len(marts) == 10 * 2  # ten period marts, two months
    checks = query(home, "SELECT period, count(*) FROM quality.check_results WHERE source = 'dbt' "
                         "AND run_id = ? GROUP BY period ORDER BY period", [first.run_id])
    assert checks == [(FIRST, PERIOD_MART_TESTS), (LAST, PERIOD_MART_TESTS)]


def test_a_failing_period_mart_test_fails_the_marts_step_and_only_their_tests_are_recorded(built):
    home, first = built
    from ingest import landing

    con = landing.connect()
    try:
        con.execute("INSERT INTO marts.fct_indicator_progress SELECT * FROM marts.fct_indicator_progress "
                    "WHERE period = ? ORDER BY indicator_id LIMIT 1", [FIRST])
    finally:
        con.close()

    run = run_job("build_job", LAST, LAST)

    assert not run.success
    assert _step_outcomes(run) == {"land_inbox": "STEP_SUCCESS", "svcmon_dbt_reference_and_staging": "STEP_SUCCESS",
                                   "svcmon_dbt_period_marts": "STEP_FAILURE"}
    message = failure_message(run)
    assert message.startswith("svcmon_dbt_period_marts: ") and f"dbt build failed for {LAST}..{LAST}" in message
    assert len(_dbt_invocations(home)) == 2  # one per build run
    recorded = query(home, "SELECT check_id, period FROM quality.check_results WHERE run_id = ?", [run.run_id])
    assert {period for _c, period in recorded} == {LAST}
    # Period marts' tests only, as the clean build recorded them (no staging or dims' test); those
    # below the failed test's mart were skipped by dbt and are not recorded.
    clean = {check_id for (check_id,) in query(home, "SELECT check_id FROM quality.check_results "
                                                     "WHERE run_id = ? AND period = ?", [first.run_id, LAST])}
    assert UNIQUE_KEY_TEST in {check_id for check_id, _p in recorded} <= clean
    assert "dbt.not_null_fct_talent_period" in {check_id for check_id, _p in recorded}  # a mart not below it
    # February's rows (the copy included) are not March's build's to rewrite.
    assert query(home, "SELECT count(*) - count(DISTINCT indicator_id) FROM marts.fct_indicator_progress "
                       "WHERE period = ?", [FIRST]) == [(1,)]
