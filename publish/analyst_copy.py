"""The analysts' copy of the published layer on DuckDB: `$SVCMON_HOME/published.duckdb` and
`$SVCMON_HOME/published/` (Parquet), what analysts open instead of the warehouse the pipeline writes.

Each copy is written whole into a new version folder, `published_versions/<stamp>/` (a DuckDB file
and a Parquet folder), and only then switched to: the fixed paths are symbolic links through one
link, `published.duckdb -> published_versions/current/published.duckdb` and `published ->
published_versions/current/published`, and the switch replaces `published_versions/current`
atomically (`os.replace` of a new link). One rename moves both paths, so a reader opens either the
old copy or the new, and a kill at any moment leaves the DuckDB file and the Parquet folder at the
same version, never a mix. Leftovers of an interrupted copy (temporary folders and links) and version
folders older than the current and the previous one are removed when the next copy starts.

What the copy holds (ARCHITECTURE.md round two): every published mart as `<mart>` (the current
version of each period) and `<mart>_history` (every version), `publication_log`, `publication_diff`
and the dims analysts join. `published.duckdb` is written in DuckDB storage version
STORAGE_VERSION, which every DuckDB 1.x client opens; tables and columns carry their descriptions
(from the dbt yml, through the manifest) as comments. In Parquet, a current table is one file
`<mart>.parquet`, a history is a folder hive-partitioned by period (`<mart>_history/period=YYYY-MM/`),
so a reader picks a period's current figures without reading the history.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from ingest import faults
from ingest.warehouse import Warehouse, kind_of_type
from ingest.warehouse import connect as connect_warehouse
from publish.contract import (
    PUBLICATION_COLUMN_DOCS,
    PUBLISHED_DIMS,
    PUBLISHED_MARTS,
    PUBLISHED_SCHEMA,
)
from publish.publication import DIFF_COLUMN_DOCS, LOG_COLUMN_DOCS, history_table

STORAGE_VERSION = "v1.0.0"
VERSIONS_DIR = "published_versions"
DUCKDB_NAME = "published.duckdb"
PARQUET_NAME = "published"
_TMP_PREFIX = ".tmp-"
CURRENT_LINK = "current"  # published_versions/current -> <stamp>: the one link a switch replaces


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- what each table and column means ----------------------------------------------------------------
def table_docs(manifest_path: Path | None) -> dict[str, tuple[str, dict[str, str]]]:
    """table -> (description, {column: description}) of every table of the published layer: the
    marts' and dims' from their dbt yml (the prepared manifest), publication's own columns from
    `publish.contract` and `publish.publication`. The one source of the comments in every engine."""
    models: dict[str, tuple[str, dict[str, str]]] = {}
    if manifest_path is not None and Path(manifest_path).exists():
        nodes = json.loads(Path(manifest_path).read_text(encoding="utf-8")).get("nodes", {})
        for node in nodes.values():
            if node.get("resource_type") == "model":
                models[node["name"]] = (" ".join((node.get("description") or "").split()),
                                        {c: " ".join((v.get("description") or "").split())
                                         for c, v in node.get("columns", {}).items()})
    docs: dict[str, tuple[str, dict[str, str]]] = {}
    for mart in PUBLISHED_MARTS:
        description, columns = models.get(mart, ("", {}))
        columns = {**columns, **PUBLICATION_COLUMN_DOCS}
        docs[mart] = (f"{description} 当前版本 / current version of every published period.".strip(), columns)
        docs[history_table(mart)] = (f"{description} 全部版本 / every published version.".strip(), columns)
    for dim in PUBLISHED_DIMS:
        docs[dim] = models.get(dim, ("", {}))
    docs["publication_log"] = ("发布记录：每期每版的质量关结果、签字放行、所读文件版本与判断日期 / one row per published "
                               "version", LOG_COLUMN_DOCS)
    docs["publication_diff"] = ("版本差异：与上一版相比变化的数值、亮灯与状态 / what moved between two versions",
                                DIFF_COLUMN_DOCS)
    return docs


def comment_statements(relation: str, table: str, columns: Iterable[str],
                       docs: dict[str, tuple[str, dict[str, str]]]) -> list[str]:
    """Standard SQL `COMMENT ON` statements for `relation` (the table as the engine names it, e.g.
    `published.fct_talent` or `copy.main.fct_talent`): PostgreSQL runs the same text."""
    description, column_docs = docs.get(table, ("", {}))
    statements = [f"COMMENT ON TABLE {relation} IS {_literal(description)}"] if description else []
    for column in columns:
        if column_docs.get(column):
            statements.append(f"COMMENT ON COLUMN {relation}.{_q(column)} IS {_literal(column_docs[column])}")
    return statements


# --- the copy ------------------------------------------------------------------------------------------
def _published_tables(con: Warehouse) -> list[str]:
    """Every table of the copy: current and history of each mart, the log, the diff, the dims."""
    tables = []
    for mart in PUBLISHED_MARTS:
        if con.table_exists(PUBLISHED_SCHEMA, history_table(mart)):
            tables += [mart, history_table(mart)]
    tables += [t for t in ("publication_log", "publication_diff", *PUBLISHED_DIMS)
               if con.table_exists(PUBLISHED_SCHEMA, t)]
    return tables


def _link_target(link: Path) -> Path | None:
    return (link.parent / os.readlink(link)).resolve() if link.is_symlink() else None


def clean_leftovers(home: Path) -> None:
    """Remove what an interrupted copy left (temporary folders and links, the temporary files of the
    copies before version folders), and version folders beyond the current one and the previous."""
    home = Path(home)
    root = home / VERSIONS_DIR
    for leftover in [*home.glob(".published-*"), *home.glob(f".{DUCKDB_NAME}.*"), *home.glob(f".{PARQUET_NAME}.*"),
                     *(root.glob(".*") if root.exists() else [])]:  # .tmp-<stamp>, .current.<stamp>.link
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    if not root.exists():
        return
    current = _link_target(home / DUCKDB_NAME)
    current_folder = current.parent if current else None
    folders = sorted((f for f in root.iterdir() if f.is_dir() and not f.is_symlink()), key=lambda f: f.name,
                     reverse=True)
    keep = {current_folder} if current_folder else set()
    older = [f for f in folders if f != current_folder and (current_folder is None or f.name < current_folder.name)]
    keep.update(older[:1])  # the previous copy: a reader may still have it open
    for folder in folders:
        if folder.resolve() not in {k.resolve() for k in keep if k}:
            shutil.rmtree(folder, ignore_errors=True)


def _switch(link: Path, target: Path, stamp: str) -> None:
    """Point `link` at `target` atomically (a new link renamed over the old one), unless it does
    already. A real file or folder at `link` (a copy written before version folders) is moved aside
    first."""
    wanted = os.path.relpath(target, link.parent)
    if link.is_symlink() and os.readlink(link) == wanted:
        return
    if link.exists() and not link.is_symlink():
        aside = link.parent / f".{link.name}.{stamp}.old"
        os.replace(link, aside)
    tmp = link.parent / f".{link.name}.{stamp}.link"
    tmp.unlink(missing_ok=True)
    os.symlink(wanted, tmp)
    os.replace(tmp, link)


def _write_duckdb(con: Warehouse, path: Path, tables: list[str], docs: dict) -> None:
    alias = "analyst_copy"
    con.execute(f"ATTACH {_literal(str(path))} AS {alias} (STORAGE_VERSION '{STORAGE_VERSION}')")
    try:
        # Tables sit in the copy's default schema: opened as `published.duckdb`, the catalog is
        # `published`, so `published.fct_…` and plain `fct_…` both resolve.
        for table in tables:
            relation = f"{alias}.main.{_q(table)}"
            con.execute(f"CREATE TABLE {relation} AS SELECT * FROM {PUBLISHED_SCHEMA}.{_q(table)}")
            for statement in comment_statements(relation, table, con.columns(PUBLISHED_SCHEMA, table), docs):
                con.execute(statement)
    finally:
        con.execute(f"DETACH {alias}")


def _write_parquet(con: Warehouse, folder: Path, tables: list[str]) -> None:
    folder.mkdir(parents=True)
    for table in tables:
        source = f"{PUBLISHED_SCHEMA}.{_q(table)}"
        if table.endswith("_history"):
            # Hive-partitioned by period: a reader selects a period without scanning the others.
            con.execute(f"COPY (SELECT * FROM {source}) TO {_literal(str(folder / table))} "
                        "(FORMAT PARQUET, PARTITION_BY (period))")
        else:
            con.execute(f"COPY (SELECT * FROM {source}) TO {_literal(str(folder / f'{table}.parquet'))} "
                        "(FORMAT PARQUET)")


def comment_published(con: Warehouse, tables: list[str], docs: dict) -> None:
    """`COMMENT ON` every table of the published layer and its columns in the warehouse itself
    (PostgreSQL: what DBeaver and `\\d+` show). The current tables are views there."""
    for table in tables:
        kind = "VIEW" if table in PUBLISHED_MARTS else "TABLE"
        for statement in comment_statements(f"{PUBLISHED_SCHEMA}.{_q(table)}", table,
                                            con.columns(PUBLISHED_SCHEMA, table), docs):
            con.execute(statement.replace("COMMENT ON TABLE", f"COMMENT ON {kind}", 1))


def _staged_from(con: Warehouse, tables: list[str]) -> Warehouse:
    """An in-memory DuckDB holding `published.<table>` for each table: the same columns, their
    types mapped kind for kind (`kind_of_type`), and the same rows."""
    import uuid

    import pyarrow as pa

    # A named in-memory database of its own: DuckDB shares plain `:memory:` within a process.
    staging = connect_warehouse(f"duckdb:///:memory:svcmon_copy_{uuid.uuid4().hex}")
    try:
        staging.execute(f"CREATE SCHEMA IF NOT EXISTS {PUBLISHED_SCHEMA}")
        for table in tables:
            columns = [(name, kind_of_type(data_type)) for name, data_type in con.column_types(PUBLISHED_SCHEMA, table)]
            relation = f"{PUBLISHED_SCHEMA}.{_q(table)}"
            staging.create_table(relation, columns)
            result = con.execute(f"SELECT {', '.join(_q(c) for c, _k in columns)} FROM {relation}")
            rows = result.fetchall()
            if rows:
                # NUMERIC comes as Decimal: the copy holds DOUBLE, as DuckDB's marts do.
                data = pa.table({name: pa.array([None if r[i] is None else float(r[i]) for r in rows]
                                                if kind == "number" else [r[i] for r in rows])
                                 for i, (name, kind) in enumerate(columns)})
                staging.insert_arrow(relation, data)
    except BaseException:
        staging.close()
        raise
    return staging


def write_analyst_copy(con: Warehouse, home: Path, *, manifest_path: Path | None = None) -> Path:
    """Write the whole analysts' copy into a new version folder, then switch `home/published.duckdb`
    and `home/published/` to it. Returns the path analysts open (`home/published.duckdb`)."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    clean_leftovers(home)
    root = home / VERSIONS_DIR
    root.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    while (root / stamp).exists():
        stamp += "_"
    building = root / f"{_TMP_PREFIX}{stamp}"
    building.mkdir()
    tables = _published_tables(con)
    docs = table_docs(manifest_path)
    if con.engine == "duckdb":
        _write_duckdb(con, building / DUCKDB_NAME, tables, docs)
        faults.point("analyst_copy")
        _write_parquet(con, building / PARQUET_NAME, tables)
    else:
        # The server's published layer carries the same descriptions; the copy is written by DuckDB
        # from a staging copy of it in memory (same types, same rows), so both engines give one file.
        comment_published(con, tables, docs)
        staging = _staged_from(con, tables)
        try:
            _write_duckdb(staging, building / DUCKDB_NAME, tables, docs)
            _write_parquet(staging, building / PARQUET_NAME, tables)
        finally:
            staging.close()
    final = root / stamp
    os.replace(building, final)
    _switch(root / CURRENT_LINK, final, stamp)  # the switch: both paths below lead through this link
    for name in (DUCKDB_NAME, PARQUET_NAME):
        _switch(home / name, root / CURRENT_LINK / name, stamp)  # once: a home whose links named a folder
    return home / DUCKDB_NAME
