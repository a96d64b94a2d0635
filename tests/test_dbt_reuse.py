"""Which unpartitioned dbt nodes a run leaves as they are (orchestration/dbt_reuse.py), on a small
hand-made manifest whose answer is worked out below, and the fingerprint and state record on a
DuckDB file. The run itself (the second month of tests/test_partition_rebuild.py) is checked there."""

from __future__ import annotations

from orchestration import dbt_reuse


def _node(kind: str, name: str, *parents: str, materialized: str | None = None, tags: tuple[str, ...] = (),
          macros: tuple[str, ...] = ()) -> tuple[str, dict]:
    unique_id = f"{kind}.svcmon.{name}"
    return unique_id, {"resource_type": kind, "name": name, "schema": "staging", "alias": name,
                       "config": {"materialized": materialized, "tags": list(tags)},
                       "depends_on": {"nodes": list(parents), "macros": list(macros)}}


def _manifest() -> dict:
    nodes = dict([
        _node("seed", "ref_x", materialized="seed"),
        _node("model", "dim_x", "seed.svcmon.ref_x", materialized="table"),
        _node("model", "stg_a", "source.svcmon.raw.a", materialized="view"),
        _node("model", "dim_a", "model.svcmon.stg_a", materialized="table"),             # a table of a feed
        _node("model", "int_after_dim_a", "model.svcmon.dim_a", materialized="view"),    # below one rebuilt
        _node("model", "completeness", "model.svcmon.stg_a", materialized="view",
              macros=("macro.svcmon.as_of_date",)),                                      # reads a run value
        _node("model", "fct_p", "model.svcmon.stg_a", "model.svcmon.dim_x", materialized="incremental",
              tags=("partitioned",)),
        _node("test", "not_null_ref_x", "seed.svcmon.ref_x"),
        _node("test", "not_null_dim_x", "model.svcmon.dim_x"),
        _node("test", "not_null_stg_a", "model.svcmon.stg_a"),
        _node("test", "relationships_stg_a_ref_x", "model.svcmon.stg_a", "seed.svcmon.ref_x"),
        _node("test", "not_null_fct_p", "model.svcmon.fct_p"),
        _node("test", "relationships_fct_p_dim_x", "model.svcmon.fct_p", "model.svcmon.dim_x"),
    ])
    macros = {"macro.svcmon.as_of_date": {"depends_on": {"macros": ["macro.svcmon.run_value"]}},
              "macro.svcmon.run_value": {"depends_on": {"macros": []}}}
    # A unit test of an unpartitioned model, one of the period mart.
    unit_tests = {"unit_test.svcmon.dim_x.test_dim_x": {"name": "test_dim_x", "model": "dim_x"},
                  "unit_test.svcmon.fct_p.test_fct_p": {"name": "test_fct_p", "model": "fct_p"}}
    return {"nodes": nodes, "macros": macros, "unit_tests": unit_tests}


def test_kept_are_the_seeds_static_dims_and_unchanged_views_with_their_static_tests():
    reuse = dbt_reuse.plan(_manifest())
    # dim_a (a table of a feed), the view below it and the view with the as-of date are rebuilt;
    # fct_p belongs to the partitioned step.
    # Each after what it reads (Dagster takes the outputs in that order): the seed before its dim.
    assert reuse.kept == ("seed.svcmon.ref_x", "model.svcmon.dim_x", "model.svcmon.stg_a")
    # Tests of the seed and the seed's dim only: stg_a's tests read the feed and run; the partitioned
    # mart's tests are the other step's. Unit tests have fixed inputs: the unpartitioned model's is
    # left alone, the mart's runs with the mart.
    assert reuse.excluded == ("ref_x", "dim_x", "stg_a", "not_null_dim_x", "not_null_ref_x", "test_dim_x")


def test_the_period_marts_step_answers_for_the_marts_their_tests_and_unit_tests():
    # fct_p, its not-null test, its relationship to dim_x (a test that reads a dim too) and its unit
    # test; nothing of the unpartitioned models.
    assert dbt_reuse.period_mart_nodes(_manifest()) == {
        "model.svcmon.fct_p", "test.svcmon.not_null_fct_p", "test.svcmon.relationships_fct_p_dim_x",
        "unit_test.svcmon.fct_p.test_fct_p"}


def test_a_view_of_a_run_value_through_a_macro_chain_is_rebuilt():
    manifest = _manifest()
    manifest["macros"]["macro.svcmon.as_of_date"]["depends_on"]["macros"] = ["macro.svcmon.middle"]
    manifest["macros"]["macro.svcmon.middle"] = {"depends_on": {"macros": ["macro.svcmon.run_value"]}}
    assert "model.svcmon.completeness" not in dbt_reuse.plan(manifest).kept
    manifest["macros"]["macro.svcmon.middle"]["depends_on"]["macros"] = []
    assert "model.svcmon.completeness" in dbt_reuse.plan(manifest).kept


def test_the_fingerprint_follows_the_project_files_and_settings_not_what_dbt_writes(tmp_path):
    project = tmp_path / "dbt_project"
    (project / "models").mkdir(parents=True)
    (project / "models" / "stg_a.sql").write_text("select 1 as a\n")
    (project / "target").mkdir()
    first = dbt_reuse.project_fingerprint(project, {"vars": {}})

    (project / "target" / "manifest.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("ran")
    assert dbt_reuse.project_fingerprint(project, {"vars": {}}) == first

    assert dbt_reuse.project_fingerprint(project, {"vars": {"feed_cadence_overrides": {"x": "monthly"}}}) != first
    (project / "models" / "stg_a.sql").write_text("select 2 as a\n")
    assert dbt_reuse.project_fingerprint(project, {"vars": {}}) != first
    (project / "models" / "stg_a.sql").write_text("select 1 as a\n")
    (project / "models" / "renamed.sql").write_bytes((project / "models" / "stg_a.sql").read_bytes())
    (project / "models" / "stg_a.sql").unlink()
    assert dbt_reuse.project_fingerprint(project, {"vars": {}}) != first  # same content, another model


def test_the_record_and_the_relations_live_in_the_warehouse(tmp_path):
    from ingest.warehouse import connect

    manifest = _manifest()
    with connect(f"duckdb://{tmp_path / 'w.duckdb'}") as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        assert dbt_reuse.recorded_fingerprint(con) is None
        dbt_reuse.record_fingerprint(con, "abc", "run-1")
        dbt_reuse.record_fingerprint(con, "def", "run-2")
        assert dbt_reuse.recorded_fingerprint(con) == "def"
        assert con.execute("SELECT count(*) FROM staging.dbt_build_state").fetchone()[0] == 1

        con.execute("CREATE TABLE staging.ref_x (a INTEGER)")
        con.execute("CREATE VIEW staging.stg_a AS SELECT 1 AS a")
        assert dbt_reuse.relations_exist(con, manifest, ["seed.svcmon.ref_x", "model.svcmon.stg_a"])
        con.execute("DROP VIEW staging.stg_a")
        assert not dbt_reuse.relations_exist(con, manifest, ["seed.svcmon.ref_x", "model.svcmon.stg_a"])
