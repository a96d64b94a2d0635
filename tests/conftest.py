"""What several test modules share: a temporary `$SVCMON_HOME`, feed files written into its
inbox, rows landed through landing's own path, Dagster jobs run in this process, and the
warehouse opened read-only.

Fixtures come by name; the plain helpers are imported (`from tests.conftest import run_job`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from ingest import landing
from ingest.reader import ParsedFile
from ingest.registry import get_feed
from ingest.warehouse import Warehouse
from ingest.warehouse import connect as connect_warehouse

# Row keys a test may set besides the feed's fields: what the reader adds to every row.
ROW_LINEAGE = ("_row_number", "_is_total", "_source_unit", "_parse_errors")
_files = itertools.count(1)


# --- the home and its inbox ----------------------------------------------------------------
TEST_PII_SECRET = "svcmon-demo-secret"


@pytest.fixture(scope="session", autouse=True)
def pii_secret() -> Iterator[str]:
    """Tests key people with a known secret (`SVCMON_PII_SECRET`), so expected person keys can be
    worked out by hand and no test home grows a generated one; the tests of the generated secret
    unset it themselves."""
    with pytest.MonkeyPatch.context() as mp:
        if not os.environ.get("SVCMON_PII_SECRET"):
            mp.setenv("SVCMON_PII_SECRET", TEST_PII_SECRET)
        yield os.environ["SVCMON_PII_SECRET"]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh `$SVCMON_HOME` (with its inbox) for one test."""
    monkeypatch.setenv("SVCMON_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SVCMON_INBOX", raising=False)
    return tmp_path / "home"


@contextmanager
def svcmon_home(root: Path) -> Iterator[Path]:
    """`root/home` as `$SVCMON_HOME` while the block runs (for module-scoped fixtures)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SVCMON_HOME", str(root / "home"))
        mp.delenv("SVCMON_INBOX", raising=False)
        yield root / "home"


def write_feed_file(inbox: Path, feed_id: str, name: str, text: str, encoding: str = "utf-8") -> Path:
    """`inbox/<feed_id>/<name>` holding `text` in `encoding`, as a department would send it."""
    path = inbox / feed_id / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


# --- rows landed without a file -----------------------------------------------------------
def land_rows(con: Warehouse, feed_id: str, period: str, rows: Iterable[Mapping[str, Any]], *,
              received_at: dt.datetime, file_name: str | None = None, sheet: str | None = "Sheet1",
              first_row: int = 2, submitted_on: dt.date | None = None, file_sha256: str | None = None) -> str:
    """Land rows the test wrote as one accepted file of `feed_id` for `period`, through landing's
    own path (`landing.land_parsed`: the scopes' next vintages, raw rows, register row).

    Rows hold the feed's registry field names and may set `_row_number` (default: spreadsheet
    rows from `first_row` on), `_is_total`, `_source_unit` and `_parse_errors`; unknown keys are
    an error. Returns the file's sha256 (a hash of the call unless given)."""
    feed = get_feed(feed_id)
    fields = [c.field for c in feed.columns]
    parsed_rows = []
    for i, row in enumerate(rows):
        unknown = set(row) - set(fields) - set(ROW_LINEAGE)
        if unknown:
            raise ValueError(f"{feed_id} row {i}: unknown column(s) {sorted(unknown)}; known: {fields + list(ROW_LINEAGE)}")
        parsed_rows.append({**{f: row.get(f) for f in fields}, "_row_number": row.get("_row_number", first_row + i),
                            "_is_total": bool(row.get("_is_total", False)), "_source_unit": row.get("_source_unit"),
                            "_parse_errors": row.get("_parse_errors")})
    name = file_name or f"{feed_id}_{period.replace('-', '')}.xlsx"
    sha = file_sha256 or hashlib.sha256(f"{feed_id}|{period}|{name}|{next(_files)}".encode()).hexdigest()
    parsed = ParsedFile(feed_id=feed_id, file_name=name, sheet=sheet, period=period, rows=parsed_rows,
                        reported_on=None, warnings=[], header_row=first_row - 1)
    landing.land_parsed(con, parsed, sha256=sha, received_at=received_at, submitted_on=submitted_on)
    return sha


# --- Dagster runs -------------------------------------------------------------------------
# The tests' record of the dbt project they prepared, in the package's target folder.
PREPARED_STAMP = "prepared_for_tests.txt"


def prepare_lock() -> FileLock:
    """The lock the test workers hold while they prepare (or move) the package's dbt target."""
    from orchestration.dbt import dbt_project

    return FileLock(str(dbt_project.project_dir / "target.prepare.lock"))


@functools.cache
def prepare_dbt_project() -> Path:
    """Prepare the dbt manifest with dagster-dbt, as `dagster dev` does, so the tests load the dbt
    project as it is now, not as it was when the manifest was last prepared.

    Once for all test workers: preparing rewrites target/manifest.json, which another worker's
    pipeline may be reading at that moment. The first worker prepares and records what it prepared
    (the project's files and dbt's version); a worker that finds the same record leaves the
    manifest alone."""
    from importlib import metadata

    from orchestration import dbt_reuse
    from orchestration.dbt import dbt_project

    folder = dbt_project.project_dir
    prepared = folder / "target" / PREPARED_STAMP
    with prepare_lock():
        fingerprint = dbt_reuse.project_fingerprint(folder, {"dbt-core": metadata.version("dbt-core")})
        if not (dbt_project.manifest_path.exists() and prepared.exists()
                and prepared.read_text(encoding="utf-8") == fingerprint):
            dbt_project.preparer.prepare(dbt_project)
            prepared.write_text(fingerprint, encoding="utf-8")
    return dbt_project.manifest_path


def run_job(job_name: str, first: str, last: str):
    """One run of a job of the code location over [first, last], in this process (the CLI's path)."""
    from dagster import DagsterInstance

    from orchestration.runs import execute_range

    prepare_dbt_project()
    return execute_range(job_name, first, last, instance=DagsterInstance.ephemeral(), verbose=True)


# --- reading the warehouse ----------------------------------------------------------------
@contextmanager
def open_read_only(where: Path) -> Iterator[Warehouse]:
    """The warehouse of a home folder (or a `.duckdb` file), read-only, closed after the block."""
    path = Path(where)
    con = connect_warehouse(path / "warehouse.duckdb" if path.is_dir() else path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def query(where: Path, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
    with open_read_only(where) as con:
        return con.execute(sql, list(params)).fetchall()


def records(where: Path, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    with open_read_only(where) as con:
        return con.execute(sql, list(params)).records()
