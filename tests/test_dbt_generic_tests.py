"""The project's own generic dbt tests (dbt_project/tests/generic), run by dbt on a tiny warehouse."""

from __future__ import annotations

import pytest

from tests.dbt_fixtures import insert_raw, make_warehouse, query, run_dbt

pytestmark = pytest.mark.slow


def test_not_null_columns_fails_on_each_row_with_an_empty_column_and_names_them(tmp_path):
    db = make_warehouse(tmp_path)
    # Three rows of one file: the second has no growth rate, the third neither indicator nor rate.
    insert_raw(db, "stats_fai", [
        {"indicator": "服务业投资", "yoy_pct": 9.0, "share_pct": 60.0},
        {"indicator": "固定资产投资", "yoy_pct": None, "share_pct": 100.0},
        {"indicator": None, "yoy_pct": None, "share_pct": 1.0},
    ], period="2024-03")
    run_dbt(db, "run", "--select", "stg_stats_fai__indicators")

    tested = run_dbt(db, "test", "--select", "stg_stats_fai__indicators", "--store-failures")

    [(unique_id, status)] = [(u, s) for u, s in tested.statuses().items()
                             if u.startswith("test.svcmon.not_null_columns_stg_stats_fai__indicators")]
    assert status == "warn"  # staging tests warn: the GX suite on raw is the blocking home
    [result] = [r for r in tested.run_results["results"] if r["unique_id"] == unique_id]
    assert result["failures"] == 2  # two rows, though three cells are empty
    audit = result["relation_name"]
    rows = query(db, f"select indicator, null_columns from {audit} order by null_columns")
    assert rows == [{"indicator": None, "null_columns": "indicator, yoy_pct"},
                    {"indicator": "固定资产投资", "null_columns": "yoy_pct"}]


def test_not_null_columns_passes_when_every_listed_column_holds_a_value(tmp_path):
    db = make_warehouse(tmp_path)
    # share_pct is empty but not listed (the registry does not require it).
    insert_raw(db, "stats_fai", [{"indicator": "服务业投资", "yoy_pct": 9.0, "share_pct": None}], period="2024-03")
    run_dbt(db, "run", "--select", "stg_stats_fai__indicators")

    tested = run_dbt(db, "test", "--select", "stg_stats_fai__indicators")

    statuses = {u: s for u, s in tested.statuses().items() if "not_null_columns" in u}
    assert list(statuses.values()) == ["pass"]
