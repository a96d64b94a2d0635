"""Reference data shared with dbt: the seeds in `dbt_project/seeds/` and the vars of
`dbt_project.yml` are their one home.

ingest reads them for what it must know before the warehouse exists: department
aliases (a department's canonical name, a multi-department file's scope) and each
indicator's unit (the unit conversion of `dept_task_progress`); publish reads the
disclosure threshold var.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"


@functools.cache
def dbt_vars() -> dict:
    """The vars of dbt_project.yml (their defaults: a run may override them with --vars)."""
    import yaml

    with open(DBT_PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh).get("vars") or {})


def dbt_var(name: str):
    try:
        return dbt_vars()[name]
    except KeyError:
        raise KeyError(f"dbt_project.yml defines no var {name!r}") from None


def _read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def normalise_name(text: str) -> str:
    """Department names compare without spaces and full-width forms: NFKC, then every white
    space (incl. no-break and ideographic spaces) removed. The one home of this rule: landing
    stores its result and every later layer reads the stored column."""
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


# A cell may name several departments (`区发改局、区商务局`).
DEPARTMENT_SEPARATORS = re.compile(r"[、,，;；/]")


def split_departments(name: str) -> list[str]:
    return [p.strip() for p in DEPARTMENT_SEPARATORS.split(name) if p.strip()]


def canonical_department(name: str | None) -> str | None:
    """The canonical form of a department cell: its canonical name, or for a cell naming several
    departments their canonical names joined by `、`; None when empty or when any name is not
    in the reference table. Landing stores this as `<field>_canonical`."""
    if not name or not name.strip():
        return None
    whole = resolve_department(name)
    if whole is not None:
        return whole
    parts = [resolve_department(p) for p in split_departments(name)]
    if len(parts) < 2 or any(p is None for p in parts):
        return None
    return "、".join(parts)


@functools.cache
def indicators() -> dict[str, dict[str, str]]:
    return {r["indicator_id"]: r for r in _read_seed("ref_indicators")}


def indicator_unit(indicator_id: str) -> str | None:
    row = indicators().get(indicator_id)
    return row["unit"] if row else None
