"""The dbt project as Dagster sees it.

The manifest that defines the dbt assets is the package's prepared build artefact
(`dbt_project/target/manifest.json`), prepared by dagster-dbt's `DbtProject`: `dagster dev`
re-parses it at every load (`prepare_if_dev`), CI prepares it with
`dagster-dbt project prepare-and-package --file orchestration/dbt.py`, and the `svcmon` CLI
prepares it on first use after a plain `pip install` (`ensure_manifest`).

What a run writes (dbt's target folder and logs) lives under `$SVCMON_HOME/dbt`, never in the
package: `dbt_build` is the one way the assets invoke dbt, `run_dbt_process` the one way
everything else does. Both connect dbt to the warehouse `SVCMON_WAREHOUSE_URL` names through
`dbt_environment` (profiles.yml reads what it derives).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject

from ingest import clock, database, settings
from ingest.warehouse import connect as connect_warehouse
from ingest.warehouse import is_postgres_url
from orchestration import dbt_reuse
from orchestration.dbt_launcher import DBT_COMMAND, FOLDER_ENV, WARM_ENV, take_warm_dbt

if TYPE_CHECKING:
    from dagster import AssetExecutionContext
    from dagster_dbt import DbtCliInvocation

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
PARTITIONED_SELECTOR = f"tag:{dbt_reuse.PARTITIONED_TAG}"


def _apply(environment: MutableMapping[str, str], values: Mapping[str, str | None]) -> None:
    """Set `values` in `environment`; a None value removes the variable (a run that does not set a
    run value must not inherit an earlier one)."""
    for name, value in values.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value


@contextmanager
def _environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """`values` set in this process's environment for the block (None: removed), then restored."""
    before = {name: os.environ.get(name) for name in values}
    try:
        _apply(os.environ, values)
        yield
    finally:
        _apply(os.environ, before)


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Under `dagster dev` only: parse now, so edits to the dbt project show at every reload.
dbt_project.prepare_if_dev()


def ensure_manifest() -> Path:
    """The prepared manifest; prepared now (dagster-dbt's `dbt parse`) when this install has none
    yet, e.g. a fresh clone after `pip install`. After editing the dbt project outside
    `dagster dev`, prepare again: `dagster-dbt project prepare-and-package --file orchestration/dbt.py`."""
    if not dbt_project.manifest_path.exists():
        dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path


def dbt_environment(url: str | Path | None = None) -> dict[str, str]:
    """What profiles.yml reads to reach the warehouse `url` (default `SVCMON_WAREHOUSE_URL`, else
    the home's DuckDB file): the target and, on PostgreSQL, host, port, user, password, database,
    sslmode, the role the pipeline's sessions take and the single-table grants its models keep
    (`database.dbt_table_grants`, applied by a post-hook). The one place a warehouse URL becomes dbt
    settings. (The password is not in a `DBT_ENV_SECRET_` variable: dbt would then mask every
    occurrence of it in its event stream, and a password that is also a word of the project, such
    as `svcmon`, turns node ids into `model.*****.…` that dagster-dbt cannot match.)

    A DuckDB file is named by its name alone, and dbt runs in its folder (`FOLDER_ENV`, read by
    `dbt_launcher`): every home's profile is then the same one, the prepared parse's (profiles.yml's
    default name is the home's, `settings.WAREHOUSE_FILE`)."""
    url = str(url) if url is not None else settings.warehouse_url()
    if not is_postgres_url(url):
        path = Path(url.removeprefix("duckdb://"))
        return {"DBT_SVCMON_TARGET": "duckdb", "SVCMON_WAREHOUSE": path.name, FOLDER_ENV: str(path.resolve().parent)}
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    user = unquote(parts.username or "") or getpass.getuser()
    return {
        "DBT_SVCMON_TARGET": "postgres",
        "DBT_SVCMON_HOST": parts.hostname or "localhost",
        "DBT_SVCMON_PORT": str(parts.port or 5432),
        "DBT_SVCMON_USER": user,
        "DBT_SVCMON_PASSWORD": unquote(parts.password or ""),
        "DBT_SVCMON_DBNAME": unquote(parts.path.lstrip("/")) or user,
        "DBT_SVCMON_ROLE": database.OWNER,
        "DBT_SVCMON_TABLE_GRANTS": database.dbt_table_grants(),
        "DBT_SVCMON_SSLMODE": query.get("sslmode", [""])[0],
    }


def _log_settings() -> dict[str, str]:
    """dbt's log file (`dbt/logs/dbt.log` of the home) at info level unless `DBT_LOG_LEVEL_FILE` says
    otherwise. dbt's default, debug, writes every statement and event of every node: 8.9 MB for a run
    of four small files (0.7 MB at info), and about a sixth of dbt's worker threads' time in a profile.
    `DBT_LOG_LEVEL_FILE=debug` brings them back; the compiled SQL stays in the target folder."""
    return {"DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE") or "info"}


def _prepared(url: str) -> str:
    """A PostgreSQL database is initialised (schemas, roles) before dbt first connects to it."""
    if is_postgres_url(url):
        connect_warehouse(url).close()
    return url


# The values that change from one run to the next reach dbt as environment variables
# SVCMON_RUN_<NAME>, read by the macro `run_value` (macros/periods.sql), not as --vars: dbt
# re-parses the whole project whenever its --vars change, but only the files that read an
# environment variable when that variable changes (partial parsing).
RUN_VALUES = ("as_of_date", "period_from", "period_to")
RUN_VALUE_PREFIX = "SVCMON_RUN_"


def _split_vars(vars: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, str | None]]:
    """(--vars: the deployment's own and any other var given, environment: SVCMON_RUN_<NAME> of
    every run value, None when this run does not set it, so no earlier value is inherited)."""
    given = {**settings.deployment_dbt_vars(), **(vars or {})}
    cli_vars = {name: value for name, value in given.items() if name not in RUN_VALUES}
    environment = {RUN_VALUE_PREFIX + name.upper(): (str(given[name]) if name in given else None)
                   for name in RUN_VALUES}
    return cli_vars, environment


@contextmanager
def _run_environment(run_values: Mapping[str, str | None]) -> Iterator[None]:
    """dbt reaches the home's warehouse through `dbt_environment`, and gets the run values. dagster-dbt
    hands dbt a copy of this process's environment when it starts it, so the variables are set around
    that start only.

    When Dagster runs a subset of models, only tests whose parents are all in the subset
    run ('cautious'): a test must never run before the model it tests is built.
    """
    with _environment({**dbt_environment(_prepared(settings.warehouse_url())), **_log_settings(),
                       "DBT_INDIRECT_SELECTION": "cautious", WARM_ENV: take_warm_dbt(), **run_values}):
        yield


def step_target(context: AssetExecutionContext) -> Path:
    """The dbt target folder of an asset step (run results, compiled SQL; replaced at each run)."""
    return settings.dbt_path() / "target" / context.op_execution_context.op.name


def dbt_build(dbt: DbtCliResource, context: AssetExecutionContext, *args: str,
              vars: Mapping[str, Any] | None = None, raise_on_error: bool = True,
              environment: Mapping[str, str] | None = None, own_selection: bool = False) -> DbtCliInvocation:
    """`dbt build` for an asset step against the home's warehouse, with `vars` and the deployment's
    own (`settings.deployment_dbt_vars`, read now), and `environment` over dbt's settings. Its target
    folder (run results, compiled SQL; one per asset, replaced at each run) and its logs live under
    `$SVCMON_HOME/dbt`.

    dagster-dbt selects the step's own dbt nodes. With `own_selection`, `args` select the nodes
    instead, and the caller turns dbt's events into the step's (`DbtCliInvocation.stream_raw_events`):
    a step may then build nodes another step of the same run reports."""
    work = settings.dbt_path()
    target = step_target(context)
    _start_from_saved_parse(target)
    cli_vars, run_values = _split_vars(vars)
    var_args = ["--vars", json.dumps(cli_vars)] if cli_vars else []
    with _run_environment({**run_values, **(environment or {})}):
        return dbt.cli(["build", "--log-path", str(work / "logs"), *var_args, *args], target_path=target,
                       context=None if own_selection else context, raise_on_error=raise_on_error)


PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def _start_from_saved_parse(target: Path) -> None:
    """A target folder without a saved parse starts from the newest one another step of this home
    saved, else from the package's prepared one. A saved parse is only a starting point: dbt compares
    it with the project, profile and environment and parses again what differs, the whole project
    when the profile does (~5 s here); every DuckDB home renders the prepared parse's profile
    (`dbt_environment`)."""
    if (target / PARTIAL_PARSE_FILE).exists():
        return
    saved = [path for path in target.parent.glob(f"*/{PARTIAL_PARSE_FILE}") if path.parent != target]
    prepared = dbt_project.project_dir / dbt_project.target_path / PARTIAL_PARSE_FILE
    start = max(saved, key=lambda path: path.stat().st_mtime) if saved else prepared if prepared.exists() else None
    if start is not None:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(start, target / PARTIAL_PARSE_FILE)


def project_fingerprint() -> str:
    """What decides the unpartitioned models (`dbt_reuse`): the project's files, the deployment's dbt
    vars, the versions of dbt and its adapters, the warehouse's engine and the grants its models keep."""
    from importlib import metadata

    versions = {}
    for package in ("dbt-core", "dbt-duckdb", "dbt-postgres"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    target = dbt_environment()["DBT_SVCMON_TARGET"]
    return dbt_reuse.project_fingerprint(DBT_PROJECT_DIR, {
        "vars": _split_vars(None)[0], "versions": versions, "target": target,
        "grants": database.dbt_table_grants() if target == "postgres" else None})


def run_dbt_process(warehouse: Path | str, *args: str, work: Path, vars: Mapping[str, Any] | None = None,
                    env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    """dbt in a process of its own against `warehouse` (a DuckDB file or a warehouse URL; a
    process because dbt-duckdb keeps the file open in the process that ran it), its target
    folder and logs under `work`. The one way code outside Dagster's assets (status, rebuild,
    tests) runs dbt, with `vars` over the deployment's own (`settings.deployment_dbt_vars`). Returns the finished process (stdout and stderr captured); the caller
    decides what a failure means."""
    work = Path(work).resolve()  # dbt runs in the warehouse's folder
    _start_from_saved_parse(work / "target")
    cli = [*DBT_COMMAND, *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    cli_vars, run_values = _split_vars(vars)
    if cli_vars:
        cli += ["--vars", json.dumps(cli_vars)]
    process_env = {**os.environ, **dbt_environment(_prepared(str(warehouse))), **_log_settings(),
                   "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})}
    _apply(process_env, {**run_values, WARM_ENV: take_warm_dbt()})
    return subprocess.run(cli, env=process_env, capture_output=True, text=True, cwd=DBT_PROJECT_DIR, check=False)


class SvcmonDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, less the dbt adapter it opens in this process before every dbt
    command: the adapter serves only `fetch_column_metadata` and `fetch_row_counts`, which no asset
    here calls, and opening it (loading dbt's profile, project and adapter) held up each dbt step
    for 5-16 s before dbt's own process started. dagster-dbt runs without it when opening fails."""

    def _initialize_dbt_core_adapter(self, args):  # noqa: ANN001, ANN202 - dagster-dbt's own signature
        return None

    @classmethod
    def launched(cls) -> SvcmonDbtCliResource:
        """The resource of the assets: dbt started as `DBT_COMMAND` (this Python runs `dbt_launcher`;
        dagster-dbt puts its global flags right after the executable)."""
        return cls(project_dir=dbt_project, dbt_executable=DBT_COMMAND[0], global_config_flags=list(DBT_COMMAND[1:]))

    @cached_property
    def _cli_version(self):  # noqa: ANN202 - dagster-dbt's own
        """dagster-dbt asks the executable (`dbt --version`: a process importing dbt, ~3 s here) once per
        run; `DBT_COMMAND` runs this environment's dbt-core, whose version is on record."""
        if (self.dbt_executable, *self.global_config_flags) == DBT_COMMAND:
            from importlib import metadata

            from packaging import version

            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version


class SvcmonDbtTranslator(DagsterDbtTranslator):
    """Groups follow the folders: seeds, staging and intermediate → staging; marts → marts.

    dbt tests are not loaded as one Dagster asset check each: their results reach the gate through
    `quality.check_results` (`runner.record_dbt_results`), judged by the blocking check `gate_dbt`
    of the quality asset, and a failing error-severity test fails its dbt step. As per-test checks
    they only cost Dagster event-log writes (planned, output and evaluation: three per test, about
    700 of a month's 940 build events, each a SQLite commit); `dbt_events` keeps what a reader of
    the run needs to see (every test that did not pass)."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=False))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            folder = Path(dbt_resource_props["original_file_path"]).parts[1]
            return "marts" if folder == "marts" else "staging"
        return "staging"


# The run tag that fixes a run's as-of date (ISO): the day completeness is judged at ("not yet due"
# or 未报送). The CLI sets it from `--as-of`; a run without it (schedule, sensor, UI) takes the day
# it was created. dbt gets it as the var `as_of_date`, fct_read_set keeps it, publication records it.
AS_OF_TAG = "svcmon/as_of_date"


def run_as_of(context: AssetExecutionContext) -> dt.date:
    """The as-of date of the run the step belongs to: fixed once per run."""
    tag = context.run.tags.get(AS_OF_TAG)
    if tag:
        return dt.date.fromisoformat(tag)
    record = context.instance.get_run_record_by_id(context.run.run_id)
    created = record.create_timestamp if record is not None else dt.datetime.now(dt.UTC)
    return created.astimezone(clock.timezone()).date()  # today in the deployment's zone


def dbt_vars(as_of: dt.date, first: str | None = None, last: str | None = None) -> dict[str, str]:
    """dbt vars: the run's as-of date and, for the partitioned marts, the range [first, last]."""
    values: dict[str, str] = {"as_of_date": as_of.isoformat()}
    if first and last:
        values.update(period_from=first, period_to=last)
    return values
