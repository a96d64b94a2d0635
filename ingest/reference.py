"""Reference data shared with dbt: the seeds in `dbt_project/seeds/` are their one home.

ingest reads them for what it must know before the warehouse exists: department
aliases (a multi-department file's scope) and each indicator's unit (the unit
conversion of `dept_task_progress`).
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"


def _read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def normalise_name(text: str) -> str:
    """Department names compare without spaces and full-width forms."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", text).split())


@functools.cache
def department_aliases() -> dict[str, str]:
    """Normalised alias -> canonical department name."""
    return {normalise_name(r["alias"]): r["dept_name"] for r in _read_seed("ref_department_aliases")}


def resolve_department(name: str | None) -> str | None:
    """Canonical department name, or None when the name is not in the reference table."""
    if not name:
        return None
    return department_aliases().get(normalise_name(name))


@functools.cache
def indicators() -> dict[str, dict[str, str]]:
    return {r["indicator_id"]: r for r in _read_seed("ref_indicators")}


def indicator_unit(indicator_id: str) -> str | None:
    row = indicators().get(indicator_id)
    return row["unit"] if row else None
