"""What must survive the loss of the warehouse, kept as append-only files beside the archive
(ARCHITECTURE.md round two): `archive/_records/<kind>.jsonl`, one JSON object per line.

- `file_register`: every judged file (the register row, its archive path relative to the archive,
  and for an accepted file the scopes and vintage numbers it got);
- `publication_log`: every published version (gate result, override, input vintages, as-of date);
- `signoffs`: the statisticians' sign-offs; `acknowledgements`: acknowledged warnings, when the
  warehouse has them (`quality.acknowledgements`).

`sync_all` appends every row the warehouse holds that the files lack (never rewrites a line): the
pipeline calls it after landing and with every publication, so a version's inputs and its log row
are on disk by the time the version is published. With the archive, these files are all
`svcmon rebuild --all` needs to recreate every published version (orchestration/rebuild.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from ingest import settings
from ingest.warehouse import Warehouse

RECORDS_DIR = "_records"
# kind -> (schema, table) of the warehouse rows it keeps (the register is assembled below).
TABLES: dict[str, tuple[str, str]] = {
    "publication_log": ("published", "publication_log"),
    "signoffs": ("quality", "signoffs"),
    "acknowledgements": ("quality", "acknowledgements"),
}
KINDS = ("file_register", *TABLES)


def records_path(archive_root: Path | None = None) -> Path:
    return Path(archive_root or settings.archive_path()) / RECORDS_DIR


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _line(record: dict) -> str:
    return json.dumps({k: _plain(v) for k, v in record.items()}, ensure_ascii=False, sort_keys=True, default=str)


def read(kind: str, archive_root: Path | None = None) -> list[dict]:
    """The records of `kind`, in the order they were appended."""
    path = records_path(archive_root) / f"{kind}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def append(kind: str, records: list[dict], archive_root: Path | None = None) -> int:
    """Append the records not already in the file (same content); returns how many were new."""
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}; known: {', '.join(KINDS)}")
    folder = records_path(archive_root)
    path = folder / f"{kind}.jsonl"
    known = set(path.read_text(encoding="utf-8").splitlines()) if path.exists() else set()
    new = [line for line in dict.fromkeys(_line(r) for r in records) if line not in known]
    if not new:
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("".join(f"{line}\n" for line in new))
        fh.flush()
        os.fsync(fh.fileno())
    return len(new)


def register_records(con: Warehouse, archive_root: Path | None = None) -> list[dict]:
    """The file register as records, in landing order: each row with its archive path relative to
    the archive and, for an accepted file, the (scope, period, vintage) it got."""
    if not con.table_exists("raw", "file_register"):
        return []
    root = Path(archive_root or settings.archive_path()).resolve()
    vintages: dict[tuple[str, str], list[dict]] = {}
    for feed_id, sha, scope, period, vintage in con.execute(
            "SELECT feed_id, file_sha256, scope, period, vintage FROM raw.vintages ORDER BY scope").fetchall():
        vintages.setdefault((feed_id, sha), []).append({"scope": scope, "period": period, "vintage": vintage})
    records = []
    for row in con.execute("SELECT * FROM raw.file_register ORDER BY received_at, file_sha256").records():
        path = row.get("archive_path")
        if path:
            try:
                row["archive_path"] = Path(path).resolve().relative_to(root).as_posix()
            except ValueError:
                pass  # outside this archive: kept as it was
        if row["status"] == "accepted":
            row["vintages"] = vintages.get((row["feed_id"], row["file_sha256"]), [])
        records.append(row)
    return records


def table_records(con: Warehouse, kind: str) -> list[dict]:
    schema, table = TABLES[kind]
    if not con.table_exists(schema, table):
        return []
    order = {"publication_log": " ORDER BY published_at, period, version",
             "signoffs": " ORDER BY signed_at"}.get(kind, "")
    return con.execute(f"SELECT * FROM {schema}.{table}{order}").records()


def sync_all(con: Warehouse, archive_root: Path | None = None) -> dict[str, int]:
    """Append to the files every row of the warehouse they lack; returns new lines per kind."""
    written = {"file_register": append("file_register", register_records(con, archive_root), archive_root)}
    for kind in TABLES:
        written[kind] = append(kind, table_records(con, kind), archive_root)
    return written
