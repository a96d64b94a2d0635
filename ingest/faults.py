"""Fault injection, for the kill -9 tests only (tests/test_kill_points.py): a no-op unless
`SVCMON_FAULT_AT` is set.

`SVCMON_FAULT_AT=<stage>` (or `<stage>@<n>`) makes the process kill itself with SIGKILL — as an
operator's `kill -9` or a power cut would, no cleanup, no `finally` — the first (n-th) time it
reaches that stage's fault point. Each point sits in the middle of its stage, where a kill leaves
the most half-done work behind:

- `landing`: a file's bytes copied into a temporary file in the archive folder, not yet parsed
  or renamed into place (`ingest/landing.py`);
- `dbt`: the first model of the period marts built, dbt still running as a child process
  (`orchestration/assets/dbt.py`);
- `checks`: the check results stored, the acknowledged warnings not yet (`expectations/runner.py`);
- `publication`: a period's mart rows copied into `published`, its transaction not committed
  (`publish/publication.py`);
- `analyst_copy`: the analysts' DuckDB file written into its new version folder, the Parquet
  files not yet, nothing switched (`publish/analyst_copy.py`).

Child processes inherit the variable but never reach a point: only the process running the
pipeline (the CLI, or a Dagster run in process) calls `point`.
"""

from __future__ import annotations

import os
import signal

ENV = "SVCMON_FAULT_AT"
STAGES = ("landing", "dbt", "checks", "publication", "analyst_copy")

_reached: dict[str, int] = {}


def point(stage: str) -> None:
    """Kill this process with SIGKILL if `SVCMON_FAULT_AT` names `stage` and this is the n-th time
    it is reached; otherwise do nothing."""
    if stage not in STAGES:
        raise ValueError(f"unknown fault point {stage!r}; known: {', '.join(STAGES)}")
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition("@")
    if name != stage:
        return
    _reached[stage] = _reached.get(stage, 0) + 1
    if _reached[stage] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
