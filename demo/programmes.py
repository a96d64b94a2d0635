"""The programme side of the demo world: projects, zones, the cultivation list, talents,
training, department tasks, supervision items, investment rates, employment and who
reports when. Deterministic per seed; random streams keyed by topic and year."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from demo.world import (
    DIVISION_BY_CODE,
    FIRST_YEAR,
    REVENUE_SEASON,
    Enterprise,
    EnterpriseWorld,
    cumulative_shares,
    make_id_number,
    make_project_code,
    make_uscc,
    period_of,
    rng_for,
    split_period,
)
from ingest import reference, registry

# --- major projects ----------------------------------------------------------------------
PROVINCIAL_TOTAL_2023 = 139.5  # 附件1 第4项: 4 projects, 139.5 亿元
PROVINCIAL_PLAN_2023_MIN = 9.9


@dataclass
class Project:
    code: str
    name: str
    project_type: str
    level: str
    is_qxwy: bool
    total_investment: float  # 亿元
    first_year: int  # the year it first appears in the list
    start: str  # 开工时间
    planned_end: str
    completed_month: str | None  # actual completion (竣工) month, None = beyond the horizon
    responsible_dept: str  # as written in the table
    street: str
    completed_before: float  # 亿元 completed before first_year
    plan: dict[int, float]
    performance: dict[int, float]

    def listed(self, year: int) -> bool:
        done_year = int(self.completed_month[:4]) if self.completed_month else 9999
        return self.first_year <= year <= done_year

    def _active_months(self, year: int) -> list[int]:
        first = 1 if self.start < period_of(year, 1) else split_period(self.start)[1]
        if self.start > period_of(year, 12):
            return []
        last = 12
        if self.completed_month and self.completed_month <= period_of(year, 12):
            last = split_period(self.completed_month)[1]
        return list(range(first, last + 1))

    def completed_ytd(self, year: int, month: int) -> float:
        months = self._active_months(year)
        if not months or month < months[0]:
            return 0.0
        weights = [REVENUE_SEASON[m - 1] for m in months]
        shares = cumulative_shares(weights)
        done = [s for m, s in zip(months, shares, strict=True) if m <= month]
        annual = self.plan.get(year, 0.0) * self.performance.get(year, 1.0)
        return round(annual * done[-1], 2)

    def completed_since_start(self, year: int, month: int) -> float:
        before = self.completed_before + sum(self.completed_ytd(y, 12) for y in range(self.first_year, year))
        return round(min(self.total_investment, before + self.completed_ytd(year, month)), 2)

    def status(self, period: str) -> str:
        if period < self.start:
            return "前期"
        if self.completed_month and period >= self.completed_month:
            return "竣工"
        return "在建"


# (name, type, level, qxwy, division, dept as written, street, first_year, start, planned_end, done)
_PROJECT_CATALOGUE = (
    ("温州西部多式联运中心码头工程", "战略支撑型", "省重大", True, "55", "区交通运输局", "双屿街道",
     2023, "2023-03", "2026-12", None),
    ("鹿城数字经济产业园（一期）", "产业赋能型", "省重大", True, "65", "区经信局", "南汇街道",
     2023, "2022-06", "2025-06", None),
    ("温州现代金融集聚区总部大楼", "产业赋能型", "省重大", False, "72", "区发改局", "滨江街道",
     2023, "2021-10", "2024-12", "2024-12"),
    ("鹿城区医养结合康养中心", "生活美好型", "省重大", False, "85", "区卫生健康局", "仰义街道",
     2023, "2021-05", "2023-12", "2023-12"),
    ("五马历史文化街区提升改造工程", "生活美好型", "市重点", True, "88", "区文广旅体局", "五马街道",
     2023, "2022-09", "2024-09", "2024-09"),
    ("鹿城冷链物流中心", "产业赋能型", "市重点", False, "59", "区商务局", "藤桥镇",
     2023, "2023-05", "2025-12", None),
    ("江心屿景区服务设施提升工程", "生活美好型", "区重点", False, "78", "区文化和广电旅游体育局", "广化街道",
     2023, "2023-02", "2024-06", "2024-06"),
    ("温州鹿城人力资源服务产业园", "产业赋能型", "省重大", True, "72", "区人社局", "蒲鞋市街道",
     2024, "2024-03", "2026-06", None),
    ("鹿城区全民健身中心", "生活美好型", "市重点", False, "89", "区文广旅体局", "南郊街道",
     2024, "2024-04", "2025-12", None),
    ("七都岛科创服务中心", "战略支撑型", "市重点", False, "75", "区科技局", "七都街道",
     2024, "2024-02", "2026-12", None),
    ("双屿智慧物流园", "产业赋能型", "区重点", False, "58", "区发改局", "双屿街道",
     2024, "2024-07", "2026-06", None),
)


def _provincial_2023_totals(rng: random.Random) -> list[float]:
    """Four totals in 0.1 亿元 that add up to exactly 139.5."""
    while True:
        a, b, c = rng.randint(420, 550), rng.randint(280, 400), rng.randint(220, 320)
        d = round(PROVINCIAL_TOTAL_2023 * 10) - a - b - c
        if 150 <= d <= 400:
            return [a / 10, b / 10, c / 10, d / 10]


def build_projects(seed: int, last_year: int) -> list[Project]:
    rng = rng_for(seed, "projects")
    totals = _provincial_2023_totals(rng)
    projects: list[Project] = []
    for i, (name, ptype, level, qxwy, div, dept, street, first_year, start, end, done) in enumerate(
        _PROJECT_CATALOGUE
    ):
        if first_year > last_year:
            continue
        total = totals[i] if i < 4 else round(rng.uniform(6, 30), 1)
        code_year = int(start[:4]) - (1 if rng.random() < 0.5 else 0)
        started_months = max(0, (first_year - int(start[:4])) * 12 - int(start[5:]) + 1)
        completed_before = round(min(total * 0.6, total * started_months * rng.uniform(0.008, 0.015)), 2)
        projects.append(Project(
            code=make_project_code(rng, code_year, div), name=name, project_type=ptype, level=level,
            is_qxwy=qxwy, total_investment=total, first_year=first_year, start=start, planned_end=end,
            completed_month=done, responsible_dept=dept, street=street, completed_before=completed_before,
            plan={}, performance={},
        ))
    for year in range(FIRST_YEAR, last_year + 1):
        yr = rng_for(seed, "project-plans", year)
        for p in projects:
            if not p.listed(year):
                continue
            remaining = p.total_investment - p.completed_before - sum(p.plan.values())
            p.plan[year] = round(max(0.3, min(remaining * 0.6, p.total_investment * yr.uniform(0.07, 0.16))), 2)
            p.performance[year] = yr.uniform(0.93, 1.12) if yr.random() < 0.8 else yr.uniform(0.7, 0.9)
        if year == FIRST_YEAR:
            _fit_provincial_plan(projects, yr)
    return projects


def _fit_provincial_plan(projects: list[Project], rng: random.Random) -> None:
    """附件1: the four provincial projects plan more than 9.9 亿元 in 2023."""
    provincial = [p for p in projects if p.level == "省重大" and p.first_year == FIRST_YEAR]
    target = round(PROVINCIAL_PLAN_2023_MIN + rng.uniform(0.1, 0.8), 2)
    scale = target / sum(p.plan[FIRST_YEAR] for p in provincial)
    for p in provincial:
        p.plan[FIRST_YEAR] = round(p.plan[FIRST_YEAR] * scale, 2)
        p.performance[FIRST_YEAR] = max(p.performance[FIRST_YEAR], 0.95)
    provincial[-1].plan[FIRST_YEAR] = round(
        target - sum(p.plan[FIRST_YEAR] for p in provincial[:-1]), 2)


# --- innovation zones ---------------------------------------------------------------------
@dataclass
class Zone:
    name: str
    level: str
    appears: str
    statuses: tuple[tuple[str, str], ...]  # (from period, status), ascending
    revenue_2023: float  # 亿元 a year
    tax_rate: float
    enterprises_2023: int

    def status(self, period: str) -> str:
        current = self.statuses[0][1]
        for since, status in self.statuses:
            if period >= since:
                current = status
        return current


ZONES = (
    Zone("温州（鹿城）现代金融创新发展区", "省级", "2023-01",
         (("2023-01", "培育"), ("2023-06", "创建"), ("2024-11", "命名")), 238.0, 0.042, 1150),
    Zone("鹿城五马—江心屿文旅商贸创新发展区", "市级", "2023-04",
         (("2023-04", "培育"), ("2024-05", "创建")), 38.0, 0.035, 320),
    Zone("鹿城现代物流创新发展区", "市级", "2024-03", (("2024-03", "培育"),), 55.0, 0.028, 210),
)


def zone_figures(seed: int, zone: Zone, period: str) -> tuple[float, float, int]:
    """(revenue_ytd 亿元, tax_ytd 亿元, enterprises) of a zone at a period."""
    year, month = split_period(period)
    rng = rng_for(seed, "zone", zone.name, year)
    growth = 1 + (year - FIRST_YEAR) * 0.09
    annual = zone.revenue_2023 * growth * rng.uniform(0.95, 1.08)
    shares = cumulative_shares([w * rng.uniform(0.9, 1.1) for w in REVENUE_SEASON])
    revenue = annual * shares[month - 1]
    tax = revenue * zone.tax_rate * rng.uniform(0.95, 1.05)
    months_since = (year - FIRST_YEAR) * 12 + month
    enterprises = round(zone.enterprises_2023 * (1 + 0.006 * months_since))
    return revenue, tax, enterprises


# --- enterprise cultivation list -----------------------------------------------------------
@dataclass
class CultivationEntry:
    uscc: str
    name: str
    tier: str
    industry_352: str
    listed: str
    removed: str | None
    is_replacement: bool
    is_eagle: bool
    is_pinzi: bool
    is_specialized: bool
    time_honored: str | None
    recommending_dept: str

    def status(self, period: str) -> str:
        if self.removed and period >= self.removed:
            return "调出"
        return "替补" if self.is_replacement else "在库"


_RECOMMENDERS = {"信息服务": "区经信局", "创意设计": "区经信局", "现代商贸": "区商务局", "现代物流": "区商务局",
                 "商务会展": "区商务局", "现代金融": "区发改局", "科技服务": "区发改局",
                 "健康服务": "区市场监管局", "文化旅游": "区市场监管局", "人力资源": "区发改局"}


def build_cultivation(seed: int, world: EnterpriseWorld, last_year: int) -> list[CultivationEntry]:
    entries: list[CultivationEntry] = []
    taken: set[str] = set()

    def pick(rng: random.Random, period: str, tier: str) -> Enterprise:
        year = split_period(period)[0]
        # listed firms belong to one of the ten 352 industries
        pool = [e for e in world.in_scope(period)
                if e.uscc not in taken and DIVISION_BY_CODE[e.division].industry_352]
        pool.sort(key=lambda e: (-e.revenue[year], e.uscc))
        if tier == "百亿级龙头":  # the biggest logistics, IT or business-services firm
            ent = next(e for e in pool if e.section in ("G", "I", "L"))
        elif tier == "领跑企业":
            ent = pool[rng.randrange(0, 8)]
        else:
            ent = rng.choice(pool[20:])
        taken.add(ent.uscc)
        return ent

    def add(rng: random.Random, period: str, tier: str, replacement: bool = False) -> CultivationEntry:
        ent = pick(rng, period, tier)
        industry = DIVISION_BY_CODE[ent.division].industry_352
        entry = CultivationEntry(
            uscc=ent.uscc, name=ent.name, tier=tier, industry_352=industry, listed=period, removed=None,
            is_replacement=replacement, is_eagle=tier != "创新型市场主体" and rng.random() < 0.6,
            is_pinzi=rng.random() < 0.3, is_specialized=tier == "创新型市场主体" and rng.random() < 0.5,
            time_honored=None, recommending_dept=_RECOMMENDERS[industry])
        entries.append(entry)
        return entry

    rng = rng_for(seed, "cultivation", FIRST_YEAR)
    for _ in range(4):
        add(rng, "2023-01", "领跑企业")
    for _ in range(5):
        add(rng, "2023-01", "创新型市场主体")
    # Two listed firms outside the services statistics (finance, trade): own codes.
    for name, industry, honored in (("温州鹿城瓯信金融服务有限公司", "现代金融", None),
                                    ("温州五马老字号商贸有限公司", "现代商贸", "浙江")):
        entries.append(CultivationEntry(
            uscc=make_uscc(rng, new_style=False), name=name, tier="创新型市场主体", industry_352=industry,
            listed="2023-01", removed=None, is_replacement=False, is_eagle=False, is_pinzi=True,
            is_specialized=False, time_honored=honored, recommending_dept=_RECOMMENDERS[industry]))
    add(rng, "2023-06", "领跑企业")
    entries[5].removed = "2023-09"
    add(rng, "2023-09", "创新型市场主体", replacement=True)
    for year in range(FIRST_YEAR + 1, last_year + 1):
        rng = rng_for(seed, "cultivation", year)
        if year == FIRST_YEAR + 1:
            add(rng, period_of(year, 1), "百亿级龙头")
        for _ in range(2):
            add(rng, period_of(year, 1), "领跑企业")
            add(rng, period_of(year, 1), "创新型市场主体")
        active = [e for e in entries if e.removed is None and e.tier == "领跑企业"]
        rng.choice(active).removed = period_of(year, 7)
        add(rng, period_of(year, 7), "领跑企业", replacement=True)
    return entries


# --- talents -----------------------------------------------------------------------------
_SURNAMES = "王李张陈林黄周吴徐潘郑金朱胡叶杨刘谢蔡何章池戴卢郭苏孙项"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志浩宇晨欣怡雅琪瑞鑫博文思佳一诺子涵"


@dataclass
class Talent:
    name: str
    id_number: str
    phone: str
    category: str
    industry_352: str
    recognized: str
    employer_uscc: str
    removed: str | None

    def status(self, period: str) -> str:
        return "调出" if self.removed and period >= self.removed else "在库"


def build_talents(seed: int, world: EnterpriseWorld, last_year: int) -> list[Talent]:
    talents: list[Talent] = []
    ids: set[str] = set()

    def person(rng: random.Random, category: str, recognized: str) -> None:
        if category == "新生代企业家":
            birth_year = rng.randint(1983, 1998)
        elif category == "服务业领军人才":
            birth_year = rng.randint(1966, 1988)
        else:
            birth_year = rng.randint(1968, 2001)
        birth = dt.date(birth_year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        while True:
            id_number = make_id_number(rng, birth, female=rng.random() < 0.35)
            if id_number not in ids:
                ids.add(id_number)
                break
        year = int(recognized[:4])
        scope_period = recognized if year >= FIRST_YEAR else period_of(FIRST_YEAR, 1)
        employer = rng.choice(world.in_scope(scope_period))
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
        phone = rng.choice(("139", "138", "135", "158", "186", "187", "177", "199")) + f"{rng.randrange(10**8):08d}"
        removed = None
        if rng.random() < 0.03:
            removed = period_of(max(year, FIRST_YEAR) + 1, rng.randint(1, 12))
        talents.append(Talent(name, id_number, phone, category, DIVISION_BY_CODE[employer.division].industry_352,
                              recognized, employer.uscc, removed))

    rng = rng_for(seed, "talents", FIRST_YEAR - 1)
    for _ in range(25):
        person(rng, "高技能人才", period_of(FIRST_YEAR - 1, rng.randint(3, 12)))
    for _ in range(6):
        person(rng, "新生代企业家", period_of(FIRST_YEAR - 1, rng.randint(3, 12)))
    for year in range(FIRST_YEAR, last_year + 1):
        rng = rng_for(seed, "talents", year)
        leaders = 2 if year == FIRST_YEAR else rng.randint(2, 3)
        for _ in range(leaders):
            person(rng, "服务业领军人才", period_of(year, rng.randint(5, 11)))
        for _ in range(rng.randint(18, 24)):
            person(rng, "新生代企业家", period_of(year, rng.choice((3, 4, 6, 9, 10, 12))))
        for _ in range(rng.randint(195, 225)):
            person(rng, "高技能人才", period_of(year, rng.choices(range(1, 13), weights=(2, 1, 3, 3, 3, 6, 3, 3, 4, 3, 3, 7))[0]))
    talents.sort(key=lambda t: (t.recognized, t.id_number))
    return talents


# --- training ----------------------------------------------------------------------------
# (canonical department, names it writes, programmes with their yearly person-times)
TRAINING_UNITS: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, int], ...]], ...] = (
    ("区人力社保局", ("区人社局", "区人社局", "区人力社保局"), (("金蓝领", 12500), ("家政培训", 650))),
    ("区教育局", ("区教育局",), (("社会人员职业培训", 1850), ("成人学历提升", 1820))),
    ("区委统战部", ("区委统战部", "中共鹿城区委统战部"), (("新生代企业家培训", 160),)),
    ("区商务局", ("区商务局",), (("其他", 900),)),
)


def training_ytd(seed: int, dept: str, program: str, yearly: int, year: int) -> list[int]:
    """Person-times year to date for months 1..12 (non-decreasing)."""
    rng = rng_for(seed, "training", dept, program, year)
    level = yearly * rng.uniform(0.9, 1.12)
    if program == "新生代企业家培训":  # a few cohorts a year
        months = sorted(rng.sample(range(3, 12), 4))
        monthly = [round(level / 4) if m in months else 0 for m in range(1, 13)]
    else:
        weights = [w * rng.uniform(0.6, 1.4) for w in (0.4, 0.3, 1, 1.1, 1.1, 1.2, 0.9, 0.8, 1.1, 1.1, 1.2, 1.3)]
        total = sum(weights)
        monthly = [round(level * w / total) for w in weights]
    out, acc = [], 0
    for v in monthly:
        acc += v
        out.append(acc)
    return out


# --- department tasks --------------------------------------------------------------------
def task_indicators() -> dict[str, list[dict[str, str]]]:
    """Indicators reported through dept_task_progress, grouped by owner department."""
    by_dept: dict[str, list[dict[str, str]]] = {}
    for row in reference.indicators().values():
        if row["source_feed"] == "dept_task_progress":
            by_dept.setdefault(row["owner_dept"], []).append(row)
    return by_dept


# How some departments habitually write their name (aliases exercise resolution).
DEPT_WRITTEN = {
    "区人力社保局": ("区人社局", "区人社局", "区人力社保局"),
    "区文化和广电旅游体育局": ("区文广旅体局", "区文化和广电旅游体育局"),
    "区经信局": ("区经信局", "区经济和信息化局"),
    "区投资促进服务中心": ("区投促中心", "区投资促进服务中心"),
    "区卫生健康局": ("区卫生健康局", "区卫健局"),
}

_DECIMALS_BY_UNIT = {"%": 2, "亿元": 2, "万美元": 1, "万元": 1}


def task_decimals(indicator: dict) -> int:
    if indicator["indicator_id"] == "export_national_share":
        return 3
    return _DECIMALS_BY_UNIT.get(indicator["unit"], 0)


@dataclass(frozen=True)
class ListedTarget:
    """One row of a year's 年度目标任务分解 (feed annual_targets): an indicator of the registry or a new
    task (TYYYY-NN), its year's target and the departments responsible (as written; the first leads)."""

    indicator_id: str
    name: str
    unit: str
    kind: str  # the registry's: cumulative | milestone | rate
    target: float
    departments: tuple[str, ...]
    plan_ref: str
    source_feed: str

    @property
    def lead(self) -> str:
        return reference.canonical_department(self.departments[0]) or self.departments[0]


# The 专班's lists from 2024 on (the plan states 2023's): most tasks of 附件1 continue with higher
# targets, these are dropped, a few are added, and a few five-year goals get an official year target.
LIST_FIRST_YEAR = FIRST_YEAR + 1
LIST_DROPPED = ("trendy_stores", "design_parks", "gold_3a_villages", "std_pilots_passed")
# (name, unit, kind, target in the first list year, departments as written, plan article)
LIST_NEW_TASKS = (
    ("新建城市书房", "个", "milestone", 3, ("区文广旅体局", "区教育局"), "二（三）文化旅游业"),
    ("夜间经济重点街区消费额", "亿元", "cumulative", 45.0, ("区商务局",), "二（一）现代商贸业"),
    ("跨境电商进出口额", "亿元", "cumulative", 62.0, ("区商务局", "区发改局"), "二（一）现代商贸业"),
    ("服务业企业数字化改造", "家", "cumulative", 30, ("区经信局",), "二（二）信息服务业"),
    ("新增医养结合机构", "家", "milestone", 2, ("区卫健局",), "二（三）健康服务业"),
)
LIST_OFFICIAL_GOALS = {"ent_new_above_scale": 55.0, "talent_leaders": 3.0, "ent_leaders_new": 2.0}


def _continued_target(row: dict[str, str], year: int) -> float:
    """附件1's 2023 target carried to `year`: rates up a notch, stocks one more, flows +10 % a year."""
    base, steps = float(row["target_2023"]), year - FIRST_YEAR
    if row["kind"] == "rate":
        return round(base + (0.1 if base < 5 else 1.0) * steps, 3)
    if row["kind"] == "milestone":
        return base + steps if base >= 2 else base
    grown = round(base * 1.1 ** steps, 6)  # 12000 × 1.1 is 13200, not 13200.000000000002
    return float(math.ceil(grown)) if registry.is_count_unit(row["unit"]) else round(grown, 1)


def build_annual_lists(projects: list[Project], last_year: int) -> dict[int, list[ListedTarget]]:
    """The 专班's list of each year from 2024 to `last_year`; the projects' targets follow the project
    list of the year (provincial projects' total and plan, the 千项万亿 plan)."""
    lists: dict[int, list[ListedTarget]] = {}
    indicators = reference.indicators()
    for year in range(LIST_FIRST_YEAR, last_year + 1):
        rows: list[ListedTarget] = []
        listed = [p for p in projects if p.listed(year)]
        provincial = [p for p in listed if p.level == "省重大"]
        project_targets = {
            "proj_provincial_total_investment": round(sum(p.total_investment for p in provincial), 1),
            "proj_provincial_completed": round(sum(p.plan.get(year, 0.0) for p in provincial), 1),
            "proj_qxwy_completed": round(sum(p.plan.get(year, 0.0) for p in listed if p.is_qxwy), 1),
        }
        for indicator_id, row in sorted(indicators.items(), key=lambda item: int(item[1]["sort_order"])):
            if indicator_id in LIST_DROPPED:
                continue
            if indicator_id in project_targets:
                target = project_targets[indicator_id]
            elif indicator_id in LIST_OFFICIAL_GOALS:
                target = LIST_OFFICIAL_GOALS[indicator_id]
            elif row["goal_type"] == "annual_2023" and row["target_2023"]:
                target = _continued_target(row, year)
            else:
                continue
            rows.append(ListedTarget(indicator_id, row["indicator_name"], row["unit"], row["kind"], target,
                                     (row["owner_dept"],), row["plan_ref"], row["source_feed"]))
        for number, (name, unit, kind, first_target, departments, plan_ref) in enumerate(LIST_NEW_TASKS, start=1):
            target = round(first_target * 1.1 ** (year - LIST_FIRST_YEAR), 6)
            target = float(math.ceil(target)) if registry.is_count_unit(unit) else round(target, 1)
            rows.append(ListedTarget(f"T{LIST_FIRST_YEAR}-{number:02d}", name, unit, kind, target, departments,
                                     plan_ref, "dept_task_progress"))
        lists[year] = rows
    return lists


def year_tasks(lists: dict[int, list[ListedTarget]], year: int) -> dict[str, list[dict]]:
    """The tasks each department reports through dept_task_progress in `year`, by canonical department:
    附件1's in 2023 (the registry), the year's list after. A task: indicator_id, indicator_name, unit,
    kind, target."""
    by_dept: dict[str, list[dict]] = {}
    if year not in lists:
        for dept, rows in task_indicators().items():
            by_dept[dept] = [{"indicator_id": r["indicator_id"], "indicator_name": r["indicator_name"],
                              "unit": r["unit"], "kind": r["kind"], "target": float(r["target_2023"] or 1)}
                             for r in sorted(rows, key=lambda r: int(r["sort_order"]))]
        return by_dept
    for t in lists[year]:
        if t.source_feed == "dept_task_progress":
            by_dept.setdefault(t.lead, []).append({"indicator_id": t.indicator_id, "indicator_name": t.name,
                                                    "unit": t.unit, "kind": t.kind, "target": t.target})
    return by_dept


def task_value_ytd(seed: int, task: dict, year: int, month: int) -> float:
    """A department's year-to-date value of a task (`target` = the year's): most on pace, some a
    little behind, a few far behind."""
    iid, kind = task["indicator_id"], task["kind"]
    target = float(task["target"])
    rng = rng_for(seed, "task", iid, year)
    pace = rng.random()
    decimals = task_decimals(task)
    if kind == "rate":
        drift = rng.uniform(-0.08, 0.1) if pace < 0.75 else rng.uniform(-0.2, -0.08)
        wobble = rng.uniform(-0.03, 0.03)
        return round(target * (1 + drift + wobble * math.sin(month)), decimals)
    if kind == "milestone":
        steps = max(1, round(target))
        if pace < 0.7:  # all delivered by September
            months = sorted(rng.randint(2, 9) for _ in range(steps))
        elif pace < 0.85:  # the last one comes late in the year
            months = sorted([rng.randint(2, 9) for _ in range(steps - 1)] + [rng.randint(10, 12)])
        else:  # one stays undelivered
            months = sorted([rng.randint(3, 11) for _ in range(steps - 1)] + [13])
        return float(sum(1 for m in months if m <= month))
    factor = rng.uniform(1.0, 1.15) if pace < 0.65 else rng.uniform(0.9, 0.99) if pace < 0.85 else rng.uniform(0.6, 0.82)
    shares = cumulative_shares([w * rng.uniform(0.8, 1.2) for w in REVENUE_SEASON])
    return round(target * factor * shares[month - 1], decimals)


# --- who reports when ---------------------------------------------------------------------
def reporting_profiles(seed: int, departments: list[str]) -> dict[str, str]:
    """Each department's habit: 'punctual', 'late' (often after the 5th) or 'patchy' (skips months)."""
    rng = rng_for(seed, "profiles")
    ordered = sorted(departments)
    rng.shuffle(ordered)
    profiles = {}
    for i, dept in enumerate(ordered):
        profiles[dept] = "patchy" if i < 2 else "late" if i < 5 else "punctual"
    return profiles


def department_submission(seed: int, feed: registry.Feed, dept: str, profile: str, period: str) -> dt.date | None:
    """Date a department sent its file for `period`, or None when it sent nothing."""
    rng = rng_for(seed, "submission", feed.feed_id, dept, period)
    due = feed.due_date(period)
    if profile == "patchy" and rng.random() < 0.2:
        return None
    if profile != "punctual" and rng.random() < 0.45:
        return due + dt.timedelta(days=rng.randint(2, 15))
    return due - dt.timedelta(days=rng.randint(0, 4))


def on_time_submission(seed: int, feed: registry.Feed, period: str) -> dt.date:
    rng = rng_for(seed, "submission", feed.feed_id, period)
    return feed.due_date(period) - dt.timedelta(days=rng.randint(0, 4 if feed.source == "department" else 6))


# --- supervision items ---------------------------------------------------------------------
@dataclass
class SupervisionItem:
    item_id: str
    responsible_dept: str
    description: str
    raised_on: dt.date
    due_on: dt.date
    closed_on: dt.date | None


_ISSUES = (
    ("区发改局", "{proj}年度投资进度滞后于时间进度"),
    ("区统计局", "新增规上服务业企业入库资料不全，需补充佐证材料"),
    ("区商务局", "新品首发活动场次进度落后"),
    ("区人社局", "“金蓝领”培训台账与系统数据不一致"),
    ("区经济和信息化局", "数字经济产业园招商入驻率偏低"),
    ("区文广旅体局", "景区村创建材料报送延迟"),
    ("区市场监管局", "服务业标准化试点立项申报材料未按期报送"),
    ("区住建局", "{proj}施工许可办理进度滞后"),
    ("市自然资源和规划局鹿城分局", "{proj}用地报批进度滞后"),
    ("区科技局", "技术交易额登记数据未及时更新"),
    ("区金融办", "上市后备企业辅导进度未达预期"),
    ("区卫健局", "村智慧健康站运营情况未按月报送"),
)


def build_supervision_register(seed: int, projects: list[Project], last: str) -> list[SupervisionItem]:
    items: list[SupervisionItem] = []
    last_year, last_month = split_period(last)
    for year in range(FIRST_YEAR, last_year + 1):
        rng = rng_for(seed, "supervision", year)
        number = 0
        for month in range(1, 13):
            for _ in range(rng.randint(2, 4)):
                number += 1
                dept, text = rng.choice(_ISSUES)
                proj = rng.choice([p for p in projects if p.listed(year)]).name
                raised = dt.date(year, month, rng.randint(1, 28))
                due = raised + dt.timedelta(days=rng.choice((30, 45, 60, 90)))
                fate = rng.random()
                if fate < 0.7:
                    closed = raised + dt.timedelta(days=rng.randint(7, (due - raised).days))
                elif fate < 0.88:
                    closed = due + dt.timedelta(days=rng.randint(5, 60))
                else:
                    closed = None
                items.append(SupervisionItem(f"DC{year}-{number:03d}", dept, text.format(proj=proj),
                                             raised, due, closed))
    return items


# --- investment and employment -------------------------------------------------------------
FAI_ROWS = ("固定资产投资", "工业投资", "服务业投资", "基础设施投资")


def fai_rates(seed: int, period: str) -> dict[str, tuple[float, float | None]]:
    """(增速 %, 占比 %) per indicator, year to date."""
    year, month = split_period(period)
    rng = rng_for(seed, "fai", year)
    levels = {"固定资产投资": rng.uniform(4, 11), "工业投资": rng.uniform(2, 18),
              "服务业投资": rng.uniform(5, 12.5), "基础设施投资": rng.uniform(-3, 12)}
    shares = {"固定资产投资": None, "工业投资": rng.uniform(16, 24), "服务业投资": rng.uniform(63.5, 70.0),
              "基础设施投资": rng.uniform(28, 38)}
    noise = rng_for(seed, "fai", period)
    out: dict[str, tuple[float, float | None]] = {}
    for name in FAI_ROWS:
        spread = 6 / math.sqrt(month)  # early months swing more
        growth = round(levels[name] + noise.uniform(-spread, spread), 1)
        share = shares[name]
        out[name] = (growth, None if share is None else round(share + noise.uniform(-1.5, 1.5), 1))
    return out


def employment_persons(seed: int, period: str) -> dict[str, float]:
    """Persons employed in 万人 (two decimals): all sectors and the tertiary sector."""
    year, month = split_period(period)
    quarters = (year - FIRST_YEAR) * 4 + month // 3
    rng = rng_for(seed, "employment", period)
    total = 61.2 * (1 + 0.004 * quarters) * rng.uniform(0.995, 1.005)
    share = min(0.70, 0.655 + 0.0025 * quarters + rng.uniform(-0.002, 0.002))
    return {"全社会从业人员": round(total, 2), "第三产业从业人员": round(total * share, 2)}
