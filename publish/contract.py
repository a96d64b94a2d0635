"""The one place where publish/ meets the marts: which marts are published, which columns
each report and export reads, and how they are labelled for readers.

If a mart's columns change, adapt this module; the rest of publish/ reads through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.reference import dbt_var
from ingest.registry import COUNT_DIMENSIONS, COUNT_UNITS, UNITS

# Marts copied into `published.<mart>` at each publication. Every one has a `period` column
# ('YYYY-MM'); a publication copies that period's rows.
PUBLISHED_MARTS: tuple[str, ...] = (
    "fct_indicator_progress",
    "fct_major_projects",
    "fct_key_tasks",
    "fct_department_scorecard",
    "fct_supervision_items",
    "fct_industry_352",
    "fct_enterprise_cultivation",
    "fct_talent",
    "fct_innovation_zones",
)
MARTS_SCHEMA = "marts"
PUBLISHED_SCHEMA = "published"
PERIOD_COLUMN = "period"
VERSION_COLUMN = "publication_version"
# Published layout (ARCHITECTURE.md round two), the same in every engine and file: `<mart>` holds the
# current version of every published period, `<mart>_history` every version.
HISTORY_SUFFIX = "_history"
# The dims analysts join, published whole (their current state) with every publication.
PUBLISHED_DIMS: tuple[str, ...] = (
    "dim_indicators", "dim_departments", "dim_industries", "dim_industry_352", "dim_periods",
)
# Marts under disclosure control (publish/disclosure.py): the columns withheld (NULL) in a protected
# row. The published rows also carry `suppressed` (true when withheld) and `suppression_reason`.
PROTECTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_industry_352": ("revenue_ytd", "revenue_prior_ytd", "revenue_change", "yoy_pct",
                         "growth_contribution_pct", "share_pct"),
}


@dataclass(frozen=True)
class DiffSpec:
    """What publication_diff compares in one mart between two versions of a period."""

    key: tuple[str, ...]  # identifies a row within a period
    name: str  # the column that names the row for readers
    numbers: tuple[str, ...]  # compared as numbers (old, new, delta)
    texts: tuple[str, ...] = ()  # compared as text (lights, states)


DIFF_SPECS: dict[str, DiffSpec] = {
    "fct_indicator_progress": DiffSpec(("indicator_id",), "indicator_name", ("value", "annual_target"),
                                       ("light", "light_reason")),
    "fct_industry_352": DiffSpec(("row_level", "row_code"), "row_name",
                                 ("enterprise_count", "revenue_ytd", "revenue_prior_ytd", "yoy_pct", "share_pct"),
                                 ("suppression_reason",)),
    "fct_major_projects": DiffSpec(("project_code",), "project_name",
                                   ("total_investment", "annual_plan_investment", "completed_ytd"), ("light",)),
    "fct_key_tasks": DiffSpec(("task_id",), "task_name", ("indicator_value", "annual_target"), ("status", "light")),
    "fct_department_scorecard": DiffSpec(("dept_name",), "dept_name", ("score", "score_rank"), ()),
    "fct_supervision_items": DiffSpec(("item_id",), "description", ("days_overdue",), ("state",)),
    "fct_enterprise_cultivation": DiffSpec(("tier", "status"), "tier",
                                           ("enterprise_count", "entries", "exits", "replacements")),
    "fct_talent": DiffSpec(("category", "industry_352"), "category",
                           ("talents_in_list", "talents_new_this_year", "talents_out")),
    "fct_innovation_zones": DiffSpec(("zone_name",), "zone_name", ("revenue_ytd", "tax_ytd", "enterprises"),
                                     ("zone_level", "zone_status")),
}

# Descriptions of the columns publication adds (the marts' own come from their dbt yml).
PUBLICATION_COLUMN_DOCS: dict[str, str] = {
    VERSION_COLUMN: "发布版本号（同一报告期的第几版） / publication version of the period",
    "suppressed": "数据不予公开（涉及企业少于3家，或可由其推算） / figures withheld by disclosure control",
    "suppression_reason": ("不予公开的原因：primary 企业数少于3家；complementary 为防止推算而隐去 / why withheld: "
                           "primary (fewer than 3 enterprises) or complementary (would reveal a primary cell)"),
}

INDICATOR_GROUPS: tuple[str, ...] = ("平台", "企业", "项目", "人才", "重点任务")
LIGHTS: tuple[str, ...] = ("绿", "黄", "红", "—")
# Cell fills for lights (Excel conditional-format palette, the same in HTML).
LIGHT_FILLS: dict[str, str] = {"绿": "#C6EFCE", "黄": "#FFEB9C", "红": "#FFC7CE"}
# Stronger colours for charts, where a small square must still read at a glance.
LIGHT_CHART_COLOURS: dict[str, str] = {"绿": "#4CAF50", "黄": "#F2C12E", "红": "#E5533D", "—": "#D9D9D9"}

# fct_industry_352 levels, top down.
# fct_industry_352 `row_level` values, top down (see _industry_352.yml): the 合计 row, the three
# "352" groups, the ten "352" industries, the 门类 sections and their 大类 divisions.
INDUSTRY_LEVELS: tuple[str, ...] = ("total", "group_352", "industry_352", "section", "division")
INDUSTRY_LEVEL_LABELS: tuple[tuple[str, str], ...] = (
    ("total", "合计"), ("group_352", "“352”类别"), ("industry_352", "“352”产业"), ("section", "门类"), ("division", "大类"),
)
# fct_supervision_items states.
STATE_CLOSED, STATE_OPEN, STATE_OVERDUE = "已销号", "未销号", "逾期"


@dataclass(frozen=True)
class ExportColumn:
    source: str  # mart column
    header: str  # what readers see; units go in the header
    # text | number | integer | pct | light | bool | date; `measure` is a number in the row's `unit`
    # (counts such as 家/个/人次 show 0 decimals, other units `decimals`).
    kind: str = "text"
    width: float = 12  # the widest a wrapping text column grows (Excel units; a CJK character is ~2)
    decimals: int = 2
    optional: bool = False  # skipped when the mart lacks it (columns not in a stated contract)
    # Hidden from outputs when the row is suppressed (fewer than 3 enterprises).
    disclosure: bool = False
    # Value -> label shown to readers (e.g. industry level codes).
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TableSpec:
    key: str
    title: str  # 表名
    mart: str
    columns: tuple[ExportColumn, ...]
    order_by: str
    where: str = ""
    footnotes: tuple[str, ...] = field(default=())


# --- the rules readers are told in footnotes (their numbers come from where the models read them) ---
UNRANKED_NOTE = "不参与排名"


def derived_target_note() -> str:
    """The footnote under a table of targets: what * means and how derived counts are rounded."""
    # things first, then people: 个、家、场、项、人、名、人次
    counts = "、".join(sorted(COUNT_UNITS, key=lambda u: (COUNT_DIMENSIONS.index(UNITS[u][0]), list(UNITS).index(u))))
    return (f"注：目标值带 * 者为按五年目标推算的年度目标；计数类指标（{counts}）的推算目标向上取整为整数，"
            "亮灯按取整后的目标计算。")


def scorecard_rule_note() -> str:
    """The 晾晒表's scoring rule as readers read it, from the dbt vars fct_department_scorecard uses."""
    points, penalty = dbt_var("scorecard_points"), dbt_var("scorecard_file_penalty")
    return (f"注：得分 = 100 ×（绿灯数×{points['绿']} + 黄灯数×{points['黄']} + 红灯数×{points['红']}）÷"
            f"（亮灯指标数×{points['绿']}）− 迟报、未报文件每份扣{penalty}分，最低0分；按得分排名，同分同名次。"
            f"牵头指标均未亮灯（无年度目标或未到报送期）或不牵头指标的单位不计分、{UNRANKED_NOTE}。")


def _indicator_columns(value_header: str) -> tuple[ExportColumn, ...]:
    return (
        ExportColumn("indicator_group", "类别", width=10),
        ExportColumn("indicator_name", "指标名称", width=34),
        ExportColumn("unit", "单位", width=8),
        ExportColumn("value", value_header, "measure", width=13),
        ExportColumn("annual_target", "年度目标", "measure", width=11),
        ExportColumn("completion_pct", "完成进度(%)", "pct", width=11, decimals=1),
        ExportColumn("time_progress_pct", "时间进度(%)", "pct", width=11, decimals=1),
        ExportColumn("light", "亮灯", "light", width=6),
        ExportColumn("light_reason", "亮灯说明", width=24),
        ExportColumn("owner_dept", "责任单位", width=20),
    )


def table_specs(ytd_label: str) -> dict[str, TableSpec]:
    """The six 表 of the monthly package; `ytd_label` is e.g. `1-6月` (the value column's header)."""
    group_order = "CASE indicator_group " + " ".join(
        f"WHEN '{g}' THEN {i}" for i, g in enumerate(INDICATOR_GROUPS)
    ) + " ELSE 99 END"
    return {
        "indicators": TableSpec(
            "indicators", "主要指标进度表", "fct_indicator_progress",
            _indicator_columns(f"{ytd_label}完成值"),
            order_by=f"{group_order}, sort_order, indicator_id",
            footnotes=(derived_target_note(),),
        ),
        "projects": TableSpec(
            "projects", "重大项目实施表", "fct_major_projects",
            (
                ExportColumn("project_code", "项目代码", width=26),
                ExportColumn("project_name", "项目名称", width=30),
                ExportColumn("project_type", "项目类型", width=12),
                ExportColumn("project_level", "项目级别", width=9),
                ExportColumn("total_investment", "总投资(亿元)", "number", width=12),
                ExportColumn("annual_plan_investment", "年度计划投资(亿元)", "number", width=14),
                ExportColumn("completed_ytd", f"{ytd_label}完成投资(亿元)", "number", width=16),
                ExportColumn("completion_rate_pct", "年度计划完成率(%)", "pct", width=14, decimals=1),
                ExportColumn("light", "亮灯", "light", width=6),
                ExportColumn("responsible_dept", "责任单位", width=20),
            ),
            order_by="project_code",
        ),
        "tasks": TableSpec(
            "tasks", "重点任务攻坚表", "fct_key_tasks",
            (
                ExportColumn("seq_no", "序号", width=6),
                ExportColumn("section_zh", "类别", width=12),
                ExportColumn("task_name", "重点任务", width=24),
                ExportColumn("measure", "具体举措", width=40),  # the task itself: one 重点任务 holds several
                ExportColumn("target_and_deadline", "目标及时限", width=24),
                ExportColumn("lead_dept", "牵头单位", width=20),
                ExportColumn("status", "进展状态", width=10),
                ExportColumn("indicator_value", f"{ytd_label}完成值", "measure", width=13),
                ExportColumn("annual_target", "年度目标", "measure", width=11),
                ExportColumn("light", "亮灯", "light", width=6),
                ExportColumn("light_reason", "亮灯说明", width=16),
                ExportColumn("progress_note", "进展情况", width=40),
                ExportColumn("issues_note", "存在问题", width=30),
            ),
            order_by="sort_order, task_id",
        ),
        "scorecard": TableSpec(
            "scorecard", "争先创优晾晒表", "fct_department_scorecard",
            (
                ExportColumn("score_rank", "排名", "integer", width=6),
                ExportColumn("dept_name", "单位", width=22),
                ExportColumn("score", "得分(分)", "number", width=9, decimals=1),
                ExportColumn("indicators_owned", "牵头指标(项)", "integer", width=11),
                ExportColumn("greens", "绿灯(项)", "integer", width=8),
                ExportColumn("yellows", "黄灯(项)", "integer", width=8),
                ExportColumn("reds", "红灯(项)", "integer", width=8),
                ExportColumn("files_due", "应报(份)", "integer", width=8),
                ExportColumn("files_on_time", "按时报送(份)", "integer", width=11),
                ExportColumn("files_late", "逾期报送(份)", "integer", width=11),
                ExportColumn("files_missing", "未报送(份)", "integer", width=10),
                ExportColumn("red_light_indicators", "亮红灯指标", width=36),
                ExportColumn("ranking_note", "排名说明", width=12, optional=True),
            ),
            order_by="score_rank, dept_sort_order, dept_name",
            footnotes=(scorecard_rule_note(),),
        ),
        "supervision": TableSpec(
            "supervision", "督导服务销号表", "fct_supervision_items",
            (
                ExportColumn("item_id", "问题编号", width=12),
                ExportColumn("responsible_dept", "责任单位", width=20),
                ExportColumn("description", "问题描述", width=44),
                ExportColumn("raised_on", "提出日期", "date", width=12),
                ExportColumn("due_on", "整改期限", "date", width=12),
                ExportColumn("closed_on", "销号日期", "date", width=12),
                ExportColumn("state", "状态", width=8),
                ExportColumn("days_overdue", "逾期天数(天)", "integer", width=11),
            ),
            order_by="CASE state WHEN '逾期' THEN 0 WHEN '未销号' THEN 1 ELSE 2 END, item_id",
        ),
        "industry": TableSpec(
            "industry", "规上服务业分行业营业收入", "fct_industry_352",
            (
                ExportColumn("row_level", "层级", width=10, labels=INDUSTRY_LEVEL_LABELS),
                ExportColumn("row_code", "代码", width=10),
                ExportColumn("row_name", "行业名称", width=30),
                ExportColumn("enterprise_count", "企业数(家)", "integer", width=10),
                ExportColumn("revenue_ytd", f"{ytd_label}营业收入(万元)", "number", width=16, disclosure=True),
                ExportColumn("revenue_prior_ytd", "上年同期(万元)", "number", width=14, disclosure=True),
                ExportColumn("yoy_pct", "同比增长(%)", "pct", width=11, decimals=1, disclosure=True),
                ExportColumn("growth_contribution_pct", "增长贡献(百分点)", "pct", width=14, decimals=2, disclosure=True),
                ExportColumn("share_pct", "占比(%)", "pct", width=9, decimals=1, disclosure=True),
            ),
            order_by="sort_order, row_code",
        ),
    }


TABLE_KEYS: tuple[str, ...] = ("indicators", "projects", "tasks", "scorecard", "supervision", "industry")
