"""年度综合评估报告 (`svcmon report --period YYYY-12 --annual`): the year's 晾晒表 worked out by hand
from a small year of published monthly scorecards, 街镇, tasks and zones, the files and the CLI.

The monthly marts' rows are written here (columns from their dbt contracts, as in
test_publication.py) and published month by month through `publish_period`: the annual rule reads
what was published, each month at its current version. The monthly score itself is dbt's
(tested in test_dbt_marts.py); the last, slow test lands zone and project rows and builds them
with dbt, so the zone pages are proven on the mart as built.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from publish.annual import ANNUAL_SCORE_RULE, evaluate, write_annual
from publish.excel import HEADER_ROW
from publish.publication import built_inputs, publish_period
from publish.reports import ReportRefused, write_reports
from tests.test_publication import _insert, add_period, make_warehouse, publish

runner = CliRunner()
POPPLER = shutil.which("pdfinfo") and shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="needs poppler-utils")

YEAR = 2023
UNPUBLISHED = ("2023-04", "2023-05")  # in the marts, never published: they must not count
PUBLISHED = [f"{YEAR}-{m:02d}" for m in range(1, 13) if f"{YEAR}-{m:02d}" not in UNPUBLISHED]


def monthly_score(dept: str, period: str) -> float | None:
    """The hand-written 晾晒表 score of `dept` in `period` (None: 不参与排名 that month)."""
    month = int(period[5:])
    if period in UNPUBLISHED:  # would change every mean if they counted
        return 100.0 if dept == "区教育局" else 0.0
    return {
        "区商务局": 90.0,
        "区发改局": 100.0 if month <= 3 else 80.0,
        "区科技局": None if month <= 3 else 95.0,
        "区委组织部": 86.0,
        "区统计局": None,
        "区人力社保局": 40.0,
        "区教育局": 60.0 if month <= 3 else 50.0,
    }[dept]


DEPTS = ("区商务局", "区发改局", "区科技局", "区委组织部", "区统计局", "区人力社保局", "区教育局")  # sort order
# July is republished (version 2): 区商务局's score there becomes 70; the current version counts.
JULY_REVISED = 70.0

# The year worked out by hand (ANNUAL_SCORE_RULE: the mean over the published months the department
# was scored in; April and May are not published; ties share a rank, then by department order):
#   区科技局      Jun-Dec 95 (Jan-Mar unranked)            = 665 / 7           = 95.00  → 1
#   区商务局      9 × 90 + July's revised 70               = 880 / 10          = 88.00  → 2
#   区发改局      3 × 100 + 7 × 80                         = 860 / 10          = 86.00  → 3
#   区委组织部    10 × 86                                  = 860 / 10          = 86.00  → 3 (tie, sorted after)
#   区教育局      3 × 60 + 7 × 50 (May's 100 unpublished)  = 530 / 10          = 53.00  → 5
#   区人力社保局  10 × 40                                  = 400 / 10          = 40.00  → 6
#   区统计局      never scored                                                          → 不参与排名
# Praise: ranks ≤ 3 (the tie at 3 included): 区科技局, 区商务局, 区发改局, 区委组织部.
# Warning: the last three ranked not praised: 区教育局, 区人力社保局.
EXPECTED = [
    (1, "区科技局", 95.0, 7), (2, "区商务局", 88.0, 10), (3, "区发改局", 86.0, 10), (3, "区委组织部", 86.0, 10),
    (5, "区教育局", 53.0, 10), (6, "区人力社保局", 40.0, 10), (None, "区统计局", None, 0),
]


def _scorecard(con, period: str, revised: dict | None = None) -> None:
    con.execute("DELETE FROM marts.fct_department_scorecard WHERE period = ?", [period])
    rows = []
    for order, dept in enumerate(DEPTS):
        score = (revised or {}).get(dept, monthly_score(dept, period))
        reds = 1 if dept == "区人力社保局" else 0
        rows.append((period, dept, order, score, None, reds, 0, 1 if dept == "区教育局" else 0))
    _insert(con, "fct_department_scorecard",
            ("period", "dept_name", "dept_sort_order", "score", "score_rank", "reds", "files_late", "files_missing"),
            rows)


def _december(con) -> None:
    """December's other tables: the shared hand-made period, with 街道 on the projects, a finished
    and a late task, and two zones."""
    add_period(con, f"{YEAR}-12")
    # 项目 …000001: plan 4.0, done 2.0 (五马街道 50.0 %); …000002: plan 3.0, done 0.5 (南汇街道 16.7 %).
    con.execute("UPDATE marts.fct_major_projects SET street = CASE WHEN project_code LIKE '%1' "
                "THEN '五马街道' ELSE '南汇街道' END")
    con.execute("UPDATE marts.fct_key_tasks SET status = '滞后'")
    _insert(con, "fct_key_tasks", ("period", "task_id", "seq_no", "task_name", "measure", "lead_dept", "status",
                                   "sort_order"),
            [(f"{YEAR}-12", "T01", 1, "高规格推进“十百千”工程", "建立专班推进机制", "区发改局", "已完成", 1)])
    # 120 + 40 = 160 亿元 of revenue: shares 75 % and 25 %; tax 3 + 1 = 4: 75 % and 25 %.
    _insert(con, "fct_innovation_zones",
            ("period", "zone_name", "zone_level", "zone_status", "is_high_tier", "revenue_ytd", "tax_ytd", "enterprises"),
            [(f"{YEAR}-12", "鹿城数字经济创新发展区", "省级", "创建", False, 120.0, 3.0, 210),
             (f"{YEAR}-12", "五马历史文化街区创新发展区", "市级", "培育", False, 40.0, 1.0, 80)])


def hand_year(path=":memory:", publish_december: bool = True):
    """The small year: twelve months in the marts, ten published, July twice."""
    con = make_warehouse(path, periods=())
    _december(con)
    for month in range(1, 13):
        period = f"{YEAR}-{month:02d}"
        _scorecard(con, period)
        if period in PUBLISHED and (publish_december or month != 12):
            publish(con, period)
    _scorecard(con, f"{YEAR}-07", revised={"区商务局": JULY_REVISED})
    assert publish(con, f"{YEAR}-07", sha="b" * 64) == 2
    return con


def _ranking(rows) -> list[tuple]:
    return [(d["annual_rank"], d["dept_name"],
             None if d["annual_score"] is None else round(d["annual_score"], 2), d["months_scored"]) for d in rows]


def test_year_ranking_is_the_mean_of_the_published_months_worked_out_by_hand():
    ev = evaluate(hand_year(), f"{YEAR}-12")
    assert _ranking(ev.scorecard) == EXPECTED
    assert [d["dept_name"] for d in ev.praised] == ["区科技局", "区商务局", "区发改局", "区委组织部"]
    assert [d["dept_name"] for d in ev.warned] == ["区教育局", "区人力社保局"]
    assert ev.missing_months == list(UNPUBLISHED)
    # The months as read: unpublished ones absent, July at its current version.
    assert ev.scores.published == PUBLISHED
    business = next(d for d in ev.scorecard if d["dept_name"] == "区商务局")
    assert business["monthly"][f"{YEAR}-07"] == JULY_REVISED
    assert f"{YEAR}-04" not in business["monthly"]
    assert ev.paragraphs[0].startswith("2023年全年已发布10个月度数据（4—5月未发布，不计入年度晾晒得分）")
    assert "予以通报表扬的单位：区科技局、区商务局、区发改局、区委组织部。" in "".join(ev.paragraphs)


def test_streets_tasks_and_zones_are_the_published_december_rows():
    ev = evaluate(hand_year(), f"{YEAR}-12")
    assert [(s["rank"], s["street"], s["project_count"], round(s["completion_pct"], 1)) for s in ev.streets] == [
        (1, "五马街道", 1, 50.0), (2, "南汇街道", 1, 16.7)]
    assert "2项重点任务年末进展：已完成1项，滞后1项。" in ev.paragraphs
    zones = {z["zone_name"]: z for z in ev.zones}
    digital, wuma = zones["鹿城数字经济创新发展区"], zones["五马历史文化街区创新发展区"]
    assert (digital["revenue_share_pct"], digital["tax_share_pct"]) == (75.0, 75.0)
    assert (wuma["revenue_share_pct"], wuma["tax_share_pct"]) == (25.0, 25.0)
    # 省级 and 创建: counts toward the plan's 省级 zone goal (INDICATORS.md: 创建或命名); 培育 does not.
    assert digital["verdict"] == "计入“省级现代服务业创新发展区”目标"
    assert wuma["verdict"] == "市级创新发展区处于培育阶段，尚未计入创建或命名目标"


@needs_poppler
def test_report_files_carry_the_ranking_and_print_like_the_briefs(tmp_path):
    con = hand_year()
    paths = write_reports(con, f"{YEAR}-12", tmp_path, annual=True)
    assert [p.name for p in paths] == [f"年度综合评估报告_{YEAR}_v1.{ext}" for ext in ("html", "pdf", "xlsx")]

    html = paths[0].read_text(encoding="utf-8")
    assert "2023年度" in html and "编印单位：鹿城区服务业发展工作专班办公室" in html
    table = html[html.index("一、年度争先创优晾晒表"):html.index("二、主要指标年度完成情况")]
    assert [m for m in re.findall(r"<td class=\"name\">([^<]+)</td>", table)] == [e[1] for e in EXPECTED]
    assert table.count("未发布</td>") == 2 * len(DEPTS)  # April and May, every department
    assert ANNUAL_SCORE_RULE in html
    assert html.count('<section class="zone">') == 2
    # A 重点任务 holds several measures: each row names its own (具体举措).
    assert "<td>高规格推进“十百千”工程</td><td>建立专班推进机制</td><td></td><td>区发改局</td>" in html

    info = subprocess.run(["pdfinfo", str(paths[1])], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages >= 3  # the report, then a page per zone
    texts = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(paths[1]), "-"],
                            check=True, capture_output=True, text=True).stdout for n in (pages - 1, pages)]
    # A page per zone (by name): the last two pages hold one zone each.
    assert [[z for z in ("五马历史文化街区创新发展区", "鹿城数字经济创新发展区") if z in t] for t in texts] == [
        ["五马历史文化街区创新发展区"], ["鹿城数字经济创新发展区"]]

    wb = openpyxl.load_workbook(paths[2])
    assert wb.sheetnames == ["摘要", "年度晾晒表", "指标完成情况", "五年目标进度", "重大项目", "重点任务", "街镇",
                             "创新发展区"]
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0), ws.title
        if ws.title != "摘要":
            assert ws.print_title_rows == f"${HEADER_ROW + 1}:${HEADER_ROW + 1}", ws.title
    tasks = wb["重点任务"]
    header = [c.value for c in tasks[HEADER_ROW + 1]]
    assert header[:5] == ["序号", "重点任务", "具体举措", "目标及时限", "牵头单位"]
    assert ["建立专班推进机制"] == [r[2].value for r in tasks.iter_rows(min_row=HEADER_ROW + 2)
                                    if r[1].value == "高规格推进“十百千”工程"]
    sheet = wb["年度晾晒表"]
    header = [c.value for c in sheet[HEADER_ROW + 1]]
    assert header[:4] == ["年度排名", "单位", "年度得分(分)", "计分月数"] and header[4] == "1月得分"
    rows = [[c.value for c in r[:4]] for r in sheet.iter_rows(min_row=HEADER_ROW + 2, max_row=HEADER_ROW + 1 + 7)]
    assert [(r[0] if r[0] != "—" else None, r[1], r[2] if r[2] != "—" else None, r[3]) for r in rows] == EXPECTED
    assert sheet.cell(row=HEADER_ROW + 2, column=3).number_format == "#,##0.00"
    assert sheet.cell(row=HEADER_ROW + 2, column=1).number_format == "#,##0"  # ranks are integers


def test_annual_report_is_refused_for_other_months_and_unpublished_decembers(tmp_path):
    con = hand_year(publish_december=False)
    with pytest.raises(ReportRefused, match="不是12月 / .*not one"):
        write_reports(con, f"{YEAR}-11", tmp_path, annual=True)
    with pytest.raises(ReportRefused, match="尚未发布.*has not been published"):
        write_annual(con, f"{YEAR}-12", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_in_one_line_and_prints_the_paths(home):
    home.mkdir(parents=True)
    hand_year(home / "warehouse.duckdb", publish_december=False).close()

    result = runner.invoke(app, ["report", "--period", f"{YEAR}-06", "--annual"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"年度综合评估报告只依据12月数据编制，{YEAR}-06 不是12月 / "
        f"the year-end evaluation is written from a December period (YYYY-12); {YEAR}-06 is not one"]

    result = runner.invoke(app, ["report", "--period", f"{YEAR}-12", "--annual"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "尚未发布" in lines[0] and "has not been published" in lines[0]

    from ingest.warehouse import connect
    con = connect(home / "warehouse.duckdb")
    publish(con, f"{YEAR}-12")
    con.close()
    result = runner.invoke(app, ["report", "--period", f"{YEAR}-12", "--annual"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    printed = [Path(line.strip()) for line in result.output.strip().splitlines()]
    assert [p.name for p in printed] == [f"年度综合评估报告_{YEAR}_v1.{ext}" for ext in ("html", "pdf", "xlsx")]
    assert all(p.exists() for p in printed)


@pytest.mark.slow
def test_zone_pages_from_landed_rows_built_by_dbt(tmp_path):
    """Zone and project rows landed through landing's path, built by dbt, published: the zone page
    and the 街镇 table show the landed figures."""
    from ingest.warehouse import connect
    from tests.dbt_fixtures import insert_raw, run_dbt
    from tests.dbt_fixtures import make_warehouse as make_dbt_warehouse

    db = make_dbt_warehouse(tmp_path)
    insert_raw(db, "innovation_zones", [
        {"zone_name": "鹿城数字经济创新发展区", "level": "省级", "status": "命名", "is_high_tier": True,
         "revenue_ytd": 150.5, "tax_ytd": 4.25, "enterprises": 230},
    ], period=f"{YEAR}-12")
    insert_raw(db, "major_projects", [
        {"project_code": "2023-330302-72-01-000001", "name": "鹿城广场国际时尚中心", "project_type": "产业赋能型",
         "level": "省重大", "total_investment": 30.0, "annual_plan_investment": 4.0, "completed_ytd": 3.0,
         "responsible_dept": "区发改局", "street": "五马街道"},
    ], period=f"{YEAR}-12")
    run_dbt(db, "build", check=False, vars={"as_of_date": f"{YEAR + 1}-01-20"})
    con = connect(db)
    try:
        publish_period(con, f"{YEAR}-12", input_vintages=built_inputs(con, f"{YEAR}-12"),
                       gate_result="passed", override=None)
        ev = evaluate(con, f"{YEAR}-12")
    finally:
        con.close()
    [zone] = ev.zones
    assert (zone["zone_level"], zone["zone_status"], zone["is_high_tier"]) == ("省级", "命名", True)
    assert (zone["revenue_ytd"], zone["tax_ytd"], zone["enterprises"]) == (150.5, 4.25, 230)
    # 省级 and 命名, and 高能级: it counts toward both goals (named as the registry names them).
    assert zone["verdict"] == "计入“省级现代服务业创新发展区（创建或命名）”“高能级创新发展区”目标"
    # 3.0 of 4.0 planned: 75 %.
    assert [(s["street"], s["completion_pct"]) for s in ev.streets] == [("五马街道", 75.0)]
