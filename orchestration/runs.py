"""Running a job of the code location over a range of months, in this process, on the instance
the CLI and the Dagster UI share.

The instance lives in `$DAGSTER_HOME` (default `$SVCMON_HOME/dagster`, whose `dagster.yaml`
svcmon writes): runs the daemon launches (schedule, sensor, the UI's launch button) queue so
that at most one run carrying the writer tag is in progress; the CLI's in-process runs bypass
that queue and, like every run, take the home's writer lock (`orchestration/locks.py`). Every run
records its process (`svcmon/pid`); a run left STARTED by a process that no longer exists (a kill,
a power cut) is marked failed the next time the CLI or a run opens the instance.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ingest import settings
from ingest.warehouse import connect as connect_warehouse
from ingest.warehouse import is_postgres_url
from orchestration.instance import WRITER_TAG, dagster_home, write_instance_config  # noqa: F401  (re-exported)

if TYPE_CHECKING:  # the CLI's light commands need not import Dagster
    from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

PID_TAG = "svcmon/pid"  # "<pid>:<process start time>" of the process executing the run


def instance() -> DagsterInstance:
    from dagster import DagsterInstance

    if is_postgres_url(settings.warehouse_url()):
        connect_warehouse().close()  # the server's schemas exist before Dagster creates its tables
    dagster_home()
    opened = DagsterInstance.get()
    mark_dead_runs_failed(opened)
    return opened


def process_tag() -> str:
    import psutil

    return f"{os.getpid()}:{psutil.Process(os.getpid()).create_time():.2f}"


def _process_alive(tag: str) -> bool:
    import psutil

    pid, _, started = tag.partition(":")
    try:
        process = psutil.Process(int(pid))
        return not started or abs(process.create_time() - float(started)) < 1.0
    except (ValueError, psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True


def mark_dead_runs_failed(instance: DagsterInstance) -> list[str]:
    """Fail every run still STARTING/STARTED whose recorded process is gone; returns their ids."""
    from dagster import DagsterRunStatus, RunsFilter

    failed = []
    for run in instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED])):
        tag = run.tags.get(PID_TAG)
        if tag and not _process_alive(tag):
            instance.report_run_failed(
                run, message=f"运行进程已终止 / the process running this run (pid {tag.split(':')[0]}) ended "
                             "without finishing it (killed or crashed)")
            failed.append(run.run_id)
    return failed


def load_definitions() -> Definitions:
    """The code location. The dbt manifest that defines its dbt assets is prepared first when
    this install has none yet, so a fresh clone's `svcmon demo` needs no extra step."""
    from orchestration.dbt import ensure_manifest

    ensure_manifest()
    from orchestration.definitions import defs

    return defs


# --- what the CLI sees of an in-process run ----------------------------------------------------

RunListener = Callable[[Any, logging.LogRecord], None]  # (DagsterEvent | None, record)
_listeners: list[RunListener] = []


def progress_logger_fn(init_context) -> logging.Logger:
    """A Dagster logger handing every event of the run to the listeners the CLI registered
    (`listening`): step starts and ends drive its progress bars."""

    class Forward(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            meta = getattr(record, "dagster_meta", {}) or {}
            for listener in list(_listeners):
                listener(meta.get("dagster_event"), record)

    log = logging.Logger("svcmon_progress", level=logging.DEBUG)
    log.addHandler(Forward())
    return log


@contextmanager
def listening(listener: RunListener) -> Iterator[None]:
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def run_config(*, verbose: bool) -> dict:
    """Verbose: Dagster's console log at INFO. Otherwise the console logger stays silent (the CLI
    prints progress and one line per outcome); the full log stays in the instance either way."""
    return {"loggers": {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}},
                        "svcmon_progress": {}}}


def execute_range(job_name: str, first: str, last: str, *, instance: DagsterInstance,
                  verbose: bool = False, tags: dict[str, str] | None = None) -> ExecuteInProcessResult:
    """One run of `job_name` over the partitions [first, last]: a single-run backfill, so
    the partitioned dbt models build in one invocation for the whole range. Unpartitioned
    assets in the job (landing, reference and staging models) run once in that run. `tags`
    adds the run's own (e.g. its as-of date)."""
    from orchestration.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG

    tags = {PARTITION_RANGE_START_TAG: first, PARTITION_RANGE_END_TAG: last, PID_TAG: process_tag(), **(tags or {})}
    return load_definitions().resolve_job_def(job_name).execute_in_process(
        instance=instance, tags=tags, run_config=run_config(verbose=verbose), raise_on_error=False)


def failure_message(result: ExecuteInProcessResult) -> str | None:
    """The first step failure of a run, as one line (the error's own message, no traceback)."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None and error.cls_name in ("DagsterExecutionStepExecutionError",):
                error = error.cause
            text = " ".join(error.message.split())
            return f"{event.step_key}: {text}"
    return None


if __name__ == "__main__":
    print(dagster_home())
