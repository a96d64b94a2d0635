"""The warehouse as a Dagster resource: the one `SVCMON_WAREHOUSE_URL` names (DuckDB by default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource

from ingest import landing
from ingest.warehouse import Warehouse


class WarehouseResource(ConfigurableResource):
    """Opens the warehouse (`SVCMON_WAREHOUSE_URL`, else `$SVCMON_HOME/warehouse.duckdb`);
    connections are closed before dbt runs."""

    @contextmanager
    def connect(self) -> Iterator[Warehouse]:
        con = landing.connect()
        try:
            yield con
        finally:
            con.close()
