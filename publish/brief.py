"""月度专报: the monthly brief of one published (period, version), as self-contained HTML and xlsx.

Everything is read from `published.*` at that version; the narrative is composed from the same
rows and returns the figures it used, so a test can hold every sentence to the published numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from expectations.checks import catalogue
from ingest.registry import FEEDS
from ingest.warehouse import Warehouse
from publish import charts, pdf
from publish.contract import (
    INDICATOR_GROUPS,
    LIGHT_FILLS,
    STATE_OVERDUE,
    UNRANKED_NOTE,
    derived_target_note,
    scorecard_rule_note,
    table_specs,
)
from publish.disclosure import FOOTNOTE, SUPPRESSED_MARK, is_suppressed
from publish.errors import ReportRefused
from publish.excel import version_note, write_workbook
from publish.issue import Masthead, masthead
from publish.labels import (
    change_phrase,
    fmt_datetime,
    fmt_number,
    fmt_plain,
    fmt_value,
    is_missing,
    join_names,
    parse_period,
    period_title,
    wan_to_yi,
    ytd_label,
)
from publish.publication import (
    latest_published_version,
    published_columns,
    published_periods,
    published_rows,
    require_published,
)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TITLE = "鹿城区服务业高质量发展“十百千”工程月度专报"
OVERRIDE_LEAD = "本期数据经统计人员签字放行："
# More departments than this in the top three ranks are counted, not named.
TOP_NAMES_LIMIT = 6


@dataclass
class PublishedPeriod:
    """All published rows of one (period, version) that the reports read."""

    period: str
    version: int
    record: dict
    indicators: list[dict]
    industry: list[dict]
    projects: list[dict]
    tasks: list[dict]
    scorecard: list[dict]
    supervision: list[dict]

    @property
    def overridden(self) -> bool:
        return self.record["gate_result"] == "overridden"


def _rows(con, key: str, period: str, version: int) -> list[dict]:
    spec = table_specs(ytd_label(period))[key]
    if not published_columns(con, spec.mart):
        return []
    # Disclosure was decided at publication (publish/disclosure.py): protected figures are NULL and
    # flagged in the published rows, so every table, chart and sentence hides the same figures.
    return published_rows(con, spec.mart, period, version, order_by=spec.order_by)


def load_published(con: Warehouse, period: str, version: int | None = None) -> PublishedPeriod:
    """The published rows of (period, version), latest version when None; refuses an unpublished one."""
    record = require_published(con, period, version, error=ReportRefused)
    v = record["version"]
    return PublishedPeriod(
        period=period,
        version=v,
        record=record,
        indicators=_rows(con, "indicators", period, v),
        industry=_rows(con, "industry", period, v),
        projects=_rows(con, "projects", period, v),
        tasks=_rows(con, "tasks", period, v),
        scorecard=_rows(con, "scorecard", period, v),
        supervision=_rows(con, "supervision", period, v),
    )


# --- figures and narrative -------------------------------------------------------------------
def _level(rows: list[dict], level: str) -> list[dict]:
    return [r for r in rows if r.get("row_level") == level]


def _visible(row: dict, column: str):
    """A figure readers may see: None when missing or suppressed (fewer than 3 enterprises)."""
    if is_suppressed(row):
        return None
    value = row.get(column)
    return None if is_missing(value) else value


def headline_figures(data: PublishedPeriod) -> dict:
    total = next(iter(_level(data.industry, "total")), None)
    groups = [
        {
            "name": r["row_name"],
            "revenue_ytd_yi": wan_to_yi(_visible(r, "revenue_ytd")),
            "yoy_pct": _visible(r, "yoy_pct"),
            "contribution_pct": _visible(r, "growth_contribution_pct"),
        }
        for r in _level(data.industry, "group_352")
    ]
    return {
        "revenue_ytd_yi": wan_to_yi(_visible(total, "revenue_ytd")) if total else None,
        "revenue_yoy_pct": _visible(total, "yoy_pct") if total else None,
        "groups": groups,
    }


def indicator_figures(indicators: list[dict]) -> dict:
    reds = [r for r in indicators if r["light"] == "红"]
    red_depts: list[str] = []
    for r in reds:
        if r.get("owner_dept") and r["owner_dept"] not in red_depts:
            red_depts.append(r["owner_dept"])
    return {
        "indicator_count": len(indicators),
        "green_count": sum(r["light"] == "绿" for r in indicators),
        "yellow_count": sum(r["light"] == "黄" for r in indicators),
        "red_count": len(reds),
        "unlit_count": sum(r["light"] not in ("绿", "黄", "红") for r in indicators),
        "red_indicators": [r["indicator_name"] for r in reds],
        "red_departments": red_depts,
    }


def project_figures(projects: list[dict]) -> dict:
    completed = sum(r["completed_ytd"] for r in projects if not is_missing(r.get("completed_ytd")))
    planned = sum(r["annual_plan_investment"] for r in projects if not is_missing(r.get("annual_plan_investment")))
    return {
        "project_count": len(projects),
        "completed_ytd_yi": completed,
        "annual_plan_yi": planned,
        "plan_completion_pct": completed / planned * 100 if planned else None,
        "red_projects": [r["project_name"] for r in projects if r.get("light") == "红"],
    }


def scorecard_figures(scorecard: list[dict]) -> dict:
    ranked = sorted(
        (r for r in scorecard if not is_missing(r.get("score_rank"))),
        key=lambda r: (r["score_rank"], r.get("dept_sort_order") or 0, r["dept_name"]),
    )
    return {
        "top_departments": [r["dept_name"] for r in ranked if r["score_rank"] <= 3],
        "first_count": sum(r["score_rank"] == 1 for r in ranked),
        "warned_departments": [r["dept_name"] for r in ranked if (r.get("reds") or 0) > 0],
        "praised_departments": [
            r["dept_name"] for r in ranked
            if (r.get("indicators_owned") or 0) > 0 and r.get("greens") == r.get("indicators_owned")
        ],
    }


def supervision_figures(items: list[dict]) -> dict:
    overdue = [r for r in items if r.get("state") == STATE_OVERDUE]
    closed = [r for r in items if r.get("state") == "已销号"]
    return {
        "item_count": len(items),
        "closed_count": len(closed),
        "open_count": len(items) - len(closed),
        "overdue_count": len(overdue),
        "overdue_departments": list(dict.fromkeys(r["responsible_dept"] for r in overdue)),
    }


@dataclass
class Narrative:
    text: str
    paragraphs: list[str]
    figures: dict = field(default_factory=dict)


def compose_narrative(data: PublishedPeriod) -> Narrative:
    """The brief's opening text, one paragraph per topic, each sentence chosen by the data."""
    label = ytd_label(data.period)
    head = headline_figures(data)
    ind = indicator_figures(data.indicators)
    proj = project_figures(data.projects)
    score = scorecard_figures(data.scorecard)
    sup = supervision_figures(data.supervision)
    paragraphs: list[str] = []

    if head["revenue_ytd_yi"] is not None:
        text = f"{label}，全区规上服务业实现营业收入{fmt_plain(head['revenue_ytd_yi'], 2)}亿元"
        if head["revenue_yoy_pct"] is not None:
            text += f"，{change_phrase(head['revenue_yoy_pct'])}"
        parts = []
        shown = [g for g in head["groups"] if g["revenue_ytd_yi"] is not None]
        for g in sorted(shown, key=lambda g: -(g["contribution_pct"] or float("-inf"))):
            part = f"{g['name']}实现营业收入{fmt_plain(g['revenue_ytd_yi'], 2)}亿元"
            if g["yoy_pct"] is not None:
                part += f"，{change_phrase(g['yoy_pct'])}"
            if g["contribution_pct"] is not None:
                part += f"，拉动全区营收增长{fmt_plain(g['contribution_pct'], 2)}个百分点"
            parts.append(part)
        paragraphs.append(text + ("。分“352”类别看，" + "；".join(parts) + "。" if parts else "。"))

    if ind["indicator_count"]:
        text = (
            f"纳入监测的{ind['indicator_count']}项主要指标中，{ind['green_count']}项亮绿灯、"
            f"{ind['yellow_count']}项亮黄灯、{ind['red_count']}项亮红灯"
        )
        if ind["unlit_count"]:
            text += f"，{ind['unlit_count']}项暂不亮灯（无年度目标或未到报送期）"
        text += "。"
        if ind["red_count"]:
            text += (
                f"亮红灯指标为{join_names(ind['red_indicators'], 8)}，"
                f"涉及{join_names(ind['red_departments'])}，请相关单位加快推进。"
            )
        paragraphs.append(text)

    if proj["project_count"]:
        text = f"{proj['project_count']}个重大项目{label}累计完成投资{fmt_plain(proj['completed_ytd_yi'], 2)}亿元"
        if proj["plan_completion_pct"] is not None:
            text += f"，完成年度计划投资的{fmt_plain(proj['plan_completion_pct'], 1)}%"
        if proj["red_projects"]:
            text += f"；{join_names(proj['red_projects'], 5)}投资进度滞后，亮红灯"
        paragraphs.append(text + "。")

    if score["top_departments"] or score["warned_departments"]:
        text = ""
        top = score["top_departments"]
        if len(top) > TOP_NAMES_LIMIT:
            # Many tied ranks: a list of names would praise nobody in particular.
            text += f"争先创优晾晒中，{len(top)}个单位位列前三名，其中{score['first_count']}个单位并列第一。"
        elif top:
            text += f"争先创优晾晒排名前列的单位为{join_names(top)}。"
        if score["warned_departments"]:
            text += f"亮灯督促：{join_names(score['warned_departments'])}有指标亮红灯。"
        paragraphs.append(text)

    if sup["item_count"]:
        text = (
            f"督导服务事项共{sup['item_count']}项，已销号{sup['closed_count']}项，未销号{sup['open_count']}项"
        )
        if sup["overdue_count"]:
            text += f"，其中逾期未销号{sup['overdue_count']}项（{join_names(sup['overdue_departments'])}）"
        paragraphs.append(text + "。")

    figures = {"period": data.period, "version": data.version, **head, **ind, **proj, **score, **sup}
    return Narrative(text="\n".join(paragraphs), paragraphs=paragraphs, figures=figures)


def monthly_narrative(con: Warehouse, period: str, version: int | None = None) -> Narrative:
    return compose_narrative(load_published(con, period, version))


UNNAMED_CHECKS = "未列入审核目录的检查（详见质量报告）"


def overridden_check_names(override: dict) -> list[str]:
    """Readers' names of the checks a sign-off overrode: the Chinese names stored with the record,
    else (older records hold ids only) the check catalogue's; a feed check names its 报表 first.
    Check ids stay in the statisticians' quality report."""
    stored = {c["check_id"]: c for c in override.get("override_checks") or []}
    missing = [i for i in override.get("overrides") or [] if not (stored.get(i) or {}).get("check_name_zh")]
    known = {c["check_id"]: {"check_name_zh": c["name_zh"], "target": c["target"]}
             for c in catalogue() if c["check_id"] in missing} if missing else {}
    names, unnamed = [], 0
    for check_id in override.get("overrides") or []:
        check = stored.get(check_id) if check_id not in missing else known.get(check_id)
        if not check:
            unnamed += 1
            continue
        feed = FEEDS.get((check.get("target") or "").removeprefix("raw."))
        names.append(f"{feed.name_zh}：{check['check_name_zh']}" if feed else check["check_name_zh"])
    if unnamed:
        names.append(f"{unnamed}项{UNNAMED_CHECKS}" if unnamed > 1 else UNNAMED_CHECKS)
    return list(dict.fromkeys(names))


def override_statement(record: dict) -> str | None:
    """`本期数据经统计人员签字放行：张三（2023年7月21日 10:05），理由：…；放行的检查：…` for an
    overridden version, the checks by their Chinese names."""
    if record["gate_result"] != "overridden":
        return None
    o = record.get("override") or {}
    who = o.get("signed_by") or "（未记名）"
    when = f"（{fmt_datetime(o['signed_at'])}）" if o.get("signed_at") else ""
    text = f"{OVERRIDE_LEAD}{who}{when}"
    if o.get("reason"):
        text += f"，理由：{o['reason']}"
    if o.get("overrides"):
        text += f"；放行的检查：{'、'.join(overridden_check_names(o))}"
    return text + "。"


def masthead_line(head: Masthead) -> str:
    """The masthead as one line (the xlsx summary): `2024年第6期　编印单位：…　印发日期：…`."""
    return f"{head.issue}　编印单位：{head.issuer}　印发日期：{head.issued_on}"


# --- rendering --------------------------------------------------------------------------------
def _light_style(light) -> str:
    colour = LIGHT_FILLS.get(light)
    return f"background:{colour}" if colour else ""


@functools.cache  # one environment: its templates are compiled once, not once per period
def jinja_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_number
    env.filters["val"] = fmt_value
    env.filters["date"] = lambda v: fmt_datetime(v, time=False)
    env.filters["yi"] = lambda v, d=2: fmt_number(wan_to_yi(v), d)
    env.filters["light_style"] = _light_style
    env.globals["SUPPRESSED"] = SUPPRESSED_MARK
    env.globals["UNRANKED"] = UNRANKED_NOTE
    env.globals["visible"] = _visible
    return env


def revenue_series(con: Warehouse, data: PublishedPeriod) -> dict[str, list[tuple[str, float | None]]]:
    """Revenue YTD per 352 group over the year's published periods up to this one (latest versions,
    this period at the version being reported)."""
    year, _ = parse_period(data.period)
    periods = [p for p in published_periods(con) if p.startswith(f"{year}-") and p <= data.period]
    series: dict[str, list[tuple[str, float | None]]] = {}
    for p in periods:
        if p == data.period:
            rows = data.industry
        else:
            rows = _rows(con, "industry", p, latest_published_version(con, p))
        for r in _level(rows, "group_352"):
            series.setdefault(r["row_name"], []).append((ytd_label(p), _visible(r, "revenue_ytd")))
    # A group withheld all year (disclosure control) would be an empty line with a legend entry.
    return {name: points for name, points in series.items() if any(v is not None for _, v in points)}


def grouped_indicators(indicators: list[dict]) -> list[tuple[str, list[dict]]]:
    groups = [(g, [r for r in indicators if r.get("indicator_group") == g]) for g in INDICATOR_GROUPS]
    others = [r for r in indicators if r.get("indicator_group") not in INDICATOR_GROUPS]
    if others:
        groups.append(("其他", others))
    return [(g, rows) for g, rows in groups if rows]


def render_brief_html(con: Warehouse, period: str, version: int | None = None) -> str:
    data = load_published(con, period, version)
    return _brief_html(con, data, masthead(con, data.record))


def _brief_html(con: Warehouse, data: PublishedPeriod, head: Masthead) -> str:
    """The brief's HTML from rows already read: `write_brief` reads them once for its three files."""
    period = data.period
    narrative = compose_narrative(data)
    time_progress = next((r["time_progress_pct"] for r in data.indicators
                          if not is_missing(r.get("time_progress_pct"))), None)
    chart_images = {
        "lights": charts.png_data_uri(charts.lights_matrix(data.indicators)) if data.indicators else None,
        "revenue": None,
        "projects": charts.png_data_uri(charts.project_completion(data.projects, time_progress))
        if data.projects else None,
    }
    series = revenue_series(con, data)
    if series:
        chart_images["revenue"] = charts.png_data_uri(charts.revenue_trend(series))
    industry_shown = _level(data.industry, "group_352") + _level(data.industry, "division")
    return jinja_env().get_template("brief.html.j2").render(
        title=TITLE,
        masthead=head,
        period_title=period_title(period),
        ytd_label=ytd_label(period),
        data=data,
        version_note=version_note(data.record),
        override=override_statement(data.record),
        narrative=narrative,
        total=next(iter(_level(data.industry, "total")), None),
        groups=_level(data.industry, "group_352"),
        divisions=_level(data.industry, "division"),
        indicator_groups=grouped_indicators(data.indicators),
        open_items=[r for r in data.supervision if r.get("state") != "已销号"],
        warned=[r for r in data.scorecard if (r.get("reds") or 0) > 0],
        charts=chart_images,
        footnote=FOOTNOTE if any(is_suppressed(r) for r in industry_shown) else None,
        target_note=derived_target_note(),
        scorecard_note=scorecard_rule_note(),
    )


def write_brief(con: Warehouse, period: str, out_dir: Path, version: int | None = None,
                tables: Mapping[str, tuple] | None = None) -> list[Path]:
    """Write `月度专报_<period>_v<version>.html`, `.pdf` and `.xlsx` into `out_dir`; returns the paths.
    `tables`: the 表 of that version `excel.load_table` gave already, by key."""
    data = load_published(con, period, version)
    pdf.chromium()  # a missing printer stops here, before any file is written
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"月度专报_{period}_v{data.version}"
    html_path = out_dir / f"{stem}.html"
    head = masthead(con, data.record)
    html_path.write_text(_brief_html(con, data, head), encoding="utf-8")
    pdf_path = pdf.html_to_pdf(html_path, out_dir / f"{stem}.pdf")
    narrative = compose_narrative(data)
    summary = [f"{TITLE}（{period_title(period)}）", masthead_line(head), version_note(data.record)]
    if data.overridden:
        summary.append(override_statement(data.record))
    summary += narrative.paragraphs
    xlsx_path = write_workbook(con, period, data.version, out_dir / f"{stem}.xlsx", summary=summary, loaded=tables)
    return [html_path, pdf_path, xlsx_path]
