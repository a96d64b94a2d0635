"""svcmon's dagster-dbt resource: the dbt version it gives dagster-dbt without asking the executable
when that is this environment's dbt (through `dbt_launcher`), and the executable's own answer
otherwise."""

from __future__ import annotations

import re
import subprocess
import sys

from orchestration.dbt import DBT_COMMAND, SvcmonDbtCliResource, dbt_project


def test_the_launched_dbt_has_the_version_it_prints():
    printed = subprocess.run([*DBT_COMMAND, "--version"], capture_output=True, text=True, check=True).stdout
    (core,) = re.findall(r"installed:\s*(\d+\.\d+\.\d+)", printed)[:1]
    assert str(SvcmonDbtCliResource.launched()._cli_version) == core


def test_another_dbt_executable_is_asked(tmp_path):
    fake = tmp_path / "dbt"
    fake.write_text(f"#!{sys.executable}\nprint('Core:\\n  - installed: 9.8.7')\n", encoding="utf-8")
    fake.chmod(0o755)
    resource = SvcmonDbtCliResource(project_dir=dbt_project, dbt_executable=str(fake))
    assert str(resource._cli_version) == "9.8.7"
