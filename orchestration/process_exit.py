"""Ending a process that has done its work without the interpreter's teardown.

Python's exit frees every object of every module one by one before the process ends. After a
command that imported Dagster, dbt, Great Expectations and pandas that is ~1.8 s of a core here
(660,000 objects) with nothing left to do, paid at the end of every `svcmon` command and every dbt
process. `exit_without_teardown` keeps the rest of Python's exit, in its order: it waits for the
threads that are not daemons (and the executors' workers), runs the exit handlers (reading children,
a warm dbt, logging), flushes the standard streams, and then ends the process.
Stdlib only: the dbt launcher imports it too.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn


def exit_code(ended: SystemExit) -> int:
    """The process exit code `sys.exit(value)` means; a message (not a number) is printed to stderr
    and means 1, as Python's own exit does."""
    if ended.code is None or isinstance(ended.code, int):
        return ended.code or 0
    print(ended.code, file=sys.stderr)
    return 1


def exit_without_teardown(code: int) -> NoReturn:
    """Python's exit with `code`, less the teardown (see the module)."""
    threading._shutdown()  # what Python's exit does first  # noqa: SLF001
    atexit._run_exitfuncs()  # noqa: SLF001
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe does not turn success into failure
            stream.flush()
    os._exit(code)
