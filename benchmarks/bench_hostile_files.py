"""Benchmark: land the crafted corpus of tests/test_hostile_files.py (dimension and far-cell
bombs, a shared-strings bomb, a CSV over the size limit, names that are not UTF-8 or carry
markup and escapes, a link out of the inbox) beside good files, plus the largest CSV the limits
allow, and report the peak memory of the landing process and of its reading child (target: each
under 1 GiB) and the time taken. Run on purpose:

    python benchmarks/bench_hostile_files.py
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


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

        con = landing.connect()
        t0 = time.perf_counter()
        results = landing.land_inbox(con)
        elapsed = time.perf_counter() - t0
        con.close()
        isolation.shutdown()  # the child's peak memory is counted once it has ended
        for r in results:
            print(f"{r.status:9} {r.rows:>8} rows  {r.file_name[:60]!r}  {(r.reason or '')[:110]}")
        for item in results.ignored:
            print(f"ignored   {item.file_name!r}: {item.reason}")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"landed {len(results)} files in {elapsed:.1f} s; peak memory: landing process {own:.0f} MiB, "
              f"reading child {child:.0f} MiB (target: each < 1024 MiB)")


if __name__ == "__main__":
    main()
