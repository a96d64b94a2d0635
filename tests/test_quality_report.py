"""The statisticians' quality report: what it shows for a period with known defects, and that it renders."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from expectations.gate import record_signoff
from expectations.quality_report import write_quality_index, write_quality_report
from expectations.runner import run_checks
from ingest.warehouse import connect as connect_warehouse
from tests.test_expectations import Warehouse, industry, valid_uscc

PERIOD = "2024-03"
AS_OF = dt.date(2024, 4, 10)
BALANCE = "stats_services.balance.section_vs_divisions.revenue_ytd"
BALANCE_ZH = "门类数与所属大类合计不符（营业收入_本年累计）"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def built_period(tmp_path_factory) -> Path:
    """The period's warehouse file, landed, with completeness judged at AS_OF and checked: built
    once (dbt), copied by each test."""
    wh = Warehouse(tmp_path_factory.mktemp("quality_report") / "warehouse.duckdb")
    balanced = [industry("合计", 500.0, 400.0, total=True), industry("L", 500.0, 400.0),
                industry("72", 500.0, 400.0)]
    wh.land("stats_services", PERIOD, balanced, file_name="规上服务业2024年1-3月.xlsx",
            received_at=dt.datetime(2024, 4, 15, 9))
    wh.land("stats_services", PERIOD, [
        industry("合计", 500.0, 400.0, total=True),
        industry("L", 500.0, 400.0),       # row 5: divisions add up to 480
        industry("71", 100.0, 80.0),
        industry("72", 380.0, 320.0),
    ], file_name="规上服务业2024年1-3月（修订）.xlsx", received_at=dt.datetime(2024, 4, 18, 9))
    jia = valid_uscc("91330302MA2AAAAA0")
    wh.land("stats_enterprises", "2024-02", [{"uscc": jia, "name": "甲公司", "industry_code": "7211",
                                             "revenue_ytd": 1000.0}])
    wh.land("stats_enterprises", PERIOD, [{"uscc": jia, "name": "甲公司", "industry_code": "7211",
                                          "revenue_ytd": 10_000_000.0}], file_name="企业2024年3月.xlsx")
    wh.land("tax_revenue", PERIOD, [{"industry_code": "合计", "tax_ytd": 1.0, "_is_total": True}],
            file_name="税收3月.xlsx", submitted_on=dt.date(2024, 4, 8))
    wh.judge_completeness(AS_OF)
    run_checks(wh.con, ["2024-02", PERIOD])
    wh.con.close()
    return wh.path


def build_period(built_period: Path, tmp_path: Path) -> Warehouse:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built_period, copy)
    return Warehouse(copy)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_report_shows_gate_checks_completeness_outliers_revisions_and_signoffs(built_period, tmp_path):
    wh = build_period(built_period, tmp_path)
    record_signoff(wh.con, PERIOD, "李审核", "已阅迟报提示", [])
    path = write_quality_report(wh.con, PERIOD, tmp_path)
    html = path.read_text(encoding="utf-8")
    text = text_of(html)

    assert path.name == "quality_2024-03.html"
    assert "发布审核：未通过" in text
    assert "<link" not in html and "<script" not in html and "http" not in html  # self-contained
    assert '"Noto Sans CJK SC", "Noto Sans SC", sans-serif' in html
    # the balance error, traced to the revised file's row 5
    assert BALANCE_ZH in text and BALANCE in text
    block = html[html.index(BALANCE_ZH):html.index("二、提示")]
    assert "规上服务业2024年1-3月（修订）.xlsx" in block
    assert re.search(r"<td>规上服务业2024年1-3月（修订）\.xlsx</td>\s*<td>Sheet1</td>\s*<td>5</td>\s*<td>L</td>", block)
    # completeness: tax arrived late (due 04-05), stats_fai not yet due (04-20), departments silent
    # dates as readers read them (ingest.clock.fmt_datetime)
    assert re.search(r"分行业税收收入</td><td>区税务局</td><td>2024年4月5日</td>\s*<td>税收3月.xlsx</td><td>2024年4月8日</td>"
                     r"\s*<td class=\"status-迟报\">迟报</td>", html)
    assert re.search(r"固定资产投资</td><td>区统计局</td><td>2024年4月20日</td>\s*<td></td><td></td>\s*"
                     r"<td class=\"status-未到截止日\">", html)
    # outlier with its history: 1,000 in 1-2月, 10,000,000 in 1-3月
    assert re.search(r"<th>2024-02</th><th>2024-03</th>", html)
    assert re.search(r'<td class="num">1,000</td><td class="num">10,000,000</td>', html)
    # revision: the second vintage of stats_services
    assert "第2版" in text and "规上服务业分行业主要指标" in text
    assert "李审核" in text and "已阅迟报提示" in text and "仅复核提示" in text


def test_override_shows_signed_release_and_index_lists_periods(built_period, tmp_path):
    wh = build_period(built_period, tmp_path)
    record_signoff(wh.con, PERIOD, "王统计", "L门类含未分大类企业，已核实", [BALANCE])
    html = write_quality_report(wh.con, PERIOD, tmp_path).read_text(encoding="utf-8")
    # five department feeds due on 04-05 are still missing: the period stays blocked
    assert "发布审核：未通过" in text_of(html) and "L门类含未分大类企业，已核实" in text_of(html)
    balance = html[:html.index(BALANCE_ZH)].rsplit('<div class="check', 1)[1]
    assert balance.startswith(' overridden"') and "已签字放行" in balance
    missing = [f"{feed}.completeness.missing" for feed in
               ("enterprise_cultivation", "innovation_zones", "major_projects", "supervision_items", "talent_registry")]
    record_signoff(wh.con, PERIOD, "王统计", "各部门已电话确认本月无变化", missing)
    text = text_of(write_quality_report(wh.con, PERIOD, tmp_path).read_text(encoding="utf-8"))
    assert "发布审核：已签字放行" in text
    index = write_quality_index(wh.con, tmp_path).read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>(\d{4}-\d{2})</td><td><span class=\"tag[^\"]*\">([^<]+)</span>", index)
    assert rows == [("2024-03", "已签字放行"), ("2024-02", "未通过")]  # February lacks stats_services
    assert 'href="quality_2024-03.html"' in index and 'href="quality_2024-02.html"' not in index


def test_report_lists_every_check_that_ran_by_feed_with_failures_open(built_period, tmp_path):
    """Like GX Data Docs: one row per check that ran for the period, grouped by feed and collapsed,
    with counts per state; failures first in each group (and expanded above, in sections 一 and 二)."""
    from expectations.checks import feed_suite
    from expectations.gate import period_results
    from ingest.registry import FEEDS

    wh = build_period(built_period, tmp_path)
    ran = period_results(wh.con, PERIOD)
    html = write_quality_report(wh.con, PERIOD, tmp_path).read_text(encoding="utf-8")
    section = html[html.index("三、全部审核项"):html.index("四、报送完整性")]
    assert f"三、全部审核项（{len(ran)} 项）" in html and f"本期运行审核 {len(ran)} 项" in html
    assert section.count('<tr class="state-') == len(ran)
    groups = re.findall(r'<details class="feed-checks( has-failures)?">\s*<summary><strong>([^<]+)</strong>\s*'
                        r'<span class="counts">([^<]+)</span>', section)
    # stats_services ran its suite and its two completeness checks (late, missing). The revised file
    # fails two: section L ≠ its divisions (500 vs 480, an error) and Σ enterprises by division ≠ the
    # industry table (71: 0 vs 100; 72: 甲 7211's 10,000,000 vs 380; a warning).
    services_checks = len(feed_suite(FEEDS["stats_services"])) + 2
    assert groups[0] == (" has-failures", "规上服务业分行业主要指标（stats_services）",
                         f"共 {services_checks} 项：通过 {services_checks - 2} · 未通过 2 · 已确认 0")
    # Every feed of the month ran its checks (those not received: completeness only), in registry order.
    targets = {r.target for r in ran}
    assert [name for _failing, name, _counts in groups] == [f"{f.name_zh}（{f.feed_id}）" for f in FEEDS.values()
                                                            if f"raw.{f.feed_id}" in targets]
    assert "<details open" not in section and 'details class="feed-checks" open' not in section
    first_row = section[section.index("规上服务业分行业主要指标（stats_services）"):]
    assert re.search(r'<tr class="state-failed"><td class="nowrap"><span class="tag failed">未通过</span></td>\s*'
                     r'<td class="nowrap">错误</td><td class="nowrap">平衡审核</td>\s*<td>' + re.escape(BALANCE_ZH)
                     + r'</td><td class="nowrap">1 行不符</td>', first_row)


def test_report_without_publication_log_or_raw_tables(tmp_path):

    con = connect_warehouse(":memory:")
    path = write_quality_report(con, PERIOD, tmp_path)
    text = text_of(path.read_text(encoding="utf-8"))
    assert "发布审核：通过" in text and "无修订" in text


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_report_renders_in_headless_chromium(built_period, tmp_path):
    from PIL import Image

    wh = build_period(built_period, tmp_path)
    path = write_quality_report(wh.con, PERIOD, tmp_path / "out")
    common = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    png = tmp_path / "report.png"
    subprocess.run([*common, f"--user-data-dir={tmp_path / 'profile1'}", f"--screenshot={png}",
                    "--window-size=1280,2000", path.as_uri()], check=True, capture_output=True, timeout=120)
    assert png.exists()
    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 10  # not a blank page
    dom = subprocess.run([*common, f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", path.as_uri()],
                         check=True, capture_output=True, timeout=120).stdout.decode("utf-8")
    assert BALANCE_ZH in dom and "未通过" in dom
    assert "全部审核项" in dom and dom.count('<details class="feed-checks') >= 3
