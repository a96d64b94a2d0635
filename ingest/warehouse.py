"""The warehouse connection: the one home of which engine holds the data and how Python talks to it.

Every Python module reaches the warehouse through `connect()` and the `Warehouse` it returns,
never through a driver directly. SQL written in Python stays in the subset both engines share
(no QUALIFY, GROUP BY ALL, arg_max, INSERT BY NAME): parameters are `?` (positional) or
`$name` (a mapping), and `Warehouse.execute` adapts them to the driver.

`SVCMON_WAREHOUSE_URL` unset: DuckDB at `$SVCMON_HOME/warehouse.duckdb` (the embedded default);
`postgresql://user:pass@host:port/db`: PostgreSQL through psycopg 3 (autocommit; `transaction()`
groups statements), the database prepared by `ingest.database` on first use (schemas, roles) and
every pipeline session running as `svcmon_owner` when the login may.

What differs between the engines lives here and nowhere else in Python: the DDL types
(`Warehouse.sql_type`), parameter styles, bulk loading (DuckDB reads Arrow, PostgreSQL `COPY`),
and how a result becomes a typed frame.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest import settings

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# The DDL type of each kind of value, per engine: the one home of engine-specific column types.
# `number` is an 8-byte float; `json` is DuckDB's JSON, PostgreSQL's JSONB (comparable, indexable).
SQL_TYPES: dict[str, dict[str, str]] = {
    "text": {"duckdb": "VARCHAR", "postgres": "VARCHAR"},
    "number": {"duckdb": "DOUBLE", "postgres": "DOUBLE PRECISION"},
    "integer": {"duckdb": "INTEGER", "postgres": "INTEGER"},
    "bigint": {"duckdb": "BIGINT", "postgres": "BIGINT"},
    "boolean": {"duckdb": "BOOLEAN", "postgres": "BOOLEAN"},
    "date": {"duckdb": "DATE", "postgres": "DATE"},
    "timestamp": {"duckdb": "TIMESTAMP", "postgres": "TIMESTAMP"},
    "json": {"duckdb": "JSON", "postgres": "JSONB"},
    "bytes": {"duckdb": "BLOB", "postgres": "BYTEA"},
}
ENGINES = ("duckdb", "postgres")


def sql_type(kind: str, engine: str) -> str:
    """The DDL type of `kind` (a key of SQL_TYPES) on `engine` ('duckdb' | 'postgres')."""
    try:
        return SQL_TYPES[kind][engine]
    except KeyError:
        raise ValueError(f"no SQL type for kind {kind!r} on engine {engine!r}") from None


# What information_schema.columns.data_type says, on either engine, back to the storage kind
# (lower case, without a length or precision): for copying a table from one engine to the other.
_KINDS_OF_TYPES: dict[str, str] = {
    "varchar": "text", "character varying": "text", "text": "text", "character": "text", "bpchar": "text",
    "double": "number", "double precision": "number", "real": "number", "float": "number", "numeric": "number",
    "decimal": "number",
    "integer": "integer", "smallint": "integer", "tinyint": "integer",
    "bigint": "bigint", "hugeint": "bigint",
    "boolean": "boolean", "date": "date",
    "timestamp": "timestamp", "timestamp without time zone": "timestamp",
    "json": "json", "jsonb": "json", "blob": "bytes", "bytea": "bytes",
}


def kind_of_type(data_type: str) -> str:
    """The storage kind (a key of SQL_TYPES) of a column whose information_schema type is
    `data_type` on either engine, e.g. `character varying` → text, `DECIMAL(18,3)` → number."""
    base = data_type.split("(")[0].strip().lower()
    try:
        return _KINDS_OF_TYPES[base]
    except KeyError:
        raise ValueError(f"no storage kind for column type {data_type!r}") from None


# A `?` or `$name` placeholder outside quoted text (single quotes, double quotes).
_PLACEHOLDER = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*")|(\?)|\$([A-Za-z_][A-Za-z0-9_]*)|(%)""")


class Result:
    """Rows of one statement: `fetchall()`, `fetchone()`, `df()` and `description`, whatever the engine."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def description(self) -> list[tuple]:
        return list(self._cursor.description or [])

    @property
    def columns(self) -> list[str]:
        return [d[0] for d in self.description]

    def fetchall(self) -> list[tuple]:
        return [tuple(r) for r in self._cursor.fetchall()]

    def fetchone(self) -> tuple | None:
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def records(self) -> list[dict[str, Any]]:
        names = self.columns
        return [dict(zip(names, r, strict=True)) for r in self.fetchall()]

    def df(self) -> pd.DataFrame:
        """A typed frame: numbers as float64 with NaN for NULL, as DuckDB's own `df()` gives."""
        native = getattr(self._cursor, "df", None)
        if native is not None:
            return native()
        import decimal

        import pandas as pd

        frame = pd.DataFrame(self.fetchall(), columns=self.columns)
        for name in frame.columns:
            values = frame[name].dropna()
            if len(values) and all(isinstance(v, int | float | decimal.Decimal) and not isinstance(v, bool)
                                   for v in values):
                frame[name] = pd.to_numeric(frame[name].astype(object).where(frame[name].notna()), errors="coerce")
        return frame


class Warehouse:
    """One open connection to the warehouse. Use as a context manager; it closes on exit."""

    engine: str = ""

    def sql_type(self, kind: str) -> str:
        """The DDL type of `kind` on this engine (e.g. `number` → DOUBLE / DOUBLE PRECISION)."""
        return sql_type(kind, self.engine)

    def create_table(self, table: str, columns: Sequence[tuple[str, ...]], *,
                     constraints: Sequence[str] = ()) -> None:
        """`CREATE TABLE IF NOT EXISTS table (…)` from (name, storage kind[, column constraint])
        tuples, each kind in this engine's DDL type, then any table constraints."""
        body = ",\n    ".join([
            *(" ".join(part for part in (quote_identifier(name), self.sql_type(kind), *rest) if part)
              for name, kind, *rest in columns),
            *constraints,
        ])
        self.execute(f"CREATE TABLE IF NOT EXISTS {table} (\n    {body}\n)")

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Append `rows` (values in the order of `columns`) to `table` in one bulk write
        (`insert_arrow`): a statement per row costs ~1 ms on DuckDB, and check results run to
        tens of thousands of rows. A column whose values Arrow cannot type as one kind goes row by row."""
        if not rows:
            return
        import pyarrow as pa

        try:
            data = pa.table({name: pa.array([row[i] for row in rows]) for i, name in enumerate(columns)})
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            names = ", ".join(quote_identifier(c) for c in columns)
            self.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})", rows)
            return
        self.insert_arrow(table, data)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- to be given by each engine ---------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Result:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        """Append `data` to `table`, matching columns by name (absent columns stay NULL)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # --- shared -----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Warehouse]:
        """One transaction: committed on success, rolled back on any error (then re-raised)."""
        self.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    # The catalogue questions: one query each over `$schema` and `$table`, from each engine's own
    # catalog where information_schema will not do (every engine sets TABLE_EXISTS_SQL).
    TABLE_EXISTS_SQL: str
    COLUMN_TYPES_SQL = ("SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_schema = $schema AND table_name = $table ORDER BY ordinal_position")

    # Tables found while `tables_found_stay` is open; None outside it.
    _tables_found: set[tuple[str, str]] | None = None

    def table_exists(self, schema: str, table: str) -> bool:
        found = self._tables_found
        if found is not None and (schema, table) in found:
            return True
        exists = bool(self.execute(self.TABLE_EXISTS_SQL, {"schema": schema, "table": table}).fetchone()[0])
        if exists and found is not None:
            found.add((schema, table))
        return exists

    @contextmanager
    def tables_found_stay(self) -> Iterator[Warehouse]:
        """Within the block, a table found once is not looked up in the catalogue again. For passes
        that ask about the same tables over and over (the quality index evaluates every period's
        gate: ~300 lookups for 25 periods) and drop nothing; a table missing is still asked each time."""
        if self._tables_found is not None:  # an enclosing block already keeps them
            yield self
            return
        self._tables_found = set()
        try:
            yield self
        finally:
            self._tables_found = None

    def columns(self, schema: str, table: str) -> list[str]:
        return [name for name, _type in self.column_types(schema, table)]

    def column_types(self, schema: str, table: str) -> list[tuple[str, str]]:
        return [tuple(r) for r in self.execute(self.COLUMN_TYPES_SQL, {"schema": schema, "table": table}).fetchall()]


class DuckDBWarehouse(Warehouse):
    engine = "duckdb"

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        import duckdb

        self.path = Path(path)
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.raw = duckdb.connect(str(self.path), read_only=read_only)

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Result:
        # DuckDB reads `?` and `$name` itself.
        return Result(self.raw.execute(sql, params) if params is not None else self.raw.execute(sql))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.raw.executemany(sql, [list(r) for r in rows])

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        # DuckDB reads the Arrow table from this local variable by its name (a replacement scan).
        # Not `register`: DuckDB 2 refuses it while an earlier result is not fetched to its end.
        _svcmon_insert_batch = data  # noqa: F841
        columns = ", ".join(quote_identifier(c) for c in data.column_names)
        self.raw.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _svcmon_insert_batch")

    # DuckDB's own catalog functions, less its internal objects: the rows information_schema shows,
    # without building its views over every catalog (2.5x faster per call; publication and the
    # reports ask thousands of times over a history).
    TABLE_EXISTS_SQL = (
        "SELECT EXISTS (SELECT 1 FROM duckdb_tables() WHERE NOT internal AND schema_name = $schema "
        "AND table_name = $table) OR EXISTS (SELECT 1 FROM duckdb_views() WHERE NOT internal "
        "AND schema_name = $schema AND view_name = $table)")
    COLUMN_TYPES_SQL = ("SELECT column_name, data_type FROM duckdb_columns() "
                        "WHERE NOT internal AND schema_name = $schema AND table_name = $table ORDER BY column_index")

    def close(self) -> None:
        self.raw.close()


# PostgreSQL type OIDs (pg_type) and how DuckDB's `df()` types the same values: ints stay ints
# (nullable Int32/Int64 when a NULL is present), floats and NUMERIC are float64, booleans bool
# (nullable `boolean`), text `str`, dates and timestamps datetime64[us].
_PG_INT32 = {21, 23}            # int2, int4
_PG_INT64 = {20}                # int8
_PG_FLOAT = {700, 701, 1700}    # float4, float8, numeric
_PG_BOOL = {16}
_PG_TEXT = {25, 1043, 1042, 19, 114, 3802}  # text, varchar, bpchar, name, json, jsonb
_PG_DATETIME = {1082, 1114}     # date, timestamp


class PostgresResult(Result):
    def __init__(self, cursor: Any) -> None:
        # Rows are read at once: the connection's one cursor may run the next statement before
        # this result is consumed (DuckDB's results behave the same way for our callers).
        self._description = list(cursor.description or [])
        self._rows = [tuple(r) for r in cursor.fetchall()] if cursor.description else []
        self._next = 0

    @property
    def description(self) -> list[tuple]:
        return [(d.name, d.type_code, None, None, d.precision, d.scale, None) for d in self._description]

    def fetchall(self) -> list[tuple]:
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows

    def fetchone(self) -> tuple | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def df(self) -> pd.DataFrame:
        import pandas as pd

        rows = self.fetchall()
        data = {}
        for i, d in enumerate(self._description):
            values = [r[i] for r in rows]
            has_null = any(v is None for v in values)
            oid = d.type_code
            if oid in _PG_INT32 or oid in _PG_INT64:
                width = 32 if oid in _PG_INT32 else 64
                data[d.name] = pd.array(values, dtype=f"Int{width}") if has_null else \
                    pd.array(values, dtype=f"int{width}")
            elif oid in _PG_FLOAT:
                data[d.name] = pd.array([float("nan") if v is None else float(v) for v in values], dtype="float64")
            elif oid in _PG_BOOL:
                data[d.name] = pd.array(values, dtype="boolean" if has_null else "bool")
            elif oid in _PG_TEXT:
                data[d.name] = pd.array(values, dtype="str")
            elif oid in _PG_DATETIME:
                data[d.name] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[us]")
            else:
                data[d.name] = pd.Series(values, dtype=object)
        frame = pd.DataFrame({name: pd.Series(v).reset_index(drop=True) for name, v in data.items()},
                             columns=[d.name for d in self._description])
        return frame


class PostgresWarehouse(Warehouse):
    """A PostgreSQL session (psycopg 3, autocommit): every statement commits on its own unless it
    runs inside `transaction()`. On opening, the database is prepared if it is not yet
    (`ingest.database.ensure_database`) and the session takes the pipeline's role when the login
    is a member of it, so everything it creates belongs to `svcmon_owner`."""

    engine = "postgres"

    def __init__(self, url: str, *, read_only: bool = False, prepare: bool = True) -> None:
        import psycopg
        from psycopg.types.string import TextLoader

        self.url = url
        self.raw = psycopg.connect(url, autocommit=True)
        # JSON comes back as its text, as DuckDB gives it (callers json.loads what they need).
        for name in ("json", "jsonb"):
            self.raw.adapters.register_loader(name, TextLoader)
        self._cursor = self.raw.cursor()
        if prepare:
            from ingest import database

            database.ensure_database(self)
        if read_only:
            self._cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Result:
        if params is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(translate_placeholders(sql, params), _plain_params(params))
        return PostgresResult(self._cursor)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(translate_placeholders(sql, rows[0]), [_plain_params(r) for r in rows])

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        """`COPY … FROM STDIN` with the column list: absent columns stay NULL."""
        columns = ", ".join(quote_identifier(c) for c in data.column_names)
        rows = zip(*(column.to_pylist() for column in data.columns), strict=True)
        with self._cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    @contextmanager
    def transaction(self) -> Iterator[Warehouse]:
        """One transaction (psycopg's: committed on success, rolled back on any error); nested
        blocks become savepoints."""
        with self.raw.transaction():
            yield self

    def close(self) -> None:
        self.raw.close()

    # Whether a relation exists, from the catalog whatever this login may read: information_schema
    # lists only what it may, so a statistician's session would take a view it was not granted for a
    # missing one and quietly read something else (the gate's read set). Reading it then fails loudly.
    TABLE_EXISTS_SQL = (
        "SELECT count(*) > 0 FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n "
        "ON n.oid = c.relnamespace WHERE n.nspname = $schema AND c.relname = $table "
        "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')")


def _plain_params(params: Sequence[Any] | Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
    """numpy scalars (from frames) as Python values: psycopg adapts only the latter."""
    def plain(value: Any) -> Any:
        if hasattr(value, "item") and type(value).__module__ == "numpy":
            return value.item()
        return value

    if isinstance(params, Mapping):
        return {k: plain(v) for k, v in params.items()}
    return [plain(v) for v in params]


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def translate_placeholders(sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> str:
    """`?` → `%s` and `$name` → `%(name)s` outside quoted text; a literal `%` → `%%` (pyformat drivers)."""
    if params is None:
        return sql

    def replace(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1).replace("%", "%%")
        if m.group(2):
            return "%s"
        if m.group(3):
            return f"%({m.group(3)})s"
        return "%%"

    return _PLACEHOLDER.sub(replace, sql)


def warehouse_url() -> str:
    """`SVCMON_WAREHOUSE_URL`, or the embedded DuckDB file under `$SVCMON_HOME`."""
    return settings.warehouse_url()


def connect(url: str | Path | None = None, *, read_only: bool = False) -> Warehouse:
    """Open the warehouse (`url` or `warehouse_url()`): a `duckdb:///path` URL or a plain path is
    DuckDB; `postgresql://…` (or `postgres://…`) is the PostgreSQL server, prepared on first use
    (`ingest.database.ensure_database`). `read_only` on PostgreSQL opens a session whose
    transactions are read-only (the server's roles decide what a login may touch)."""
    target = str(url) if url is not None else warehouse_url()
    if is_postgres_url(target):
        return PostgresWarehouse(target, read_only=read_only)
    if target.startswith("duckdb://"):
        target = target.removeprefix("duckdb://")
    return DuckDBWarehouse(Path(target), read_only=read_only)


def is_postgres_url(url: str | Path | None) -> bool:
    return str(url or "").startswith(("postgresql://", "postgres://"))


def engine_of(url: str | Path | None = None) -> str:
    """'postgres' or 'duckdb': the engine `url` (default `warehouse_url()`) names."""
    return "postgres" if is_postgres_url(url if url is not None else warehouse_url()) else "duckdb"
