"""Round trip: the full 24-month demo inbox lands into a fresh home, every file is accepted,
and row counts and sums in raw.* equal what the generator says it wrote."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import PurePosixPath

import pytest

from demo import generate_demo_feeds
from ingest import landing

pytestmark = pytest.mark.slow


def test_demo_feeds_land_whole_and_match_the_manifest(home):
    inbox = home / "inbox"
    manifest = generate_demo_feeds(inbox, "2023-01", "2024-12", seed=7)
    con = landing.connect()
    results = landing.land_inbox(con, inbox, submitted_on={
        f.path: dt.date.fromisoformat(f.submitted_on) for f in manifest.files})

    # 661 monthly/quarterly/yearly files of the twelve feeds, and the 专班's 2024 target list.
    assert len(results) == len(manifest.files) == 662
    assert [f.period for f in manifest.files if f.feed_id == "annual_targets"] == ["2024-01"]
    assert {r.status for r in results} == {"accepted"}
    by_feed = defaultdict(list)
    for f in manifest.files:
        by_feed[f.feed_id].append(f)
    for feed_id, files in by_feed.items():
        for f in files:
            name = PurePosixPath(f.path).name
            [(rows, period, submitted)] = con.execute(
                "SELECT count(*) FILTER (NOT _is_total), any_value(_period), "
                "(SELECT submitted_on FROM raw.file_register WHERE file_name = ? AND feed_id = ?) "
                f"FROM raw.{feed_id} WHERE _file_name = ?", [name, feed_id, name]).fetchall()
            assert (rows, period) == (f.data_rows, f.period), f.path
            assert submitted == dt.date.fromisoformat(f.submitted_on)
            for column, expected in f.sums.items():
                [(total,)] = con.execute(f'SELECT sum("{column}") FROM raw.{feed_id} '
                                         "WHERE _file_name = ? AND NOT _is_total", [name]).fetchall()
                assert total == pytest.approx(expected, rel=1e-9, abs=1e-6), (f.path, column)
    # Landing the same inbox again changes nothing.
    again = landing.land_inbox(con, inbox)
    assert {r.status for r in again} == {"duplicate"}
    con.close()
