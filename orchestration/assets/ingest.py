"""Landing in Dagster: one unpartitioned step lands every new file of the inbox.

Files carry their own period, so landing is not a month's work: whatever months a run
builds, this step lands what is new (the same bytes twice are a no-op) and materializes
each feed's raw table with what it did to it — files accepted, rejected and already known,
rows landed and the periods the new files touch. The months built downstream are the run's
partitions: the inbox sensor asks for the periods a new file touches.
"""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from ingest import landing, settings
from ingest.registry import FEEDS
from orchestration.resources import WarehouseResource


def raw_key(feed_id: str) -> AssetKey:
    """The asset of `raw.<feed_id>`, the key dbt's sources map to."""
    return AssetKey(["raw", feed_id])


LANDING_SPECS = [
    AssetSpec(
        key=raw_key(feed.feed_id),
        group_name="ingest",
        description=f"{feed.name_zh}（{feed.owner_dept}）: inbox/{feed.feed_id}/ landed into raw.{feed.feed_id}",
        kinds={"duckdb", "python"},
    )
    for feed in FEEDS.values()
]


def _metadata(results: list[landing.LandingResult]) -> dict:
    accepted = [r for r in results if r.status == "accepted"]
    return {
        "accepted_files": len(accepted),
        "rejected_files": sum(r.status == "rejected" for r in results),
        "duplicate_files": sum(r.status == "duplicate" for r in results),
        "rows_landed": sum(r.rows for r in accepted),
        "periods_touched": MetadataValue.text(", ".join(sorted({r.period for r in accepted if r.period})) or "—"),
        "files": MetadataValue.md("\n".join(
            f"- {r.file_name}: {r.status}" + (f" ({r.period}, {r.rows} 行)" if r.status == "accepted" else "")
            + (f" — {r.reason}" if r.status == "rejected" else "")
            for r in results if r.status != "duplicate") or "—"),
    }


@multi_asset(
    specs=LANDING_SPECS,
    name="land_inbox",
    description="落地收件箱中的新文件 / land every new inbox file into raw.<feed_id> (unpartitioned: files carry their period)",
)
def land_inbox(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
    with warehouse.connect() as con:
        results = landing.land_inbox(con, settings.inbox_path())
    for r in results:
        if r.status == "rejected":
            context.log.warning(f"rejected {r.file_name}: {r.reason}")
    for feed_id in FEEDS:
        yield MaterializeResult(asset_key=raw_key(feed_id),
                                metadata=_metadata([r for r in results if r.feed_id == feed_id]))
