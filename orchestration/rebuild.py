"""Rebuilding published versions from the archive.

A version's log row names the vintages its numbers read (its read set, captured when its marts were
built) and the as-of date of that build. Rebuilding it lands exactly those files, with every earlier
vintage of the same scopes (lateness is judged on a scope's first file), under their original names,
arrival times and submission dates, into a scratch warehouse, builds dbt with the recorded as-of
date, and publishes the period from there into a target warehouse as the recorded version (same
version number, publication time, gate result, override), disclosure control and diff included.

- `rebuild_version`: one version, into a scratch home, compared with what is published now;
- `rebuild_all`: every version in the publication log, from the archive and the append-only records
  beside it alone (`ingest/recovery.py`): with the warehouse lost, the recreated one takes its place;
  with it present, the two are compared.

Versions whose read sets agree wherever they overlap (and share an as-of date) are rebuilt from one
dbt build: a period's numbers depend on its read set only (tests/test_read_set.py).
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ingest import landing, recovery, settings
from ingest.warehouse import Warehouse, is_postgres_url
from ingest.warehouse import connect as connect_warehouse
from orchestration.dbt import run_dbt_process
from orchestration.dbt_launcher import start_warm_dbt
from publish import publication
from publish.contract import PUBLISHED_DIMS, PUBLISHED_MARTS, VERSION_COLUMN
from publish.publication import history_table

SCRATCH = "scratch"


@dataclass
class RebuildComparison:
    period: str
    version: int
    rebuilt_warehouse: Path
    differing_marts: dict[str, tuple[int, int]]  # table -> (published rows, rebuilt rows) where they differ
    compared_rows: int

    @property
    def identical(self) -> bool:
        return not self.differing_marts


@dataclass
class RecoveryResult:
    versions: list[tuple[str, int]]
    builds: int
    warehouse: Path
    installed: bool  # the recreated warehouse took the place of a lost one
    differing_tables: dict[str, tuple[int, int]] = field(default_factory=dict)
    compared_rows: int = 0

    @property
    def identical(self) -> bool:
        return not self.differing_tables


def _parse_time(value):
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _parse_date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


class _Archive:
    """The accepted files of the register, indexed by scope and vintage."""

    def __init__(self, register: list[dict], archive_root: Path) -> None:
        self.root = Path(archive_root)
        self.files = {r["file_sha256"]: r for r in register if r["status"] == "accepted"}
        self.by_scope: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
        for sha, record in self.files.items():
            for v in record.get("vintages") or []:
                self.by_scope.setdefault((record["feed_id"], v["period"], v["scope"]), []).append((v["vintage"], sha))

    def vintage_of(self, feed_id: str, period: str, scope: str, sha: str) -> int:
        for vintage, other in self.by_scope.get((feed_id, period, scope), []):
            if other == sha:
                return vintage
        raise ValueError(f"文件 {sha[:12]} 不在登记簿中 / file {sha[:12]} of {feed_id} {period} is not in the register")

    def scope_history(self, record: dict) -> dict[tuple[str, str], dict[str, int]]:
        """(feed, period) -> {scope: vintage} of a version's read set."""
        out: dict[tuple[str, str], dict[str, int]] = {}
        for v in record["input_vintages"]:
            out.setdefault((v["feed_id"], v["period"]), {})[v["scope"]] = self.vintage_of(
                v["feed_id"], v["period"], v["scope"], v["file_sha256"])
        return out

    def files_for(self, scopes: dict[tuple[str, str], dict[str, int]]) -> list[dict]:
        """Every file up to the wanted vintage of each scope, in arrival order."""
        wanted = {sha for (feed, period), by_scope in scopes.items() for scope, upto in by_scope.items()
                  for vintage, sha in self.by_scope.get((feed, period, scope), []) if vintage <= upto}
        return sorted((self.files[sha] for sha in wanted),
                      key=lambda r: (_parse_time(r["received_at"]), r["file_sha256"]))

    def path(self, record: dict) -> Path:
        path = Path(record["archive_path"])
        return path if path.is_absolute() else self.root / path


def _land(con: Warehouse, archive: _Archive, records: list[dict], archive_root: Path) -> None:
    for record in records:
        result = landing.land_file(
            con, archive.path(record), record["feed_id"], archive_root=archive_root,
            received_at=_parse_time(record["received_at"]), submitted_on=_parse_date(record["submitted_on"]),
            file_name=record["file_name"])
        if result.status != "accepted":
            raise RuntimeError(f"归档文件 {record['file_name']} 未能再次接收 / archived file {record['file_name']} "
                               f"({record['file_sha256'][:12]}) was not accepted again: {result.reason}")


def _groups(archive: _Archive, versions: list[dict]) -> list[tuple[dict, list[dict]]]:
    """Versions sharing one build: same as-of date, and the same scopes and vintages wherever their
    read sets overlap. Returns (merged scopes, versions) per build."""
    groups: list[tuple[dict, list[dict], object]] = []
    for record in versions:
        scopes = archive.scope_history(record)
        for merged, members, as_of in groups:
            if as_of == record.get("as_of_date") and all(
                    merged[k] == v for k, v in scopes.items() if k in merged):
                merged.update(scopes)
                members.append(record)
                break
        else:
            groups.append((dict(scopes), [record], record.get("as_of_date")))
    return [(merged, members) for merged, members, _as_of in groups]


def _build(archive: _Archive, scopes: dict, as_of, work: Path) -> Path:
    """A scratch warehouse holding exactly these files, built by dbt with the recorded as-of date."""
    start_warm_dbt()  # dbt imports itself on the other core while the files land
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    warehouse = work / settings.WAREHOUSE_FILE
    con = landing.connect(warehouse)
    try:
        _land(con, archive, archive.files_for(scopes), work / "archive")
    finally:
        con.close()
    as_of = _parse_date(as_of) or dt.date.today()
    process = run_dbt_process(warehouse, "build", "--quiet", "--resource-type", "seed", "--resource-type", "model",
                              work=work / "dbt", vars={"as_of_date": as_of.isoformat()})
    if process.returncode != 0:
        raise RuntimeError(f"dbt build of the rebuilt warehouse failed:\n{process.stdout[-4000:]}")
    return warehouse


def _restore(target: Warehouse, scratch: Path, record: dict) -> None:
    target.execute(f"ATTACH '{scratch}' AS {SCRATCH} (READ_ONLY)")
    try:
        publication.publish_period(
            target, record["period"], gate_result=record["gate_result"], override=record["override"],
            input_vintages=record["input_vintages"], as_of_date=_parse_date(record.get("as_of_date")),
            marts_schema=f"{SCRATCH}.marts",
            restore={"version": record["version"], "published_at": _parse_time(record["published_at"])})
    finally:
        target.execute(f"DETACH {SCRATCH}")


def restore_versions(target: Warehouse, register: list[dict], versions: list[dict], *, archive_root: Path,
                     work: Path) -> int:
    """Publish each of `versions` (log records, in publication order) into `target` as recorded,
    from the archived files they read. Returns the number of dbt builds it took."""
    archive = _Archive(register, archive_root)
    builds = []
    for n, (scopes, members) in enumerate(_groups(archive, versions)):
        warehouse = _build(archive, scopes, members[0].get("as_of_date"), work / f"build_{n}")
        builds.append((warehouse, {(m["period"], m["version"]) for m in members}))
    for record in versions:
        scratch = next(w for w, keys in builds if (record["period"], record["version"]) in keys)
        _restore(target, scratch, record)
    return len(builds)


def _decoded_log(records: list[dict]) -> list[dict]:
    import json

    out = []
    for r in records:
        r = dict(r)
        for key in ("input_vintages", "override"):
            if isinstance(r.get(key), str):
                r[key] = json.loads(r[key])
        out.append(r)
    return sorted(out, key=lambda r: (_parse_time(r["published_at"]), r["period"], r["version"]))


_JSON_COLUMNS = ("input_vintages", "override")


def _comparable(column: str, value):
    """A value as both engines give it alike: numbers as floats to 9 decimals (PostgreSQL's NUMERIC
    comes as Decimal), JSON text decoded (JSONB reorders keys)."""
    import decimal
    import json

    if isinstance(value, decimal.Decimal | float):
        return round(float(value), 9)
    if column in _JSON_COLUMNS and isinstance(value, str):
        return json.dumps(json.loads(value), sort_keys=True, ensure_ascii=False)
    return value


def _sorted_rows(con: Warehouse, sql: str, params: list, columns: list[str]) -> list[tuple]:
    rows = [tuple(_comparable(c, v) for c, v in zip(columns, row, strict=True))
            for row in con.execute(sql, params).fetchall()]
    return sorted(rows, key=repr)


def _compare(live: Warehouse, rebuilt: Warehouse, tables: list[str], where: str = "", params: list | None = None
             ) -> tuple[dict[str, tuple[int, int]], int]:
    differing, compared = {}, 0
    for table in tables:
        if not live.table_exists("published", table):
            continue
        names = live.columns("published", table)
        columns = ", ".join(f'"{c}"' for c in names)
        sql = f"SELECT {columns} FROM published.{table}" + (f" WHERE {where}" if where else "")
        ours = _sorted_rows(live, sql, params or [], names)
        theirs = _sorted_rows(rebuilt, sql, params or [], names) if rebuilt.table_exists("published", table) else []
        compared += len(ours)
        if ours != theirs:
            differing[table] = (len(ours), len(theirs))
    return differing, compared


def rebuild_version(con: Warehouse, period: str, version: int, target_home: Path,
                    as_of: dt.date | None = None) -> RebuildComparison:
    """Rebuild (period, version) from the archive into `target_home` and compare it with what is
    published. The earlier versions of the period are rebuilt too (disclosure control keeps the cells
    an earlier version withheld withheld). `as_of` overrides the recorded as-of date."""
    log = _decoded_log(publication.publication_records(con))
    wanted = [r for r in log if r["period"] == period and r["version"] <= version]
    if not any(r["version"] == version for r in wanted):
        raise ValueError(f"{period} 无第 {version} 版发布 / no published version {version} of {period}")
    if as_of is not None:
        wanted = [{**r, "as_of_date": as_of} for r in wanted]
    if target_home.exists():
        shutil.rmtree(target_home)
    target_home.mkdir(parents=True)
    warehouse = target_home / settings.WAREHOUSE_FILE
    rebuilt = connect_warehouse(warehouse)
    try:
        restore_versions(rebuilt, recovery.register_records(con), wanted, archive_root=settings.archive_path(),
                         work=target_home / "builds")
        tables = [history_table(m) for m in PUBLISHED_MARTS]
        differing, compared = _compare(con, rebuilt, tables, f"period = ? AND {VERSION_COLUMN} = ?", [period, version])
        log_diff, _ = _compare(con, rebuilt, ["publication_log"], "period = ? AND version = ?", [period, version])
        differing.update(log_diff)
    finally:
        rebuilt.close()
    return RebuildComparison(period, version, warehouse, differing, compared)


def rebuild_all(home: Path | None = None) -> RecoveryResult:
    """Recreate every published version from the archive and the records beside it alone. When the
    home has no warehouse (lost), the recreated one (raw, sign-offs, published) takes its place;
    otherwise the published tables of both are compared."""
    home = Path(home or settings.home())
    archive_root = settings.archive_path()
    register = recovery.read("file_register", archive_root)
    log = _decoded_log(recovery.read("publication_log", archive_root))
    work = home / "rebuild" / "all"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    warehouse = work / settings.WAREHOUSE_FILE
    rebuilt = landing.connect(warehouse)
    try:
        archive = _Archive(register, archive_root)
        # raw as it was: every accepted file in arrival order (vintage numbers come out the same),
        # rejected files as register rows.
        _land(rebuilt, archive, sorted(archive.files.values(),
                                       key=lambda r: (_parse_time(r["received_at"]), r["file_sha256"])), archive_root)
        for r in register:
            if r["status"] != "accepted":
                rebuilt.execute(
                    "INSERT INTO raw.file_register (file_sha256, feed_id, file_name, archive_path, sheet, period, "
                    "status, reason, received_at, submitted_on, row_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [r["file_sha256"], r["feed_id"], r["file_name"], r.get("archive_path"), r.get("sheet"),
                     r.get("period"), r["status"], r.get("reason"), _parse_time(r["received_at"]),
                     _parse_date(r.get("submitted_on")), r.get("row_count")])
        from expectations.store import ensure_quality_schema

        ensure_quality_schema(rebuilt)
        for s in recovery.read("signoffs", archive_root):
            rebuilt.execute("INSERT INTO quality.signoffs (signed_at, period, signed_by, reason, overrides) "
                            "VALUES (?, ?, ?, ?, ?)",
                            [_parse_time(s["signed_at"]), s["period"], s["signed_by"], s["reason"], s["overrides"]])
        builds = restore_versions(rebuilt, register, log, archive_root=archive_root, work=work / "builds")
    finally:
        rebuilt.close()
    result = RecoveryResult([(r["period"], r["version"]) for r in log], builds, warehouse, installed=False)
    on_server = is_postgres_url(settings.warehouse_url())
    live_path = settings.warehouse_path()
    if not on_server and not live_path.exists():
        shutil.move(str(warehouse), str(live_path))
        result.warehouse, result.installed = live_path, True
        return result
    # On PostgreSQL the rebuilt DuckDB warehouse is compared with the server's published layer (a
    # lost server database is restored from its dump, docs/deploy.md, not installed from here).
    live = connect_warehouse() if on_server else connect_warehouse(live_path, read_only=True)
    rebuilt = connect_warehouse(warehouse, read_only=True)
    try:
        tables = [history_table(m) for m in PUBLISHED_MARTS] + ["publication_log", "publication_diff",
                                                               *PUBLISHED_DIMS]
        result.differing_tables, result.compared_rows = _compare(live, rebuilt, tables)
    finally:
        live.close()
        rebuilt.close()
    return result
