"""The warehouse as a Dagster resource: the one `SVCMON_WAREHOUSE_URL` names (DuckDB by default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from ingest import landing
from ingest.warehouse import Warehouse
from orchestration.locks import writer_lock
from orchestration.runs import PID_TAG, mark_dead_runs_failed, process_tag


class WarehouseResource(ConfigurableResource):
    """Opens the warehouse (`SVCMON_WAREHOUSE_URL`, else `$SVCMON_HOME/warehouse.duckdb`);
    connections are closed before dbt runs.

    Every job uses it, so every run holds the home's writer lock from its start to its end
    (re-entrant: a CLI command holding it already runs its jobs in the same process), and records
    its process so a run killed mid-way is marked failed later (`orchestration/runs.py`)."""

    _held: ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        run = context.dagster_run
        if context.instance is not None and run is not None:
            if run.tags.get(PID_TAG) != process_tag():
                context.instance.add_run_tags(run.run_id, {PID_TAG: process_tag()})
            mark_dead_runs_failed(context.instance)  # runs a kill left STARTED end as failed at the next start
        stack = ExitStack()
        stack.enter_context(writer_lock(on_wait=context.log.info if context.log else None))
        self._held = stack

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None

    @contextmanager
    def connect(self) -> Iterator[Warehouse]:
        con = landing.connect()
        try:
            yield con
        finally:
            con.close()
