"""Landing: inbox → immutable archive → file register → `raw.<feed_id>` in the warehouse
(DuckDB or PostgreSQL, `ingest.warehouse`).

One file is one transaction: a rejection or a crash leaves nothing of it in `raw`.
The same bytes accepted twice for a feed are a no-op; a rejected file's bytes are
judged afresh wherever they arrive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ingest import database, reference, settings, warehouse
from ingest.errors import FeedRejection
from ingest.reader import ParsedFile, read_feed_file
from ingest.registry import FEEDS, Feed, raw_table_columns
from ingest.warehouse import Warehouse

ALLOWED_SUFFIXES = (".xlsx", ".xls", ".csv")

# Landing's own tables: (column, storage kind, constraint) for Warehouse.create_table.
REGISTER_COLUMNS = (
    ("file_sha256", "text", "NOT NULL"),
    ("feed_id", "text", ""),
    ("file_name", "text", "NOT NULL"),
    ("archive_path", "text", ""),
    ("sheet", "text", ""),
    ("period", "text", ""),
    ("status", "text", "NOT NULL"),
    ("reason", "text", ""),
    ("received_at", "timestamp", "NOT NULL"),
    ("submitted_on", "date", ""),
    ("row_count", "integer", ""),
)

VINTAGES_COLUMNS = (
    ("feed_id", "text", "NOT NULL"),
    ("period", "text", "NOT NULL"),
    ("scope", "text", "NOT NULL"),
    ("file_sha256", "text", "NOT NULL"),
    ("vintage", "integer", "NOT NULL"),
    ("received_at", "timestamp", "NOT NULL"),
)


# "The latest accepted vintage of each scope" (FEEDS.md "Identity, scope and vintages"): the one
# home of that rule. dbt (source raw.current_vintages: staging, the periods spine), the checks, the
# gate and publication read this view. raw.vintages holds accepted files only (a rejected file
# never gets a vintage); the highest vintage of a scope is current, a later arrival breaking a tie.
CURRENT_VINTAGES_DDL = """
CREATE OR REPLACE VIEW raw.current_vintages AS
SELECT feed_id, period, scope, file_sha256, vintage, received_at
FROM (
    SELECT feed_id, period, scope, file_sha256, vintage, received_at,
           row_number() OVER (PARTITION BY feed_id, period, scope
                              ORDER BY vintage DESC, received_at DESC, file_sha256 DESC) AS vintage_rank
    FROM raw.vintages
) AS ranked
WHERE vintage_rank = 1"""


@dataclass
class LandingResult:
    file_name: str
    feed_id: str | None
    status: str  # accepted | rejected | duplicate
    sha256: str | None = None
    period: str | None = None
    scopes: tuple[str, ...] = ()
    vintage: int | None = None
    rows: int = 0
    reason: str | None = None


def connect(path: Path | str | None = None) -> Warehouse:
    """The warehouse (`path`, else `SVCMON_WAREHOUSE_URL` / `$SVCMON_HOME`), with the raw schema in place."""
    con = warehouse.connect(path)
    ensure_raw_schema(con)
    return con


def ensure_raw_schema(con: Warehouse) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.create_table("raw.file_register", REGISTER_COLUMNS)
    con.create_table("raw.vintages", VINTAGES_COLUMNS)
    con.execute(CURRENT_VINTAGES_DDL)
    for feed in FEEDS.values():
        con.create_table(f"raw.{feed.feed_id}", raw_table_columns(feed))
        _add_missing_columns(con, feed)
    database.grant_table_privileges(con)


def _add_missing_columns(con: Warehouse, feed: Feed) -> None:
    """A warehouse landed before a registry column existed gets it; a new `<field>_canonical`
    is filled from the names as written, so older vintages read like new ones."""
    present = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ?",
        [feed.feed_id]).fetchall()}
    for name, kind in raw_table_columns(feed):
        if name in present:
            continue
        con.execute(f'ALTER TABLE raw.{feed.feed_id} ADD COLUMN "{name}" {con.sql_type(kind)}')
        column = next((c for c in feed.department_columns if c.canonical_field == name), None)
        if column is None:
            continue
        written = [r[0] for r in con.execute(
            f'SELECT DISTINCT "{column.field}" FROM raw.{feed.feed_id} WHERE "{column.field}" IS NOT NULL'
        ).fetchall()]
        for value in written:
            if (canonical := reference.canonical_department(value)) is not None:
                con.execute(f'UPDATE raw.{feed.feed_id} SET "{name}" = ? WHERE "{column.field}" = ?',
                            [canonical, value])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def scan_inbox(inbox: Path) -> list[tuple[Path, str | None]]:
    """Every candidate file with the feed its folder names (None: not in a known feed folder).
    Excel lock files (`~$…`) and hidden files are not submissions."""
    found: list[tuple[Path, str | None]] = []
    if not inbox.exists():
        return found
    for path in sorted(inbox.rglob("*")):
        rel = path.relative_to(inbox)
        if not path.is_file() or any(part.startswith((".", "~$")) for part in rel.parts):
            continue
        feed_id = rel.parts[0] if len(rel.parts) == 2 and rel.parts[0] in FEEDS else None
        found.append((path, feed_id))
    return found


def scope_of(feed: Feed, row: Mapping) -> str:
    """A row's scope: its canonical 填报单位 in multi-department feeds (the name normalised
    when it does not resolve), '' otherwise."""
    if not feed.scope_field:
        return ""
    written = row.get(feed.scope_field) or ""
    return reference.canonical_department(written) or reference.normalise_name(written)


def derived_values(feed: Feed, row: Mapping) -> dict[str, str | None]:
    """What landing stores beside a parsed row's own fields: each department column's canonical
    name (`<field>_canonical`, None when it does not resolve) and the row's `_scope`. Department
    names are resolved here once; staging and the checks read the stored columns."""
    values = {c.canonical_field: reference.canonical_department(row.get(c.field)) for c in feed.department_columns}
    values["_scope"] = scope_of(feed, row)
    return values


def _already_accepted(con: Warehouse, feed_id: str, sha: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM raw.file_register WHERE feed_id = ? AND file_sha256 = ? AND status = 'accepted'",
        [feed_id, sha],
    ).fetchone()[0])


def _register(con, *, sha, feed_id, file_name, archive, sheet, period, status, reason,
              received_at, submitted_on, row_count) -> None:
    con.execute(
        "INSERT INTO raw.file_register VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [sha, feed_id, file_name, archive, sheet, period, status, reason, received_at, submitted_on, row_count],
    )


def _archive(path: Path, feed_id: str, sha: str, archive_root: Path) -> Path:
    target = archive_root / feed_id / f"{sha}{path.suffix.lower()}"
    if not target.exists():  # never overwritten: same name means same bytes
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    return target


def _raw_arrow(feed: Feed, parsed: ParsedFile, sha: str, scopes: list[str], ingested_at: dt.datetime) -> pa.Table:
    columns = raw_table_columns(feed)
    lineage = {
        "_feed_id": feed.feed_id,
        "_file_sha256": sha,
        "_file_name": parsed.file_name,
        "_sheet": parsed.sheet,
        "_period": parsed.period,
        "_ingested_at": ingested_at,
    }
    data: dict[str, list] = {name: [] for name, _ in columns}
    for row, scope in zip(parsed.rows, scopes, strict=True):
        derived = {**derived_values(feed, row), "_scope": scope}
        for name, _ in columns:
            if name in derived:
                data[name].append(derived[name])
            elif name in lineage:
                data[name].append(lineage[name])
            else:
                data[name].append(row.get(name))
    return pa.table(data)


def land_file(
    con: Warehouse,
    path: Path,
    feed_id: str | None,
    *,
    archive_root: Path | None = None,
    received_at: dt.datetime | None = None,
    submitted_on: dt.date | None = None,
    file_name: str | None = None,
) -> LandingResult:
    """Judge and land one file. Never raises for bad input: the result says why.

    `file_name` is the name the department gave the file when `path` is another copy of it
    (an archive copy being re-landed): lineage and the period in the name come from it.
    """
    received_at = received_at or dt.datetime.now()
    archive_root = archive_root or settings.archive_path()
    name = file_name or path.name

    sha = sha256_of(path)

    def reject(reason: str) -> LandingResult:
        seen = con.execute(
            "SELECT count(*) FROM raw.file_register WHERE file_sha256 = ? AND feed_id IS NOT DISTINCT FROM ?"
            " AND file_name = ? AND status = 'rejected' AND reason = ?",
            [sha, feed_id, name, reason],
        ).fetchone()[0]
        if not seen:  # the same verdict on the same file is recorded once
            _register(con, sha=sha, feed_id=feed_id, file_name=name, archive=None, sheet=None, period=None,
                      status="rejected", reason=reason, received_at=received_at,
                      submitted_on=submitted_on or received_at.date(), row_count=0)
        return LandingResult(name, feed_id, "rejected", sha, reason=reason)

    if feed_id is None:
        return reject(FeedRejection(
            "文件不在已知报表目录中（收件箱应为 inbox/<报表代码>/文件）",
            f"file is not in a known feed folder (expected inbox/<feed_id>/<file>; feeds: {', '.join(FEEDS)})",
            file_name=name).message)
    if path.suffix.lower() not in ALLOWED_SUFFIXES:
        return reject(FeedRejection(
            f"不支持的文件类型「{path.suffix or '无扩展名'}」，请报送 .xlsx、.xls 或 .csv 文件",
            f"file type {path.suffix or '(none)'!r} is not accepted; send .xlsx, .xls or .csv",
            file_name=name).message)

    if _already_accepted(con, feed_id, sha):
        return LandingResult(name, feed_id, "duplicate", sha, reason="相同文件已接收 / same bytes already accepted")

    try:
        parsed = read_feed_file(path, feed_id, file_name=name)
    except FeedRejection as exc:
        return reject(exc.message)

    archive = _archive(path, feed_id, sha, archive_root)
    return land_parsed(con, parsed, sha256=sha, archive_path=str(archive), received_at=received_at,
                       submitted_on=submitted_on)


def land_parsed(
    con: Warehouse,
    parsed: ParsedFile,
    *,
    sha256: str,
    archive_path: str | None = None,
    received_at: dt.datetime | None = None,
    submitted_on: dt.date | None = None,
) -> LandingResult:
    """Land a file's rows once read (`read_feed_file`'s result): the next vintage of every scope
    it covers, its rows in `raw.<feed_id>` and its register row, in one transaction.

    `land_file` calls it for every file it accepts; tests that write rows rather than files call
    it too, so both share one path. The caller vouches that `sha256` names bytes not accepted yet.
    """
    feed_id, sha, name, archive = parsed.feed_id, sha256, parsed.file_name, archive_path
    feed = FEEDS[feed_id]
    received_at = received_at or dt.datetime.now()
    scopes = [scope_of(feed, row) for row in parsed.rows]
    file_scopes = sorted(set(scopes)) if feed.scope_field else [""]
    effective_submission = submitted_on or parsed.reported_on or received_at.date()
    ingested_at = dt.datetime.now()

    with con.transaction():
        vintages = []
        for scope in file_scopes:
            vintage = con.execute(
                "SELECT coalesce(max(vintage), 0) + 1 FROM raw.vintages WHERE feed_id = ? AND period = ? AND scope = ?",
                [feed_id, parsed.period, scope],
            ).fetchone()[0]
            con.execute("INSERT INTO raw.vintages VALUES (?, ?, ?, ?, ?, ?)",
                        [feed_id, parsed.period, scope, sha, vintage, received_at])
            vintages.append(vintage)
        if parsed.rows:
            con.insert_arrow(f"raw.{feed_id}", _raw_arrow(feed, parsed, sha, scopes, ingested_at))
        _register(con, sha=sha, feed_id=feed_id, file_name=name, archive=archive, sheet=parsed.sheet,
                  period=parsed.period, status="accepted", reason=None, received_at=received_at,
                  submitted_on=effective_submission, row_count=len(parsed.rows))
    return LandingResult(name, feed_id, "accepted", sha, parsed.period, tuple(file_scopes),
                         max(vintages), len(parsed.rows))


def land_inbox(
    con: Warehouse,
    inbox: Path | None = None,
    *,
    archive_root: Path | None = None,
    submitted_on: dict[str, dt.date] | None = None,
    only: Callable[[Path, str | None], bool] | None = None,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> list[LandingResult]:
    """Land every file present in the inbox, in name order.

    `submitted_on` maps a path relative to the inbox (posix) to its stated submission date.
    """
    inbox = inbox or settings.inbox_path()
    candidates = [c for c in scan_inbox(inbox) if only is None or only(*c)]
    results = []
    for path, feed_id in (progress(candidates) if progress else candidates):
        stated = (submitted_on or {}).get(path.relative_to(inbox).as_posix())
        results.append(land_file(con, path, feed_id, archive_root=archive_root, submitted_on=stated))
    return results
