"""The statisticians' monthly quality report (数据质量审核报告): one self-contained HTML page per period.

Gate status; every failed error and every warning not yet acknowledged, expanded, with its rows
traced to file / sheet / Excel row and the row keys an acknowledgement names; acknowledged
warnings collapsed with who acknowledged them, when and why; then, like GX Data Docs, every check
that ran for the period, collapsed by feed with passed / failed / acknowledged counts; completeness
by department, outliers with their history, revisions since the last publication, sign-offs and
acknowledgements. Times read as `2026年12月2日 01:39` (`ingest.clock.fmt_datetime`). Templates live
in `expectations/templates/`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from expectations import acknowledgements
from expectations.checks import MART_TARGET
from expectations.completeness import completeness_built, completeness_rows
from expectations.gate import GATE_STATUS_ZH, GateResult, evaluate_gate, period_results
from expectations.runner import check_periods, load_current_rows, mask_text
from expectations.store import CheckResult, ensure_quality_schema
from ingest import clock
from ingest.registry import FEEDS, Feed, month_end
from ingest.warehouse import Warehouse

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
OUTLIER_HISTORY_PERIODS = 6

KIND_ZH = {
    "schema": "格式审核", "balance": "平衡审核", "logic": "逻辑审核", "outlier": "异常值审核",
    "uniqueness": "唯一性审核", "completeness": "完整性审核", "department": "单位名称审核",
    "gate": "审核状态", "light": "亮灯审核", "completion": "完成率审核", "indicators": "指标完整性",
}
SEVERITY_ZH = {"error": "错误（阻断发布）", "warn": "提示（需复核）"}
EXTRA_HEADERS = {
    "_file_name": "文件", "_sheet": "工作表", "_row_number": "Excel行号", "_scope": "填报单位",
    "children_sum": "下级合计", "difference": "差额", "tolerance": "允许误差", "children": "下级代码",
    "computed_yoy_pct": "推算增速(%)", "effective_yoy_pct": "增速(%)", "_prev_period": "上期",
    "_prev_file_name": "上期文件", "_prev_row_number": "上期行号", "jump_factor": "倍数",
    "enterprise_sum": "企业汇总(万元)", "expected_month": "应为", "unresolved": "无法识别的单位",
    "reason": "原因", "department": "部门", "due_date": "截止日期", "submitted_on": "报送日期", "message": "信息",
    "indicator_id": "指标代码", "light": "亮灯", "light_reason": "原因", "value": "完成值",
    "annual_target": "年度目标", "completion_pct": "完成率(%)", "_key": "行键 key",
}
# Kept in the samples for acknowledgements, not for readers.
HIDDEN_SAMPLE_COLUMNS = {"_value"}


def column_header(feed: Feed | None, name: str) -> str:
    """Chinese header of a sample column: the registry's, `上期…` for a previous value, or a fixed label."""
    if name in EXTRA_HEADERS:
        return EXTRA_HEADERS[name]
    if feed is not None:
        base = name.removesuffix("_prev")
        try:
            header = feed.column(base).header
        except KeyError:
            return name
        return f"上期{header}" if base != name else header
    return name


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"
    return str(value)


@dataclass
class CheckView:
    result: CheckResult
    kind_zh: str
    severity_zh: str
    overridden: bool
    file_name: str | None
    headers: list[str]
    rows: list[list[str]]
    more_rows: int
    acknowledged_rows: int = 0  # failing rows covered by an acknowledgement (not listed in `rows`)
    acknowledgements: list[acknowledgements.Acknowledgement] = field(default_factory=list)


@dataclass
class CheckLine:
    """One check that ran, in the collapsed list of every check."""

    result: CheckResult
    kind_zh: str
    state: str  # passed | failed | overridden | acknowledged
    state_zh: str
    observed: str


@dataclass
class FeedChecks:
    """The checks of one feed (or the marts, or dbt), failures first."""

    name: str
    lines: list[CheckLine]

    def count(self, state: str) -> int:
        return sum(line.state == state for line in self.lines)

    @property
    def has_failures(self) -> bool:
        return any(line.state == "failed" for line in self.lines)


@dataclass
class CompletenessRow:
    feed_name: str
    department: str
    due_date: dt.date
    file_name: str | None
    submitted_on: dt.date | None
    status: str  # the model's state_zh: 按时 / 迟报 / 未报送 / 未到截止日
    claimed_on: dt.date | None = None  # the 填报日期 the file states (its claim, not judged by)


@dataclass
class OutlierView:
    check_name: str
    subject: str
    column: str
    periods: list[str]
    values: list[str]


@dataclass
class ReportData:
    period: str
    generated_at: dt.datetime
    gate: GateResult
    gate_status_zh: str
    errors: list[CheckView]
    warnings: list[CheckView]
    completeness: list[CompletenessRow] | None  # None: the warehouse has not been built yet
    completeness_as_of: dt.date | None
    outliers: list[OutlierView]
    revisions: list[dict[str, Any]]
    last_published_at: dt.datetime | None
    signoffs: list[Any] = field(default_factory=list)
    file_warnings: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: list[CheckView] = field(default_factory=list)  # warnings every failing row of which is acknowledged
    every_check: list[FeedChecks] = field(default_factory=list)
    checks_run: int = 0
    acknowledgements: list[acknowledgements.Acknowledgement] = field(default_factory=list)


def _feed_of(result: CheckResult) -> Feed | None:
    return FEEDS.get(result.target.removeprefix("raw.")) if result.target.startswith("raw.") else None


def _file_names(con: Warehouse) -> dict[str, str]:
    if not con.table_exists("raw", "file_register"):
        return {}
    return dict(con.execute("SELECT file_sha256, file_name FROM raw.file_register").fetchall())


def _kind_zh(result: CheckResult) -> str:
    kind = result.check_id.split(".")[1] if result.source != "dbt" else "dbt"
    return KIND_ZH.get(kind, "dbt 模型测试" if result.source == "dbt" else kind)


def _check_view(result: CheckResult, overridden: set[str], files: dict[str, str],
                state: acknowledgements.AcknowledgementState | None = None,
                acknowledged: set[tuple[str, str]] | frozenset = frozenset()) -> CheckView:
    """A failed check as the report expands it; sample rows already acknowledged are left out
    (counted) unless every row is, when they show what was acknowledged."""
    feed = _feed_of(result)
    samples = result.samples
    fully = state is not None and state.fully
    if acknowledged and not fully:
        samples = [s for s in samples if (s.get("_key"), s.get("_value")) not in acknowledged]
    columns: list[str] = []
    for sample in samples:
        columns += [k for k in sample if k not in columns and k not in HIDDEN_SAMPLE_COLUMNS]
    # Lineage only when some row has it (completeness and model checks may have none).
    columns = [c for c in columns if any(s.get(c) is not None for s in samples)]
    acknowledged_rows = state.acknowledged if state is not None else 0
    shown_of = result.failing_rows - (0 if fully else acknowledged_rows)
    return CheckView(
        result=result,
        kind_zh=_kind_zh(result),
        severity_zh=SEVERITY_ZH.get(result.severity, result.severity),
        overridden=result.check_id in overridden,
        file_name=files.get(result.file_sha256 or ""),
        headers=[column_header(feed, c) for c in columns],
        rows=[[_fmt(s.get(c)) for c in columns] for s in samples],
        more_rows=max(shown_of - len(samples), 0),
        acknowledged_rows=acknowledged_rows,
        acknowledgements=state.by if state is not None else [],
    )


def _group_name(result: CheckResult) -> str:
    feed = _feed_of(result)
    if feed is not None:
        return f"{feed.name_zh}（{feed.feed_id}）"
    if result.source == "dbt":
        return "dbt 模型测试（dbt tests）"
    return f"集市审核（{result.target}）"


def _observed(result: CheckResult) -> str:
    """What the check saw: the rows (or departments, indicators) that failed; dbt's message."""
    if not result.failed:
        return "0 行不符"
    if result.source == "dbt":
        message = next((s.get("message") for s in result.samples if s.get("message")), None)
        return f"{result.failing_rows} 行不符" + (f"：{message}" if message else "")
    return f"{result.failing_rows} 行不符"


def _every_check(results: list[CheckResult], overridden: set[str],
                 states: dict[int, acknowledgements.AcknowledgementState]) -> list[FeedChecks]:
    """Every check that ran, grouped by feed in registry order (then marts, dbt), failures first."""
    state_zh = {"passed": "通过", "failed": "未通过", "overridden": "已签字放行", "acknowledged": "已确认"}
    groups: dict[str, list[CheckLine]] = {}
    for result in results:
        if not result.failed:
            state = "passed"
        elif result.severity == "error" and result.check_id in overridden:
            state = "overridden"
        elif id(result) in states and states[id(result)].fully:
            state = "acknowledged"
        else:
            state = "failed"
        groups.setdefault(_group_name(result), []).append(
            CheckLine(result, _kind_zh(result), state, state_zh[state], _observed(result)))
    order = {f"{f.name_zh}（{f.feed_id}）": i for i, f in enumerate(FEEDS.values())}
    rank = {"failed": 0, "overridden": 1, "acknowledged": 2, "passed": 3}
    return [FeedChecks(name, sorted(lines, key=lambda line: (rank[line.state], line.result.severity != "error",
                                                            line.result.check_id)))
            for name, lines in sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))]


def _completeness(con: Warehouse, period: str) -> tuple[list[CompletenessRow] | None, dt.date | None]:
    """The period's rows of the completeness model and the date it judged at."""
    if not completeness_built(con):
        return None, None
    rows = completeness_rows(con, [period])
    return ([CompletenessRow(r["feed_name_zh"], r["dept_name"], r["due_date"], r["file_name"], r["submitted_on"],
                             r["state_zh"], r.get("claimed_on")) for r in rows],
            rows[0]["as_of_date"] if rows else None)


def _outliers(con: Warehouse, period: str, warnings: list[CheckResult]) -> list[OutlierView]:
    views = []
    for result in warnings:
        feed = _feed_of(result)
        if feed is None or ".outlier." not in result.check_id:
            continue
        column = result.check_id.rsplit(".", 1)[1]
        # A growth outlier is best read next to the YTD it grew from.
        column = column.removesuffix("_yoy_pct") + "_ytd" if column.endswith("_yoy_pct") else column
        history = load_current_rows(con, feed)
        history = history[history["_period"] <= period]
        key = feed.key[0]
        for sample in result.samples:
            subject = sample.get(key)
            rows = history[history[key] == subject].sort_values("_period").tail(OUTLIER_HISTORY_PERIODS + 1)
            label = f"{subject} {sample.get('name') or sample.get('industry_name') or ''}".strip()
            views.append(OutlierView(result.check_name_zh, label, column_header(feed, column),
                                     list(rows["_period"]), [_fmt(v) for v in rows[column]]))
    return views


def _last_publication(con: Warehouse, period: str) -> dt.datetime | None:
    if not con.table_exists("published", "publication_log"):
        return None
    return con.execute("SELECT max(published_at) FROM published.publication_log WHERE period = ?",
                       [period]).fetchone()[0]


def _revisions(con: Warehouse, period: str, since: dt.datetime | None) -> list[dict[str, Any]]:
    """Vintages after the first of their scope; since the last publication when there was one."""
    if not con.table_exists("raw", "vintages"):
        return []
    rows = con.execute(
        """
        SELECT v.feed_id, v.scope, v.vintage, v.received_at, f.file_name
        FROM raw.vintages v LEFT JOIN raw.file_register f
          ON f.file_sha256 = v.file_sha256 AND f.feed_id = v.feed_id AND f.status = 'accepted'
        WHERE v.period = ? AND v.vintage > 1 AND (CAST(? AS TIMESTAMP) IS NULL OR v.received_at > ?)
        ORDER BY v.feed_id, v.scope, v.vintage
        """,
        [period, since, since],
    ).fetchall()
    return [{"feed": FEEDS[f].name_zh if f in FEEDS else f, "scope": s, "vintage": v, "received_at": r,
             "file_name": n} for f, s, v, r, n in rows]


def _file_warnings(con: Warehouse, period: str) -> list[dict[str, Any]]:
    """What the reader did not take as it stood in the period's accepted files (`raw.file_warnings`),
    by file and Excel row; text that looks like personal data is masked as in the samples."""
    if not con.table_exists("raw", "file_warnings"):
        return []
    rows = con.execute(
        "SELECT file_name, sheet, row_number, column_name, cause_zh, cause_en FROM raw.file_warnings "
        "WHERE period = ? ORDER BY file_name, file_sha256, row_number NULLS FIRST, column_name", [period]).records()
    return [{**r, "cause_zh": mask_text(r["cause_zh"]), "cause_en": mask_text(r["cause_en"])} for r in rows]


def _reading_order(result: CheckResult) -> tuple:
    """Findings in the data first, then model checks, then what is missing or late."""
    rank = {"gx": 0, "dbt": 1, "completeness": 2}[result.source] if result.source in ("gx", "dbt", "completeness") else 3
    return rank, result.target, result.check_id


def report_data(con: Warehouse, period: str, gate: GateResult | None = None) -> ReportData:
    """What the period's report shows; `gate` is the period's verdict when the caller has just
    evaluated it on this connection."""
    (period,) = check_periods([period])
    ensure_quality_schema(con)
    completeness, completeness_as_of = _completeness(con, period)
    gate = gate or evaluate_gate(con, period)
    files = _file_names(con)
    overridden = set(gate.overridden)
    last_published = _last_publication(con, period)
    ran = period_results(con, period)
    states = acknowledgements.states(con, [*gate.warnings, *ran])
    warning_views = [_check_view(r, overridden, files, states.get(id(r)),
                                 states[id(r)].keys if id(r) in states else frozenset())
                     for r in sorted(gate.warnings, key=_reading_order)]
    period_acks = [a for a in acknowledgements.list_acknowledgements(con)
                   if a.check_id in {r.check_id for r in gate.warnings}]
    return ReportData(
        period=period,
        generated_at=clock.now().replace(microsecond=0),
        gate=gate,
        gate_status_zh=gate.status_zh,
        errors=[_check_view(r, overridden, files) for r in sorted(gate.blocking, key=_reading_order)],
        warnings=[v for v in warning_views if not (v.acknowledged_rows and v.acknowledged_rows >= v.result.failing_rows)],
        completeness=completeness,
        completeness_as_of=completeness_as_of,
        outliers=_outliers(con, period, gate.warnings),
        revisions=_revisions(con, period, last_published),
        last_published_at=last_published,
        signoffs=gate.signoffs,
        file_warnings=_file_warnings(con, period),
        acknowledged=[v for v in warning_views if v.acknowledged_rows and v.acknowledged_rows >= v.result.failing_rows],
        every_check=_every_check(ran, overridden, states),
        checks_run=len(ran),
        acknowledgements=_summarised(period_acks),
    )


def _summarised(acks: list[acknowledgements.Acknowledgement]) -> list[acknowledgements.Acknowledgement]:
    """One line per acknowledgement act (check, person, time, reason), not per row."""
    seen: dict[tuple, acknowledgements.Acknowledgement] = {}
    for ack in acks:
        seen.setdefault((ack.check_id, ack.acknowledged_by, ack.acknowledged_at, ack.reason), ack)
    return list(seen.values())


@functools.cache  # one environment: its templates are compiled once, not once per period
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["when"] = clock.fmt_datetime
    env.filters["day"] = lambda value: clock.fmt_datetime(value, time=False)
    return env


def report_file_name(period: str) -> str:
    return f"quality_{period}.html"


def write_quality_report(con: Warehouse, period: str, out_dir: Path, gate: GateResult | None = None) -> Path:
    """Render the period's quality report to `out_dir/quality_<period>.html` and return its path
    (`gate`: see `report_data`)."""
    data = report_data(con, period, gate)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / report_file_name(period)
    html = _environment().get_template("quality_report.html.j2").render(
        data=data, mart_target=MART_TARGET, month_end=month_end(period))
    path.write_text(html, encoding="utf-8")
    return path


def write_quality_index(con: Warehouse, out_dir: Path, gates: Mapping[str, GateResult] | None = None) -> Path:
    """An index of every period with checks or vintages: gate status and counts, linking each report.
    `gates`: verdicts the caller has just evaluated on this connection (the others are evaluated)."""
    ensure_quality_schema(con)
    periods = {p for (p,) in con.execute("SELECT DISTINCT period FROM quality.check_results").fetchall()}
    if con.table_exists("raw", "vintages"):
        periods |= {p for (p,) in con.execute("SELECT DISTINCT period FROM raw.vintages").fetchall()}
    entries = []
    with con.tables_found_stay():
        for period in sorted(periods, reverse=True):
            gate = (gates or {}).get(period) or evaluate_gate(con, period)
            entries.append({
                "period": period,
                "status": gate.status,
                "status_zh": GATE_STATUS_ZH[gate.status],
                "open": len(gate.open_check_ids),
                "overridden": len(gate.overridden),
                "warnings": len({r.check_id for r in acknowledgements.unacknowledged(con, gate.warnings)}),
                "href": report_file_name(period),
                "exists": (Path(out_dir) / report_file_name(period)).exists(),
            })
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "quality_index.html"
    path.write_text(_environment().get_template("quality_index.html.j2").render(
        entries=entries, generated_at=clock.now().replace(microsecond=0)), encoding="utf-8")
    return path
