"""Publication: immutable, versioned snapshots of a period's marts in the `published` schema.

Layout (ARCHITECTURE.md round two, engine-neutral): `published.<mart>_history` keeps every version
of every period (the mart's columns plus `publication_version`), `published.<mart>` is a view of the
current (latest) version of each period, so a plain `sum()` over it counts one version;
`published.publication_log` says what each version is (gate result, override, the vintages its
numbers read, the as-of date it was built with); `published.publication_diff` lists what moved
between two versions in every published table; the dims analysts join are published whole.

One publication = one transaction: it copies the period's rows of every published mart into the
history tables with disclosure control applied (`publish.disclosure.protect`: protected cells NULL,
`suppressed` true, `suppression_reason` primary | complementary), appends the log and the diff. A
reader sees a whole version or none; on error nothing is written.

Versions: a re-run whose inputs (the vintages it read) and whose published rows are both unchanged
returns the existing version. A new version is made when the inputs changed, or when the rows
changed although the inputs did not (a model fix changes a published number: that must be a version
of its own, never a silent overwrite).

The inputs are the read set captured when the marts were built (`marts.fct_read_set`, see
`expectations.read_set`): `built_inputs` reads them, and the caller publishes only while they are
still the current vintages (`read_set.is_current`).
"""

from __future__ import annotations

import datetime as dt
import json

from expectations import read_set
from ingest import clock, faults
from ingest.warehouse import Warehouse
from publish.contract import (
    DIFF_SPECS,
    HISTORY_SUFFIX,
    MARTS_SCHEMA,
    PERIOD_COLUMN,
    PROTECTED_COLUMNS,
    PUBLISHED_DIMS,
    PUBLISHED_MARTS,
    PUBLISHED_SCHEMA,
    VERSION_COLUMN,
)
from publish.disclosure import COMPLEMENTARY, REASON_COLUMN, protect, row_key
from publish.errors import NotPublished, PublicationError
from publish.labels import parse_period

GATE_RESULTS = ("passed", "overridden")
VINTAGE_KEYS = read_set.VINTAGE_KEYS

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
    ("as_of_date", "date", ""),
)
_DIFF_COLUMNS = (
    ("period", "text", "NOT NULL"),
    ("version", "integer", "NOT NULL"),
    ("previous_version", "integer", "NOT NULL"),
    ("table_name", "text", "NOT NULL"),
    ("row_key", "text", "NOT NULL"),
    ("row_name", "text", ""),
    ("change", "text", "NOT NULL"),
    ("column_name", "text", ""),
    ("old_value", "number", ""),
    ("new_value", "number", ""),
    ("delta", "number", ""),
    ("old_text", "text", ""),
    ("new_text", "text", ""),
)
LOG_COLUMN_DOCS: dict[str, str] = {
    "period": "报告期 / report period (YYYY-MM)",
    "version": "发布版本号 / version of the period",
    "published_at": "发布时间（本地时间） / when published (deployment time zone)",
    "gate_result": "质量关结果：passed 通过 / overridden 签字放行",
    "input_vintages": "本版数据读取的文件版本（JSON：feed_id, scope, period, file_sha256） / the vintages the numbers read",
    "override": "签字放行记录（JSON），无则为空 / the statistician's override, if any",
    "as_of_date": "判断报送情况所依据的日期（重建时沿用） / the as-of date of the build (reused by rebuilds)",
}
DIFF_COLUMN_DOCS: dict[str, str] = {
    "period": "报告期", "version": "新版本号", "previous_version": "对比的上一版本号",
    "table_name": "数据表 / published table", "row_key": "行的键（多列以 / 连接） / the row's key",
    "row_name": "行名称", "change": "changed 数值变化 / added 新增行 / removed 删除行",
    "column_name": "变化的列（新增、删除行为空）", "old_value": "上一版数值", "new_value": "本版数值",
    "delta": "变化量（本版 − 上一版）", "old_text": "上一版文字（亮灯、状态等）", "new_text": "本版文字",
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def history_table(mart: str) -> str:
    return f"{mart}{HISTORY_SUFFIX}"


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


def built_inputs(con: Warehouse, period: str) -> list[dict]:
    """The vintages the period's marts were built from (its read set captured at build time): what
    a version records, so it can be rebuilt exactly from the archive."""
    parse_period(period)
    captured = read_set.captured_read_set(con, period)
    if captured is None:
        raise PublicationError(
            f"{period} 期的数据集市尚未构建，不能发布 / the marts of {period} have not been built: nothing to publish")
    return captured


def latest_published_version(con: Warehouse, period: str) -> int | None:
    if not con.table_exists(PUBLISHED_SCHEMA, "publication_log"):
        return None
    return con.execute(f"SELECT max(version) FROM {LOG_TABLE} WHERE period = ?", [period]).fetchone()[0]


def publication_records(con: Warehouse) -> list[dict]:
    """Every log row in publication order; JSON columns decoded."""
    if not con.table_exists(PUBLISHED_SCHEMA, "publication_log"):
        return []
    return [_decoded(r) for r in con.execute(
        f"SELECT * FROM {LOG_TABLE} ORDER BY published_at, period, version").records()]


def _decoded(record: dict) -> dict:
    record = dict(record)
    record["input_vintages"] = json.loads(record["input_vintages"])
    record["override"] = json.loads(record["override"]) if record["override"] is not None else None
    return record


def publication_record(con: Warehouse, period: str, version: int | None = None) -> dict | None:
    """The log row of (period, version), latest version when None; JSON columns decoded."""
    if version is None:
        version = latest_published_version(con, period)
    if version is None:
        return None
    rows = con.execute(f"SELECT * FROM {LOG_TABLE} WHERE period = ? AND version = ?", [period, version]).records()
    return _decoded(rows[0]) if rows else None


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
    """Rows of `published.<mart>_history` for (period, version); latest version when None. Protected
    cells are NULL (`suppressed`, `suppression_reason` say why).

    `order_by`: an SQL ORDER BY list from `publish.contract` (never user input).

    Raises NotPublished when the period has no publication (or not that version).
    """
    if mart not in PUBLISHED_MARTS:
        raise ValueError(f"未发布的数据表 {mart!r} / {mart!r} is not a published mart; known: {PUBLISHED_MARTS}")
    version = require_published(con, period, version)["version"]
    if not con.table_exists(PUBLISHED_SCHEMA, history_table(mart)):
        return []
    return con.execute(
        f"SELECT * FROM {PUBLISHED_SCHEMA}.{history_table(mart)} WHERE {PERIOD_COLUMN} = ? AND {VERSION_COLUMN} = ?"
        + (f" ORDER BY {order_by}" if order_by else ""),
        [period, version],
    ).records()


def published_columns(con: Warehouse, mart: str) -> list[str]:
    """The columns of a published mart (empty when nothing of it is published yet)."""
    return con.columns(PUBLISHED_SCHEMA, history_table(mart))


# --- the layout ---------------------------------------------------------------------------------
def _table_type(con: Warehouse, schema: str, name: str) -> str | None:
    row = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                      [schema, name]).fetchone()
    return row[0] if row else None


def ensure_published_schema(con: Warehouse) -> None:
    """The published schema, log and diff, and a warehouse published before the current/history layout
    brought to it (its version tables become the history tables; the old indicator-only diff is kept
    aside as publication_diff_indicators)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {PUBLISHED_SCHEMA}")
    con.create_table(LOG_TABLE, _LOG_COLUMNS, constraints=["PRIMARY KEY (period, version)"])
    if "as_of_date" not in con.columns(PUBLISHED_SCHEMA, "publication_log"):
        con.execute(f"ALTER TABLE {LOG_TABLE} ADD COLUMN as_of_date {con.sql_type('date')}")
    diff_columns = con.columns(PUBLISHED_SCHEMA, "publication_diff")
    if diff_columns and "table_name" not in diff_columns:
        con.execute(f"ALTER TABLE {DIFF_TABLE} RENAME TO publication_diff_indicators")
    con.create_table(DIFF_TABLE, _DIFF_COLUMNS)
    for mart in PUBLISHED_MARTS:
        if (_table_type(con, PUBLISHED_SCHEMA, mart) == "BASE TABLE"
                and not con.table_exists(PUBLISHED_SCHEMA, history_table(mart))):
            con.execute(f"ALTER TABLE {PUBLISHED_SCHEMA}.{mart} RENAME TO {history_table(mart)}")


def _refresh_current_view(con: Warehouse, mart: str) -> None:
    """`published.<mart>`: the rows of the latest version of each published period."""
    if not con.table_exists(PUBLISHED_SCHEMA, history_table(mart)):
        return
    con.execute(f"DROP VIEW IF EXISTS {PUBLISHED_SCHEMA}.{mart}")
    columns = ", ".join(f"history.{_q(c)}" for c in con.columns(PUBLISHED_SCHEMA, history_table(mart)))
    con.execute(f"""
        CREATE VIEW {PUBLISHED_SCHEMA}.{mart} AS
        SELECT {columns}
        FROM {PUBLISHED_SCHEMA}.{history_table(mart)} AS history
        INNER JOIN (SELECT period, max(version) AS version FROM {LOG_TABLE} GROUP BY period) AS latest
            ON history.{PERIOD_COLUMN} = latest.period AND history.{VERSION_COLUMN} = latest.version""")


def _refresh_dims(con: Warehouse, marts_schema: str) -> None:
    for dim in PUBLISHED_DIMS:
        if not _source_exists(con, marts_schema, dim):
            continue
        con.execute(f"DROP TABLE IF EXISTS {PUBLISHED_SCHEMA}.{dim}")
        con.execute(f"CREATE TABLE {PUBLISHED_SCHEMA}.{dim} AS SELECT * FROM {marts_schema}.{dim}")


def _source_exists(con: Warehouse, marts_schema: str, table: str) -> bool:
    catalog, _, schema = marts_schema.rpartition(".")
    if not catalog:
        return con.table_exists(schema, table)
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = ? AND table_schema = ? "
        "AND table_name = ?", [catalog, schema, table]).fetchone()[0])


def _source_column_types(con: Warehouse, marts_schema: str, mart: str) -> list[tuple[str, str]]:
    catalog, _, schema = marts_schema.rpartition(".")
    if not catalog:
        return con.column_types(schema, mart)
    return [tuple(r) for r in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = ? "
        "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position", [catalog, schema, mart]).fetchall()]


def _mart_columns(con: Warehouse, mart: str, marts_schema: str = MARTS_SCHEMA) -> list[tuple[str, str]]:
    if not _source_exists(con, marts_schema, mart):
        raise PublicationError(
            f"数据集市表 {marts_schema}.{mart} 不存在，无法发布 / mart {marts_schema}.{mart} does not exist"
        )
    columns = _source_column_types(con, marts_schema, mart)
    if PERIOD_COLUMN not in [c for c, _t in columns]:
        raise PublicationError(
            f"{marts_schema}.{mart} 缺少 {PERIOD_COLUMN} 列 / {marts_schema}.{mart} has no {PERIOD_COLUMN} column"
        )
    return columns


# --- one version ----------------------------------------------------------------------------------
def _copy_mart(con: Warehouse, mart: str, columns: list[tuple[str, str]], period: str, version: int,
               marts_schema: str = MARTS_SCHEMA) -> None:
    """The period's mart rows into `<mart>_history` as `version`, disclosure control applied."""
    target = f"{PUBLISHED_SCHEMA}.{history_table(mart)}"
    names = [c for c, _t in columns]
    col_list = ", ".join(_q(c) for c in names)
    select = f"SELECT {col_list}, CAST($version AS INTEGER) FROM {marts_schema}.{mart} WHERE {PERIOD_COLUMN} = $period"
    if not con.table_exists(PUBLISHED_SCHEMA, history_table(mart)):
        defs = [f"{_q(c)} {t}" for c, t in columns] + [f"{VERSION_COLUMN} INTEGER"]
        if mart in PROTECTED_COLUMNS:
            defs.append(f"{REASON_COLUMN} VARCHAR")
        con.execute(f"CREATE TABLE {target} ({', '.join(defs)})")
    # A mart that gained columns: add them (older versions read NULL); none is ever dropped.
    existing = set(con.columns(PUBLISHED_SCHEMA, history_table(mart)))
    for name, dtype in columns:
        if name not in existing:
            con.execute(f"ALTER TABLE {target} ADD COLUMN {_q(name)} {dtype}")
    con.execute(f"INSERT INTO {target} ({col_list}, {VERSION_COLUMN}) {select}", {"period": period, "version": version})
    if mart in PROTECTED_COLUMNS:
        _protect(con, mart, period, version)


def _protect(con: Warehouse, mart: str, period: str, version: int) -> None:
    """Disclosure control on the rows just copied: NULL for every protected cell, and why."""
    table = f"{PUBLISHED_SCHEMA}.{history_table(mart)}"
    rows = con.execute(f"SELECT * FROM {table} WHERE {PERIOD_COLUMN} = ? AND {VERSION_COLUMN} = ?",
                       [period, version]).records()
    keep_hidden = {row_key(r) for r in con.execute(
        f"SELECT * FROM {table} WHERE {PERIOD_COLUMN} = ? AND {VERSION_COLUMN} < ? AND {REASON_COLUMN} = ?",
        [period, version, COMPLEMENTARY]).records()}
    available = set(rows[0]) if rows else set()
    cleared = [c for c in PROTECTED_COLUMNS[mart] if c in available]
    flag = ", suppressed = TRUE" if "suppressed" in available else ""
    for row, reason in zip(rows, protect(rows, keep_hidden=keep_hidden), strict=True):
        if reason is None:
            continue
        assignments = ", ".join(f"{_q(c)} = NULL" for c in cleared)
        con.execute(
            f"UPDATE {table} SET {assignments}{flag}, {REASON_COLUMN} = ? "
            f"WHERE {PERIOD_COLUMN} = ? AND {VERSION_COLUMN} = ? AND row_level = ? AND row_code = ?",
            [reason, period, version, row["row_level"], row["row_code"]])


def _version_unchanged(con: Warehouse, mart: str, period: str, version: int, previous: int) -> bool:
    """Version `version` of the period holds the same rows as `previous` (as multisets)."""
    table = f"{PUBLISHED_SCHEMA}.{history_table(mart)}"
    col_list = ", ".join(_q(c) for c in con.columns(PUBLISHED_SCHEMA, history_table(mart)) if c != VERSION_COLUMN)
    new = f"SELECT {col_list} FROM {table} WHERE {PERIOD_COLUMN} = $period AND {VERSION_COLUMN} = $version"
    old = f"SELECT {col_list} FROM {table} WHERE {PERIOD_COLUMN} = $period AND {VERSION_COLUMN} = $previous"
    differing = con.execute(
        f"SELECT (SELECT count(*) FROM ({new} EXCEPT ALL {old}) AS added)"
        f" + (SELECT count(*) FROM ({old} EXCEPT ALL {new}) AS removed)",
        {"period": period, "version": version, "previous": previous},
    ).fetchone()[0]
    return differing == 0


def _row_key_sql(alias: str, key: tuple[str, ...]) -> str:
    return " || ' / ' || ".join(f"coalesce(CAST({alias}.{_q(k)} AS VARCHAR), '')" for k in key)


def _write_diff(con: Warehouse, period: str, version: int, previous: int) -> int:
    """Every published number (and light, state) that moved between `previous` and `version`, in
    every published table, and every row added or removed."""
    params = {"period": period, "version": version, "previous": previous}
    for mart, spec in DIFF_SPECS.items():
        if not con.table_exists(PUBLISHED_SCHEMA, history_table(mart)):
            continue
        available = set(con.columns(PUBLISHED_SCHEMA, history_table(mart)))
        if not set(spec.key) <= available:
            continue
        table = f"{PUBLISHED_SCHEMA}.{history_table(mart)}"
        name = _q(spec.name) if spec.name in available else "NULL"
        joined = (
            f"(SELECT * FROM {table} WHERE {PERIOD_COLUMN} = $period AND {VERSION_COLUMN} = $previous) AS old "
            f"FULL OUTER JOIN "
            f"(SELECT * FROM {table} WHERE {PERIOD_COLUMN} = $period AND {VERSION_COLUMN} = $version) AS new ON "
            + " AND ".join(f"old.{_q(k)} IS NOT DISTINCT FROM new.{_q(k)}" for k in spec.key))
        first_key = _q(spec.key[0])
        key_sql = (f"CASE WHEN new.{first_key} IS NULL THEN {_row_key_sql('old', spec.key)} "
                   f"ELSE {_row_key_sql('new', spec.key)} END")
        # Every NULL typed: PostgreSQL types the branches of a UNION pairwise, left to right, and
        # two untyped NULLs become text, which then meets the numbers of a 'changed' branch.
        number = con.sql_type("number")
        no_number, no_text = f"CAST(NULL AS {number})", "CAST(NULL AS VARCHAR)"
        name_sql = (f"coalesce(CAST(new.{name} AS VARCHAR), CAST(old.{name} AS VARCHAR))" if name != "NULL"
                    else no_text)
        head = f"SELECT $period, $version, $previous, '{mart}', {key_sql}, {name_sql}"
        nothing = f"{no_text}, {no_number}, {no_number}, {no_number}, {no_text}, {no_text}"
        parts = [
            f"{head}, 'added', {nothing} FROM {joined} "
            f"WHERE old.{first_key} IS NULL AND new.{first_key} IS NOT NULL",
            f"{head}, 'removed', {nothing} FROM {joined} "
            f"WHERE new.{first_key} IS NULL AND old.{first_key} IS NOT NULL",
        ]
        both = f"old.{first_key} IS NOT NULL AND new.{first_key} IS NOT NULL"
        for column in (c for c in spec.numbers if c in available):
            c = _q(column)
            parts.append(
                f"{head}, 'changed', '{column}', CAST(old.{c} AS {number}), CAST(new.{c} AS {number}), "
                f"CAST(new.{c} AS {number}) - CAST(old.{c} AS {number}), {no_text}, {no_text} FROM {joined} "
                f"WHERE {both} AND old.{c} IS DISTINCT FROM new.{c}")
        for column in (c for c in spec.texts if c in available):
            c = _q(column)
            parts.append(
                f"{head}, 'changed', '{column}', {no_number}, {no_number}, {no_number}, CAST(old.{c} AS VARCHAR), "
                f"CAST(new.{c} AS VARCHAR) FROM {joined} WHERE {both} AND old.{c} IS DISTINCT FROM new.{c}")
        con.execute(f"INSERT INTO {DIFF_TABLE} " + " UNION ALL ".join(parts), params)
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
    as_of_date: dt.date | None = None,
    marts_schema: str = MARTS_SCHEMA,
    restore: dict | None = None,
) -> int:
    """Publish the period's mart rows as a new version and return it (or the unchanged latest one).

    `override` (when the gate was overridden): the sign-off, e.g. `{signed_by, signed_at, reason,
    overrides: [check_id, ...]}`; stored as JSON and shown on the reports' first page.
    `input_vintages`: the vintages the marts read (`built_inputs`); `as_of_date`: the as-of date they
    were built with. `marts_schema`: where the marts are (disaster recovery reads an attached
    rebuilt warehouse). `restore`: a log record to write back verbatim (its version, published_at):
    disaster recovery recreating a lost version.
    """
    parse_period(period)
    _validate(gate_result, override)
    vintages = normalise_vintages(input_vintages)
    marts = {mart: _mart_columns(con, mart, marts_schema) for mart in PUBLISHED_MARTS}

    con.execute("BEGIN TRANSACTION")
    try:
        ensure_published_schema(con)
        previous = latest_published_version(con, period)
        version = restore["version"] if restore else (previous or 0) + 1
        for mart, columns in marts.items():
            _copy_mart(con, mart, columns, period, version, marts_schema)
        if restore is None and previous is not None:
            record = publication_record(con, period, previous)
            if record["input_vintages"] == vintages and all(
                    _version_unchanged(con, m, period, version, previous) for m in marts):
                con.execute("ROLLBACK")
                return previous
        # stored times: the deployment zone's wall clock (ingest.clock)
        published_at = restore["published_at"] if restore else clock.now()
        con.execute(
            f"INSERT INTO {LOG_TABLE} (period, version, published_at, gate_result, input_vintages, override, "
            "as_of_date) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                period,
                version,
                published_at,
                gate_result,
                json.dumps(vintages, ensure_ascii=False),
                json.dumps(override, ensure_ascii=False, default=str) if override else None,
                as_of_date,
            ],
        )
        if previous is not None:
            _write_diff(con, period, version, previous)
        for mart in marts:
            _refresh_current_view(con, mart)
        _refresh_dims(con, marts_schema)
        faults.point("publication")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return version


def publication_diff(con: Warehouse, period: str, version: int, table: str | None = None) -> list[dict]:
    """What moved in version `version` of the period against the version before it (every table, or
    `table` alone), ordered by table, row and column."""
    if not con.table_exists(PUBLISHED_SCHEMA, "publication_diff"):
        return []
    where = "period = ? AND version = ?" + (" AND table_name = ?" if table else "")
    params = [period, version] + ([table] if table else [])
    return con.execute(
        f"SELECT * FROM {DIFF_TABLE} WHERE {where} ORDER BY table_name, row_key, change, column_name", params
    ).records()
