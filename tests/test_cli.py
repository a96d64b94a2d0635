"""The svcmon command line on a small home: land, status, refusals with clear messages, and its
first use on a fresh install (no dbt manifest prepared yet)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from tests.conftest import PREPARED_STAMP, prepare_lock, write_feed_file

runner = CliRunner()

SERVICES = """鹿城区2023年1-2月规上服务业分行业主要指标
行业代码,营业收入_本年累计,营业收入_上年同期
合计,100,80
"""


def test_land_prints_accepted_and_rejected_files_and_status_counts_them(home, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    write_feed_file(home / "inbox", "stats_services", "分行业202302.csv", SERVICES)
    write_feed_file(home / "inbox", "stats_services", "分行业202303.csv", SERVICES.replace("营业收入_本年累计", "收入"))

    result = runner.invoke(app, ["land", "--submitted-on", "2023-03-10"])
    assert result.exit_code == 0, result.output
    assert "接收 accepted 1" in result.output and "退回 rejected 1" in result.output
    assert "缺少必填列" in result.output

    result = runner.invoke(app, ["status", "--period", "2023-02"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "2023-02" in line)
    assert row.split("│")[2].strip() == "1"  # received: the one accepted statistics file


def test_bad_period_and_report_of_unpublished_period_are_refused(home):
    result = runner.invoke(app, ["status", "--period", "2023/02"])
    assert result.exit_code != 0 and "YYYY-MM" in result.output
    result = runner.invoke(app, ["report", "--period", "2023-02"])
    assert result.exit_code == 2 and "未发布" in result.output


def test_signoff_needs_a_name_and_a_reason(home):
    write_feed_file(home / "inbox", "stats_services", "分行业202302.csv", SERVICES)
    assert runner.invoke(app, ["land"]).exit_code == 0
    result = runner.invoke(app, ["signoff", "--period", "2023-02", "--by", " ", "--reason", "ok"])
    assert result.exit_code == 2
    assert "签字须写明签字人姓名" in result.output


def test_signoff_refuses_a_period_with_no_data(home):
    result = runner.invoke(app, ["signoff", "--period", "2023-05", "--by", "张三", "--reason", "ok"])
    assert result.exit_code == 2
    assert result.output.strip() == "2023-05 未收到任何报表 / no feeds received：无可签字 / nothing to sign off"


def test_boolean_options_show_as_flags_in_help():
    for command, flag in [("report", "--quarterly"), ("demo", "--force"), ("run", "--verbose")]:
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0
        line = next(line for line in result.output.splitlines() if flag in line)
        assert "<bool>" not in line, line
    assert "<bool>" not in runner.invoke(app, ["report", "--help"], env={"COLUMNS": "120"}).output


LONG_NAME = "区交通运输局关于鹿城区现代服务业重点任务推进情况的月度进度报告（含附表及填报说明）202301.xlsx"


def test_file_names_print_whole_on_one_plain_line_outside_a_terminal(home):
    """Piped or logged output (CliRunner is not a terminal): one line per file, the name never
    wrapped or cut, and text from a file name printed, never interpreted as markup or escapes."""
    write_feed_file(home / "inbox", "stats_services", "分行业202302.csv", SERVICES)
    write_feed_file(home / "inbox", "dept_task_progress", LONG_NAME, "not a workbook")
    # Rich markup and a terminal escape (clear screen) in a name: shown as written, never acted on.
    write_feed_file(home / "inbox", "stats_fai", "[bold red]固定资产投资\x1b[2J202302.csv",
                    "指标名称,增速,占比\n固定资产投资,5.0,100\n")
    result = runner.invoke(app, ["land"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    long_line = next(line for line in lines if LONG_NAME in line)  # whole, on one line
    assert long_line.startswith("退回 rejected")
    escaped = next(line for line in lines if "固定资产投资" in line)
    assert "[bold red]固定资产投资\\x1b[2J202302.csv" in escaped and "\x1b" not in escaped
    assert next(line for line in lines if "分行业202302.csv" in line).startswith("接收 accepted  2023-02  stats_services")
    assert lines[-1] == ("接收 accepted 2 · 退回 rejected 1 · 重复 duplicate 0 · 待下次 deferred 0 · 忽略 ignored 0 · "
                         "警告 warnings 0")


def test_status_from_without_to_runs_to_the_latest_period_and_names_periods_without_feeds(home):
    write_feed_file(home / "inbox", "stats_services", "分行业202302.csv", SERVICES)
    write_feed_file(home / "inbox", "stats_services", "分行业202304.csv", SERVICES.replace("1-2月", "1-4月"))
    assert runner.invoke(app, ["land", "--submitted-on", "2023-05-10"]).exit_code == 0
    result = runner.invoke(app, ["status", "--from", "2023-01"])
    assert result.exit_code == 0, result.output
    rows = [line.split("│")[1].strip() for line in result.output.splitlines() if line.startswith("│")]
    assert rows == ["2023-01", "2023-02", "2023-03", "2023-04"]
    assert [line for line in result.output.splitlines() if "no feeds received" in line] == [
        "2023-01 未收到任何报表 / no feeds received", "2023-03 未收到任何报表 / no feeds received"]


def test_demo_feeds_needs_out_and_demo_refuses_a_home_with_other_data(home):
    result = runner.invoke(app, ["demo-feeds", "--from", "2023-01", "--to", "2023-01"])
    assert result.exit_code == 2 and "--out" in result.output
    assert not (home / "inbox").exists()

    mine = write_feed_file(home / "inbox", "stats_services", "分行业202302.csv", SERVICES)
    assert runner.invoke(app, ["land"]).exit_code == 0
    mine.unlink()  # landed and archived: the register and the archive still hold it
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "登记簿 register 1, 归档 archive 1 files" in result.output and "--force" in result.output
    assert (home / "warehouse.duckdb").exists() and any((home / "archive").rglob("*.csv"))


def test_a_home_holding_only_what_the_demo_wrote_may_be_cleared(home):
    import json

    from ingest import landing
    from orchestration.cli import DEMO_RECORD, _demo_refusal

    demo_file = write_feed_file(home / "inbox", "stats_services", "分行业202302.csv", SERVICES)
    assert runner.invoke(app, ["land"]).exit_code == 0
    (home / DEMO_RECORD).write_text(json.dumps({"files": [landing.sha256_of(demo_file)]}), encoding="utf-8")
    assert _demo_refusal(home) is None
    write_feed_file(home / "inbox", "stats_fai", "固定资产投资202302.csv", "指标名称,增速,占比\n固定资产投资,5.0,100\n")
    assert "收件箱 inbox 1" in _demo_refusal(home)


@pytest.mark.slow
def test_first_use_after_a_plain_install_prepares_the_dbt_manifest(tmp_path):
    from orchestration.dbt import dbt_project

    target = dbt_project.manifest_path.parent
    kept = tmp_path / "kept_target"
    with prepare_lock():  # the other test workers do not prepare meanwhile
        if target.exists():
            shutil.move(target, kept)  # as on a fresh clone: dbt_project/target is not in git
        try:
            # A new process loads the code location the way `svcmon run` / `svcmon demo` do.
            loaded = subprocess.run(
                [sys.executable, "-c", "from orchestration.runs import load_definitions; "
                 "print(load_definitions().resolve_job_def('build_job').name)"],
                capture_output=True, text=True, cwd=tmp_path, check=False)
            assert loaded.returncode == 0, loaded.stderr[-3000:]
            assert loaded.stdout.split()[-1] == "build_job"
            assert dbt_project.manifest_path.exists()
        finally:
            if not dbt_project.manifest_path.exists() and kept.exists():
                shutil.rmtree(target, ignore_errors=True)
                shutil.move(kept, target)
            elif (stamp := kept / PREPARED_STAMP).exists():
                # The same project prepared again: the other workers need not prepare it once more,
                # rewriting the manifest they read.
                shutil.copy2(stamp, target / PREPARED_STAMP)


BAD_PERIOD_MESSAGE = ("报告期应为 YYYY-MM（如 2024-06），收到 '2024-6' / "
                      "period must be YYYY-MM (e.g. 2024-06), got '2024-6'")


@pytest.mark.parametrize("command", [
    ["quality", "--period", "2024-6"],
    ["report", "--period", "2024-6"],
    ["status", "--period", "2024-6"],
    ["export", "--period", "2024-6", "--table", "indicators"],
    ["run", "--from", "2024-01", "--to", "2024-6"],
])
def test_a_period_that_is_not_yyyy_mm_is_refused_with_one_line(command, tmp_path, monkeypatch):
    monkeypatch.setenv("SVCMON_HOME", str(tmp_path))
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert result.output.strip() == BAD_PERIOD_MESSAGE
    assert not (tmp_path / "warehouse.duckdb").exists()  # refused before anything was opened


UNBALANCED = """鹿城区2023年1-2月规上服务业分行业主要指标
行业代码,营业收入_本年累计,营业收入_上年同期
合计,100,80
L,90,80
72,90,80
"""


@pytest.mark.slow
def test_kill_9_during_dbt_then_the_rerun_finishes_and_a_blocked_month_is_one_line(home):
    """`svcmon run` killed while dbt builds: its dbt child lives on as an orphan. The rerun ends it,
    marks the killed run failed, and prints, outside a terminal, a line per stage, one line for the
    month without feeds and one for the blocked month (its blocking checks, its quality report)."""
    import os
    import signal
    import time

    import psutil
    from dagster import DagsterInstance, DagsterRunStatus

    from tests.conftest import prepare_dbt_project

    prepare_dbt_project()
    write_feed_file(home / "inbox", "stats_services", "分行业202302.csv", UNBALANCED)
    env = {**os.environ, "SVCMON_HOME": str(home), "COLUMNS": "80"}
    env.pop("DAGSTER_HOME", None)
    command = [sys.executable, "-m", "orchestration.cli", "run", "--from", "2023-01", "--to", "2023-02"]

    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline, dbt = time.time() + 600, []
    def cmdline(process: psutil.Process) -> str:
        try:
            return " ".join(process.cmdline())
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            return ""  # a child that ended between listing and reading

    while time.time() < deadline and not dbt:
        dbt = [p for p in psutil.Process(first.pid).children(recursive=True) if "dbt" in cmdline(p)]
        time.sleep(0.5)
    assert dbt, "dbt never started"
    first.send_signal(signal.SIGKILL)
    first.wait()

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800, check=False)
    (home / "rerun.out").write_text(rerun.stdout + rerun.stderr, encoding="utf-8")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in dbt)
    out = rerun.stdout
    assert "Traceback" not in out + rerun.stderr and " of " not in out  # no dbt log lines
    lines = out.splitlines()
    assert "2023-01 未收到任何报表 / no feeds received" in lines
    assert any(line.startswith("dbt 模型 / dbt models: ") for line in lines)
    (blocked,) = [line for line in lines if line.startswith("2023-02 未通过质量关")]
    assert blocked.startswith("2023-02 未通过质量关 / blocked by ")
    assert "stats_services.balance.total_vs_sections.revenue_ytd" in blocked
    assert blocked.endswith(f"质量报告 / quality report: {home / 'reports' / 'quality' / 'quality_2023-02.html'}")

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    try:
        statuses = sorted(r.status.value for r in DagsterInstance.get().get_runs())
    finally:
        del os.environ["DAGSTER_HOME"]
    assert DagsterRunStatus.STARTED.value not in statuses and DagsterRunStatus.FAILURE.value in statuses
    # The CLI ends without the interpreter's teardown, yet closes Dagster's SQLite files: their
    # write-ahead logs (the killed run's among them) are folded back in.
    assert not list((home / "dagster").rglob("*-wal"))
