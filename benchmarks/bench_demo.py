"""Benchmark: the `svcmon demo` path end to end (target < 3 min here), with the share spent in
ingest, dbt, checks/publication, reports and Dagster itself, and the ratio of one incremental
month to the full 24-month build. Run on purpose:

    python benchmarks/bench_demo.py
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def step_seconds(instance, run) -> dict[str, float]:
    """Wall seconds per step of a finished run, from its event log timestamps."""
    started: dict[str, float] = {}
    spent: dict[str, float] = defaultdict(float)
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            spent[event.step_key] += entry.timestamp - started.pop(event.step_key)
    return spent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SVCMON_HOME"] = str(Path(tmp) / "home")
        from demo import generate_demo_feeds
        from ingest import landing, settings
        from ingest.registry import month_range
        from orchestration.runs import execute_range
        from orchestration.runs import instance as dagster_instance

        instance = dagster_instance()

        def run(job: str, first: str, last: str):
            return execute_range(job, first, last, instance=instance)

        periods = month_range("2023-01", "2024-12")
        total0 = time.perf_counter()
        t0 = time.perf_counter()
        manifest = generate_demo_feeds(settings.inbox_path(), periods[0], periods[-1], seed=7)
        stated = {f.path: dt.date.fromisoformat(f.submitted_on) for f in manifest.files}
        con = landing.connect()
        landing.land_inbox(con, submitted_on=stated)
        con.close()
        ingest_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        build = run("build_job", periods[0], periods[-1])
        build_s = time.perf_counter() - t0
        steps = step_seconds(instance, build)
        dbt_s = sum(v for k, v in steps.items() if "dbt" in k)
        landing_assets_s = steps.get("land_inbox", 0.0)

        # As the CLI does: the range's checks and publication in one run (each month's gate its own).
        t0 = time.perf_counter()
        publish_steps = sum(step_seconds(instance, run("publish_job", periods[0], periods[-1])).values())
        publish_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        report_steps = sum(step_seconds(instance, run("report_job", "2024-12", "2024-12")).values())
        reports_s = time.perf_counter() - t0
        total_s = time.perf_counter() - total0

        dagster_s = total_s - ingest_s - landing_assets_s - dbt_s - publish_steps - report_steps
        print(f"demo end to end: {total_s:.0f} s (target < 180 s); build ok: {build.success}")
        for label, seconds in [("ingest (generate + land)", ingest_s + landing_assets_s), ("dbt", dbt_s),
                               ("checks + publication (24 months)", publish_steps), ("reports", report_steps),
                               ("Dagster itself (runs, events, storage)", dagster_s)]:
            print(f"  {label:40s} {seconds:6.1f} s  {100 * seconds / total_s:5.1f} %")
        print(f"  (publish phase wall {publish_s:.1f} s, reports wall {reports_s:.1f} s)")

        t0 = time.perf_counter()
        one = run("build_job", "2024-12", "2024-12")
        one_s = time.perf_counter() - t0
        print(f"incremental month build: {one_s:.1f} s vs full 24-month build {build_s:.1f} s "
              f"= {one_s / build_s:.2f} (ok: {one.success})")


if __name__ == "__main__":
    main()
