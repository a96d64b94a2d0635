"""The read set declared in the registry (`Feed.reads`) against what the models really read.

Demo feeds of 2023-10..2024-03 (a year boundary: year ends and last year's lists matter) are built
once; then, in three rounds, revisions with changed numbers (values × 1.37, one row left out) land
for chosen (feed, period)s and the marts are built again. Every period whose mart rows changed must
hold a revised file in the read set captured with that build (marts.fct_read_set), and a feed that
reads its own period only must appear in no other period's set. Revisions of one round touch
disjoint declared periods where the calendar allows, so a change is traced to one file.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ingest import landing
from ingest.registry import FEEDS, get_feed
from publish.contract import PUBLISHED_MARTS
from tests.conftest import land_rows
from tests.dbt_fixtures import make_warehouse, query, run_dbt

pytestmark = pytest.mark.slow

FIRST, LAST = "2023-10", "2024-03"
VARS = {"as_of_date": "2024-05-01"}
# (feed, period, scope index among the period's scopes); one build per round.
ROUNDS = [
    [("stats_services", "2023-10", 0), ("training_records", "2023-11", 0), ("dept_task_progress", "2024-01", 0),
     ("tax_revenue", "2023-10", 0)],
    [("stats_employment", "2023-12", 0), ("supervision_items", "2023-10", 0), ("stats_fai", "2023-11", 0),
     ("stats_enterprises", "2024-03", 0)],
    [("major_projects", "2023-10", 0), ("innovation_zones", "2023-11", 0), ("enterprise_cultivation", "2023-12", 0),
     ("talent_registry", "2023-12", 0), ("annual_targets", "2024-01", 0)],
]
# A feed read by no published mart: its own period is in its read set all the same (an error in a
# file always blocks its period), so a revision changes nothing.
READ_BY_NO_MART = {"tax_revenue"}


def _fingerprints(db) -> dict[tuple[str, str], tuple]:
    out = {}
    for mart in PUBLISHED_MARTS:
        rows = query(db, f"SELECT * FROM marts.{mart}")
        by_period: dict[str, list] = {}
        for r in rows:
            by_period.setdefault(r["period"], []).append(tuple(sorted((k, repr(v)) for k, v in r.items())))
        out.update({(mart, p): tuple(sorted(v)) for p, v in by_period.items()})
    return out


def _revise(db, feed_id: str, period: str, scope_index: int) -> str:
    """Land a revision of the current file of (feed, period, one scope): numbers × 1.37, the last
    data row left out. Returns its sha256."""
    feed = get_feed(feed_id)
    scopes = [s for (s,) in (tuple(r.values()) for r in query(
        db, "SELECT DISTINCT scope FROM raw.current_vintages WHERE feed_id = ? AND period = ? ORDER BY 1",
        [feed_id, period]))]
    scope = scopes[scope_index]
    rows = query(db, f"""
        SELECT r.* FROM raw.{feed_id} r JOIN raw.current_vintages c
          ON c.feed_id = ? AND c.file_sha256 = r._file_sha256 AND c.period = r._period AND c.scope = r._scope
        WHERE r._period = ? AND r._scope = ? ORDER BY r._row_number""", [feed_id, period, scope])
    assert rows, (feed_id, period)
    numbers = [c.field for c in feed.columns if c.type in ("number", "integer")]
    revised = []
    for r in rows:
        row = {c.field: r[c.field] for c in feed.columns}
        row.update({f: r[f] * 1.37 + 1 for f in numbers if r[f] is not None})
        row.update(_row_number=r["_row_number"], _is_total=r["_is_total"])
        revised.append(row)
    data_rows = [i for i, r in enumerate(revised) if not r["_is_total"]]
    if len(data_rows) > 1:
        del revised[data_rows[-1]]
    con = landing.connect(db)
    try:
        return land_rows(con, feed_id, period, revised, received_at=dt.datetime.now(),
                         file_name=f"{feed_id}_{period}_修订.xlsx")
    finally:
        con.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from demo import generate_demo_feeds

    root = tmp_path_factory.mktemp("read_set")
    manifest = generate_demo_feeds(root / "inbox", FIRST, LAST, seed=7)
    db = make_warehouse(root)
    con = landing.connect(db)
    try:
        stated = {f.path: dt.date.fromisoformat(f.submitted_on) for f in manifest.files}
        results = landing.land_inbox(con, root / "inbox", archive_root=root / "archive", submitted_on=stated)
        assert all(r.status == "accepted" for r in results)
    finally:
        con.close()
    run_dbt(db, "build", "--resource-type", "seed", "--resource-type", "model", vars=VARS)
    return db


def test_every_declared_rule_is_exercised():
    declared = {f.feed_id for f in FEEDS.values()}
    assert {feed for round_ in ROUNDS for feed, _p, _s in round_} == declared


def test_a_period_whose_numbers_change_reads_the_revised_file(warehouse):
    db = warehouse
    before = _fingerprints(db)
    for round_ in ROUNDS:
        revised = {(feed, period): _revise(db, feed, period, scope) for feed, period, scope in round_}
        run_dbt(db, "run", vars=VARS)
        after = _fingerprints(db)
        changed = sorted({key for key in set(before) | set(after) if before.get(key) != after.get(key)})
        read = {}
        for r in query(db, "SELECT period, file_sha256 FROM marts.fct_read_set"):
            read.setdefault(r["period"], set()).add(r["file_sha256"])
        for mart, period in changed:
            assert read.get(period, set()) & set(revised.values()), (
                f"{mart} {period} changed but reads none of the revised files: {sorted(revised)}")
        changed_periods = {p for _m, p in changed}
        for (feed, period), sha in revised.items():
            reading = {p for p, shas in read.items() if sha in shas}
            assert period in reading, (feed, period)  # every feed reads its own period
            if feed not in READ_BY_NO_MART:
                assert period in changed_periods, f"{feed} {period}: the revision changed nothing it is read for"
            if FEEDS[feed].read_rules == ("own",):
                assert reading == {period}, f"{feed} declares its own period only, read by {sorted(reading)}"
        before = after
