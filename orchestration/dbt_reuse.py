"""Which reference-and-staging dbt nodes a run may leave as they are.

Every run used to rebuild all unpartitioned dbt nodes and run all their tests (about 230 nodes),
whatever had changed. Many depend only on the project's own files: the seeds, the dims built from
them, their tests and the unit tests (fixed inputs). A view reads the feeds, but what a view is,
is its SQL: recreated or not, it returns the same rows. What must run again whenever feeds land:
the tables built from the feeds, the models that compile in a run value (the as-of date), every
unpartitioned model downstream of those (on PostgreSQL, replacing a relation drops the views over
it), and every test of a node that reads the feeds.

The rest is left alone when the project (its files, the deployment's dbt vars, dbt's version, the
target and its grants) is the one of the last complete build of this warehouse, recorded in the
warehouse itself (so a warehouse emptied or replaced builds everything again), and every relation
left alone still exists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ingest import clock
from ingest.warehouse import Warehouse

# The tag of the period marts (macro `period_mart_config`), which the monthly-partitioned step builds.
PARTITIONED_TAG = "partitioned"
RUN_VALUE_MACRO = "macro.svcmon.run_value"
STATE_SCHEMA, STATE_TABLE = "staging", "dbt_build_state"
# Not the project: what dbt writes while it runs, and editor or linter settings.
_NOT_PROJECT = {"target", "logs", "dbt_packages", ".user.yml", "target.prepare.lock", ".sqlfluff",
                ".sqlfluffignore", "__pycache__"}


@dataclass(frozen=True)
class Reuse:
    """What a run leaves alone: `kept` (unique ids of the models and seeds not rebuilt, each after
    those it reads: Dagster takes a multi-asset's outputs in that order), `excluded` (dbt --exclude
    selectors for them, their tests and the unit tests of the unpartitioned models; the period
    marts' unit tests run with the marts)."""

    kept: tuple[str, ...]
    excluded: tuple[str, ...]


def project_fingerprint(project_dir: Path, settings: Mapping[str, Any]) -> str:
    """A digest of everything that decides what the unpartitioned models are: every file of the
    dbt project (but what dbt writes there) and `settings` (dbt vars, versions, target, grants)."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for path in sorted(_project_files(project_dir)):
        digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _project_files(folder: Path) -> Iterable[Path]:
    for path in folder.iterdir():
        if path.name in _NOT_PROJECT:
            continue
        if path.is_dir():
            yield from _project_files(path)
        else:
            yield path


def plan(manifest: Mapping[str, Any]) -> Reuse:
    """The unpartitioned nodes a run whose project is unchanged leaves alone (see the module)."""
    nodes = manifest["nodes"]
    macros = manifest.get("macros", {})

    @cache
    def parents(unique_id: str) -> tuple[str, ...]:
        return tuple((nodes.get(unique_id) or {}).get("depends_on", {}).get("nodes", []))

    @cache
    def reads_feeds(unique_id: str) -> bool:
        return unique_id.startswith("source.") or any(reads_feeds(p) for p in parents(unique_id))

    @cache
    def macro_closure(macro_id: str) -> frozenset[str]:
        below = macros.get(macro_id, {}).get("depends_on", {}).get("macros", [])
        return frozenset({macro_id}).union(*(macro_closure(m) for m in below))

    def reads_run_value(node: Mapping[str, Any]) -> bool:
        return any(RUN_VALUE_MACRO in macro_closure(m) for m in node.get("depends_on", {}).get("macros", []))

    unpartitioned = {uid: n for uid, n in nodes.items()
                     if n["resource_type"] in ("model", "seed")
                     and PARTITIONED_TAG not in n.get("config", {}).get("tags", [])}
    rebuilt = {uid for uid, n in unpartitioned.items()
               if reads_run_value(n)
               or (n["resource_type"] == "model" and n["config"].get("materialized") != "view" and reads_feeds(uid))}
    grown = True
    while grown:  # and every unpartitioned model downstream of one rebuilt
        below = {uid for uid in unpartitioned if uid not in rebuilt and set(parents(uid)) & rebuilt}
        rebuilt |= below
        grown = bool(below)
    kept = _upstream_first(sorted(set(unpartitioned) - rebuilt), parents)
    tests_kept = sorted(
        uid for uid, n in nodes.items() if n["resource_type"] == "test"
        and parents(uid) and all(p in unpartitioned for p in parents(uid))
        and not any(reads_feeds(p) or p in rebuilt for p in parents(uid)))
    unit_tests = sorted(test["name"] for test in manifest.get("unit_tests", {}).values()
                        if any(n["name"] == test.get("model") for n in unpartitioned.values()))
    return Reuse(kept=tuple(kept),
                 excluded=(*(nodes[uid]["name"] for uid in [*kept, *tests_kept]), *unit_tests))


def period_mart_nodes(manifest: Mapping[str, Any]) -> frozenset[str]:
    """The unique ids the monthly-partitioned step answers for: the period marts, every test that
    reads one (its relationships to the dims included) and their unit tests. The same nodes the
    step's own `dbt build --select tag:partitioned` runs."""
    nodes = manifest["nodes"]
    marts = {uid for uid, n in nodes.items()
             if n["resource_type"] == "model" and PARTITIONED_TAG in n.get("config", {}).get("tags", [])}
    names = {nodes[uid]["name"] for uid in marts}
    tests = {uid for uid, n in nodes.items()
             if n["resource_type"] == "test" and set(n.get("depends_on", {}).get("nodes", [])) & marts}
    unit_tests = {uid for uid, test in manifest.get("unit_tests", {}).items() if test.get("model") in names}
    return frozenset(marts | tests | unit_tests)


def _upstream_first(unique_ids: list[str], parents) -> list[str]:
    ordered: list[str] = []
    wanted = set(unique_ids)

    def visit(unique_id: str) -> None:
        if unique_id in wanted and unique_id not in ordered:
            for parent in parents(unique_id):
                visit(parent)
            ordered.append(unique_id)

    for unique_id in unique_ids:
        visit(unique_id)
    return ordered


def relations_exist(con: Warehouse, manifest: Mapping[str, Any], unique_ids: Iterable[str]) -> bool:
    """Whether every relation of these models and seeds is in the warehouse."""
    for uid in unique_ids:
        node = manifest["nodes"][uid]
        if not con.table_exists(node["schema"], node.get("alias") or node["name"]):
            return False
    return True


def recorded_fingerprint(con: Warehouse) -> str | None:
    """The fingerprint of the project the last complete build of this warehouse ran."""
    if not con.table_exists(STATE_SCHEMA, STATE_TABLE):
        return None
    row = con.execute(f"SELECT fingerprint FROM {STATE_SCHEMA}.{STATE_TABLE}").fetchone()
    return row[0] if row else None


def record_fingerprint(con: Warehouse, fingerprint: str, run_id: str) -> None:
    """After a complete build: the project it ran, the one row of the state table."""
    with con.transaction():
        con.create_table(f"{STATE_SCHEMA}.{STATE_TABLE}",
                         [("fingerprint", "text"), ("run_id", "text"), ("built_at", "timestamp")])
        con.execute(f"DELETE FROM {STATE_SCHEMA}.{STATE_TABLE}")
        con.execute(f"INSERT INTO {STATE_SCHEMA}.{STATE_TABLE} VALUES (?, ?, ?)",
                    [fingerprint, run_id, clock.now()])
