"""Benchmark: land the crafted corpus of tests/test_hostile_files.py (dimension and far-cell
bombs, a shared-strings bomb, a CSV over the size limit, names that are not UTF-8 or carry
markup and escapes, a link out of the inbox) beside good files, plus the largest CSV the limits
allow, and report the peak memory of the whole landing process — its own RSS plus that of every
child (the reading child), sampled together every 10 ms — against the 1 GiB target, beside each
process's own peak (getrusage) and the time taken. Run on purpose:

    python benchmarks/bench_hostile_files.py
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


class TreeMemory(threading.Thread):
    """Samples the RSS of this process plus all its descendants; `peak` is the largest sum seen."""

    def __init__(self, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak, self._done = interval, 0, threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._done.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue  # a child that ended between listing and reading
            self.peak = max(self.peak, total)
            self._done.wait(self.interval)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["SVCMON_HOME"] = str(root / "home")
        os.environ.setdefault("SVCMON_PII_SECRET", "benchmark")
        from ingest import isolation, landing
        from tests.test_hostile_files import build_corpus

        build_corpus(root)
        # Nearly the largest file the default limits let through (49 MB, 195,000 rows), well-formed:
        # it must be read, not refused.
        big = root / "home" / "inbox" / "stats_fai" / "固定资产投资202412.csv"
        with open(big, "w", encoding="utf-8") as fh:
            fh.write("指标名称,增速,占比,备注\n")
            note = "说明" * 35
            for i in range(195_000):
                fh.write(f"服务业投资{i:06d},8.5,67.0,{note}\n")
        print(f"large CSV: {big.stat().st_size / 2**20:.0f} MB")

        sampler = TreeMemory()
        sampler.start()
        con = landing.connect()
        t0 = time.perf_counter()
        results = landing.land_inbox(con)
        elapsed = time.perf_counter() - t0
        con.close()
        isolation.shutdown()  # the child's peak memory is counted once it has ended
        tree = sampler.stop() / 2**20
        for r in results:
            print(f"{r.status:9} {r.rows:>8} rows  {r.file_name[:60]!r}  {(r.reason or '')[:110]}")
        for item in results.ignored:
            print(f"ignored   {item.file_name!r}: {item.reason}")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"landed {len(results)} files in {elapsed:.1f} s; peak memory of the whole landing process "
              f"(itself and its children, sampled) {tree:.0f} MiB (target < 1024 MiB); own peaks: landing "
              f"process {own:.0f} MiB, reading child {child:.0f} MiB")


if __name__ == "__main__":
    main()
