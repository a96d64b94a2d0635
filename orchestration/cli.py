"""`svcmon`: the command line of the platform. Commands call into ingest/, expectations/,
publish/ and the Dagster jobs; they hold no business rules of their own."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table
from rich.text import Text

from ingest import landing, settings
from ingest.periods import PeriodError, validate_period
from ingest.registry import month_range
from orchestration.runs import execute_range

app = typer.Typer(help="鹿城区服务业“十百千”监测数据平台 / Lucheng services-sector monitoring warehouse",
                  no_args_is_help=True, add_completion=False)
console = Console()

DEMO_FIRST, DEMO_LAST = "2023-01", "2024-12"
PeriodOpt = Annotated[str | None, typer.Option("--period", help="YYYY-MM")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="判断报送情况的日期（默认今天）/ the day completeness is judged at, YYYY-MM-DD (default today)")]
# A run whose files keep changing under it (a land between build and publication) is built again at
# most this many times before the period is reported as not published.
MAX_REBUILDS = 2


def _check_period(value: str) -> str:
    """The period, or exit 2 with the validator's one-line bilingual message."""
    try:
        return validate_period(value)
    except PeriodError as exc:
        console.print(str(exc), style="red", soft_wrap=True, markup=False, highlight=False)
        raise typer.Exit(2) from None


def _as_of(value: str | None) -> dt.date:
    """The run's as-of date (`--as-of`, default today), or exit 2 with one line."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        console.print(f"日期应为 YYYY-MM-DD / --as-of must be YYYY-MM-DD, got {value!r}", style="red",
                      soft_wrap=True, markup=False, highlight=False)
        raise typer.Exit(2) from None


def _periods(period: str | None, first: str | None, last: str | None) -> list[str]:
    if period:
        return [_check_period(period)]
    if first and last:
        return month_range(_check_period(first), _check_period(last))
    raise typer.BadParameter("请给出 --period 或 --from/--to / give --period or --from and --to")


def dagster_instance():
    from dagster import DagsterInstance

    if not os.environ.get("DAGSTER_HOME"):
        dagster_home = settings.home() / "dagster"
        dagster_home.mkdir(parents=True, exist_ok=True)
        config = dagster_home / "dagster.yaml"
        if not config.exists():  # the machines are offline: no telemetry
            config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
        os.environ["DAGSTER_HOME"] = str(dagster_home)
    return DagsterInstance.get()


def _execute(job_name: str, first: str, last: str, as_of: dt.date | None = None):
    from orchestration.dbt import AS_OF_TAG

    tags = {AS_OF_TAG: as_of.isoformat()} if as_of else None
    return execute_range(job_name, first, last, instance=dagster_instance(), tags=tags)


def _touched_periods(periods: list[str]) -> list[str]:
    """The periods asked for, and every period a file not yet checked touches (its own, those that read
    it, the next one its checks compare with): a revised May re-checks and republishes June too."""
    from expectations import read_set

    con = landing.connect()
    try:
        touched = read_set.periods_touched(con, read_set.unchecked_files(con))
    finally:
        con.close()
    extra = sorted(set(touched) - set(periods))
    if extra:
        console.print(f"新文件还涉及 / new files also touch: {', '.join(extra)}")
    return sorted(set(periods) | set(touched))


def _is_current(period: str) -> bool:
    from expectations import read_set

    con = landing.connect()
    try:
        return read_set.is_current(con, period)
    finally:
        con.close()


def _build(first: str, last: str, as_of: dt.date) -> None:
    with console.status(f"构建数仓 / building the warehouse for {first}..{last} (dbt)…"):
        build = _execute("build_job", first, last, as_of)
    if not build.success:
        console.print("[red]构建失败 / build failed; see the Dagster run logs[/red]")
        raise typer.Exit(1)


def _publish(period: str, as_of: dt.date) -> bool:
    """Check and publish one period; when files landed after its build, build it again first."""
    for _attempt in range(MAX_REBUILDS + 1):
        if _execute("publish_job", period, period).success:
            return True
        if _is_current(period):
            return False  # the gate blocked it
        console.print(f"{period}: 构建后有新文件落地，重新构建 / files landed after the build: building again")
        _build(period, period, as_of)
    return False


def _build_and_publish(periods: list[str], as_of: dt.date) -> dict[str, str]:
    """Build once for the whole range, then check and publish each period on its own, so one
    blocked month never holds back another. Returns period -> outcome."""
    _build(periods[0], periods[-1], as_of)
    outcomes = {}
    for period in track(periods, description="质量审核与发布 / checks and publication", console=console):
        outcomes[period] = "published" if _publish(period, as_of) else "blocked"
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


# Characters that would move the cursor, clear the screen or reorder text on the operator's
# terminal: shown escaped (`\x1b`), never sent.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def plain(value: object, style: str = "") -> Text:
    """User text (file names, cells, reasons) as it is: no Rich markup, control characters escaped."""
    return Text(_CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(value)), style=style)


_LANDING_LABELS = {"accepted": ("接收 accepted", "green"), "rejected": ("退回 rejected", "red"),
                   "duplicate": ("重复 duplicate", "dim"), "deferred": ("待下次 deferred", "yellow")}


def _print_landing(results: list[landing.LandingResult], *, only_problems: bool = False,
                   ignored: list[landing.IgnoredFile] | None = None) -> None:
    """Every file judged, the warnings stored with the accepted ones and what the inbox holds that
    is not a submission; user text printed as data (no markup, control characters escaped)."""
    table = Table(title="落地结果 / landing")
    for col in ("文件 file", "报表 feed", "状态 status", "期间 period", "行数 rows", "原因 reason"):
        table.add_column(col, overflow="fold")
    for r in results:
        if only_problems and r.status not in ("rejected", "deferred"):
            continue
        label, style = _LANDING_LABELS[r.status]
        table.add_row(plain(r.file_name), plain(r.feed_id or "—"), Text(label, style=style), r.period or "—",
                      str(r.rows), plain(r.reason or ""))
    console.print(table)
    warned = [(r, w) for r in results if r.status == "accepted" for w in r.warnings]
    if warned:
        warnings = Table(title="文件警告（已随文件保存）/ file warnings (stored with the file)")
        for col in ("文件 file", "行 row", "列 column", "说明 cause"):
            warnings.add_column(col, overflow="fold")
        for r, w in warned:
            warnings.add_row(plain(r.file_name), str(getattr(w, "row", None) or "—"),
                             plain(getattr(w, "column", None) or "—"), plain(w))
        console.print(warnings)
    ignored = ignored if ignored is not None else getattr(results, "ignored", [])
    if ignored:
        skipped = Table(title="已忽略（不是报送文件）/ ignored (not submissions)")
        for col in ("文件 file", "原因 reason"):
            skipped.add_column(col, overflow="fold")
        for item in ignored:
            skipped.add_row(plain(item.file_name), plain(item.reason))
        console.print(skipped)
    counts = {s: sum(r.status == s for r in results) for s in _LANDING_LABELS}
    console.print(f"接收 accepted {counts['accepted']} · 退回 rejected {counts['rejected']} · "
                  f"重复 duplicate {counts['duplicate']} · 待下次 deferred {counts['deferred']} · "
                  f"忽略 ignored {len(ignored)} · 警告 warnings {len(warned)}", markup=False, highlight=False)


def _stated_date(submitted_on: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(submitted_on) if submitted_on else None
    except ValueError:
        raise typer.BadParameter(f"日期应为 YYYY-MM-DD / date must be YYYY-MM-DD, got {submitted_on!r}") from None


HistoryOpt = Annotated[bool, typer.Option(
    "--history", help="载入历史数据：以各文件的填报日期为报送日期 / loading history: each file's 填报日期 is its "
                      "submission date (otherwise a file is received when it is landed)")]


def _land_inbox(stated: dt.date | Mapping[str, dt.date] | None = None, history: bool = False
                ) -> landing.LandingResults:
    """Land every file of the inbox (before a build, so the run knows which periods they touch).
    `stated` is one submission date for every file, or one per path relative to the inbox (the
    demo's); `history` takes each file's 填报日期. The records beside the archive follow."""
    from ingest import recovery

    con = landing.connect()
    try:
        inbox = settings.inbox_path()
        survey = landing.survey_inbox(inbox)
        landing.clean_temporary_copies(settings.archive_path())

        def submitted(path: Path) -> dt.date | None:
            if isinstance(stated, Mapping):
                return stated.get(path.relative_to(inbox).as_posix())
            return stated

        results = landing.LandingResults(
            (landing.land_file(con, p, f, submitted_on=submitted(p), history=history, inbox=inbox)
             for p, f in track(survey.candidates, description="落地 / landing", console=console)),
            ignored=survey.ignored)
        recovery.sync_all(con)
        return results
    finally:
        con.close()


@app.command()
def land(
    submitted_on: Annotated[str | None, typer.Option(help="所有文件的报送日期 / stated submission date (YYYY-MM-DD)")] = None,
    history: HistoryOpt = False,
) -> None:
    """落地收件箱中的所有文件 / land every file present in the inbox."""
    _print_landing(_land_inbox(_stated_date(submitted_on), history))


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
    as_of: AsOfOpt = None,
) -> None:
    """一键演示：全新 $SVCMON_HOME，演示报表 2023-01..2024-12 → 数仓 → 质量关 → 发布 → 报告。"""
    from demo import DemoManifest, generate_demo_feeds

    as_of_date = _as_of(as_of)
    started = time.perf_counter()
    home = settings.home()
    for part in ("warehouse.duckdb", "warehouse.duckdb.wal", "published.duckdb", "inbox", "archive",
                 "reports", "published", "published_versions", "dagster"):
        target = home / part
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
    inbox = settings.inbox_path()
    manifest: DemoManifest = generate_demo_feeds(inbox, DEMO_FIRST, DEMO_LAST, seed=seed,
                                                 faults=[f for f in faults.split(",") if f])
    stated = {f.path: dt.date.fromisoformat(f.submitted_on) for f in manifest.files}
    results = _land_inbox(stated)
    _print_landing(results, only_problems=True)
    periods = month_range(DEMO_FIRST, DEMO_LAST)
    outcomes = _build_and_publish(periods, as_of_date)
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
    history: HistoryOpt = False,
    as_of: AsOfOpt = None,
) -> None:
    """落地、构建、审核并发布通过质量关的各期 / land, build, check and publish each period whose gate passes."""
    asked = _periods(period, first, last)
    as_of_date = _as_of(as_of)
    _print_landing(_land_inbox(None, history=history), only_problems=True)
    periods = _touched_periods(asked)
    outcomes = _build_and_publish(periods, as_of_date)
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
            console.print(Text(f"{r['period']} 迟报 late: ").append(plain("、".join(r["late_departments"]), "yellow")))
            for arrival in r.get("late_arrivals", []):
                console.print(plain(f"  {arrival}"))
        if r["missing_departments"]:
            console.print(Text(f"{r['period']} 缺报 missing: ").append(plain("、".join(r["missing_departments"]), "red")))


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
        process = run_dbt_process(settings.warehouse_path(), "build", "--quiet", "--select", "+fct_feed_completeness",
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
        from ingest import recovery

        recovery.sync_all(con)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        con.close()
    console.print(f"已记录签字 / sign-off recorded for {period} by {by}")
    if override:
        from expectations import read_set

        con = landing.connect()
        try:
            as_of = read_set.captured_as_of(con, period) or dt.date.today()
        finally:
            con.close()
        console.print("重新发布 / publishing with the override…")
        # A corrected file landed since the build: the marts are built again before publishing.
        published = _publish(period, as_of)
        console.print("已发布 published" if published else "[red]仍未通过 still blocked[/red]")


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
    period: Annotated[str | None, typer.Option("--period", help="YYYY-MM")] = None,
    version: Annotated[int | None, typer.Option("--version", help="发布版本 / published version")] = None,
    all_versions: Annotated[bool, typer.Option(
        "--all", help="从归档与记录文件重建全部版本（数仓丢失时恢复）/ every version, from the archive and its "
                      "records alone (recovers a lost warehouse)")] = False,
) -> None:
    """从归档重建已发布版本并比对 / rebuild published versions from the archive and compare."""
    from orchestration.rebuild import rebuild_all, rebuild_version

    if all_versions:
        with console.status("从归档重建全部版本 / rebuilding every version from the archive (dbt)…"):
            result = rebuild_all()
        if result.installed:
            from publish import analyst_copy

            con = landing.connect()
            try:
                analyst_copy.write_analyst_copy(con, settings.home())
            finally:
                con.close()
            console.print(f"[green]已恢复 recovered[/green]: {len(result.versions)} versions "
                          f"({result.builds} builds) into {result.warehouse}")
        elif result.identical:
            console.print(f"[green]一致 identical[/green]: {len(result.versions)} versions, "
                          f"{result.compared_rows} rows ({result.builds} builds)")
        else:
            console.print(f"[red]不一致 differs[/red]: {result.differing_tables}")
            raise typer.Exit(1)
        return
    if period is None or version is None:
        raise typer.BadParameter("请给出 --period 与 --version，或 --all / give --period and --version, or --all")
    period = _check_period(period)
    target = settings.home() / "rebuild" / f"{period}_v{version}"
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


if __name__ == "__main__":
    app()
