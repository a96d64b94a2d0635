"""月度专报 and 季度通报: narrative figures, override statement, refusals, rendering."""

from __future__ import annotations

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
from publish.brief import OVERRIDE_LEAD, monthly_narrative, render_brief_html
from publish.bulletin import compose_bulletin_narrative, load_quarter, render_bulletin_html
from publish.disclosure import FOOTNOTE
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
SIGNOFF = {"signed_by": "王统计", "signed_at": "2023-07-21", "reason": "平衡差异已核实", "overrides": ["balance_revenue"]}


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
    assert f"{OVERRIDE_LEAD}王统计（2023-07-21），理由：平衡差异已核实" in first_page
    assert "第2版" in first_page
    # Version 1 was not overridden: no such statement.
    assert OVERRIDE_LEAD not in render_brief_html(con, "2023-06", version=1)

    paths = write_reports(con, "2023-06", tmp_path)
    assert [p.name for p in paths[:2]] == ["月度专报_2023-06_v2.html", "月度专报_2023-06_v2.xlsx"]
    summary = openpyxl.load_workbook(paths[1])["摘要"]
    first_lines = [summary.cell(row=r, column=1).value for r in range(1, 4)]
    assert any(line.startswith(OVERRIDE_LEAD) for line in first_lines)
    assert len(paths) == 8 and all(p.exists() for p in paths)


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
    assert [p.name for p in paths[-2:]] == ["季度通报_2023-06_v1.html", "季度通报_2023-06_v1.xlsx"]
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
