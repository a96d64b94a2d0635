"""Excel exports of the published 表, read back with openpyxl."""

from __future__ import annotations

import math

import openpyxl
import pytest

from publish.disclosure import FOOTNOTE, HIDDEN_KEY, is_suppressed, mark_hidden
from publish.errors import ReportRefused
from publish.excel import export_table
from publish.publication import publication_record, published_rows
from publish.reports import write_reports
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
    # L = 合计 − M − 70 would expose L: the smaller of the two, 70 (180 < 700), hides too.
    assert _hidden(rows) == {"L", "70", "71", "72"}

    # A table without a hierarchy: primary suppression only.
    flat = mark_hidden([{"name": "a", "enterprise_count": 2}, {"name": "b", "enterprise_count": 5}])
    assert [is_suppressed(r) for r in flat] == [True, False]


def test_tables_of_the_same_shape_get_their_own_answers_in_any_order():
    """The search's answers are kept between tables of one structure (every month of a hierarchy asks
    the same questions); a table whose rows add up differently must not get them."""
    def table(section_of_70: str, revenue_of_70: int) -> list[dict]:
        return [
            _row("total", "合计", 1000, 50),
            _row("section", "L", 300, 20, section="L"),
            _row("division", "71", 100, 9, section="L"),
            _row("division", "72", 20, 2, section="L"),
            _row("division", "70", revenue_of_70, 9, section=section_of_70),
            _row("section", "M", 700, 30, section="M"),
        ]

    # In K, 70 is no sibling of 72: 71 is its only partner. In L with less revenue than 71 (50 < 100),
    # 70 is the cheaper partner: L − 71 − 70 would give 72, and L − 71 leaves 72 + 70 only.
    apart, together = table("K", 180), table("L", 50)
    for rows, hidden in [(apart, {"72", "71"}), (together, {"72", "70"}), (apart, {"72", "71"}),
                         (together, {"72", "70"})]:
        assert _hidden(rows) == hidden


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


# --- print layout -------------------------------------------------------------------------------
A4_PORTRAIT_INCHES = 8.27
COUNT_FORMAT, TWO_DECIMALS = "#,##0", "#,##0.00"


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """Every workbook of a quarter-end package: the brief's, the six exports, the bulletin's."""
    con = make_warehouse(periods=("2023-03", "2023-06"))
    publish(con, "2023-03")
    publish(con, "2023-06")
    paths = write_reports(con, "2023-06", tmp_path_factory.mktemp("package"), quarterly=True)
    return con, [p for p in paths if p.suffix == ".xlsx"]


def _sheets(paths):
    return [(p.name, ws) for p in paths for ws in openpyxl.load_workbook(p).worksheets]


def _column_widths(ws) -> list[float]:
    widths = []
    for dim in sorted(ws.column_dimensions.values(), key=lambda d: d.min):
        widths += [dim.width] * (dim.max - dim.min + 1)
    return widths


def test_every_exported_sheet_prints_one_page_wide_on_a4(package):
    con, paths = package
    assert len(paths) == 8  # 月度专报, six 表, 季度通报
    at = publication_record(con, "2023-06")["published_at"]
    version = f"2023年1-6月 第1版 {at.year}年{at.month}月{at.day}日 {at.hour:02d}:{at.minute:02d}发布"
    sheets = _sheets(paths)
    assert len(sheets) == 7 + 6 + 4  # summary + six tables; six; summary + three tables
    orientations = set()
    for name, ws in sheets:
        where = f"{name}/{ws.title}"
        setup = ws.page_setup
        assert setup.paperSize == 9, where  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, where
        # One page wide (an absent fitToWidth is OOXML's default, 1), any number of pages tall.
        assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0), where
        assert ws.oddFooter.left.text == version, where
        assert ws.oddFooter.right.text == "&A　第 &P 页 共 &N 页", where
        # Landscape exactly when the columns are wider than A4 portrait's printable width
        # (Excel: a column of width w is w × 7 + 5 pixels at 96 dpi).
        margins = ws.page_margins
        printable = (A4_PORTRAIT_INCHES - margins.left - margins.right) * 96
        wide = sum(int(w * 7 + 5) for w in _column_widths(ws)) > printable
        assert setup.orientation == ("landscape" if wide else "portrait"), where
        orientations.add(setup.orientation)
        if ws.title == "摘要":
            assert ws.print_title_rows is None and ws.max_column == 1
        else:  # the header row (3rd) on every printed page
            assert ws.print_title_rows == "$3:$3", where
            assert all(c.value for c in ws[HEADER_ROW]), where
    assert orientations == {"portrait", "landscape"}  # summaries portrait, the wide tables landscape


def _by_title(paths, title):
    return next(ws for _name, ws in _sheets(paths) if ws.title == title)


def test_counts_print_as_integers_other_numbers_keep_decimals(package):
    _con, paths = package
    indicators = _by_title(paths[1:2], "主要指标进度表")
    formats = {r[1].value: (r[2].value, r[3].number_format, r[4].number_format)
               for r in indicators.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + len(INDICATORS))}
    # Units 个/家/名 are counts; 研发投入强度 is a % and keeps two decimals.
    assert formats == {
        "省级现代服务业创新发展区": ("个", COUNT_FORMAT, COUNT_FORMAT),
        "领跑企业（在库）": ("家", COUNT_FORMAT, COUNT_FORMAT),
        "累计实施重大项目": ("个", COUNT_FORMAT, COUNT_FORMAT),
        "服务业领军（高端）人才": ("名", COUNT_FORMAT, COUNT_FORMAT),
        "新引进品牌首店": ("家", COUNT_FORMAT, COUNT_FORMAT),
        "研发投入强度": ("%", TWO_DECIMALS, TWO_DECIMALS),
    }
    # The key task measures 新引进品牌首店 (家): its value and target are counts too.
    tasks = _by_title(paths, "重点任务攻坚表")
    header = [c.value for c in tasks[HEADER_ROW]]
    value = next(i for i, h in enumerate(header) if h and h.endswith("月完成值"))
    target = header.index("年度目标")
    task = next(r for r in tasks.iter_rows(min_row=HEADER_ROW + 1) if r[2].value == "新引进品牌首店")
    assert (task[value].value, task[value].number_format, task[target].value, task[target].number_format) == (
        3, COUNT_FORMAT, 10, COUNT_FORMAT)
    industry = _by_title(paths, "规上服务业分行业营业收入")
    total = industry[HEADER_ROW + 1]
    assert (total[3].number_format, total[4].number_format) == (COUNT_FORMAT, TWO_DECIMALS)  # 家; 万元
    goals = _by_title(paths[-1:], "五年目标进度")
    targets = {r[0].value: r[3].number_format for r in goals.iter_rows(min_row=HEADER_ROW + 1) if r[0].value}
    assert targets["累计实施重大项目"] == COUNT_FORMAT  # 个
    moves = _by_title(paths[-1:], "指标季度变动")
    ends = {r[0].value: r[4].number_format for r in moves.iter_rows(min_row=HEADER_ROW + 1) if r[0].value}
    assert (ends["领跑企业（在库）"], ends["研发投入强度"]) == (COUNT_FORMAT, TWO_DECIMALS)


def test_wrapped_text_gets_a_row_tall_enough(tmp_path):
    con = make_warehouse(periods=())
    add_period(con, "2023-06")
    long_text = "鹿城区现代服务业集聚区配套道路建设用地报批手续尚未办结影响项目按期开工建设请尽快协调" * 2  # 84 characters
    con.execute(
        "INSERT INTO marts.fct_supervision_items (period, item_id, responsible_dept, description, state) "
        "VALUES ('2023-06', 'DB-009', '区发改局', ?, '未销号')", [long_text])
    publish(con, "2023-06")
    ws = _sheet(export_table(con, "2023-06", "supervision", tmp_path / "sup.xlsx"))
    row = next(r[0].row for r in ws.iter_rows(min_row=HEADER_ROW + 1) if r[0].value == "DB-009")
    width = ws.column_dimensions["C"].width
    # 84 CJK characters are 168 width units: at least ceil(168 / width) lines of at least 15 points.
    lines = math.ceil(168 / width)
    assert lines >= 3
    assert ws.row_dimensions[row].height >= 15 * lines
    one_line = next(r[0].row for r in ws.iter_rows(min_row=HEADER_ROW + 1) if r[0].value == "DB-001")
    assert 15 <= ws.row_dimensions[one_line].height < 30
    assert ws.cell(row=row, column=3).alignment.wrap_text
