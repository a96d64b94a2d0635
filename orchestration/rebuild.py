"""Rebuild a published version from the archive: land exactly the vintages its publication
log lists (by their archived bytes, original names and submission dates) into a fresh
warehouse, build dbt, and compare the period's marts with the published snapshot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ingest import landing
from ingest.warehouse import Warehouse
from ingest.warehouse import connect as connect_warehouse
from orchestration.dbt import run_dbt_process
from publish import publication
from publish.contract import PUBLISHED_MARTS, VERSION_COLUMN


@dataclass
class RebuildComparison:
    period: str
    version: int
    rebuilt_warehouse: Path
    differing_marts: dict[str, tuple[int, int]]  # mart -> (published rows, rebuilt rows) where they differ
    compared_rows: int

    @property
    def identical(self) -> bool:
        return not self.differing_marts


def _rows(con: Warehouse, table: str, period: str, columns: list[str],
          version: int | None = None) -> list[tuple]:
    quoted = ", ".join(f'"{c}"' for c in columns)
    where = "period = ?" + (f" AND {VERSION_COLUMN} = ?" if version is not None else "")
    params = [period] + ([version] if version is not None else [])
    return sorted(con.execute(f"SELECT {quoted} FROM {table} WHERE {where}", params).fetchall(), key=repr)


def rebuild_version(con: Warehouse, period: str, version: int, target_home: Path,
                    as_of: dt.date | None = None) -> RebuildComparison:
    record = publication.publication_record(con, period, version)
    if record is None:
        raise ValueError(f"{period} 无第 {version} 版发布 / no published version {version} of {period}")
    files = {sha: (feed, name, Path(path), submitted, received) for sha, feed, name, path, submitted, received
             in con.execute("SELECT file_sha256, feed_id, file_name, archive_path, submitted_on, received_at "
                            "FROM raw.file_register WHERE status = 'accepted'").fetchall()}
    wanted = sorted({v["file_sha256"] for v in record["input_vintages"]}, key=lambda sha: files[sha][4])
    target_home.mkdir(parents=True, exist_ok=True)
    warehouse = target_home / "warehouse.duckdb"
    rebuilt = landing.connect(warehouse)
    try:
        for sha in wanted:
            feed, name, archived, submitted, _received = files[sha]
            result = landing.land_file(rebuilt, archived, feed, archive_root=target_home / "archive",
                                       submitted_on=submitted, file_name=name)
            if result.status != "accepted":
                raise RuntimeError(f"archived file {name} ({sha[:12]}) was not accepted again: {result.reason}")
    finally:
        rebuilt.close()

    process = run_dbt_process(warehouse, "build", "--quiet", work=target_home / "dbt",
                              vars={"as_of_date": (as_of or dt.date.today()).isoformat()})
    if process.returncode != 0:
        raise RuntimeError(f"dbt build of the rebuilt warehouse failed:\n{process.stdout[-4000:]}")

    differing: dict[str, tuple[int, int]] = {}
    compared = 0
    rebuilt = connect_warehouse(warehouse, read_only=True)
    try:
        for mart in PUBLISHED_MARTS:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'published' "
                "AND table_name = ? AND column_name <> ? ORDER BY ordinal_position", [mart, VERSION_COLUMN]).fetchall()]
            published_rows = _rows(con, f"published.{mart}", period, columns, version)
            rebuilt_rows = _rows(rebuilt, f"marts.{mart}", period, columns)
            compared += len(published_rows)
            if published_rows != rebuilt_rows:
                differing[mart] = (len(published_rows), len(rebuilt_rows))
    finally:
        rebuilt.close()
    return RebuildComparison(period, version, warehouse, differing, compared)
