"""Demo feeds: realistic files for all thirteen feeds of FEEDS.md, with known faults.

`generate_demo_feeds(out_dir, first, last, seed, faults)` writes `out_dir/<feed_id>/…`
(`out_dir` is used as an inbox) for every due period, and a hidden manifest
`out_dir/.demo_manifest.json` that says, per file, its period, scope, submission
date, data rows and column sums in canonical units, and where each injected fault
sits. The numbers come from one simulated district (`demo_world`,
`demo_programmes`), so the files agree with each other the way real feeds should.

Faults (`KIND` or `KIND@YYYY-MM`; default period: the last generated period where the
kind's feed is due):
- `unit_slip`: one enterprise of stats_enterprises reported in 元 (×1000) under 千元
- `subtotal_mismatch`: one section of stats_services ≠ Σ its divisions (revenue)
- `ytd_drop`: one division's revenue_ytd in stats_services below the previous month's
- `bad_uscc`: one enterprise's USCC with a wrong check character
- `missing_column`: 税收收入_本年累计 dropped from tax_revenue, so the reader rejects the file
  (tax_revenue rather than stats_services, so that a rejected file never hides the
  stats_services faults of the same default period)
- `late_feed`: major_projects submitted well after its due date
- `duplicate_key`: one project row of major_projects repeated
- `yoy_mismatch`: one industry's reported 增速 off ytd/prior by ≥ 1 point
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from demo.feeds import (
    BUILDERS,
    DemoWorld,
    enterprise_total_row,
    project_total_row,
)
from demo.tables import DemoTable, TableRow, write_table
from demo.world import FIRST_YEAR, corrupt_uscc_check, rng_for, split_period, yoy_pct
from ingest import registry
from ingest.periods import validate_period

MANIFEST_NAME = ".demo_manifest.json"


# --- the manifest ---------------------------------------------------------------------------
@dataclass
class DemoFile:
    path: str  # relative to out_dir, '/'-separated
    feed_id: str
    period: str
    scope: str  # canonical 填报单位 of multi-department feeds, '' otherwise
    scope_as_written: str
    sheet: str | None  # the data sheet; None for CSV
    submitted_on: str  # ISO date
    due_on: str
    data_rows: int  # rows excluding 合计 and notes
    sums: dict[str, float]  # numeric column -> Σ over non-total rows, canonical unit

    @property
    def late(self) -> bool:
        return self.submitted_on > self.due_on


@dataclass
class InjectedFault:
    kind: str
    feed_id: str
    period: str
    file: str  # relative path
    sheet: str | None
    row: int | None  # Excel row number as a person sees it (CSV: line number); None = whole file
    field: str | None
    detail: str


@dataclass
class MissingSubmission:
    feed_id: str
    period: str
    scope: str


@dataclass
class DemoManifest:
    seed: int
    first: str
    last: str
    scale: int = 1
    files: list[DemoFile] = field(default_factory=list)
    faults: list[InjectedFault] = field(default_factory=list)
    not_submitted: list[MissingSubmission] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> DemoManifest:
        data = json.loads(text)
        return cls(
            seed=data["seed"], first=data["first"], last=data["last"], scale=data.get("scale", 1),
            files=[DemoFile(**f) for f in data["files"]],
            faults=[InjectedFault(**f) for f in data["faults"]],
            not_submitted=[MissingSubmission(**m) for m in data["not_submitted"]],
        )

    def files_of(self, feed_id: str, period: str | None = None) -> list[DemoFile]:
        return [f for f in self.files if f.feed_id == feed_id and (period is None or f.period == period)]

    def file(self, path: str) -> DemoFile:
        for f in self.files:
            if f.path == path:
                return f
        raise KeyError(path)


def load_manifest(out_dir: Path) -> DemoManifest:
    return DemoManifest.from_json((Path(out_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))


# --- faults ---------------------------------------------------------------------------------
@dataclass
class _PendingFault:
    """A fault applied to a table: the row is an index into `table.rows` until written."""

    kind: str
    table: DemoTable
    row_index: int | None
    field: str | None
    detail: str


@dataclass(frozen=True)
class FaultRequest:
    kind: str
    period: str


FAULT_FEEDS = {
    "unit_slip": "stats_enterprises",
    "subtotal_mismatch": "stats_services",
    "ytd_drop": "stats_services",
    "bad_uscc": "stats_enterprises",
    "missing_column": "tax_revenue",
    "late_feed": "major_projects",
    "duplicate_key": "major_projects",
    "yoy_mismatch": "stats_services",
}
FAULT_KINDS = tuple(FAULT_FEEDS)


def parse_faults(faults: Sequence[str], first: str, last: str) -> list[FaultRequest]:
    """`KIND` or `KIND@YYYY-MM` → requests with their period (due for the kind's feed, in range)."""
    out: list[FaultRequest] = []
    for spec in faults:
        kind, _, period = spec.strip().partition("@")
        if kind not in FAULT_FEEDS:
            raise ValueError(f"未知的故障类型 {kind!r} / unknown fault kind {kind!r}; "
                             f"known: {', '.join(FAULT_KINDS)}")
        feed = registry.get_feed(FAULT_FEEDS[kind])
        due = feed.due_periods(first, last)
        if not period:
            if not due:
                raise ValueError(f"{kind}: {feed.feed_id} 在 {first}..{last} 无应报期 / is never due in the range")
            period = due[-1]
        validate_period(period)
        if period not in due:
            raise ValueError(f"{spec!r}: {feed.feed_id} 在 {period} 不报送或不在生成范围 {first}..{last} / "
                             f"{feed.feed_id} is not due in {period} or it is outside {first}..{last}")
        # a fall needs last month's file of the same year (never January: 1-2月 is the first)
        if kind == "ytd_drop" and _previous_period(period) not in due:
            raise ValueError(f"{spec!r}: ytd_drop 需要同年上一期也在生成范围内 / "
                             "ytd_drop needs the previous month of the same year in the range")
        request = FaultRequest(kind, period)
        if request not in out:
            out.append(request)
    return out


def _previous_period(period: str) -> str:
    year, month = split_period(period)
    return f"{year:04d}-{month - 1:02d}" if month > 1 else f"{year - 1:04d}-12"


def _next_period(period: str) -> str:
    year, month = split_period(period)
    return f"{year:04d}-{month + 1:02d}" if month < 12 else f"{year + 1:04d}-01"


def _rows_where(table: DemoTable, predicate: Callable[[TableRow], bool]) -> list[int]:
    """Data rows matching `predicate` that no other fault has touched."""
    return [i for i, r in enumerate(table.rows) if not r.is_total and not r.faulted and predicate(r)]


def _is_division(row: TableRow) -> bool:
    return str(row.values.get("industry_code", "")).isdigit()


def _is_section(row: TableRow) -> bool:
    code = str(row.values.get("industry_code", ""))
    return len(code) == 1 and code.isalpha()


def _section_rows(table: DemoTable) -> dict[str, int]:
    return {str(r.values["industry_code"]): i for i, r in enumerate(table.rows) if _is_section(r)}


def _section_of(table: DemoTable, index: int) -> int:
    """Index of the section row a division row sits under."""
    for i in range(index, -1, -1):
        if _is_section(table.rows[i]):
            return i
    raise ValueError("division row without a section")


def _total_index(table: DemoTable) -> int:
    return next(i for i, r in enumerate(table.rows) if r.is_total)


def _set_revenue(row: TableRow, value: float) -> None:
    row.values["revenue_ytd"] = round(value, 1)
    row.values["revenue_yoy_pct"] = yoy_pct(row.values["revenue_ytd"], row.values["revenue_prior_ytd"])


def _fault_unit_slip(tables: dict[str, DemoTable], request: FaultRequest, seed: int) -> list[_PendingFault]:
    table = tables[request.period]
    rng = rng_for(seed, "fault", request.kind, request.period)
    index = rng.choice(_rows_where(table, lambda r: True))
    row = table.rows[index]
    row.faulted = True
    for f in ("revenue_ytd", "revenue_prior_ytd", "payroll_ytd"):
        row.values[f] = row.values[f] * 1000
    table.rows[_total_index(table)] = enterprise_total_row(table.rows)
    return [_PendingFault(request.kind, table, index, "revenue_ytd",
                          f"{row.values['uscc']} 营业收入、上年同期、应付职工薪酬按元填报（×1000），表头单位仍为千元 / "
                          "revenue, prior-year revenue and payroll reported in 元 (×1000) while the file says 千元")]


def _fault_bad_uscc(tables: dict[str, DemoTable], request: FaultRequest, seed: int) -> list[_PendingFault]:
    table = tables[request.period]
    rng = rng_for(seed, "fault", request.kind, request.period)
    index = rng.choice(_rows_where(table, lambda r: True))
    row = table.rows[index]
    row.faulted = True
    good = row.values["uscc"]
    row.values["uscc"] = corrupt_uscc_check(good)
    return [_PendingFault(request.kind, table, index, "uscc",
                          f"{row.values['uscc']} 校验码错误（正确应为 {good[-1]}）/ wrong check character "
                          f"(should be {good[-1]})")]


def _fault_subtotal_mismatch(tables: dict[str, DemoTable], request: FaultRequest, seed: int) -> list[_PendingFault]:
    table = tables[request.period]
    rng = rng_for(seed, "fault", request.kind, request.period)
    sections = _section_rows(table)
    letter = rng.choice(sorted(sections))
    index = sections[letter]
    row = table.rows[index]
    row.faulted = True
    correct = row.values["revenue_ytd"]
    wrong = correct * 1.03
    following = tables.get(_next_period(request.period))
    if following is not None and _next_period(request.period)[:4] == request.period[:4]:
        # stay below next month's figure so the defect does not also make a YTD fall
        upcoming = following.rows[_section_rows(following)[letter]].values["revenue_ytd"]
        wrong = min(wrong, (correct + upcoming) / 2)
    _set_revenue(row, wrong)
    total = table.rows[_total_index(table)]
    _set_revenue(total, sum(table.rows[i].values["revenue_ytd"] for i in sections.values()))
    return [_PendingFault(request.kind, table, index, "revenue_ytd",
                          f"门类 {letter} 营业收入 {row.values['revenue_ytd']} ≠ 所属大类合计 {correct} / "
                          f"section {letter} revenue differs from the sum of its divisions ({correct})")]


def _fault_ytd_drop(tables: dict[str, DemoTable], request: FaultRequest, seed: int) -> list[_PendingFault]:
    table = tables[request.period]
    previous = tables[_previous_period(request.period)]
    before = {str(r.values["industry_code"]): r.values["revenue_ytd"] for r in previous.rows}
    rng = rng_for(seed, "fault", request.kind, request.period)
    candidates = _rows_where(table, lambda r: _is_division(r) and str(r.values["industry_code"]) in before)
    rng.shuffle(candidates)
    total_index = _total_index(table)
    for index in candidates:
        code = str(table.rows[index].values["industry_code"])
        dropped = round(before[code] * 0.97, 1)
        delta = table.rows[index].values["revenue_ytd"] - dropped
        section_index = _section_of(table, index)
        section = table.rows[section_index]
        section_code = str(section.values["industry_code"])
        total = table.rows[total_index]
        # the section and the total still rise, so the one fall is the division's
        if (section.faulted or section.values["revenue_ytd"] - delta <= before.get(section_code, 0)
                or total.values["revenue_ytd"] - delta <= before["合计"]):
            continue
        _set_revenue(table.rows[index], dropped)
        table.rows[index].faulted = True
        _set_revenue(section, section.values["revenue_ytd"] - delta)
        _set_revenue(total, total.values["revenue_ytd"] - delta)
        return [_PendingFault(request.kind, table, index, "revenue_ytd",
                              f"大类 {code} 营业收入本年累计 {dropped} 低于上月 {before[code]} / "
                              f"division {code} revenue_ytd below last month's {before[code]}")]
    raise ValueError(f"ytd_drop@{request.period}: no division can fall alone")  # pragma: no cover


def _fault_yoy_mismatch(tables: dict[str, DemoTable], request: FaultRequest, seed: int) -> list[_PendingFault]:
    table = tables[request.period]
    rng = rng_for(seed, "fault", request.kind, request.period)
    index = rng.choice(_rows_where(table, _is_division))
    row = table.rows[index]
    row.faulted = True
    correct = row.values["revenue_yoy_pct"]
    row.values["revenue_yoy_pct"] = round(correct + rng.choice((-1, 1)) * rng.uniform(1.5, 4.0), 1)
    return [_PendingFault(request.kind, table, index, "revenue_yoy_pct",
                          f"增速填报 {row.values['revenue_yoy_pct']}，按本年累计/上年同期应为 {correct} / "
                          f"reported growth differs from ytd/prior ({correct})")]


def _fault_missing_column(tables: dict[str, DemoTable], request: FaultRequest, seed: int) -> list[_PendingFault]:
    table = tables[request.period]
    table.columns.pop(table.column_index("tax_ytd"))
    return [_PendingFault(request.kind, table, None, "tax_ytd",
                          "缺少必填列 税收收入_本年累计，整个文件应被拒收 / required column 税收收入_本年累计 "
                          "missing: the whole file is rejected")]


def _fault_late_feed(tables: dict[str, DemoTable], request: FaultRequest, seed: int) -> list[_PendingFault]:
    table = tables[request.period]
    rng = rng_for(seed, "fault", request.kind, request.period)
    due = registry.get_feed(table.feed_id).due_date(request.period)
    table.submitted_on = due + dt.timedelta(days=rng.randint(18, 30))
    return [_PendingFault(request.kind, table, None, None,
                          f"应于 {due} 前报送，实际 {table.submitted_on} 报送 / due {due}, "
                          f"submitted {table.submitted_on}")]


def _fault_duplicate_key(tables: dict[str, DemoTable], request: FaultRequest, seed: int) -> list[_PendingFault]:
    table = tables[request.period]
    rng = rng_for(seed, "fault", request.kind, request.period)
    index = rng.choice(_rows_where(table, lambda r: True))
    copy = TableRow(dict(table.rows[index].values), faulted=True)
    table.rows.insert(index + 1, copy)
    table.rows[_total_index(table)] = project_total_row(table.rows)
    return [_PendingFault(request.kind, table, index + 1, "project_code",
                          f"项目 {copy.values['project_code']} 重复填报 / project row repeated")]


_FAULT_APPLIERS = {
    "unit_slip": _fault_unit_slip,
    "subtotal_mismatch": _fault_subtotal_mismatch,
    "ytd_drop": _fault_ytd_drop,
    "bad_uscc": _fault_bad_uscc,
    "missing_column": _fault_missing_column,
    "late_feed": _fault_late_feed,
    "duplicate_key": _fault_duplicate_key,
    "yoy_mismatch": _fault_yoy_mismatch,
}


# --- generation -----------------------------------------------------------------------------
def _check_range(first: str, last: str) -> None:
    for period in (first, last):
        validate_period(period)
    if first > last:
        raise ValueError(f"first {first} 晚于 last {last} / first is after last")
    if first < f"{FIRST_YEAR}-01":
        raise ValueError(f"演示数据从 {FIRST_YEAR}-01 开始 / the demo starts in {FIRST_YEAR}-01 (got {first})")


def _remove_previous_demo(out_dir: Path) -> None:
    """Delete the files an earlier demo run listed (and only those), so runs never mix."""
    manifest_path = out_dir / MANIFEST_NAME
    if not manifest_path.is_file():
        return
    try:
        previous = DemoManifest.from_json(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError):
        return  # not ours to judge: leave everything in place
    root = out_dir.resolve()
    for entry in previous.files:
        path = (out_dir / entry.path).resolve()
        if path.is_relative_to(root) and path.is_file():
            path.unlink()
    manifest_path.unlink()


def generate_demo_feeds(
    out_dir: Path,
    first: str = "2023-01",
    last: str = "2024-12",
    seed: int = 7,
    faults: Sequence[str] = (),
    scale: int = 1,
) -> DemoManifest:
    """Write every due file of every feed in [first, last] under `out_dir/<feed_id>/`.

    `scale` multiplies the above-scale enterprises (stats_enterprises and the aggregates drawn from
    them); 125 gives the scale benchmark's ~60,000 enterprises a month."""
    _check_range(first, last)
    if not isinstance(scale, int) or scale < 1:  # refused before the previous demo is removed
        raise ValueError(f"scale must be a positive whole number, not {scale!r}")
    if isinstance(faults, str):  # 'unit_slip,late_feed@2023-06' from a command line
        faults = [f for f in faults.split(",") if f.strip()]
    requests = parse_faults(faults, first, last)
    out_dir = Path(out_dir)
    _remove_previous_demo(out_dir)
    world = DemoWorld(seed, last, scale)
    manifest = DemoManifest(seed=seed, first=first, last=last, scale=scale)

    tables_by_feed: dict[str, dict[str, list[DemoTable]]] = {}
    for feed_id, build in BUILDERS.items():
        feed = registry.get_feed(feed_id)
        tables_by_feed[feed_id] = {p: build(world, p) for p in feed.due_periods(first, last)}

    pending: list[_PendingFault] = []
    # A fixed order, and faults of one file never share a row, so each defect stays as described.
    for request in sorted(requests, key=lambda r: (FAULT_KINDS.index(r.kind), r.period)):
        feed_id = FAULT_FEEDS[request.kind]
        single = {p: tables[0] for p, tables in tables_by_feed[feed_id].items()}
        pending.extend(_FAULT_APPLIERS[request.kind](single, request, seed))

    row_numbers: dict[int, list[int]] = {}
    for feed_id, by_period in tables_by_feed.items():
        feed = registry.get_feed(feed_id)
        for period, tables in by_period.items():
            for table in tables:
                if table.submitted_on is None:
                    manifest.not_submitted.append(MissingSubmission(feed_id, period, table.scope))
                    continue
                relative = f"{feed_id}/{table.file_name}"
                row_numbers[id(table)] = write_table(table, out_dir / relative)
                manifest.files.append(DemoFile(
                    path=relative, feed_id=feed_id, period=period, scope=table.scope,
                    scope_as_written=table.scope_as_written,
                    sheet=table.sheet_name if table.file_format == "xlsx" else None,
                    submitted_on=table.submitted_on.isoformat(), due_on=feed.due_date(period).isoformat(),
                    data_rows=len(table.data_rows()), sums=table.canonical_sums()))

    for p in pending:
        numbers = row_numbers[id(p.table)]
        manifest.faults.append(InjectedFault(
            kind=p.kind, feed_id=p.table.feed_id, period=p.table.period,
            file=f"{p.table.feed_id}/{p.table.file_name}",
            sheet=p.table.sheet_name if p.table.file_format == "xlsx" else None,
            row=None if p.row_index is None else numbers[p.row_index], field=p.field, detail=p.detail))

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


__all__ = [
    "FAULT_KINDS",
    "MANIFEST_NAME",
    "DemoFile",
    "DemoManifest",
    "InjectedFault",
    "MissingSubmission",
    "generate_demo_feeds",
    "load_manifest",
    "parse_faults",
]
