"""dbt models as assets. Only the period-dependent marts (tag `partitioned`) are
partitioned; a backfill of many months runs them in one dbt invocation."""


import json
from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetObservation, Failure, Output
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from expectations import runner
from ingest import faults
from orchestration import dbt_reuse
from orchestration.dbt import (
    PARTITIONED_SELECTOR,
    SvcmonDbtTranslator,
    dbt_build,
    dbt_project,
    dbt_vars,
    project_fingerprint,
    run_as_of,
)
from orchestration.partitions import monthly_partitions, single_run
from orchestration.resources import WarehouseResource

translator = SvcmonDbtTranslator()


def dbt_events(invocation: DbtCliInvocation) -> Iterator[Any]:
    """The invocation's Dagster events, less the observation of every test that passed (dbt tests are
    not asset checks here, see `SvcmonDbtTranslator`): warnings, failures and errors stay visible on
    the asset they test; a pass is in dbt's run results and `quality.check_results`."""
    for event in invocation.stream():
        if isinstance(event, AssetObservation):
            status = event.metadata.get("status")
            if getattr(status, "value", status) in ("pass", "success"):
                continue
        yield event


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=PARTITIONED_SELECTOR,
    dagster_dbt_translator=translator,
    name="svcmon_dbt_reference_and_staging",
)
def dbt_unpartitioned(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # The completeness view compiles the run's as-of date in. Asking for `warehouse` also makes a
    # run of these models alone hold the writer lock.
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    fingerprint = project_fingerprint()
    complete = context.selected_asset_keys == context.assets_def.keys
    reuse = dbt_reuse.plan(manifest) if complete else None
    with warehouse.connect() as con:
        if reuse is not None and not (dbt_reuse.recorded_fingerprint(con) == fingerprint
                                      and dbt_reuse.relations_exist(con, manifest, reuse.kept)):
            reuse = None
    if reuse is None:
        invocation = dbt_build(dbt, context, vars=dbt_vars(run_as_of(context)))
    else:
        # Every test is selected by name (fqn:*), none through its model: a kept view's tests still run.
        # dagster-dbt reads one value after --exclude: the selectors go as one space-separated string.
        invocation = dbt_build(dbt, context, "--exclude", " ".join([f"{PARTITIONED_SELECTOR}+", *reuse.excluded]),
                               vars=dbt_vars(run_as_of(context)), environment={"DBT_INDIRECT_SELECTION": "empty"})
        context.log.info(f"{len(reuse.kept)} dbt models and seeds left as they are: the project is the one "
                         "of the last complete build")
        # Before dbt's own events: nothing kept reads a node dbt rebuilds.
        for unique_id in reuse.kept:
            key = translator.get_asset_spec(manifest, unique_id, dbt_project).key
            yield Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                         metadata={"svcmon/kept": "unchanged: same dbt project as the last complete build"})
    yield from dbt_events(invocation)
    if reuse is None and complete:
        with warehouse.connect() as con:
            dbt_reuse.record_fingerprint(con, fingerprint, context.run.run_id)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=PARTITIONED_SELECTOR,
    dagster_dbt_translator=translator,
    partitions_def=monthly_partitions,
    backfill_policy=single_run,
    name="svcmon_dbt_period_marts",
)
def dbt_partitioned(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    first, last = context.partition_key_range.start, context.partition_key_range.end
    invocation = dbt_build(dbt, context, vars=dbt_vars(run_as_of(context), first, last), raise_on_error=False)
    for event in dbt_events(invocation):
        yield event
        faults.point("dbt")
    # dbt tests keep their severities and land beside the GX results for the gate, each charged to
    # the periods of its failing rows.
    with warehouse.connect() as con:
        runner.record_dbt_results(con, invocation.target_path / "run_results.json", context.partition_keys,
                                  run_id=context.run.run_id)
    if not invocation.is_successful():
        raise Failure(f"dbt build failed for {first}..{last}; see the dbt log above")
