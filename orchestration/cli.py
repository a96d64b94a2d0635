"""`svcmon`: the command line of the platform. Commands call into ingest/, expectations/,
publish/ and the Dagster jobs; they hold no business rules of their own.

How it talks (`orchestration/terminal.py`): one line per file, a progress bar per stage of long
commands (`--verbose` shows Dagster's and dbt's logs instead), and a failing command ends with one
line on stderr and a non-zero exit: 1 failed, 2 refused (bad input, nothing to do, unsafe),
75 another run kept the home busy past `SVCMON_LOCK_TIMEOUT`. Every command that writes holds the
home's writer lock (`orchestration/locks.py`) while it works.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import shutil
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ingest import clock, landing, settings
from ingest.periods import PeriodError, validate_period
from ingest.registry import month_range
from ingest.warehouse import connect as connect_warehouse
from ingest.warehouse import is_postgres_url
from orchestration.locks import WriterBusy, writer_lock
from orchestration.terminal import Out, Stages, dbt_output_to


def _flags_show_as_flags() -> None:
    """Typer's help shows `--quarterly <bool>`; a flag takes no value, so show none."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    if getattr(shown, "svcmon_flags", False):
        return

    def display_type_rich(self, ctx):
        return None if self.is_flag else shown(self, ctx)

    display_type_rich.svcmon_flags = True
    TyperOption.display_type_rich = display_type_rich


_flags_show_as_flags()
# Dagster's notices about its own beta parameters are for the developers, not the operator.
warnings.filterwarnings("ignore", message=r".*is currently in (beta|preview)")

app = typer.Typer(help="鹿城区服务业“十百千”监测数据平台 / Lucheng services-sector monitoring warehouse",
                  no_args_is_help=True, add_completion=False)

DEMO_FIRST, DEMO_LAST = "2023-01", "2024-12"
DEMO_RECORD = "demo_files.json"  # sha256 of every file `svcmon demo` wrote into the inbox
EXIT_FAILED, EXIT_REFUSED, EXIT_BUSY = 1, 2, 75
PeriodOpt = Annotated[str | None, typer.Option("--period", help="YYYY-MM")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v",
                                          help="显示 Dagster 与 dbt 的日志 / show Dagster's and dbt's logs")]
NO_FEEDS = "未收到任何报表 / no feeds received"
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="判断报送情况的日期（默认今天）/ the day completeness is judged at, YYYY-MM-DD (default today)")]
ScaleOpt = Annotated[int, typer.Option(
    "--scale", min=1, help="规上企业数量倍数（压力测试；125 约为每月 6 万家）/ enterprises per demo enterprise "
                          "(load testing: 125 gives ~60,000 a month)")]
HistoryOpt = Annotated[bool, typer.Option(
    "--history", help="载入历史数据：以各文件的填报日期为报送日期 / loading history: each file's 填报日期 is its "
                      "submission date (otherwise a file is received when it is landed)")]
# A period whose files change under it (a land between build and publication) is built again at
# most this many times before it is reported as not published.
MAX_REBUILDS = 2


class Refused(Exception):
    """A command refuses (exit 2) with this one-line message."""


# --- one line per failure ------------------------------------------------------------------------

def _disk_message(exc: OSError) -> str:
    causes = {errno.ENOSPC: "磁盘已满 / disk full", errno.EROFS: "只读文件系统 / read-only file system",
              errno.EACCES: "没有写权限 / permission denied", errno.EDQUOT: "超出磁盘配额 / disk quota exceeded"}
    cause = causes.get(exc.errno, exc.strerror or type(exc).__name__)
    where = exc.filename2 or exc.filename or settings.home()  # a copy names its target second
    return f"无法写入 / cannot write {where}: {cause}"


def _duckdb_message(exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"数仓无法写入 / the warehouse could not be written ({settings.warehouse_path()}): {first}"


@contextmanager
def _writing(out: Out) -> Iterator[None]:
    """Hold the writer lock for the block; busy homes, full or read-only disks and refusals end
    the command with one line."""
    import duckdb

    try:
        with writer_lock(on_wait=out.line):
            yield
    except WriterBusy as exc:
        out.fail(str(exc))
        raise typer.Exit(EXIT_BUSY) from None
    except Refused as exc:
        out.fail(str(exc))
        raise typer.Exit(EXIT_REFUSED) from None
    except OSError as exc:
        out.fail(_disk_message(exc))
        raise typer.Exit(EXIT_FAILED) from None
    except (duckdb.IOException, duckdb.TransactionException) as exc:  # a full disk at COMMIT: the latter
        out.fail(_duckdb_message(exc))
        raise typer.Exit(EXIT_FAILED) from None


def _check_period(value: str) -> str:
    """The period, or exit 2 with the validator's one-line bilingual message."""
    try:
        return validate_period(value)
    except PeriodError as exc:
        Out().fail(str(exc))
        raise typer.Exit(EXIT_REFUSED) from None


def _date(value: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option, or exit 2 with one line."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        Out().fail(f"日期应为 YYYY-MM-DD / {option} must be YYYY-MM-DD, got {value!r}")
        raise typer.Exit(EXIT_REFUSED) from None


def _as_of(value: str | None) -> dt.date:
    """The run's as-of date (`--as-of`, default today in the deployment's zone): fixed once per run."""
    return _date(value, "--as-of") or clock.today()


def _validated(*periods: str | None) -> None:
    """Refuse a malformed period before anything is opened."""
    for value in periods:
        if value:
            _check_period(value)


def _periods(period: str | None, first: str | None, last: str | None,
             latest: Callable[[], str | None] | None = None) -> list[str]:
    """The periods asked for; `--from` alone runs to `latest()` (the latest period with a file)."""
    _validated(period, first, last)
    if period:
        return [period]
    if first and not last and latest is not None:
        return month_range(first, max(first, latest() or first))
    if first and last:
        return month_range(first, last)
    raise typer.BadParameter("请给出 --period 或 --from [--to] / give --period or --from [and --to]")


def _latest_period() -> str | None:
    from orchestration import status as status_queries

    con = landing.connect()
    try:
        known = status_queries.known_periods(con)
    finally:
        con.close()
    return known[-1] if known else None


def _periods_with_data(periods: list[str]) -> set[str]:
    """The periods with a file of their own (landing's current vintages)."""
    con = landing.connect()
    try:
        if not con.table_exists("raw", "current_vintages"):
            return set()
        having = {p for (p,) in con.execute("SELECT DISTINCT period FROM raw.current_vintages").fetchall()}
    finally:
        con.close()
    return set(periods) & having


def _touched_periods(out: Out, periods: list[str]) -> list[str]:
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
        out.line("新文件还涉及 / new files also touch:", ", ".join(extra))
    return sorted(set(periods) | set(touched))


def _is_current(period: str) -> bool:
    """Whether the period's marts were built from the vintages that are current now."""
    from expectations import read_set

    con = landing.connect()
    try:
        return read_set.is_current(con, period)
    finally:
        con.close()


def _run_tags(as_of: dt.date) -> dict[str, str]:
    from orchestration.dbt import AS_OF_TAG

    return {AS_OF_TAG: as_of.isoformat()}


# --- landing -------------------------------------------------------------------------------------

STATUS_LABELS = {"accepted": ("接收 accepted", "green"), "rejected": ("退回 rejected", "red"),
                 "duplicate": ("重复 duplicate", "dim"), "deferred": ("待下次 deferred", "yellow")}


def _land(out: Out, stages: Stages, *, stated: dt.date | Mapping[str, dt.date] | None = None,
          history: bool = False) -> landing.LandingResults:
    """Land every file of the inbox (`landing.land_inbox`; before a build, so the run knows which
    periods they touch). `stated` is one submission date for every file, or one per path relative
    to the inbox (the demo's); `history` takes each file's 填报日期. The records beside the archive
    follow."""
    from ingest import recovery

    def progress(files: list) -> Iterator:
        stages.start("landing", "落地 / landing files", total=len(files))
        for item in files:
            yield item
            stages.advance("landing")
        stages.finish("landing")

    con = landing.connect()
    try:
        results = landing.land_inbox(con, submitted_on=stated, history=history, progress=progress)
        recovery.sync_all(con)
    finally:
        con.close()
    return results


def _print_landing(out: Out, results: landing.LandingResults, *, only_problems: bool = False) -> None:
    """One line per file (status, period, feed, rows, the file name whole, the reason), one per
    warning stored with an accepted file, one per inbox entry that is no submission; then the counts."""
    for r in results:
        if only_problems and r.status not in ("rejected", "deferred"):
            continue
        label, style = STATUS_LABELS[r.status]
        pieces: list[tuple[object, str | None]] = [
            (label, style), (f"  {r.period or '—'}  {r.feed_id or '—'}  {r.rows} 行  ", None), (r.file_name, "bold")]
        if r.reason:
            pieces.append((f"  {r.reason}", None))
        out.styled(*pieces)
    warned = [(r, w) for r in results if r.status == "accepted" for w in r.warnings]
    for r, w in warned:
        where = "  ".join(str(x) for x in (f"行 row {getattr(w, 'row', None) or '—'}",
                                            f"列 column {getattr(w, 'column', None) or '—'}"))
        out.styled(("警告 warning", "yellow"), ("  ", None), (r.file_name, "bold"), (f"  {where}  ", None), (w, None))
    ignored = getattr(results, "ignored", [])
    for item in ignored:
        out.styled(("忽略 ignored", "dim"), ("  ", None), (item.file_name, "bold"), (f"  {item.reason}", None))
    counts = {s: sum(r.status == s for r in results) for s in STATUS_LABELS}
    out.line(f"接收 accepted {counts['accepted']} · 退回 rejected {counts['rejected']} · "
             f"重复 duplicate {counts['duplicate']} · 待下次 deferred {counts['deferred']} · "
             f"忽略 ignored {len(ignored)} · 警告 warnings {len(warned)}")


@app.command()
def land(
    submitted_on: Annotated[str | None, typer.Option(help="所有文件的报送日期 / stated submission date (YYYY-MM-DD)")] = None,
    history: HistoryOpt = False,
) -> None:
    """落地收件箱中的所有文件 / land every file present in the inbox."""
    out = Out()
    stated = _date(submitted_on, "--submitted-on")
    with _writing(out), Stages(out) as stages:
        results = _land(out, stages, stated=stated, history=history)
    _print_landing(out, results)


# --- build, check, publish -------------------------------------------------------------------------

def _dbt_node_count() -> int | None:
    """Nodes a full `dbt build` runs (models, seeds, snapshots, tests, unit tests): the dbt bar's total."""
    from orchestration.dbt import dbt_project

    try:
        manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    kinds = {"model", "seed", "snapshot", "test"}
    return sum(n.get("resource_type") in kinds for n in manifest.get("nodes", {}).values()) + len(
        manifest.get("unit_tests", {}))


def _blocked_line(period: str) -> str:
    from expectations import gate, quality_report

    con = landing.connect()
    try:
        verdict = gate.evaluate_gate(con, period)
    finally:
        con.close()
    # Every blocking check, findings in the data before files missing or late.
    checks = sorted(verdict.open_check_ids, key=lambda c: (".completeness." in c, c))
    shown = "、".join(checks)
    path = settings.reports_path() / "quality" / quality_report.report_file_name(period)
    return f"{period} 未通过质量关 / blocked by {shown or '—'}; 质量报告 / quality report: {path}"


def _gate_passes(period: str) -> bool:
    from expectations import gate

    con = landing.connect()
    try:
        return gate.evaluate_gate(con, period).passed
    finally:
        con.close()


def _build_and_publish(out: Out, stages: Stages, periods: list[str], *, as_of: dt.date,
                       verbose: bool) -> dict[str, str]:
    """Build once for the whole range, then check and publish it in one run (`_check_and_publish`),
    each period's gate its own, so one blocked month never holds back another. Returns period -> published | blocked | empty | failed;
    prints one line for each period that did not publish."""
    from orchestration import runs

    outcomes = {p: "empty" for p in sorted(set(periods) - _periods_with_data(periods))}
    for period in outcomes:
        out.line(f"{period} {NO_FEEDS}", style="yellow")
    todo = [p for p in periods if p not in outcomes]
    if not todo:
        return outcomes
    from orchestration.dbt_launcher import start_warm_dbt

    start_warm_dbt()  # dbt imports itself on the other core while this process opens the run
    with runs.instance() as instance:  # disposed when done: SQLite folds its write-ahead log back in
        stages.start("dbt", "dbt 模型 / dbt models", total=_dbt_node_count())
        # The checks after the build need Great Expectations; importing it once dbt runs in its own
        # process overlaps the two, where an import beside the run's start slows that start down.
        with dbt_output_to(stages, "dbt", verbose=verbose, estimated_total=_dbt_node_count(),
                           on_start=lambda: _import_meanwhile("great_expectations")) as dbt_lines:
            build = runs.execute_range("build_job", todo[0], todo[-1], instance=instance, verbose=verbose,
                                       tags=_run_tags(as_of))
        if not build.success:
            stages.finish("dbt", note=" 失败 / failed")
            details = "; ".join(dbt_lines.error_lines()) if dbt_lines else ""
            raise _Failed(f"构建失败 / build failed: {runs.failure_message(build) or '—'}"
                          + (f" ({details})" if details else "")
                          + f"; dbt 日志 / dbt log: {settings.dbt_path() / 'logs' / 'dbt.log'}")
        stages.finish("dbt")

    stages.start("checks", "审核 / checks", total=len(todo))
    stages.start("publication", "发布 / publication", total=len(todo))
    for segment in _contiguous(todo):
        outcomes.update(_check_and_publish(stages, segment, as_of=as_of, verbose=verbose))
        done = sum(p in outcomes for p in todo)
        stages.update("checks", done)
        stages.update("publication", done)
    stages.finish("checks")
    stages.finish("publication")
    return outcomes


def _import_meanwhile(module: str) -> None:
    """Import `module` in a thread of its own: while dbt builds in its own process this one mostly
    waits, and some imports (Great Expectations: ~2.5 s of a core here) are worth starting early. The
    thread holds the interpreter's lock while it imports: started while this process still works
    (opening the run, before dbt starts), it slows that work down by as much (one month run: 2–4 s
    more wall time). A failure is left to the import that needs the module."""
    import importlib
    import threading

    def load() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module(module)

    threading.Thread(target=load, name=f"import {module}", daemon=True).start()


def _contiguous(periods: list[str]) -> list[list[str]]:
    """Sorted periods cut into runs of consecutive months (a Dagster run covers a range)."""
    segments: list[list[str]] = []
    for period in sorted(periods):
        if segments and month_range(segments[-1][-1], period)[1:] == [period]:
            segments[-1].append(period)
        else:
            segments.append([period])
    return segments


def _check_and_publish(stages: Stages, periods: list[str], *, as_of: dt.date, verbose: bool) -> dict[str, str]:
    """Check and publish consecutive periods in one run (one start-up, one GX context, one analysts'
    copy), each month's gate still its own: when a gate blocks, Dagster's blocking check skips the
    publication of the whole range, so a publication-only run then publishes every period whose own
    gate passes (the publication asset evaluates each period's gate). Anything else (a step that
    failed, files that landed after the build) falls back to one period at a time (`_publish`)."""
    from orchestration import runs
    from orchestration.assets.quality import QUALITY_KEY

    with runs.instance() as instance:  # disposed when done: SQLite folds its write-ahead log back in
        first, last = periods[0], periods[-1]
        run = runs.execute_range("publish_job", first, last, instance=instance, verbose=verbose)
        if run.success:
            return dict.fromkeys(periods, "published")
        checked = any(e.asset_key == QUALITY_KEY for e in run.get_asset_materialization_events())
        outcomes = {p: "blocked" for p in periods if checked and not _gate_passes(p)}
        for period in outcomes:
            stages.note(_blocked_line(period))
        passing = [p for p in periods if p not in outcomes]
        if checked and passing and runs.execute_range("publication_job", first, last, instance=instance,
                                                      verbose=verbose).success:
            return {**outcomes, **dict.fromkeys(passing, "published")}
        for period in passing:
            run = _publish(stages.note, period, as_of=as_of, verbose=verbose)
            if run.success:
                outcomes[period] = "published"
            elif not _gate_passes(period):
                outcomes[period] = "blocked"
                stages.note(_blocked_line(period))
            else:
                outcomes[period] = "failed"
                stages.note(f"{period} 审核或发布失败 / checks or publication failed: {runs.failure_message(run) or '—'}")
        return outcomes


def _publish(say: Callable[[str], None], period: str, *, as_of: dt.date, verbose: bool = False):
    """Check and publish one period (the publish job's run); when files landed after its build, build
    the period again first (at most MAX_REBUILDS times)."""
    from orchestration import runs

    with runs.instance() as instance:  # disposed when done: SQLite folds its write-ahead log back in
        for _attempt in range(MAX_REBUILDS):
            run = runs.execute_range("publish_job", period, period, instance=instance, verbose=verbose)
            if run.success or _is_current(period):
                return run  # published, or the gate blocked it / it failed on the current files
            say(f"{period}: 构建后有新文件落地，重新构建 / files landed after the build: building again")
            build = runs.execute_range("build_job", period, period, instance=instance, verbose=verbose,
                                       tags=_run_tags(as_of))
            if not build.success:
                raise _Failed(f"构建失败 / build failed: {runs.failure_message(build) or '—'}")
        return runs.execute_range("publish_job", period, period, instance=instance, verbose=verbose)


class _Failed(Exception):
    """A stage failed: the command ends with this one line and exit 1."""


def _report_paths(run) -> list[Path]:
    """The files a report run wrote, from its materialization metadata."""
    paths: list[Path] = []
    for event in run.get_asset_materialization_events():
        text = event.materialization.metadata.get("files")
        for line in (text.value if text else "").splitlines():
            if line.startswith("- "):
                paths.append(Path(line[2:]))
    return list(dict.fromkeys(paths))


def _write_reports(stages: Stages, ranges: list[tuple[str, str]], *, verbose: bool) -> list[Path]:
    from orchestration import runs

    if not ranges:
        return []
    with runs.instance() as instance:  # disposed when done: SQLite folds its write-ahead log back in
        stages.start("reports", "报告 / reports", total=len(ranges))
        paths: list[Path] = []
        for first, last in ranges:
            run = runs.execute_range("report_job", first, last, instance=instance, verbose=verbose)
            if not run.success:
                stages.finish("reports", note=" 失败 / failed")
                raise _Failed(f"报告失败 / writing the reports failed: {runs.failure_message(run) or '—'}")
            paths += _report_paths(run)
            stages.advance("reports")
        stages.finish("reports")
        return list(dict.fromkeys(paths))


def _print_summary(out: Out, periods: list[str], outcomes: dict[str, str]) -> None:
    from rich.table import Table

    from orchestration import status as status_queries

    con = landing.connect()
    try:
        rows = status_queries.period_summary(con, periods)
    finally:
        con.close()
    table = Table(title="各期结果 / per period")
    table.add_column("期间", no_wrap=True, min_width=7)
    for col in ("绿", "黄", "红", "—", "质量关 gate", "版本 version"):
        table.add_column(col)
    labels = {"published": "[green]通过[/green]", "blocked": "[red]未通过[/red]", "empty": "[yellow]无报表[/yellow]",
              "failed": "[red]失败[/red]"}
    for r in rows:
        gate_label = labels.get(outcomes.get(r["period"], ""), "—")
        if r["gate_result"] == "overridden":
            gate_label = "[yellow]签字放行[/yellow]"
        table.add_row(r["period"], str(r["green"]), str(r["yellow"]), str(r["red"]), str(r["none"]), gate_label,
                      f"v{r['version']}" if r["version"] else "—")
    out.console.print(table)


def _end(out: Out, outcomes: dict[str, str], paths: list[Path]) -> None:
    for path in paths:
        out.line("报告 report:", path)
    if any(v == "failed" for v in outcomes.values()):
        out.fail("部分期间审核或发布失败，见上 / checks or publication failed for some periods, see above")
        raise typer.Exit(EXIT_FAILED)
    if any(v == "blocked" for v in outcomes.values()):
        out.line("部分期间未通过质量关：见质量报告 / some periods are blocked: see the quality reports", style="yellow")


@app.command()
def run(
    period: PeriodOpt = None,
    first: Annotated[str | None, typer.Option("--from", help="YYYY-MM")] = None,
    last: Annotated[str | None, typer.Option("--to", help="YYYY-MM（默认最新一期 / default the latest period）")] = None,
    history: HistoryOpt = False,
    as_of: AsOfOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """落地、构建、审核并发布通过质量关的各期 / land, build, check and publish each period whose gate passes."""
    out = Out(verbose=verbose)
    if not (period or first):
        raise typer.BadParameter("请给出 --period 或 --from [--to] / give --period or --from [and --to]")
    _validated(period, first, last)
    as_of_date = _as_of(as_of)
    with _writing(out):
        try:
            with Stages(out) as stages:
                results = _land(out, stages, history=history)
                _print_landing(out, results, only_problems=True)
                periods = _touched_periods(out, _periods(period, first, last, latest=_latest_period))
                outcomes = _build_and_publish(out, stages, periods, as_of=as_of_date, verbose=verbose)
                published = [p for p, outcome in outcomes.items() if outcome == "published"]
                paths = _write_reports(stages, [(min(published), max(published))] if published else [],
                                       verbose=verbose)
        except _Failed as exc:
            out.fail(str(exc))
            raise typer.Exit(EXIT_FAILED) from None
    _print_summary(out, periods, outcomes)
    _end(out, outcomes, paths)


# --- the demo --------------------------------------------------------------------------------------

def _demo_refusal(home: Path) -> str | None:
    """Why `svcmon demo` must not clear this home: files in its register, inbox or archive it did
    not write itself. None when the home holds only what a demo wrote (or nothing)."""
    record = home / DEMO_RECORD
    try:
        ours = set(json.loads(record.read_text(encoding="utf-8"))["files"]) if record.exists() else set()
    except (OSError, ValueError, KeyError):
        ours = set()
    found: dict[str, int] = {}
    if settings.warehouse_path().exists():
        from ingest.warehouse import connect as connect_warehouse

        try:
            con = connect_warehouse(settings.warehouse_path(), read_only=True)
        except Exception as exc:  # an unreadable warehouse may hold anything
            return f"{settings.warehouse_path()} 无法读取，演示不会清空它 / cannot be read ({exc}), the demo will not clear it"
        try:
            registered = ([sha for (sha,) in con.execute("SELECT file_sha256 FROM raw.file_register").fetchall()]
                          if con.table_exists("raw", "file_register") else [])
        finally:
            con.close()
        found["登记簿 register"] = sum(sha not in ours for sha in registered)
    inbox = settings.inbox_path()
    found["收件箱 inbox"] = sum(landing.sha256_of(p) not in ours for p, _feed in landing.scan_inbox(inbox))
    archive = settings.archive_path()
    from ingest import recovery

    # The records beside the archive mirror the register (counted above); temporary copies are not files.
    archived = [p for p in archive.rglob("*") if p.is_file() and recovery.RECORDS_DIR not in p.relative_to(archive).parts
                and not p.name.startswith(landing.TEMP_PREFIX)] if archive.exists() else []
    found["归档 archive"] = sum(p.name.split(".")[0] not in ours and landing.sha256_of(p) not in ours for p in archived)
    foreign = {k: n for k, n in found.items() if n}
    if not foreign:
        return None
    listed = ", ".join(f"{k} {n}" for k, n in foreign.items())
    return (f"{home} 中有不是演示写入的数据（{listed} 个文件），演示会清空它们；请换一个 SVCMON_HOME 或加 --force / "
            f"{home} holds data the demo did not write ({listed} files) and the demo would delete it: "
            "use another SVCMON_HOME, or --force")


def _warehouse_label() -> str:
    """Where the warehouse is, for people: the DuckDB file, or the server's URL without its password."""
    url = settings.warehouse_url()
    if not is_postgres_url(url):
        return str(settings.warehouse_path())
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    return parts._replace(netloc=f"{user}@{netloc[2]}" if netloc[1] else netloc[2]).geturl()


def _clear_server_for_demo(*, force: bool) -> None:
    """On PostgreSQL the warehouse outlives the home: a database holding landed files or published
    versions is refused (a second demo would add to them), unless `force`, which empties the
    pipeline's schemas (the roles, schemas and grants stay)."""
    if not is_postgres_url(settings.warehouse_url()):
        return
    from ingest import database

    con = connect_warehouse()
    try:
        held = database.held_data(con)
        if held and not force:
            listed = ", ".join(f"{n} {label}" for label, n in held.items())
            raise Refused(f"数据库中已有数据（{listed}），演示不会叠加写入；请换一个数据库或加 --force 清空 / "
                          f"the database already holds data ({listed}); the demo will not add to it: "
                          "use another database, or --force to empty the pipeline's schemas")
        database.empty_pipeline_schemas(con)
    finally:
        con.close()


@app.command("demo-feeds")
def demo_feeds(
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录（不能省略，不写入收件箱）/ output folder (required)")],
    first: Annotated[str, typer.Option("--from")] = DEMO_FIRST,
    last: Annotated[str, typer.Option("--to")] = DEMO_LAST,
    seed: int = 7,
    faults: Annotated[str, typer.Option(help="注入的错误 / faults, e.g. unit_slip,ytd_drop@2024-06")] = "",
    scale: ScaleOpt = 1,
) -> None:
    """生成演示报表到指定目录 / write demo feeds for every due period into --out."""
    from demo import generate_demo_feeds

    out = Out()
    try:
        manifest = generate_demo_feeds(out_dir, _check_period(first), _check_period(last), seed=seed,
                                       faults=[f for f in faults.split(",") if f], scale=scale)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    except OSError as exc:
        out.fail(_disk_message(exc))
        raise typer.Exit(EXIT_FAILED) from None
    out.line(f"写入 wrote {len(manifest.files)} files to", out_dir)


@app.command()
def demo(
    faults: Annotated[str, typer.Option(help="注入的错误 / faults to inject")] = "",
    seed: int = 7,
    force: Annotated[bool, typer.Option("--force", help="清空含非演示数据的 $SVCMON_HOME / clear a home that holds "
                                                        "data the demo did not write")] = False,
    as_of: AsOfOpt = None,
    scale: ScaleOpt = 1,
    verbose: VerboseOpt = False,
) -> None:
    """一键演示：全新 $SVCMON_HOME，演示报表 2023-01..2024-12 → 数仓 → 质量关 → 发布 → 报告。"""
    from demo import DemoManifest, generate_demo_feeds
    from publish.labels import is_quarter_end

    out = Out(verbose=verbose)
    as_of_date = _as_of(as_of)
    started = time.perf_counter()
    home = settings.home()
    with _writing(out):
        refusal = None if force else _demo_refusal(home)
        if refusal:
            raise Refused(refusal)
        _clear_server_for_demo(force=force)
        for part in (settings.WAREHOUSE_FILE, f"{settings.WAREHOUSE_FILE}.wal", "published.duckdb", "inbox", "archive",
                     "reports", "published", "published_versions", "dagster", DEMO_RECORD):
            target = home / part
            if target.is_symlink() or target.is_file():  # the analysts' copy is a link to its version
                target.unlink()
            elif target.is_dir():
                shutil.rmtree(target)
        inbox = settings.inbox_path()
        manifest: DemoManifest = generate_demo_feeds(inbox, DEMO_FIRST, DEMO_LAST, seed=seed,
                                                     faults=[f for f in faults.split(",") if f], scale=scale)
        (home / DEMO_RECORD).write_text(json.dumps(
            {"files": sorted(landing.sha256_of(p) for p, _feed in landing.scan_inbox(inbox))}), encoding="utf-8")
        stated = {f.path: dt.date.fromisoformat(f.submitted_on) for f in manifest.files}
        try:
            with Stages(out) as stages:
                results = _land(out, stages, stated=stated)
                _print_landing(out, results, only_problems=True)
                periods = month_range(DEMO_FIRST, DEMO_LAST)
                outcomes = _build_and_publish(out, stages, periods, as_of=as_of_date, verbose=verbose)
                published = [p for p in periods if outcomes.get(p) == "published"]
                wanted = list(dict.fromkeys(published[-1:] + [p for p in published if is_quarter_end(p)][-1:]))
                paths = _write_reports(stages, [(p, p) for p in wanted], verbose=verbose)
        except _Failed as exc:
            out.fail(str(exc))
            raise typer.Exit(EXIT_FAILED) from None
    _print_summary(out, periods, outcomes)
    out.line("数仓 warehouse:", _warehouse_label())
    out.line("分析副本 analyst copy:", settings.published_copy_path())
    out.line("质量报告 quality reports:", settings.reports_path() / "quality" / "quality_index.html")
    _end(out, outcomes, paths)
    out.line(f"用时 elapsed: {time.perf_counter() - started:.0f} s")


# --- status, quality, sign-off -----------------------------------------------------------------

@app.command()
def status(
    period: PeriodOpt = None,
    first: Annotated[str | None, typer.Option("--from", help="YYYY-MM")] = None,
    last: Annotated[str | None, typer.Option("--to", help="YYYY-MM（默认最新一期 / default the latest period）")] = None,
) -> None:
    """各期状态：报表接收/迟报/退回、审核、发布 / per period: feeds, checks, publication."""
    from rich.table import Table

    from orchestration import status as status_queries

    out = Out()
    _validated(period, first, last)
    with _writing(out):  # status may build the completeness model; it never reads a half-written warehouse
        asked = _periods(period, first, last, latest=_latest_period) if (period or first) else None
        _ensure_completeness_model(out)
        con = landing.connect()
        try:
            periods = asked if asked is not None else status_queries.known_periods(con)
            rows = status_queries.status_rows(con, periods)
        finally:
            con.close()
    as_of = next((r["as_of"] for r in rows if r["as_of"]), None)
    table = Table(title="平台状态 / status" + (f"（报送情况按 {as_of} 判断 / files judged at {as_of}）" if as_of else ""))
    table.add_column("期间", no_wrap=True, min_width=7)
    for col in ("已收 received", "迟报 late", "缺报 missing", "退回 rejected", "错误 errors", "警告 warnings",
                "发布 published"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["period"], str(r["received"]), _flag(r["late"], "yellow"), _flag(r["missing"], "red"),
                      _flag(r["rejected"], "red"), _flag(r["errors"], "red"), _flag(r["warnings"], "yellow"),
                      r["published"] or "—")
    out.console.print(table)
    # Which departments: the same rows as the quality report's 报送完整性 section.
    for r in rows:
        if not r["received"] and not r["rejected"]:
            out.line(f"{r['period']} {NO_FEEDS}", style="yellow")
        if r["late_departments"]:
            out.styled((f"{r['period']} 迟报 late: ", None), ("、".join(r["late_departments"]), "yellow"))
            for arrival in r.get("late_arrivals", []):
                out.line(f"  {arrival}")
        if r["missing_departments"]:
            out.styled((f"{r['period']} 缺报 missing: ", None), ("、".join(r["missing_departments"]), "red"))


def _ensure_completeness_model(out: Out) -> None:
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

    with out.console.status("构建报送情况 / building the completeness model (dbt)…"):
        process = run_dbt_process(settings.warehouse_url(), "build", "--quiet", "--select", "+fct_feed_completeness",
                                  "--resource-type", "seed", "--resource-type", "model",
                                  work=settings.dbt_path() / "status")
    if process.returncode != 0:
        out.fail(f"构建报送情况失败 / building the completeness model failed; dbt 日志 / dbt log: "
                 f"{settings.dbt_path() / 'status' / 'logs' / 'dbt.log'}")
        raise typer.Exit(EXIT_FAILED)


def _flag(n: int, colour: str) -> str:
    return f"[{colour}]{n}[/{colour}]" if n else "0"


@app.command()
def signoff(
    period: Annotated[str, typer.Option("--period", help="YYYY-MM")],
    by: Annotated[str, typer.Option("--by", help="签字人 / statistician's name")],
    reason: Annotated[str, typer.Option("--reason", help="理由 / reason")],
    override: Annotated[list[str] | None, typer.Option("--override", help="放行的错误级审核 / error check id to override")] = None,
    acknowledge: Annotated[str | None, typer.Option("--acknowledge", help="确认的提示 / warning check id to "
                                                                          "acknowledge (审核说明)")] = None,
    key: Annotated[list[str] | None, typer.Option("--key", help="确认的行键（见质量报告；省略=全部）/ row key(s) "
                                                                "from the quality report; none = every failing row")] = None,
) -> None:
    """统计人员签字：复核、放行阻断检查、确认提示 / a statistician's review, overrides of blocking checks,
    acknowledgements of warnings."""
    from expectations import acknowledgements, gate, quality_report, read_set

    out = Out()
    period = _check_period(period)
    if key and not acknowledge:
        raise typer.BadParameter("--key 须与 --acknowledge 一起用 / --key goes with --acknowledge")
    with _writing(out):
        if not _periods_with_data([period]):
            raise Refused(f"{period} {NO_FEEDS}：无可签字 / nothing to sign off")
        con = landing.connect()
        try:
            if acknowledge:
                verdict = gate.evaluate_gate(con, period)
                added = acknowledgements.acknowledge(
                    con, period, acknowledge, by, reason, key, verdict.warnings,
                    errors={r.check_id: r for r in verdict.blocking})
                out.line(f"已确认 / acknowledged {added} 行 rows of {acknowledge} in {period} by", by)
            if override or not acknowledge:
                gate.record_signoff(con, period, by, reason, list(override or []))
                out.line(f"已记录签字 / sign-off recorded for {period} by", by)
            from ingest import recovery

            recovery.sync_all(con)
            report = quality_report.write_quality_report(con, period, settings.reports_path() / "quality")
            quality_report.write_quality_index(con, settings.reports_path() / "quality")  # its counts changed
            as_of = read_set.captured_as_of(con, period) or clock.today()
        except ValueError as exc:
            raise Refused(str(exc)) from None
        finally:
            con.close()
        out.line("质量报告 quality report:", report)
        if override:
            from orchestration import runs

            out.line("重新发布 / publishing with the override…")
            # A corrected file landed since the build: the period is built again before publishing.
            try:
                outcome = _publish(out.line, period, as_of=as_of)
            except _Failed as exc:
                out.fail(str(exc))
                raise typer.Exit(EXIT_FAILED) from None
            if outcome.success:
                out.line("已发布 published", style="green")
            else:
                out.fail(_blocked_line(period) if not _gate_passes(period) else
                         f"发布失败 / publication failed: {runs.failure_message(outcome) or '—'}")
                raise typer.Exit(EXIT_FAILED)


@app.command()
def quality(period: Annotated[str, typer.Option("--period", help="YYYY-MM")]) -> None:
    """写出质量报告 / write the quality report of a period and print its path."""
    from expectations import quality_report, runner

    out = Out()
    period = _check_period(period)
    with _writing(out):
        if not _periods_with_data([period]):
            out.line(f"{period} {NO_FEEDS}", style="yellow")
        con = landing.connect()
        try:
            runner.run_checks(con, [period])
            path = quality_report.write_quality_report(con, period, settings.reports_path() / "quality")
            quality_report.write_quality_index(con, settings.reports_path() / "quality")
        finally:
            con.close()
    out.line(path)


# --- what people read ------------------------------------------------------------------------

@app.command()
def report(
    period: Annotated[str, typer.Option("--period", help="YYYY-MM")],
    quarterly: Annotated[bool, typer.Option("--quarterly", help="季度通报 / the quarterly bulletin")] = False,
    annual: Annotated[bool, typer.Option("--annual", help="年度综合评估报告（12月）/ the year-end evaluation (YYYY-12)")] = False,
) -> None:
    """月度专报（或季度通报、年度综合评估报告）/ write the monthly brief (or quarterly bulletin, or
    year-end evaluation) of a published period."""
    from publish import reports

    out = Out()
    period = _check_period(period)
    with _writing(out):
        con = landing.connect()
        try:
            paths = reports.write_reports(con, period, settings.reports_path(), quarterly=quarterly, annual=annual)
        except (reports.ReportRefused, reports.MissingProgram) as exc:
            raise Refused(str(exc)) from None
        finally:
            con.close()
    for p in paths:
        out.line(p)


@app.command()
def export(
    period: Annotated[str, typer.Option("--period", help="YYYY-MM")],
    table: Annotated[str, typer.Option("--table", help="indicators|projects|tasks|scorecard|supervision|industry")],
    out_file: Annotated[Path | None, typer.Option("--out", help="输出文件 / output .xlsx")] = None,
) -> None:
    """导出 Excel 表 / export a published table to Excel for departments."""
    from publish import excel, reports

    out = Out()
    period = _check_period(period)
    target = out_file or settings.reports_path() / "exports" / f"{table}_{period}.xlsx"
    with _writing(out):
        con = landing.connect()
        try:
            path = excel.export_table(con, period, table, target)
        except (reports.ReportRefused, ValueError) as exc:
            raise Refused(str(exc)) from None
        finally:
            con.close()
    out.line(path)


@app.command()
def rebuild(
    period: Annotated[str | None, typer.Option("--period", help="YYYY-MM")] = None,
    version: Annotated[int | None, typer.Option("--version", help="发布版本 / published version")] = None,
    all_versions: Annotated[bool, typer.Option(
        "--all", help="从归档与记录文件重建全部版本（数仓丢失时恢复）/ every version, from the archive and its "
                      "records alone (recovers a lost warehouse)")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """从归档重建已发布版本并比对 / rebuild published versions from the archive and compare."""
    from orchestration.rebuild import rebuild_version

    out = Out(verbose=verbose)
    if all_versions:
        _rebuild_all(out)
        return
    if period is None or version is None:
        raise typer.BadParameter("请给出 --period 与 --version，或 --all / give --period and --version, or --all")
    period = _check_period(period)
    target = settings.home() / "rebuild" / f"{period}_v{version}"
    with _writing(out):
        if target.exists():
            shutil.rmtree(target)
        con = landing.connect()
        try:
            with Stages(out) as stages:
                stages.start("rebuild", "从归档重建 / rebuilding from the archive (landing, dbt, compare)")
                result = rebuild_version(con, period, version, target)
                stages.finish("rebuild")
        except ValueError as exc:
            raise Refused(str(exc)) from None
        except RuntimeError as exc:
            out.fail(" ".join(str(exc).split())[:500] if not verbose else str(exc))
            raise typer.Exit(EXIT_FAILED) from None
        finally:
            con.close()
    if result.identical:
        out.styled(("一致 identical", "green"), (f": {result.compared_rows} rows of {period} v{version} rebuilt in ", None),
                   (result.rebuilt_warehouse, None))
    else:
        out.fail(f"不一致 differs: {result.differing_marts}")
        raise typer.Exit(EXIT_FAILED)



def _rebuild_all(out: Out) -> None:
    """Every published version from the archive and the records beside it: compared with the
    warehouse, or installed as the warehouse when it is lost."""
    from orchestration.rebuild import rebuild_all

    with _writing(out):
        with Stages(out) as stages:
            stages.start("rebuild", "从归档重建全部版本 / rebuilding every version from the archive (dbt)")
            try:
                result = rebuild_all()
            except RuntimeError as exc:
                stages.finish("rebuild", note=" 失败 / failed")
                out.fail(" ".join(str(exc).split())[:500] if not out.verbose else str(exc))
                raise typer.Exit(EXIT_FAILED) from None
            stages.finish("rebuild")
        if result.installed:
            from publish import analyst_copy

            con = landing.connect()
            try:
                analyst_copy.write_analyst_copy(con, settings.home())
            finally:
                con.close()
            out.styled(("已恢复 recovered", "green"), (f": {len(result.versions)} versions ({result.builds} builds) "
                                                     f"into {result.warehouse}", None))
            return
    if result.identical:
        out.styled(("一致 identical", "green"), (f": {len(result.versions)} versions, {result.compared_rows} rows "
                                               f"({result.builds} builds)", None))
    else:
        out.fail(f"不一致 differs: {result.differing_tables}")
        raise typer.Exit(EXIT_FAILED)


db_app = typer.Typer(help="数仓数据库 / the warehouse database: schemas, roles and grants", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("init")
def db_init() -> None:
    """初始化数仓：模式、角色与授权（可重复运行）/ create the schemas, roles and grants (idempotent).

    On PostgreSQL it needs a login that owns the database and may create roles; DuckDB has no
    roles, so only the schemas and tables are made."""
    from expectations.store import ensure_quality_schema
    from ingest import database
    from orchestration import instance

    out = Out()
    with _writing(out):
        con = connect_warehouse()
        try:
            if con.engine == "postgres":
                database.init_database(con)
                database.take_owner_role(con)
            landing.ensure_raw_schema(con)
            ensure_quality_schema(con)
            database.grant_table_privileges(con)
        except database.DatabaseNotReady as exc:
            out.fail(str(exc))
            raise typer.Exit(EXIT_FAILED) from None
        finally:
            con.close()
        if con.engine == "postgres":
            instance.dagster_home()  # the instance's runs and events on the same server
    if con.engine == "postgres":
        out.line(f"已初始化 initialised: schemas {', '.join(database.SCHEMAS)}; roles {', '.join(database.ROLES)}")
        out.line(f"授权分析人员 / give a person read access to published figures: GRANT {database.ANALYST} TO <login>;"
                 f"  statisticians: GRANT {database.STATISTICIAN} TO <login>;")
    else:
        out.line(f"已初始化 initialised: {settings.warehouse_path()} (DuckDB: no roles)")


def main() -> None:
    """`svcmon`: the command, then Python's exit less the interpreter's teardown
    (`orchestration/process_exit.py`). An unexpected error leaves through Python's own exit, with
    its traceback."""
    from orchestration.process_exit import exit_code, exit_without_teardown

    try:
        app()
        code = 0
    except SystemExit as ended:
        code = exit_code(ended)
    exit_without_teardown(code)


if __name__ == "__main__":
    main()
