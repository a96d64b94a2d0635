"""One writer at a time: the home's writer lock, orphans of a killed run, runs left STARTED, the
Dagster instance svcmon writes (run queue, schedule zone), and the inbox sensor over a landed inbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest

from orchestration import locks, runs
from tests.conftest import prepare_dbt_project, query, write_feed_file

SERVICES = """鹿城区2023年1-2月规上服务业分行业主要指标
行业代码,营业收入_本年累计,营业收入_上年同期
合计,100,80
"""
FAI = "指标名称,增速,占比\n固定资产投资,5.0,100\n服务业投资,8.5,67.0\n"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SVCMON_HOME": str(home), "PYTHONPATH": str(Path(__file__).resolve().parent.parent), **extra}
    env.pop("DAGSTER_HOME", None)
    env.pop(locks.TOKEN_ENV, None)
    return env


def _svcmon(*args: str) -> list[str]:
    return [sys.executable, "-m", "orchestration.cli", *args]


def _first_line(process: subprocess.Popen, timeout: float = 120) -> str:
    """The first line a process prints (it is waiting for the lock), without hanging the test."""
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert line, f"no output from {process.args} within {timeout} s"
    return line[0]


def test_two_writers_at_once_both_finish_one_after_the_other(home):
    write_feed_file(home / "inbox", "stats_services", "分行业202302.csv", SERVICES)
    write_feed_file(home / "inbox", "stats_fai", "固定资产投资202302.csv", FAI)
    with locks.writer_lock():  # the test holds the home while both start: both must wait
        processes = [subprocess.Popen(_svcmon("land"), env=_env(home), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(2)]
        firsts = [_first_line(p) for p in processes]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    for first in firsts:
        assert first.strip() == f"等待另一个任务完成… / waiting for another run (pid {os.getpid()})"
    stdout = sorted(out for out, _err in outputs)
    # One landed both files, the other found them landed: they ran one after the other.
    assert sum("接收 accepted 2 · 退回 rejected 0 · 重复 duplicate 0" in s for s in stdout) == 1
    assert sum("接收 accepted 0 · 退回 rejected 0 · 重复 duplicate 2" in s for s in stdout) == 1
    assert all("Traceback" not in err and "lock" not in err.lower() for _out, err in outputs)
    assert query(home, "SELECT status, count(*) FROM raw.file_register GROUP BY 1") == [("accepted", 2)]


def test_a_writer_kept_waiting_past_the_timeout_gives_up_with_one_line(home):
    write_feed_file(home / "inbox", "stats_fai", "固定资产投资202302.csv", FAI)
    with locks.writer_lock():
        done = subprocess.run(_svcmon("land"), env=_env(home, SVCMON_LOCK_TIMEOUT="1"), capture_output=True,
                              text=True, timeout=120)
    assert done.returncode == 75
    assert done.stderr.strip() == (f"另一个任务（pid {os.getpid()}）仍在写入，已等待 1 秒，请稍后再试 / another run "
                                   f"(pid {os.getpid()}) is still writing after 1 s; try again later "
                                   "(SVCMON_LOCK_TIMEOUT)")
    assert not (home / "warehouse.duckdb").exists()


HOLDER = """
import subprocess, sys, time
from orchestration.locks import writer_lock
with writer_lock():
    child = subprocess.Popen(["sleep", "600"])  # like dbt: a child that outlives a killed parent
    print(child.pid, flush=True)
    time.sleep(600)
"""


def test_after_kill_9_the_next_writer_ends_the_dead_writers_children(home):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], env=_env(home), stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(_first_line(holder)))
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert child.is_running() and child.status() != psutil.STATUS_ZOMBIE  # orphaned, still alive
    assert (home / locks.HOLDER_FILE).exists()  # the dead writer's record stays behind

    with locks.writer_lock(timeout=10):  # the kernel released the lock with the dead process
        gone = not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert gone
    assert not (home / locks.HOLDER_FILE).exists()


def test_the_lock_is_reentrant_within_a_process_and_marks_children(home):
    with locks.writer_lock():
        token = os.environ[locks.TOKEN_ENV]
        with locks.writer_lock(timeout=0):  # the CLI holds it around its in-process runs
            assert locks.holds_writer_lock()
        printed = subprocess.run([sys.executable, "-c", f"import os; print(os.environ['{locks.TOKEN_ENV}'])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        assert printed == token
    assert not locks.holds_writer_lock() and locks.TOKEN_ENV not in os.environ


def test_a_run_left_started_by_a_dead_process_is_marked_failed(tmp_path):
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with DagsterInstance.ephemeral() as instance:
        ids = {}
        for name, tag in [("dead", f"{dead.pid}:{psutil.Process().create_time() - 5:.2f}"),
                          ("alive", runs.process_tag()), ("untagged", None)]:
            ids[name] = uuid.uuid4().hex
            instance.add_run(DagsterRun(job_name="build_job", run_id=ids[name], status=DagsterRunStatus.STARTED,
                                        tags={runs.PID_TAG: tag} if tag else {}))
        assert runs.mark_dead_runs_failed(instance) == [ids["dead"]]
        status = {name: instance.get_run_by_id(run_id).status for name, run_id in ids.items()}
    assert status == {"dead": DagsterRunStatus.FAILURE, "alive": DagsterRunStatus.STARTED,
                      "untagged": DagsterRunStatus.STARTED}


def test_the_instance_queues_writing_runs_and_the_schedule_runs_in_shanghai(home, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", "unset-below")
    monkeypatch.delenv("DAGSTER_HOME")
    prepare_dbt_project()
    instance = runs.instance()
    assert Path(os.environ["DAGSTER_HOME"]) == home / "dagster"
    limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert limits == [{"key": "svcmon/writer", "limit": 1}]
    defs = runs.load_definitions()
    for job in ("build_job", "publish_job", "report_job", "monthly_publication_job"):
        assert defs.resolve_job_def(job).tags.get("svcmon/writer") == "warehouse"
    schedule = defs.resolve_schedule_def("monthly_publication_job_schedule")
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.cron_schedule == "0 6 21 * *"
    # An operator's own settings in dagster.yaml are kept.
    config = home / "dagster" / "dagster.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("poll_interval_seconds: 30",
                                                                  "poll_interval_seconds: 90"), encoding="utf-8")
    runs.write_instance_config(home / "dagster")
    assert "poll_interval_seconds: 90" in config.read_text(encoding="utf-8")


def test_turning_the_sensor_on_over_a_landed_inbox_starts_nothing(home):
    from dagster import DagsterInstance, build_sensor_context
    from typer.testing import CliRunner

    from orchestration import inbox_watch
    from orchestration.cli import app

    old = time.time() - 60
    for month in ("202301", "202302", "202303"):
        os.utime(write_feed_file(home / "inbox", "stats_fai", f"固定资产投资{month}.csv", FAI), (old, old))
    assert CliRunner().invoke(app, ["land"]).exit_code == 0

    assert inbox_watch.new_periods(None)[0] == []
    prepare_dbt_project()
    defs = runs.load_definitions()
    with DagsterInstance.ephemeral() as instance:
        tick = defs.resolve_sensor_def("inbox_sensor").evaluate_tick(
            build_sensor_context(instance=instance, cursor=None, definitions=defs))
        assert tick.run_requests == [] and isinstance(tick.skip_message, str)
        os.utime(write_feed_file(home / "inbox", "stats_fai", "固定资产投资202304.csv",
                                 FAI.replace("8.5", "9.1")), (old, old))
        tick = defs.resolve_sensor_def("inbox_sensor").evaluate_tick(
            build_sensor_context(instance=instance, cursor=tick.cursor, definitions=defs))
    assert [r.partition_key for r in tick.run_requests] == ["2023-04"]


RUN_REPORT_JOB = """
from orchestration import runs
result = runs.execute_range("report_job", "2023-01", "2023-01", instance=runs.instance())
print(result.run_id, result.success, flush=True)
"""


@pytest.mark.slow
def test_two_dagster_runs_started_together_on_one_home_both_finish_one_after_the_other(home, monkeypatch):
    from dagster import DagsterEventType, DagsterInstance

    prepare_dbt_project()
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    runs.write_instance_config(home / "dagster")
    env = _env(home, DAGSTER_HOME=str(home / "dagster"))
    with locks.writer_lock():  # held while both runs start, so both meet a busy home
        processes = [subprocess.Popen([sys.executable, "-c", RUN_REPORT_JOB], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(2)]
        instance = DagsterInstance.get()
        deadline = time.time() + 300
        while time.time() < deadline:
            waiting = [r for r in instance.get_runs()
                       if any("waiting for another run" in (e.user_message or "")
                              for e in instance.all_logs(r.run_id))]
            if len(waiting) == 2:
                break
            time.sleep(1)
        assert len(waiting) == 2, [p.poll() for p in processes]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert all(out.split()[-1] == "True" for out, _err in outputs)

    spans = []
    for run in instance.get_runs():
        logs = [e for e in instance.all_logs(run.run_id) if e.dagster_event is not None]
        first_step = min(e.timestamp for e in logs if e.dagster_event.event_type == DagsterEventType.STEP_START)
        ended = max(e.timestamp for e in logs if e.dagster_event.event_type == DagsterEventType.RUN_SUCCESS)
        spans.append((first_step, ended))
    first, second = sorted(spans)
    assert first[1] <= second[0]  # the second run's steps began after the first run ended
