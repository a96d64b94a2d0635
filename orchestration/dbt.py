"""The dbt project as Dagster sees it: one cached project, the manifest prepared once
(parsed only when missing or older than the project files), groups from model paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DbtProject

from ingest import settings

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
PARTITIONED_SELECTOR = "tag:partitioned"
# The dbt installed beside this Python, so a virtualenv works without being activated.
_BESIDE_PYTHON = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_BESIDE_PYTHON) if _BESIDE_PYTHON.exists() else "dbt"


def dbt_environment() -> dict[str, str]:
    """dbt reads the warehouse path from the environment; the home decides it.

    When Dagster runs a subset of models, only tests whose parents are all in the subset
    run ('cautious'): a test must never run before the model it tests is built.
    """
    os.environ["SVCMON_WAREHOUSE"] = str(settings.warehouse_path())
    os.environ["DBT_INDIRECT_SELECTION"] = "cautious"
    return {"SVCMON_WAREHOUSE": os.environ["SVCMON_WAREHOUSE"]}


def _newest_source_mtime() -> float:
    paths = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        paths += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in paths if p.exists())


def ensure_manifest() -> Path:
    """`dbt parse` once when the manifest is missing or stale; imports then load it from disk."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        dbt_environment()
        subprocess.run(
            [DBT_EXECUTABLE, "parse", "--quiet",
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
            check=True,
        )
    return manifest


ensure_manifest()
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class SvcmonDbtTranslator(DagsterDbtTranslator):
    """Groups follow the folders: seeds, staging and intermediate → staging; marts → marts."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            folder = Path(dbt_resource_props["original_file_path"]).parts[1]
            return "marts" if folder == "marts" else "staging"
        return "staging"


def period_vars(first: str, last: str) -> list[str]:
    """dbt CLI arguments bounding the partitioned marts to [first, last]."""
    return ["--vars", json.dumps({"period_from": first, "period_to": last})]
