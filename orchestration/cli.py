"""`svcmon`: the command line of the platform. Commands call into ingest/, expectations/,
publish/ and the Dagster jobs; they hold no business rules of their own."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from ingest import landing, settings
from ingest.periods import PeriodError, validate_period
from ingest.registry import month_range
from ingest.warehouse import connect as connect_warehouse
from ingest.warehouse import is_postgres_url
from orchestration.runs import execute_range

app = typer.Typer(help="鹿城区服务业“十百千”监测数据平台 / Lucheng services-sector monitoring warehouse",
                  no_args_is_help=True, add_completion=False)
console = Console()

DEMO_FIRST, DEMO_LAST = "2023-01", "2024-12"
PeriodOpt = Annotated[str | None, typer.Option("--period", help="YYYY-MM")]


def _check_period(value: str) -> str:
    """The period, or exit 2 with the validator's one-line bilingual message."""
    try:
        return validate_period(value)
    except PeriodError as exc:
        console.print(str(exc), style="red", soft_wrap=True, markup=False, highlight=False)
        raise typer.Exit(2) from None


def _periods(period: str | None, first: str | None, last: str | None) -> list[str]:
    if period:
        return [_check_period(period)]
    if first and last:
        return month_range(_check_period(first), _check_period(last))
    raise typer.BadParameter("请给出 --period 或 --from/--to / give --period or --from and --to")


def dagster_instance():
    """The home's Dagster instance (`orchestration/instance.py`: on PostgreSQL, runs and events
    live on the warehouse's server), unless `DAGSTER_HOME` names another."""
    from dagster import DagsterInstance

    from orchestration import instance

    if not os.environ.get("DAGSTER_HOME"):
        if is_postgres_url(settings.warehouse_url()):
            connect_warehouse().close()  # the server's schemas exist before Dagster creates its tables
        instance.write_instance_config()
        os.environ["DAGSTER_HOME"] = str(instance.dagster_home())
    return DagsterInstance.get()


def _execute(job_name: str, first: str, last: str):
    return execute_range(job_name, first, last, instance=dagster_instance())


def _build_and_publish(periods: list[str]) -> dict[str, str]:
    """Build once for the whole range, then check and publish each period on its own, so one
    blocked month never holds back another. Returns period -> outcome."""
    with console.status(f"构建数仓 / building the warehouse for {periods[0]}..{periods[-1]} (dbt)…"):
        build = _execute("build_job", periods[0], periods[-1])
    if not build.success:
        console.print("[red]构建失败 / build failed; see the Dagster run logs[/red]")
        raise typer.Exit(1)
    outcomes = {}
    for period in track(periods, description="质量审核与发布 / checks and publication", console=console):
        run = _execute("publish_job", period, period)
        outcomes[period] = "published" if run.success else "blocked"
    return outcomes


def _report_paths(run) -> list[Path]:
    """The files a report run wrote, from its materialization metadata."""
    paths: list[Path] = []
    for event in run.get_asset_materialization_events():
        text = event.materialization.metadata.get("files")
        for line in (text.value if text else "").splitlines():
            if line.startswith("- "):
                paths.append(Path(line[2:]))
    return list(dict.fromkeys(paths))


def _print_landing(results: list[landing.LandingResult], *, only_problems: bool = False) -> None:
    table = Table(title="落地结果 / landing")
    for col in ("文件 file", "报表 feed", "状态 status", "期间 period", "行数 rows", "原因 reason"):
        table.add_column(col, overflow="fold")
    labels = {"accepted": "[green]接收 accepted[/green]", "rejected": "[red]退回 rejected[/red]",
              "duplicate": "[dim]重复 duplicate[/dim]"}
    for r in results:
        if only_problems and r.status != "rejected":
            continue
        table.add_row(r.file_name, r.feed_id or "—", labels[r.status], r.period or "—", str(r.rows), r.reason or "")
    console.print(table)
    counts = {s: sum(r.status == s for r in results) for s in labels}
    console.print(f"接收 accepted {counts['accepted']} · 退回 rejected {counts['rejected']} · "
                  f"重复 duplicate {counts['duplicate']}")


@app.command()
def land(
    submitted_on: Annotated[str | None, typer.Option(help="所有文件的报送日期 / stated submission date (YYYY-MM-DD)")] = None,
) -> None:
    """落地收件箱中的所有文件 / land every file present in the inbox."""
    try:
        stated = dt.date.fromisoformat(submitted_on) if submitted_on else None
    except ValueError:
        raise typer.BadParameter(f"日期应为 YYYY-MM-DD / date must be YYYY-MM-DD, got {submitted_on!r}") from None
    con = landing.connect()
    try:
        inbox = settings.inbox_path()
        files = landing.scan_inbox(inbox)
        results = [landing.land_file(con, p, f, submitted_on=stated)
                   for p, f in track(files, description="落地 / landing", console=console)]
    finally:
        con.close()
    _print_landing(results)


@app.command("demo-feeds")
def demo_feeds(
    first: Annotated[str, typer.Option("--from")] = DEMO_FIRST,
    last: Annotated[str, typer.Option("--to")] = DEMO_LAST,
    out: Annotated[Path | None, typer.Option(help="输出目录（默认收件箱）/ output folder, default the inbox")] = None,
    seed: int = 7,
    faults: Annotated[str, typer.Option(help="注入的错误 / faults, e.g. unit_slip,ytd_drop@2024-06")] = "",
) -> None:
    """生成演示报表 / write demo feeds for every due period."""
    from demo import generate_demo_feeds

    out = out or settings.inbox_path()
    try:
        manifest = generate_demo_feeds(out, _check_period(first), _check_period(last), seed=seed,
                                       faults=[f for f in faults.split(",") if f])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"写入 wrote {len(manifest.files)} files to {out}")


@app.command()
def demo(
    faults: Annotated[str, typer.Option(help="注入的错误 / faults to inject")] = "",
    seed: int = 7,
) -> None:
    """一键演示：全新 $SVCMON_HOME，演示报表 2023-01..2024-12 → 数仓 → 质量关 → 发布 → 报告。"""
    from demo import DemoManifest, generate_demo_feeds

    started = time.perf_counter()
    home = settings.home()
    for part in ("warehouse.duckdb", "warehouse.duckdb.wal", "published.duckdb", "inbox", "archive",
                 "reports", "published", "dagster"):
        target = home / part
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    inbox = settings.inbox_path()
    manifest: DemoManifest = generate_demo_feeds(inbox, DEMO_FIRST, DEMO_LAST, seed=seed,
                                                 faults=[f for f in faults.split(",") if f])
    stated = {f.path: dt.date.fromisoformat(f.submitted_on) for f in manifest.files}
    con = landing.connect()
    try:
        files = landing.scan_inbox(inbox)
        results = [landing.land_file(con, p, f, submitted_on=stated.get(p.relative_to(inbox).as_posix()))
                   for p, f in track(files, description="落地 / landing demo feeds", console=console)]
    finally:
        con.close()
    _print_landing(results, only_problems=True)
    periods = month_range(DEMO_FIRST, DEMO_LAST)
    outcomes = _build_and_publish(periods)
    with console.status("报告 / reports…"):
        paths = _write_demo_reports(periods)
    _print_summary(periods, outcomes)
    console.print(f"\n数仓 warehouse: {settings.warehouse_path()}\n分析副本 analyst copy: {settings.published_copy_path()}")
    console.print(f"质量报告 quality reports: {settings.reports_path() / 'quality' / 'quality_index.html'}")
    for p in paths:
        console.print(f"报告 report: {p}")
    console.print(f"用时 elapsed: {time.perf_counter() - started:.0f} s")


def _write_demo_reports(periods: list[str]) -> list[Path]:
    """The latest published month's brief and the last published quarter's bulletin."""
    from publish import publication
    from publish.labels import is_quarter_end

    con = landing.connect()
    try:
        published = [p for p in periods if publication.latest_published_version(con, p) is not None]
    finally:
        con.close()
    wanted = published[-1:] + [p for p in published if is_quarter_end(p)][-1:]
    paths: list[Path] = []
    for period in dict.fromkeys(wanted):
        paths += _report_paths(_execute("report_job", period, period))
    return list(dict.fromkeys(paths))


def _print_summary(periods: list[str], outcomes: dict[str, str]) -> None:
    from orchestration import status as status_queries

    con = landing.connect()
    try:
        rows = status_queries.period_summary(con, periods)
    finally:
        con.close()
    table = Table(title="各期结果 / per period")
    for col in ("期间", "绿", "黄", "红", "—", "质量关 gate", "版本 version", "质量报告 quality report"):
        table.add_column(col)
    for r in rows:
        gate_label = {"published": "[green]通过[/green]", "blocked": "[red]未通过[/red]"}.get(
            outcomes.get(r["period"], ""), "—")
        if r["gate_result"] == "overridden":
            gate_label = "[yellow]签字放行[/yellow]"
        table.add_row(r["period"], str(r["green"]), str(r["yellow"]), str(r["red"]), str(r["none"]), gate_label,
                      f"v{r['version']}" if r["version"] else "—", r["quality_report"] or "—")
    console.print(table)


@app.command()
def run(
    period: PeriodOpt = None,
    first: Annotated[str | None, typer.Option("--from")] = None,
    last: Annotated[str | None, typer.Option("--to")] = None,
) -> None:
    """落地、构建、审核并发布通过质量关的各期 / land, build, check and publish each period whose gate passes."""
    periods = _periods(period, first, last)
    outcomes = _build_and_publish(periods)
    published = [p for p, outcome in outcomes.items() if outcome == "published"]
    paths: list[Path] = []
    if published:
        with console.status("报告 / reports…"):
            paths = _report_paths(_execute("report_job", published[0], published[-1]))
    _print_summary(periods, outcomes)
    for path in paths:
        console.print(f"报告 report: {path}")
    if any(v == "blocked" for v in outcomes.values()):
        console.print("[yellow]部分期间未通过质量关：见质量报告 / some periods are blocked: see the quality report[/yellow]")


@app.command()
def status(
    period: PeriodOpt = None,
    first: Annotated[str | None, typer.Option("--from")] = None,
    last: Annotated[str | None, typer.Option("--to")] = None,
) -> None:
    """各期状态：报表接收/迟报/退回、审核、发布 / per period: feeds, checks, publication."""
    from orchestration import status as status_queries

    asked = _periods(period, first, last) if (period or (first and last)) else None
    _ensure_completeness_model()
    con = landing.connect()
    try:
        periods = asked if asked is not None else status_queries.known_periods(con)
        rows = status_queries.status_rows(con, periods)
    finally:
        con.close()
    as_of = next((r["as_of"] for r in rows if r["as_of"]), None)
    table = Table(title="平台状态 / status" + (f"（报送情况按 {as_of} 判断 / files judged at {as_of}）" if as_of else ""))
    for col in ("期间", "已收 received", "迟报 late", "缺报 missing", "退回 rejected", "错误 errors",
                "警告 warnings", "发布 published"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["period"], str(r["received"]), _flag(r["late"], "yellow"), _flag(r["missing"], "red"),
                      _flag(r["rejected"], "red"), _flag(r["errors"], "red"), _flag(r["warnings"], "yellow"),
                      r["published"] or "—")
    console.print(table)
    # Which departments: the same rows as the quality report's 报送完整性 section.
    for r in rows:
        if r["late_departments"]:
            console.print(f"{r['period']} 迟报 late: [yellow]{'、'.join(r['late_departments'])}[/yellow]")
        if r["missing_departments"]:
            console.print(f"{r['period']} 缺报 missing: [red]{'、'.join(r['missing_departments'])}[/red]")


def _ensure_completeness_model() -> None:
    """Status reads the completeness model (dbt). A warehouse that has only been landed into has
    none yet: build it (with the seeds and views it reads) once; afterwards, being a view, it
    shows every file as soon as it is landed."""
    from expectations.completeness import completeness_built

    con = landing.connect()
    try:
        if completeness_built(con):
            return
    finally:
        con.close()
    from orchestration.dbt import run_dbt_process

    with console.status("构建报送情况 / building the completeness model (dbt)…"):
        process = run_dbt_process(settings.warehouse_url(), "build", "--quiet", "--select", "+fct_feed_completeness",
                                  "--resource-type", "seed", "--resource-type", "model",
                                  work=settings.dbt_path() / "status")
    if process.returncode != 0:
        console.print(f"[red]构建报送情况失败 / building the completeness model failed[/red]\n{process.stdout[-2000:]}")
        raise typer.Exit(1)


def _flag(n: int, colour: str) -> str:
    return f"[{colour}]{n}[/{colour}]" if n else "0"


@app.command()
def signoff(
    period: Annotated[str, typer.Option("--period", help="YYYY-MM")],
    by: Annotated[str, typer.Option("--by", help="签字人 / statistician's name")],
    reason: Annotated[str, typer.Option("--reason", help="理由 / reason")],
    override: Annotated[list[str] | None, typer.Option("--override", help="放行的检查 / check id to override")] = None,
) -> None:
    """统计人员签字（可放行阻断检查）/ record a statistician's review, optionally overriding checks."""
    from expectations import gate

    period = _check_period(period)
    con = landing.connect()
    try:
        gate.record_signoff(con, period, by, reason, list(override or []))
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        con.close()
    console.print(f"已记录签字 / sign-off recorded for {period} by {by}")
    if override:
        console.print("重新发布 / publishing with the override…")
        outcome = _execute("publish_job", period, period)
        console.print("已发布 published" if outcome.success else "[red]仍未通过 still blocked[/red]")


@app.command()
def quality(period: Annotated[str, typer.Option("--period", help="YYYY-MM")]) -> None:
    """写出质量报告 / write the quality report of a period and print its path."""
    from expectations import quality_report, runner

    period = _check_period(period)
    con = landing.connect()
    try:
        runner.run_checks(con, [period])
        path = quality_report.write_quality_report(con, period, settings.reports_path() / "quality")
        quality_report.write_quality_index(con, settings.reports_path() / "quality")
    finally:
        con.close()
    console.print(str(path))


@app.command()
def report(
    period: Annotated[str, typer.Option("--period", help="YYYY-MM")],
    quarterly: Annotated[bool, typer.Option("--quarterly", help="季度通报 / the quarterly bulletin")] = False,
) -> None:
    """月度专报（或季度通报）/ write the monthly brief (or quarterly bulletin) of a published period."""
    from publish import reports

    period = _check_period(period)
    con = landing.connect()
    try:
        paths = reports.write_reports(con, period, settings.reports_path(), quarterly=quarterly)
    except (reports.ReportRefused, reports.MissingProgram) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        con.close()
    for p in paths:
        console.print(str(p))


@app.command()
def export(
    period: Annotated[str, typer.Option("--period", help="YYYY-MM")],
    table: Annotated[str, typer.Option("--table", help="indicators|projects|tasks|scorecard|supervision|industry")],
    out: Annotated[Path | None, typer.Option(help="输出文件 / output .xlsx")] = None,
) -> None:
    """导出 Excel 表 / export a published table to Excel for departments."""
    from publish import excel, reports

    period = _check_period(period)
    out = out or settings.reports_path() / "exports" / f"{table}_{period}.xlsx"
    con = landing.connect()
    try:
        path = excel.export_table(con, period, table, out)
    except (reports.ReportRefused, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        con.close()
    console.print(str(path))


@app.command()
def rebuild(
    period: Annotated[str, typer.Option("--period", help="YYYY-MM")],
    version: Annotated[int, typer.Option("--version", help="发布版本 / published version")],
) -> None:
    """从归档重建已发布版本并比对 / rebuild a published version from the archive and compare."""
    from orchestration.rebuild import rebuild_version

    period = _check_period(period)
    target = settings.home() / "rebuild" / f"{period}_v{version}"
    if target.exists():
        shutil.rmtree(target)
    con = landing.connect()
    try:
        with console.status("从归档重建 / rebuilding from the archive (dbt)…"):
            result = rebuild_version(con, period, version, target)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        con.close()
    if result.identical:
        console.print(f"[green]一致 identical[/green]: {result.compared_rows} rows of {period} v{version} "
                      f"rebuilt in {result.rebuilt_warehouse}")
    else:
        console.print(f"[red]不一致 differs[/red]: {result.differing_marts}")
        raise typer.Exit(1)


db_app = typer.Typer(help="数仓数据库 / the warehouse database: schemas, roles and grants", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("init")
def db_init() -> None:
    """初始化数仓：模式、角色与授权（可重复运行）/ create the schemas, roles and grants (idempotent).

    On PostgreSQL it needs a login that owns the database and may create roles; DuckDB has no
    roles, so only the schemas and tables are made."""
    from expectations.store import ensure_quality_schema
    from ingest import database

    con = connect_warehouse()
    try:
        if con.engine == "postgres":
            database.init_database(con)
            database.take_owner_role(con)
        landing.ensure_raw_schema(con)
        ensure_quality_schema(con)
        database.grant_table_privileges(con)
    except database.DatabaseNotReady as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from None
    finally:
        con.close()
    if con.engine == "postgres":
        from orchestration import instance

        instance.write_instance_config()
        console.print(f"已初始化 initialised: schemas {', '.join(database.SCHEMAS)}; roles "
                      f"{', '.join(database.ROLES)}", markup=False, highlight=False)
        console.print(f"授权分析人员 / give a person read access to published figures: "
                      f"GRANT {database.ANALYST} TO <login>;  statisticians: GRANT {database.STATISTICIAN} TO <login>;",
                      markup=False, highlight=False)
    else:
        console.print(f"已初始化 initialised: {settings.warehouse_path()} (DuckDB: no roles)", markup=False,
                      highlight=False)


if __name__ == "__main__":
    app()
