"""The warehouse layer on a real PostgreSQL server, side by side with DuckDB: placeholders, typed
frames, COPY with a column list, transactions, the catalogue and DDL types per engine."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from ingest import warehouse
from tests.pg_fixtures import pg_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres

COLUMNS = [("label", "text", "NOT NULL"), ("amount", "number", ""), ("items", "integer", ""),
           ("flag", "boolean", ""), ("day", "date", ""), ("stamp", "timestamp", ""), ("doc", "json", "")]


@pytest.fixture
def engines(pg_url, tmp_path):  # noqa: F811
    """The same empty table `t.sample` on DuckDB and on PostgreSQL."""
    opened = {"duckdb": warehouse.connect(tmp_path / "w.duckdb"), "postgres": warehouse.connect(pg_url)}
    for con in opened.values():
        con.execute("CREATE SCHEMA IF NOT EXISTS t")
        con.create_table("t.sample", COLUMNS)
    yield opened
    for con in opened.values():
        con.close()


def test_positional_and_named_placeholders_and_literal_percent(engines):
    for con in engines.values():
        assert con.execute("SELECT CAST(? AS INTEGER) + 1, '50%', '?'", [41]).fetchone() == (42, "50%", "?")
        assert con.execute("SELECT $a || '-' || $b || '-' || $a, 'it''s $a'",
                           {"a": "x", "b": "y"}).fetchone() == ("x-y-x", "it's $a")
        con.executemany("INSERT INTO t.sample (label, items) VALUES (?, ?)", [("a", 1), ("b", 2)])
        assert con.execute("SELECT sum(items) FROM t.sample WHERE label LIKE '%'").fetchone()[0] == 3


def test_ddl_types_come_from_one_table_per_engine(engines):
    types = {engine: dict(con.column_types("t", "sample")) for engine, con in engines.items()}
    assert types["duckdb"] == {"label": "VARCHAR", "amount": "DOUBLE", "items": "INTEGER", "flag": "BOOLEAN",
                               "day": "DATE", "stamp": "TIMESTAMP", "doc": "JSON"}
    assert types["postgres"] == {"label": "character varying", "amount": "double precision", "items": "integer",
                                 "flag": "boolean", "day": "date", "stamp": "timestamp without time zone",
                                 "doc": "jsonb"}
    assert engines["postgres"].sql_type("number") == "DOUBLE PRECISION"
    with pytest.raises(ValueError, match="no SQL type"):
        engines["postgres"].sql_type("money")


def test_catalogue_questions(engines):
    for con in engines.values():
        assert con.table_exists("t", "sample")
        assert not con.table_exists("t", "absent")
        assert con.columns("t", "sample") == [name for name, *_ in COLUMNS]


def test_copy_with_a_column_list_keeps_every_value(engines):
    # Text that COPY's text format must escape, NULLs, and columns in another order than the
    # table's; `flag`, `doc` are absent and stay NULL.
    batch = pa.table({
        "stamp": [dt.datetime(2024, 3, 5, 8, 30, 15, 123456), None, None],
        "label": ["tab\there", "new\nline and back\\slash", "鹿城区 \"引号\""],
        "amount": [1.5, None, 1e-9],
        "items": pa.array([3, None, 0], type=pa.int32()),
        "day": [dt.date(2024, 2, 29), None, dt.date(2023, 1, 1)],
    })
    for con in engines.values():
        con.insert_arrow("t.sample", batch)
    rows = {engine: con.execute("SELECT label, amount, items, flag, day, stamp, doc FROM t.sample ORDER BY label")
            .fetchall() for engine, con in engines.items()}
    assert rows["postgres"] == rows["duckdb"]
    assert rows["postgres"] == sorted([
        ("tab\there", 1.5, 3, None, dt.date(2024, 2, 29), dt.datetime(2024, 3, 5, 8, 30, 15, 123456), None),
        ("new\nline and back\\slash", None, None, None, None, None, None),
        ("鹿城区 \"引号\"", 1e-9, 0, None, dt.date(2023, 1, 1), None, None),
    ])


def test_frames_are_typed_as_duckdb_types_them(engines):
    for con in engines.values():
        con.executemany("INSERT INTO t.sample (label, amount, items, flag, day, stamp, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [("a", 2.5, 7, True, dt.date(2024, 1, 31), dt.datetime(2024, 2, 1, 9, 0), '{"k": 1}'),
                         ("b", None, None, None, None, None, None)])
    sql = ("SELECT label, amount, items, CAST(items AS BIGINT) AS big, flag, day, stamp, doc, "
           "CAST(7 AS INTEGER) AS seven, label = 'a' AS is_a, count(*) OVER () AS n "
           "FROM t.sample ORDER BY label")
    frames = {engine: con.execute(sql).df() for engine, con in engines.items()}
    duck, pg = frames["duckdb"], frames["postgres"]
    assert {c: str(t) for c, t in pg.dtypes.items()} == {c: str(t) for c, t in duck.dtypes.items()}
    # What the types are: nullable ints/bools where a NULL is present, float64, str, datetime64[us].
    assert {c: str(t) for c, t in pg.dtypes.items()} == {
        "label": "str", "amount": "float64", "items": "Int32", "big": "Int64", "flag": "boolean",
        "day": "datetime64[us]", "stamp": "datetime64[us]", "doc": "str", "seven": "int32", "is_a": "bool",
        "n": "int64"}
    assert pg.drop(columns="doc").equals(duck.drop(columns="doc"))
    # JSON comes back as text on both (PostgreSQL's JSONB normalises the spacing).
    assert [v if isinstance(v, str) else None for v in pg["doc"]] == ['{"k": 1}', None]


def test_a_failed_transaction_leaves_nothing(engines):
    for con in engines.values():
        with pytest.raises(Exception, match="(?i)null"):
            with con.transaction():
                con.execute("INSERT INTO t.sample (label) VALUES ('kept?')")
                con.execute("INSERT INTO t.sample (label) VALUES (NULL)")  # NOT NULL
        assert con.execute("SELECT count(*) FROM t.sample").fetchone()[0] == 0
        with pytest.raises(RuntimeError):
            with con.transaction():
                con.execute("INSERT INTO t.sample (label) VALUES ('kept?')")
                raise RuntimeError("the caller's own error")
        assert con.execute("SELECT count(*) FROM t.sample").fetchone()[0] == 0
        with con.transaction():
            con.execute("INSERT INTO t.sample (label) VALUES ('kept')")
        # The session is usable after the failures, and the committed row is there.
        assert con.execute("SELECT label FROM t.sample").fetchall() == [("kept",)]


def test_insert_rows_in_bulk_or_row_by_row_store_the_same(engines):
    """`insert_rows` writes through Arrow in one go; a column Arrow cannot type as one kind (here a
    number and a word) goes row by row; both leave the same rows on either engine, and a pending
    result of an earlier query does not stand in the way (DuckDB 2 refuses `register` then)."""
    stamp = dt.datetime(2025, 1, 31, 23, 59, 58, 123456)
    typed = [("a", 1.5, 3, True, dt.date(2025, 1, 31), stamp, '{"k": "值"}'),
             ("b", None, None, None, None, None, None)]
    mixed = [("c", 2.0, 1, False, dt.date(2025, 2, 1), stamp, "[]"),
             ("d", 3.0, 2, True, "2025-02-02", stamp, "{}")]  # a date and a text in one column
    names = [name for name, *_ in COLUMNS]
    for con in engines.values():
        con.execute("SELECT label FROM t.sample").fetchone()
        con.insert_rows("t.sample", names, typed)
        con.insert_rows("t.sample", names, mixed)
        con.insert_rows("t.sample", names, [])
        rows = con.execute("SELECT label, amount, items, flag, day, stamp FROM t.sample ORDER BY label").fetchall()
        assert rows == [("a", 1.5, 3, True, dt.date(2025, 1, 31), stamp), ("b", None, None, None, None, None),
                        ("c", 2.0, 1, False, dt.date(2025, 2, 1), stamp),
                        ("d", 3.0, 2, True, dt.date(2025, 2, 2), stamp)]
        assert con.execute("SELECT count(*) FROM t.sample WHERE doc IS NOT NULL").fetchone()[0] == 3
