"""Landing: inbox → immutable archive → file register → `raw.<feed_id>` in the warehouse
(DuckDB or PostgreSQL, `ingest.warehouse`).

One file is one transaction: a rejection or a crash leaves nothing of it in `raw`.
The same bytes accepted twice for a feed are a no-op; a rejected file's bytes are
judged afresh wherever they arrive.

The archive is what was read: a file's bytes are read once, into a temporary copy in the
archive folder that is hashed while it is written, parsed (in the reading child process of
`ingest.isolation`, so no file can end the run) and renamed into place; a file that changed
while it was copied is left for the next run. A link out of the inbox is refused unread.

`land_inbox` reads ahead: while one file is written to the warehouse, the next ones are copied,
hashed and read by reading children of their own (`READ_AHEAD_WORKERS`), so the reading of big
files runs beside the writing, in the same order of landing and with the same verdicts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Callable, Container, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ingest import clock, database, faults, pii, reference, settings, warehouse
from ingest.errors import FeedRejection, FileWarning
from ingest.isolation import ReaderProcess, read_isolated
from ingest.reader import ParsedFile
from ingest.registry import FEEDS, PERSON_KEY, Feed, raw_table_columns
from ingest.warehouse import Warehouse

ALLOWED_SUFFIXES = (".xlsx", ".xls", ".csv")
# Files read ahead at once by `land_inbox` (one reading child each): the machine's two cores, one
# reading while the other reads or writes. Fewer candidates than this are landed one by one.
READ_AHEAD_WORKERS = 2

# Landing's own tables: (column, storage kind, constraint) for Warehouse.create_table.
REGISTER_TABLE = (
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
    ("claimed_on", "date", ""),  # the 填报日期 the file states: the department's claim
    ("file_name_bytes", "bytes", ""),  # the name exactly as the file system gave it
)
REGISTER_COLUMNS = tuple(name for name, *_ in REGISTER_TABLE)
# Columns added to the register after warehouses were first landed into (added on connect).
REGISTER_ADDED_COLUMNS = ("claimed_on", "file_name_bytes")

# What the reader read but did not take as it stood (FEEDS.md "nothing dropped unseen"): stored
# with the accepted file, shown by `svcmon land` and in the quality report of its period.
WARNINGS_TABLE = (
    ("file_sha256", "text", "NOT NULL"),
    ("feed_id", "text", "NOT NULL"),
    ("file_name", "text", "NOT NULL"),
    ("sheet", "text", ""),
    ("period", "text", ""),
    ("row_number", "integer", ""),
    ("column_name", "text", ""),
    ("cause_zh", "text", "NOT NULL"),
    ("cause_en", "text", "NOT NULL"),
)

VINTAGES_TABLE = (
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
    file_name: str  # as shown: a name that is not UTF-8 with replacement characters
    feed_id: str | None
    status: str  # accepted | rejected | duplicate | deferred (changed while landing: next run)
    sha256: str | None = None
    period: str | None = None
    scopes: tuple[str, ...] = ()
    vintage: int | None = None
    rows: int = 0
    reason: str | None = None
    warnings: tuple[FileWarning, ...] = ()


@dataclass(frozen=True)
class IgnoredFile:
    """Something in the inbox that is not a submission (hidden, a lock file, a name with path
    separators, not a regular file): listed, never read."""

    path: Path
    file_name: str
    reason: str


class LandingResults(list):
    """The results of landing an inbox, one per file judged (a list), and `ignored`: what the
    inbox holds that is not a submission."""

    def __init__(self, results: Iterable[LandingResult] = (), ignored: Iterable[IgnoredFile] = ()) -> None:
        super().__init__(results)
        self.ignored: list[IgnoredFile] = list(ignored)


@dataclass
class InboxSurvey:
    candidates: list[tuple[Path, str | None]] = field(default_factory=list)
    ignored: list[IgnoredFile] = field(default_factory=list)


def display_name(name: str | bytes) -> str:
    """A file name as text: names are stored and shown losslessly decodable — the exact bytes go
    to `file_name_bytes`, and a name that is not UTF-8 reads with replacement characters."""
    raw = name if isinstance(name, bytes) else os.fsencode(name)
    return raw.decode("utf-8", "replace")


def connect(path: Path | str | None = None) -> Warehouse:
    """The warehouse (`path`, else `SVCMON_WAREHOUSE_URL` / `$SVCMON_HOME`), with the raw schema in place."""
    con = warehouse.connect(path)
    ensure_raw_schema(con)
    return con


def ensure_raw_schema(con: Warehouse) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.create_table("raw.file_register", REGISTER_TABLE)
    present = set(con.columns("raw", "file_register"))
    for name, kind, *_ in REGISTER_TABLE:
        if name in REGISTER_ADDED_COLUMNS and name not in present:
            con.execute(f"ALTER TABLE raw.file_register ADD COLUMN {name} {con.sql_type(kind)}")
    con.create_table("raw.file_warnings", WARNINGS_TABLE)
    con.create_table("raw.vintages", VINTAGES_TABLE)
    con.execute(CURRENT_VINTAGES_DDL)
    for feed in FEEDS.values():
        con.create_table(f"raw.{feed.feed_id}", raw_table_columns(feed))
        _add_missing_columns(con, feed)
    database.grant_table_privileges(con)


def _add_missing_columns(con: Warehouse, feed: Feed) -> None:
    """A warehouse landed before a registry column existed gets it; a new `<field>_canonical`
    is filled from the names as written and a new `person_key` from the ID numbers, so older
    vintages read like new ones."""
    present = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ?",
        [feed.feed_id]).fetchall()}
    for name, kind in raw_table_columns(feed):
        if name in present:
            continue
        con.execute(f'ALTER TABLE raw.{feed.feed_id} ADD COLUMN "{name}" {con.sql_type(kind)}')
        if name == PERSON_KEY:
            key = pii.secret()
            id_field = feed.person_id_field
            for (value,) in con.execute(f'SELECT DISTINCT "{id_field}" FROM raw.{feed.feed_id} '
                                        f'WHERE "{id_field}" IS NOT NULL').fetchall():
                con.execute(f'UPDATE raw.{feed.feed_id} SET "{name}" = ? WHERE "{id_field}" = ?',
                            [pii.person_key(value, key), value])
            continue
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


def _within(path: Path, root: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True


def link_outside(path: Path, inbox: Path) -> bool:
    """A link whose target is outside the inbox: refused, its target never read."""
    return path.is_symlink() and not _within(path, inbox)


def survey_inbox(inbox: Path) -> InboxSurvey:
    """What the inbox holds: candidate submissions with the feed their folder names (None: not
    in a known feed folder; landing rejects them), and what is not a submission, listed as
    ignored: Excel lock files `~$…`, hidden files and folders, names with path separators
    (`..\\..\\x.csv`), links to folders, anything not a regular file. A link out of the inbox is
    a candidate, so that landing refuses it with a reason; no folder link is followed."""
    survey = InboxSurvey()
    if not inbox.exists():
        return survey

    def ignore(path: Path, zh: str, en: str) -> None:
        survey.ignored.append(IgnoredFile(path, display_name(path.name), f"{zh} / {en}"))

    def walk(folder: Path, depth: int) -> None:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: os.fsencode(e.name))
        for entry in entries:
            path = Path(entry.path)
            feed_id = folder.name if depth == 1 and folder.name in FEEDS else None
            if "\\" in entry.name:
                ignore(path, "文件名含路径分隔符", "the name holds path separators")
            elif entry.name.startswith("~$"):
                ignore(path, "Excel锁定文件", "an Excel lock file")
            elif entry.name.startswith("."):
                ignore(path, "隐藏文件", "a hidden file")
            elif entry.is_symlink():
                if not _within(path, inbox):
                    survey.candidates.append((path, feed_id))  # refused by landing, unread
                elif os.path.isdir(path):
                    ignore(path, "指向文件夹的链接，不跟随", "a link to a folder, not followed")
                elif not os.path.isfile(path):
                    ignore(path, "不是普通文件", "not a regular file")
                else:
                    survey.candidates.append((path, feed_id))
            elif entry.is_dir(follow_symlinks=False):
                walk(path, depth + 1)
            elif not entry.is_file(follow_symlinks=False):
                ignore(path, "不是普通文件", "not a regular file")
            else:
                survey.candidates.append((path, feed_id))

    walk(inbox, 0)
    return survey


def scan_inbox(inbox: Path) -> list[tuple[Path, str | None]]:
    """Every candidate file with the feed its folder names (None: not in a known feed folder).
    What is not a submission is left out (see `survey_inbox`)."""
    return survey_inbox(inbox).candidates


def scope_of(feed: Feed, row: Mapping) -> str:
    """A row's scope: its canonical 填报单位 in multi-department feeds (the name normalised
    when it does not resolve), '' otherwise."""
    if not feed.scope_field:
        return ""
    written = row.get(feed.scope_field) or ""
    return reference.canonical_department(written) or reference.normalise_name(written)


def derived_values(feed: Feed, row: Mapping, pii_secret: bytes | None = None) -> dict[str, str | None]:
    """What landing stores beside a parsed row's own fields: each department column's canonical
    name (`<field>_canonical`, None when it does not resolve), the `person_key` of a feed with a
    resident ID number (`pii_secret`: the installation's unless given) and the row's `_scope`.
    Department names are resolved here once; staging and the checks read the stored columns."""
    values = {c.canonical_field: reference.canonical_department(row.get(c.field)) for c in feed.department_columns}
    if feed.person_id_field:
        values[PERSON_KEY] = pii.person_key(row.get(feed.person_id_field), pii_secret)
    values["_scope"] = scope_of(feed, row)
    return values


def _already_accepted(con: Warehouse, feed_id: str, sha: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM raw.file_register WHERE feed_id = ? AND file_sha256 = ? AND status = 'accepted'",
        [feed_id, sha],
    ).fetchone()[0])


def _accepted_files(con: Warehouse) -> set[tuple[str, str]]:
    """(feed_id, sha256) of every file accepted so far: one query for a whole inbox, most of which is
    usually files already landed."""
    return set(con.execute(
        "SELECT DISTINCT feed_id, file_sha256 FROM raw.file_register WHERE status = 'accepted'").fetchall())


def _register(con, *, sha, feed_id, file_name, archive, sheet, period, status, reason,
              received_at, submitted_on, row_count, claimed_on=None, file_name_bytes=None) -> None:
    columns = ", ".join(REGISTER_COLUMNS)
    con.execute(
        f"INSERT INTO raw.file_register ({columns}) VALUES ({', '.join('?' * len(REGISTER_COLUMNS))})",
        [sha, feed_id, file_name, archive, sheet, period, status, reason, received_at, submitted_on, row_count,
         claimed_on, file_name_bytes],
    )


TEMP_PREFIX = ".landing-"


def _copy_and_hash(path: Path, folder: Path) -> tuple[Path, str]:
    """One read of `path`: copied to a temporary file in `folder` (the archive folder of its
    feed) and hashed on the way. The copy is what is parsed and archived."""
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f"{TEMP_PREFIX}{uuid.uuid4().hex}{path.suffix.lower()}"
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as source, open(temp, "xb") as copy:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                copy.write(chunk)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, digest.hexdigest()


def _unchanged(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)


def clean_temporary_copies(archive_root: Path) -> None:
    """Copies a killed run left in the archive folders (never archived, never registered)."""
    if archive_root.is_dir():
        for temp in archive_root.glob(f"*/{TEMP_PREFIX}*"):
            temp.unlink(missing_ok=True)


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
    key = pii.secret() if feed.person_id_field else None
    for row, scope in zip(parsed.rows, scopes, strict=True):
        derived = {**derived_values(feed, row, key), "_scope": scope}
        for name, _ in columns:
            if name in derived:
                data[name].append(derived[name])
            elif name in lineage:
                data[name].append(lineage[name])
            else:
                data[name].append(row.get(name))
    return pa.table(data)


# The target lists (feed annual_targets) are where a task the year added gets its unit.
TARGET_LIST_FEED = "annual_targets"


def indicator_units(con: Warehouse) -> dict[str, str]:
    """Indicator id -> unit for a per-row unit conversion (dept_task_progress): the indicator
    registry seed's units, and for a task a year's target list added (not in the registry), the unit
    of the latest list that names it (current vintages only; raw.current_vintages is the one home
    of "current"). A list's unit for a registry indicator must equal the registry's (an error
    check), so the registry's stands."""
    units = {indicator_id: row["unit"] for indicator_id, row in reference.indicators().items()}
    listed = con.execute(
        f"""SELECT listed.indicator_id, listed.unit
            FROM raw.{TARGET_LIST_FEED} AS listed
            INNER JOIN raw.current_vintages AS current_vintage
                ON current_vintage.feed_id = ? AND current_vintage.file_sha256 = listed._file_sha256
                AND current_vintage.period = listed._period AND current_vintage.scope = listed._scope
            WHERE listed.indicator_id IS NOT NULL AND listed.unit IS NOT NULL
            ORDER BY listed._period, listed._row_number""", [TARGET_LIST_FEED]).fetchall()
    for indicator_id, unit in listed:  # later lists last: the latest unit stands
        if indicator_id not in reference.indicators():
            units[indicator_id] = unit
    return units


@dataclass
class ReadAhead:
    """A file copied, hashed and read before its turn to land (`land_inbox`)."""

    before: os.stat_result  # the file as it was when copied: it must not have changed by its turn
    temp: Path
    sha: str
    parsed: ParsedFile | None = None
    rejection: FeedRejection | None = None


def _can_read_ahead(path: Path, feed_id: str | None, inbox: Path) -> bool:
    # A feed whose units come from the indicator registry is read at its turn: a target list
    # landed just before it may change them.
    return (feed_id is not None and path.suffix.lower() in ALLOWED_SUFFIXES and not FEEDS[feed_id].per_row_unit
            and not link_outside(path, inbox))


def _read_ahead(path: Path, feed_id: str, archive_root: Path, reader: ReaderProcess,
                accepted: Container[tuple[str, str]] = ()) -> ReadAhead:
    before = os.stat(path)
    temp, sha = _copy_and_hash(path, archive_root / feed_id)
    ahead = ReadAhead(before, temp, sha)
    if (feed_id, sha) in accepted:  # a duplicate at its turn: reading it would be wasted
        return ahead
    try:
        ahead.parsed = reader.read(temp, feed_id, file_name=display_name(path.name))
    except FeedRejection as exc:
        ahead.rejection = exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return ahead


def land_file(
    con: Warehouse,
    path: Path,
    feed_id: str | None,
    *,
    archive_root: Path | None = None,
    received_at: dt.datetime | None = None,
    submitted_on: dt.date | None = None,
    history: bool = False,
    file_name: str | None = None,
    inbox: Path | None = None,
    ahead: ReadAhead | None = None,
    accepted: Container[tuple[str, str]] | None = None,
) -> LandingResult:
    """Judge and land one file. Never raises for bad input: the result says why.

    A file counts as received when it is landed (`received_at`, now). `submitted_on` gives the
    submission date explicitly; `history` (loading history on purpose) takes each file's own
    填报日期 for it. Without either, the submission date is the landing date and the 填报日期 is
    only the department's claim (`claimed_on`).

    `file_name` is the name the department gave the file when `path` is another copy of it
    (an archive copy being re-landed): lineage and the period in the name come from it.
    `inbox` (default the configured one) is where links may point. `ahead` is the file already
    copied and read (`land_inbox`); it is judged here exactly as if it were read now. `accepted`
    is the register's accepted (feed_id, sha256) when the caller holds them (`land_inbox`), else
    the register is asked.
    """
    received_at = received_at or clock.now()
    archive_root = archive_root or settings.archive_path()
    given = file_name if file_name is not None else path.name
    name, name_bytes = display_name(given), os.fsencode(given)

    def reject(reason: str, sha: str) -> LandingResult:
        seen = con.execute(
            "SELECT count(*) FROM raw.file_register WHERE file_sha256 = ? AND feed_id IS NOT DISTINCT FROM ?"
            " AND file_name = ? AND status = 'rejected' AND reason = ?",
            [sha, feed_id, name, reason],
        ).fetchone()[0]
        if not seen:  # the same verdict on the same file is recorded once
            _register(con, sha=sha, feed_id=feed_id, file_name=name, archive=None, sheet=None, period=None,
                      status="rejected", reason=reason, received_at=received_at,
                      submitted_on=submitted_on or received_at.date(), row_count=0, file_name_bytes=name_bytes)
        return LandingResult(name, feed_id, "rejected", sha, reason=reason)

    if link_outside(path, inbox or settings.inbox_path()):
        # Never read: the register keys it by the link's target instead of its bytes.
        target = os.fsencode(os.readlink(path))
        return reject(FeedRejection(
            "链接指向收件箱之外，拒收且未读取其目标",
            "a link to a file outside the inbox; refused, its target was not read",
            file_name=name).message, hashlib.sha256(b"link:" + target).hexdigest())
    if feed_id is None:
        return reject(FeedRejection(
            "文件不在已知报表目录中（收件箱应为 inbox/<报表代码>/文件）",
            f"file is not in a known feed folder (expected inbox/<feed_id>/<file>; feeds: {', '.join(FEEDS)})",
            file_name=name).message, sha256_of(path))
    if path.suffix.lower() not in ALLOWED_SUFFIXES:
        suffix = display_name(path.suffix)
        return reject(FeedRejection(
            f"不支持的文件类型「{suffix or '无扩展名'}」，请报送 .xlsx、.xls 或 .csv 文件",
            f"file type {suffix or '(none)'!r} is not accepted; send .xlsx, .xls or .csv",
            file_name=name).message, sha256_of(path))

    if ahead is not None:
        before, temp, sha = ahead.before, ahead.temp, ahead.sha
    else:
        before = os.stat(path)
        temp, sha = _copy_and_hash(path, archive_root / feed_id)
    faults.point("landing")
    try:
        if not _unchanged(before, os.stat(path)):
            return LandingResult(name, feed_id, "deferred", sha, reason=(
                "文件在落地时仍在写入，留待下次落地 / the file changed while it was landed; left for the next run"))
        if ((feed_id, sha) in accepted) if accepted is not None else _already_accepted(con, feed_id, sha):
            return LandingResult(name, feed_id, "duplicate", sha, reason="相同文件已接收 / same bytes already accepted")
        try:
            if ahead is not None and ahead.rejection is not None:
                raise ahead.rejection
            if ahead is not None and ahead.parsed is not None:
                parsed = ahead.parsed
            else:
                units = indicator_units(con) if FEEDS[feed_id].per_row_unit else None
                parsed = read_isolated(temp, feed_id, file_name=name, indicator_units=units)
        except FeedRejection as exc:
            return reject(exc.message, sha)
        archive = archive_root / feed_id / f"{sha}{path.suffix.lower()}"
        if not archive.exists():  # never overwritten: same name means same bytes
            os.replace(temp, archive)
        return land_parsed(con, parsed, sha256=sha, archive_path=str(archive), received_at=received_at,
                           submitted_on=submitted_on, history=history, file_name_bytes=name_bytes)
    finally:
        temp.unlink(missing_ok=True)


def land_parsed(
    con: Warehouse,
    parsed: ParsedFile,
    *,
    sha256: str,
    archive_path: str | None = None,
    received_at: dt.datetime | None = None,
    submitted_on: dt.date | None = None,
    history: bool = False,
    file_name_bytes: bytes | None = None,
) -> LandingResult:
    """Land a file's rows once read (`read_feed_file`'s result): the next vintage of every scope
    it covers, its rows in `raw.<feed_id>`, its register row and its reader warnings
    (`raw.file_warnings`), in one transaction.

    The submission date is `submitted_on` when given, the file's 填报日期 under `history`, else
    the landing date; the 填报日期 is stored as `claimed_on` either way.

    `land_file` calls it for every file it accepts; tests that write rows rather than files call
    it too, so both share one path. The caller vouches that `sha256` names bytes not accepted yet.
    """
    feed_id, sha, name, archive = parsed.feed_id, sha256, parsed.file_name, archive_path
    feed = FEEDS[feed_id]
    received_at = received_at or clock.now()
    scopes = [scope_of(feed, row) for row in parsed.rows]
    file_scopes = sorted(set(scopes)) if feed.scope_field else [""]
    effective_submission = submitted_on or (parsed.reported_on if history else None) or received_at.date()
    ingested_at = clock.now()

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
                  submitted_on=effective_submission, row_count=len(parsed.rows), claimed_on=parsed.reported_on,
                  file_name_bytes=file_name_bytes if file_name_bytes is not None else os.fsencode(name))
        if parsed.warnings:
            con.executemany(
                "INSERT INTO raw.file_warnings (file_sha256, feed_id, file_name, sheet, period, row_number,"
                " column_name, cause_zh, cause_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [[sha, feed_id, name, parsed.sheet, parsed.period, *_parts(w)] for w in parsed.warnings])
    return LandingResult(name, feed_id, "accepted", sha, parsed.period, tuple(file_scopes),
                         max(vintages), len(parsed.rows), warnings=tuple(parsed.warnings))


def _parts(warning: str) -> tuple[int | None, str | None, str, str]:
    """(row, column, zh, en) of a reader warning (a plain `中文 / English` string: no row, no column)."""
    if isinstance(warning, FileWarning):
        return warning.row, warning.column, warning.cause_zh, warning.cause_en
    zh, _, en = str(warning).partition(" / ")
    return None, None, zh, en or zh


def land_inbox(
    con: Warehouse,
    inbox: Path | None = None,
    *,
    archive_root: Path | None = None,
    submitted_on: dt.date | Mapping[str, dt.date] | None = None,
    history: bool = False,
    only: Callable[[Path, str | None], bool] | None = None,
    progress: Callable[[list], Iterable] | None = None,
) -> LandingResults:
    """Land every file present in the inbox, in name order; what is not a submission is
    listed in the result's `ignored`.

    `submitted_on` is one stated submission date for every file, or one per path relative to the
    inbox (posix); `history` takes each file's own 填报日期 as its submission date (see
    `land_file`). `progress` wraps the list of files landed (a progress bar).
    """
    inbox = inbox or settings.inbox_path()
    archive_root = archive_root or settings.archive_path()
    clean_temporary_copies(archive_root)
    survey = survey_inbox(inbox)
    candidates = [c for c in survey.candidates if only is None or only(*c)]
    results = LandingResults(ignored=survey.ignored)
    accepted = _accepted_files(con) if candidates else set()
    workers = READ_AHEAD_WORKERS if len(candidates) > READ_AHEAD_WORKERS else 0
    readers = [ReaderProcess() for _ in range(workers)]
    free = list(readers)
    pending: dict[int, Future[ReadAhead]] = {}

    def read_ahead(path: Path, feed_id: str) -> ReadAhead:
        reader = free.pop()  # a worker thread holds one reader at a time (list.pop is atomic)
        try:
            return _read_ahead(path, feed_id, archive_root, reader, accepted)
        finally:
            free.append(reader)

    executor = ThreadPoolExecutor(workers, thread_name_prefix="read-ahead") if workers else None
    try:
        for i, (path, feed_id) in enumerate(progress(candidates) if progress else candidates):
            if executor is not None:  # the next files, up to one more than the readers
                for j in range(i, min(i + workers + 1, len(candidates))):
                    if j not in pending and _can_read_ahead(*candidates[j], inbox):
                        pending[j] = executor.submit(read_ahead, *candidates[j])
            ahead = None
            if (future := pending.pop(i, None)) is not None:
                try:
                    ahead = future.result()
                except Exception:  # noqa: BLE001 - landed the ordinary way, which says what went wrong
                    pass
            stated = (submitted_on.get(path.relative_to(inbox).as_posix()) if isinstance(submitted_on, Mapping)
                      else submitted_on)
            landed = land_file(con, path, feed_id, archive_root=archive_root, submitted_on=stated,
                               history=history, inbox=inbox, ahead=ahead, accepted=accepted)
            if landed.status == "accepted" and feed_id is not None:
                accepted.add((feed_id, landed.sha256))
            results.append(landed)
    finally:
        if executor is not None:
            for future in pending.values():
                future.cancel()
            executor.shutdown(wait=True)
            for future in pending.values():  # read ahead, never landed (the loop stopped early)
                if future.done() and not future.cancelled() and future.exception() is None:
                    future.result().temp.unlink(missing_ok=True)
        for reader in readers:
            reader.close()
    return results
