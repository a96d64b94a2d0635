"""The inbox sensor: stable new files start runs for the periods they touch, once."""

from __future__ import annotations

import os
import time

from orchestration import inbox_watch

CSV = "指标名称,增速,占比\n固定资产投资,5.0,100\n服务业投资,8.5,67.0\n"


def test_new_stable_files_touch_their_periods_once(tmp_path, home):  # home: an empty register
    inbox = tmp_path / "inbox"
    (inbox / "stats_fai").mkdir(parents=True)
    may = inbox / "stats_fai" / "固定资产投资202405.csv"
    may.write_text(CSV, encoding="utf-8")
    old = time.time() - 60
    os.utime(may, (old, old))
    fresh = inbox / "stats_fai" / "固定资产投资202406.csv"
    fresh.write_text(CSV.replace("8.5", "8.7"), encoding="utf-8")  # still being written: left alone
    (inbox / "stats_fai" / "~$固定资产投资202407.xlsx").write_text("lock")

    periods, cursor = inbox_watch.new_periods(None, inbox)
    assert [p for p, _ in periods] == ["2024-05"]

    os.utime(fresh, (old, old))
    periods, cursor = inbox_watch.new_periods(cursor, inbox)
    assert [p for p, _ in periods] == ["2024-06"]  # May is in the cursor already
    assert inbox_watch.new_periods(cursor, inbox)[0] == []


def test_unreadable_or_unknown_files_touch_no_period(tmp_path, home):
    inbox = tmp_path / "inbox"
    (inbox / "stats_fai").mkdir(parents=True)
    (inbox / "nowhere").mkdir()
    old = time.time() - 60
    for path, text in [(inbox / "stats_fai" / "无期别.csv", CSV), (inbox / "nowhere" / "x202405.csv", CSV)]:
        path.write_text(text, encoding="utf-8")
        os.utime(path, (old, old))
    assert inbox_watch.new_periods(None, inbox)[0] == []


def test_the_sensor_starts_one_monthly_run_per_period_new_files_touch(home):
    from dagster import DagsterInstance, SkipReason, build_sensor_context

    from orchestration.runs import load_definitions
    from tests.conftest import prepare_dbt_project, write_feed_file

    prepare_dbt_project()
    defs = load_definitions()
    sensor = defs.resolve_sensor_def("inbox_sensor")
    old = time.time() - 60
    for name, growth in [("固定资产投资202405.csv", "8.5"), ("固定资产投资202406.csv", "8.7")]:
        path = write_feed_file(home / "inbox", "stats_fai", name, CSV.replace("8.5", growth))
        os.utime(path, (old, old))

    assert sensor.job_name == "monthly_publication_job"
    with DagsterInstance.ephemeral() as instance:
        first = build_sensor_context(instance=instance, cursor=None, definitions=defs)
        requests = sensor(first)
        assert sorted(r.partition_key for r in requests) == ["2024-05", "2024-06"]
        # The cursor remembers the files: the next tick starts nothing.
        again = build_sensor_context(instance=instance, cursor=first.cursor, definitions=defs)
        assert isinstance(sensor(again), SkipReason)
