"""One writer at a time: the home's writer lock.

Every command that writes the warehouse, the archive or the published copy (`land`, `run`,
`demo`, `signoff`, `quality`, `report`, `export`, `rebuild`) and every Dagster run (through the
warehouse resource) holds `$SVCMON_HOME/writer.lock` while it works. The lock is an OS file lock
(`filelock`, flock on Unix): the kernel releases it when its holder dies, even by `kill -9`, so a
crash never leaves it taken. A second writer waits, saying so once
(`等待另一个任务完成… / waiting for another run (pid N)`), up to `SVCMON_LOCK_TIMEOUT` seconds,
then gives up with one line. Readers (analysts on `published.duckdb`, `svcmon status`) never take it.

The holder writes who it is to `writer.json` and marks its environment with a token every child
process (dbt, Chromium) inherits. A holder that ends cleanly removes the record; a record found
by the next holder means the previous one died mid-run, and its orphaned children — which may
still hold DuckDB's own file lock (dbt kept it 39 s) — are ended before the new run starts.

The lock is re-entrant within a process: the CLI holds it around in-process Dagster runs whose
warehouse resource asks for it again. `ENGINE_LOCKS` is the hook for a lock held by the warehouse
engine itself (a PostgreSQL advisory lock, so two hosts sharing one server never write at once).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from ingest import settings

LOCK_FILE = "writer.lock"
HOLDER_FILE = "writer.json"
TOKEN_ENV = "SVCMON_WRITER_TOKEN"
ORPHAN_GRACE_SECONDS = 10.0

# URL scheme -> context manager factory taking the warehouse URL, held with the file lock. DuckDB
# needs none (its file lives in the home); the PostgreSQL engine registers its advisory lock here.
ENGINE_LOCKS: dict[str, Callable[[str], AbstractContextManager]] = {}


class WriterBusy(Exception):
    """Another writer kept the home for longer than the timeout (the message is one line)."""


@dataclass
class Holder:
    pid: int
    process_started: float  # psutil create_time: a reused pid is not the holder
    token: str
    command: str
    since: str

    def alive(self) -> bool:
        import psutil

        try:
            return abs(psutil.Process(self.pid).create_time() - self.process_started) < 1.0
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return False
        except psutil.AccessDenied:
            return True


@dataclass
class _Hold:
    lock: FileLock
    count: int


_held: dict[str, _Hold] = {}
_guard = threading.Lock()


def holder_path(home: Path) -> Path:
    return home / HOLDER_FILE


def read_holder(home: Path) -> Holder | None:
    try:
        return Holder(**json.loads(holder_path(home).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def waiting_message(holder: Holder | None) -> str:
    pid = holder.pid if holder else "?"
    return f"等待另一个任务完成… / waiting for another run (pid {pid})"


def busy_message(holder: Holder | None, timeout: float) -> str:
    pid = holder.pid if holder else "?"
    return (f"另一个任务（pid {pid}）仍在写入，已等待 {timeout:g} 秒，请稍后再试 / another run (pid {pid}) is still "
            f"writing after {timeout:g} s; try again later (SVCMON_LOCK_TIMEOUT)")


def holds_writer_lock(home: Path | None = None) -> bool:
    return str(Path(home or settings.home())) in _held


def end_orphans(holder: Holder | None) -> list[int]:
    """End the processes a dead holder left behind (they carry its token); returns their pids."""
    if holder is None or holder.alive():
        return []
    import psutil

    orphans = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            if process.environ().get(TOKEN_ENV) == holder.token:
                orphans.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    for process in orphans:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _gone, alive = psutil.wait_procs(orphans, timeout=ORPHAN_GRACE_SECONDS)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=ORPHAN_GRACE_SECONDS)
    return [p.pid for p in orphans]


def _engine_lock(url: str) -> AbstractContextManager | None:
    factory = ENGINE_LOCKS.get(url.split(":", 1)[0])
    return factory(url) if factory else None


@contextmanager
def writer_lock(home: Path | None = None, *, timeout: float | None = None,
                on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the home's writer lock for the block (re-entrant within this process).

    Waits up to `timeout` seconds (default `settings.lock_timeout_seconds()`), calling `on_wait`
    once with the waiting message; raises `WriterBusy` (one line) when the time is up, or
    `OSError` when the home cannot be written (read-only, full)."""
    home = Path(home or settings.home())
    key = str(home)
    with _guard:
        hold = _held.get(key)
        if hold is not None:
            hold.count += 1
    if hold is not None:
        try:
            yield
        finally:
            with _guard:
                hold.count -= 1
        return

    timeout = settings.lock_timeout_seconds() if timeout is None else timeout
    home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(home / LOCK_FILE, thread_local=False, preserve_lock_file=True)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        holder = read_holder(home)
        if on_wait is not None:
            on_wait(waiting_message(holder))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise WriterBusy(busy_message(read_holder(home) or holder, timeout)) from None
    previous_token = os.environ.get(TOKEN_ENV)
    try:
        end_orphans(read_holder(home))  # a record left behind: its writer died mid-run
        token = uuid.uuid4().hex
        holder = Holder(pid=os.getpid(), process_started=_process_started(), token=token,
                        command=" ".join(sys.argv[:3]), since=time.strftime("%Y-%m-%d %H:%M:%S"))
        holder_path(home).write_text(json.dumps(asdict(holder)), encoding="utf-8")
        os.environ[TOKEN_ENV] = token
        with _guard:
            _held[key] = _Hold(lock, 1)
        with ExitStack() as stack:
            engine = _engine_lock(settings.warehouse_url())
            if engine is not None:
                stack.enter_context(engine)
            yield
    finally:
        with _guard:
            _held.pop(key, None)
        if previous_token is None:
            os.environ.pop(TOKEN_ENV, None)
        else:
            os.environ[TOKEN_ENV] = previous_token
        try:
            holder_path(home).unlink(missing_ok=True)
        finally:
            lock.release()


def _process_started() -> float:
    import psutil

    return psutil.Process(os.getpid()).create_time()
