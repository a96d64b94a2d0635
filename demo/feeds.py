"""Builders of the demo files: one function per feed turns the demo world at a period
into the tables departments send (titles, units, headers, 合计 and notes as they
really lay them out)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from demo.programmes import (
    DEPT_WRITTEN,
    FAI_ROWS,
    LIST_FIRST_YEAR,
    TRAINING_UNITS,
    ZONES,
    CultivationEntry,
    ListedTarget,
    Project,
    SupervisionItem,
    Talent,
    build_annual_lists,
    build_cultivation,
    build_projects,
    build_supervision_register,
    build_talents,
    department_submission,
    employment_persons,
    fai_rates,
    on_time_submission,
    reporting_profiles,
    task_decimals,
    task_indicators,
    task_value_ytd,
    training_ytd,
    year_tasks,
    zone_figures,
)
from demo.tables import DemoTable, TableColumn, TableRow
from demo.world import (
    SECTION_NAMES,
    SECTION_ORDER,
    EnterpriseWorld,
    TaxWorld,
    division_figures,
    divisions_of,
    rng_for,
    split_period,
    yoy_pct,
)
from ingest import registry

COMPILERS = ("王晓敏", "陈建国", "林丽娟", "周志强", "黄雅琪", "郑博文")


@dataclass
class DemoWorld:
    """Everything the files are drawn from, built once per (seed, last year)."""

    seed: int
    last: str
    scale: int = 1  # enterprises per demo enterprise (the scale benchmark)
    enterprises: EnterpriseWorld = field(init=False)
    tax: TaxWorld = field(init=False)
    projects: list[Project] = field(init=False)
    cultivation: list[CultivationEntry] = field(init=False)
    talents: list[Talent] = field(init=False)
    supervision: list[SupervisionItem] = field(init=False)
    annual_lists: dict[int, list[ListedTarget]] = field(init=False)
    profiles: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        last_year = split_period(self.last)[0]
        self.enterprises = EnterpriseWorld(self.seed, last_year, self.scale)
        self.tax = TaxWorld(self.seed, self.enterprises)
        self.projects = build_projects(self.seed, last_year)
        self.cultivation = build_cultivation(self.seed, self.enterprises, last_year)
        self.talents = build_talents(self.seed, self.enterprises, last_year)
        self.supervision = build_supervision_register(self.seed, self.projects, self.last)
        self.annual_lists = build_annual_lists(self.projects, last_year)
        departments = set(task_indicators()) | {unit[0] for unit in TRAINING_UNITS}
        self.profiles = reporting_profiles(self.seed, sorted(departments))


def ytd_label(period: str) -> str:
    """`2023年1-6月`; a January file of a department feed is `2023年1月`."""
    year, month = split_period(period)
    return f"{year}年1月" if month == 1 else f"{year}年1-{month}月"


def _notes(world: DemoWorld, feed_id: str, extra: str = "") -> list[str]:
    """Note rows under the table; the writer adds the 填报日期 where the table is dated."""
    rng = rng_for(world.seed, "compiler", feed_id)
    compiler, reviewer = rng.sample(COMPILERS, 2)
    notes = [extra] if extra else []
    notes.append(f"填报人：{compiler}　　审核人：{reviewer}")
    return notes


def _industry_row(code: str, name: str, values: dict[str, float]) -> TableRow:
    row = {"industry_code": code, "industry_name": name, **values}
    return TableRow(row, is_total=code == "合计")


# --- 1 stats_services -------------------------------------------------------------------------
SERVICES_SUMMED = ("enterprise_count", "revenue_ytd", "revenue_prior_ytd", "operating_profit_ytd",
                   "payroll_ytd", "employees")


def industry_total(rows: list[dict[str, float]], fields: tuple[str, ...]) -> dict[str, float]:
    """Σ of child rows, rounded to the table's one decimal (counts stay integers)."""
    out: dict[str, float] = {}
    for f in fields:
        values = [r[f] for r in rows if r.get(f) is not None]
        total = sum(values)
        out[f] = int(total) if all(isinstance(v, int) for v in values) else round(total, 1)
    return out


def build_stats_services(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    figures = division_figures(world.enterprises, period)
    body: list[TableRow] = []
    section_values = []
    for section in SECTION_ORDER:
        children = []
        for div in divisions_of(section):
            f = figures[div.code]
            if f.enterprise_count == 0:
                continue  # a division without above-scale enterprises is not listed
            values = {"enterprise_count": f.enterprise_count, "revenue_ytd": f.revenue_ytd,
                      "revenue_prior_ytd": f.revenue_prior_ytd, "operating_profit_ytd": f.operating_profit_ytd,
                      "payroll_ytd": f.payroll_ytd, "employees": f.employees}
            values["revenue_yoy_pct"] = yoy_pct(f.revenue_ytd, f.revenue_prior_ytd)
            children.append(_industry_row(div.code, div.name, values))
        sec = industry_total([c.values for c in children], SERVICES_SUMMED)
        sec["revenue_yoy_pct"] = yoy_pct(sec["revenue_ytd"], sec["revenue_prior_ytd"])
        section_values.append(sec)
        body.append(_industry_row(section, SECTION_NAMES[section], sec))
        body.extend(children)
    total = industry_total(section_values, SERVICES_SUMMED)
    total["revenue_yoy_pct"] = yoy_pct(total["revenue_ytd"], total["revenue_prior_ytd"])
    columns = [
        TableColumn("industry_code", "行业代码", width=9),
        TableColumn("industry_name", "行业名称", width=30),
        TableColumn("enterprise_count", "企业数", decimals=0, width=8),
        TableColumn("revenue_ytd", "本年累计", "营业收入", 1, "万元"),
        TableColumn("revenue_prior_ytd", "上年同期", "营业收入", 1, "万元"),
        TableColumn("revenue_yoy_pct", "增速(%)", "营业收入", 1, width=9),
        TableColumn("operating_profit_ytd", "本年累计", "营业利润", 1, "万元"),
        TableColumn("payroll_ytd", "本年累计", "应付职工薪酬", 1, "万元"),
        TableColumn("employees", "期末用工人数（人）", decimals=0),
    ]
    name = (f"鹿城区规上服务业分行业主要指标{year}{month:02d}.xlsx" if month % 2 == 0
            else f"{year}年{month}月规上服务业分行业主要指标.xlsx")
    submitted = on_time_submission(world.seed, registry.get_feed("stats_services"), period)
    return [DemoTable(
        feed_id="stats_services", period=period, file_name=name, columns=columns,
        rows=[_industry_row("合计", "规上服务业合计", total), *body],
        sheet_name="分行业", title=f"鹿城区{ytd_label(period)}规上服务业分行业主要指标", unit_line="单位：万元",
        notes=_notes(world, "stats_services",
                     "注：统计范围为规模以上服务业法人单位；增速按可比口径（上年同期）计算。"),
        submitted_on=submitted, dated_notes=True)]


# --- 2 stats_enterprises ------------------------------------------------------------------
ENTERPRISE_SUMMED = ("revenue_ytd", "revenue_prior_ytd", "payroll_ytd", "employees")


def enterprise_total_row(rows: list[TableRow]) -> TableRow:
    data = [r.values for r in rows if not r.is_total]
    values: dict[str, object] = {"uscc": "合计"}
    for f in ENTERPRISE_SUMMED:
        values[f] = sum(v[f] for v in data if v.get(f) is not None)
    return TableRow(values, is_total=True)


def build_stats_enterprises(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    ents = sorted(world.enterprises.in_scope(period), key=lambda e: (e.class_code, e.uscc))
    rows = [TableRow({
        "uscc": e.uscc, "name": e.name, "industry_code": e.class_code, "street": e.street,
        "entered_scope_month": e.entered.replace("-", ""),
        "revenue_ytd": e.revenue_ytd(year, month), "revenue_prior_ytd": e.revenue_ytd(year - 1, month),
        "payroll_ytd": e.payroll_ytd(year, month), "employees": e.employees[year][month - 1],
    }) for e in ents]
    columns = [
        TableColumn("uscc", "统一社会信用代码", width=22),
        TableColumn("name", "单位详细名称", width=36),
        TableColumn("industry_code", "行业代码", width=9),
        TableColumn("street", "所在街道", width=11),
        TableColumn("entered_scope_month", "入库年月", width=9),
        TableColumn("revenue_ytd", f"1-{month}月", "营业收入", 0, "千元"),
        TableColumn("revenue_prior_ytd", "上年同期", "营业收入", 0, "千元"),
        TableColumn("payroll_ytd", "本年累计", "应付职工薪酬", 0, "千元"),
        TableColumn("employees", "期末用工人数", decimals=0),
    ]
    submitted = on_time_submission(world.seed, registry.get_feed("stats_enterprises"), period)
    return [DemoTable(
        feed_id="stats_enterprises", period=period, file_name=f"规上服务业企业主要指标_{year}-{month:02d}.xlsx",
        columns=columns, rows=[enterprise_total_row(rows), *rows], sheet_name="规上服务业企业主要指标",
        title=f"鹿城区{ytd_label(period)}规上服务业企业主要指标", unit_line="单位：千元",
        notes=_notes(world, "stats_enterprises"), submitted_on=submitted, dated_notes=True)]


# --- 3 stats_fai, 4 stats_employment --------------------------------------------------------
def build_stats_fai(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    rates = fai_rates(world.seed, period)
    rows = [TableRow({"indicator": name, "yoy_pct": rates[name][0], "share_pct": rates[name][1]})
            for name in FAI_ROWS]
    columns = [TableColumn("indicator", "指标名称", width=20), TableColumn("yoy_pct", "增速(%)", decimals=1),
               TableColumn("share_pct", "占固定资产投资比重(%)", decimals=1, width=16)]
    submitted = on_time_submission(world.seed, registry.get_feed("stats_fai"), period)
    return [DemoTable(
        feed_id="stats_fai", period=period, file_name=f"固定资产投资{year}{month:02d}.xlsx", columns=columns,
        rows=rows, title=f"鹿城区{ytd_label(period)}固定资产投资主要指标", unit_line="单位：%",
        notes=_notes(world, "stats_fai", "注：服务业投资即第三产业投资。"),
        submitted_on=submitted, dated_notes=True)]


def build_stats_employment(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    persons = employment_persons(world.seed, period)
    rows = [TableRow({"indicator": k, "persons": v}) for k, v in persons.items()]
    columns = [TableColumn("indicator", "指标名称", width=20), TableColumn("persons", "数值", decimals=2, file_unit="万人")]
    when = f"{year}年上半年" if month == 6 else f"{year}年{month}月末"
    submitted = on_time_submission(world.seed, registry.get_feed("stats_employment"), period)
    return [DemoTable(
        feed_id="stats_employment", period=period, file_name=f"鹿城区从业人员季报{year}年{month}月.xlsx",
        columns=columns, rows=rows, title=f"鹿城区{when}从业人员情况", unit_line="单位：万人",
        notes=_notes(world, "stats_employment"), submitted_on=submitted, dated_notes=True)]


# --- 5 tax_revenue (GB18030 CSV) ----------------------------------------------------------
def build_tax_revenue(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    body: list[TableRow] = []
    sections = []
    for section in SECTION_ORDER:
        children = []
        for div in divisions_of(section):
            tax = world.tax.tax_ytd(div.code, year, month)
            prior = world.tax.tax_ytd(div.code, year - 1, month)
            if not tax and not prior:
                continue
            children.append({"industry_code": div.code, "industry_name": div.name, "tax_ytd": tax,
                             "tax_prior_ytd": prior, "tax_yoy_pct": yoy_pct(tax, prior)})
        sec = industry_total(children, ("tax_ytd", "tax_prior_ytd"))
        sec["tax_yoy_pct"] = yoy_pct(sec["tax_ytd"], sec["tax_prior_ytd"])
        sections.append(sec)
        body.append(TableRow({"industry_code": section, "industry_name": SECTION_NAMES[section], **sec}))
        body.extend(TableRow(c) for c in children)
    total = industry_total(sections, ("tax_ytd", "tax_prior_ytd"))
    total["tax_yoy_pct"] = yoy_pct(total["tax_ytd"], total["tax_prior_ytd"])
    label = f"{year}-{month:02d}"
    rows = [TableRow({"industry_code": "合计", "industry_name": "服务业合计", **total}, is_total=True), *body]
    for r in rows:
        r.values["_period"] = label
    columns = [
        TableColumn("_period", "报告期"), TableColumn("industry_code", "行业代码"),
        TableColumn("industry_name", "行业名称"),
        TableColumn("tax_ytd", "本年累计（万元）", "税收收入", 1, "万元"),
        TableColumn("tax_prior_ytd", "上年同期（万元）", "税收收入", 1, "万元"),
        TableColumn("tax_yoy_pct", "增速(%)", decimals=1),
    ]
    return [DemoTable(
        feed_id="tax_revenue", period=period, file_name=f"分行业税收收入_{year}{month:02d}.csv", columns=columns,
        rows=rows, file_format="csv",
        submitted_on=on_time_submission(world.seed, registry.get_feed("tax_revenue"), period))]


# --- 6 major_projects ------------------------------------------------------------------------
PROJECT_SUMMED = ("total_investment", "annual_plan_investment", "completed_ytd", "completed_since_start")


def project_total_row(rows: list[TableRow]) -> TableRow:
    data = [r.values for r in rows if not r.is_total]
    values: dict[str, object] = {"_seq": "合计"}
    for f in PROJECT_SUMMED:
        values[f] = round(sum(v[f] for v in data if v.get(f) is not None), 2)
    return TableRow(values, is_total=True)


def build_major_projects(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    rows = []
    for p in world.projects:
        if not p.listed(year):
            continue
        rows.append(TableRow({
            "_seq": len(rows) + 1, "project_code": p.code, "name": p.name, "project_type": p.project_type,
            "level": p.level, "is_qxwy": p.is_qxwy, "total_investment": p.total_investment,
            "annual_plan_investment": p.plan.get(year), "completed_ytd": p.completed_ytd(year, month),
            "completed_since_start": p.completed_since_start(year, month),
            "start_month": p.start.replace("-", "."), "planned_end_month": p.planned_end.replace("-", "."),
            "status": p.status(period), "responsible_dept": p.responsible_dept, "street": p.street,
        }))
    columns = [
        TableColumn("_seq", "序号", width=6), TableColumn("project_code", "项目代码", width=26),
        TableColumn("name", "项目名称", width=30), TableColumn("project_type", "项目类型"),
        TableColumn("level", "项目级别", width=9), TableColumn("is_qxwy", "是否千项万亿", width=9),
        TableColumn("total_investment", "总投资", decimals=2, file_unit="亿元"),
        TableColumn("annual_plan_investment", "年度计划投资", decimals=2, file_unit="亿元"),
        TableColumn("completed_ytd", "本年累计完成投资", decimals=2, file_unit="亿元"),
        TableColumn("completed_since_start", "自开工累计完成投资", decimals=2, file_unit="亿元"),
        TableColumn("start_month", "开工时间", width=9), TableColumn("planned_end_month", "计划竣工时间", width=9),
        TableColumn("status", "项目状态", width=9), TableColumn("responsible_dept", "责任单位", width=18),
        TableColumn("street", "所在街道", width=11),
    ]
    submitted = on_time_submission(world.seed, registry.get_feed("major_projects"), period)
    return [DemoTable(
        feed_id="major_projects", period=period, file_name=f"{year}年{month}月重大项目实施表.xlsx",
        columns=columns, rows=[*rows, project_total_row(rows)], sheet_name="重大项目实施表",
        title=f"鹿城区{ytd_label(period)}服务业重大项目实施表", unit_line="单位：亿元",
        extra_sheets_before={"填报说明": [
            "1. 项目代码填写全国投资项目在线审批监管平台赋码。",
            "2. 本年累计完成投资填写1月至本月累计数，单位亿元。",
            "3. 每月5日前报区发改局（专班综合组）。"]},
        notes=_notes(world, "major_projects"), submitted_on=submitted, dated_notes=True)]


# --- 7 innovation_zones (written in 万元; the registry keeps 亿元) ------------------------------
def build_innovation_zones(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    rows = []
    for zone in ZONES:
        if zone.appears > period:
            continue
        revenue, tax, enterprises = zone_figures(world.seed, zone, period)
        rows.append(TableRow({
            "_seq": len(rows) + 1, "zone_name": zone.name, "level": zone.level, "status": zone.status(period),
            "is_high_tier": False, "revenue_ytd": round(revenue * 1e4, 1), "tax_ytd": round(tax * 1e4, 1),
            "enterprises": enterprises}))
    total = {"_seq": "合计", "revenue_ytd": round(sum(r.values["revenue_ytd"] for r in rows), 1),
             "tax_ytd": round(sum(r.values["tax_ytd"] for r in rows), 1),
             "enterprises": sum(r.values["enterprises"] for r in rows)}
    columns = [
        TableColumn("_seq", "序号", width=6), TableColumn("zone_name", "发展区名称", width=34),
        TableColumn("level", "级别", width=7), TableColumn("status", "状态", width=7),
        TableColumn("is_high_tier", "高能级", width=7),
        TableColumn("revenue_ytd", "本年累计", "营业收入", 1, "万元", width=14),
        TableColumn("tax_ytd", "本年累计", "税收收入", 1, "万元"),
        TableColumn("enterprises", "入驻企业数（家）", decimals=0),
    ]
    submitted = on_time_submission(world.seed, registry.get_feed("innovation_zones"), period)
    return [DemoTable(
        feed_id="innovation_zones", period=period, file_name=f"现代服务业创新发展区{year}-{month:02d}.xlsx",
        columns=columns, rows=[*rows, TableRow(total, is_total=True)],
        title=f"鹿城区现代服务业创新发展区{ytd_label(period)}主要指标", unit_line="单位：万元",
        notes=_notes(world, "innovation_zones"), submitted_on=submitted, dated_notes=True)]


# --- 8 enterprise_cultivation, 9 talent_registry (monthly snapshots) --------------------------
def build_enterprise_cultivation(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    rows = []
    for e in world.cultivation:
        if e.listed > period:
            continue
        rows.append(TableRow({
            "_seq": len(rows) + 1, "uscc": e.uscc, "name": e.name, "tier": e.tier, "industry_352": e.industry_352,
            "listed_month": e.listed, "status": e.status(period), "is_eagle": e.is_eagle, "is_pinzi": e.is_pinzi,
            "is_specialized": e.is_specialized, "time_honored": e.time_honored,
            "recommending_dept": e.recommending_dept}))
    columns = [
        TableColumn("_seq", "序号", width=6), TableColumn("uscc", "统一社会信用代码", width=22),
        TableColumn("name", "企业名称", width=34), TableColumn("tier", "培育层级", width=14),
        TableColumn("industry_352", "所属产业"), TableColumn("listed_month", "纳入时间", width=9),
        TableColumn("status", "状态", width=7), TableColumn("is_eagle", "雄鹰行动", width=8),
        TableColumn("is_pinzi", "品字标", width=8), TableColumn("is_specialized", "专精特新", width=8),
        TableColumn("time_honored", "老字号", width=8), TableColumn("recommending_dept", "推荐单位"),
    ]
    submitted = on_time_submission(world.seed, registry.get_feed("enterprise_cultivation"), period)
    return [DemoTable(
        feed_id="enterprise_cultivation", period=period,
        file_name=f"重点服务业企业培育清单（{year}年{month}月）.xlsx", columns=columns, rows=rows,
        title=f"鹿城区重点服务业企业培育清单（{year}年{month}月）",
        notes=_notes(world, "enterprise_cultivation"), submitted_on=submitted, dated_notes=True)]


def build_talent_registry(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    rows = []
    for t in world.talents:
        if t.recognized > period:
            continue
        ry, rm = split_period(t.recognized)
        rows.append(TableRow({
            "_seq": len(rows) + 1, "name": t.name, "id_number": t.id_number, "phone": t.phone,
            "category": t.category, "industry_352": t.industry_352, "recognized_month": f"{ry}年{rm}月",
            "employer_uscc": t.employer_uscc, "status": t.status(period)}))
    columns = [
        TableColumn("_seq", "序号", width=6), TableColumn("name", "姓名", width=9),
        TableColumn("id_number", "公民身份号码", width=21), TableColumn("phone", "手机号码", width=13),
        TableColumn("category", "人才类别", width=14), TableColumn("industry_352", "领域"),
        TableColumn("recognized_month", "认定时间", width=11),
        TableColumn("employer_uscc", "工作单位统一社会信用代码", width=22), TableColumn("status", "状态", width=7),
    ]
    submitted = on_time_submission(world.seed, registry.get_feed("talent_registry"), period)
    return [DemoTable(
        feed_id="talent_registry", period=period, file_name=f"服务业紧缺领军人才清单{year}{month:02d}.xlsx",
        columns=columns, rows=rows, sheet_name="人才清单",
        title=f"鹿城区服务业紧缺领军人才清单（{year}年{month}月）",
        notes=_notes(world, "talent_registry", "注：本表含个人信息，严禁外传。"),
        submitted_on=submitted, dated_notes=True)]


# --- 10 training_records, 11 dept_task_progress (one file per department) ---------------------
def _written_name(world: DemoWorld, dept: str, period: str, choices: tuple[str, ...] | None = None) -> str:
    options = choices or DEPT_WRITTEN.get(dept, (dept,))
    return rng_for(world.seed, "written", dept, period).choice(options)


def build_training_records(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    feed = registry.get_feed("training_records")
    tables = []
    for dept, names, programs in TRAINING_UNITS:
        submitted = department_submission(world.seed, feed, dept, world.profiles[dept], period)
        written = _written_name(world, dept, period, names)
        rows = []
        for program, yearly in programs:
            ytd = training_ytd(world.seed, dept, program, yearly, year)
            month_value = ytd[month - 1] - (ytd[month - 2] if month > 1 else 0)
            rows.append(TableRow({"reporting_dept": written, "_period": f"{year}年{month}月", "program": program,
                                  "person_times_month": month_value, "person_times_ytd": ytd[month - 1]}))
        columns = [TableColumn("reporting_dept", "填报单位"), TableColumn("_period", "报告期"),
                   TableColumn("program", "培训项目"), TableColumn("person_times_month", "本月人次", decimals=0),
                   TableColumn("person_times_ytd", "本年累计人次", decimals=0)]
        tables.append(DemoTable(
            feed_id="training_records", period=period, file_name=f"{written}培训台账{year}年{month}月.csv",
            columns=columns, rows=rows, scope=dept, scope_as_written=written, file_format="csv",
            submitted_on=submitted))
    return tables


def _progress_notes(task: dict, value: float, year: int, month: int) -> tuple[str, str | None]:
    target = float(task["target"] or 0)
    unit = task["unit"]
    if task["kind"] == "rate" or not target:  # no annual target to measure against
        return (f"当前{value:g}{unit}" if task["kind"] == "rate" else f"已完成{value:g}{unit}"), None
    pct = value / target * 100
    behind = pct < month / 12 * 100 - 10 if task["kind"] == "cumulative" else (value < target and month >= 10)
    issue = "受项目推进节奏影响，进度滞后于时间进度，下月加快推进" if behind else None
    return f"已完成{value:g}{unit}，完成年度目标的{pct:.1f}%", issue


def build_dept_task_progress(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    feed = registry.get_feed("dept_task_progress")
    tables = []
    # 附件1's tasks in 2023, the year's list (年度目标任务分解) after: each department its own.
    for dept, tasks in sorted(year_tasks(world.annual_lists, year).items()):
        submitted = department_submission(world.seed, feed, dept, world.profiles[dept], period)
        written = _written_name(world, dept, period)
        rows = []
        for task in tasks:
            value = task_value_ytd(world.seed, task, year, month)
            progress, issue = _progress_notes(task, value, year, month)
            rows.append(TableRow({
                "_seq": len(rows) + 1, "indicator_id": task["indicator_id"], "indicator_name": task["indicator_name"],
                "value_ytd": value if task_decimals(task) else int(value), "unit": task["unit"],
                "progress_note": progress, "issues_note": issue, "reporting_dept": written,
                "reported_on": submitted}))
        columns = [
            TableColumn("_seq", "序号", width=6), TableColumn("indicator_id", "指标代码", width=24),
            TableColumn("indicator_name", "指标名称", width=36), TableColumn("value_ytd", "本年累计值"),
            TableColumn("unit", "单位", width=8), TableColumn("progress_note", "进展情况", width=36),
            TableColumn("issues_note", "存在问题", width=30), TableColumn("reporting_dept", "填报单位", width=16),
            TableColumn("reported_on", "填报日期"),
        ]
        tables.append(DemoTable(
            feed_id="dept_task_progress", period=period, file_name=f"{written}重点任务进度{year}{month:02d}.xlsx",
            columns=columns, rows=rows, scope=dept, scope_as_written=written, sheet_name="重点任务进度",
            title=f"鹿城区服务业“十百千”重点任务进度表（{year}年{month}月）",
            notes=_notes(world, f"dept_task_progress|{dept}"), submitted_on=submitted))
    return tables


# --- 12 supervision_items (GB18030 CSV, period in the file name) ------------------------------
def build_supervision_items(world: DemoWorld, period: str) -> list[DemoTable]:
    year, month = split_period(period)
    month_end = registry.month_end(period)
    rows = []
    for item in world.supervision:
        if item.raised_on > month_end:
            continue
        closed = item.closed_on if item.closed_on and item.closed_on <= month_end else None
        rows.append(TableRow({
            "item_id": item.item_id, "responsible_dept": item.responsible_dept, "description": item.description,
            "raised_on": item.raised_on, "due_on": item.due_on, "closed_on": closed,
            "status": "已销号" if closed else "未销号"}))
    columns = [TableColumn("item_id", "问题编号"), TableColumn("responsible_dept", "责任单位"),
               TableColumn("description", "问题描述"), TableColumn("raised_on", "提出日期"),
               TableColumn("due_on", "整改期限"), TableColumn("closed_on", "销号日期"), TableColumn("status", "状态")]
    return [DemoTable(
        feed_id="supervision_items", period=period, file_name=f"督导服务销号表_{year}-{month:02d}.csv",
        columns=columns, rows=rows, file_format="csv",
        submitted_on=on_time_submission(world.seed, registry.get_feed("supervision_items"), period))]


# --- 13 annual_targets (the 专班's list of the year, from 2024; period YYYY-01) -----------------
KIND_WRITTEN = {code: written for written, code in registry.TARGET_KINDS}


def build_annual_targets(world: DemoWorld, period: str) -> list[DemoTable]:
    year, _ = split_period(period)
    listed = world.annual_lists.get(year)
    if not listed:
        return []
    rows = [TableRow({
        "_seq": i, "year": str(year), "indicator_id": t.indicator_id, "name": t.name, "unit": t.unit,
        "kind": KIND_WRITTEN[t.kind], "annual_target": t.target, "responsible_dept": "、".join(t.departments),
        "plan_ref": t.plan_ref,
    }) for i, t in enumerate(listed, start=1)]
    columns = [
        TableColumn("_seq", "序号", width=6), TableColumn("year", "年度", width=7),
        TableColumn("indicator_id", "指标代码", width=26), TableColumn("name", "指标名称", width=36),
        TableColumn("unit", "计量单位", width=8), TableColumn("kind", "类型", width=7),
        TableColumn("annual_target", "年度目标", width=11), TableColumn("responsible_dept", "责任单位", width=26),
        TableColumn("plan_ref", "规划条目", width=24),
    ]
    # Issued in February, before the 31 March due date.
    rng = rng_for(world.seed, "annual_targets", year)
    submitted = dt.date(year, 2, 16) + dt.timedelta(days=rng.randint(0, 10))
    name = f"{year}年度服务业“十百千”工程目标任务分解"
    return [DemoTable(
        feed_id="annual_targets", period=period, file_name=f"{name}.xlsx", columns=columns, rows=rows,
        sheet_name="年度目标任务分解", title=f"鹿城区{name}",
        notes=_notes(world, "annual_targets", f"注：{LIST_FIRST_YEAR}年起每年印发；新增任务编号为T年份-序号，"
                                              "责任单位列首位为牵头单位。"),
        submitted_on=submitted, dated_notes=True)]


BUILDERS: dict[str, Callable[[DemoWorld, str], list[DemoTable]]] = {
    "stats_services": build_stats_services,
    "stats_enterprises": build_stats_enterprises,
    "stats_fai": build_stats_fai,
    "stats_employment": build_stats_employment,
    "tax_revenue": build_tax_revenue,
    "major_projects": build_major_projects,
    "innovation_zones": build_innovation_zones,
    "enterprise_cultivation": build_enterprise_cultivation,
    "talent_registry": build_talent_registry,
    "training_records": build_training_records,
    "dept_task_progress": build_dept_task_progress,
    "supervision_items": build_supervision_items,
    "annual_targets": build_annual_targets,
}
