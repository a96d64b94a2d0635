"""One asset per feed: land the feed's inbox files. Files carry their own period, so a
run lands every file present (the same bytes twice are a no-op) and reports which
periods of the run's range it touched."""


from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, MetadataValue, asset

from ingest import landing, settings
from ingest.registry import FEEDS, Feed
from orchestration.partitions import monthly_partitions, single_run
from orchestration.resources import WarehouseResource


def _landing_asset(feed: Feed) -> AssetsDefinition:
    @asset(
        key=AssetKey(["raw", feed.feed_id]),
        group_name="ingest",
        partitions_def=monthly_partitions,
        backfill_policy=single_run,
        description=f"{feed.name_zh}（{feed.owner_dept}）: inbox/{feed.feed_id}/ landed into raw.{feed.feed_id}",
        kinds={"duckdb", "python"},
    )
    def _land(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        with warehouse.connect() as con:
            results = landing.land_inbox(con, settings.inbox_path(),
                                         only=lambda _path, feed_id: feed_id == feed.feed_id)
        keys = context.partition_keys
        for r in results:
            if r.status == "rejected":
                context.log.warning(f"rejected {r.file_name}: {r.reason}")
        accepted = [r for r in results if r.status == "accepted"]
        return MaterializeResult(metadata={
            "accepted_files": len(accepted),
            "rejected_files": sum(r.status == "rejected" for r in results),
            "rows_landed": sum(r.rows for r in accepted),
            "periods_touched_in_run": MetadataValue.text(
                ", ".join(sorted({r.period for r in accepted if r.period in keys})) or "—"),
        })

    return _land


landing_assets = [_landing_asset(feed) for feed in FEEDS.values()]
