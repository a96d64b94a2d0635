"""Benchmark: the speed goals of issue 12, each as a ratio to a bare `dbt build --quiet` of the same
project on the same warehouse, both measured in the same run of this script (the machine is shared:
absolute seconds move with its load, the ratio much less). One command per row:

    python benchmarks/bench_speed.py demo       # `svcmon demo` (24 months)              goal <= 4x
    python benchmarks/bench_speed.py month      # one new month on 24 months             goal <= 1x
    python benchmarks/bench_speed.py revision   # one department's file revised          goal <= 0.5x
    python benchmarks/bench_speed.py growth     # 12, 24, 36, 60 months (as of 2028-02)  goal 60/24 <= 1.6

What a row needs first (a demo, feeds) is set up untimed. Rows named in one command share one
temporary home: `month` and `revision` after `demo` start from the demo it just ran (the revision
then sits on 25 months), which saves a demo on a busy machine; alone, each runs its own demo first.
The svcmon figure is the CLI in a process of its own (its start-up, Dagster, dbt, GX and all), the
peer `dbt build --quiet` run right after it on the warehouse svcmon just wrote. Each row prints one
markdown line for benchmarks/README.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"demo": 4.0, "month": 1.0, "revision": 0.5}
GROWTH_MONTHS = (12, 24, 36, 60)
GROWTH_AS_OF = "2028-02-01"
NEW_MONTH = "2025-01"
REVISED_MONTH, REVISED_FEED = "2024-06", "stats_enterprises"


def svcmon(*args: str) -> float:
    """Wall seconds of one `svcmon` command in its own process (exit 0, or the benchmark stops)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "orchestration.cli", *args], capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0,):
        sys.exit(f"svcmon {' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def bare_dbt_build(work: Path) -> float:
    """The peer: `dbt build --quiet` of the same project on the warehouse of this home."""
    from ingest import settings
    from orchestration.dbt import run_dbt_process

    started = time.perf_counter()
    done = run_dbt_process(settings.warehouse_url(), "build", "--quiet", work=work)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: a test failed, the build itself ran
        sys.exit(f"dbt build exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def row(goal: str, figure: float, peer: float, target: str) -> str:
    return f"| {goal} | {figure:.1f} s | {peer:.1f} s | {figure / peer:.2f}× | {target} |"


def demo_row(tmp: Path) -> list[str]:
    figure = svcmon("demo", "--force")
    (tmp / "demo_done").touch()
    peer = bare_dbt_build(tmp / "peer")
    return [row("`svcmon demo` (24 months)", figure, peer, "≤ 4×")]


def _add_to_inbox(tmp: Path, first: str, last: str, *, seed: int, feed_id: str | None = None) -> int:
    """Demo feeds of [first, last] (one feed only when `feed_id`) copied into the home's inbox."""
    from demo import generate_demo_feeds
    from ingest import settings

    written = tmp / f"feeds_{first}_{last}_{seed}"
    manifest = generate_demo_feeds(written, first, last, seed=seed)
    copied = 0
    for entry in manifest.files:
        if feed_id is None or entry.feed_id == feed_id:
            target = settings.inbox_path() / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(written / entry.path, target)
            copied += 1
    return copied


def _demo_first(tmp: Path) -> None:
    """Setup: the 24 demo months, published (unless a row before this one ran the demo)."""
    if not (tmp / "demo_done").exists():
        svcmon("demo", "--force")
        (tmp / "demo_done").touch()


def month_row(tmp: Path) -> list[str]:
    _demo_first(tmp)
    _add_to_inbox(tmp, NEW_MONTH, NEW_MONTH, seed=7)
    figure = svcmon("run", "--period", NEW_MONTH)
    peer = bare_dbt_build(tmp / "peer_month")
    return [row(f"one new month (`svcmon run --period {NEW_MONTH}` on 24 months)", figure, peer, "≤ 1×")]


def revision_row(tmp: Path) -> list[str]:
    _demo_first(tmp)
    # Another seed: the same file name and scope with other figures, i.e. a revised vintage.
    if _add_to_inbox(tmp, REVISED_MONTH, REVISED_MONTH, seed=8, feed_id=REVISED_FEED) != 1:
        sys.exit(f"expected one {REVISED_FEED} file for {REVISED_MONTH}")
    figure = svcmon("run", "--period", REVISED_MONTH)
    peer = bare_dbt_build(tmp / "peer_revision")
    return [row(f"revision of one file (`{REVISED_FEED}` {REVISED_MONTH})", figure, peer, "≤ 0.5×")]


def growth_row(tmp: Path) -> list[str]:
    from ingest.registry import month_range

    all_months = month_range("2023-01", "2027-12")
    lines, figures = [], {}
    for months in GROWTH_MONTHS:
        home = tmp / f"home_{months}"
        os.environ["SVCMON_HOME"] = str(home)
        last = all_months[months - 1]
        _add_to_inbox(tmp, "2023-01", last, seed=7)
        figures[months] = svcmon("run", "--from", "2023-01", "--to", last, "--as-of", GROWTH_AS_OF)
        peer = bare_dbt_build(tmp / f"peer_{months}")
        lines.append(row(f"growth: {months} months (`svcmon run --from 2023-01 --to {last}`)",
                         figures[months], peer, "—"))
    lines.append(f"| growth: 60 months / 24 months | {figures[60]:.1f} s | {figures[24]:.1f} s | "
                 f"{figures[60] / figures[24]:.2f}× | ≤ 1.6× |")
    return lines


ROWS = {"demo": demo_row, "month": month_row, "revision": revision_row, "growth": growth_row}


def main() -> None:
    which = sys.argv[1:] or ["demo"]
    unknown = [w for w in which if w not in ROWS]
    if unknown:
        sys.exit(f"unknown rows {unknown}; choose from {list(ROWS)}")
    from orchestration.dbt import ensure_manifest

    ensure_manifest()  # prepared once, untimed (CI prepares it; the first CLI use would otherwise)
    print("| goal | svcmon | peer: bare `dbt build --quiet` | ratio | goal |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SVCMON_HOME"] = str(Path(tmp) / "home")
        for name in which:
            for line in ROWS[name](Path(tmp)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
