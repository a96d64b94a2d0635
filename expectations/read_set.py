"""Reading the read set: which vintages the numbers of a period read (ARCHITECTURE.md round two).

The rules live in dbt: each feed declares its rules in `ingest/registry.py` (`Feed.reads`, generated
into the seed `ref_feed_reads`), `int_read_set` applies them to `raw.current_vintages` (a view: what
a period reads *now*) and `fct_read_set` captures that view in the dbt run that builds the marts
(what the built marts *did* read, with the as-of date of that build). Python never applies a rule:

- the gate judges every current vintage of the live read set (an error in any blocks the period);
- publication records the captured set as `input_vintages` and publishes only while it equals the
  live one (`is_current`): a file landed after the build means the marts must be built again;
- a run and the inbox sensor work on every period a new vintage touches (`periods_touched`).

Before dbt has built the view (a warehouse only landed into) a period reads its own files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ingest.warehouse import Warehouse

LIVE_RELATION = ("intermediate", "int_read_set")
CAPTURED_RELATION = ("marts", "fct_read_set")
# One input vintage, as publication_log.input_vintages stores it (`period` = the file's period).
VINTAGE_KEYS = ("feed_id", "scope", "period", "file_sha256")


def _sorted(rows: Iterable[tuple]) -> list[dict]:
    vintages = [dict(zip(VINTAGE_KEYS, (feed, scope or "", period, sha), strict=True))
                for feed, scope, period, sha in rows]
    return sorted(vintages, key=lambda v: tuple(str(v[k]) for k in VINTAGE_KEYS))


def live_read_set(con: Warehouse, period: str) -> list[dict]:
    """The current vintages the numbers of `period` read now, sorted (`VINTAGE_KEYS`)."""
    if con.table_exists(*LIVE_RELATION):
        return _sorted(con.execute(
            "SELECT feed_id, scope, input_period, file_sha256 FROM intermediate.int_read_set WHERE period = ?",
            [period]).fetchall())
    if not con.table_exists("raw", "current_vintages"):
        return []
    return _sorted(con.execute(
        "SELECT feed_id, scope, period, file_sha256 FROM raw.current_vintages WHERE period = ?", [period]).fetchall())


def captured_read_set(con: Warehouse, period: str) -> list[dict] | None:
    """The vintages the marts of `period` were built from (None: its marts were never built)."""
    if not con.table_exists(*CAPTURED_RELATION):
        return None
    rows = con.execute(
        "SELECT feed_id, scope, input_period, file_sha256 FROM marts.fct_read_set WHERE period = ?",
        [period]).fetchall()
    return _sorted(rows) if rows else None


def captured_as_of(con: Warehouse, period: str) -> dt.date | None:
    """The as-of date the marts of `period` were built with (None: never built)."""
    if not con.table_exists(*CAPTURED_RELATION):
        return None
    return con.execute("SELECT max(as_of_date) FROM marts.fct_read_set WHERE period = ?", [period]).fetchone()[0]


def is_current(con: Warehouse, period: str) -> bool:
    """The marts of `period` were built from exactly the vintages it reads now."""
    captured = captured_read_set(con, period)
    return captured is not None and captured == live_read_set(con, period)


def periods_touched(con: Warehouse, files: Iterable[tuple[str, str]]) -> list[str]:
    """Every period whose numbers or checks a new vintage of (feed_id, period) touches: its own
    period; each later period whose read set reads the feed at or before that period (so a file
    for a period not landed before counts where it will be read, e.g. a quarter carried forward);
    and the next period with a file of the feed, whose checks compare it with this one."""
    files = sorted(set(files))
    touched = {period for _feed, period in files}
    if not files or not con.table_exists("raw", "current_vintages"):
        return sorted(touched)
    for feed_id, period in files:
        if con.table_exists(*LIVE_RELATION):
            touched.update(p for (p,) in con.execute(
                "SELECT DISTINCT period FROM intermediate.int_read_set "
                "WHERE feed_id = ? AND input_period <= ? AND period > ?", [feed_id, period, period]).fetchall())
        following = con.execute(
            "SELECT min(period) FROM raw.current_vintages WHERE feed_id = ? AND period > ?",
            [feed_id, period]).fetchone()[0]
        if following is not None:
            touched.add(following)
    return sorted(touched)


def unchecked_files(con: Warehouse) -> list[tuple[str, str]]:
    """(feed_id, period) of every current vintage no check has judged yet: landed since the last run."""
    if not con.table_exists("raw", "current_vintages"):
        return []
    checked = ("AND file_sha256 NOT IN (SELECT file_sha256 FROM quality.check_results WHERE file_sha256 IS NOT NULL)"
               if con.table_exists("quality", "check_results") else "")
    return [tuple(r) for r in con.execute(
        f"SELECT DISTINCT feed_id, period FROM raw.current_vintages WHERE 1 = 1 {checked} ORDER BY 1, 2").fetchall()]


def periods_to_check(con: Warehouse, periods: Iterable[str]) -> list[str]:
    """`periods` and the periods of every file their read sets hold that no check has judged yet."""
    wanted = set(periods)
    pending = set(unchecked_files(con))
    for period in list(wanted):
        wanted.update(v["period"] for v in live_read_set(con, period) if (v["feed_id"], v["period"]) in pending)
    return sorted(wanted)
