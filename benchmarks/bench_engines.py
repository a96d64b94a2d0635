"""Benchmark: the whole demo (`svcmon demo`: 24 months landed, built, checked, published,
reported) on DuckDB and on PostgreSQL in one run, with the ratio PostgreSQL / DuckDB and whether
every published table agrees; `--steps` times landing and `dbt build` alone instead. Run on
purpose with a server whose login may create databases (a fresh one is made and dropped):

    SVCMON_TEST_PG_URL=$(.ci/postgres start /tmp/pg) python benchmarks/bench_engines.py [--steps]
    .ci/postgres stop /tmp/pg
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def _server() -> str:
    server = os.environ.get("SVCMON_TEST_PG_URL") or os.environ.get("SVCMON_BENCH_PG_URL")
    if not server:
        raise SystemExit("set SVCMON_TEST_PG_URL to a PostgreSQL server (.ci/postgres start DIR prints one)")
    return server


def main() -> None:
    if "--steps" in sys.argv[1:]:
        steps()
    else:
        whole_demo()


def whole_demo() -> None:
    """`svcmon demo` in a fresh home on each engine, one after the other, as a user runs it."""
    _server()
    from ingest.warehouse import connect
    from tests.pg_fixtures import fresh_database

    with tempfile.TemporaryDirectory() as tmp, fresh_database("svcmon_bench") as pg_url:
        root = Path(tmp)
        urls = {"duckdb": None, "postgres": pg_url}
        seconds = {}
        for engine, url in urls.items():
            env = {k: v for k, v in os.environ.items() if k not in ("SVCMON_WAREHOUSE_URL", "DAGSTER_HOME")}
            env["SVCMON_HOME"] = str(root / engine)
            if url:
                env["SVCMON_WAREHOUSE_URL"] = url
            process, seconds[engine] = _timed(lambda env=env: subprocess.run(
                [sys.executable, "-m", "orchestration.cli", "demo"], env=env, capture_output=True, text=True))
            if process.returncode != 0:
                raise SystemExit(f"{engine}: svcmon demo failed ({process.returncode}):\n{process.stdout[-3000:]}"
                                 f"{process.stderr[-3000:]}")
        duck = connect(root / "duckdb" / "warehouse.duckdb", read_only=True)
        pg = connect(pg_url)
        try:
            published = pg.execute("SELECT count(*) FROM published.publication_log").fetchone()[0]
            differing = _compare(duck, pg, "published")
        finally:
            duck.close()
            pg.close()
        duck_s, pg_s = seconds["duckdb"], seconds["postgres"]
        print(f"svcmon demo  duckdb {duck_s:6.1f} s   postgres {pg_s:6.1f} s   ratio {pg_s / duck_s:4.2f}")
        print(f"published versions on postgres: {published}")
        print("published tables identical" if not differing else f"published tables differing: {differing}")


def steps() -> None:
    """Landing and `dbt build` of the demo's 24 months, timed apart."""
    _server()
    from demo import generate_demo_feeds
    from ingest import landing
    from ingest.warehouse import connect
    from orchestration.dbt import run_dbt_process
    from tests.pg_fixtures import fresh_database

    with tempfile.TemporaryDirectory() as tmp, fresh_database("svcmon_bench") as pg_url:
        root = Path(tmp)
        inbox = root / "inbox"
        manifest = generate_demo_feeds(inbox, "2023-01", "2024-12", seed=7)
        stated = {f.path: dt.date.fromisoformat(f.submitted_on) for f in manifest.files}
        urls = {"duckdb": str(root / "warehouse.duckdb"), "postgres": pg_url}
        seconds: dict[str, dict[str, float]] = {}
        for engine, url in urls.items():
            def land(url=url, engine=engine):
                con = landing.connect(url)
                try:
                    return landing.land_inbox(con, inbox, archive_root=root / engine / "archive", submitted_on=stated)
                finally:
                    con.close()

            results, land_s = _timed(land)
            assert all(r.status == "accepted" for r in results), engine
            process, dbt_s = _timed(lambda url=url, engine=engine: run_dbt_process(
                url, "build", "--quiet", work=root / engine / "dbt", vars={"as_of_date": "2025-03-01"}))
            assert process.returncode == 0, process.stdout[-3000:]
            seconds[engine] = {"land": land_s, "dbt build": dbt_s}

        differing = _compare(connect(urls["duckdb"], read_only=True), connect(urls["postgres"]), "marts")
        print(f"files {len(manifest.files)}")
        for step in ("land", "dbt build"):
            duck, pg = seconds["duckdb"][step], seconds["postgres"][step]
            print(f"{step:10s} duckdb {duck:6.1f} s   postgres {pg:6.1f} s   ratio {pg / duck:4.2f}")
        print("marts identical" if not differing else f"marts differing: {differing}")


def _compare(duck, pg, schema: str) -> dict[str, int]:
    """Table -> rows that differ (values compared to 1e-9 relative), for every table in `schema`
    (the publication log without its publication times, JSON compared decoded)."""
    import decimal
    import json

    def same(a, b):
        a, b = (float(v) if isinstance(v, decimal.Decimal) else v for v in (a, b))
        if isinstance(a, str) and isinstance(b, str) and a[:1] in "[{" and b[:1] in "[{":
            try:
                return json.loads(a) == json.loads(b)
            except ValueError:
                return a == b
        if isinstance(a, float) and isinstance(b, float):
            return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        return a == b

    differing = {}
    for (table,) in duck.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                                 "AND table_type = 'BASE TABLE' ORDER BY 1", [schema]).fetchall():
        columns = ", ".join(f'"{c}"' for c in duck.columns(schema, table) if c != "published_at")
        rows = [sorted(con.execute(f"SELECT {columns} FROM {schema}.{table}").fetchall(),
                       key=lambda r: repr(tuple(float(v) if isinstance(v, decimal.Decimal) else v for v in r)))
                for con in (duck, pg)]
        bad = len(rows[0]) != len(rows[1]) or sum(not all(map(same, a, b)) for a, b in zip(*rows, strict=True))
        if bad:
            differing[table] = int(bad)
    return differing


if __name__ == "__main__":
    main()
