"""A month whose files just arrived rebuilds only its own partition: `svcmon run --period 2024-03` on
a warehouse that holds January and February (demo feeds, built, checked, published) leaves every
row of the earlier months in the partitioned marts as it was (a marker the test writes into them
survives), re-checks only March and publishes only March. The check and publication of several
months in one run still publishes each month whose own gate passes (see also test_publication_trust).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from typer.testing import CliRunner

from tests.conftest import prepare_dbt_project, query, records, svcmon_home

pytestmark = pytest.mark.slow

AS_OF = "2024-04-25"  # March's department files and statistics are all due
MARKER = "written by the test, not by dbt"


def cli(*args: str):
    from orchestration.cli import app

    return CliRunner().invoke(app, list(args))


def land(manifest, source, periods: set[str]) -> None:
    """Copy the demo files of `periods` into the inbox and land them on their stated days."""
    from ingest import landing, settings

    stated = {}
    for f in manifest.files:
        if f.period in periods:
            target = settings.inbox_path() / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / f.path, target)
            stated[f.path] = dt.date.fromisoformat(f.submitted_on)
    con = landing.connect()
    try:
        landing.land_inbox(con, submitted_on=stated)
    finally:
        con.close()


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    from demo import generate_demo_feeds

    root = tmp_path_factory.mktemp("partition")
    with svcmon_home(root) as home, pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)  # the CLI's own instance, under the home
        prepare_dbt_project()
        source = root / "feeds"
        manifest = generate_demo_feeds(source, "2024-01", "2024-03", seed=7)

        land(manifest, source, {"2024-01", "2024-02"})
        first = cli("run", "--from", "2024-01", "--to", "2024-02", "--as-of", AS_OF)
        assert first.exit_code == 0, first.output
        before = {
            "progress": records(home, "SELECT * FROM marts.fct_indicator_progress ORDER BY period, indicator_id"),
            "checks": query(home, "SELECT period, count(*), count(DISTINCT run_id), max(checked_at) "
                                  "FROM quality.check_results GROUP BY period ORDER BY period"),
            "published": query(home, "SELECT period, version FROM published.publication_log ORDER BY 1, 2"),
        }
        # What dbt would overwrite if it rebuilt January or February.
        from ingest import landing

        con = landing.connect()
        try:
            con.execute("UPDATE marts.fct_indicator_progress SET light_reason = ?", [MARKER])
        finally:
            con.close()

        land(manifest, source, {"2024-03"})
        second = cli("run", "--period", "2024-03", "--as-of", AS_OF)
        assert second.exit_code == 0, second.output
        yield home, before


def test_the_earlier_months_keep_their_rows_and_march_is_built(months):
    home, before = months
    after = records(home, "SELECT * FROM marts.fct_indicator_progress ORDER BY period, indicator_id")
    earlier = [r for r in after if r["period"] < "2024-03"]
    march = [r for r in after if r["period"] == "2024-03"]

    assert earlier and all(r["light_reason"] == MARKER for r in earlier)  # untouched: the marker stays
    # ...and apart from the marker, exactly the rows the first run built.
    assert [{**r, "light_reason": None} for r in earlier] == [{**r, "light_reason": None} for r in before["progress"]]
    assert march and not any(r["light_reason"] == MARKER for r in march)
    assert {r["indicator_id"] for r in march} == {r["indicator_id"] for r in earlier if r["period"] == "2024-02"}


def test_only_march_is_checked_and_published_again(months):
    home, before = months
    checks = query(home, "SELECT period, count(*), count(DISTINCT run_id), max(checked_at) "
                         "FROM quality.check_results GROUP BY period ORDER BY period")
    assert [c for c in checks if c[0] < "2024-03"] == before["checks"]
    assert [c[0] for c in checks if c[0] >= "2024-03"] == ["2024-03"]
    published = query(home, "SELECT period, version FROM published.publication_log ORDER BY 1, 2")
    assert published == [*before["published"], ("2024-03", 1)]
    assert before["published"] == [("2024-01", 1), ("2024-02", 1)]


def _partial_parse_refusals(home) -> list[list[str]]:
    """For each dbt invocation of the home, in order: the reasons dbt gave for parsing the whole
    project again instead of only what changed (partial parsing)."""
    import json

    logs = home / "dbt" / "logs"
    # dbt rotates its log at 10 MB: dbt.log.<n> (oldest highest), then dbt.log.
    files = sorted(logs.glob("dbt.log.*"), key=lambda f: -int(f.suffix[1:])) + [logs / "dbt.log"]
    invocations: dict[str, list[str]] = {}
    for line in (row for f in files for row in f.read_text(encoding="utf-8").splitlines()):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        reasons = invocations.setdefault(event["info"]["invocation_id"], [])
        if event["info"].get("code") == "I024":  # UnableToPartialParse
            reasons.append(event["data"]["reason"])
    return list(invocations.values())


def test_a_month_after_another_range_keeps_dbt_partial_parsing(months):
    """The run's months and as-of date reach dbt in the environment, not in --vars: another range
    re-parses only the files that read them, not the whole project; and a new home's first dbt
    command starts from the prepared parse (issue 12)."""
    home, _before = months
    invocations = _partial_parse_refusals(home)
    # Each run invokes dbt once: its first dbt step builds the period marts too (issue 12). Neither
    # parses the whole project, not even the new home's first: it starts from the package's prepared
    # parse, whose profile is every DuckDB home's (dbt runs in the warehouse's folder and the profile
    # names the file alone); March's starts from the first run's.
    assert invocations == [[], []]


def test_march_leaves_the_unchanged_reference_and_staging_nodes_alone(months):
    """The second run has the project of the first's complete build: dbt rebuilds only the tables
    built from feeds and what compiles in the as-of date, and runs every test of a node that reads
    feeds; seeds, the dims of seeds, views and the unit tests of these models stay as the first run
    left them (issue 12). The same invocation builds and tests March's period marts, their unit test too."""
    import json

    home, _before = months
    results = json.loads((home / "dbt" / "target" / "svcmon_dbt_reference_and_staging" / "run_results.json")
                         .read_text(encoding="utf-8"))["results"]
    ran = {r["unique_id"] for r in results}
    assert all(r["status"] in ("pass", "success") for r in results)
    assert not {u for u in ran if u.startswith("seed.")}
    assert {u for u in ran if u.startswith("unit_test.")} == {
        "unit_test.svcmon.fct_supervision_items.supervision_state_at_period_end"}  # a period mart's
    assert {"model.svcmon.fct_indicator_progress", "model.svcmon.fct_supervision_items"} <= ran
    assert "model.svcmon.dim_departments" not in ran  # from a seed only
    assert "model.svcmon.stg_major_projects__projects" not in ran  # a view: the same SQL
    assert not any(u.startswith("test.svcmon.not_null_ref_") for u in ran)  # a seed's tests
    # ...but the view's tests read March's feeds, and run.
    assert any(u.startswith("test.svcmon.not_null_columns_stg_major_projects__projects_") for u in ran)
    assert {"model.svcmon.fct_feed_completeness", "model.svcmon.dim_indicators"} <= ran  # as-of; a feed's table

    # The project was recorded by the first run's build (the complete one), not by March's.
    from dagster import RunsFilter

    from orchestration import runs

    builds = runs.instance().get_runs(filters=RunsFilter(job_name="build_job"))
    first_build = min(builds, key=lambda r: runs.instance().get_run_record_by_id(r.run_id).create_timestamp)
    assert len(builds) == 2
    (fingerprint, run_id), = query(home, "SELECT fingerprint, run_id FROM staging.dbt_build_state")
    assert run_id == first_build.run_id and len(fingerprint) == 64
