"""The checks the statisticians expect (FEEDS.md "Checks the statisticians expect"), one suite per feed.

Every check has an id (`<feed>.<kind>.<rule>[.<column>]`), a severity, and a description in
Chinese and English. `engine` says how it runs: `gx` = a GX Core built-in expectation run on the
vintage's rows as a pandas DataFrame; `python` = computed in pandas here, because GX has no
built-in for it on pandas (cross-row balance, cross-period and cross-feed comparisons, the
identifier validators of `ingest.identifiers`; `UnexpectedRowsExpectation` is SQL-only).
Both kinds land in the same result table with the same failing-row samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from expectations.store import Severity
from ingest import reference
from ingest.industries import DIVISION_SECTION, TOTAL_CODES, level_of, section_of
from ingest.registry import FEEDS, NEW_TASK_CODE, Column, Feed, conversion_factor

if TYPE_CHECKING:
    import pandas as pd

Engine = Literal["gx", "python"]

LINEAGE_SHOWN = ("_file_name", "_sheet", "_row_number")
# Balance tolerance (平衡审核): max(0.1 % of the parent, 1 canonical unit).
BALANCE_RELATIVE_TOLERANCE = 0.001
BALANCE_ABSOLUTE_TOLERANCE = 1.0
YOY_TOLERANCE_POINTS = 0.1
YOY_OUTLIER_PCT = 50.0
UNIT_SLIP_FACTOR = 10.0
ENTERPRISES_VS_SERVICES_TOLERANCE = 0.01
# Float noise only: 0.1 + 1e-12 must not fail a check whose limit is 0.1.
EPS = 1e-9


@dataclass
class FeedFrames:
    """What a feed's checks see: the vintages being checked, and the feed's other current vintages."""

    feed: Feed | None  # None for a mart
    checked: pd.DataFrame  # rows of the vintages under check (total rows included)
    history: pd.DataFrame  # rows of every current vintage of the feed, all periods
    other_history: Callable[[str], pd.DataFrame]  # the same for another feed

    def data(self, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        """Rows that are data: a 合计 row of a list feed is not (hierarchical feeds keep it)."""
        frame = self.checked if frame is None else frame
        if self.feed is None or self.feed.hierarchical:
            return frame
        return frame[~frame["_is_total"]]


@dataclass(frozen=True)
class CheckDef:
    check_id: str
    target: str
    severity: Severity
    name_zh: str
    name_en: str
    engine: Engine
    # Columns shown next to the lineage in the failing-row samples.
    show: tuple[str, ...] = ()
    # engine 'gx': builds the GX expectation (evaluated on FeedFrames.data()).
    expectation: Callable[[], Any] | None = None
    # engine 'python': failing rows (lineage of the row charged, plus `show` columns).
    evaluate: Callable[[FeedFrames], pd.DataFrame] | None = None
    kind: str = field(default="")

    def __post_init__(self) -> None:
        if (self.expectation is None) == (self.evaluate is None):
            raise ValueError(f"{self.check_id}: give exactly one of expectation / evaluate")
        object.__setattr__(self, "kind", self.check_id.split(".")[1])


# --- helpers --------------------------------------------------------------------------

def match_key(feed: Feed) -> list[str]:
    """The business key as checks compare it: a multi-department feed's 填报单位 is its canonical scope."""
    return ["_scope" if k == feed.scope_field else k for k in feed.key]


def _label(feed: Feed, field_name: str) -> str:
    return feed.column(field_name).header


def with_previous(frames: FeedFrames, columns: list[str], *, same_year: bool,
                  previous_month_only: bool = False) -> pd.DataFrame:
    """Rows joined by business key to the same scope's previous period (its current vintage): every
    pair that involves a checked period, as the later or as the earlier side.

    The previous period is the latest earlier period that has a vintage (within the year when
    `same_year`), or exactly month N−1 when `previous_month_only`. Joined columns get `_prev`.
    A pair is charged to the vintage that arrived later (`_charged_sha256`, FEEDS.md: a check
    comparing two periods belongs to the newer file, whichever period it is of): a revised May
    that now exceeds June's YTD fails on May's file, not on June's.
    """
    import pandas as pd

    key = match_key(frames.feed)
    history = frames.data(frames.history)
    checked_periods = set(frames.checked["_period"])
    # Worked out per (scope, period), then joined: the history holds every row of every month.
    pairs = history[["_scope", "_period"]].drop_duplicates()
    periods_by_scope: dict[str, list[str]] = {
        scope: sorted(set(group)) for scope, group in pairs.groupby("_scope")["_period"]
    }

    def previous(scope: str, period: str) -> str | None:
        if previous_month_only:
            year, month = int(period[:4]), int(period[5:])
            wanted = f"{year:04d}-{month - 1:02d}" if month > 1 else None
            return wanted if wanted in periods_by_scope.get(scope, []) else None
        earlier = [p for p in periods_by_scope.get(scope, [])
                   if p < period and (not same_year or p[:4] == period[:4])]
        return earlier[-1] if earlier else None

    pairs["_prev_period"] = [previous(s, p) for s, p in zip(pairs["_scope"], pairs["_period"], strict=True)]
    pairs = pairs[pairs["_period"].isin(checked_periods) | pairs["_prev_period"].isin(checked_periods)]
    rows = history[history["_period"].isin(set(pairs["_period"]))]
    rows = rows[rows[key].notna().all(axis=1)].merge(pairs, how="inner", on=["_scope", "_period"])
    join = list(dict.fromkeys([*key, "_scope"]))
    carried = ["_period", "_file_name", "_row_number", "_file_sha256", "_received_at", *columns]
    earlier = history[history["_period"].isin(set(pairs["_prev_period"].dropna()))]
    prev = earlier[[*join, *[c for c in carried if c in history.columns]]].drop_duplicates(subset=[*join, "_period"])
    prev = prev.rename(columns={c: f"{c}_prev" for c in carried})
    prev = prev.rename(columns={"_period_prev": "_prev_period", "_file_name_prev": "_prev_file_name",
                                "_row_number_prev": "_prev_row_number", "_file_sha256_prev": "_prev_file_sha256",
                                "_received_at_prev": "_prev_received_at"})
    merged = rows.merge(prev, how="left", on=[*join, "_prev_period"])
    if not len(merged):
        return pd.DataFrame(columns=[*rows.columns, *prev.columns, "_charged_sha256"])
    if "_received_at" in merged.columns:
        earlier_file_newer = merged["_prev_file_sha256"].notna() & (merged["_prev_received_at"] > merged["_received_at"])
    else:
        earlier_file_newer = pd.Series(False, index=merged.index)
    merged["_charged_sha256"] = merged["_prev_file_sha256"].where(earlier_file_newer, merged["_file_sha256"])
    return merged


def _empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[0:0]


# --- python evaluators ------------------------------------------------------------------

def _balance(level: Literal["section", "total"], column: str) -> Callable[[FeedFrames], pd.DataFrame]:
    """Parent rows (a section, or 合计) whose value differs from the sum of their children beyond tolerance."""

    def evaluate(frames: FeedFrames) -> pd.DataFrame:
        import pandas as pd

        rows = frames.checked.copy()
        rows["_level"] = [level_of(c, t) for c, t in zip(rows["industry_code"], rows["_is_total"], strict=True)]
        failing = []
        for _sha, vintage in rows.groupby("_file_sha256"):
            given = vintage[vintage[column].notna()]
            if level == "section":
                parents = given[given["_level"] == "section"]
                children = given[given["_level"] == "division"]
                child_parent = children["industry_code"].map(section_of)
            else:
                parents = given[given["_level"] == "total"]
                children = given[given["_level"] == "section"]
                child_parent = pd.Series("total", index=children.index)
            # One split of the file's children, not a filter of all of them per parent.
            kids_of = {code: kids for code, kids in children.groupby(child_parent, sort=False)}
            for index, parent in parents.iterrows():
                parent_code = parent["industry_code"] if level == "section" else "total"
                kids = kids_of.get(parent_code)
                if kids is None:  # only one side given: nothing to balance
                    continue
                total = float(kids[column].sum())
                value = float(parent[column])
                tolerance = max(BALANCE_RELATIVE_TOLERANCE * abs(value), BALANCE_ABSOLUTE_TOLERANCE)
                difference = value - total
                if abs(difference) > tolerance + EPS:
                    row = vintage.loc[index].to_dict()
                    row.update(children_sum=total, difference=difference, tolerance=tolerance,
                               children=",".join(str(c) for c in kids["industry_code"]))
                    failing.append(row)
        return pd.DataFrame(failing) if failing else _empty_like(frames.checked)

    return evaluate


def _enterprises_vs_divisions(frames: FeedFrames) -> pd.DataFrame:
    """Σ enterprise revenue by division (stats_enterprises, 千元 → 万元) against the division rows."""
    import pandas as pd

    enterprises = frames.other_history("stats_enterprises")
    enterprises = enterprises[~enterprises["_is_total"] & enterprises["revenue_ytd"].notna()]
    if enterprises.empty:
        return _empty_like(frames.checked)
    factor = conversion_factor(FEEDS["stats_enterprises"].column("revenue_ytd").unit,
                               FEEDS["stats_services"].column("revenue_ytd").unit)
    sums = (enterprises.assign(_division=enterprises["industry_code"].str[:2])
            .groupby(["_period", "_division"])["revenue_ytd"].sum() * factor)
    periods_with_enterprises = set(enterprises["_period"])
    failing = []
    rows = frames.checked
    for _, row in rows[rows["revenue_ytd"].notna()].iterrows():
        if row["_period"] not in periods_with_enterprises:
            continue
        if level_of(row["industry_code"], row["_is_total"]) != "division":
            continue
        enterprise_sum = float(sums.get((row["_period"], row["industry_code"]), 0.0))
        value = float(row["revenue_ytd"])
        if abs(enterprise_sum - value) > ENTERPRISES_VS_SERVICES_TOLERANCE * abs(value) + EPS:
            failing.append({**row.to_dict(), "enterprise_sum": enterprise_sum,
                            "difference": value - enterprise_sum})
    return pd.DataFrame(failing) if failing else _empty_like(rows)


def _ytd_decrease(column: str) -> Callable[[FeedFrames], pd.DataFrame]:
    def evaluate(frames: FeedFrames) -> pd.DataFrame:
        merged = with_previous(frames, [column], same_year=True)
        now, before = merged[column], merged[f"{column}_prev"]
        fell = now.notna() & before.notna() & (now < before - EPS * before.abs().clip(lower=1))
        return merged[fell]

    return evaluate


def _computed_yoy(rows: pd.DataFrame, ytd: str, prior: str) -> pd.Series:
    prior_values = rows[prior].where(rows[prior] != 0)
    return (rows[ytd] / prior_values - 1) * 100


def _yoy_mismatch(yoy: str, ytd: str, prior: str) -> Callable[[FeedFrames], pd.DataFrame]:
    def evaluate(frames: FeedFrames) -> pd.DataFrame:
        rows = frames.data().copy()
        rows["computed_yoy_pct"] = _computed_yoy(rows, ytd, prior)
        gap = (rows[yoy] - rows["computed_yoy_pct"]).abs()
        return rows[rows[yoy].notna() & rows["computed_yoy_pct"].notna() & (gap > YOY_TOLERANCE_POINTS + EPS)]

    return evaluate


def _yoy_outlier(yoy: str, ytd: str, prior: str) -> Callable[[FeedFrames], pd.DataFrame]:
    def evaluate(frames: FeedFrames) -> pd.DataFrame:
        rows = frames.data().copy()
        rows["effective_yoy_pct"] = rows[yoy].where(rows[yoy].notna(), _computed_yoy(rows, ytd, prior))
        return rows[rows["effective_yoy_pct"].abs() > YOY_OUTLIER_PCT]

    return evaluate


def _unit_slip(column: str) -> Callable[[FeedFrames], pd.DataFrame]:
    def evaluate(frames: FeedFrames) -> pd.DataFrame:
        # A YTD restarts each year: compare it within the year only.
        merged = with_previous(frames, [column], same_year=column.endswith("_ytd"))
        now, before = merged[column], merged[f"{column}_prev"]
        positive = now.notna() & before.notna() & (now > 0) & (before > 0)
        merged = merged[positive].copy()
        merged["jump_factor"] = merged[column] / merged[f"{column}_prev"]
        jump = merged["jump_factor"].where(merged["jump_factor"] >= 1, 1 / merged["jump_factor"])
        return merged[jump >= UNIT_SLIP_FACTOR - EPS]

    return evaluate


def _completed_exceeds_total(frames: FeedFrames) -> pd.DataFrame:
    rows = frames.data()
    total = rows["total_investment"]
    over = (rows["completed_ytd"] > total) | (rows["completed_since_start"] > total)
    return rows[over.fillna(False) & total.notna()]


def _completed_before_start(frames: FeedFrames) -> pd.DataFrame:
    rows = frames.data()
    completed = (rows["completed_ytd"].fillna(0) > 0) | (rows["completed_since_start"].fillna(0) > 0)
    before_start = rows["start_month"].notna() & (rows["start_month"].astype(object) > rows["_period"])
    return rows[completed & before_start.fillna(False)]


def _month_vs_ytd(month_col: str, ytd_col: str) -> Callable[[FeedFrames], pd.DataFrame]:
    """本月 = YTD(N) − YTD(N−1); in January YTD(N−1) is 0 by definition."""

    def evaluate(frames: FeedFrames) -> pd.DataFrame:
        merged = with_previous(frames, [ytd_col], same_year=True, previous_month_only=True)
        january = merged["_period"].str[5:] == "01"
        merged[f"{ytd_col}_prev"] = merged[f"{ytd_col}_prev"].where(~january, 0.0)
        merged["expected_month"] = merged[ytd_col] - merged[f"{ytd_col}_prev"]
        given = merged[month_col].notna() & merged["expected_month"].notna()
        gap = (merged[month_col] - merged["expected_month"]).abs()
        return merged[given & (gap > 1e-6)]

    return evaluate


def _unresolved_department(column: Column) -> Callable[[FeedFrames], pd.DataFrame]:
    """Rows whose department name landing could not resolve (its stored `<field>_canonical` is NULL)."""

    def evaluate(frames: FeedFrames) -> pd.DataFrame:
        rows = frames.data().copy()
        written = rows[column.field].map(lambda v: v.strip() if isinstance(v, str) else "")
        # A missing name is the required-column check's business.
        unresolved = (written != "") & rows[column.canonical_field].isna()
        rows["unresolved"] = rows[column.field].where(unresolved)
        return rows[unresolved]

    return evaluate


def _identifier(column: str, kind: str, severity: Severity) -> Callable[[FeedFrames], pd.DataFrame]:
    def evaluate(frames: FeedFrames) -> pd.DataFrame:
        rows = frames.data().copy()
        from ingest.identifiers import validate

        verdicts = [validate(kind, v) if isinstance(v, str) and v.strip() else None for v in rows[column].tolist()]
        rows["reason"] = [v.reason if v is not None and not v.ok else None for v in verdicts]
        hit = [v is not None and not v.ok and v.severity == severity for v in verdicts]
        return rows[hit]

    return evaluate


def _listed_indicator(problem: Literal["unknown", "unit", "kind"]) -> Callable[[FeedFrames], pd.DataFrame]:
    """Rows of a target list (annual_targets) that disagree with the indicator registry (seed
    ref_indicators): an id neither in the registry nor a new task code `TYYYY-NN`; for a registry
    indicator, a unit or a kind other than the registry's."""

    def evaluate(frames: FeedFrames) -> pd.DataFrame:
        rows = frames.data().copy()
        registry = reference.indicators()
        ids = rows["indicator_id"].map(lambda v: v.strip() if isinstance(v, str) else None)
        known = ids.map(lambda v: v in registry)
        if problem == "unknown":
            new_task = ids.fillna("").str.match(NEW_TASK_CODE)
            return rows[ids.notna() & ~known & ~new_task]
        if problem == "unit":
            rows["registry_unit"] = ids.map(lambda v: registry[v]["unit"] if v in registry else None)
            written = rows["unit"].map(lambda v: v.strip() if isinstance(v, str) else None)
            return rows[known & written.notna() & (written != rows["registry_unit"])]
        kind_column = frames.feed.column("kind")
        rows["registry_kind"] = ids.map(lambda v: registry[v]["kind"] if v in registry else None)
        rows["kind_code"] = rows["kind"].map(kind_column.decode)
        return rows[known & rows["kind_code"].notna() & (rows["kind_code"] != rows["registry_kind"])]

    return evaluate


# --- the suites ---------------------------------------------------------------------------

def _gx(name: str, **kwargs: Any) -> Callable[[], Any]:
    """Deferred GX expectation: importing great_expectations costs seconds, only the runner pays it."""

    def build() -> Any:
        import great_expectations.expectations as gxe

        return getattr(gxe, name)(**kwargs)

    return build


_INDUSTRY_CODES_HIERARCHICAL = sorted({*DIVISION_SECTION.values(), *DIVISION_SECTION, *TOTAL_CODES})
_INDUSTRY_CLASS_REGEX = "^(?:" + "|".join(sorted(DIVISION_SECTION)) + r")\d{2}$"


def feed_suite(feed: Feed) -> list[CheckDef]:
    """Every check of one feed, in the order the quality report lists them."""
    target = f"raw.{feed.feed_id}"
    fid = feed.feed_id
    key_fields = match_key(feed)
    checks: list[CheckDef] = []

    def add(check_id: str, severity: Severity, zh: str, en: str, engine: Engine, show: tuple[str, ...] = (),
            **how: Any) -> None:
        checks.append(CheckDef(f"{fid}.{check_id}", target, severity, zh, en, engine,
                               show=tuple(dict.fromkeys([*key_fields, *show])), **how))

    # Schema
    for col in feed.columns:
        if col.required:
            add(f"schema.required.{col.field}", "error", f"必填项为空（{col.header}）",
                f"required value missing ({col.header})", "gx", (col.field,),
                expectation=_gx("ExpectColumnValuesToNotBeNull", column=col.field))
        if col.enum:
            add(f"schema.enum.{col.field}", "error", f"取值不在规定范围内（{col.header}：{'、'.join(col.enum)}）",
                f"value not among the allowed values ({col.header})", "gx", (col.field,),
                expectation=_gx("ExpectColumnValuesToBeInSet", column=col.field, value_set=list(col.enum)))
        if col.identifier:
            add(f"schema.identifier_error.{col.field}", "error", f"代码/证件号码错误（{col.header}）",
                f"invalid identifier ({col.header})", "python", (col.field, "reason"),
                evaluate=_identifier(col.field, col.identifier, "error"))
            add(f"schema.identifier_warn.{col.field}", "warn", f"代码/证件号码存疑，请核实（{col.header}）",
                f"questionable identifier, please verify ({col.header})", "python", (col.field, "reason"),
                evaluate=_identifier(col.field, col.identifier, "warn"))
    if "industry_code" in {c.field for c in feed.columns}:
        if feed.hierarchical:
            add("schema.format.industry_code", "error", "行业代码不是GB/T 4754-2017门类字母、2位大类代码或「合计」",
                "industry code is not a GB/T 4754-2017 section letter, 2-digit division or 合计", "gx",
                ("industry_code",),
                expectation=_gx("ExpectColumnValuesToBeInSet", column="industry_code",
                                value_set=_INDUSTRY_CODES_HIERARCHICAL))
        else:
            add("schema.format.industry_code", "error", "行业代码不是GB/T 4754-2017的4位小类代码",
                "industry code is not a 4-digit GB/T 4754-2017 class", "gx", ("industry_code",),
                expectation=_gx("ExpectColumnValuesToMatchRegex", column="industry_code",
                                regex=_INDUSTRY_CLASS_REGEX))
    add("schema.parse_errors", "error", "单元格内容无法按规定类型识别", "cell could not be read as its column's type",
        "gx", ("_parse_errors",), expectation=_gx("ExpectColumnValuesToBeNull", column="_parse_errors"))

    # Uniqueness: one row per business key per vintage.
    add("uniqueness.business_key", "error", f"同一文件内业务主键重复（{'、'.join(key_fields)}）",
        f"business key repeated within the file ({', '.join(key_fields)})", "gx",
        expectation=_gx("ExpectCompoundColumnsToBeUnique", column_list=[*key_fields, "_file_sha256"],
                        ignore_row_if="any_value_is_missing"))

    # Balance (平衡审核)
    if feed.hierarchical:
        for col in feed.columns:
            if not col.additive:
                continue
            shown = (col.field, "children_sum", "difference", "tolerance", "children")
            add(f"balance.section_vs_divisions.{col.field}", "error", f"门类数与所属大类合计不符（{col.header}）",
                f"section total differs from the sum of its divisions ({col.header})", "python", shown,
                evaluate=_balance("section", col.field))
            add(f"balance.total_vs_sections.{col.field}", "error", f"合计数与各门类之和不符（{col.header}）",
                f"grand total differs from the sum of the sections ({col.header})", "python", shown,
                evaluate=_balance("total", col.field))
    if fid == "stats_services":
        add("balance.enterprises_vs_divisions.revenue_ytd", "warn", "企业明细汇总的营业收入与分行业数相差超过1%",
            "Σ enterprise revenue by division differs from the industry table by more than 1 %", "python",
            ("revenue_ytd", "enterprise_sum", "difference"), evaluate=_enterprises_vs_divisions)

    # Logic (逻辑审核)
    for col in feed.columns:
        if col.ytd_flow:
            add(f"logic.ytd_decrease.{col.field}", "error", f"本年累计数比上期减少（{col.header}）",
                f"year-to-date value fell against the previous period ({col.header})", "python",
                (col.field, f"{col.field}_prev", "_prev_period", "_prev_file_name", "_prev_row_number"),
                evaluate=_ytd_decrease(col.field))
    fields = {c.field for c in feed.columns}
    for col in feed.columns:
        stem = col.field.removesuffix("_yoy_pct")
        ytd, prior = f"{stem}_ytd", f"{stem}_prior_ytd"
        if col.field.endswith("_yoy_pct") and {ytd, prior} <= fields:
            add(f"logic.yoy_mismatch.{col.field}", "error",
                f"增速与累计数、上年同期推算不符（差值超过0.1个百分点，{col.header}）",
                f"reported growth differs from (YTD / prior − 1) × 100 by more than 0.1 point ({col.header})",
                "python", (col.field, ytd, prior, "computed_yoy_pct"), evaluate=_yoy_mismatch(col.field, ytd, prior))
            if feed.hierarchical:
                add(f"outlier.yoy_over_50pct.{col.field}", "warn", f"行业增速绝对值超过50%（{col.header}）",
                    f"industry growth beyond ±50 % ({col.header})", "python",
                    (col.field, ytd, prior, "effective_yoy_pct"), evaluate=_yoy_outlier(col.field, ytd, prior))
        month_ytd = col.field.removesuffix("_month") + "_ytd"
        if col.field.endswith("_month") and month_ytd in fields:
            add(f"logic.month_vs_ytd.{col.field}", "error", f"本月数不等于本年累计数减上月累计数（{col.header}）",
                f"month value differs from YTD(N) − YTD(N−1) ({col.header})", "python",
                (col.field, month_ytd, f"{month_ytd}_prev", "expected_month", "_prev_file_name"),
                evaluate=_month_vs_ytd(col.field, month_ytd))
    if fid == "major_projects":
        add("logic.completed_exceeds_total", "warn", "完成投资超过项目总投资", "completed investment exceeds total investment",
            "python", ("total_investment", "completed_ytd", "completed_since_start"),
            evaluate=_completed_exceeds_total)
        add("logic.completed_before_start", "warn", "开工时间之前已报完成投资",
            "completed investment reported before the project's start month", "python",
            ("start_month", "completed_ytd", "completed_since_start"), evaluate=_completed_before_start)

    # A value an indicator needs (INDICATORS.md "What value means"): an enterprise without 入库年月
    # is not counted in ent_new_above_scale; the row is kept and the statisticians are told.
    if fid == "stats_enterprises":
        add("schema.not_counted.entered_scope_month", "warn",
            "入库年月为空：该企业不计入新增规上服务业企业", "入库年月 missing: the enterprise is not counted "
            "among the new above-scale enterprises (ent_new_above_scale)", "gx", ("name", "entered_scope_month"),
            expectation=_gx("ExpectColumnValuesToNotBeNull", column="entered_scope_month"))

    # The year's target list against the indicator registry (FEEDS.md feed 13).
    if fid == "annual_targets":
        add("reference.unknown_indicator", "error", "指标代码既不在指标库中，也不是新增任务编号（TYYYY-NN）",
            "indicator id neither in the indicator registry nor a new task code (TYYYY-NN)", "python",
            ("name",), evaluate=_listed_indicator("unknown"))
        add("reference.unit_mismatch", "error", "计量单位与指标库不一致", "unit differs from the indicator registry's",
            "python", ("name", "unit", "registry_unit"), evaluate=_listed_indicator("unit"))
        add("reference.kind_mismatch", "error", "指标类型与指标库不一致", "kind differs from the indicator registry's",
            "python", ("name", "kind", "kind_code", "registry_kind"), evaluate=_listed_indicator("kind"))

    # Outliers (异常值审核): unit slips at enterprise level.
    if fid == "stats_enterprises":
        for col in feed.columns:
            if col.unit and col.type in ("number", "integer"):
                add(f"outlier.unit_slip.{col.field}", "warn", f"企业数值较上期跳变10倍以上，疑似单位错误（{col.header}）",
                    f"enterprise value jumped ×10 or more against its last period: unit slip? ({col.header})",
                    "python", ("name", col.field, f"{col.field}_prev", "jump_factor", "_prev_period"),
                    evaluate=_unit_slip(col.field))

    # Department names (always warn: FEEDS.md "Departments").
    for col in feed.department_columns:
        add(f"department.unresolved.{col.field}", "warn", f"单位名称不在部门对照表中（{col.header}）",
            f"department name not in the reference table ({col.header})", "python", (col.field, "unresolved"),
            evaluate=_unresolved_department(col))
    return checks


# --- completeness (judged per feed and period, not per vintage) ---------------------------
# What is late or missing is the completeness model's (dbt, expectations/completeness.py); these
# are the checks its findings are recorded under.

@dataclass(frozen=True)
class CompletenessCheck:
    check_id: str
    name_zh: str
    name_en: str


def completeness_checks(feed: Feed) -> dict[str, CompletenessCheck]:
    fid = feed.feed_id
    checks = [CompletenessCheck(f"{fid}.completeness.late", "迟报：报送日期晚于截止日", "submitted after the due date")]
    if feed.multi_department:
        checks.append(CompletenessCheck(f"{fid}.completeness.department_missing", "责任单位未报送",
                                        "a responsible department sent nothing"))
    else:
        checks.append(CompletenessCheck(f"{fid}.completeness.missing", "应报未报：本期文件缺失",
                                        "the period's file is due and missing"))
    return {c.check_id.rsplit(".", 1)[1]: c for c in checks}


# --- the mart suite ----------------------------------------------------------------------

MART_TARGET = "marts.fct_indicator_progress"
MART_COLUMNS = ("indicator_id", "period", "kind", "value", "annual_target", "completion_pct", "light", "light_reason")
LIGHTS = ("绿", "黄", "红", "—")
NO_LIGHT_REASONS = ("无年度目标", "未到报送期")


def _completion_inconsistent(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame.copy()
    given = (rows["kind"] == "cumulative") & rows["value"].notna() & rows["annual_target"].notna() & (
        rows["annual_target"] != 0)
    rows["expected_completion_pct"] = (rows["value"] / rows["annual_target"].where(given)) * 100
    gap = (rows["completion_pct"] - rows["expected_completion_pct"]).abs()
    bad = given & (rows["completion_pct"].isna() | (gap > 1e-6 * rows["expected_completion_pct"].abs().clip(lower=1)))
    return rows[bad.fillna(False)]


def _no_light_reason_expectation() -> Any:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    return gxe.ExpectColumnValuesToBeInSet(column="light_reason", value_set=list(NO_LIGHT_REASONS),
                                           row_condition=Column("light") == "—")


def mart_suite() -> list[CheckDef]:
    shown = ("indicator_id", "light", "light_reason", "value", "annual_target", "completion_pct")

    def check(check_id: str, zh: str, en: str, engine: Engine, **how: Any) -> CheckDef:
        return CheckDef(f"fct_indicator_progress.{check_id}", MART_TARGET, "error", zh, en, engine, shown, **how)

    return [
        check("light.not_null", "亮灯结果为空", "traffic light is NULL", "gx",
              expectation=_gx("ExpectColumnValuesToNotBeNull", column="light")),
        check("light.in_set", "亮灯结果不是绿、黄、红或—", "traffic light is not 绿/黄/红/—", "gx",
              expectation=_gx("ExpectColumnValuesToBeInSet", column="light", value_set=list(LIGHTS))),
        check("light.no_light_reason", "不亮灯（—）但原因不是「无年度目标」或「未到报送期」",
              "no light (—) without the reason 无年度目标 or 未到报送期", "gx",
              expectation=_no_light_reason_expectation),
        check("completion.consistent", "累计型指标完成率与完成值/年度目标不一致",
              "completion of a cumulative indicator differs from value / annual target", "python",
              evaluate=lambda frames: _completion_inconsistent(frames.checked)),
        check("indicators.complete", "指标库中的指标在进度表中缺失", "an indicator of the registry is missing", "gx",
              expectation=_gx("ExpectColumnDistinctValuesToContainSet", column="indicator_id",
                              value_set=sorted(reference.indicators()))),
    ]


def catalogue() -> list[dict[str, str]]:
    """Every check this package defines: id, target, kind, severity, engine and descriptions.

    For wiring (one blocking asset check per target) and for documentation. Completeness
    `missing` is warn before the due date and error after it.
    """
    rows = [
        {"check_id": c.check_id, "target": c.target, "kind": c.kind, "severity": c.severity, "engine": c.engine,
         "name_zh": c.name_zh, "name_en": c.name_en}
        for checks in [*(feed_suite(f) for f in FEEDS.values()), mart_suite()] for c in checks
    ]
    for feed in FEEDS.values():
        for rule, c in completeness_checks(feed).items():
            rows.append({"check_id": c.check_id, "target": f"raw.{feed.feed_id}", "kind": "completeness",
                         "severity": "warn/error" if rule == "missing" else "warn", "engine": "completeness",
                         "name_zh": c.name_zh, "name_en": c.name_en})
    return rows
