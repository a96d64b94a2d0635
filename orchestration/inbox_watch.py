"""What the inbox sensor sees: stable files not seen before, and the periods they touch.

A file still being written (modified in the last STABLE_SECONDS) is left alone; a file
is new when its sha256 is not in the cursor. Reading a file to learn its period does not
land it: the run the sensor starts does that. The sensor reads as landing does: in the
memory-limited reading child (`ingest.isolation`), so no file can stop the sensor, and never
through a link out of the inbox. The periods a file touches are its own and every
period whose read set reads it, or the next period its cross-period checks compare it with
(`expectations.read_set.periods_touched`, asked of the warehouse read-only; when the warehouse
cannot be opened, e.g. a run is writing it, the file's own period).
The first cursor is the file register: turning the sensor on over a populated inbox starts
nothing for files already landed (or rejected).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from expectations import read_set
from ingest import landing, settings, warehouse
from ingest.errors import FeedRejection
from ingest.isolation import read_isolated
from ingest.warehouse import connect as connect_warehouse

STABLE_SECONDS = 10.0


class WarehouseBusy(Exception):
    """The register could not be read now (a writer holds the warehouse): try at the next tick."""


def registered_files(warehouse: Path | None = None) -> list[str]:
    """sha256 of every file the register has judged (accepted or rejected)."""
    path = warehouse or settings.warehouse_path()
    if not path.exists():
        return []
    try:
        con = connect_warehouse(path, read_only=True)
    except Exception as exc:  # DuckDB refuses a reader while another process writes
        raise WarehouseBusy(f"数仓正被写入，下次再查 / the warehouse is being written; next tick ({exc})") from None
    try:
        if not con.table_exists("raw", "file_register"):
            return []
        return [sha for (sha,) in con.execute("SELECT DISTINCT file_sha256 FROM raw.file_register ORDER BY 1").fetchall()]
    finally:
        con.close()


def stable_files(inbox: Path, now: float | None = None) -> list[tuple[Path, str | None]]:
    now = time.time() if now is None else now
    return [(p, f) for p, f in landing.scan_inbox(inbox)
            if not landing.link_outside(p, inbox) and now - p.stat().st_mtime >= STABLE_SECONDS]


def new_periods(cursor: str | None, inbox: Path | None = None, now: float | None = None
                ) -> tuple[list[tuple[str, str]], str]:
    """[(period, file sha prefix)] for new stable files, and the cursor to store."""
    seen: list[str] = json.loads(cursor) if cursor else registered_files()
    known = set(seen)
    touched: dict[str, str] = {}
    inbox = inbox or settings.inbox_path()
    for path, feed_id in stable_files(inbox, now):
        try:
            sha = landing.sha256_of(path)
        except OSError:
            continue  # gone or unreadable since the scan: the next tick sees it again
        if sha in known:
            continue
        known.add(sha)
        seen.append(sha)
        if feed_id is None or path.suffix.lower() not in landing.ALLOWED_SUFFIXES:
            continue  # landing will reject it; no period to run
        try:
            period = read_isolated(path, feed_id, file_name=landing.display_name(path.name)).period
        except FeedRejection:
            continue  # rejected files never block and touch no period
        for touched_period in _periods_touched(feed_id, period):
            touched.setdefault(touched_period, sha[:12])
    return sorted(touched.items()), json.dumps(seen)


def _periods_touched(feed_id: str, period: str) -> list[str]:
    path = settings.warehouse_path()
    if not path.exists():
        return [period]
    try:
        con = warehouse.connect(path, read_only=True)
    except Exception:  # noqa: BLE001 - locked by a writing run: the file's own period still runs
        return [period]
    try:
        return read_set.periods_touched(con, [(feed_id, period)])
    finally:
        con.close()
