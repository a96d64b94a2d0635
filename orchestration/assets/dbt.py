"""dbt models as assets. Only the period-dependent marts (tag `partitioned`) are
partitioned; a backfill of many months runs them in one dbt invocation.

A run that builds both steps (the build job, the monthly job) starts dbt once: the first step's
`dbt build` builds the period marts of the run's months too, and the period marts step reports what
that invocation did (its events, its test results for the gate, its failure). A run of the period
marts alone, or one whose first step did not build them, runs their own `dbt build`."""


import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetObservation, Failure, Output
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_dbt.core.dbt_cli_event import DbtCliEventMessage

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
    step_target,
)
from orchestration.partitions import (
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    PARTITION_TAG,
    monthly_partitions,
    single_run,
)
from orchestration.resources import WarehouseResource

translator = SvcmonDbtTranslator()
FAILED = ("error", "fail", "runtime error")  # dbt's result statuses that fail a build


def _without_passes(events: Iterable[Any]) -> Iterator[Any]:
    """Dagster events less the observation of every test that passed (dbt tests are not asset checks
    here, see `SvcmonDbtTranslator`): warnings, failures and errors stay visible on the asset they
    test; a pass is in dbt's run results and `quality.check_results`."""
    for event in events:
        if isinstance(event, AssetObservation):
            status = event.metadata.get("status")
            if getattr(status, "value", status) in ("pass", "success"):
                continue
        yield event


def _step_events(messages: Iterable[DbtCliEventMessage], manifest: dict, context: AssetExecutionContext,
                 target: Path) -> Iterator[Any]:
    """dbt's events as the step's Dagster events, as dagster-dbt's `DbtCliInvocation.stream` makes them."""
    for message in messages:
        yield from message.to_default_asset_events(manifest=manifest, dagster_dbt_translator=translator,
                                                   context=context, target_path=target, project=dbt_project)


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
    if reuse is not None:
        context.log.info(f"{len(reuse.kept)} dbt models and seeds left as they are: the project is the one "
                         "of the last complete build")
        # Before dbt's own events: nothing kept reads a node dbt rebuilds.
        for unique_id in reuse.kept:
            key = translator.get_asset_spec(manifest, unique_id, dbt_project).key
            yield Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                         metadata={"svcmon/kept": "unchanged: same dbt project as the last complete build"})
    months = _period_range_of_run(context) if complete else None
    if months is not None:
        yield from _build_with_period_marts(context, dbt, manifest, reuse, *months)
    elif reuse is None:
        yield from _without_passes(dbt_build(dbt, context, vars=dbt_vars(run_as_of(context))).stream())
    else:
        # Every test is selected by name (fqn:*), none through its model: a kept view's tests still run.
        # dagster-dbt reads one value after --exclude: the selectors go as one space-separated string.
        invocation = dbt_build(dbt, context, "--exclude", " ".join([f"{PARTITIONED_SELECTOR}+", *reuse.excluded]),
                               vars=dbt_vars(run_as_of(context)), environment={"DBT_INDIRECT_SELECTION": "empty"})
        yield from _without_passes(invocation.stream())
    if reuse is None and complete:
        with warehouse.connect() as con:
            dbt_reuse.record_fingerprint(con, fingerprint, context.run.run_id)


# --- one dbt process for a build of both steps ---------------------------------------------------
@dataclass(frozen=True)
class PeriodMartsBuilt:
    """The period marts as the first step's dbt invocation built them, for their own step."""

    first: str
    last: str
    messages: tuple[DbtCliEventMessage, ...]
    target: Path  # the invocation's target folder: run_results.json and manifest.json
    failed: bool


# Keyed by run id. The code location's executor runs a run's steps one after another in one process;
# a run whose period marts step finds nothing here (another executor, a re-execution of that step
# alone) runs dbt itself.
_built_ahead: dict[str, PeriodMartsBuilt] = {}


def _period_range_of_run(context: AssetExecutionContext) -> tuple[str, str] | None:
    """The months [first, last] of the run when its period marts step runs after this one, else None."""
    keys = dbt_partitioned.keys
    if not keys <= context.job_def.asset_layer.selected_asset_keys:
        return None
    if context.run.asset_selection and not keys <= context.run.asset_selection:  # empty: the whole job
        return None
    steps = context.run.step_keys_to_execute
    if steps is not None and dbt_partitioned.op.name not in steps:
        return None
    tags = context.run.tags
    first = tags.get(PARTITION_RANGE_START_TAG) or tags.get(PARTITION_TAG)
    last = tags.get(PARTITION_RANGE_END_TAG) or tags.get(PARTITION_TAG)
    return (first, last) if first and last else None


def _build_with_period_marts(context: AssetExecutionContext, dbt: DbtCliResource, manifest: dict,
                             reuse: dbt_reuse.Reuse | None, first: str, last: str) -> Iterator[Any]:
    """One `dbt build` of this step's nodes and the period marts of [first, last] (dbt's start-up,
    its parse check and its manifest write, ~5 s, paid once per run). The marts' events wait for
    their own step (`_built_ahead`); a failure among them is that step's, not this one's."""
    period_nodes = dbt_reuse.period_mart_nodes(manifest)
    (step_target(context) / "run_results.json").unlink(missing_ok=True)  # nothing of an earlier invocation is read as this one's
    if reuse is None:
        invocation = dbt_build(dbt, context, "--select", "fqn:*", vars=dbt_vars(run_as_of(context), first, last),
                               raise_on_error=False, own_selection=True)
    else:
        # Every test is selected by name (fqn:*), none through its model: a kept view's tests still run.
        invocation = dbt_build(dbt, context, "--select", "fqn:*", "--exclude", " ".join(reuse.excluded),
                               vars=dbt_vars(run_as_of(context), first, last), raise_on_error=False,
                               environment={"DBT_INDIRECT_SELECTION": "empty"}, own_selection=True)
    deferred: list[DbtCliEventMessage] = []
    for message in invocation.stream_raw_events():
        if message.raw_event["data"].get("node_info", {}).get("unique_id") in period_nodes:
            deferred.append(message)
            if message.is_result_event:
                faults.point("dbt")
        else:
            yield from _without_passes(_step_events([message], manifest, context, invocation.target_path))
    results = json.loads((invocation.target_path / "run_results.json").read_text(encoding="utf-8")) \
        if (invocation.target_path / "run_results.json").exists() else {"results": []}
    failed = {r["unique_id"] for r in results["results"] if r.get("status") in FAILED}
    if not invocation.is_successful() and (not failed or failed - period_nodes):
        raise invocation.get_error()  # this step's nodes (or dbt itself) failed: as dagster-dbt raises it
    _built_ahead.clear()  # one run at a time per process: an earlier run's marts are of no use
    _built_ahead[context.run.run_id] = PeriodMartsBuilt(first, last, tuple(deferred), invocation.target_path,
                                                    failed=bool(failed & period_nodes))


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
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    built = _built_ahead.pop(context.run.run_id, None)
    if built is not None and (built.first, built.last) == (first, last) \
            and context.selected_asset_keys == context.assets_def.keys:
        yield from _without_passes(_step_events(built.messages, manifest, context, built.target))
        results, failed = built.target / "run_results.json", built.failed
    else:
        invocation = dbt_build(dbt, context, vars=dbt_vars(run_as_of(context), first, last), raise_on_error=False)
        for event in _without_passes(invocation.stream()):
            yield event
            faults.point("dbt")
        results, failed = invocation.target_path / "run_results.json", not invocation.is_successful()
    # dbt tests keep their severities and land beside the GX results for the gate, each charged to
    # the periods of its failing rows.
    with warehouse.connect() as con:
        runner.record_dbt_results(con, results, context.partition_keys, run_id=context.run.run_id,
                                  only=dbt_reuse.period_mart_nodes(manifest))
    if failed:
        raise Failure(f"dbt build failed for {first}..{last}; see the dbt log above")
