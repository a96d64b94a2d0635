"""Excel exports of the published 表, read back with openpyxl."""

from __future__ import annotations

import openpyxl
import pytest

from publish.disclosure import FOOTNOTE, HIDDEN_KEY, is_suppressed, mark_hidden
from publish.errors import ReportRefused
from publish.excel import export_table
from publish.publication import published_rows
from tests.test_publication import INDICATORS, INDUSTRY, SUPERVISION, add_period, make_warehouse, publish

HEADER_ROW = 3  # 1-based in Excel: title, version line, header


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    con = make_warehouse(periods=("2023-02", "2023-06"))
    publish(con, "2023-02")
    publish(con, "2023-06")
    return con, tmp_path_factory.mktemp("exports")


def _sheet(path):
    return openpyxl.load_workbook(path).active


def _header(ws) -> list[str]:
    return [c.value for c in ws[HEADER_ROW] if c.value is not None]


def _data_rows(ws, n: int) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + n)]


def _fill(cell) -> str:
    return cell.fill.fgColor.rgb[-6:].upper() if cell.fill and cell.fill.fill_type else ""


def test_indicators_table_headers_values_lights_and_frozen_header(published):
    con, out = published
    ws = _sheet(export_table(con, "2023-06", "indicators", out / "ind.xlsx"))
    assert ws["A1"].value == "主要指标进度表（2023年1-6月）"
    assert "第1版" in ws["A2"].value
    assert _header(ws) == ["类别", "指标名称", "单位", "1-6月完成值", "年度目标", "完成进度(%)", "时间进度(%)",
                           "亮灯", "亮灯说明", "责任单位"]
    assert ws.freeze_panes == "A4"

    rows = _data_rows(ws, len(INDICATORS))
    # Grouped 平台、企业、项目、人才、重点任务, then by sort order — the order of the hand-made list.
    assert [r[1] for r in rows] == [i[1] for i in INDICATORS]
    published_values = {r["indicator_name"]: r for r in published_rows(con, "fct_indicator_progress", "2023-06")}
    for r in rows:
        assert r[3] == published_values[r[1]]["value"]
        assert r[4] == published_values[r[1]]["annual_target"]
        assert r[7] == published_values[r[1]]["light"]
    assert rows[5][5] == "—"  # the rate indicator has no completion: shown as missing, not 0

    fills = {ws.cell(row=HEADER_ROW + 1 + i, column=8).value: _fill(ws.cell(row=HEADER_ROW + 1 + i, column=8))
             for i in range(len(INDICATORS))}
    assert fills == {"绿": "C6EFCE", "黄": "FFEB9C", "红": "FFC7CE"}


def test_february_is_labelled_1_2_month(published):
    con, out = published
    ws = _sheet(export_table(con, "2023-02", "projects", out / "proj02.xlsx"))
    assert "1-2月完成投资(亿元)" in _header(ws)
    assert ws["A1"].value == "重大项目实施表（2023年1-2月）"


def test_no_cell_is_a_formula_and_text_stays_text(published):
    con, out = published
    ws = _sheet(export_table(con, "2023-06", "supervision", out / "sup.xlsx"))
    descriptions = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=3)
                    for r in range(HEADER_ROW + 1, HEADER_ROW + 1 + len(SUPERVISION))}
    assert descriptions["DB-003"].value == "=SUM(A1)" and descriptions["DB-003"].data_type == "s"
    assert descriptions["DB-002"].value.startswith("+86") and descriptions["DB-004"].value.startswith("@")
    # Overdue first, then open, then closed.
    assert [ws.cell(row=r, column=7).value for r in range(4, 8)] == ["逾期", "未销号", "未销号", "已销号"]

    tasks = _sheet(export_table(con, "2023-06", "tasks", out / "tasks.xlsx"))
    for sheet in (ws, tasks):
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
    assert any(c.value == '=HYPERLINK("x")' for row in tasks.iter_rows() for c in row)


def test_industry_table_suppresses_fewer_than_three_enterprises(published):
    con, out = published
    ws = _sheet(export_table(con, "2023-06", "industry", out / "ind352.xlsx"))
    header = _header(ws)
    assert header == ["层级", "代码", "行业名称", "企业数(家)", "1-6月营业收入(万元)", "上年同期(万元)",
                      "同比增长(%)", "增长贡献(百分点)", "占比(%)"]
    rows = {r[1]: r for r in _data_rows(ws, len(INDUSTRY))}
    hidden = ("—",) * 5
    assert rows["两大幸福产业"][4:9] == hidden  # 2 enterprises: hidden
    assert rows["五大新兴产业"][4:9] == hidden  # the smallest sibling, else 合计 − the other two gives it
    assert rows["72"][4] == "—" and rows["88"][4] == "—"
    assert rows["51"][4] == 600000.0 and rows["64"][4] == 343211.0
    assert rows["两大幸福产业"][3] == 2  # the count itself is not confidential
    assert rows["三大支撑性产业"][4] == 800000.0 and rows["三大支撑性产业"][7] == 9.0909
    assert (rows["合计"][0], rows["51"][0], rows["三大支撑性产业"][0]) == ("合计", "大类", "“352”类别")
    # Rows in the mart's sort_order: 合计, the 大类, then the groups.
    assert [r[1] for r in _data_rows(ws, len(INDUSTRY))] == [r[1] for r in sorted(INDUSTRY, key=lambda r: r[-1])]
    notes = [c.value for row in ws.iter_rows(min_row=HEADER_ROW + len(INDUSTRY) + 1) for c in row if c.value]
    assert notes == [FOOTNOTE]


def test_footnote_absent_when_nothing_is_suppressed(tmp_path):
    con = make_warehouse(periods=())
    add_period(con, "2023-06")
    con.execute("DELETE FROM marts.fct_industry_352 WHERE enterprise_count < 3")
    publish(con, "2023-06")
    ws = _sheet(export_table(con, "2023-06", "industry", tmp_path / "i.xlsx"))
    assert FOOTNOTE not in [c.value for row in ws.iter_rows() for c in row]


def test_scorecard_and_versions(published, tmp_path):
    con, out = published
    ws = _sheet(export_table(con, "2023-06", "scorecard", out / "score.xlsx", version=1))
    assert _header(ws)[:3] == ["排名", "单位", "得分(分)"]
    assert [ws.cell(row=r, column=2).value for r in range(4, 8)] == ["区委组织部", "区发改局", "区科技局", "区商务局"]
    with pytest.raises(ReportRefused, match="version 7"):
        export_table(con, "2023-06", "scorecard", tmp_path / "x.xlsx", version=7)


def test_unpublished_period_and_unknown_table_are_refused(published, tmp_path):
    con, _ = published
    with pytest.raises(ReportRefused, match="尚未发布.*has not been published"):
        export_table(con, "2023-09", "indicators", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    with pytest.raises(ValueError, match="unknown table"):
        export_table(con, "2023-06", "salaries", tmp_path / "y.xlsx")


def _row(level, code, revenue, count, suppressed=None, section=None, industry=None, group=None):
    return {"row_level": level, "row_code": code, "revenue_ytd": revenue, "enterprise_count": count,
            "suppressed": suppressed, "section_code": section, "industry_352": industry, "group_352": group}


def _hidden(rows) -> set[str]:
    return {r["row_code"] for r in mark_hidden(rows) if r[HIDDEN_KEY]}


def test_complementary_suppression_within_a_section():
    rows = [
        _row("total", "合计", 1000, 50),
        _row("section", "L", 300, 20, section="L"),
        _row("division", "71", 100, 9, section="L"),
        _row("division", "72", 20, 2, section="L"),  # primary: 2 enterprises (no flag: the count decides)
        _row("division", "70", 180, 9, section="K"),  # section K: not a sibling of 72
        _row("section", "M", 700, 30, section="M"),
    ]
    assert _hidden(rows) == {"72", "71"}  # 71 = L − 72 would leak 72 (70 is in another section)

    # A hidden parent: its hidden child leaks nothing through it, but the parent needs a partner.
    rows[1]["suppressed"] = True
    rows[2]["enterprise_count"] = 1
    assert _hidden(rows) == {"L", "M", "71", "72"}  # L hidden → M (the 合计's other child) hides too

    # A table without a hierarchy: primary suppression only.
    flat = mark_hidden([{"name": "a", "enterprise_count": 2}, {"name": "b", "enterprise_count": 5}])
    assert [is_suppressed(r) for r in flat] == [True, False]


def test_suppression_across_the_section_and_352_hierarchies():
    # 大类 77 (2 enterprises) sits in 门类 N with 78, and in "352" 科技服务 with 73, which sits in 门类 M
    # with 74. Hiding 78 alone would not do: 77 = 科技服务 − M + 74 … = 科技服务 − 73 and 73 = M − 74.
    rows = [
        _row("total", "合计", 1000, 60),
        _row("section", "M", 500, 20, section="M"),
        _row("division", "73", 200, 9, section="M", industry="科技服务"),
        _row("division", "74", 300, 11, section="M", industry="会展"),
        _row("section", "N", 500, 40, section="N"),
        _row("division", "77", 40, 2, section="N", industry="科技服务"),
        _row("division", "78", 460, 38, section="N", industry="文旅"),
        _row("industry_352", "科技服务", 240, 11, industry="科技服务"),
    ]
    hidden = _hidden(rows)
    # 78 is 77's only 门类 sibling; 73 its only "352" sibling; then 73 alone in M takes 74 with it.
    assert hidden == {"77", "78", "73", "74"}
    # Checked by hand: from what is shown (合计, M, N, 科技服务) 77 cannot be worked out —
    # 科技服务 = 73 + 77 and M = 73 + 74 leave 77 tied to 73, whose only other tie is 74.
