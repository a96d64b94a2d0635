"""年度综合评估报告: the year-end evaluation (年评估) of a year, from the published December version.

附件2 of the plan asks for a 综合评估 at year end of the 街镇 and departments whose indicators,
projects and tasks went best, and for the innovation zones' 年度绩效评估. Everything is read
from `published.*`, each month at its current (latest) version, December at the version reported:

- indicators: completion against the annual target and the five-year path, lights as published;
- major projects: completed vs planned investment of the year (the December list);
- key tasks: 已完成 / 滞后 / 推进中 … at year end;
- the year's 晾晒表 (ANNUAL_SCORE_RULE below), with a praise and a warning list; 街镇 where the
  data names them (the major projects' 所在街道) are ranked on their projects' investment;
- one page per innovation zone (published `fct_innovation_zones`).

期号 of the annual report is the year (`2023年度`); 编印单位 and 印发日期 as the monthly brief.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.warehouse import Warehouse
from publish import pdf
from publish.brief import (
    PublishedPeriod,
    indicator_figures,
    jinja_env,
    load_published,
    masthead_line,
    override_statement,
    project_figures,
)
from publish.bulletin import _GOAL_COLUMNS as GOAL_COLUMNS
from publish.bulletin import five_year_progress, plan_time_progress_pct
from publish.contract import UNRANKED_NOTE, ExportColumn, TableSpec, _indicator_columns, derived_target_note
from publish.errors import ReportRefused
from publish.excel import SheetFormats, new_workbook, version_note, write_summary_sheet, write_table_sheet
from publish.issue import Masthead, issuer
from publish.labels import fmt_datetime, fmt_plain, is_missing, join_names, parse_period
from publish.publication import latest_published_version, published_columns, published_rows

TITLE = "鹿城区服务业高质量发展“十百千”工程年度综合评估报告"
ZONES_MART = "fct_innovation_zones"
# Praise the first PRAISE_COUNT of the year's ranking, warn the last WARNING_COUNT (not praised).
PRAISE_COUNT = 3
WARNING_COUNT = 3
# Annual scores are compared at this precision (the monthly table prints one decimal): equal
# scores share a rank, as in the monthly 晾晒表.
SCORE_DECIMALS = 2
TASK_STATES = ("已完成", "推进中", "滞后", "未启动", "未报送")
# Zone levels and statuses that count toward the plan's zone goals (INDICATORS.md: 创建或命名).
ZONE_COUNTED_STATUSES = ("创建", "命名")
ZONE_GOALS = {"省级": "zones_provincial", "市级": "zones_municipal"}
ZONE_TOTALS = ("zones_provincial", "zones_municipal", "zones_high_tier", "zones_revenue", "zones_tax")

ANNUAL_SCORE_RULE = (
    "年度得分 = 该单位全年各月晾晒表得分的算术平均（各月取当前发布版本）；未发布的月份及该单位当月"
    f"“{UNRANKED_NOTE}”的月份不计入平均（既不加分也不扣分），计分月数列于表中；全年均未计分的单位"
    f"{UNRANKED_NOTE}。按年度得分（保留两位小数）由高到低排名，同分同名次。"
    f"年度排名前{PRAISE_COUNT}名的单位予以通报表扬，排名最后{WARNING_COUNT}名的单位予以亮灯督促。"
)
STREET_RULE = ("街镇按其所在重大项目的年度计划投资完成率（全年完成投资之和 ÷ 年度计划投资之和）排名；"
               "数据中仅重大项目填报所在街道，街镇不参与其他指标的评估。")


def require_december(period: str) -> int:
    """The year of a December period; ReportRefused (bilingual) for any other month."""
    year, month = parse_period(period)
    if month != 12:
        raise ReportRefused(
            f"年度综合评估报告只依据12月数据编制，{period} 不是12月 / "
            f"the year-end evaluation is written from a December period (YYYY-12); {period} is not one"
        )
    return year


# --- the year's 晾晒表 ----------------------------------------------------------------------------
@dataclass
class MonthScores:
    """The published monthly scorecards of a year: period -> {dept_name: row}; None when unpublished."""

    year: int
    months: dict[str, dict[str, dict] | None]

    @property
    def published(self) -> list[str]:
        return [p for p, rows in self.months.items() if rows is not None]


def month_scores(con: Warehouse, year: int, december: PublishedPeriod) -> MonthScores:
    """Each month's published 晾晒表 at its current version (December at the version reported)."""
    months: dict[str, dict[str, dict] | None] = {}
    for month in range(1, 13):
        period = f"{year}-{month:02d}"
        if period == december.period:
            rows = december.scorecard
        else:
            version = latest_published_version(con, period)
            rows = None if version is None else (
                published_rows(con, "fct_department_scorecard", period, version)
                if published_columns(con, "fct_department_scorecard") else [])
        months[period] = None if rows is None else {r["dept_name"]: r for r in rows}
    return MonthScores(year, months)


def annual_scorecard(scores: MonthScores) -> list[dict]:
    """The year's 晾晒表 by ANNUAL_SCORE_RULE: one row per department, ranked (unranked last)."""
    depts: dict[str, dict] = {}
    for period, rows in scores.months.items():
        for name, r in (rows or {}).items():
            d = depts.setdefault(name, {"dept_name": name, "dept_sort_order": r.get("dept_sort_order"),
                                        "monthly": {}, "reds": 0, "files_late": 0, "files_missing": 0})
            if d["dept_sort_order"] is None:
                d["dept_sort_order"] = r.get("dept_sort_order")
            score = r.get("score")
            d["monthly"][period] = None if is_missing(score) else float(score)
            d["reds"] += r.get("reds") or 0
            d["files_late"] += r.get("files_late") or 0
            d["files_missing"] += r.get("files_missing") or 0
    out = []
    for d in depts.values():
        scored = [s for s in d["monthly"].values() if s is not None]
        d["months_scored"] = len(scored)
        d["annual_score"] = sum(scored) / len(scored) if scored else None
        d["ranking_note"] = None if scored else UNRANKED_NOTE
        out.append(d)
    ranked = sorted((d for d in out if d["annual_score"] is not None),
                    key=lambda d: (-round(d["annual_score"], SCORE_DECIMALS), d["dept_sort_order"] or 0,
                                   d["dept_name"]))
    for i, d in enumerate(ranked):
        before = ranked[i - 1] if i else None
        same = before is not None and (round(before["annual_score"], SCORE_DECIMALS)
                                       == round(d["annual_score"], SCORE_DECIMALS))
        d["annual_rank"] = before["annual_rank"] if same else i + 1
    unranked = sorted((d for d in out if d["annual_score"] is None),
                      key=lambda d: (d["dept_sort_order"] or 0, d["dept_name"]))
    for d in unranked:
        d["annual_rank"] = None
    return ranked + unranked


def praise_and_warning(table: list[dict]) -> tuple[list[dict], list[dict]]:
    """(通报表扬, 亮灯督促): the first PRAISE_COUNT ranks, and the last WARNING_COUNT ranked
    departments not praised (ties at the cut are all included)."""
    ranked = [d for d in table if d["annual_rank"] is not None]
    praised = [d for d in ranked if d["annual_rank"] <= PRAISE_COUNT]
    rest = [d for d in ranked if d not in praised]
    if len(rest) > WARNING_COUNT:
        cut = rest[-WARNING_COUNT]["annual_rank"]
        rest = [d for d in rest if d["annual_rank"] >= cut]
    return praised, rest


# --- 街镇, projects, tasks, zones -------------------------------------------------------------
def street_table(projects: list[dict]) -> list[dict]:
    """街镇 by their major projects (STREET_RULE), ranked by the plan's completion rate."""
    streets: dict[str, dict] = {}
    for p in projects:
        street = (p.get("street") or "").strip()
        if not street:
            continue
        s = streets.setdefault(street, {"street": street, "project_count": 0, "planned": 0.0, "completed": 0.0})
        s["project_count"] += 1
        s["planned"] += 0.0 if is_missing(p.get("annual_plan_investment")) else p["annual_plan_investment"]
        s["completed"] += 0.0 if is_missing(p.get("completed_ytd")) else p["completed_ytd"]
    rows = list(streets.values())
    for s in rows:
        s["completion_pct"] = s["completed"] / s["planned"] * 100 if s["planned"] else None
    rows.sort(key=lambda s: (s["completion_pct"] is None, -(s["completion_pct"] or 0), s["street"]))
    for i, s in enumerate(rows):
        before = rows[i - 1] if i else None
        if s["completion_pct"] is None:
            s["rank"] = None
        elif before is not None and before["completion_pct"] is not None and (
                round(before["completion_pct"], SCORE_DECIMALS) == round(s["completion_pct"], SCORE_DECIMALS)):
            s["rank"] = before["rank"]
        else:
            s["rank"] = i + 1
    return rows


def task_summary(tasks: list[dict]) -> dict[str, int]:
    counts = {state: 0 for state in TASK_STATES}
    for t in tasks:
        counts[t.get("status") or "未报送"] = counts.get(t.get("status") or "未报送", 0) + 1
    return counts


def zone_rows(con: Warehouse, december: PublishedPeriod) -> list[dict]:
    if not published_columns(con, ZONES_MART):
        return []
    return published_rows(con, ZONES_MART, december.period, december.version, order_by="zone_name")


def zone_pages(zones: list[dict], indicators: list[dict]) -> list[dict]:
    """Each zone with what it counts toward among the plan's zone goals and its share of the zones'
    revenue and tax (the published zone indicators of December)."""
    by_id = {r["indicator_id"]: r for r in indicators}
    total_revenue = sum(z["revenue_ytd"] for z in zones if not is_missing(z.get("revenue_ytd")))
    total_tax = sum(z["tax_ytd"] for z in zones if not is_missing(z.get("tax_ytd")))
    pages = []
    for z in zones:
        counts_toward = []
        goal = ZONE_GOALS.get(z.get("zone_level"))
        if goal and z.get("zone_status") in ZONE_COUNTED_STATUSES and goal in by_id:
            counts_toward.append(by_id[goal]["indicator_name"])
        if z.get("is_high_tier") and "zones_high_tier" in by_id:
            counts_toward.append(by_id["zones_high_tier"]["indicator_name"])
        if counts_toward:
            verdict = f"计入“{'”“'.join(counts_toward)}”目标"
        elif z.get("zone_status") not in ZONE_COUNTED_STATUSES:
            verdict = f"{z.get('zone_level') or ''}创新发展区处于{z.get('zone_status') or '—'}阶段，尚未计入创建或命名目标"
        else:
            verdict = "—"
        pages.append({
            **z,
            "revenue_share_pct": (z["revenue_ytd"] / total_revenue * 100
                                  if total_revenue and not is_missing(z.get("revenue_ytd")) else None),
            "tax_share_pct": (z["tax_ytd"] / total_tax * 100 if total_tax and not is_missing(z.get("tax_ytd")) else None),
            "verdict": verdict,
        })
    return pages


def zone_goal_rows(indicators: list[dict]) -> list[dict]:
    """The plan's zone indicators of December in registry order (target, light, five-year goal)."""
    return [r for i in ZONE_TOTALS for r in indicators if r["indicator_id"] == i]


# --- the whole report -------------------------------------------------------------------------
@dataclass
class AnnualEvaluation:
    year: int
    december: PublishedPeriod
    scores: MonthScores
    scorecard: list[dict]
    praised: list[dict]
    warned: list[dict]
    streets: list[dict]
    zones: list[dict]
    paragraphs: list[str]
    masthead: Masthead

    @property
    def missing_months(self) -> list[str]:
        return [p for p, rows in self.scores.months.items() if rows is None]


def month_ranges(periods: list[str]) -> str:
    """`1—10月、12月`: months of one year, consecutive ones as a range."""
    months = sorted(int(p[5:]) for p in periods)
    runs: list[list[int]] = []
    for m in months:
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return "、".join(f"{r[0]}—{r[-1]}月" if len(r) > 1 else f"{r[0]}月" for r in runs)


def _names(rows: list[dict]) -> list[str]:
    return [r["dept_name"] for r in rows]


def compose_paragraphs(ev: AnnualEvaluation) -> list[str]:
    dec = ev.december
    ind = indicator_figures(dec.indicators)
    proj = project_figures(dec.projects)
    tasks = task_summary(dec.tasks)
    goals = five_year_progress(dec)
    out = []
    text = f"{ev.year}年全年已发布{len(ev.scores.published)}个月度数据"
    if ev.missing_months:
        text += f"（{month_ranges(ev.missing_months)}未发布，不计入年度晾晒得分）"
    out.append(text + f"，本报告依据{ev.year}年12月第{dec.version}版发布数据编制。")
    if ind["indicator_count"]:
        text = (f"纳入监测的{ind['indicator_count']}项主要指标全年完成情况：{ind['green_count']}项亮绿灯、"
                f"{ind['yellow_count']}项亮黄灯、{ind['red_count']}项亮红灯")
        if ind["unlit_count"]:
            text += f"，{ind['unlit_count']}项未亮灯（无年度目标）"
        text += "。"
        if ind["red_count"]:
            text += f"未完成年度目标的指标为{join_names(ind['red_indicators'], 8)}。"
        out.append(text)
    if goals:
        on_track = sum(g["on_track"] is True for g in goals)
        out.append(f"五年目标方面，规划时间已过{fmt_plain(plan_time_progress_pct(dec), 1)}%，{len(goals)}项五年目标中"
                   f"{on_track}项按当前进度可如期完成。")
    if proj["project_count"]:
        text = f"{proj['project_count']}个重大项目全年完成投资{fmt_plain(proj['completed_ytd_yi'], 2)}亿元"
        if proj["plan_completion_pct"] is not None:
            text += f"，完成年度计划投资{fmt_plain(proj['annual_plan_yi'], 2)}亿元的{fmt_plain(proj['plan_completion_pct'], 1)}%"
        out.append(text + "。")
    if dec.tasks:
        parts = [f"{state}{n}项" for state, n in tasks.items() if n]
        out.append(f"{len(dec.tasks)}项重点任务年末进展：{'，'.join(parts)}。")
    if ev.praised:
        out.append(f"年度晾晒综合排名前列、予以通报表扬的单位：{join_names(_names(ev.praised))}。")
    if ev.warned:
        out.append(f"年度晾晒综合排名靠后、予以亮灯督促的单位：{join_names(_names(ev.warned))}。")
    if ev.zones:
        out.append(f"{len(ev.zones)}个现代服务业创新发展区年度绩效评估见各发展区专页。")
    return out


def evaluate(con: Warehouse, period: str) -> AnnualEvaluation:
    """The year-end evaluation of the year of `period` (a December), from its latest published version."""
    year = require_december(period)
    dec = load_published(con, period)
    scores = month_scores(con, year, dec)
    table = annual_scorecard(scores)
    praised, warned = praise_and_warning(table)
    head = Masthead(issue=f"{year}年度", issuer=issuer(), issued_on=fmt_datetime(dec.record["published_at"], time=False))
    ev = AnnualEvaluation(year, dec, scores, table, praised, warned, street_table(dec.projects),
                          zone_pages(zone_rows(con, dec), dec.indicators), [], head)
    ev.paragraphs = compose_paragraphs(ev)
    return ev


def _month_label(period: str) -> str:
    return f"{int(period[5:])}月"


def render_annual_html(ev: AnnualEvaluation) -> str:
    dec = ev.december
    return jinja_env().get_template("annual.html.j2").render(
        title=TITLE, ev=ev, data=dec, masthead=ev.masthead,
        version_note=version_note(dec.record), override=override_statement(dec.record),
        months=list(ev.scores.months), month_label=_month_label,
        goals=five_year_progress(dec), tasks=task_summary(dec.tasks),
        projects=project_figures(dec.projects), zone_goals=zone_goal_rows(dec.indicators),
        score_rule=ANNUAL_SCORE_RULE, street_rule=STREET_RULE, target_note=derived_target_note(),
        unranked=UNRANKED_NOTE, praise_count=PRAISE_COUNT,
    )


# --- xlsx ----------------------------------------------------------------------------------------
_PROJECT_COLUMNS = (
    ExportColumn("project_name", "项目名称", width=30),
    ExportColumn("project_type", "项目类型", width=12),
    ExportColumn("annual_plan_investment", "年度计划投资(亿元)", "number", width=14),
    ExportColumn("completed_ytd", "全年完成投资(亿元)", "number", width=14),
    ExportColumn("completion_rate_pct", "年度计划完成率(%)", "pct", width=14, decimals=1),
    ExportColumn("light", "亮灯", "light", width=6),
    ExportColumn("street", "所在街道", width=12),
    ExportColumn("responsible_dept", "责任单位", width=20),
)
_TASK_COLUMNS = (
    ExportColumn("seq_no", "序号", width=6),
    ExportColumn("task_name", "重点任务", width=20),
    ExportColumn("measure", "具体举措", width=36),
    ExportColumn("target_and_deadline", "目标及时限", width=24),
    ExportColumn("lead_dept", "牵头单位", width=20),
    ExportColumn("status", "年末状态", width=10),
    ExportColumn("light", "亮灯", "light", width=6),
    ExportColumn("progress_note", "进展情况", width=40),
)
_STREET_COLUMNS = (
    ExportColumn("rank", "排名", "integer", width=6),
    ExportColumn("street", "街镇", width=14),
    ExportColumn("project_count", "重大项目(个)", "integer", width=11),
    ExportColumn("planned", "年度计划投资(亿元)", "number", width=14),
    ExportColumn("completed", "全年完成投资(亿元)", "number", width=14),
    ExportColumn("completion_pct", "完成率(%)", "pct", width=10, decimals=1),
)
_ZONE_COLUMNS = (
    ExportColumn("zone_name", "发展区名称", width=28),
    ExportColumn("zone_level", "级别", width=8),
    ExportColumn("zone_status", "状态", width=8),
    ExportColumn("is_high_tier", "高能级", width=8),
    ExportColumn("revenue_ytd", "营业收入(亿元)", "number", width=13),
    ExportColumn("tax_ytd", "税收收入(亿元)", "number", width=13),
    ExportColumn("enterprises", "入驻企业(家)", "integer", width=11),
    ExportColumn("revenue_share_pct", "营收占各区合计(%)", "pct", width=14, decimals=1),
    ExportColumn("verdict", "目标对照", width=36),
)


def scorecard_columns(months: list[str]) -> tuple[ExportColumn, ...]:
    return (
        ExportColumn("annual_rank", "年度排名", "integer", width=8),
        ExportColumn("dept_name", "单位", width=22),
        ExportColumn("annual_score", "年度得分(分)", "number", width=11, decimals=2),
        ExportColumn("months_scored", "计分月数", "integer", width=8),
        *(ExportColumn(f"score_{p}", f"{_month_label(p)}得分", "number", width=8, decimals=1) for p in months),
        ExportColumn("reds", "全年红灯(项次)", "integer", width=12),
        ExportColumn("files_late", "迟报(份)", "integer", width=8),
        ExportColumn("files_missing", "未报(份)", "integer", width=8),
        ExportColumn("ranking_note", "排名说明", width=12),
    )


def scorecard_rows(ev: AnnualEvaluation) -> list[dict]:
    """The annual table flattened for a sheet: one column per month (— when not scored)."""
    return [{**d, **{f"score_{p}": d["monthly"].get(p) for p in ev.scores.months}} for d in ev.scorecard]


def write_annual_workbook(ev: AnnualEvaluation, out_path: Path) -> Path:
    dec = ev.december
    wb = new_workbook(out_path)
    fmt = SheetFormats(wb)
    lines = [f"{TITLE}（{ev.year}年）", masthead_line(ev.masthead), version_note(dec.record)]
    if dec.overridden:
        lines.append(override_statement(dec.record))
    lines += ev.paragraphs + [ANNUAL_SCORE_RULE]
    write_summary_sheet(wb, fmt, lines, dec.period, dec.record)
    sheets = (
        ("年度晾晒表", scorecard_columns(list(ev.scores.months)), scorecard_rows(ev), (ANNUAL_SCORE_RULE,)),
        ("指标完成情况", _indicator_columns("全年完成值"), dec.indicators, (derived_target_note(),)),
        ("五年目标进度", GOAL_COLUMNS, five_year_progress(dec), ()),
        ("重大项目", _PROJECT_COLUMNS, dec.projects, ()),
        ("重点任务", _TASK_COLUMNS, dec.tasks, ()),
        ("街镇", _STREET_COLUMNS, ev.streets, (STREET_RULE,)),
        ("创新发展区", _ZONE_COLUMNS, ev.zones, ()),
    )
    for title, columns, rows, notes in sheets:
        spec = TableSpec(title, title, "", columns, order_by="", footnotes=notes)
        write_table_sheet(wb, fmt, spec, list(columns), rows, dec.period, dec.record)
    wb.close()
    return out_path


def write_annual(con: Warehouse, period: str, out_dir: Path) -> list[Path]:
    """Write `年度综合评估报告_<year>_v<version>.html`, `.pdf` and `.xlsx` into `out_dir` from the latest
    published version of `period` (a December); returns the paths. ReportRefused for a period that is
    not a December or not published; pdf.MissingProgram without Chromium (before any file is written)."""
    ev = evaluate(con, period)
    pdf.chromium()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"年度综合评估报告_{ev.year}_v{ev.december.version}"
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(render_annual_html(ev), encoding="utf-8")
    pdf_path = pdf.html_to_pdf(html_path, out_dir / f"{stem}.pdf")
    xlsx_path = write_annual_workbook(ev, out_dir / f"{stem}.xlsx")
    return [html_path, pdf_path, xlsx_path]
