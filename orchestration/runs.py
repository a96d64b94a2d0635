"""Running a job of the code location over a range of months, in this process."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI's light commands need not import Dagster
    from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

# The console shows warnings and errors; the full log stays in the Dagster instance.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def load_definitions() -> Definitions:
    """The code location. The dbt manifest that defines its dbt assets is prepared first when
    this install has none yet, so a fresh clone's `svcmon demo` needs no extra step."""
    from orchestration.dbt import ensure_manifest

    ensure_manifest()
    from orchestration.definitions import defs

    return defs


def execute_range(job_name: str, first: str, last: str, *, instance: DagsterInstance,
                  quiet: bool = True, tags: dict[str, str] | None = None) -> ExecuteInProcessResult:
    """One run of `job_name` over the partitions [first, last]: a single-run backfill, so
    the partitioned dbt models build in one invocation for the whole range. Unpartitioned
    assets in the job (landing, reference and staging models) run once in that run."""
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last, **(tags or {})}
    return load_definitions().resolve_job_def(job_name).execute_in_process(
        instance=instance, tags=tags, run_config=QUIET if quiet else None, raise_on_error=False)
