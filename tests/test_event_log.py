"""The instance's SQLite event log (`orchestration.event_log`): Dagster's own files and schema, so
Dagster's default storage (a webserver configured without svcmon) reads what it wrote, and back."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, AssetSpec, DagsterInstance, MaterializeResult, materialize, multi_asset

from orchestration import event_log, instance

SPECS = [AssetSpec(f"asset_{i}") for i in range(5)]


@multi_asset(specs=SPECS)
def five_assets():
    for spec in SPECS:
        yield MaterializeResult(asset_key=spec.key, metadata={"rows": int(spec.key.path[0].split("_")[1])})


def _instance(folder: Path, *, pooled: bool) -> DagsterInstance:
    """The instance in `folder`: as svcmon configures it (`pooled`), or Dagster's default storage."""
    if pooled:
        instance.write_instance_config(folder, str(folder / "warehouse.duckdb"))
    else:
        (folder / "dagster.yaml").write_text("telemetry: {enabled: false}\n", encoding="utf-8")
    return DagsterInstance.from_config(str(folder))


def _rows(inst: DagsterInstance, name: str) -> int:
    event = inst.get_latest_materialization_event(AssetKey(name))
    return event.asset_materialization.metadata["rows"].value


def test_runs_written_through_kept_connections_read_the_same_with_dagsters_default(tmp_path):
    pooled = _instance(tmp_path, pooled=True)
    assert isinstance(pooled.event_log_storage, event_log.PooledSqliteEventLogStorage)
    # More runs than connections kept: the oldest are closed and reopened when asked for again.
    run_ids = [materialize([five_assets], instance=pooled).run_id for _ in range(event_log.KEPT_CONNECTIONS + 2)]
    counts = {run_id: len(pooled.get_records_for_run(run_id, limit=1000).records) for run_id in run_ids}
    assert len(pooled.event_log_storage._engines) <= event_log.KEPT_CONNECTIONS
    pooled.dispose()

    default = _instance(tmp_path, pooled=False)
    assert type(default.event_log_storage).__name__ == "SqliteEventLogStorage"
    assert {run_id: len(default.get_records_for_run(run_id, limit=1000).records) for run_id in run_ids} == counts
    assert all(n > len(SPECS) * 2 for n in counts.values())  # planned + materialized per asset, and the steps
    assert _rows(default, "asset_3") == 3
    assert len(default.fetch_materializations(AssetKey("asset_4"), limit=100).records) == len(run_ids)
    extra = materialize([five_assets], instance=default).run_id
    default.dispose()

    again = _instance(tmp_path, pooled=True)  # and back: what the default wrote, the pooled one reads
    assert len(again.fetch_materializations(AssetKey("asset_0"), limit=100).records) == len(run_ids) + 1
    assert again.get_records_for_run(extra, limit=1000).records


def test_a_wiped_event_log_takes_new_runs(tmp_path):
    pooled = _instance(tmp_path, pooled=True)
    materialize([five_assets], instance=pooled)
    pooled.wipe()  # deletes the run files: no connection to a deleted file may be written again
    run_id = materialize([five_assets], instance=pooled).run_id
    assert pooled.fetch_materializations(AssetKey("asset_1"), limit=100).records[0].run_id == run_id
    assert Path(tmp_path / "history" / "runs" / f"{run_id}.db").exists()


def test_the_instance_of_a_copied_home_writes_its_events_in_its_own_folder(tmp_path):
    first, copy, warehouse = tmp_path / "first", tmp_path / "copy", str(tmp_path / "warehouse.duckdb")
    instance.write_instance_config(first, warehouse)
    copy.mkdir()
    (copy / "dagster.yaml").write_text((first / "dagster.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    instance.write_instance_config(copy, warehouse)  # svcmon rewrites its own key for the home it is in
    text = (copy / "dagster.yaml").read_text(encoding="utf-8")
    assert str(copy / "history" / "runs") in text and str(first) not in text
    # A storage the operator chose is theirs.
    (copy / "dagster.yaml").write_text("storage:\n  sqlite:\n    base_dir: /srv/dagster\n", encoding="utf-8")
    instance.write_instance_config(copy, warehouse)
    text = (copy / "dagster.yaml").read_text(encoding="utf-8")
    assert "PooledSqliteEventLogStorage" not in text and "/srv/dagster" in text
