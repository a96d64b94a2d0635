"""The warehouse connection: the one home of which engine holds the data and how Python talks to it.

Every Python module reaches the warehouse through `connect()` and the `Warehouse` it returns,
never through a driver directly. SQL written in Python stays in the subset both engines share
(no QUALIFY, GROUP BY ALL, arg_max, INSERT BY NAME): parameters are `?` (positional) or
`$name` (a mapping), and `Warehouse.execute` adapts them to the driver.

`SVCMON_WAREHOUSE_URL` unset: DuckDB at `$SVCMON_HOME/warehouse.duckdb` (the embedded default).
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

    def table_exists(self, schema: str, table: str) -> bool:
        return bool(self.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0])

    def columns(self, schema: str, table: str) -> list[str]:
        return [name for name, _type in self.column_types(schema, table)]

    def column_types(self, schema: str, table: str) -> list[tuple[str, str]]:
        return [tuple(r) for r in self.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()]


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
        name = "_svcmon_insert_batch"
        self.raw.register(name, data)
        try:
            columns = ", ".join(quote_identifier(c) for c in data.column_names)
            self.raw.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {name}")
        finally:
            self.raw.unregister(name)

    def close(self) -> None:
        self.raw.close()


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
    """Open the warehouse (`url` or `warehouse_url()`): a `duckdb:///path` URL or a plain path is DuckDB."""
    target = str(url) if url is not None else warehouse_url()
    if target.startswith("duckdb://"):
        target = target.removeprefix("duckdb://")
    if target.startswith(("postgresql://", "postgres://")):
        raise NotImplementedError("PostgreSQL warehouse: see the shared-warehouse issue")
    return DuckDBWarehouse(Path(target), read_only=read_only)
