"""What the inbox sensor sees: stable files not seen before, and the periods they touch.

A file still being written (modified in the last STABLE_SECONDS) is left alone; a file
is new when its sha256 is not in the cursor. The first cursor is the file register: turning the
sensor on over a populated inbox starts nothing for files already landed (or rejected). Reading a
file to learn its period does not land it: the run the sensor starts does that.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ingest import landing, settings
from ingest.errors import FeedRejection
from ingest.reader import read_feed_file
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
    return [(p, f) for p, f in landing.scan_inbox(inbox) if now - p.stat().st_mtime >= STABLE_SECONDS]


def new_periods(cursor: str | None, inbox: Path | None = None, now: float | None = None
                ) -> tuple[list[tuple[str, str]], str]:
    """[(period, file sha prefix)] for new stable files, and the cursor to store."""
    seen: list[str] = json.loads(cursor) if cursor else registered_files()
    known = set(seen)
    touched: dict[str, str] = {}
    for path, feed_id in stable_files(inbox or settings.inbox_path(), now):
        sha = landing.sha256_of(path)
        if sha in known:
            continue
        known.add(sha)
        seen.append(sha)
        if feed_id is None:
            continue  # landing will reject it; no period to run
        try:
            period = read_feed_file(path, feed_id).period
        except FeedRejection:
            continue  # rejected files never block and touch no period
        touched.setdefault(period, sha[:12])
    return sorted(touched.items()), json.dumps(seen)
