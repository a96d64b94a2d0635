"""Reading files in a child process under a memory limit, so no file can end the run.

The reader checks what a file declares before parsing it (`ingest/limits.py`), but a parser is
native code: a crafted file could still make it allocate without bound or abort. So files are
read by one long-lived child process whose address space is limited (`RLIMIT_AS`): a file that
exhausts it, crashes the child or runs past the timeout becomes a rejection of that file
(`文件过大或结构异常 / file too large or malformed`), a fresh child reads the next one, and the
process that lands (the CLI, a Dagster step, the inbox sensor) never dies with it.

`read_isolated(path, feed_id, file_name=…)` is the one way landing and the inbox sensor read a
file; `ReaderProcess` is the child behind it (one per process, started on first use).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO

from ingest.errors import FeedRejection
from ingest.limits import ReadLimits, too_large
from ingest.reader import ParsedFile


def serve(requests: Connection, answers: Connection) -> None:
    """The child's loop (`python -m ingest.reader_child`, its memory already limited): read each
    file asked for and answer with the `ParsedFile` or the `FeedRejection`; stop when the parent
    closes the pipe."""
    from ingest.reader import read_feed_file

    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        path, feed_id, file_name, limits, indicator_units = request
        try:
            answer: tuple[str, object] = ("parsed", read_feed_file(
                path, feed_id, file_name=file_name, limits=limits, indicator_units=indicator_units))
        except FeedRejection as exc:
            answer = ("rejected", exc)
        except MemoryError:
            answer = ("rejected", too_large("读取时内存不足", "reading it ran out of memory", file_name))
        except BaseException as exc:  # noqa: BLE001 - whatever happens, the parent gets an answer
            answer = ("rejected", FeedRejection(f"无法读取文件（{type(exc).__name__}）",
                                                f"the file cannot be read ({type(exc).__name__}: {exc})", file_name))
        try:
            answers.send(answer)
        except MemoryError:
            answers.send(("rejected", too_large("读取结果过大", "what was read is too large", file_name)))


class ReaderProcess:
    """One child process that reads files under `limits` (memory, time); restarted after a file
    kills it or runs too long. A plain `python -m ingest.reader_child` with two pipes, not
    multiprocessing's spawn: it needs nothing from the host's `__main__` (CLI, Dagster, pytest)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._requests: Connection | None = None
        self._answers: Connection | None = None
        self._stderr: IO[bytes] | None = None
        self._memory_bytes: int | None = None
        self._owner = os.getpid()

    def _start(self, memory_bytes: int) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        package_root = str(Path(__file__).resolve().parent.parent)  # the same ingest as this process
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)}
        # What a native abort prints (`memory allocation of … failed`) goes to the rejection, not the terminal.
        self._stderr = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "ingest.reader_child", str(to_child_r), str(from_child_w), str(memory_bytes)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self._stderr, env=env, close_fds=True)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._requests = Connection(to_child_w, readable=False)
        self._answers = Connection(from_child_r, writable=False)
        self._memory_bytes = memory_bytes

    def _stop(self, *, kill: bool) -> str:
        """Stop the child; what it printed on stderr (the cause of a native abort), last line."""
        process, requests, answers, stderr = self._process, self._requests, self._answers, self._stderr
        self._process = self._requests = self._answers = self._stderr = None
        if process is None:
            return ""
        if not kill and requests is not None:
            try:
                requests.send(None)
                process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if process.poll() is None:
            process.kill()
        process.wait()
        for conn in (requests, answers):
            if conn is not None:
                conn.close()
        said = ""
        if stderr is not None:
            stderr.seek(0)
            lines = [line.strip() for line in stderr.read(4000).decode("utf-8", "replace").splitlines() if line.strip()]
            # A Rust abort says why on one line among its notes and backtrace.
            said = next((line for line in lines if "memory allocation" in line or "panicked" in line or
                         "Error" in line), lines[-1] if lines else "")[:300]
            stderr.close()
        return said

    def read(self, path: Path | str, feed_id: str, *, file_name: str, limits: ReadLimits | None = None,
             indicator_units: Mapping[str, str] | None = None) -> ParsedFile:
        limits = limits or ReadLimits.from_env()
        if self._owner != os.getpid():  # inherited through a fork: that child is not ours to talk to
            self._process = self._requests = self._answers = self._stderr = None
            self._owner = os.getpid()
        if self._process is None or self._process.poll() is not None or self._memory_bytes != limits.memory_bytes:
            self._stop(kill=False)
            self._start(limits.memory_bytes)
        assert self._requests is not None and self._answers is not None and self._process is not None
        try:
            self._requests.send((str(path), feed_id, file_name, limits,
                                 dict(indicator_units) if indicator_units is not None else None))
            if not self._answers.poll(limits.timeout_seconds):
                self._stop(kill=True)
                raise too_large(f"读取超过 {limits.timeout_seconds} 秒", f"reading took longer than "
                                f"{limits.timeout_seconds} s", file_name)
            status, payload = self._answers.recv()
        except (EOFError, OSError):
            process = self._process
            said = self._stop(kill=True)
            code = process.returncode if process is not None else None
            detail = f"退出码 {code}" + (f"：{said}" if said else "")
            raise too_large(f"读取进程异常终止，{detail}", "the reading process ended abnormally (exit code "
                            f"{code}{': ' + said if said else ''})", file_name) from None
        if status == "parsed":
            return payload  # type: ignore[return-value]
        raise payload  # type: ignore[misc]

    def close(self) -> None:
        if self._owner == os.getpid():
            self._stop(kill=False)


_shared: ReaderProcess | None = None
_lock = threading.Lock()


def read_isolated(path: Path | str, feed_id: str, *, file_name: str | None = None,
                  limits: ReadLimits | None = None, indicator_units: Mapping[str, str] | None = None) -> ParsedFile:
    """`reader.read_feed_file` in this process's reading child: a `ParsedFile`, or a
    `FeedRejection` (also when the file exhausts the child's memory, kills it or takes too long)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = ReaderProcess()
            atexit.register(_shared.close)
        return _shared.read(path, feed_id, file_name=file_name or Path(path).name, limits=limits,
                            indicator_units=indicator_units)


def shutdown() -> None:
    """End this process's reading child now (it ends with the process otherwise)."""
    global _shared
    with _lock:
        if _shared is not None:
            _shared.close()
