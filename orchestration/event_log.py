"""Dagster's SQLite event log, less its cost per event.

Dagster's `SqliteEventLogStorage` creates an engine, opens a connection, commits with a full
sync and closes it again for every event, twice for an asset event (the run's file and the
index). A month's build writes ~700 events (one "planned" and one materialization per asset and
partition, the steps' outputs), ~25 ms each here: 15 s of the 24-month demo. This class keeps
one connection per database file open for the life of the process, used under the storage's own
lock as before, and commits in SQLite's WAL mode with `synchronous=NORMAL`: a commit survives a
crash of the process; a power cut may lose the last events of a run (never the warehouse, which
is DuckDB's or PostgreSQL's). Everything else (schema, files, watchers) is Dagster's own.

`orchestration.instance` names it in `dagster.yaml` for the SQLite instance; on PostgreSQL the
instance keeps its events on the server as before.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

# Open files: the index and the runs being written (a process writes one run at a time).
KEPT_CONNECTIONS = 4


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """See the module."""

    def __init__(self, base_dir: str, inst_data=None) -> None:  # noqa: ANN001 - Dagster's signature
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteEventLogStorage:  # noqa: ANN001
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            # One connection, used only under `_db_lock` (held by `_connect`), from whichever thread.
            engine = create_engine(self.conn_string_for_shard(shard), poolclass=StaticPool,
                                   connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
            event.listen(engine, "connect", _sync_normal)
            while len(self._engines) >= KEPT_CONNECTIONS:
                self._engines.popitem(last=False)[1].dispose()
        self._engines[shard] = engine  # most recently used last
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _forget_connections(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._forget_connections()  # the run files are deleted: never write to an unlinked one
        super().wipe()

    def dispose(self) -> None:
        self._forget_connections()
        super().dispose()


def _sync_normal(connection: sqlite3.Connection, _record: object) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")
