"""Publication: immutable, versioned snapshots of a period's marts in `published.*`.

One publication = one transaction that copies the period's rows of every published mart,
appends `published.publication_log` and writes the diff against the previous version. A reader
sees a whole version or none; on error nothing is written.

Versions: a re-run whose inputs (the vintages it used) and whose mart rows are both unchanged
returns the existing version. A new version is made when the inputs changed, or when the rows
changed although the inputs did not (a model fix changes a published number: that must be a
version of its own, never a silent overwrite).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from ingest.warehouse import Warehouse
from publish.contract import (
    DIFF_KEY,
    DIFF_MART,
    MARTS_SCHEMA,
    PERIOD_COLUMN,
    PUBLISHED_MARTS,
    PUBLISHED_SCHEMA,
    VERSION_COLUMN,
)
from publish.errors import NotPublished, PublicationError
from publish.labels import parse_period

GATE_RESULTS = ("passed", "overridden")
VINTAGE_KEYS = ("feed_id", "scope", "period", "file_sha256")

LOG_TABLE = f"{PUBLISHED_SCHEMA}.publication_log"
DIFF_TABLE = f"{PUBLISHED_SCHEMA}.publication_diff"

# (column, storage kind, constraint) for Warehouse.create_table (each engine's DDL types).
_LOG_COLUMNS = (
    ("period", "text", "NOT NULL"),
    ("version", "integer", "NOT NULL"),
    ("published_at", "timestamp", "NOT NULL"),
    ("gate_result", "text", "NOT NULL"),
    ("input_vintages", "json", "NOT NULL"),
    ("override", "json", ""),
)
_DIFF_COLUMNS = (
    ("period", "text", "NOT NULL"),
    ("version", "integer", "NOT NULL"),
    ("previous_version", "integer", "NOT NULL"),
    ("indicator_id", "text", "NOT NULL"),
    ("indicator_name", "text", ""),
    ("old_value", "number", ""),
    ("new_value", "number", ""),
    ("delta", "number", ""),
    ("old_light", "text", ""),
    ("new_light", "text", ""),
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def normalise_vintages(input_vintages: list[dict]) -> list[dict]:
    """The vintages as the log stores them: the four keys, sorted, so equal inputs compare equal."""
    out = []
    for v in input_vintages:
        missing = [k for k in VINTAGE_KEYS if k not in v]
        if missing:
            raise PublicationError(
                f"输入版本记录缺少字段 {missing}：{v!r} / input vintage lacks {missing}: {v!r}"
            )
        out.append({k: ("" if v[k] is None and k == "scope" else v[k]) for k in VINTAGE_KEYS})
    return sorted(out, key=lambda v: tuple(str(v[k]) for k in VINTAGE_KEYS))


def current_inputs(con: Warehouse, period: str) -> list[dict]:
    """The latest accepted vintage of every (feed, period, scope) up to `period`: everything a
    version of `period` is built from (YTD months, carried-forward quarters and five-year
    totals reach back), so the version can be rebuilt exactly from the archive."""
    parse_period(period)
    if not con.table_exists("raw", "current_vintages"):
        return []
    rows = con.execute(
        "SELECT feed_id, scope, period, file_sha256 FROM raw.current_vintages WHERE period <= ?",
        [period],
    ).fetchall()
    return normalise_vintages([dict(zip(VINTAGE_KEYS, r, strict=True)) for r in rows])


def latest_published_version(con: Warehouse, period: str) -> int | None:
    if not con.table_exists(PUBLISHED_SCHEMA, "publication_log"):
        return None
    return con.execute(f"SELECT max(version) FROM {LOG_TABLE} WHERE period = ?", [period]).fetchone()[0]


def publication_record(con: Warehouse, period: str, version: int | None = None) -> dict | None:
    """The log row of (period, version), latest version when None; JSON columns decoded."""
    if version is None:
        version = latest_published_version(con, period)
    if version is None:
        return None
    cur = con.execute(
        f"SELECT period, version, published_at, gate_result, input_vintages, override FROM {LOG_TABLE} "
        "WHERE period = ? AND version = ?",
        [period, version],
    )
    row = cur.fetchone()
    if row is None:
        return None
    record = dict(zip([d[0] for d in cur.description], row, strict=True))
    record["input_vintages"] = json.loads(record["input_vintages"])
    record["override"] = json.loads(record["override"]) if record["override"] is not None else None
    return record


def require_published(
    con: Warehouse, period: str, version: int | None = None, *, error: type = NotPublished
) -> dict:
    """The log record of (period, version) (latest when None), or `error` with a bilingual message."""
    parse_period(period)
    record = publication_record(con, period, version)
    if record is None:
        if version is None:
            raise error(
                f"{period} 期数据尚未发布（数据质量闸门未通过或尚未运行），不能生成报告或导出 / "
                f"period {period} has not been published (quality gate not passed or not run yet); "
                "nothing can be reported or exported for it"
            )
        raise error(f"{period} 期第{version}版数据未发布 / period {period} has no published version {version}")
    return record


def published_periods(con: Warehouse) -> list[str]:
    if not con.table_exists(PUBLISHED_SCHEMA, "publication_log"):
        return []
    return [r[0] for r in con.execute(f"SELECT DISTINCT period FROM {LOG_TABLE} ORDER BY period").fetchall()]


def published_rows(
    con: Warehouse,
    mart: str,
    period: str,
    version: int | None = None,
    *,
    order_by: str | None = None,
) -> list[dict]:
    """Rows of `published.<mart>` for (period, version); latest version when None.

    `order_by`: an SQL ORDER BY list from `publish.contract` (never user input).

    Raises NotPublished when the period has no publication (or not that version).
    """
    if mart not in PUBLISHED_MARTS:
        raise ValueError(f"未发布的数据表 {mart!r} / {mart!r} is not a published mart; known: {PUBLISHED_MARTS}")
    version = require_published(con, period, version)["version"]
    if not con.table_exists(PUBLISHED_SCHEMA, mart):
        return []
    cur = con.execute(
        f"SELECT * FROM {PUBLISHED_SCHEMA}.{mart} WHERE {PERIOD_COLUMN} = ? AND {VERSION_COLUMN} = ?"
        + (f" ORDER BY {order_by}" if order_by else ""),
        [period, version],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _mart_columns(con: Warehouse, mart: str) -> list[str]:
    if not con.table_exists(MARTS_SCHEMA, mart):
        raise PublicationError(
            f"数据集市表 {MARTS_SCHEMA}.{mart} 不存在，无法发布 / mart {MARTS_SCHEMA}.{mart} does not exist"
        )
    columns = con.columns(MARTS_SCHEMA, mart)
    if PERIOD_COLUMN not in columns:
        raise PublicationError(
            f"{MARTS_SCHEMA}.{mart} 缺少 {PERIOD_COLUMN} 列 / {MARTS_SCHEMA}.{mart} has no {PERIOD_COLUMN} column"
        )
    return columns


def _rows_unchanged(con: Warehouse, mart: str, columns: list[str], period: str, version: int) -> bool:
    """The mart's rows for the period equal the published rows of `version` (as multisets)."""
    if not con.table_exists(PUBLISHED_SCHEMA, mart):
        return False
    published_cols = set(con.columns(PUBLISHED_SCHEMA, mart))
    if not set(columns) <= published_cols:
        return False
    col_list = ", ".join(_q(c) for c in columns)
    new = f"SELECT {col_list} FROM {MARTS_SCHEMA}.{mart} WHERE {PERIOD_COLUMN} = $period"
    old = (
        f"SELECT {col_list} FROM {PUBLISHED_SCHEMA}.{mart} "
        f"WHERE {PERIOD_COLUMN} = $period AND {VERSION_COLUMN} = $version"
    )
    differing = con.execute(
        f"SELECT (SELECT count(*) FROM ({new} EXCEPT ALL {old})) + (SELECT count(*) FROM ({old} EXCEPT ALL {new}))",
        {"period": period, "version": version},
    ).fetchone()[0]
    return differing == 0


def _copy_mart(con: Warehouse, mart: str, columns: list[str], period: str, version: int) -> None:
    target = f"{PUBLISHED_SCHEMA}.{mart}"
    col_list = ", ".join(_q(c) for c in columns)
    select = (
        f"SELECT {col_list}, CAST($version AS INTEGER) AS {VERSION_COLUMN} "
        f"FROM {MARTS_SCHEMA}.{mart} WHERE {PERIOD_COLUMN} = $period"
    )
    params = {"period": period, "version": version}
    if not con.table_exists(PUBLISHED_SCHEMA, mart):
        con.execute(f"CREATE TABLE {target} AS {select}", params)
        return
    # A mart that gained columns: add them (older versions read NULL); none is ever dropped.
    existing = set(con.columns(PUBLISHED_SCHEMA, mart))
    for name, dtype in con.column_types(MARTS_SCHEMA, mart):
        if name not in existing:
            con.execute(f"ALTER TABLE {target} ADD COLUMN {_q(name)} {dtype}")
    con.execute(f"INSERT INTO {target} BY NAME {select}", params)


def _write_diff(con: Warehouse, period: str, version: int, previous: int) -> int:
    """Indicators whose value or light changed between `previous` and `version` (added and removed too)."""
    target = f"{PUBLISHED_SCHEMA}.{DIFF_MART}"
    if not con.table_exists(PUBLISHED_SCHEMA, DIFF_MART):
        return 0
    con.execute(
        f"""
        INSERT INTO {DIFF_TABLE}
        WITH old AS (SELECT * FROM {target} WHERE {PERIOD_COLUMN} = $period AND {VERSION_COLUMN} = $previous),
             new AS (SELECT * FROM {target} WHERE {PERIOD_COLUMN} = $period AND {VERSION_COLUMN} = $version)
        SELECT $period, $version, $previous,
               coalesce(new.{DIFF_KEY}, old.{DIFF_KEY}),
               coalesce(new.indicator_name, old.indicator_name),
               old.value, new.value, new.value - old.value,
               old.light, new.light
        FROM old FULL OUTER JOIN new ON old.{DIFF_KEY} = new.{DIFF_KEY}
        WHERE old.{DIFF_KEY} IS NULL OR new.{DIFF_KEY} IS NULL
           OR old.value IS DISTINCT FROM new.value OR old.light IS DISTINCT FROM new.light
        """,
        {"period": period, "version": version, "previous": previous},
    )
    return con.execute(
        f"SELECT count(*) FROM {DIFF_TABLE} WHERE period = ? AND version = ?", [period, version]
    ).fetchone()[0]


def _validate(gate_result: str, override: dict | None) -> None:
    if gate_result not in GATE_RESULTS:
        raise PublicationError(
            f"发布闸门结果应为 passed 或 overridden，收到 {gate_result!r} / "
            f"gate_result must be 'passed' or 'overridden', got {gate_result!r}"
        )
    if gate_result == "overridden" and not override:
        raise PublicationError(
            "数据经人工放行发布时必须附统计人员签字记录 / an overridden publication needs the statistician's sign-off"
        )
    if gate_result == "passed" and override:
        raise PublicationError(
            "闸门已通过时不应附放行记录 / a publication whose gate passed carries no override"
        )


def publish_period(
    con: Warehouse,
    period: str,
    *,
    gate_result: str,
    override: dict | None,
    input_vintages: list[dict],
) -> int:
    """Publish the period's mart rows as a new version and return it (or the unchanged latest one).

    `override` (when the gate was overridden): the sign-off, e.g. `{signed_by, signed_at, reason,
    overrides: [check_id, ...]}`; stored as JSON and shown on the reports' first page.
    """
    parse_period(period)
    _validate(gate_result, override)
    vintages = normalise_vintages(input_vintages)
    marts = {mart: _mart_columns(con, mart) for mart in PUBLISHED_MARTS}

    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {PUBLISHED_SCHEMA}")
        con.create_table(LOG_TABLE, _LOG_COLUMNS, constraints=["PRIMARY KEY (period, version)"])
        con.create_table(DIFF_TABLE, _DIFF_COLUMNS)
        previous = latest_published_version(con, period)
        if previous is not None:
            record = publication_record(con, period, previous)
            same_inputs = record["input_vintages"] == vintages
            if same_inputs and all(_rows_unchanged(con, m, cols, period, previous) for m, cols in marts.items()):
                con.execute("COMMIT")
                return previous
        version = (previous or 0) + 1
        for mart, columns in marts.items():
            _copy_mart(con, mart, columns, period, version)
        con.execute(
            f"INSERT INTO {LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
            [
                period,
                version,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                gate_result,
                json.dumps(vintages, ensure_ascii=False),
                json.dumps(override, ensure_ascii=False, default=str) if override else None,
            ],
        )
        if previous is not None:
            _write_diff(con, period, version, previous)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return version


def publication_diff(con: Warehouse, period: str, version: int) -> list[dict]:
    if not con.table_exists(PUBLISHED_SCHEMA, "publication_diff"):
        return []
    cur = con.execute(
        f"SELECT * FROM {DIFF_TABLE} WHERE period = ? AND version = ? ORDER BY indicator_id", [period, version]
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _published_tables(con: Warehouse) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
        [PUBLISHED_SCHEMA],
    ).fetchall()]


def write_analyst_copy(con: Warehouse, home: Path) -> Path:
    """Write `home/published.duckdb` (every published.* table, in its default schema) and
    `home/published/<table>.parquet`.

    Both are written to temporary files beside their target and renamed into place, so an
    analyst opening them never meets a half-written file. Returns the DuckDB copy's path.
    """
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    tables = _published_tables(con)
    target = home / "published.duckdb"
    fd, tmp_name = tempfile.mkstemp(prefix=".published-", suffix=".duckdb", dir=home)
    os.close(fd)
    os.unlink(tmp_name)  # DuckDB must create the file itself
    alias = "analyst_copy"
    try:
        con.execute(f"ATTACH '{tmp_name}' AS {alias}")
        try:
            # Tables sit in the copy's default schema: opened as `published.duckdb`, the catalog
            # is `published`, so `published.fct_…` and plain `fct_…` both resolve.
            for table in tables:
                con.execute(
                    f"CREATE TABLE {alias}.main.{_q(table)} AS "
                    f"SELECT * FROM {PUBLISHED_SCHEMA}.{_q(table)}"
                )
        finally:
            con.execute(f"DETACH {alias}")
        os.replace(tmp_name, target)
    finally:
        for leftover in (tmp_name, tmp_name + ".wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)

    parquet_dir = home / "published"
    parquet_dir.mkdir(exist_ok=True)
    for table in tables:
        final = parquet_dir / f"{table}.parquet"
        tmp = parquet_dir / f".{table}.parquet.tmp"
        con.execute(f"COPY {PUBLISHED_SCHEMA}.{_q(table)} TO '{tmp}' (FORMAT PARQUET)")
        os.replace(tmp, final)
    return target
