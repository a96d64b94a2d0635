"""The warehouse as a Dagster resource: one DuckDB file, one writer at a time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource

from ingest import landing, settings
from ingest.warehouse import Warehouse


class WarehouseResource(ConfigurableResource):
    """Opens `$SVCMON_HOME/warehouse.duckdb`; connections are closed before dbt runs."""

    @contextmanager
    def connect(self) -> Iterator[Warehouse]:
        con = landing.connect(settings.warehouse_path())
        try:
            yield con
        finally:
            con.close()
