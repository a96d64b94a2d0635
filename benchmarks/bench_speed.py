"""Benchmark: the speed goals of issue 12, each as a ratio to a bare `dbt build --quiet` of the same
project on the same warehouse, both measured in the same run of this script (the machine is shared:
absolute seconds move with its load, the ratio much less). One command per row:

    python benchmarks/bench_speed.py demo       # `svcmon demo` (24 months)              goal <= 4x
    python benchmarks/bench_speed.py month      # one new month on 24 months             goal <= 1x
    python benchmarks/bench_speed.py revision   # one department's file revised          goal <= 0.5x
    python benchmarks/bench_speed.py growth     # 12, 24, 36, 60 months (as of 2028-02)  goal 60/24 <= 1.6
    python benchmarks/bench_speed.py scale      # 125x enterprises (~60,000 a month)      goal <= 5 min, 4 GiB
    python benchmarks/bench_speed.py floor      # where a bare dbt build's time goes (no goal)

What a row needs first (a demo, feeds) is set up untimed. Rows named in one command share one
temporary home: `month` and `revision` after `demo` start from the demo it just ran (the revision
then sits on 25 months), which saves a demo on a busy machine; alone, each runs its own demo first.
The svcmon figure is the CLI in a process of its own (its start-up, Dagster, dbt, GX and all), the
peer `dbt build --quiet` run right after it on the warehouse svcmon just wrote. Each row prints one
markdown line for benchmarks/README.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
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


# dbt's own command (`dbt` runs `dbt.cli.main:cli` and Python's exit), entered in the warehouse's folder
# as svcmon's launcher does; the launcher itself also skips the interpreter's teardown, the peer must not.
BARE_DBT = (sys.executable, "-c", "import os, sys; os.chdir(os.environ.get('SVCMON_DBT_FOLDER', '.')); sys.argv[0] = 'dbt'; "
            "from dbt.cli.main import cli; cli()")


def bare_dbt_build(work: Path, warehouse: Path | None = None) -> float:
    """The peer: `dbt build --quiet` of the same project on the warehouse of this home (or `warehouse`)."""
    from unittest import mock

    from ingest import settings
    from orchestration.dbt import run_dbt_process

    started = time.perf_counter()
    with mock.patch("orchestration.dbt.DBT_COMMAND", BARE_DBT):
        done = run_dbt_process(warehouse or settings.warehouse_url(), "build", "--quiet", work=work)
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


SCALE = 125  # ~490 enterprises a month in the demo: 125x is the goal's ~60,000
SCALE_SECONDS, SCALE_MEMORY_GIB = 300, 4.0
STAGE_LINE = re.compile(r"^(?P<label>[^:\n]+): \d+(?:/\d+)? \((?P<seconds>\d+) s\)", re.M)


def svcmon_watched(*args: str) -> tuple[float, int, str, str]:
    """Wall seconds, peak resident memory of the whole process tree (the CLI, Dagster's run, dbt,
    the reading children: summed over those alive at each sample), stdout, and when the peak came
    and who held it, of one `svcmon` command."""
    import psutil

    started = time.perf_counter()
    at_peak = ""
    process = psutil.Popen([sys.executable, "-m", "orchestration.cli", *args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    peak = 0
    output: dict[str, str] = {}

    def read(stream, key: str) -> None:
        output[key] = stream.read()

    readers = [threading.Thread(target=read, args=(process.stdout, "out")),
               threading.Thread(target=read, args=(process.stderr, "err"))]
    for reader in readers:
        reader.start()
    while process.poll() is None:
        held: list[tuple[int, str]] = []
        try:
            for member in [process, *process.children(recursive=True)]:
                try:
                    held.append((member.memory_info().rss, " ".join(member.cmdline()[1:3])))
                except psutil.Error:
                    pass  # ended between listing and reading
        except psutil.Error:
            pass
        rss = sum(r for r, _ in held)
        if rss > peak:
            peak = rss
            at_peak = f"{time.perf_counter() - started:.0f} s in: " + ", ".join(
                f"{name or '?'} {r / 2**30:.2f} GiB" for r, name in sorted(held, reverse=True) if r > 50 * 2**20)
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    for reader in readers:
        reader.join()
    if process.returncode != 0:
        sys.exit(f"svcmon {' '.join(args)} exited {process.returncode}:\n{output['out'][-3000:]}\n"
                 f"{output['err'][-3000:]}")
    return seconds, peak, output["out"], at_peak


def scale_row(tmp: Path) -> list[str]:
    """The demo's 24 months with SCALE times the enterprises: generated untimed, then one
    `svcmon run` over the range (land, dbt, checks, publication, reports) timed and watched."""
    from bench_landing import read_seconds  # this folder is on the path of a script run from it

    from demo import generate_demo_feeds
    from ingest import settings

    os.environ["SVCMON_HOME"] = str(tmp / "home_scale")
    started = time.perf_counter()
    manifest = generate_demo_feeds(settings.inbox_path(), "2023-01", "2024-12", seed=7, scale=SCALE)
    generated = time.perf_counter() - started
    enterprise_rows = sum(f.data_rows for f in manifest.files_of("stats_enterprises"))
    all_rows = sum(f.data_rows for f in manifest.files)
    print(f"generated {len(manifest.files)} files at scale {SCALE} in {generated:.0f} s: {all_rows:,} data rows, "
          f"of them stats_enterprises {enterprise_rows:,} "
          f"({enterprise_rows / len(manifest.files_of('stats_enterprises')):,.0f} a month)", flush=True)

    aside = tmp / "scale_sample"  # three workbooks kept for the calamine/openpyxl ratio
    aside.mkdir()
    sample = [Path(shutil.copy2(settings.inbox_path() / f.path, aside))
              for f in manifest.files_of("stats_enterprises")[-3:]]

    seconds, peak, stdout, at_peak = svcmon_watched("run", "--from", "2023-01", "--to", "2024-12", "--history")
    stages = {m["label"].strip(): int(m["seconds"]) for m in STAGE_LINE.finditer(stdout)}
    for label, stage_seconds in stages.items():
        print(f"  {label}: {stage_seconds} s = {all_rows / max(stage_seconds, 1):,.0f} rows/s", flush=True)
    # The goal's part: landing, dbt, checks (publication runs beside the checks, in the same stage
    # time); the reports come after it.
    goal_part = sum(t for label, t in stages.items() if not label.startswith(("发布", "报告")))
    print(f"  land + build + check: {goal_part} s; memory peak {peak / 2**30:.2f} GiB, {at_peak}", flush=True)
    t_calamine, t_openpyxl = read_seconds(sample)
    print(f"  reading {len(sample)} stats_enterprises workbooks: calamine {t_calamine:.1f} s, "
          f"openpyxl {t_openpyxl:.1f} s = {t_openpyxl / t_calamine:.1f}x", flush=True)
    gib = peak / 2**30
    return [f"| scale: {SCALE}× enterprises, {enterprise_rows:,} rows over 24 months "
            f"(`svcmon run --from 2023-01 --to 2024-12 --history`) | land + build + check {goal_part} s "
            f"(whole command with reports {seconds:.0f} s), peak {gib:.2f} GiB | — | "
            f"{goal_part / SCALE_SECONDS:.2f}× of {SCALE_SECONDS} s, {gib / SCALE_MEMORY_GIB:.2f}× of "
            f"{SCALE_MEMORY_GIB:.0f} GiB | ≤ 5 min, ≤ 4 GiB |"]


def floor_row(tmp: Path) -> list[str]:
    """Where the peer's time goes: the same bare build on an empty warehouse (landing's raw tables,
    no rows) and on the 24 demo months; and for the demo build's data tests, the warehouse's own time
    (each test's compiled SQL run again on the finished warehouse) against the time dbt gave them."""
    from ingest import landing
    from ingest.warehouse import connect

    empty = tmp / "empty" / "warehouse.duckdb"
    empty.parent.mkdir()
    landing.connect(empty).close()
    on_empty = bare_dbt_build(tmp / "floor_empty", empty)
    _demo_first(tmp)
    on_demo = bare_dbt_build(tmp / "floor_demo")
    results = json.loads((tmp / "floor_demo" / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    tests = [r for r in results if r["unique_id"].startswith("test.") and r.get("compiled_code")]
    con = connect(read_only=True)  # the home's warehouse, as the peer built it
    started = time.perf_counter()
    for test in tests:
        con.execute(test["compiled_code"]).fetchall()
    engine = time.perf_counter() - started
    con.close()
    in_dbt = sum(r["execution_time"] for r in tests)
    return [row(f"floor: bare `dbt build --quiet`, {len(results)} nodes, on an empty warehouse (svcmon column: "
                "empty; peer: 24 demo months)", on_empty, on_demo, "—"),
            row(f"floor: the {len(tests)} data tests of that build on 24 months, DuckDB's own time (svcmon column) "
                "against dbt's node time (peer column)", engine, in_dbt, "—")]


ROWS = {"demo": demo_row, "month": month_row, "revision": revision_row, "growth": growth_row,
        "scale": scale_row, "floor": floor_row}


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
