"""Department names are resolved once, at landing (ingest/reference.py): raw stores the canonical
name beside the name as written, and staging and the checks read the stored result."""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations.runner import run_checks
from ingest import landing
from ingest.reference import canonical_department
from ingest.registry import FEEDS
from tests.dbt_fixtures import query, run_dbt

NBSP, IDEOGRAPHIC_SPACE = "\u00a0", "\u3000"
KANGXI_GOLD = "\u2fa6"  # KANGXI RADICAL GOLD, a compatibility form: NFKC folds it to 金

# 重大项目 of 2024-03; the 责任单位 are spelled as departments really type them.
PROJECTS_CSV = (
    "鹿城区2024年3月重大项目实施表\n"
    "项目代码,项目名称,项目类型,项目级别,总投资,本年累计完成投资,责任单位\n"
    f"2024-330302-72-01-000001,项目一,战略支撑型,省重大,10,1,区{NBSP}发改局\n"
    f"2024-330302-72-01-000002,项目二,产业赋能型,市重点,20,2,区发展{IDEOGRAPHIC_SPACE}和改革局\n"
    f"2024-330302-72-01-000003,项目三,生活美好型,区重点,30,3,区{KANGXI_GOLD}融办\n"
    "2024-330302-72-01-000004,项目四,生活美好型,区重点,40,4,区某某中心\n"
)


def test_names_with_odd_spaces_and_compatibility_forms_resolve_like_their_plain_spelling():
    assert canonical_department(f"区{NBSP}发改局") == "区发改局"
    assert canonical_department(f"{IDEOGRAPHIC_SPACE}区发展和改革局{IDEOGRAPHIC_SPACE}") == "区发改局"
    assert canonical_department(f"区{KANGXI_GOLD}融办") == "区金融办"
    assert canonical_department("区发改局、区金融工作办公室") == "区发改局、区金融办"  # each name resolved
    assert canonical_department("区发改局、区某某中心") is None  # one unknown: the cell does not resolve
    assert canonical_department("区某某中心") is None
    assert canonical_department("  ") is None


def test_landing_stores_the_canonical_name_and_staging_and_checks_read_it(tmp_path):
    inbox = tmp_path / "inbox" / "major_projects"
    inbox.mkdir(parents=True)
    path = inbox / "重大项目202403.csv"
    path.write_text(PROJECTS_CSV, encoding="utf-8")
    db = tmp_path / "warehouse.duckdb"
    with landing.connect(db) as con:
        result = landing.land_file(con, path, "major_projects", archive_root=tmp_path / "archive",
                                   submitted_on=dt.date(2024, 4, 3))
        assert (result.status, result.rows) == ("accepted", 4)
        stored = con.execute(
            "SELECT _row_number, responsible_dept_canonical FROM raw.major_projects ORDER BY _row_number"
        ).fetchall()
        # Rows 3..6 of the file (title, header above).
        assert stored == [(3, "区发改局"), (4, "区发改局"), (5, "区金融办"), (6, None)]

        checks = run_checks(con, ["2024-03"])
        (department,) = [r for r in checks if r.check_id == "major_projects.department.unresolved.responsible_dept"]
        assert (department.status, [s["_row_number"] for s in department.samples]) == ("failed", [6])

    run_dbt(db, "run", "--select", "stg_major_projects__projects")
    rows = query(db, "SELECT responsible_dept, dept_resolved, _row_number FROM staging.stg_major_projects__projects "
                     "ORDER BY _row_number")
    assert [(r["responsible_dept"], r["dept_resolved"]) for r in rows] == [
        ("区发改局", True), ("区发改局", True), ("区金融办", True), ("区某某中心", False)]


def test_a_warehouse_landed_before_the_canonical_column_gets_it_filled(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    feed = FEEDS["supervision_items"]
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.supervision_items (item_id VARCHAR, responsible_dept VARCHAR, _period VARCHAR)")
        con.execute("INSERT INTO raw.supervision_items VALUES ('DB-1', '区发展和改革局', '2024-03'), "
                    "('DB-2', '区某某中心', '2024-03')")
    with landing.connect(db) as con:
        rows = con.execute("SELECT item_id, responsible_dept_canonical FROM raw.supervision_items "
                           "ORDER BY item_id").fetchall()
        columns = con.columns("raw", "supervision_items")
    assert rows == [("DB-1", "区发改局"), ("DB-2", None)]
    assert set(columns) >= {name for name, _ in landing.raw_table_columns(feed)}

