"""kill -9 of `svcmon run` at five points — landing, dbt, checks, publication, the analysts' copy —
then the same command again: the published tables (the warehouse's `published` schema, the analysts'
`published.duckdb` and every Parquet file) are those of a clean run of the same inbox, nothing of the
killed run is left (temporary archive copies, half-written copies, the dead writer's record, its
orphaned dbt), and no Dagster run stays STARTED.

The kill is exact: `SVCMON_FAULT_AT=<stage>[@n]` makes the run SIGKILL itself at that stage's fault
point (`ingest/faults.py`). The inbox is small and hand-written: two feeds, two months, nothing due
yet at the as-of date, so both months pass their gates and publish (version 1).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import psutil
import pytest

from ingest import faults, landing
from orchestration import locks
from publish import analyst_copy
from tests.conftest import prepare_dbt_project, write_feed_file

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
FIRST, LAST = "2023-02", "2023-03"
AS_OF = "2023-03-04"  # February's department files are due 03-05, its statistics 03-20: nothing is due
SERVICES = "鹿城区2023年{months}月规上服务业分行业主要指标\n行业代码,营业收入_本年累计,营业收入_上年同期\n合计,{ytd},{prior}\n"
FAI = "指标名称,增速,占比\n固定资产投资,{total},100\n服务业投资,{services},{share}\n"
INBOX = {
    ("stats_services", "分行业202302.csv"): SERVICES.format(months="1-2", ytd=100, prior=80),
    ("stats_services", "分行业202303.csv"): SERVICES.format(months="1-3", ytd=150, prior=120),
    ("stats_fai", "固定资产投资202302.csv"): FAI.format(total=5.0, services=8.5, share=67.0),
    ("stats_fai", "固定资产投资202303.csv"): FAI.format(total=6.0, services=9.5, share=66.0),
}
# Where each run is killed: the second file of the four (the first is landed whole), the second
# month's publication (the first one is committed), otherwise the stage's only pass.
KILL_AT = {"landing": "landing@2", "dbt": "dbt", "checks": "checks", "publication": "publication@2",
           "analyst_copy": "analyst_copy"}
# The one column that differs between two clean runs of the same inbox: when each was published.
VOLATILE = {"published_at"}


def _home(root: Path) -> Path:
    home = root / "home"
    for (feed_id, name), text in INBOX.items():
        write_feed_file(home / "inbox", feed_id, name, text)
    return home


def _run(home: Path, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SVCMON_HOME": str(home), "PYTHONPATH": str(REPO), "COLUMNS": "120"}
    for name in ("DAGSTER_HOME", "SVCMON_INBOX", locks.TOKEN_ENV, faults.ENV):
        env.pop(name, None)
    if fault:
        env[faults.ENV] = fault
    return subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--from", FIRST, "--to", LAST,
                           "--as-of", AS_OF], env=env, capture_output=True, text=True, timeout=3600, check=False)


# --- what is published ----------------------------------------------------------------------------
def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    relation = con.sql(sql)
    keep = [i for i, name in enumerate(relation.columns) if name not in VOLATILE]
    return sorted((tuple(row[i] for i in keep) for row in relation.fetchall()), key=repr)


def published(home: Path) -> dict[str, list[tuple]]:
    """Every table of the warehouse's `published` schema, of the analysts' `published.duckdb`, and
    every Parquet file of `published/`, as sorted rows (less `published_at`)."""
    out: dict[str, list[tuple]] = {}
    for name, schema in ((home / "warehouse.duckdb", "published"), (home / analyst_copy.DUCKDB_NAME, "main")):
        con = duckdb.connect(str(name), read_only=True)
        try:
            tables = [t for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
                [schema]).fetchall()]
            for table in tables:
                out[f"{name.name}:{table}"] = _rows(con, f'SELECT * FROM {schema}."{table}"')
        finally:
            con.close()
    con = duckdb.connect()
    try:
        folder = home / analyst_copy.PARQUET_NAME
        for path in sorted(folder.rglob("*.parquet")):
            relative = path.relative_to(folder).as_posix()
            out[f"parquet:{relative}"] = _rows(con, f"SELECT * FROM read_parquet('{path}', hive_partitioning = false)")
    finally:
        con.close()
    return out


def _tree(home: Path) -> set[str]:
    """The home's files as paths relative to it, the analysts' copy's version folder named `<stamp>`;
    Dagster's storage and dbt's output (logs, compiled SQL) are theirs to keep."""
    paths = set()
    for path in home.rglob("*"):
        parts = path.relative_to(home).parts
        if parts[0] in ("dagster", "dbt") or path.is_dir() and not path.is_symlink():
            continue
        if parts[0] == analyst_copy.VERSIONS_DIR and len(parts) > 1:
            parts = (parts[0], "<stamp>" if not parts[1].startswith(".") else parts[1], *parts[2:])
        paths.add("/".join(parts))
    return paths


# --- what a killed run leaves ---------------------------------------------------------------------
def _runs(home: Path) -> dict[str, str]:
    from dagster import DagsterInstance

    if not (home / "dagster" / "dagster.yaml").exists():
        return {}
    instance = DagsterInstance.from_config(str(home / "dagster"))
    try:
        return {r.run_id: r.status.value for r in instance.get_runs()}
    finally:
        instance.dispose()


def _with_token(token: str | None) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if token and process.status() != psutil.STATUS_ZOMBIE and process.environ().get(locks.TOKEN_ENV) == token:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _command(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline()[:3])
    except psutil.Error:
        return "ended"


def left_behind(home: Path, token: str | None) -> list[str]:
    """What a run killed mid-way may leave: temporary archive copies, half-written analysts' copies
    and their links, the dead writer's record, its processes still running, Dagster runs STARTED."""
    items = [f"temporary archive copy {p.relative_to(home)}"
             for p in (home / "archive").glob(f"*/{landing.TEMP_PREFIX}*")]
    versions = home / analyst_copy.VERSIONS_DIR
    items += [f"unfinished analysts' copy {p.relative_to(home)}"
              for p in (versions.glob(".*") if versions.exists() else [])]
    items += [f"temporary link or copy {p.name}" for p in home.glob(".published*")]
    if (home / locks.HOLDER_FILE).exists():
        items.append(f"dead writer's record {locks.HOLDER_FILE}")
    _gone, alive = psutil.wait_procs(_with_token(token), timeout=5)  # the reading child ends by itself
    items += [f"orphaned process {p.pid} ({_command(p)})" for p in alive if p.is_running()]
    duckdb_file, parquet = home / analyst_copy.DUCKDB_NAME, home / analyst_copy.PARQUET_NAME
    if duckdb_file.exists() != parquet.exists() or (
            duckdb_file.exists() and duckdb_file.resolve().parent != parquet.resolve().parent):
        items.append("analysts' copy mixed: published.duckdb and published/ are not one version")
    items += [f"Dagster run {run_id[:8]} {status}" for run_id, status in _runs(home).items()
              if status in ("STARTING", "STARTED")]
    return items


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, dict]:
    prepare_dbt_project()
    home = _home(tmp_path_factory.mktemp("clean"))
    clean = _run(home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    tables = published(home)
    # Both months published once, from the four files: a reference worth comparing with.
    assert tables["warehouse.duckdb:publication_log"] and [row[:2] for row in
                                                          tables["warehouse.duckdb:publication_log"]] == [
        (FIRST, 1), (LAST, 1)]
    assert {k for k in tables if k.startswith("parquet:")} >= {"parquet:publication_log.parquet",
                                                                 "parquet:fct_indicator_progress.parquet"}
    return home, tables


@pytest.mark.parametrize("stage", faults.STAGES)
def test_kill_9_then_the_rerun_publishes_what_a_clean_run_does_and_leaves_nothing(stage, reference, tmp_path,
                                                                                 capsys):
    clean_home, clean_tables = reference
    home = _home(tmp_path)
    killed = _run(home, KILL_AT[stage])
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr  # the fault point was reached
    holder = locks.read_holder(home)
    before = left_behind(home, holder.token if holder else None)
    try:
        rerun = _run(home)
        after = left_behind(home, holder.token if holder else None)
    finally:
        for process in _with_token(holder.token if holder else None):  # a failed rerun leaves no dbt behind
            process.kill()
    with capsys.disabled():
        print(f"\nkill -9 at {KILL_AT[stage]}: left behind {before or 'nothing'}; after the rerun {after or 'nothing'}")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "Traceback" not in rerun.stdout + rerun.stderr
    assert after == []
    statuses = set(_runs(home).values())
    assert statuses and statuses <= {"SUCCESS", "FAILURE"}
    if stage != "landing":  # killed inside a Dagster run: that run ended as failed
        assert "FAILURE" in statuses
    assert _tree(home) == _tree(clean_home)
    tables = published(home)
    assert tables.keys() == clean_tables.keys()
    assert {name: rows for name, rows in tables.items() if rows != clean_tables[name]} == {}
