"""月度专报 and 季度通报: narrative figures, override statement, refusals, rendering."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import openpyxl
import pytest

from publish import charts
from publish.brief import OVERRIDE_LEAD, monthly_narrative, override_statement, render_brief_html
from publish.bulletin import compose_bulletin_narrative, load_quarter, render_bulletin_html
from publish.disclosure import FOOTNOTE
from publish.issue import ISSUER_ENV, issue_number
from publish.labels import fmt_datetime
from publish.publication import publication_record
from publish.reports import ReportRefused, write_reports
from tests.test_publication import (
    INDUSTRY,
    INDUSTRY_COLUMNS,
    PROJECTS,
    SCORECARD,
    add_period,
    make_warehouse,
    publish,
)

CHROMIUM = Path("/usr/bin/chromium")
# An older record: check ids only (names come from the check catalogue).
SIGNOFF = {"signed_by": "王统计", "signed_at": "2023-07-21T10:05:33", "reason": "平衡差异已核实",
           "overrides": ["stats_services.logic.ytd_decrease.revenue_ytd"]}
YTD_CHECK_NAME = "规上服务业分行业主要指标：本年累计数比上期减少（营业收入_本年累计）"


def _industry(code: str) -> dict:
    return dict(zip(INDUSTRY_COLUMNS, next(r for r in INDUSTRY if r[1] == code), strict=True))


def test_narrative_numbers_are_the_published_figures():
    con = make_warehouse()
    publish(con, "2023-06")
    n = monthly_narrative(con, "2023-06")
    f = n.figures

    total = _industry("合计")
    assert f["revenue_ytd_yi"] == pytest.approx(1234567.0 / 10000)
    assert f["revenue_yoy_pct"] == total["yoy_pct"]
    assert n.paragraphs[0].startswith("1-6月，全区规上服务业实现营业收入123.46亿元，同比增长12.2%")
    # Groups in order of contribution; the 2-enterprise group is not named with figures.
    # Contribution in points: (800000 − 700000) / 1100000 × 100 = 9.09.
    assert "三大支撑性产业实现营业收入80亿元，同比增长14.3%，拉动全区营收增长9.09个百分点" in n.text
    # 两大幸福产业 rests on 2 enterprises; 五大新兴产业 is hidden with it, else 123.46 − 80 − 38.89
    # would give it away. Neither is named with figures.
    assert "两大幸福产业" not in n.text and "4.57" not in n.text
    assert "五大新兴产业" not in n.text and "38.89" not in n.text
    assert [g["name"] for g in f["groups"] if g["revenue_ytd_yi"] is not None] == ["三大支撑性产业"]

    # Lights counted by hand from the six indicators: 3 green, 1 yellow, 2 red.
    assert (f["green_count"], f["yellow_count"], f["red_count"]) == (3, 1, 2)
    assert "6项主要指标中，3项亮绿灯、1项亮黄灯、2项亮红灯。" in n.text
    assert "亮红灯指标为累计实施重大项目、新引进品牌首店，涉及区发改局、区商务局" in n.text

    # Projects: 2.0 + 0.5 = 2.5 亿元 of 4.0 + 3.0 planned = 35.7 %.
    assert f["completed_ytd_yi"] == pytest.approx(sum(p[6] for p in PROJECTS))
    assert "2个重大项目1-6月累计完成投资2.5亿元，完成年度计划投资的35.7%；江心屿西园改造提升工程投资进度滞后" in n.text
    assert "亮灯督促：区发改局、区商务局有指标亮红灯。" in n.text
    assert "督导服务事项共4项，已销号1项，未销号3项，其中逾期未销号1项（区商务局）。" in n.text
    assert f["version"] == 1


def test_narrative_wording_follows_the_data():
    con = make_warehouse(periods=())
    add_period(con, "2023-02", yoy_sign=-1.0, lights={"proj_count": "绿", "first_stores": "绿"})
    con.execute("DELETE FROM marts.fct_supervision_items")
    publish(con, "2023-02")
    n = monthly_narrative(con, "2023-02")
    assert n.paragraphs[0].startswith("1-2月，全区规上服务业实现营业收入123.46亿元，同比下降12.2%")
    assert "亮红灯指标" not in n.text and "0项亮红灯" in n.text  # the empty list is omitted
    assert "督导服务事项" not in n.text


def test_unpublished_period_is_refused_bilingually(tmp_path):
    con = make_warehouse()
    with pytest.raises(ReportRefused) as refused:
        write_reports(con, "2023-06", tmp_path)
    message = str(refused.value)
    assert "尚未发布" in message and "has not been published" in message
    assert list(tmp_path.iterdir()) == []


def test_overridden_version_says_so_on_the_first_page(tmp_path):
    con = make_warehouse()
    publish(con, "2023-06")
    con.execute("UPDATE marts.fct_indicator_progress SET value = value + 1")
    publish(con, "2023-06", sha="f" * 64, gate_result="overridden", override=SIGNOFF)

    html = render_brief_html(con, "2023-06")
    first_page = html[: html.index("<h2>")]
    assert f"{OVERRIDE_LEAD}王统计（2023年7月21日 10:05），理由：平衡差异已核实；放行的检查：{YTD_CHECK_NAME}。" in first_page
    assert "ytd_decrease" not in html  # the check's id stays in the statisticians' quality report
    assert "第2版" in first_page
    # Version 1 was not overridden: no such statement.
    assert OVERRIDE_LEAD not in render_brief_html(con, "2023-06", version=1)

    paths = write_reports(con, "2023-06", tmp_path)
    assert [p.name for p in paths[:3]] == ["月度专报_2023-06_v2.html", "月度专报_2023-06_v2.pdf",
                                          "月度专报_2023-06_v2.xlsx"]
    summary = openpyxl.load_workbook(paths[2])["摘要"]
    first_lines = [summary.cell(row=r, column=1).value for r in range(1, 5)]
    assert any(line.startswith(OVERRIDE_LEAD) and YTD_CHECK_NAME in line for line in first_lines)
    assert len(paths) == 9 and all(p.exists() for p in paths)


def test_brief_html_is_self_contained_and_suppresses():
    con = make_warehouse()
    publish(con, "2023-06")
    html = render_brief_html(con, "2023-06")
    assert "@page" in html and "size: A4" in html
    assert not re.search(r"""(src|href)=["'](?!data:)""", html)  # no external files or links
    assert html.count('src="data:image/png;base64,') == 3  # lights, revenue trend, projects
    assert FOOTNOTE in html
    assert "4.57" not in html  # the suppressed group's and division's revenue (45678 万元)
    assert "38.89" not in html  # its complementary sibling
    assert "background:#FFC7CE" in html  # a red light cell


def test_quarterly_bulletin_movement_praise_and_warnings(tmp_path):
    con = make_warehouse(periods=("2023-03",))
    add_period(con, "2023-06", lights={"first_stores": "绿", "rnd_intensity": "红"})
    publish(con, "2023-03")
    publish(con, "2023-06")

    end, start = load_quarter(con, "2023-06")
    assert start.period == "2023-03"
    f = compose_bulletin_narrative(end, start).figures
    assert f["improved"] == ["新引进品牌首店"] and f["worsened"] == ["研发投入强度"]
    assert f["praised_departments"] == ["区委组织部"]
    assert f["warned_departments"] == ["区发改局", "区商务局"]
    # 2027 goals: projected 2.4 >= 2, 12 >= 10, 10 < 20, 10 >= 10 → only proj_count behind.
    assert f["goals_behind"] == ["累计实施重大项目"]

    html = render_bulletin_html(con, "2023-06")
    assert "2023年第二季度" in html and "通报表扬" in html and "规划时间已过10%" in html

    paths = write_reports(con, "2023-06", tmp_path, quarterly=True)
    assert [p.name for p in paths[-3:]] == ["季度通报_2023-06_v1.html", "季度通报_2023-06_v1.pdf",
                                           "季度通报_2023-06_v1.xlsx"]
    wb = openpyxl.load_workbook(paths[-1])
    assert wb.sheetnames == ["摘要", "指标季度变动", "单位季度变动", "五年目标进度"]

    with pytest.raises(ReportRefused, match="quarter-end"):
        render_bulletin_html(con, "2023-05")
    add_period(con, "2023-05")
    publish(con, "2023-05")
    with pytest.raises(ReportRefused, match="季末"):
        write_reports(con, "2023-05", tmp_path / "q", quarterly=True)


def test_first_quarter_starts_from_the_beginning_of_the_year():
    con = make_warehouse(periods=("2023-03",))
    publish(con, "2023-03")
    end, start = load_quarter(con, "2023-03")
    assert start is None
    assert "上季度末" not in compose_bulletin_narrative(end, start).text


def test_many_tied_top_departments_are_counted_not_listed():
    con = make_warehouse(periods=())
    add_period(con, "2023-06")
    # Seven more departments tied first with 区委组织部: 8 at rank 1, then ranks 2 and 3 → 10 in the top 3.
    con.executemany(
        "INSERT INTO marts.fct_department_scorecard (period, dept_name, score, score_rank, reds) VALUES (?, ?, ?, ?, ?)",
        [("2023-06", f"单位{i}", 100.0, 1, 0) for i in range(7)],
    )
    publish(con, "2023-06")
    n = monthly_narrative(con, "2023-06")
    top3 = 8 + sum(1 for s in SCORECARD if s[10] in (2, 3))
    assert f"争先创优晾晒中，{top3}个单位位列前三名，其中8个单位并列第一。" in n.text
    assert "排名前列的单位为" not in n.text


def test_an_unranked_department_is_shown_as_such_and_the_scoring_rule_is_printed():
    con = make_warehouse(periods=())
    add_period(con, "2023-06")
    # 区税务局 owns no indicator: no score, no rank (fct_department_scorecard).
    con.execute("INSERT INTO marts.fct_department_scorecard (period, dept_name, indicators_owned, greens, yellows, "
                "reds, files_on_time, ranking_note) VALUES ('2023-06', '区税务局', 0, 0, 0, 0, 1, '不参与排名')")
    publish(con, "2023-06")
    html = render_brief_html(con, "2023-06")
    row = re.search(r"<tr><td class=\"c\">([^<]*)</td><td>区税务局</td><td class=\"n\">([^<]*)</td>", html)
    assert row and row.groups() == ("不参与排名", "—")
    # The rule as fct_department_scorecard applies it (dbt vars scorecard_points, scorecard_file_penalty).
    assert "得分 = 100 ×（绿灯数×3 + 黄灯数×1 + 红灯数×0）÷（亮灯指标数×3）− 迟报、未报文件每份扣5分" in html
    assert "不计分、不参与排名" in html
    assert "计数类指标（个、家、场、项、人、名、人次）的推算目标向上取整为整数" in html
    # The narrative's top ranks name ranked departments only.
    assert "区税务局" not in monthly_narrative(con, "2023-06").figures["top_departments"]


# --- fonts and rendering ------------------------------------------------------------------------
def _ink(png: bytes) -> np.ndarray:
    """Dark-pixel mask of a PNG (True where something is drawn)."""
    img = mpimg.imread(io.BytesIO(png), format="png")
    return img[..., :3].mean(axis=2) < 0.5


@pytest.mark.filterwarnings("ignore:Glyph 57344")
def test_chart_font_draws_real_glyphs_not_tofu():
    tofu = _ink(charts.text_sample("\ue000"))  # a private-use code point: every font draws its missing-glyph box
    glyphs = {ch: _ink(charts.text_sample(ch)) for ch in "鹿城服务业"}
    shapes = {g.tobytes() for g in glyphs.values()}
    assert len(shapes) == len(glyphs)  # five different characters, five different bitmaps
    for g in glyphs.values():
        assert g.any() and g.tobytes() != tofu.tobytes()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_brief_renders_chinese_in_headless_chromium(tmp_path):
    con = make_warehouse()
    publish(con, "2023-06")
    html_path = write_reports(con, "2023-06", tmp_path / "out")[0]
    shot = tmp_path / "brief.png"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1240,1754",
         html_path.as_uri()],
        check=True, capture_output=True, timeout=90,
    )
    img = mpimg.imread(shot)[..., :3]
    title = img[20:90, 200:1040]  # the red title line at the top of the A4-wide page
    # The title is red (#b00000): keep its pixels only.
    red = (title[..., 0] > 0.45) & (title[..., 1] < 0.35) & (title[..., 2] < 0.35)
    assert red.sum() > 1000, "title region is blank: the page did not render"
    # Cut the line into characters at blank columns. Real glyphs differ from one another;
    # tofu (missing-glyph boxes) would all be the same rectangle.
    inked_columns = red.any(axis=0)
    cells, start = [], None
    for x, inked in enumerate([*inked_columns, False]):
        if inked and start is None:
            start = x
        elif not inked and start is not None:
            cell = red[:, start:x]
            rows = cell.any(axis=1)
            cells.append(cell[rows.argmax(): len(rows) - rows[::-1].argmax()].tobytes())
            start = None
    assert len(set(cells)) >= 15, f"only {len(set(cells))} distinct glyph shapes in the title: tofu?"
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


# --- what makes a brief look issued: 期号, 编印单位, 印发日期 -------------------------------------
def _set_published_at(con, period: str, version: int, at: str) -> None:
    con.execute("UPDATE published.publication_log SET published_at = CAST(? AS TIMESTAMP) "
                "WHERE period = ? AND version = ?", [at, period, version])


def test_issue_numbers_follow_first_publication_and_survive_republication():
    con = make_warehouse(periods=("2023-01", "2023-02", "2023-03", "2024-01"))
    publish(con, "2023-01")
    _set_published_at(con, "2023-01", 1, "2023-02-16 09:00:00")
    publish(con, "2023-03")
    _set_published_at(con, "2023-03", 1, "2023-04-17 09:00:00")
    publish(con, "2023-02")  # blocked in March, released after the March brief was issued
    _set_published_at(con, "2023-02", 1, "2023-04-20 15:00:00")
    publish(con, "2024-01")
    _set_published_at(con, "2024-01", 1, "2024-02-15 09:00:00")
    assert [issue_number(con, p) for p in ("2023-01", "2023-02", "2023-03", "2024-01")] == [1, 3, 2, 1]

    # A republication of March (version 2, later) keeps March's number and moves no other.
    con.execute("UPDATE marts.fct_indicator_progress SET value = value + 1 WHERE period = '2023-03'")
    publish(con, "2023-03", sha="f" * 64)
    assert [issue_number(con, p) for p in ("2023-01", "2023-02", "2023-03")] == [1, 3, 2]
    # The quarterly bulletins are numbered among quarter ends only: March is the year's first.
    assert issue_number(con, "2023-03", quarterly=True) == 1

    html = render_brief_html(con, "2023-03")
    assert "2023年第2期" in html[: html.index("<h2>")]
    assert "2024年第1期" in render_brief_html(con, "2024-01")


def test_issuer_and_issue_date_on_the_brief_and_bulletin(monkeypatch, tmp_path):
    con = make_warehouse(periods=("2023-06",))
    publish(con, "2023-06")
    _set_published_at(con, "2023-06", 1, "2023-07-15 09:30:42.176253")
    monkeypatch.delenv(ISSUER_ENV, raising=False)
    head = render_brief_html(con, "2023-06")
    head = head[: head.index("<h2>")]
    assert "编印单位：鹿城区服务业发展工作专班办公室" in head
    assert "印发日期：2023年7月15日" in head
    assert "第1版（2023年7月15日 09:30发布）" in head
    assert "2023-07-15" not in head and "09:30:42" not in head

    monkeypatch.setenv(ISSUER_ENV, "鹿城区发展和改革局")
    assert "编印单位：鹿城区发展和改革局" in render_bulletin_html(con, "2023-06")
    monkeypatch.setenv(ISSUER_ENV, "  ")  # blank is unset
    assert "编印单位：鹿城区服务业发展工作专班办公室" in render_brief_html(con, "2023-06")

    monkeypatch.setenv(ISSUER_ENV, "鹿城区发展和改革局")
    xlsx = next(p for p in write_reports(con, "2023-06", tmp_path) if p.name.startswith("月度专报") and p.suffix == ".xlsx")
    summary = [c.value for c in openpyxl.load_workbook(xlsx)["摘要"]["A"]]
    assert summary[1] == "2023年第1期　编印单位：鹿城区发展和改革局　印发日期：2023年7月15日"
    assert summary[2] == "数据版本：第1版（2023年7月15日 09:30发布）"


# --- names people understand ---------------------------------------------------------------------
def test_banner_names_overridden_checks_in_chinese():
    con = make_warehouse()
    publish(con, "2023-06")
    con.execute("UPDATE marts.fct_indicator_progress SET value = value + 1")
    stored = {**SIGNOFF, "overrides": ["stats_enterprises.logic.ytd_decrease.revenue_ytd", "dbt.no_such_test"],
              "override_checks": [{"check_id": "stats_enterprises.logic.ytd_decrease.revenue_ytd",
                                   "check_name_zh": "本年累计数比上期减少（营业收入_本年累计）",
                                   "target": "raw.stats_enterprises"}]}
    publish(con, "2023-06", sha="f" * 64, gate_result="overridden", override=stored)
    statement = override_statement(publication_record(con, "2023-06"))
    # The stored name, under its feed's name; an id neither stored nor catalogued is not printed.
    assert statement.endswith(
        "放行的检查：规上服务业企业主要指标：本年累计数比上期减少（营业收入_本年累计）、"
        "未列入审核目录的检查（详见质量报告）。"), statement
    assert "dbt." not in statement and "ytd_decrease" not in statement


def test_override_record_carries_the_checks_chinese_names():
    from expectations.gate import GateResult, Signoff
    from expectations.store import CheckResult
    from orchestration.assets.publish import _override_record

    def failed(check_id, name, target):
        return CheckResult(run_id="r", checked_at=dt.datetime(2023, 7, 20), period="2023-06", target=target,
                           check_id=check_id, check_name_zh=name, check_name_en="", severity="error",
                           status="failed", failing_rows=1, sample_rows="[]", file_sha256="a" * 64, source="gx")

    signed = Signoff(dt.datetime(2023, 7, 21, 10, 5, 33), "2023-06", "王统计", "已核实",
                     ["tax_revenue.logic.ytd_decrease.tax_ytd"])
    verdict = GateResult(period="2023-06", passed=True,
                         blocking=[failed("tax_revenue.logic.ytd_decrease.tax_ytd", "本年累计数比上期减少（税收收入_本年累计）",
                                          "raw.tax_revenue")],
                         overridden=["tax_revenue.logic.ytd_decrease.tax_ytd"], warnings=[], signoffs=[signed])
    record = _override_record(verdict)
    assert record["overrides"] == ["tax_revenue.logic.ytd_decrease.tax_ytd"]
    assert record["override_checks"] == [{"check_id": "tax_revenue.logic.ytd_decrease.tax_ytd",
                                          "check_name_zh": "本年累计数比上期减少（税收收入_本年累计）",
                                          "target": "raw.tax_revenue"}]
    statement = override_statement({"gate_result": "overridden", "override": record})
    assert statement == (f"{OVERRIDE_LEAD}王统计（2023年7月21日 10:05），理由：已核实；"
                         "放行的检查：分行业税收收入：本年累计数比上期减少（税收收入_本年累计）。")


@pytest.mark.parametrize(("value", "shown"), [
    (dt.datetime(2026, 12, 2, 1, 39, 42, 176253), "2026年12月2日 01:39"),
    ("2026-12-02 01:39:42.176253", "2026年12月2日 01:39"),
    ("2023-07-21T10:05:33", "2023年7月21日 10:05"),
    ("2023-07-21", "2023年7月21日"),
    (dt.date(2024, 1, 5), "2024年1月5日"),
    (None, "—"),
])
def test_timestamps_read_as_chinese_dates(value, shown):
    assert fmt_datetime(value) == shown
