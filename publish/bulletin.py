"""季度通报: the quarterly bulletin of a quarter-end period (03/06/09/12).

It compares the quarter's end (this publication) with its start (the latest publication of the
previous quarter-end in the same year; Q1 starts from the beginning of the year, with no figures),
lists departments for praise (通报表扬: every indicator they own is green) and for warning
(亮灯督促: any red), and shows the five-year progress toward the 2027 goals with projections.
"""

from __future__ import annotations

from pathlib import Path

from ingest.warehouse import Warehouse
from publish import charts, pdf
from publish.brief import (
    Narrative,
    PublishedPeriod,
    jinja_env,
    load_published,
    masthead_line,
    override_statement,
    scorecard_figures,
)
from publish.contract import ExportColumn, TableSpec
from publish.errors import ReportRefused
from publish.excel import SheetFormats, new_workbook, version_note, write_summary_sheet, write_table_sheet
from publish.issue import masthead
from publish.labels import (
    fmt_plain,
    is_missing,
    is_quarter_end,
    join_names,
    period_title,
    quarter_name,
    shift_period,
    ytd_label,
)
from publish.publication import latest_published_version

TITLE = "鹿城区服务业高质量发展“十百千”工程季度通报"
_LIGHT_RANK = {"红": 0, "黄": 1, "绿": 2}


def plan_time_progress_pct(data: PublishedPeriod) -> float | None:
    """Share of the five-year plan elapsed at the period (%), as the published indicator table
    states it (`time_progress_2027_pct`, from the macro plan_time_progress); None when absent."""
    return next((r["time_progress_2027_pct"] for r in data.indicators
                 if not is_missing(r.get("time_progress_2027_pct"))), None)


def quarter_start_period(period: str) -> str | None:
    """The previous quarter-end of the same year; None for Q1 (YTD figures restart in January)."""
    start = shift_period(period, -3)
    return start if start[:4] == period[:4] else None


def _movement(start_light, end_light) -> str:
    if start_light not in _LIGHT_RANK or end_light not in _LIGHT_RANK:
        return "—"
    diff = _LIGHT_RANK[end_light] - _LIGHT_RANK[start_light]
    return "好转" if diff > 0 else "退步" if diff < 0 else "持平"


def indicator_movement(end: PublishedPeriod, start: PublishedPeriod | None) -> list[dict]:
    before = {r["indicator_id"]: r for r in (start.indicators if start else [])}
    out = []
    for r in end.indicators:
        s = before.get(r["indicator_id"], {})
        out.append({
            "indicator_id": r["indicator_id"],
            "indicator_name": r["indicator_name"],
            "unit": r.get("unit"),
            "owner_dept": r.get("owner_dept"),
            "start_value": s.get("value"),
            "start_light": s.get("light"),
            "end_value": r.get("value"),
            "end_light": r["light"],
            "movement": _movement(s.get("light"), r["light"]),
        })
    return out


def department_movement(end: PublishedPeriod, start: PublishedPeriod | None) -> list[dict]:
    before = {r["dept_name"]: r for r in (start.scorecard if start else [])}
    out = []
    for r in end.scorecard:
        s = before.get(r["dept_name"], {})
        out.append({
            "dept_name": r["dept_name"],
            "start_rank": s.get("score_rank"), "end_rank": r.get("score_rank"),
            "start_greens": s.get("greens"), "end_greens": r.get("greens"),
            "start_reds": s.get("reds"), "end_reds": r.get("reds"),
            "red_light_indicators": r.get("red_light_indicators"),
        })
    return out


def five_year_progress(end: PublishedPeriod) -> list[dict]:
    """Goals stated for 2027, with completion, the plan's time progress and the projected level."""
    elapsed = plan_time_progress_pct(end)
    out = []
    for r in end.indicators:
        if is_missing(r.get("target_2027")):
            continue
        projected = r.get("projected_2027")
        out.append({
            "indicator_name": r["indicator_name"],
            "unit": r.get("unit"),
            "value_since_2023": r.get("value_since_2023"),
            "target_2027": r["target_2027"],
            "completion_2027_pct": r.get("completion_2027_pct"),
            "plan_time_progress_pct": elapsed,
            "projected_2027": projected,
            "on_track": None if is_missing(projected) else projected >= r["target_2027"],
            "verdict": "—" if is_missing(projected) else (
                "按当前进度可如期完成" if projected >= r["target_2027"] else "按当前进度难以如期完成"),
        })
    return out


def compose_bulletin_narrative(end: PublishedPeriod, start: PublishedPeriod | None) -> Narrative:
    moves = indicator_movement(end, start)
    score = scorecard_figures(end.scorecard)
    goals = five_year_progress(end)
    reds_end = [m["indicator_name"] for m in moves if m["end_light"] == "红"]
    improved = [m["indicator_name"] for m in moves if m["movement"] == "好转"]
    worsened = [m["indicator_name"] for m in moves if m["movement"] == "退步"]
    behind = [g["indicator_name"] for g in goals if g["on_track"] is False]
    paragraphs = []
    text = f"{quarter_name(end.period)}，纳入监测的{len(moves)}项主要指标中，{len(reds_end)}项亮红灯"
    if start is not None:
        reds_start = sum(m["start_light"] == "红" for m in moves)
        text += f"（上季度末{reds_start}项）"
    text += "。"
    if improved:
        text += f"本季度亮灯好转的指标有{join_names(improved, 6)}。"
    if worsened:
        text += f"亮灯退步的指标有{join_names(worsened, 6)}。"
    paragraphs.append(text)
    if score["praised_departments"]:
        paragraphs.append(f"通报表扬：{join_names(score['praised_departments'])}牵头指标全部亮绿灯。")
    if score["warned_departments"]:
        paragraphs.append(f"亮灯督促：{join_names(score['warned_departments'])}有指标亮红灯，请加快推进。")
    if goals:
        text = (f"五年目标方面，规划时间已过{fmt_plain(plan_time_progress_pct(end), 1)}%，"
                f"{len(goals)}项五年目标中")
        on_track = sum(g["on_track"] is True for g in goals)
        text += f"{on_track}项按当前进度可如期完成"
        if behind:
            text += f"，{join_names(behind, 6)}按当前进度难以如期完成"
        paragraphs.append(text + "。")
    figures = {
        "period": end.period, "version": end.version,
        "start_period": start.period if start else None, "start_version": start.version if start else None,
        "indicator_count": len(moves), "red_count": len(reds_end), "improved": improved, "worsened": worsened,
        "praised_departments": score["praised_departments"], "warned_departments": score["warned_departments"],
        "goals_behind": behind,
    }
    return Narrative(text="\n".join(paragraphs), paragraphs=paragraphs, figures=figures)


def load_quarter(con: Warehouse, period: str, version: int | None = None):
    if not is_quarter_end(period):
        raise ReportRefused(
            f"季度通报只在季末月份（3、6、9、12月）编制，{period} 不是季末 / "
            f"the quarterly bulletin is for quarter-end periods (03/06/09/12); {period} is not one"
        )
    end = load_published(con, period, version)
    start_period = quarter_start_period(period)
    start = None
    if start_period and latest_published_version(con, start_period) is not None:
        start = load_published(con, start_period)
    return end, start


_MOVE_COLUMNS = (
    ExportColumn("indicator_name", "指标名称", width=34),
    ExportColumn("unit", "单位", width=8),
    ExportColumn("start_value", "季初完成值", "measure", width=12),
    ExportColumn("start_light", "季初亮灯", "light", width=8),
    ExportColumn("end_value", "季末完成值", "measure", width=12),
    ExportColumn("end_light", "季末亮灯", "light", width=8),
    ExportColumn("movement", "变化", width=8),
    ExportColumn("owner_dept", "责任单位", width=20),
)
_DEPT_COLUMNS = (
    ExportColumn("dept_name", "单位", width=22),
    ExportColumn("start_rank", "季初排名", "integer", width=9),
    ExportColumn("end_rank", "季末排名", "integer", width=9),
    ExportColumn("start_greens", "季初绿灯(项)", "integer", width=11),
    ExportColumn("end_greens", "季末绿灯(项)", "integer", width=11),
    ExportColumn("start_reds", "季初红灯(项)", "integer", width=11),
    ExportColumn("end_reds", "季末红灯(项)", "integer", width=11),
    ExportColumn("red_light_indicators", "亮红灯指标", width=36),
)
_GOAL_COLUMNS = (
    ExportColumn("indicator_name", "五年目标", width=34),
    ExportColumn("unit", "单位", width=8),
    ExportColumn("value_since_2023", "2023年以来累计/现值", "measure", width=14),
    ExportColumn("target_2027", "2027年目标", "measure", width=12),
    ExportColumn("completion_2027_pct", "完成进度(%)", "pct", width=11, decimals=1),
    ExportColumn("plan_time_progress_pct", "规划时间进度(%)", "pct", width=13, decimals=1),
    ExportColumn("projected_2027", "预计2027年", "measure", width=12),
    ExportColumn("verdict", "判断", width=24),
)


def render_bulletin_html(con: Warehouse, period: str, version: int | None = None) -> str:
    end, start = load_quarter(con, period, version)
    narrative = compose_bulletin_narrative(end, start)
    goals = five_year_progress(end)
    goal_rows = [r for r in end.indicators if not is_missing(r.get("target_2027"))]
    chart = (charts.png_data_uri(charts.progress_2027(goal_rows, plan_time_progress_pct(end)))
             if goal_rows else None)
    score = scorecard_figures(end.scorecard)
    return jinja_env().get_template("bulletin.html.j2").render(
        title=TITLE,
        masthead=masthead(con, end.record, quarterly=True),
        quarter=quarter_name(period),
        period_title=period_title(period),
        start_label=(f"{ytd_label(start.period)}（第{start.version}版）" if start else "年初"),
        end_label=ytd_label(period),
        data=end,
        version_note=version_note(end.record),
        override=override_statement(end.record),
        narrative=narrative,
        moves=indicator_movement(end, start),
        depts=department_movement(end, start),
        praised=score["praised_departments"],
        warned=[r for r in end.scorecard if (r.get("reds") or 0) > 0],
        goals=goals,
        chart=chart,
    )


def write_bulletin(con: Warehouse, period: str, out_dir: Path, version: int | None = None) -> list[Path]:
    end, start = load_quarter(con, period, version)
    pdf.chromium()  # a missing printer stops here, before any file is written
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"季度通报_{period}_v{end.version}"
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(render_bulletin_html(con, period, end.version), encoding="utf-8")
    pdf_path = pdf.html_to_pdf(html_path, out_dir / f"{stem}.pdf")

    xlsx_path = out_dir / f"{stem}.xlsx"
    wb = new_workbook(xlsx_path)
    fmt = SheetFormats(wb)
    head = masthead(con, end.record, quarterly=True)
    lines = [f"{TITLE}（{quarter_name(period)}）", masthead_line(head), version_note(end.record)]
    if end.overridden:
        lines.append(override_statement(end.record))
    lines += compose_bulletin_narrative(end, start).paragraphs
    write_summary_sheet(wb, fmt, lines, period, end.record)
    for title, columns, rows in (
        ("指标季度变动", _MOVE_COLUMNS, indicator_movement(end, start)),
        ("单位季度变动", _DEPT_COLUMNS, department_movement(end, start)),
        ("五年目标进度", _GOAL_COLUMNS, five_year_progress(end)),
    ):
        spec = TableSpec(title, title, "", columns, order_by="")
        write_table_sheet(wb, fmt, spec, list(columns), rows, period, end.record)
    wb.close()
    return [html_path, pdf_path, xlsx_path]
