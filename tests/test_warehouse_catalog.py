"""The DuckDB warehouse's catalogue questions (`table_exists`, `column_types`) come from DuckDB's own
catalog functions: they give what information_schema gives, for every kind of relation a session sees."""

from __future__ import annotations

from ingest import warehouse


def _information_schema(con, schema: str, table: str) -> tuple[bool, list[tuple[str, str]]]:
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                         [schema, table]).fetchone()[0] > 0
    columns = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                          "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
    return exists, [tuple(c) for c in columns]


def test_catalogue_answers_match_information_schema(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.fct (period VARCHAR, amount DOUBLE, n INTEGER, doc JSON)")
        con.execute("CREATE VIEW marts.v_fct AS SELECT n, period, amount * 2 AS doubled FROM marts.fct")
        con.execute("CREATE TEMP TABLE scratch (k BIGINT, label VARCHAR)")
        con.execute(f"ATTACH '{tmp_path / 'other.duckdb'}' AS other")
        con.execute("CREATE SCHEMA other.copies")
        con.execute("CREATE TABLE other.copies.kept (day DATE, stamp TIMESTAMP)")
        asked = [("marts", "fct"), ("marts", "v_fct"), ("main", "scratch"), ("copies", "kept"),
                 ("marts", "FCT"), ("marts", "absent"), ("absent", "fct"), ("main", "duckdb_tables")]
        for schema, table in asked:
            exists, columns = _information_schema(con, schema, table)
            assert con.table_exists(schema, table) is exists, (schema, table)
            assert con.column_types(schema, table) == columns, (schema, table)
        # Worked out by hand: the view's columns in its select order, none for a missing relation.
        assert con.column_types("marts", "v_fct") == [("n", "INTEGER"), ("period", "VARCHAR"), ("doubled", "DOUBLE")]
        assert con.columns("copies", "kept") == ["day", "stamp"]
        assert con.table_exists("main", "scratch") and not con.table_exists("main", "duckdb_tables")
        assert con.column_types("marts", "absent") == []
    finally:
        con.close()


def test_tables_found_stay_asks_the_catalogue_once_per_found_table_and_always_for_a_missing_one(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    asked: list[tuple[str, str]] = []
    ask = con.execute

    def counting(sql, params=None):
        if sql == con.TABLE_EXISTS_SQL:
            asked.append((params["schema"], params["table"]))
        return ask(sql, params)

    con.execute = counting
    try:
        ask("CREATE SCHEMA quality")
        ask("CREATE TABLE quality.check_results (period VARCHAR)")
        with con.tables_found_stay():
            assert [con.table_exists("quality", "check_results") for _ in range(3)] == [True, True, True]
            assert not con.table_exists("quality", "signoffs")
            ask("CREATE TABLE quality.signoffs (period VARCHAR)")  # created within: found on the next ask
            assert con.table_exists("quality", "signoffs") and con.table_exists("quality", "signoffs")
            with con.tables_found_stay():  # a block inside keeps what the outer one found
                assert con.table_exists("quality", "check_results")
        # Three questions about check_results became one; signoffs asked while missing, then once.
        assert asked == [("quality", "check_results"), ("quality", "signoffs"), ("quality", "signoffs")]
        ask("DROP TABLE quality.signoffs")
        assert not con.table_exists("quality", "signoffs")  # after the block every question is asked again
        assert len(asked) == 4
    finally:
        con.close()
