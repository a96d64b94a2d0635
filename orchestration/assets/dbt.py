"""dbt models as assets. Only the period-dependent marts (tag `partitioned`) are
partitioned; a backfill of many months runs them in one dbt invocation."""


from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetObservation, Failure
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from expectations import runner
from ingest import faults
from orchestration.dbt import (
    PARTITIONED_SELECTOR,
    SvcmonDbtTranslator,
    dbt_build,
    dbt_project,
    dbt_vars,
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
    # The completeness view compiles the run's as-of date in. `warehouse` is not read here: asking
    # for it makes a run of these models alone hold the writer lock.
    yield from dbt_events(dbt_build(dbt, context, vars=dbt_vars(run_as_of(context))))


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
