"""The feed contract of FEEDS.md as code: the one home of feeds, columns, aliases,
types, canonical and warehouse units, enums, keys, scopes, department columns, owners and
the feed calendar (cadence, first period, due rule).

Readers, landing and checks import it; dbt reads it only through the files
`python -m ingest.dbt_artifacts` generates from it (sources, the ref_feeds seeds).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal

ColumnType = Literal["text", "number", "integer", "bool", "month", "date", "enum"]
Identifier = Literal["uscc", "ric", "project_code"]
Cadence = Literal["monthly", "quarterly", "yearly"]
ReadRule = Literal["own", "earlier_in_year", "previous_year", "earlier_years", "previous_year_end", "year_ends",
                   "previous_release", "latest_release"]

# Which vintages of a feed the numbers of a period P read (its read set, ARCHITECTURE.md round two):
# each rule names input periods of the feed relative to P; the read set is the current vintage of
# every scope of those periods. The rules' SQL is `models/intermediate/int_read_set.sql`; which
# rules a feed follows is declared on the feed (`Feed.reads`, generated into seeds/ref_feed_reads.csv)
# and `tests/test_read_set.py` checks the declaration against what the models really read.
READ_RULES: dict[str, str] = {
    "own": "P itself (every feed: an error in a file always blocks its own period)",
    "earlier_in_year": "every earlier period of P's year (year-to-date reads, the year's notes so far)",
    "previous_year": "every period of the year before P's",
    "earlier_years": "every period of the years before P's (a project counts in the year it first appears)",
    "previous_year_end": "the last period with a file of the year before P's (level targets)",
    "year_ends": "the last period with a file of every year before P's (five-year totals)",
    "previous_release": "the latest period before P with a file (a list compared with its previous snapshot)",
    "latest_release": "the latest period up to P with a file (a quarterly value carried forward)",
}

# Months between two due periods of a cadence.
CADENCE_STEP: dict[str, int] = {"monthly": 1, "quarterly": 3, "yearly": 12}
# Suffix of the raw column that holds a department column's canonical name (landing resolves it).
CANONICAL_SUFFIX = "_canonical"
# Raw column of a feed with a resident ID number column: HMAC-SHA256(secret, normalised ID number),
# computed at landing (`ingest.pii`), so the secret never reaches dbt's compiled SQL or logs.
PERSON_KEY = "person_key"

# Columns every raw table carries after the feed's own columns (FEEDS.md "Lineage"),
# plus `_scope` (the 填报单位 of multi-department feeds, '' otherwise). Types are storage kinds:
# each engine's DDL type for a kind is `ingest.warehouse.SQL_TYPES`.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_feed_id", "text"),
    ("_file_sha256", "text"),
    ("_file_name", "text"),
    ("_sheet", "text"),
    ("_row_number", "integer"),
    ("_period", "text"),
    ("_scope", "text"),
    ("_is_total", "boolean"),
    ("_source_unit", "text"),
    # Cells that could not be read as their column's type: 'field: 原值' lines; the value is NULL
    # and the schema check flags the row (raw keeps what the file said, the gate decides).
    ("_parse_errors", "text"),
    ("_ingested_at", "timestamp"),
)

# The storage kind of each column type (a key of ingest.warehouse.SQL_TYPES).
STORAGE_KINDS: dict[str, str] = {
    "text": "text",
    "enum": "text",
    "number": "number",
    "integer": "number",  # counts may arrive as 万人 and convert to fractions of a person
    "bool": "boolean",
    "month": "text",  # 'YYYY-MM'
    "date": "date",
}


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    type: ColumnType = "text"
    unit: str | None = None  # canonical unit in raw; None = no unit
    required: bool = False
    aliases: tuple[str, ...] = ()
    enum: tuple[str, ...] = ()
    identifier: Identifier | None = None
    pii: bool = False
    # Additive columns take part in the balance checks (平衡审核).
    additive: bool = False
    # Year-to-date flows that never fall within a year (逻辑审核).
    ytd_flow: bool = False
    # A value whose canonical unit is per row: (field holding the unit the row states,
    # field naming the indicator whose registry unit is canonical).
    unit_from: tuple[str, str] | None = None
    # The unit staging brings the column to (the warehouse's common unit); None = `unit`.
    warehouse_unit: str | None = None
    # A department name: landing stores its canonical form beside it (`<field>_canonical`).
    department: bool = False
    # An enum whose written values stand for codes (value as written -> code, e.g. 累计 -> cumulative):
    # raw keeps what the file said, staging decodes (macro `decoded`).
    codes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.warehouse_unit is not None:
            if self.unit is None:
                raise ValueError(f"{self.field}: a warehouse unit needs a canonical unit")
            conversion_factor(self.unit, self.warehouse_unit)  # same dimension, known units
        if self.codes and tuple(written for written, _ in self.codes) != self.enum:
            raise ValueError(f"{self.field}: codes must decode exactly the enum's values")

    def decode(self, value: object) -> str | None:
        """The code a written enum value stands for (None when it is not one of them)."""
        return dict(self.codes).get(value) if isinstance(value, str) else None

    @property
    def storage_kind(self) -> str:
        """How raw stores the column (a key of ingest.warehouse.SQL_TYPES)."""
        return STORAGE_KINDS[self.type]

    @property
    def warehouse_factor(self) -> float:
        """Multiply the raw value by this to get it in the warehouse unit (1 when there is none)."""
        if self.warehouse_unit is None:
            return 1.0
        return conversion_factor(self.unit, self.warehouse_unit)

    @property
    def canonical_field(self) -> str | None:
        """Raw column holding the canonical department name (None for other columns)."""
        return f"{self.field}{CANONICAL_SUFFIX}" if self.department else None

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class Calendar:
    """When a feed owes a file and by when (FEEDS.md "Due dates and completeness").

    Due periods: the months `first_month`, `first_month + step`, ... up to 12 of every year (step
    1, 3 or 12 by cadence), so a monthly feed with first_month 2 owes no January file. A period's file is due on day `due_day` of the month `due_after_months` after the
    period's month: statistics the 20th of the next month (1, 20), department feeds the 5th (1, 5),
    a yearly feed of period YYYY-01 due 31 March (2, 31). A day that does not exist in some month
    the due date can fall in (31 in April, 29 in February) is refused here, so no date is ever
    clamped: every reader computes first-of-month + months + (day − 1) days.
    """

    cadence: Cadence
    first_month: int
    due_after_months: int
    due_day: int

    def __post_init__(self) -> None:
        if self.cadence not in CADENCE_STEP:
            raise ValueError(f"unknown cadence {self.cadence!r}; known: {', '.join(CADENCE_STEP)}")
        if not 1 <= self.first_month <= 12:
            raise ValueError(f"first_month must be 1..12, got {self.first_month}")
        if self.due_after_months < 0 or not 1 <= self.due_day <= 31:
            raise ValueError(f"bad due rule: {self.due_after_months} months after, day {self.due_day}")
        for month in self.due_months:
            due_month = (month - 1 + self.due_after_months) % 12 + 1
            shortest = 28 if due_month == 2 else calendar.monthrange(2023, due_month)[1]
            if self.due_day > shortest:
                raise ValueError(
                    f"due day {self.due_day} does not exist in every {calendar.month_name[due_month]} "
                    f"(periods of month {month} are due {self.due_after_months} month(s) later)")

    @property
    def due_months(self) -> tuple[int, ...]:
        """Months (1..12) of a year whose period owes a file."""
        return tuple(range(self.first_month, 13, CADENCE_STEP[self.cadence]))

    def due_date(self, period: str) -> dt.date:
        year, month = int(period[:4]), int(period[5:])
        index = year * 12 + month - 1 + self.due_after_months
        return dt.date(index // 12, index % 12 + 1, self.due_day)


# The due rules of FEEDS.md by sender: statistics bureau feeds have no January file (the first
# period of a year is 1-2月) and are due the 20th of the next month; department feeds the 5th;
# the year's targets and tasks (period YYYY-01) by 31 March.
STATISTICS_MONTHLY = Calendar("monthly", first_month=2, due_after_months=1, due_day=20)
STATISTICS_QUARTERLY = Calendar("quarterly", first_month=3, due_after_months=1, due_day=20)
STATISTICS_YEARLY = Calendar("yearly", first_month=12, due_after_months=1, due_day=20)
DEPARTMENT_MONTHLY = Calendar("monthly", first_month=1, due_after_months=1, due_day=5)
YEARLY_BY_MARCH = Calendar("yearly", first_month=1, due_after_months=2, due_day=31)


@dataclass(frozen=True)
class Feed:
    feed_id: str
    name_zh: str
    owner_dept: str
    source: Literal["statistics", "department"]
    calendar: Calendar
    ytd: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Field whose value is part of a file's scope (multi-department feeds).
    scope_field: str | None = None
    # Feeds with a 合计 row and a section/division hierarchy.
    hierarchical: bool = False
    description: str = ""
    # Other calendars a deployment may choose (dbt var `feed_cadence_overrides`, by cadence).
    alternative_calendars: tuple[Calendar, ...] = ()
    # The first period a file is owed ('YYYY-MM'); a file for an earlier period is accepted, never owed.
    owed_from: str | None = None
    # The feed's period is a year (`YYYY-01`), given by this column, the title or the file name;
    # every other feed's period is a month, and a year alone is no period (FEEDS.md "Period").
    year_column: str | None = None
    # Which earlier vintages a period's numbers read besides its own (READ_RULES); `own` is implied.
    reads: tuple[ReadRule, ...] = ()

    def __post_init__(self) -> None:
        cadences = [c.cadence for c in self.calendars]
        if len(set(cadences)) != len(cadences):
            raise ValueError(f"{self.feed_id}: one calendar per cadence, got {cadences}")
        if self.year_column is not None and self.year_column not in {c.field for c in self.columns}:
            raise ValueError(f"{self.feed_id}: year column {self.year_column} is not one of its columns")
        unknown = [r for r in self.reads if r not in READ_RULES]
        if unknown:
            raise ValueError(f"{self.feed_id}: unknown read rule(s) {unknown}; known: {', '.join(READ_RULES)}")

    @property
    def read_rules(self) -> tuple[str, ...]:
        """Every rule of the feed's read set, `own` first."""
        return ("own", *(r for r in self.reads if r != "own"))

    @property
    def calendars(self) -> tuple[Calendar, ...]:
        """The default calendar first, then the alternatives."""
        return (self.calendar, *self.alternative_calendars)

    def with_cadence(self, cadence: str) -> Feed:
        """This feed under another of its declared calendars (a deployment setting)."""
        for cal in self.calendars:
            if cal.cadence == cadence:
                return replace(self, calendar=cal, alternative_calendars=tuple(
                    c for c in self.calendars if c is not cal))
        raise ValueError(f"{self.feed_id} has no {cadence} calendar; declared: "
                         f"{', '.join(c.cadence for c in self.calendars)}")

    @property
    def cadence(self) -> Cadence:
        return self.calendar.cadence

    @property
    def due_day(self) -> int:
        return self.calendar.due_day

    @property
    def first_month(self) -> int:
        return self.calendar.first_month

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns if c.required)

    @property
    def multi_department(self) -> bool:
        return self.scope_field is not None

    @property
    def department_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.department)

    @property
    def person_id_field(self) -> str | None:
        """The personal resident ID number column whose key landing stores as `person_key`."""
        return next((c.field for c in self.columns if c.pii and c.identifier == "ric"), None)

    @property
    def per_row_unit(self) -> tuple[str, str, str] | None:
        """(value field, unit field, indicator field) of a column whose unit is per row."""
        return next(((c.field, *c.unit_from) for c in self.columns if c.unit_from), None)

    def column(self, field_name: str) -> Column:
        for c in self.columns:
            if c.field == field_name:
                return c
        raise KeyError(f"{self.feed_id} has no column {field_name}")

    @property
    def period_is_year(self) -> bool:
        return self.year_column is not None

    def is_due_month(self, month: int) -> bool:
        return month in self.calendar.due_months

    def owes_file(self, period: str) -> bool:
        """Whether the period owes a file: a due month of the calendar, from `owed_from` on."""
        return self.is_due_month(int(period[5:])) and (self.owed_from is None or period >= self.owed_from)

    def due_periods(self, first: str, last: str) -> list[str]:
        """Periods 'YYYY-MM' in [first, last] for which this feed owes a file."""
        return [p for p in month_range(first, last) if self.owes_file(p)]

    def due_date(self, period: str) -> dt.date:
        return self.calendar.due_date(period)


def month_range(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    ly, lm = int(last[:4]), int(last[5:])
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_end(period: str) -> dt.date:
    y, m = int(period[:4]), int(period[5:])
    return dt.date(y, m, calendar.monthrange(y, m)[1])


# --- units --------------------------------------------------------------------------
# One home for units: dimension and factor to the dimension's base unit.
UNITS: dict[str, tuple[str, float]] = {
    "元": ("money", 1.0),
    "千元": ("money", 1e3),
    "万元": ("money", 1e4),
    "亿元": ("money", 1e8),
    "美元": ("usd", 1.0),
    "万美元": ("usd", 1e4),
    "人": ("persons", 1.0),
    "万人": ("persons", 1e4),
    "名": ("persons", 1.0),
    "人次": ("person_times", 1.0),
    "万人次": ("person_times", 1e4),
    "%": ("percent", 1.0),
    "个": ("count", 1.0),
    "家": ("count", 1.0),
    "场": ("count", 1.0),
    "项": ("count", 1.0),
}


# Counts of things and people, which are whole: the units of these dimensions at factor 1
# (家 个 项 场, 人 名, 人次; 万人次 is not a count of one). Reports show them without decimals and
# a derived annual target in one of them is rounded up (INDICATORS.md).
COUNT_DIMENSIONS = ("count", "persons", "person_times")
COUNT_UNITS: frozenset[str] = frozenset(
    unit for unit, (dimension, factor) in UNITS.items() if dimension in COUNT_DIMENSIONS and factor == 1
)


def is_count_unit(unit: str | None) -> bool:
    return unit in COUNT_UNITS


def unit_dimension(unit: str | None) -> str | None:
    return UNITS[unit][0] if unit in UNITS else None


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Multiply a value in `from_unit` by this to get `to_unit`; same dimension only."""
    fd, ff = UNITS[from_unit]
    td, tf = UNITS[to_unit]
    if fd != td:
        raise ValueError(f"cannot convert {from_unit} to {to_unit}")
    return ff / tf


# --- the thirteen feeds -----------------------------------------------------------------
def C(field_name: str, header: str, type_: ColumnType = "text", **kw) -> Column:  # noqa: N802
    return Column(field=field_name, header=header, type=type_, **kw)


_INDUSTRY_CODE_HELP = "GB/T 4754-2017 门类字母或2位大类代码，或「合计」"

FEEDS: dict[str, Feed] = {}


def _register(feed: Feed) -> None:
    FEEDS[feed.feed_id] = feed


_register(Feed(
    feed_id="stats_services",
    name_zh="规上服务业分行业主要指标",
    owner_dept="区统计局",
    source="statistics",
    calendar=STATISTICS_MONTHLY,
    ytd=True,
    hierarchical=True,
    key=("industry_code",),
    description="One row per industry: a grand total, sections (门类) and divisions (大类).",
    columns=(
        C("industry_code", "行业代码", required=True, aliases=("代码",)),
        C("industry_name", "行业名称"),
        C("enterprise_count", "企业数", "integer", unit="个", aliases=("单位数",), additive=True),
        C("revenue_ytd", "营业收入_本年累计", "number", unit="万元", required=True,
          aliases=("营业收入_1-N月",), additive=True, ytd_flow=True),
        C("revenue_prior_ytd", "营业收入_上年同期", "number", unit="万元", required=True, additive=True),
        C("revenue_yoy_pct", "营业收入_增速", "number", unit="%", aliases=("营业收入_同比增长",)),
        C("operating_profit_ytd", "营业利润_本年累计", "number", unit="万元", additive=True),
        C("payroll_ytd", "应付职工薪酬_本年累计", "number", unit="万元", additive=True, ytd_flow=True),
        C("employees", "期末用工人数", "integer", unit="人", aliases=("从业人员期末人数",), additive=True),
    ),
))

_register(Feed(
    feed_id="stats_enterprises",
    name_zh="规上服务业企业主要指标",
    owner_dept="区统计局",
    source="statistics",
    calendar=STATISTICS_MONTHLY,
    ytd=True,
    key=("uscc",),
    description="Enterprise-level micro data of above-scale services enterprises (千元).",
    # 百亿级 (int_indicator_values) reads the year so far and the previous December; its level target the
    # previous year's year-end value, itself built from that year's files; ent_new_above_scale's
    # five-year total every earlier year's year-end.
    reads=('earlier_in_year', 'previous_year', 'year_ends'),
    columns=(
        C("uscc", "统一社会信用代码", required=True, identifier="uscc"),
        C("name", "单位详细名称", required=True, aliases=("企业名称",)),
        C("industry_code", "行业代码", required=True),
        C("street", "所在街道", aliases=("街道",)),
        C("entered_scope_month", "入库年月", "month", aliases=("规上入库时间",)),
        # Enterprise forms report in 千元; the warehouse counts money in 万元.
        C("revenue_ytd", "营业收入_本年累计", "number", unit="千元", warehouse_unit="万元", required=True,
          aliases=("营业收入_1-N月",), ytd_flow=True),
        C("revenue_prior_ytd", "营业收入_上年同期", "number", unit="千元", warehouse_unit="万元"),
        C("payroll_ytd", "应付职工薪酬_本年累计", "number", unit="千元", warehouse_unit="万元", ytd_flow=True),
        C("employees", "期末用工人数", "integer", unit="人", aliases=("从业人员期末人数",)),
    ),
))

_register(Feed(
    feed_id="stats_fai",
    name_zh="固定资产投资",
    owner_dept="区统计局",
    source="statistics",
    calendar=STATISTICS_MONTHLY,
    ytd=True,
    key=("indicator",),
    description="Fixed-asset investment growth and shares (rates only).",
    columns=(
        C("indicator", "指标名称", required=True),
        C("yoy_pct", "增速", "number", unit="%", required=True, aliases=("同比增长",)),
        C("share_pct", "占比", "number", unit="%", aliases=("占固定资产投资比重",)),
    ),
))

_register(Feed(
    feed_id="stats_employment",
    name_zh="从业人员",
    owner_dept="区统计局",
    source="statistics",
    # Released quarterly; a deployment may receive it yearly instead (FEEDS.md feed 4).
    calendar=STATISTICS_QUARTERLY,
    alternative_calendars=(STATISTICS_YEARLY,),
    ytd=False,
    key=("indicator",),
    description="Employment by sector, quarterly.",
    # A quarterly value is carried forward to the months after its release (int_indicator_progress).
    reads=('latest_release',),
    columns=(
        C("indicator", "指标名称", required=True),
        C("persons", "数值", "integer", unit="人", required=True, aliases=("人数",)),
    ),
))

_register(Feed(
    feed_id="tax_revenue",
    name_zh="分行业税收收入",
    owner_dept="区税务局",
    source="department",
    calendar=DEPARTMENT_MONTHLY,
    ytd=True,
    hierarchical=True,
    key=("industry_code",),
    columns=(
        C("industry_code", "行业代码", required=True, aliases=("代码",)),
        C("industry_name", "行业名称"),
        C("tax_ytd", "税收收入_本年累计", "number", unit="万元", required=True, additive=True,
          ytd_flow=True),
        C("tax_prior_ytd", "税收收入_上年同期", "number", unit="万元", additive=True),
        C("tax_yoy_pct", "增速", "number", unit="%", aliases=("税收收入_增速", "同比增长")),
    ),
))

PROJECT_TYPES = ("战略支撑型", "产业赋能型", "生活美好型")
PROJECT_LEVELS = ("省重大", "市重点", "区重点")

_register(Feed(
    feed_id="major_projects",
    name_zh="重大项目实施表",
    owner_dept="区发改局",
    source="department",
    calendar=DEPARTMENT_MONTHLY,
    ytd=True,
    key=("project_code",),
    # A project counts in the year it first appears in any earlier list (int_indicator_values,
    # fct_major_projects); the five-year totals add up earlier years.
    reads=('earlier_years',),
    columns=(
        C("project_code", "项目代码", required=True, identifier="project_code"),
        C("name", "项目名称", required=True),
        C("project_type", "项目类型", "enum", required=True, enum=PROJECT_TYPES),
        C("level", "项目级别", "enum", required=True, enum=PROJECT_LEVELS),
        C("is_qxwy", "是否千项万亿", "bool"),
        C("total_investment", "总投资", "number", unit="亿元", required=True),
        C("annual_plan_investment", "年度计划投资", "number", unit="亿元"),
        C("completed_ytd", "本年累计完成投资", "number", unit="亿元", required=True, ytd_flow=True),
        C("completed_since_start", "自开工累计完成投资", "number", unit="亿元"),
        C("start_month", "开工时间", "month"),
        C("planned_end_month", "计划竣工时间", "month"),
        C("status", "项目状态", "enum", enum=("前期", "在建", "竣工")),
        C("responsible_dept", "责任单位", required=True, department=True),
        C("street", "所在街道"),
    ),
))

_register(Feed(
    feed_id="innovation_zones",
    name_zh="现代服务业创新发展区",
    owner_dept="区发改局",
    source="department",
    calendar=DEPARTMENT_MONTHLY,
    ytd=True,
    key=("zone_name",),
    # Level targets: last year's year-end value (int_indicator_targets).
    reads=('previous_year_end',),
    columns=(
        C("zone_name", "发展区名称", required=True),
        C("level", "级别", "enum", required=True, enum=("省级", "市级")),
        C("status", "状态", "enum", required=True, enum=("培育", "创建", "命名")),
        C("is_high_tier", "高能级", "bool"),
        C("revenue_ytd", "营业收入_本年累计", "number", unit="亿元", ytd_flow=True),
        C("tax_ytd", "税收收入_本年累计", "number", unit="亿元", ytd_flow=True),
        C("enterprises", "入驻企业数", "integer", unit="家"),
    ),
))

INDUSTRIES_352 = (
    "现代商贸", "现代物流", "现代金融",
    "科技服务", "信息服务", "商务会展", "创意设计", "人力资源",
    "文化旅游", "健康服务",
)

_register(Feed(
    feed_id="enterprise_cultivation",
    name_zh="重点服务业企业培育清单",
    owner_dept="区发改局",
    source="department",
    calendar=DEPARTMENT_MONTHLY,
    ytd=False,
    key=("uscc",),
    # Exits and replacements against the list's previous snapshot (fct_enterprise_cultivation);
    # level targets from last year's year-end value (int_indicator_targets).
    reads=('previous_release', 'previous_year_end'),
    columns=(
        C("uscc", "统一社会信用代码", required=True, identifier="uscc"),
        C("name", "企业名称", required=True),
        C("tier", "培育层级", "enum", required=True, enum=("百亿级龙头", "领跑企业", "创新型市场主体")),
        C("industry_352", "所属产业", "enum", required=True, enum=INDUSTRIES_352),
        C("listed_month", "纳入时间", "month", required=True),
        C("status", "状态", "enum", required=True, enum=("在库", "调出", "替补")),
        C("is_eagle", "雄鹰行动", "bool"),
        C("is_pinzi", "品字标", "bool"),
        C("is_specialized", "专精特新", "bool"),
        C("time_honored", "老字号", "enum", enum=("中华", "浙江", "温州")),
        C("recommending_dept", "推荐单位", department=True),
    ),
))

_register(Feed(
    feed_id="talent_registry",
    name_zh="服务业紧缺领军人才清单",
    owner_dept="区委组织部",
    source="department",
    calendar=DEPARTMENT_MONTHLY,
    ytd=False,
    key=("id_number",),
    # Five-year totals add up every earlier year's year-end value (int_indicator_progress).
    reads=('year_ends',),
    columns=(
        C("name", "姓名", required=True, pii=True),
        C("id_number", "公民身份号码", required=True, identifier="ric", pii=True, aliases=("身份证号码", "身份证号")),
        C("phone", "手机号码", pii=True),
        C("category", "人才类别", "enum", required=True, enum=("服务业领军人才", "新生代企业家", "高技能人才")),
        C("industry_352", "领域", "enum", enum=INDUSTRIES_352),
        C("recognized_month", "认定时间", "month", required=True),
        C("employer_uscc", "工作单位统一社会信用代码", identifier="uscc"),
        C("status", "状态", "enum", enum=("在库", "调出")),
    ),
))

TRAINING_PROGRAMS = ("金蓝领", "社会人员职业培训", "成人学历提升", "家政培训", "新生代企业家培训", "其他")

_register(Feed(
    feed_id="training_records",
    name_zh="培训台账",
    owner_dept="区人社局",
    source="department",
    calendar=DEPARTMENT_MONTHLY,
    ytd=True,
    key=("reporting_dept", "program"),
    scope_field="reporting_dept",
    # Five-year totals (year ends); a department that reported earlier in the year and sent nothing
    # for P marks the sum 部分单位未报送 (INDICATORS.md, Completeness inside a value).
    reads=('earlier_in_year', 'year_ends'),
    columns=(
        C("program", "培训项目", "enum", required=True, enum=TRAINING_PROGRAMS),
        C("person_times_month", "本月人次", "number", unit="人次"),
        C("person_times_ytd", "本年累计人次", "number", unit="人次", required=True, ytd_flow=True),
        C("reporting_dept", "填报单位", required=True, department=True),
    ),
))

_register(Feed(
    feed_id="dept_task_progress",
    name_zh="重点任务进度",
    owner_dept="各责任单位",
    source="department",
    calendar=DEPARTMENT_MONTHLY,
    ytd=True,
    key=("reporting_dept", "indicator_id"),
    scope_field="reporting_dept",
    # The 重点任务攻坚表 shows the latest note of the year so far (fct_key_tasks).
    reads=('earlier_in_year',),
    columns=(
        C("indicator_id", "指标代码", required=True),
        C("indicator_name", "指标名称"),
        # Unit is the indicator registry's, per row; the reader converts from the 单位 column.
        C("value_ytd", "本年累计值", "number", required=True, aliases=("完成值",),
          unit_from=("unit", "indicator_id")),
        C("unit", "单位"),
        C("progress_note", "进展情况"),
        C("issues_note", "存在问题"),
        C("reporting_dept", "填报单位", required=True, department=True),
        C("reported_on", "填报日期", "date"),
    ),
))

_register(Feed(
    feed_id="supervision_items",
    name_zh="督导服务销号表",
    owner_dept="区发改局",
    source="department",
    calendar=DEPARTMENT_MONTHLY,
    ytd=False,
    key=("item_id",),
    columns=(
        C("item_id", "问题编号", required=True),
        C("responsible_dept", "责任单位", required=True, department=True),
        C("description", "问题描述", required=True),
        C("raised_on", "提出日期", "date", required=True),
        C("due_on", "整改期限", "date", required=True),
        C("closed_on", "销号日期", "date"),
        C("status", "状态", "enum", enum=("未销号", "已销号")),
    ),
))


# 年度目标任务分解: the kinds a row states, as written -> the indicator registry's kind.
TARGET_KINDS: tuple[tuple[str, str], ...] = (("累计", "cumulative"), ("节点", "milestone"), ("比率", "rate"))
# A task the year's list adds (not an indicator of the registry): T<year>-<number>.
NEW_TASK_CODE = r"^T\d{4}-\d{2}$"

_register(Feed(
    feed_id="annual_targets",
    name_zh="年度目标任务分解",
    # 专班综合组 (led by 区发改局: the alias table resolves it).
    owner_dept="专班综合组",
    source="department",
    calendar=YEARLY_BY_MARCH,
    # The plan itself (附件1) states 2023's targets; the 专班 issues a list from 2024 on.
    owed_from="2024-01",
    year_column="year",
    # Every month of a year reads that year's list (period YYYY-01); a task's name and unit come
    # from the latest list naming it, shown only in the years whose list names it.
    reads=('earlier_in_year',),
    ytd=False,
    key=("indicator_id",),
    description="The year's targets and tasks: one row per indicator or new task (TYYYY-NN); period YYYY-01.",
    columns=(
        # Text: the reader reads the year (2024, 2024年, 2024年度) as the file's period, or rejects it.
        C("year", "年度", required=True, aliases=("年份",)),
        C("indicator_id", "指标代码", required=True, aliases=("任务编号", "指标编号")),
        C("name", "指标名称", required=True, aliases=("任务名称",)),
        C("unit", "计量单位", required=True, aliases=("单位",)),
        C("kind", "类型", "enum", required=True, aliases=("指标类型",),
          enum=tuple(written for written, _ in TARGET_KINDS), codes=TARGET_KINDS),
        C("annual_target", "年度目标", "number", required=True, aliases=("目标值",)),
        C("responsible_dept", "责任单位", required=True, department=True),
        C("plan_ref", "规划条目", aliases=("对应条目",)),
    ),
))


def get_feed(feed_id: str) -> Feed:
    try:
        return FEEDS[feed_id]
    except KeyError:
        raise KeyError(f"unknown feed {feed_id!r}; known: {', '.join(FEEDS)}") from None


def derived_columns(feed: Feed) -> list[tuple[str, str]]:
    """(name, storage kind) of what landing adds to a feed's fields: the canonical name of each
    department column (`<field>_canonical`, NULL when the name does not resolve) and, for a feed
    with a resident ID number, the `person_key`."""
    derived = [(c.canonical_field, "text") for c in feed.department_columns]
    if feed.person_id_field:
        derived.append((PERSON_KEY, "text"))
    return derived


def raw_table_columns(feed: Feed) -> list[tuple[str, str]]:
    """(name, storage kind) of `raw.<feed_id>`: the feed's fields, the derived columns
    (`derived_columns`), then the lineage columns. `Warehouse.sql_type(kind)` gives the engine's
    DDL type."""
    return [(c.field, c.storage_kind) for c in feed.columns] + derived_columns(feed) + list(LINEAGE_COLUMNS)
