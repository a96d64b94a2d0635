"""The simulated district behind the demo feeds.

Everything the demo files show is derived from one deterministic world: above-scale
services enterprises with monthly revenue (which the industry table aggregates), tax
by industry, projects, zones, the cultivation list, talents, training, department
tasks and supervision items. Random streams are keyed by (seed, topic, year), so a
period's numbers do not depend on the range being generated.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from dataclasses import dataclass, field

from stdnum.cn import ric, uscc

from ingest import reference

FIRST_YEAR = 2023  # the plan starts in 2023; 2022 is the prior-year base
BASE_YEAR = FIRST_YEAR - 1


def rng_for(seed: int, *topic: object) -> random.Random:
    """An independent random stream per topic, stable across ranges and runs."""
    return random.Random("|".join(map(str, (seed, *topic))))


def split_period(period: str) -> tuple[int, int]:
    return int(period[:4]), int(period[5:])


def period_of(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


# --- GB/T 4754-2017: the 规上服务业 scope ------------------------------------------------
def _seed(name: str) -> list[dict[str, str]]:
    with open(reference.SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# Names, sections and the 352 grouping come from the reference seeds (their one home).
_INDUSTRIES = {r["industry_code"]: r for r in _seed("ref_industries")}
_INDUSTRY_352 = {r["industry_code"]: r["industry_352"] for r in _seed("ref_industry_352")}

SECTION_NAMES = {
    code: r["industry_name"] for code, r in _INDUSTRIES.items()
    if r["level"] == "section" and r["in_services_scope"] == "true"
}

# Annual revenue threshold of the 规上 scope, 千元 (2000 / 1000 / 500 万元).
SECTION_THRESHOLD_K = {
    "G": 20000, "I": 20000, "N": 20000,
    "L": 10000, "M": 10000, "P": 10000,
    "K": 5000, "O": 5000, "Q": 5000, "R": 5000,
}


@dataclass(frozen=True)
class Division:
    code: str  # 2-digit 大类
    name: str
    section: str
    weight: float  # relative number of above-scale enterprises
    classes: tuple[str, ...]  # 4-digit 小类 found in the district
    name_suffixes: tuple[str, ...]
    industry_352: str | None


# The district's above-scale services divisions: (大类, weight, 小类 present, company-name words).
_DISTRICT_DIVISIONS: tuple[tuple[str, float, tuple[str, ...], tuple[str, ...]], ...] = (
    ("54", 5, ("5411", "5422", "5431", "5437", "5442"), ("物流", "运输", "公交")),
    ("55", 2, ("5522", "5523", "5532"), ("航运", "海运")),
    ("58", 4, ("5810", "5821", "5822"), ("国际货运代理", "供应链管理")),
    ("59", 3, ("5910", "5920", "5930", "5990"), ("仓储", "冷链物流")),
    ("60", 2, ("6020", "6090"), ("快递", "速递")),
    ("63", 1.5, ("6311", "6312", "6321"), ("通信", "广电网络")),
    ("64", 3, ("6421", "6431", "6432", "6450"), ("网络科技", "数据科技")),
    ("65", 8, ("6513", "6531", "6540", "6550", "6560", "6591"), ("信息技术", "软件", "智能科技")),
    ("70", 7, ("7020", "7030", "7040"), ("物业服务", "房产经纪")),
    ("71", 2, ("7111", "7113", "7114"), ("汽车租赁", "设备租赁")),
    ("72", 12, ("7211", "7212", "7222", "7224", "7241", "7243", "7251", "7263", "7269", "7271", "7284", "7291"),
     ("企业管理", "商务咨询", "人力资源", "会展服务", "广告", "旅行社")),
    ("73", 1.5, ("7320", "7340"), ("研究院",)),
    ("74", 7, ("7452", "7461", "7481", "7482", "7484", "7491", "7492"), ("工程设计", "检测技术", "工程管理", "设计")),
    ("75", 3, ("7514", "7519", "7520", "7530", "7540"), ("科技服务", "知识产权代理")),
    ("77", 1.5, ("7721", "7723"), ("环境工程",)),
    ("78", 2, ("7810", "7820", "7840", "7869"), ("市政园林", "景区管理")),
    ("79", 0.5, ("7910", "7920"), ("土地评估",)),
    ("80", 3, ("8010", "8020", "8040", "8053", "8070"), ("家政服务", "养生保健")),
    ("81", 2, ("8111", "8121", "8131"), ("汽车维修",)),
    ("82", 1.5, ("8211", "8222", "8290"), ("保洁服务", "宠物医院")),
    ("83", 2.5, ("8310", "8336", "8391", "8393", "8394"), ("教育科技", "职业技能培训")),
    ("84", 3, ("8411", "8415", "8425", "8491", "8492"), ("医院", "口腔门诊部", "健康管理")),
    ("85", 1, ("8512", "8514", "8521"), ("养老服务", "护理院")),
    ("86", 0.5, ("8610", "8626"), ("传媒",)),
    ("87", 1, ("8730", "8760"), ("影视", "影城")),
    ("88", 1, ("8810", "8820", "8890"), ("文化艺术", "演艺")),
    ("89", 1, ("8911", "8921", "8930"), ("体育发展", "健身")),
    ("90", 1, ("9011", "9019", "9030", "9051"), ("文化娱乐", "文旅发展")),
)


def _division(code: str, weight: float, classes: tuple[str, ...], suffixes: tuple[str, ...]) -> Division:
    row = _INDUSTRIES[code]
    if row["in_services_scope"] != "true":
        raise ValueError(f"division {code} is outside the 规上服务业 scope")
    return Division(code, row["industry_name"], row["section_code"], weight, classes, suffixes,
                    _INDUSTRY_352.get(code))


DIVISIONS: tuple[Division, ...] = tuple(_division(*d) for d in _DISTRICT_DIVISIONS)
DIVISION_BY_CODE = {d.code: d for d in DIVISIONS}
SECTION_ORDER = tuple(dict.fromkeys(d.section for d in DIVISIONS))


def divisions_of(section: str) -> list[Division]:
    return [d for d in DIVISIONS if d.section == section]


STREETS = ("五马街道", "松台街道", "广化街道", "南郊街道", "大南街道", "蒲鞋市街道", "滨江街道",
           "南汇街道", "七都街道", "双屿街道", "仰义街道", "丰门街道", "藤桥镇", "山福镇")

# Seasonal shape of services revenue over a year (January and February hold the Spring Festival).
REVENUE_SEASON = (0.072, 0.066, 0.080, 0.081, 0.083, 0.085, 0.084, 0.085, 0.086, 0.086, 0.088, 0.104)
# Tax: annual settlements in January and May.
TAX_SEASON = (0.115, 0.070, 0.075, 0.078, 0.105, 0.080, 0.082, 0.074, 0.078, 0.082, 0.075, 0.086)


def cumulative_shares(weights: list[float] | tuple[float, ...]) -> list[float]:
    total = sum(weights)
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc / total)
    out[-1] = 1.0
    return out


# --- identifiers -------------------------------------------------------------------------
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(rng: random.Random, *, new_style: bool, region: str = "330302") -> str:
    """A USCC (GB 32100-2015) of a Lucheng enterprise with a correct check character."""
    if new_style:  # codes issued since 2015: organisation part 'MA' + 7 characters
        org = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(7))
    else:  # converted from an old organisation code: 8 digits and a check
        org = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice("0123456789X")
    body = "91" + region + org
    return body + uscc.calc_check_digit(body)


def corrupt_uscc_check(code: str) -> str:
    """The same code with a wrong check character (still of the GB 32100 alphabet)."""
    right = code[-1]
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(right) + 7) % len(USCC_ALPHABET)]
    return code[:-1] + wrong


# Region codes of Wenzhou with the first year stdnum's table knows them (GB/T 2260).
_WENZHOU_REGIONS = (("330302", 1984), ("330303", 1984), ("330304", 1992), ("330324", 1981),
                    ("330326", 1981), ("330327", 1981), ("330328", 1981), ("330381", 1989),
                    ("330382", 1993))


def make_id_number(rng: random.Random, birth: dt.date, female: bool) -> str:
    """An 18-digit resident ID number with a correct ISO 7064 MOD 11-2 check digit.

    People born from 1984 get a code that existed in their birth year; older people
    mostly hold 330302 (their card was issued in Lucheng later), which is legitimate.
    """
    if birth.year >= 1984:
        region = rng.choice([code for code, since in _WENZHOU_REGIONS if since <= birth.year])
    else:
        region = "330302" if rng.random() < 0.7 else rng.choice(["330324", "330326", "330381"])
    seq = rng.randrange(0, 99)
    sex_digit = rng.choice("02468" if female else "13579")
    body = f"{region}{birth:%Y%m%d}{seq:02d}{sex_digit}"
    return body + ric.calc_check_digit(body + "0")


def make_project_code(rng: random.Random, year: int, division: str) -> str:
    """National investment project code `YYYY-330302-NN-NN-NNNNNN` (NN-NN: industry, kind)."""
    return f"{year}-330302-{division}-{rng.choice(['01', '02', '03'])}-{rng.randrange(0, 10**6):06d}"


# --- enterprises ---------------------------------------------------------------------------
_NAME_PREFIXES = ("温州", "温州市", "浙江", "温州鹿城", "温州市鹿城区")
_NAME_CORES = ("瓯江", "江心", "华盟", "鹿鸣", "禅街", "五马", "松台", "永安", "瑞丰", "东瓯", "信和",
               "恒通", "宏远", "立信", "嘉禾", "天一", "景山", "南塘", "九山", "瓯越", "海坛", "白鹿",
               "新绿", "卓远", "启明", "博雅", "中瓯", "联众", "金瓯", "德信", "安澜", "同人", "鼎盛",
               "万顺", "泰和", "仁济", "蓝海", "星河", "云帆", "睿达")


@dataclass
class Enterprise:
    uscc: str
    name: str
    class_code: str
    street: str
    entered: str  # 入库年月 'YYYY-MM'
    revenue: dict[int, float] = field(default_factory=dict)  # annual, 千元
    shares: dict[int, list[float]] = field(default_factory=dict)  # cumulative shares by month
    margin: dict[int, float] = field(default_factory=dict)
    employees: dict[int, list[int]] = field(default_factory=dict)  # by month
    wage: dict[int, float] = field(default_factory=dict)  # 千元 per person-month
    exit_year: int | None = None  # first year out of scope

    @property
    def division(self) -> str:
        return self.class_code[:2]

    @property
    def section(self) -> str:
        return DIVISION_BY_CODE[self.division].section

    def in_scope(self, year: int, month: int) -> bool:
        if self.exit_year is not None and year >= self.exit_year:
            return False
        return self.entered <= period_of(year, month)

    def revenue_ytd(self, year: int, month: int) -> int:
        return round(self.revenue[year] * self.shares[year][month - 1])

    def payroll_ytd(self, year: int, month: int) -> int:
        return round(sum(self.employees[year][i] * self.wage[year] for i in range(month)))

    def profit_ytd(self, year: int, month: int) -> float:
        return self.revenue_ytd(year, month) * self.margin[year]


def _enterprise_year(ent: Enterprise, rng: random.Random, year: int, revenue: float) -> None:
    ent.revenue[year] = revenue
    ent.shares[year] = cumulative_shares([w * rng.uniform(0.85, 1.15) for w in REVENUE_SEASON])
    ent.margin[year] = max(-0.25, min(0.3, rng.gauss(0.07, 0.07)))
    productivity = rng.uniform(250, 900)  # 千元 of revenue per employee and year
    base = max(8, round(revenue / productivity))
    ent.employees[year] = [max(5, round(base * rng.uniform(0.97, 1.03))) for _ in range(12)]
    ent.wage[year] = rng.uniform(6.0, 11.5)


class EnterpriseWorld:
    """Above-scale services enterprises: a 2022 pool, then exits and ~50 entrants a year.

    `scale` multiplies the pool and the entrants (the scale benchmark's 125x); at 1 the
    world is the demo's, draw for draw."""

    def __init__(self, seed: int, last_year: int, scale: int = 1):
        self.seed = seed
        self.scale = scale
        self.enterprises: list[Enterprise] = []
        self._names: set[str] = set()
        self._usccs: set[str] = set()
        self._in_scope: dict[str, list[Enterprise]] = {}
        self._build_pool(rng_for(seed, "enterprise-pool"))
        for year in range(FIRST_YEAR, last_year + 1):
            self._advance(year)

    def _new_name(self, rng: random.Random, division: Division) -> str:
        # The name stock (~10^5) runs short at scale: after a few taken draws a branch number
        # keeps the name unique instead of drawing for ever.
        for attempt in range(1_000_000):
            name = (rng.choice(_NAME_PREFIXES) + rng.choice(_NAME_CORES) + rng.choice(_NAME_CORES)
                    + rng.choice(division.name_suffixes))
            if attempt >= 20:
                name += f"第{len(self._names)}"
            name += "有限公司"
            if name not in self._names:
                self._names.add(name)
                return name
        raise RuntimeError("no unique enterprise name")

    def _new_uscc(self, rng: random.Random, new_style: bool) -> str:
        while True:
            code = make_uscc(rng, new_style=new_style)
            if code not in self._usccs:
                self._usccs.add(code)
                return code

    def _new_enterprise(self, rng: random.Random, entered: str) -> Enterprise:
        division = rng.choices(DIVISIONS, weights=[d.weight for d in DIVISIONS])[0]
        return Enterprise(
            uscc=self._new_uscc(rng, new_style=entered >= "2016-01" or rng.random() < 0.3),
            name=self._new_name(rng, division),
            class_code=rng.choice(division.classes),
            street=rng.choices(STREETS, weights=(3, 2, 2, 3, 2, 2, 4, 4, 2, 3, 2, 2, 1, 0.5))[0],
            entered=entered,
        )

    def _build_pool(self, rng: random.Random) -> None:
        for _ in range(430 * self.scale):
            year = rng.randint(2011, BASE_YEAR)
            ent = self._new_enterprise(rng, period_of(year, rng.randint(1, 12)))
            threshold = SECTION_THRESHOLD_K[ent.section]
            revenue = threshold * math.exp(abs(rng.gauss(0, 1.25))) * rng.uniform(1.0, 1.3)
            _enterprise_year(ent, rng, BASE_YEAR, revenue)
            self.enterprises.append(ent)

    def _advance(self, year: int) -> None:
        rng = rng_for(self.seed, "enterprise-year", year)
        for ent in self.enterprises:
            if ent.exit_year is not None or year - 1 not in ent.revenue:
                continue
            threshold = SECTION_THRESHOLD_K[ent.section]
            if ent.revenue[year - 1] < 0.9 * threshold and ent.entered < period_of(year - 1, 1):
                ent.exit_year = year  # fell below the threshold: out of the scope from January
                continue
            growth = rng.gauss(0.065, 0.13)
            _enterprise_year(ent, rng, year, ent.revenue[year - 1] * (1 + max(-0.4, growth)))
        for _ in range(rng.randint(46, 56) * self.scale):
            ent = self._new_enterprise(rng, period_of(year, rng.randint(1, 12)))
            threshold = SECTION_THRESHOLD_K[ent.section]
            _enterprise_year(ent, rng, year - 1, threshold * rng.uniform(0.55, 0.95))
            _enterprise_year(ent, rng, year, threshold * rng.uniform(1.05, 2.6))
            self.enterprises.append(ent)

    def in_scope(self, period: str) -> list[Enterprise]:
        if period not in self._in_scope:  # the world is complete once built: one scan per period
            year, month = split_period(period)
            self._in_scope[period] = [e for e in self.enterprises if e.in_scope(year, month)]
        return list(self._in_scope[period])


@dataclass
class IndustryFigures:
    """One division's row of the industry table, in the file's units (万元, 个, 人)."""

    enterprise_count: int
    revenue_ytd: float
    revenue_prior_ytd: float
    operating_profit_ytd: float
    payroll_ytd: float
    employees: int


def division_figures(world: EnterpriseWorld, period: str) -> dict[str, IndustryFigures]:
    """Aggregate the enterprises in scope by division: 千元 → 万元, one decimal."""
    year, month = split_period(period)
    acc: dict[str, list[float]] = {d.code: [0, 0, 0, 0, 0, 0] for d in DIVISIONS}
    for ent in world.in_scope(period):
        row = acc[ent.division]
        row[0] += 1
        row[1] += ent.revenue_ytd(year, month)
        row[2] += ent.revenue_ytd(year - 1, month)
        row[3] += ent.profit_ytd(year, month)
        row[4] += ent.payroll_ytd(year, month)
        row[5] += ent.employees[year][month - 1]
    return {
        code: IndustryFigures(int(v[0]), round(v[1] / 10, 1), round(v[2] / 10, 1), round(v[3] / 10, 1),
                              round(v[4] / 10, 1), int(v[5]))
        for code, v in acc.items()
    }


def annual_division_revenue_wan(world: EnterpriseWorld, year: int) -> dict[str, float]:
    """Full-year revenue by division (万元) of the enterprises in scope in December."""
    out = {d.code: 0.0 for d in DIVISIONS}
    for ent in world.in_scope(period_of(year, 12)):
        out[ent.division] += ent.revenue[year] / 10
    return out


def yoy_pct(current: float, prior: float) -> float | None:
    if not prior:
        return None
    return round((current / prior - 1) * 100, 1)


class TaxWorld:
    """Tax by division: a share of the division's annual revenue, paid with its own seasonality."""

    def __init__(self, seed: int, enterprises: EnterpriseWorld):
        self.seed = seed
        self.enterprises = enterprises
        rng = rng_for(seed, "tax-rates")
        self.rates = {d.code: rng.uniform(0.025, 0.07) for d in DIVISIONS}
        self._annual: dict[int, dict[str, float]] = {}
        self._shares: dict[int, dict[str, list[float]]] = {}

    def _year(self, year: int) -> None:
        if year in self._annual:
            return
        rng = rng_for(self.seed, "tax-year", year)
        revenue = annual_division_revenue_wan(self.enterprises, year)
        self._annual[year] = {c: revenue[c] * self.rates[c] * rng.uniform(0.97, 1.03) for c in revenue}
        self._shares[year] = {
            c: cumulative_shares([w * rng.uniform(0.92, 1.08) for w in TAX_SEASON]) for c in revenue
        }

    def tax_ytd(self, division: str, year: int, month: int) -> float:
        """Tax year to date, 万元, one decimal."""
        self._year(year)
        return round(self._annual[year][division] * self._shares[year][division][month - 1], 1)
