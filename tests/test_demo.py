"""The demo feed generator: its files obey the statisticians' rules, the manifest tells
the truth about them, and every fault kind produces exactly its defect where recorded.

Files are read back with openpyxl / csv by the small helpers below (not with the
platform's reader), and every rule is recomputed here from the cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import openpyxl
import pytest
from stdnum.cn import ric, uscc

from demo import (
    FAULT_KINDS,
    MANIFEST_NAME,
    DemoManifest,
    generate_demo_feeds,
    load_manifest,
    parse_faults,
)

ALL_FAULTS = ("unit_slip", "subtotal_mismatch", "ytd_drop", "bad_uscc", "missing_column", "late_feed",
              "duplicate_key", "yoy_mismatch")
NOTE_PREFIXES = ("注", "说明", "填报人", "审核人", "负责人")


# --- reading files back ---------------------------------------------------------------------
class Sheet:
    """A demo table as a person sees it: title, 单位 line, flattened header, rows by Excel row."""

    def __init__(self, path: Path):
        wb = openpyxl.load_workbook(path)
        ws = wb[wb.sheetnames[-1]]  # the data sheet comes after any 填报说明 sheet
        self.sheet_name = ws.title
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        self.title = None
        self.unit_line = None
        header_at = None
        for i, row in enumerate(grid):
            filled = [c for c in row if c not in (None, "")]
            if len(filled) == 1 and str(filled[0]).startswith("单位："):
                self.unit_line = str(filled[0])
            elif len(filled) == 1 and header_at is None and self.title is None:
                self.title = str(filled[0])
            elif len(filled) > 1:
                header_at = i
                break
        assert header_at is not None, f"{path.name}: no header"
        top = grid[header_at]
        below = grid[header_at + 1]
        two_rows = below[0] is None and any(isinstance(c, str) for c in below)
        headers, parent = [], None
        for j, cell in enumerate(top):
            if cell is not None:
                parent = cell
            child = below[j] if two_rows else None
            headers.append(f"{parent}_{child}" if child else str(cell if cell is not None else parent))
        self.headers = headers
        self.rows: list[tuple[int, dict[str, object]]] = []  # (Excel row, values by flat header)
        self.total: dict[str, object] | None = None
        self.notes: list[str] = []
        for i in range(header_at + (2 if two_rows else 1), len(grid)):
            row = grid[i]
            first = row[0]
            if all(c is None for c in row):
                continue
            if isinstance(first, str) and first.startswith(NOTE_PREFIXES):
                self.notes.append(first)
                continue
            values = dict(zip(headers, row, strict=True))
            if first == "合计":
                self.total = values
            else:
                self.rows.append((i + 1, values))

    def column(self, header: str) -> list[object]:
        return [v[header] for _, v in self.rows]


def read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    with open(path, encoding="gb18030", newline="") as fh:
        return [(i + 2, row) for i, row in enumerate(csv.DictReader(fh))]


def title_period(text: str) -> str:
    """Period of a title: `2023年1-6月` / `2023年6月` / `2023年上半年` (as FEEDS.md spells them)."""
    m = re.search(r"(\d{4})年(?:1[-—])?(\d{1,2})月", text)
    if m:
        return f"{m[1]}-{int(m[2]):02d}"
    m = re.search(r"(\d{4})年上半年", text)
    assert m, text
    return f"{m[1]}-06"


def name_period(name: str) -> str:
    m = re.search(r"(\d{4})年(\d{1,2})月", name) or re.search(r"(\d{4})-?(\d{2})", name)
    assert m, name
    return f"{m[1]}-{int(m[2]):02d}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- runs ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spring(tmp_path_factory) -> tuple[Path, DemoManifest]:
    out = tmp_path_factory.mktemp("spring")
    return out, generate_demo_feeds(out, first="2023-01", last="2023-04", seed=7)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> tuple[Path, DemoManifest]:
    out = tmp_path_factory.mktemp("faulty")
    return out, generate_demo_feeds(out, first="2023-01", last="2023-04", seed=7,
                                    faults=[f"{k}@2023-04" for k in ALL_FAULTS])


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> tuple[Path, DemoManifest]:
    out = tmp_path_factory.mktemp("full")
    return out, generate_demo_feeds(out, seed=7)


def services_sheet(out: Path, manifest: DemoManifest, period: str) -> Sheet:
    (entry,) = manifest.files_of("stats_services", period)
    return Sheet(out / entry.path)


def by_code(sheet: Sheet) -> dict[str, dict[str, object]]:
    out = {str(v["行业代码"]): v for _, v in sheet.rows}
    out["合计"] = sheet.total
    return out


# --- which files exist ----------------------------------------------------------------------
def test_due_periods_no_january_statistics_and_quarterly_employment(spring):
    out, manifest = spring
    periods = defaultdict(set)
    for f in manifest.files:
        periods[f.feed_id].add(f.period)
        assert (out / f.path).is_file()
    for feed in ("stats_services", "stats_enterprises", "stats_fai"):
        assert periods[feed] == {"2023-02", "2023-03", "2023-04"}
    assert periods["stats_employment"] == {"2023-03"}
    for feed in ("tax_revenue", "major_projects", "innovation_zones", "enterprise_cultivation",
                 "talent_registry", "supervision_items"):
        assert periods[feed] == {"2023-01", "2023-02", "2023-03", "2023-04"}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk == {f.path for f in manifest.files} | {MANIFEST_NAME}


def test_multi_department_files_one_per_department_and_names_resolve(spring):
    out, manifest = spring
    seeds = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
    with open(seeds / "ref_department_aliases.csv", encoding="utf-8") as fh:
        aliases = {r["alias"]: r["dept_name"] for r in csv.DictReader(fh)}
    with open(seeds / "ref_indicators.csv", encoding="utf-8") as fh:
        owned = defaultdict(set)
        for r in csv.DictReader(fh):
            if r["source_feed"] == "dept_task_progress":
                owned[r["owner_dept"]].add(r["indicator_id"])
    written = set()
    for f in manifest.files_of("dept_task_progress"):
        sheet = Sheet(out / f.path)
        names = set(sheet.column("填报单位"))
        assert len(names) == 1
        (name,) = names
        written.add(name)
        assert aliases[name] == f.scope  # the name as written resolves to the scope
        assert set(sheet.column("指标代码")) == owned[f.scope]
        assert set(sheet.column("填报日期")) == {dt.datetime.fromisoformat(f.submitted_on)}
    assert "区人社局" in written  # an alias, not the canonical 区人力社保局
    seen = Counter((f.period, f.scope) for f in manifest.files_of("dept_task_progress"))
    assert max(seen.values()) == 1
    missing = {(m.period, m.scope) for m in manifest.not_submitted if m.feed_id == "dept_task_progress"}
    for period in ("2023-01", "2023-02", "2023-03", "2023-04"):
        sent = {scope for p, scope in seen if p == period}
        assert sent | {s for p, s in missing if p == period} == set(owned)


def test_period_in_title_and_file_name_agree(spring):
    out, manifest = spring
    for f in manifest.files:
        name = f.path.split("/")[1]
        if f.feed_id != "supervision_items" and f.path.endswith(".xlsx"):
            sheet = Sheet(out / f.path)
            assert title_period(sheet.title) == f.period, f.path
        if f.path.endswith(".csv") and f.feed_id != "supervision_items":
            labels = {r["报告期"] for _, r in read_csv(out / f.path)}
            assert {name_period(x) for x in labels} == {f.period}
        assert name_period(name) == f.period, f.path


def test_statistics_first_period_title_is_jan_feb(spring):
    out, manifest = spring
    sheet = services_sheet(out, manifest, "2023-02")
    assert "2023年1-2月" in sheet.title
    assert sheet.unit_line == "单位：万元"
    assert sheet.notes[-1].startswith("填报人：")
    (ents,) = manifest.files_of("stats_enterprises", "2023-02")
    assert Sheet(out / ents.path).unit_line == "单位：千元"


# --- stats_services: balance, YTD, YoY ------------------------------------------------------
ADDITIVE = ("企业数", "营业收入_本年累计", "营业收入_上年同期", "营业利润_本年累计", "应付职工薪酬_本年累计",
            "期末用工人数（人）")


def balance_breaks(sheet: Sheet) -> list[tuple[str, str]]:
    """(row code, column) where a parent differs from Σ children by more than 0.1 % (or 1 unit)."""
    rows = by_code(sheet)
    children: dict[str, list[str]] = defaultdict(list)
    section = None
    for code in (str(v["行业代码"]) for _, v in sheet.rows):
        if code.isalpha():
            section = code
            children["合计"].append(code)
        else:
            children[section].append(code)
    breaks = []
    for parent, kids in children.items():
        for col in ADDITIVE:
            want = sum(rows[k][col] for k in kids)
            got = rows[parent][col]
            if abs(got - want) > max(0.001 * abs(got), 1):
                breaks.append((parent, col))
    return breaks


def yoy_breaks(sheet: Sheet, limit: float = 0.1) -> list[str]:
    out = []
    for code, v in by_code(sheet).items():
        expected = (v["营业收入_本年累计"] / v["营业收入_上年同期"] - 1) * 100
        if abs(v["营业收入_增速(%)"] - expected) > limit:
            out.append(code)
    return out


def test_services_sections_and_total_balance_and_yoy(spring):
    out, manifest = spring
    for period in ("2023-02", "2023-03", "2023-04"):
        sheet = services_sheet(out, manifest, period)
        codes = [str(c) for c in sheet.column("行业代码")]
        assert {c for c in codes if c.isalpha()} <= set("GIKLMNOPQR") and "F" not in codes
        assert all(len(c) == 2 for c in codes if not c.isalpha())
        assert balance_breaks(sheet) == []
        assert yoy_breaks(sheet) == []
        annualised = sheet.total["营业收入_本年累计"] * 12 / int(period[5:])
        assert 1e6 <= annualised <= 1e7  # 万元 a year


def test_ytd_never_falls_within_a_year_and_restarts_in_a_new_one(full):
    out, manifest = full
    previous: dict[str, dict] = {}
    for f in sorted(manifest.files_of("stats_services"), key=lambda f: f.period):
        current = by_code(Sheet(out / f.path))
        if previous and f.period[5:] != "02":
            for code, v in current.items():
                if code in previous:
                    for col in ("营业收入_本年累计", "应付职工薪酬_本年累计"):
                        assert v[col] >= previous[code][col], (f.period, code, col)
        if f.period == "2024-02":
            assert current["合计"]["营业收入_本年累计"] < previous["合计"]["营业收入_本年累计"]
        previous = current
    # training: YTD non-decreasing and 本月 = YTD(N) − YTD(N−1) where both months were sent
    ytd = {}
    for f in manifest.files_of("training_records"):
        for _, r in read_csv(out / f.path):
            ytd[(f.scope, r["培训项目"], f.period)] = (int(r["本月人次"]), int(r["本年累计人次"]))
    checked = 0
    for (scope, program, period), (month_value, value) in ytd.items():
        year, month = int(period[:4]), int(period[5:])
        if month == 1:
            assert month_value == value
            continue
        before = ytd.get((scope, program, f"{year}-{month - 1:02d}"))
        if before:
            assert value >= before[1]
            assert month_value == value - before[1]
            checked += 1
    assert checked > 100


def test_enterprise_micro_data_sums_to_industry_table(spring):
    out, manifest = spring
    for period in ("2023-02", "2023-03", "2023-04"):
        (ents,) = manifest.files_of("stats_enterprises", period)
        sheet = Sheet(out / ents.path)
        month = int(period[5:])
        by_division = defaultdict(float)
        for _, v in sheet.rows:
            by_division[str(v["行业代码"])[:2]] += v[f"营业收入_1-{month}月"] / 10  # 千元 → 万元
        industries = by_code(services_sheet(out, manifest, period))
        for division, revenue in by_division.items():
            assert abs(industries[division]["营业收入_本年累计"] - revenue) <= 0.01 * revenue
        assert 300 <= len(sheet.rows) <= 900


def test_enterprises_grow_by_about_fifty_a_year(full):
    out, manifest = full
    (dec,) = manifest.files_of("stats_enterprises", "2024-12")
    entered = Counter(str(v["入库年月"])[:4] for _, v in Sheet(out / dec.path).rows)
    assert 40 <= entered["2024"] <= 60
    assert 40 <= entered["2023"] <= 60


# --- identifiers -----------------------------------------------------------------------------
def test_usccs_and_id_numbers_are_valid(spring):
    out, manifest = spring
    (ents,) = manifest.files_of("stats_enterprises", "2023-04")
    codes = Sheet(out / ents.path).column("统一社会信用代码")
    assert len(codes) == len(set(codes))
    assert all(uscc.is_valid(c) for c in codes)
    (talents,) = manifest.files_of("talent_registry", "2023-04")
    sheet = Sheet(out / talents.path)
    old_lucheng = 0
    for number in sheet.column("公民身份号码"):
        assert len(number) == 18 and number[:4] == "3303"
        assert ric.calc_check_digit(number) == number[-1]  # ISO 7064 MOD 11-2
        born = ric.get_birth_date(number)
        if born.year >= 1984:
            assert ric.is_valid(number)  # the region code existed in the birth year
        elif number[:6] == "330302":
            old_lucheng += 1
    assert old_lucheng > 0
    assert all(uscc.is_valid(c) for c in sheet.column("工作单位统一社会信用代码"))


def test_projects_codes_provincial_total_and_new_projects(full):
    out, manifest = full
    pattern = re.compile(r"^\d{4}-330302-\d{2}-\d{2}-\d{6}$")
    codes_by_year = defaultdict(set)
    completed = defaultdict(dict)
    for f in manifest.files_of("major_projects"):
        sheet = Sheet(out / f.path)
        rows = [v for _, v in sheet.rows]
        assert all(pattern.match(v["项目代码"]) for v in rows)
        codes_by_year[f.period[:4]] |= {v["项目代码"] for v in rows}
        for v in rows:
            completed[v["项目代码"]][f.period] = v["本年累计完成投资"]
        if f.period.startswith("2023"):
            provincial = [v for v in rows if v["项目级别"] == "省重大"]
            assert len(provincial) == 4
            assert round(sum(v["总投资"] for v in provincial), 6) == 139.5
            assert Counter(v["项目类型"] for v in provincial) == {"战略支撑型": 1, "产业赋能型": 2, "生活美好型": 1}
            assert any(v["是否千项万亿"] == "是" for v in rows)
    assert codes_by_year["2024"] - codes_by_year["2023"]  # new projects in 2024
    for series in completed.values():
        periods = sorted(series)
        for a, b in zip(periods, periods[1:], strict=False):
            if a[:4] == b[:4]:
                assert series[b] >= series[a]
    assert any(series[b] > series[a] for series in completed.values()
               for a, b in [("2023-05", "2023-06")] if a in series)


def test_zones_statuses_progress_and_units_convert(full):
    out, manifest = full
    status = {}
    for f in sorted(manifest.files_of("innovation_zones"), key=lambda f: f.period):
        sheet = Sheet(out / f.path)
        assert sheet.unit_line == "单位：万元"
        for _, v in sheet.rows:
            status.setdefault(v["发展区名称"], []).append((v["级别"], v["状态"]))
        revenue_yi = sum(sheet.column("营业收入_本年累计")) / 1e4
        assert f.sums["revenue_ytd"] == pytest.approx(revenue_yi, abs=1e-6)
    provincial = [s for s in status.values() if s[0][0] == "省级"]
    assert len(provincial) == 1 and provincial[0][0][1] == "培育" and ("省级", "创建") in provincial[0]
    assert any(s[0] == ("市级", "培育") for s in status.values())


def test_department_progress_mix(full):
    _, manifest = full
    task_files = manifest.files_of("dept_task_progress")
    late = [f for f in task_files if f.submitted_on > f.due_on]
    assert 0 < len(late) < len(task_files) / 4
    assert all(f.due_on[8:] == "05" for f in task_files)
    missing = [m for m in manifest.not_submitted if m.feed_id == "dept_task_progress"]
    assert 0 < len(missing) < len(task_files) / 10
    stats = [f for f in manifest.files if f.feed_id.startswith("stats_")]
    assert all(f.due_on[8:] == "20" and f.submitted_on <= f.due_on for f in stats)


# --- the manifest ------------------------------------------------------------------------------
def _to_number(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def test_manifest_sums_and_rows_match_the_files(spring):
    out, manifest = spring
    reread = DemoManifest.from_json((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert reread == manifest == load_manifest(out)
    # xlsx feeds: header text → field, and the factor from the file's unit to the registry's
    xlsx_columns = {
        "stats_services": {"营业收入_本年累计": ("revenue_ytd", 1), "期末用工人数（人）": ("employees", 1)},
        "stats_enterprises": {"营业收入_上年同期": ("revenue_prior_ytd", 1), "期末用工人数": ("employees", 1)},
        "stats_employment": {"数值": ("persons", 1e4)},  # 万人 → 人
        "innovation_zones": {"税收收入_本年累计": ("tax_ytd", 1e-4)},  # 万元 → 亿元
        "major_projects": {"本年累计完成投资": ("completed_ytd", 1)},
        "dept_task_progress": {"本年累计值": ("value_ytd", 1)},
    }
    csv_columns = {"tax_revenue": {"税收收入_本年累计（万元）": "tax_ytd"},
                   "training_records": {"本年累计人次": "person_times_ytd"}}
    checked = 0
    for f in manifest.files:
        if f.feed_id in xlsx_columns:
            sheet = Sheet(out / f.path)
            assert f.data_rows == len(sheet.rows)
            assert f.sheet == sheet.sheet_name
            for header, (field, factor) in xlsx_columns[f.feed_id].items():
                assert f.sums[field] == pytest.approx(sum(sheet.column(header)) * factor, rel=1e-9, abs=1e-6)
                checked += 1
        elif f.feed_id in csv_columns:
            rows = read_csv(out / f.path)
            data = [r for _, r in rows if r.get("行业代码") != "合计"]
            assert f.data_rows == len(data)
            for header, field in csv_columns[f.feed_id].items():
                assert f.sums[field] == pytest.approx(sum(_to_number(r[header]) for r in data), abs=1e-6)
                checked += 1
    assert checked > 60


def test_same_seed_same_bytes_other_seed_other_numbers(tmp_path):
    a = generate_demo_feeds(tmp_path / "a", first="2023-03", last="2023-03", seed=11)
    b = generate_demo_feeds(tmp_path / "b", first="2023-03", last="2023-03", seed=11)
    c = generate_demo_feeds(tmp_path / "c", first="2023-03", last="2023-03", seed=12)
    assert a == b
    for f in a.files:
        assert sha256(tmp_path / "a" / f.path) == sha256(tmp_path / "b" / f.path)
    assert [f.sums for f in a.files_of("stats_services")] != [f.sums for f in c.files_of("stats_services")]


def test_a_period_does_not_depend_on_the_range(spring, tmp_path):
    out, manifest = spring
    alone = generate_demo_feeds(tmp_path, first="2023-03", last="2023-03", seed=7)
    for f in alone.files:
        if f.feed_id in ("stats_services", "stats_enterprises", "major_projects", "talent_registry"):
            assert sha256(tmp_path / f.path) == sha256(out / f.path)


# --- faults ---------------------------------------------------------------------------------------
def fault(manifest: DemoManifest, kind: str):
    (found,) = [f for f in manifest.faults if f.kind == kind]
    return found


def test_unit_slip_and_bad_uscc(spring, faulty):
    clean_out, (out, bad) = spring[0], faulty
    slip, wrong = fault(bad, "unit_slip"), fault(bad, "bad_uscc")
    assert slip.file == wrong.file
    faulty_sheet, clean_sheet = Sheet(out / slip.file), Sheet(clean_out / slip.file)
    assert faulty_sheet.unit_line == "单位：千元"
    changed = {}
    for (row, after), (_, before) in zip(faulty_sheet.rows, clean_sheet.rows, strict=True):
        diff = {k for k in after if after[k] != before[k]}
        if diff:
            changed[row] = diff
            if row == slip.row:
                assert after["营业收入_1-4月"] == before["营业收入_1-4月"] * 1000
                assert after["应付职工薪酬_本年累计"] == before["应付职工薪酬_本年累计"] * 1000
                assert after["期末用工人数"] == before["期末用工人数"]
            if row == wrong.row:
                code = after["统一社会信用代码"]
                assert code[:17] == before["统一社会信用代码"][:17] and len(code) == 18
                assert all(ch in "0123456789ABCDEFGHJKLMNPQRTUWXY" for ch in code)
                assert not uscc.is_valid(code) and uscc.calc_check_digit(code[:17]) != code[17]
    assert changed == {slip.row: {"营业收入_1-4月", "营业收入_上年同期", "应付职工薪酬_本年累计"},
                       wrong.row: {"统一社会信用代码"}}
    entry = bad.file(slip.file)
    assert entry.sums["revenue_ytd"] == pytest.approx(sum(faulty_sheet.column("营业收入_1-4月")))
    assert slip.sheet == faulty_sheet.sheet_name


def test_services_faults_each_at_their_row(spring, faulty):
    (clean_out, clean), (out, bad) = spring, faulty
    mismatch, drop, yoy = fault(bad, "subtotal_mismatch"), fault(bad, "ytd_drop"), fault(bad, "yoy_mismatch")
    sheet = Sheet(out / mismatch.file)
    rows = dict(sheet.rows)
    section = str(rows[mismatch.row]["行业代码"])
    assert section.isalpha()
    assert balance_breaks(sheet) == [(section, "营业收入_本年累计")]
    march = by_code(services_sheet(out, bad, "2023-03"))
    falls = [code for code, v in by_code(sheet).items()
             if code in march and v["营业收入_本年累计"] < march[code]["营业收入_本年累计"]]
    assert falls == [str(rows[drop.row]["行业代码"])]
    assert yoy_breaks(sheet) == [str(rows[yoy.row]["行业代码"])]
    assert abs(rows[yoy.row]["营业收入_增速(%)"]
               - (rows[yoy.row]["营业收入_本年累计"] / rows[yoy.row]["营业收入_上年同期"] - 1) * 100) >= 1
    assert {mismatch.field, drop.field, yoy.field} == {"revenue_ytd", "revenue_yoy_pct"}
    # the clean run of the same period has none of it
    clean_sheet = services_sheet(clean_out, clean, "2023-04")
    assert balance_breaks(clean_sheet) == [] and yoy_breaks(clean_sheet) == []


def test_missing_column_late_feed_and_duplicate_key(spring, faulty):
    (clean_out, clean), (out, bad) = spring, faulty
    missing = fault(bad, "missing_column")
    header = next(csv.reader(open(out / missing.file, encoding="gb18030")))
    assert "税收收入_本年累计（万元）" not in header
    assert "税收收入_本年累计（万元）" in next(csv.reader(open(clean_out / missing.file, encoding="gb18030")))

    late = fault(bad, "late_feed")
    entry, on_time = bad.file(late.file), clean.file(late.file)
    assert on_time.submitted_on <= on_time.due_on
    assert (dt.date.fromisoformat(entry.submitted_on) - dt.date.fromisoformat(entry.due_on)).days >= 15
    others_late = [f for f in bad.files if f.path != late.file and f.submitted_on > f.due_on
                   and f.feed_id != "dept_task_progress" and f.feed_id != "training_records"]
    assert others_late == []

    dup = fault(bad, "duplicate_key")
    sheet = Sheet(out / dup.file)
    codes = Counter(sheet.column("项目代码"))
    repeated = [code for code, n in codes.items() if n > 1]
    assert repeated == [dict(sheet.rows)[dup.row]["项目代码"]]
    assert entry.data_rows == clean.file(dup.file).data_rows + 1 == len(sheet.rows)


def test_default_fault_period_is_the_last_due_one(tmp_path):
    manifest = generate_demo_feeds(tmp_path, first="2023-02", last="2023-03", seed=7,
                                   faults=["yoy_mismatch", "late_feed"])
    assert {f.kind: f.period for f in manifest.faults} == {"yoy_mismatch": "2023-03", "late_feed": "2023-03"}
    stored = {f["kind"]: f for f in json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))["faults"]}
    assert stored["yoy_mismatch"]["row"] > 4 and stored["late_feed"]["row"] is None


def test_bad_fault_requests_are_refused():
    with pytest.raises(ValueError, match="unit_slip") as err:
        parse_faults(["unit_slide"], "2023-01", "2023-04")
    assert all(kind in str(err.value) for kind in FAULT_KINDS)
    with pytest.raises(ValueError, match="not due"):
        parse_faults(["subtotal_mismatch@2023-01"], "2023-01", "2023-04")  # no January statistics
    with pytest.raises(ValueError, match="not due"):
        parse_faults(["late_feed@2023-09"], "2023-01", "2023-04")
    with pytest.raises(ValueError, match="previous month"):
        parse_faults(["ytd_drop@2023-02"], "2023-01", "2023-04")
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_faults(["late_feed@2023-4"], "2023-01", "2023-04")
    with pytest.raises(ValueError, match="starts in 2023-01"):
        generate_demo_feeds(Path("/nonexistent"), first="2022-12", last="2023-01")


def test_full_range_is_complete(full):  # its speed: benchmarks/bench_landing.py
    _, manifest = full
    assert {f.feed_id for f in manifest.files} == {
        "stats_services", "stats_enterprises", "stats_fai", "stats_employment", "tax_revenue",
        "major_projects", "innovation_zones", "enterprise_cultivation", "talent_registry",
        "training_records", "dept_task_progress", "supervision_items", "annual_targets"}
    assert len(manifest.files_of("stats_employment")) == 8
    # The year's target list: owed from 2024 (the plan states 2023's), one file, period January.
    assert [f.period for f in manifest.files_of("annual_targets")] == ["2024-01"]
    assert len(manifest.files_of("stats_services")) == 22


def test_the_2024_list_continues_most_tasks_drops_a_few_and_adds_some(full):
    out, manifest = full
    seeds = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
    with open(seeds / "ref_indicators.csv", encoding="utf-8") as fh:
        registry = {r["indicator_id"]: r for r in csv.DictReader(fh)}
    with open(seeds / "ref_department_aliases.csv", encoding="utf-8") as fh:
        aliases = {r["alias"]: r["dept_name"] for r in csv.DictReader(fh)}
    (entry,) = manifest.files_of("annual_targets")
    sheet = Sheet(out / entry.path)
    assert "2024年度" in sheet.title and entry.submitted_on < entry.due_on == "2024-03-31"
    rows = {v["指标代码"]: v for _, v in sheet.rows}
    kinds = {"累计": "cumulative", "节点": "milestone", "比率": "rate"}
    plan_tasks = {i for i, r in registry.items() if r["goal_type"] == "annual_2023"}
    continued, dropped = plan_tasks & set(rows), plan_tasks - set(rows)
    new = {i for i in rows if re.fullmatch(r"T2024-\d{2}", i)}
    assert len(continued) >= 0.85 * len(plan_tasks) and 2 <= len(dropped) <= 6 and 3 <= len(new) <= 8
    assert set(rows) <= set(registry) | new
    for indicator_id in set(rows) & set(registry):
        v, r = rows[indicator_id], registry[indicator_id]
        assert (v["计量单位"], kinds[v["类型"]], v["年度"]) == (r["unit"], r["kind"], "2024"), indicator_id
        if indicator_id in continued and r["kind"] == "cumulative" and r["source_feed"] != "major_projects":
            assert v["年度目标"] > float(r["target_2023"]), indicator_id  # higher targets
    # Each department reports in 2024 the list's tasks it leads (the first department named).
    led = defaultdict(set)
    for indicator_id, v in rows.items():
        if indicator_id in new or registry[indicator_id]["source_feed"] == "dept_task_progress":
            led[aliases[v["责任单位"].split("、")[0]]].add(indicator_id)
    for f in manifest.files_of("dept_task_progress", "2024-06"):
        assert set(Sheet(out / f.path).column("指标代码")) == led[f.scope], f.scope
    assert any(new & ids for ids in led.values())


# --- the other feeds ----------------------------------------------------------------------------
def test_tax_revenue_balances_like_the_industry_table(spring):
    out, manifest = spring
    for f in manifest.files_of("tax_revenue"):
        rows = {r["行业代码"]: r for _, r in read_csv(out / f.path)}
        order = list(rows)
        assert order[0] == "合计"
        sections = [c for c in order if len(c) == 1]
        assert set(sections) <= set("GIKLMNOPQR")
        col = "税收收入_本年累计（万元）"
        total = sum(float(rows[s][col]) for s in sections)
        assert float(rows["合计"][col]) == pytest.approx(total, abs=0.05)
        for s in sections:
            start = order.index(s) + 1
            kids = []
            for code in order[start:]:
                if len(code) == 1:
                    break
                kids.append(code)
            assert float(rows[s][col]) == pytest.approx(sum(float(rows[k][col]) for k in kids), abs=0.05)
        for code, r in rows.items():
            expected = (float(r[col]) / float(r["税收收入_上年同期（万元）"]) - 1) * 100
            assert abs(float(r["增速(%)"]) - expected) <= 0.1, code


def test_investment_and_employment_shares(full):
    out, manifest = full
    for f in manifest.files_of("stats_fai"):
        rows = {v["指标名称"]: v for _, v in Sheet(out / f.path).rows}
        assert {"固定资产投资", "服务业投资"} <= set(rows)
        assert 60 <= rows["服务业投资"]["占固定资产投资比重(%)"] <= 72
        assert -20 <= rows["服务业投资"]["增速(%)"] <= 30
    for f in manifest.files_of("stats_employment"):
        sheet = Sheet(out / f.path)
        assert sheet.unit_line == "单位：万人"
        values = {v["指标名称"]: v["数值"] for _, v in sheet.rows}
        assert 0.64 <= values["第三产业从业人员"] / values["全社会从业人员"] <= 0.71
        assert f.sums["persons"] == pytest.approx((values["第三产业从业人员"] + values["全社会从业人员"]) * 1e4)


def test_lists_evolve_cultivation_talents_supervision(full):
    out, manifest = full
    (last,) = manifest.files_of("enterprise_cultivation", "2024-12")
    rows = [v for _, v in Sheet(out / last.path).rows]
    assert {v["培育层级"] for v in rows} == {"百亿级龙头", "领跑企业", "创新型市场主体"}
    assert {"调出", "替补", "在库"} == {v["状态"] for v in rows}
    assert {v["所属产业"] for v in rows} <= {"现代商贸", "现代物流", "现代金融", "科技服务", "信息服务",
                                            "商务会展", "创意设计", "人力资源", "文化旅游", "健康服务"}
    (first,) = manifest.files_of("enterprise_cultivation", "2023-01")
    assert {v["状态"] for _, v in Sheet(out / first.path).rows} == {"在库"}

    (dec,) = manifest.files_of("talent_registry", "2023-12")
    talents = [v for _, v in Sheet(out / dec.path).rows]
    leaders_2023 = [v for v in talents if v["人才类别"] == "服务业领军人才" and v["认定时间"].startswith("2023")]
    assert len(leaders_2023) == 2
    assert 150 <= sum(v["认定时间"].startswith("2023") for v in talents) <= 300

    open_before = None
    for f in sorted(manifest.files_of("supervision_items"), key=lambda f: f.period):
        rows = [r for _, r in read_csv(out / f.path)]
        month_end = str(registry_month_end(f.period))
        for r in rows:
            assert r["提出日期"] <= month_end and r["整改期限"] > r["提出日期"]
            assert (r["状态"] == "已销号") == bool(r["销号日期"])
            assert not r["销号日期"] or r["销号日期"] <= month_end
        count = len(rows)
        assert open_before is None or count > open_before  # items keep being raised
        open_before = count


def registry_month_end(period: str) -> dt.date:
    from ingest.registry import month_end

    return month_end(period)


def test_rerun_replaces_the_previous_demo_but_not_other_files(tmp_path):
    first = generate_demo_feeds(tmp_path, first="2023-01", last="2023-02", seed=3)
    keep = tmp_path / "stats_services" / "my_own_notes.txt"
    keep.write_text("not a demo file", encoding="utf-8")
    second = generate_demo_feeds(tmp_path, first="2023-03", last="2023-03", seed=3, faults="late_feed")
    on_disk = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk == {f.path for f in second.files} | {MANIFEST_NAME, "stats_services/my_own_notes.txt"}
    assert not {f.path for f in first.files} & {f.path for f in second.files}
    assert [f.kind for f in second.faults] == ["late_feed"]


# --- through the platform's reader ---------------------------------------------------------------
def test_the_reader_loads_what_the_manifest_says(faulty):
    from ingest.errors import FeedRejection
    from ingest.reader import read_feed_file

    out, manifest = faulty
    missing = fault(manifest, "missing_column")
    for f in manifest.files:
        if f.path == missing.file:
            with pytest.raises(FeedRejection, match="税收收入_本年累计"):
                read_feed_file(out / f.path, f.feed_id)
            continue
        parsed = read_feed_file(out / f.path, f.feed_id)
        assert parsed.period == f.period, f.path
        data = [r for r in parsed.rows if not r["_is_total"]]
        assert len(data) == f.data_rows, f.path
        assert all(not r["_parse_errors"] for r in parsed.rows), f.path
        for field_name, expected in f.sums.items():
            got = sum(r[field_name] for r in data if r[field_name] is not None)
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-6), (f.path, field_name)
        if f.path.endswith(".xlsx"):  # the file dates itself as the manifest does
            assert parsed.reported_on == dt.date.fromisoformat(f.submitted_on), f.path
            assert parsed.sheet == f.sheet
    for recorded in manifest.faults:
        if recorded.row is None:
            continue
        parsed = read_feed_file(out / recorded.file, recorded.feed_id)
        (row,) = [r for r in parsed.rows if r["_row_number"] == recorded.row]
        assert row[recorded.field] is not None
    slip = fault(manifest, "unit_slip")
    (row,) = [r for r in read_feed_file(out / slip.file, "stats_enterprises").rows if r["_row_number"] == slip.row]
    assert row["_source_unit"] is None  # the file says 千元, the canonical unit: nothing to convert


# --- scale (the scale benchmark's inbox) ------------------------------------------------------
def test_scale_multiplies_the_enterprises_and_their_sums_still_match_the_industry_table(spring, tmp_path):
    out, manifest = spring
    scaled = generate_demo_feeds(tmp_path, first="2023-04", last="2023-04", seed=7, scale=5)
    assert scaled.scale == 5 and manifest.scale == 1
    assert load_manifest(tmp_path).scale == 5
    (one,) = manifest.files_of("stats_enterprises", "2023-04")
    (five,) = scaled.files_of("stats_enterprises", "2023-04")
    sheet = Sheet(tmp_path / five.path)
    # a pool of 430 x scale plus ~50 x scale entrants a year, less exits: about five times the rows
    assert 4.5 * one.data_rows <= len(sheet.rows) == five.data_rows <= 5.5 * one.data_rows
    assert len(set(sheet.column("统一社会信用代码"))) == len(sheet.rows)
    assert len(set(sheet.column("单位详细名称"))) == len(sheet.rows)
    assert all(uscc.is_valid(str(c)) for c in sheet.column("统一社会信用代码")[:200])
    by_division = defaultdict(float)
    for _, v in sheet.rows:
        by_division[str(v["行业代码"])[:2]] += v["营业收入_1-4月"] / 10  # 千元 → 万元
    industries = by_code(services_sheet(tmp_path, scaled, "2023-04"))
    for division, revenue in by_division.items():
        assert abs(industries[division]["营业收入_本年累计"] - revenue) <= 0.01 * revenue
    # the other feeds do not grow with the enterprises
    assert len(scaled.files_of("major_projects", "2023-04")) == len(manifest.files_of("major_projects", "2023-04"))


def test_scale_must_be_a_positive_whole_number(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        generate_demo_feeds(tmp_path, first="2023-04", last="2023-04", seed=7, scale=0)
