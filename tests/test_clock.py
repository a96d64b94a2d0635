"""Stored times follow one rule: the deployment zone's wall clock, whatever zone the server runs in."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from ingest import clock


def test_stored_times_are_shanghai_wall_clock_on_a_server_in_utc_or_new_york():
    code = "from ingest import clock; print(clock.now().isoformat())"
    for server_zone in ("UTC", "America/New_York"):
        env = {**os.environ, "TZ": server_zone}
        env.pop("SVCMON_TIMEZONE", None)
        before = dt.datetime.now(dt.UTC)
        printed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                 check=True).stdout.strip()
        after = dt.datetime.now(dt.UTC)
        stored = dt.datetime.fromisoformat(printed)
        assert stored.tzinfo is None
        # Shanghai is UTC+8 all year (no summer time).
        assert before.replace(tzinfo=None) + dt.timedelta(hours=8) <= stored <= after.replace(tzinfo=None) + dt.timedelta(hours=8)


def test_times_read_as_people_read_them():
    assert clock.fmt_datetime(dt.datetime(2026, 12, 2, 1, 39, 42, 176253)) == "2026年12月2日 01:39"
    assert clock.fmt_datetime("2026-12-02T01:39:42") == "2026年12月2日 01:39"
    assert clock.fmt_datetime(dt.date(2024, 4, 5)) == "2024年4月5日"
    assert clock.fmt_datetime(None) == "—" and clock.fmt_datetime(float("nan")) == "—"
