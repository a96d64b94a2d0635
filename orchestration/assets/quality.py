"""The quality gate in Dagster: GX suites, mart suites and dbt test results land in
`quality.check_results`; each feed's error-severity suite is a blocking check, so the
publication downstream runs only when they pass (or a statistician overrode them)."""


from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from expectations import gate, quality_report, read_set, runner
from ingest import settings
from ingest.registry import FEEDS
from orchestration.assets.ingest import raw_key
from orchestration.partitions import monthly_partitions, single_run
from orchestration.resources import WarehouseResource

QUALITY_KEY = AssetKey(["quality", "check_results"])
# Checks are grouped by what they judge: one blocking check per feed suite, the mart
# suites and dbt tests; completeness (late / missing feeds) is shown, never blocks alone.
BLOCKING_TARGETS = [*FEEDS, "marts", "dbt"]


def _gate_target(result) -> str:
    if result.source == "dbt":
        return "dbt"
    feed_id = result.target.removeprefix("raw.")
    return feed_id if feed_id in FEEDS else "marts"


def _upstream_keys() -> list[AssetKey]:
    from orchestration.assets.dbt import dbt_partitioned, dbt_unpartitioned

    marts = [k for k in (*dbt_partitioned.keys, *dbt_unpartitioned.keys)
             if (dbt_partitioned.group_names_by_key | dbt_unpartitioned.group_names_by_key).get(k) == "marts"]
    return [raw_key(f) for f in FEEDS] + marts


@asset(
    key=QUALITY_KEY,
    group_name="quality",
    partitions_def=monthly_partitions,
    backfill_policy=single_run,
    deps=_upstream_keys(),
    description="质量审核结果 / data-quality results of the run's periods (GX suites, mart suites, dbt tests)",
    check_specs=[AssetCheckSpec(f"gate_{t}", asset=QUALITY_KEY, blocking=True,
                                description=f"error-severity checks of {t} pass or are overridden")
                 for t in BLOCKING_TARGETS]
    + [AssetCheckSpec("completeness", asset=QUALITY_KEY, blocking=False,
                      description="feeds due and missing or late (报送及时性)")],
    kinds={"great_expectations", "duckdb"},
)
def quality_check_results(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator:
    periods = context.partition_keys
    with warehouse.connect() as con:
        # The files a period reads from other periods (a quarter carried forward, last December)
        # are checked too when nobody has checked them yet: unchecked data never publishes.
        results = runner.run_checks(con, read_set.periods_to_check(con, periods), run_id=context.run.run_id)
        gates = {p: gate.evaluate_gate(con, p) for p in periods}
        # Written before the gate decides, so a blocked month has its report for review too.
        report_dir = settings.reports_path() / "quality"
        reports = [quality_report.write_quality_report(con, p, report_dir, gates[p]) for p in periods]
        quality_report.write_quality_index(con, report_dir, gates)
    failed = [r for r in results if r.status == "failed"]
    yield MaterializeResult(metadata={
        "checks_run": len(results),
        "errors_failed": sum(r.severity == "error" for r in failed),
        "warnings": sum(r.severity == "warn" for r in failed),
        "quality_reports": MetadataValue.md("\n".join(f"- {path}" for path in reports)),
        "gate": MetadataValue.md("\n".join(
            f"- {p}: {'通过 passed' if g.passed else '未通过 blocked'}"
            + (f" (放行 overridden: {', '.join(g.overridden)})" if g.overridden else "") for p, g in gates.items())),
    })
    for target in BLOCKING_TARGETS:
        open_failures = [(p, f) for p, g in gates.items() for f in g.blocking
                         if _gate_target(f) == target and f.check_id not in g.overridden]
        yield AssetCheckResult(
            check_name=f"gate_{target}",
            passed=not open_failures,
            severity=AssetCheckSeverity.ERROR,
            metadata={"blocking_checks": MetadataValue.md("\n".join(
                f"- {p} `{f.check_id}` {f.check_name_zh} ({f.failing_rows} 行)" for p, f in open_failures) or "—")},
        )
    late = [r for r in failed if r.source == "completeness"]
    yield AssetCheckResult(
        check_name="completeness",
        passed=not late,
        severity=AssetCheckSeverity.WARN,
        metadata={"late_or_missing": MetadataValue.md("\n".join(
            f"- {r.period} {r.target}: {r.check_name_zh}" for r in late) or "—")},
    )
