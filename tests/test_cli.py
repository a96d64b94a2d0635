"""The svcmon command line on a small home: land, status, refusals with clear messages, and its
first use on a fresh install (no dbt manifest prepared yet)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from tests.conftest import write_feed_file

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
    result = runner.invoke(app, ["signoff", "--period", "2023-02", "--by", " ", "--reason", "ok"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_first_use_after_a_plain_install_prepares_the_dbt_manifest(tmp_path):
    from orchestration.dbt import dbt_project

    target = dbt_project.manifest_path.parent
    kept = tmp_path / "kept_target"
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
