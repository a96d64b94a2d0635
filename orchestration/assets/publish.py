"""Publication and what people read. The publication asset sits behind the blocking
quality checks: when a check fails, Dagster skips it and the earlier version stays."""


from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, asset

from expectations import gate, read_set
from ingest import recovery, settings
from orchestration.assets.quality import QUALITY_KEY
from orchestration.dbt import dbt_project
from orchestration.partitions import monthly_partitions, single_run
from orchestration.resources import WarehouseResource
from publish import analyst_copy, pdf, publication, reports
from publish.labels import is_quarter_end

PUBLICATION_KEY = AssetKey(["published", "publication"])
REPORTS_KEY = AssetKey(["reports", "monthly_brief"])


def _override_record(verdict: gate.GateResult) -> dict | None:
    """The sign-offs whose overrides let this version publish, printed on every output: the check
    ids for the record, their Chinese names (and targets) for readers."""
    if verdict.status != "overridden":
        return None
    used = [s for s in verdict.signoffs if set(s.overrides) & set(verdict.overridden)]
    latest = used[-1] if used else verdict.signoffs[-1]
    checks = {r.check_id: {"check_id": r.check_id, "check_name_zh": r.check_name_zh, "target": r.target}
              for r in verdict.blocking if r.check_id in verdict.overridden}
    return {"signed_by": latest.signed_by, "signed_at": latest.signed_at.isoformat(timespec="seconds"),
            "reason": latest.reason, "overrides": sorted(verdict.overridden),
            "override_checks": [checks[c] for c in sorted(checks)]}


@asset(
    key=PUBLICATION_KEY,
    group_name="publish",
    partitions_def=monthly_partitions,
    backfill_policy=single_run,
    deps=[QUALITY_KEY],
    description="发布：已通过质量关的月度指标快照 / immutable published version per period",
    kinds={"duckdb"},
)
def publication_asset(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    versions, stale = {}, []
    with warehouse.connect() as con:
        for period in context.partition_keys:
            verdict = gate.evaluate_gate(con, period)
            if not verdict.passed:  # a multi-period run still publishes only what passed
                context.log.warning(f"{period}: gate blocked, earlier publication stays")
                continue
            if not read_set.is_current(con, period):
                # A file landed after the marts were built (or they never were): publishing now would
                # record inputs the numbers did not read. The marts must be built again first.
                stale.append(period)
                context.log.warning(f"{period}: marts built from vintages that are no longer current; rebuild first")
                continue
            versions[period] = publication.publish_period(
                con, period,
                gate_result=verdict.status,
                override=_override_record(verdict),
                input_vintages=publication.built_inputs(con, period),
                as_of_date=read_set.captured_as_of(con, period),
            )
        # What must survive the loss of the warehouse is also kept beside the archive.
        recovery.sync_all(con)
        # The quality index shows each period's gate, which publishing does not change: it is written
        # where the gate's inputs change (the quality step, `svcmon signoff`, `svcmon check`).
        analyst_copy.write_analyst_copy(con, settings.home(), manifest_path=dbt_project.manifest_path)
    if stale:
        raise Failure(f"需先重新构建 / rebuild before publishing: {', '.join(stale)} (files landed after the build)",
                      metadata={"stale_periods": ", ".join(stale)})
    return MaterializeResult(metadata={
        "versions": MetadataValue.md("\n".join(f"- {p}: v{v}" for p, v in versions.items()) or "—"),
    })


@asset(
    key=REPORTS_KEY,
    group_name="publish",
    partitions_def=monthly_partitions,
    backfill_policy=single_run,
    deps=[PUBLICATION_KEY],
    description="月度专报与季度通报（HTML、PDF、xlsx），只用已发布版本 / briefs from published versions only",
    kinds={"html", "excel"},
)
def report_assets(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    written = []
    # One browser prints every month's PDFs (starting one is half the cost of a print).
    with warehouse.connect() as con, pdf.printing():
        for period in context.partition_keys:
            if publication.latest_published_version(con, period) is None:
                continue
            written += reports.write_reports(con, period, settings.reports_path(),
                                             quarterly=is_quarter_end(period))
    return MaterializeResult(metadata={"files": MetadataValue.md("\n".join(f"- {p}" for p in written) or "—")})
