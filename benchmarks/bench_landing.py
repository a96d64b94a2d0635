"""Benchmark: generate the full 24-month demo inbox (target < 10 CPU seconds), land it into a
fresh home (target < 30 s here), and compare calamine with openpyxl reading the same
workbooks. Run on purpose:

    python benchmarks/bench_landing.py
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path


def read_seconds(workbooks: list[Path]) -> tuple[float, float]:
    """Seconds to read every cell of the first sheet of each workbook: calamine, then openpyxl
    (read-only, values only)."""
    from openpyxl import load_workbook
    from python_calamine import CalamineWorkbook

    t0 = time.perf_counter()
    for path in workbooks:
        CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    t_calamine = time.perf_counter() - t0
    t0 = time.perf_counter()
    for path in workbooks:
        book = load_workbook(path, read_only=True, data_only=True)
        list(book.worksheets[0].iter_rows(values_only=True))
        book.close()
    return t_calamine, time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SVCMON_HOME"] = str(Path(tmp) / "home")
        from demo import generate_demo_feeds
        from ingest import landing, settings

        inbox = settings.inbox_path()
        t0, cpu0 = time.perf_counter(), time.process_time()
        manifest = generate_demo_feeds(inbox, "2023-01", "2024-12", seed=7)
        # CPU seconds as well: the shared machine's load does not count in them.
        t_gen, cpu_gen = time.perf_counter() - t0, time.process_time() - cpu0

        stated = {f.path: dt.date.fromisoformat(f.submitted_on) for f in manifest.files}
        con = landing.connect()
        t0 = time.perf_counter()
        results = landing.land_inbox(con, inbox, submitted_on=stated)
        t_land = time.perf_counter() - t0
        con.close()
        rows = sum(r.rows for r in results)
        print(f"generate demo feeds: {len(manifest.files)} files in {t_gen:.1f} s, "
              f"{cpu_gen:.1f} CPU s (target < 10 CPU s)")
        print(f"land: {len(results)} files, {rows} rows in {t_land:.1f} s "
              f"= {len(results) / t_land:.0f} files/s, {rows / t_land:.0f} rows/s (target < 30 s)")

        workbooks = sorted(inbox.rglob("*.xlsx"))
        t_calamine, t_openpyxl = read_seconds(workbooks)
        print(f"read {len(workbooks)} xlsx: calamine {t_calamine:.2f} s, openpyxl {t_openpyxl:.2f} s, "
              f"openpyxl/calamine = {t_openpyxl / t_calamine:.1f}x")


if __name__ == "__main__":
    main()
