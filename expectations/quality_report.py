"""The statisticians' monthly quality report (数据质量审核报告): one self-contained HTML page per period.

Gate status, every failed or warned check with its rows traced to file / sheet / Excel row,
completeness by department, outliers with their history, revisions since the last publication,
and the sign-offs. Templates live in `expectations/templates/`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from expectations.checks import MART_TARGET
from expectations.completeness import completeness_built, completeness_rows
from expectations.gate import GATE_STATUS_ZH, GateResult, evaluate_gate
from expectations.runner import check_periods, load_current_rows
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
    "annual_target": "年度目标", "completion_pct": "完成率(%)",
}


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


@dataclass
class CompletenessRow:
    feed_name: str
    department: str
    due_date: dt.date
    file_name: str | None
    submitted_on: dt.date | None
    status: str  # the model's state_zh: 按时 / 迟报 / 未报送 / 未到截止日


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


def _feed_of(result: CheckResult) -> Feed | None:
    return FEEDS.get(result.target.removeprefix("raw.")) if result.target.startswith("raw.") else None


def _file_names(con: Warehouse) -> dict[str, str]:
    if not con.table_exists("raw", "file_register"):
        return {}
    return dict(con.execute("SELECT file_sha256, file_name FROM raw.file_register").fetchall())


def _check_view(result: CheckResult, overridden: set[str], files: dict[str, str]) -> CheckView:
    feed = _feed_of(result)
    samples = result.samples
    columns: list[str] = []
    for sample in samples:
        columns += [k for k in sample if k not in columns]
    # Lineage only when some row has it (completeness and model checks may have none).
    columns = [c for c in columns if any(s.get(c) is not None for s in samples)]
    kind = result.check_id.split(".")[1] if result.source != "dbt" else "dbt"
    return CheckView(
        result=result,
        kind_zh=KIND_ZH.get(kind, "dbt 模型测试" if result.source == "dbt" else kind),
        severity_zh=SEVERITY_ZH.get(result.severity, result.severity),
        overridden=result.check_id in overridden,
        file_name=files.get(result.file_sha256 or ""),
        headers=[column_header(feed, c) for c in columns],
        rows=[[_fmt(s.get(c)) for c in columns] for s in samples],
        more_rows=max(result.failing_rows - len(samples), 0),
    )


def _completeness(con: Warehouse, period: str) -> tuple[list[CompletenessRow] | None, dt.date | None]:
    """The period's rows of the completeness model and the date it judged at."""
    if not completeness_built(con):
        return None, None
    rows = completeness_rows(con, [period])
    return ([CompletenessRow(r["feed_name_zh"], r["dept_name"], r["due_date"], r["file_name"], r["submitted_on"],
                             r["state_zh"]) for r in rows],
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


def _reading_order(result: CheckResult) -> tuple:
    """Findings in the data first, then model checks, then what is missing or late."""
    rank = {"gx": 0, "dbt": 1, "completeness": 2}[result.source] if result.source in ("gx", "dbt", "completeness") else 3
    return rank, result.target, result.check_id


def report_data(con: Warehouse, period: str) -> ReportData:
    (period,) = check_periods([period])
    ensure_quality_schema(con)
    completeness, completeness_as_of = _completeness(con, period)
    gate = evaluate_gate(con, period)
    files = _file_names(con)
    overridden = set(gate.overridden)
    last_published = _last_publication(con, period)
    return ReportData(
        period=period,
        generated_at=clock.now().replace(microsecond=0),
        gate=gate,
        gate_status_zh=gate.status_zh,
        errors=[_check_view(r, overridden, files) for r in sorted(gate.blocking, key=_reading_order)],
        warnings=[_check_view(r, overridden, files) for r in sorted(gate.warnings, key=_reading_order)],
        completeness=completeness,
        completeness_as_of=completeness_as_of,
        outliers=_outliers(con, period, gate.warnings),
        revisions=_revisions(con, period, last_published),
        last_published_at=last_published,
        signoffs=gate.signoffs,
    )


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    return env


def report_file_name(period: str) -> str:
    return f"quality_{period}.html"


def write_quality_report(con: Warehouse, period: str, out_dir: Path) -> Path:
    """Render the period's quality report to `out_dir/quality_<period>.html` and return its path."""
    data = report_data(con, period)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / report_file_name(period)
    html = _environment().get_template("quality_report.html.j2").render(
        data=data, mart_target=MART_TARGET, month_end=month_end(period))
    path.write_text(html, encoding="utf-8")
    return path


def write_quality_index(con: Warehouse, out_dir: Path) -> Path:
    """An index of every period with checks or vintages: gate status and counts, linking each report."""
    ensure_quality_schema(con)
    periods = {p for (p,) in con.execute("SELECT DISTINCT period FROM quality.check_results").fetchall()}
    if con.table_exists("raw", "vintages"):
        periods |= {p for (p,) in con.execute("SELECT DISTINCT period FROM raw.vintages").fetchall()}
    entries = []
    for period in sorted(periods, reverse=True):
        gate = evaluate_gate(con, period)
        entries.append({
            "period": period,
            "status": gate.status,
            "status_zh": GATE_STATUS_ZH[gate.status],
            "open": len(gate.open_check_ids),
            "overridden": len(gate.overridden),
            "warnings": len({r.check_id for r in gate.warnings}),
            "href": report_file_name(period),
            "exists": (Path(out_dir) / report_file_name(period)).exists(),
        })
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "quality_index.html"
    path.write_text(_environment().get_template("quality_index.html.j2").render(
        entries=entries, generated_at=clock.now().replace(microsecond=0)), encoding="utf-8")
    return path
