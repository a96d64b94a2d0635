"""The Dagster code location: assets, jobs, the inbox sensor and the monthly schedule."""


from dagster import (
    AssetSelection,
    Definitions,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    build_schedule_from_partitioned_job,
    colored_console_logger,
    define_asset_job,
    in_process_executor,
    logger,
    sensor,
)

from orchestration import inbox_watch
from orchestration.assets.dbt import dbt_partitioned, dbt_unpartitioned
from orchestration.assets.ingest import land_inbox
from orchestration.assets.publish import PUBLICATION_KEY, REPORTS_KEY, publication_asset, report_assets
from orchestration.assets.quality import QUALITY_KEY, quality_check_results
from orchestration.dbt import SvcmonDbtCliResource
from orchestration.resources import WarehouseResource
from orchestration.runs import WRITER_TAG, progress_logger_fn

# Every job writes the warehouse: the instance's run queue lets one run with this tag run at a time
# (orchestration/runs.py writes the limit into dagster.yaml).
WRITES = {WRITER_TAG: "warehouse"}

BUILD_GROUPS = ("ingest", "staging", "marts")

build_job = define_asset_job(
    "build_job",
    tags=WRITES,
    selection=AssetSelection.groups(*BUILD_GROUPS),
    description="落地、dbt 构建 / land every new inbox file and build the warehouse for a range of months",
)
publish_job = define_asset_job(
    "publish_job",
    tags=WRITES,
    selection=AssetSelection.assets(QUALITY_KEY, PUBLICATION_KEY),
    description="质量关与发布 / quality checks, the gate and publication of a range of months",
)
# Publication alone, over a range whose checks ran: the publication asset judges each period's gate
# itself, so the months that pass publish when another month's blocking check stopped publish_job.
publication_job = define_asset_job(
    "publication_job",
    tags=WRITES,
    selection=AssetSelection.assets(PUBLICATION_KEY),
    description="发布通过质量关的各期 / publish every period of the range whose gate passes",
)
report_job = define_asset_job(
    "report_job",
    tags=WRITES,
    selection=AssetSelection.assets(REPORTS_KEY),
    description="月度专报、季度通报 / briefs and bulletins of published months",
)
monthly_job = define_asset_job(
    "monthly_publication_job",
    tags=WRITES,
    selection=AssetSelection.all(),
    description="一个月的全流程 / land, build, check, publish and report one month",
)

# After the statistics due date (20th) of the next month: the month's publication.
# In the partitions' zone, Asia/Shanghai (orchestration/partitions.py).
monthly_schedule = build_schedule_from_partitioned_job(monthly_job, day_of_month=21, hour_of_day=6)


@sensor(job=monthly_job, minimum_interval_seconds=60, description="收件箱新文件 / new stable files in the inbox")
def inbox_sensor(context: SensorEvaluationContext):
    """Starts a run for every period a new, stable file touches; files already in the register
    (landed or rejected before the sensor was turned on) start nothing."""
    try:
        periods, cursor = inbox_watch.new_periods(context.cursor)
    except inbox_watch.WarehouseBusy as busy:
        return SkipReason(str(busy))
    context.update_cursor(cursor)
    if not periods:
        return SkipReason("no new stable files")
    return [RunRequest(run_key=f"{period}:{cursor_hash}", partition_key=period)
            for period, cursor_hash in periods]


defs = Definitions(
    assets=[land_inbox, dbt_unpartitioned, dbt_partitioned, quality_check_results,
            publication_asset, report_assets],
    jobs=[build_job, publish_job, publication_job, report_job, monthly_job],
    schedules=[monthly_schedule],
    sensors=[inbox_sensor],
    resources={
        "dbt": SvcmonDbtCliResource.launched(),
        "warehouse": WarehouseResource(),
    },
    # DuckDB allows one writer: steps run one after another in one process.
    executor=in_process_executor,
    # The CLI adds `svcmon_progress` to its runs' config (its progress bars); runs from the UI or the
    # daemon configure no logger and get Dagster's default console log.
    loggers={"console": colored_console_logger,
             "svcmon_progress": logger(description="svcmon CLI progress")(progress_logger_fn)},
)
