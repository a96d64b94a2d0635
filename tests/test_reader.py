"""read_feed_file on small, ugly files written here (FEEDS.md "Rules for every feed")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import xlwt

from ingest import reference
from ingest.errors import FeedRejection
from ingest.reader import read_feed_file


def write_xlsx(path: Path, rows, *, merges=(), sheet="Sheet1", before=(), hidden_before=False) -> Path:
    """rows: lists of cell values (None = empty). `before`: names of sheets placed first."""
    wb = openpyxl.Workbook()
    first = wb.active
    for i, name in enumerate(before):
        ws = first if i == 0 else wb.create_sheet()
        ws.title = name
        ws.append(["这是说明页"])
        if hidden_before:
            ws.sheet_state = "hidden"
    ws = wb.create_sheet() if before else first
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(path)
    return path


def write_csv(path: Path, lines, *, delimiter=",", encoding="utf-8") -> Path:
    text = "\r\n".join(delimiter.join(cells) for cells in lines) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


# --- stats_services: title, 单位 line, merged two-row header, total, notes ---------------
SERVICES_ROWS = [
    ["鹿城区2023年1—6月规上服务业分行业主要指标"],
    ["单位：元", None, None, None, None, None, None, None, "填报日期：2023年7月3日"],
    [None],
    ["行业代码", "行业名称", "企业数", "营业收入", None, None, "营业利润", "期末用工人数"],
    [None, None, None, "本年累计", "上年同期", "增速(%)", "本年累计", None],
    ["合计", "全区", 12, "12,345,678", 10000000, "23.46%", "—", 1500],
    ["I", "信息传输、软件和信息技术服务业", "３", 2500000, 2000000, 25, -150000, 300],
    [None],
    ["65", "软件和信息技术服务业", 2, "1 000 000", None, "-", "－", "１２０"],
    ["注：本表为快报数。"],
    ["填报人：张三", None, None, "审核人：李四"],
]
SERVICES_MERGES = ("A1:H1", "A4:A5", "B4:B5", "C4:C5", "D4:F4", "H4:H5")


@pytest.fixture
def services_file(tmp_path):
    return write_xlsx(
        tmp_path / "规上服务业分行业.xlsx",
        SERVICES_ROWS,
        merges=SERVICES_MERGES,
        sheet="规上服务业分行业主要指标",
        before=["填表说明"],
    )


def test_services_file_reads_every_rule(services_file):
    parsed = read_feed_file(services_file, "stats_services")
    assert parsed.feed_id == "stats_services"
    assert parsed.file_name == "规上服务业分行业.xlsx"
    assert parsed.sheet == "规上服务业分行业主要指标"  # chosen by the feed's name, not first
    assert parsed.period == "2023-06"  # 1—6月 is year-to-date June
    assert parsed.header_row == 4
    assert parsed.reported_on == dt.date(2023, 7, 3)
    assert [r["_row_number"] for r in parsed.rows] == [6, 7, 9]  # blank row 8 skipped, notes not data

    total, section, division = parsed.rows
    # every field of the feed is present, absent columns as None
    assert set(total) == {
        "industry_code",
        "industry_name",
        "enterprise_count",
        "revenue_ytd",
        "revenue_prior_ytd",
        "revenue_yoy_pct",
        "operating_profit_ytd",
        "payroll_ytd",
        "employees",
        "_row_number",
        "_is_total",
        "_source_unit",
        "_parse_errors",
    }
    assert total["payroll_ytd"] is None
    assert total["_is_total"] is True and total["industry_code"] == "合计"
    # 单位：元 converts money to 万元 (12,345,678 元 = 1234.5678 万元), leaves counts, persons, %
    assert total["revenue_ytd"] == pytest.approx(1234.5678)
    assert total["revenue_prior_ytd"] == pytest.approx(1000.0)
    assert total["enterprise_count"] == 12.0
    assert total["employees"] == 1500.0
    assert total["revenue_yoy_pct"] == 23.46
    assert total["operating_profit_ytd"] is None  # — is missing, never 0
    assert total["_source_unit"] == "revenue_ytd=元; revenue_prior_ytd=元"
    assert total["_parse_errors"] is None

    assert section["_is_total"] is False and section["industry_code"] == "I"
    assert section["enterprise_count"] == 3.0  # full-width digit
    assert section["revenue_ytd"] == pytest.approx(250.0)
    assert section["operating_profit_ytd"] == pytest.approx(-15.0)
    assert section["_source_unit"] == "revenue_ytd=元; revenue_prior_ytd=元; operating_profit_ytd=元"

    assert division["industry_code"] == "65"
    assert division["revenue_ytd"] == pytest.approx(100.0)
    assert division["revenue_prior_ytd"] is None
    assert division["revenue_yoy_pct"] is None
    assert division["operating_profit_ytd"] is None
    assert division["employees"] == 120.0
    assert division["_source_unit"] == "revenue_ytd=元"


def test_header_bracket_unit_converts_and_the_header_wins_over_the_unit_line(tmp_path):
    rows = [
        ["2023年1-6月", None, "单位：元"],
        ["行业代码", "营业收入_本年累计（千元）", "营业收入_上年同期", "企业数（家）"],
        ["I", "5,000", 30000, 4],
    ]
    parsed = read_feed_file(write_xlsx(tmp_path / "a.xlsx", rows), "stats_services")
    row = parsed.rows[0]
    assert row["revenue_ytd"] == pytest.approx(500.0)  # 5000 千元 = 500 万元
    assert row["revenue_prior_ytd"] == pytest.approx(3.0)  # 30000 元 (unit line) = 3 万元
    assert row["enterprise_count"] == 4.0  # 家 and 个 are both counts: nothing converted
    assert row["_source_unit"] == "revenue_ytd=千元; revenue_prior_ytd=元"


def test_no_unit_means_the_canonical_unit(tmp_path):
    rows = [["行业代码", "营业收入_1-6月", "营业收入_上年同期"], ["I", 123.4, 100]]
    parsed = read_feed_file(write_xlsx(tmp_path / "服务业2023年6月.xlsx", rows), "stats_services")
    assert parsed.rows[0]["revenue_ytd"] == 123.4
    assert parsed.rows[0]["_source_unit"] is None
    assert parsed.period == "2023-06"


def test_enterprise_feed_converts_to_its_own_canonical_thousand_yuan(tmp_path):
    rows = [
        ["2023年1-2月规上服务业企业主要指标"],
        ["金额单位：万元"],
        ["统一社会信用代码", "单位详细名称", "行业代码", "入库年月", "营业收入_本年累计", "期末用工人数"],
        ["91330302MA2H4L8X1A", "温州某某信息科技有限公司", 6513, "2021.03", 12.5, 30],
    ]
    row = read_feed_file(write_xlsx(tmp_path / "e.xlsx", rows), "stats_enterprises").rows[0]
    assert row["revenue_ytd"] == pytest.approx(125.0)  # 12.5 万元 = 125 千元
    assert row["employees"] == 30.0
    assert row["industry_code"] == "6513"
    assert row["entered_scope_month"] == "2021-03"
    assert row["_source_unit"] == "revenue_ytd=万元"


def test_unknown_or_foreign_header_unit_is_not_guessed(tmp_path):
    rows = [
        ["2023年6月"],
        ["行业代码", "营业收入_本年累计（百万元）", "营业收入_上年同期（人）"],
        ["I", 1.5, 2],
    ]
    parsed = read_feed_file(write_xlsx(tmp_path / "a.xlsx", rows), "stats_services")
    row = parsed.rows[0]
    assert row["revenue_ytd"] is None and row["revenue_prior_ytd"] is None
    assert "revenue_ytd: 1.5 (单位「百万元」无法换算为「万元」" in row["_parse_errors"]
    assert "revenue_prior_ytd: 2 (" in row["_parse_errors"]
    assert any("百万元" in w for w in parsed.warnings)


def test_cells_that_cannot_be_read_are_none_with_the_error_and_the_file_loads(tmp_path):
    rows = [
        ["2023年1-6月"],
        ["行业代码", "营业收入_本年累计", "营业收入_上年同期", "企业数"],
        ["I", "约100", 80, "三"],
        ["J", 5, 4, 1],
    ]
    parsed = read_feed_file(write_xlsx(tmp_path / "a.xlsx", rows), "stats_services")
    bad, good = parsed.rows
    assert bad["revenue_ytd"] is None and bad["enterprise_count"] is None
    assert bad["revenue_prior_ytd"] == 80.0
    assert bad["_parse_errors"] == (
        "enterprise_count: 三 (不是数值 / is not a number); revenue_ytd: 约100 (不是数值 / is not a number)"
    )
    assert good["_parse_errors"] is None


def test_total_row_by_name_column_in_tax_feed(tmp_path):
    rows = [
        ["2023年1-6月分行业税收收入"],
        ["行业代码", "行业名称", "税收收入_本年累计", "税收收入_上年同期", "增速"],
        [None, "总  计", 900, 800, 12.5],
        ["L", "租赁和商务服务业", 100, 90, 11.1],
    ]
    total, section = read_feed_file(write_xlsx(tmp_path / "t.xlsx", rows), "tax_revenue").rows
    assert total["_is_total"] and total["industry_code"] == "合计"
    assert total["industry_name"] == "总  计"
    assert not section["_is_total"]


def test_unmatched_columns_are_warned_except_a_running_number(tmp_path):
    rows = [
        ["2023年6月"],
        ["序号", "行业代码", "营业收入_本年累计", "营业收入_上年同期", "备注"],
        [1, "I", 1, 1, "x"],
    ]
    parsed = read_feed_file(write_xlsx(tmp_path / "a.xlsx", rows), "stats_services")
    assert parsed.warnings == [
        "列「备注」（第5列）不属于本表，未读取 / column 备注 (column 5) is not part of this feed and was not read"
    ]


def test_rows_after_notes_are_not_data_but_are_warned(tmp_path):
    rows = [
        ["2023年6月"],
        ["行业代码", "营业收入_本年累计", "营业收入_上年同期"],
        ["I", 1, 1],
        ["说明：以下为补报"],
        ["J", 2, 2],
    ]
    parsed = read_feed_file(write_xlsx(tmp_path / "a.xlsx", rows), "stats_services")
    assert [r["industry_code"] for r in parsed.rows] == ["I"]
    assert any("第5行" in w for w in parsed.warnings)


# --- CSV: encodings and delimiters ---------------------------------------------------------
CSV_LINES = [
    ["鹿城区2023年1-6月培训台账"],
    [],
    ["培训项目", "本月人次", "本年累计人次", "填报单位"],
    ["金蓝领", "１２０", "1,234", "区人社局"],
    ["家政培训", "—", "56", "区人社局"],
    ["注：人次含线上培训"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_encodings_and_delimiters(tmp_path, encoding, delimiter):
    lines = [[f'"{c}"' if "," in c and delimiter == "," else c for c in line] for line in CSV_LINES]
    path = write_csv(tmp_path / "training.csv", lines, delimiter=delimiter, encoding=encoding)
    parsed = read_feed_file(path, "training_records")
    assert parsed.sheet is None
    assert parsed.period == "2023-06"
    assert parsed.header_row == 3
    assert [r["_row_number"] for r in parsed.rows] == [4, 5]
    first, second = parsed.rows
    assert first["program"] == "金蓝领" and first["reporting_dept"] == "区人社局"
    assert first["person_times_month"] == 120.0
    assert first["person_times_ytd"] == 1234.0
    assert second["person_times_month"] is None
    assert second["person_times_ytd"] == 56.0


def test_csv_row_numbers_are_line_numbers_with_multiline_cells(tmp_path):
    text = '2023年6月\n培训项目,本年累计人次,填报单位\n金蓝领,10,"区人社局"\n其他,5,"区教育\n局"\n成人学历提升,7,区教育局\n'
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("gb18030"))
    parsed = read_feed_file(path, "training_records")
    assert [r["_row_number"] for r in parsed.rows] == [3, 4, 6]


def test_undecodable_csv_is_rejected(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\x81\x30\xff\xfe\x00\x81" * 20)
    with pytest.raises(FeedRejection) as info:
        read_feed_file(path, "training_records")
    assert "bad.csv" in info.value.message
    assert "GB18030" in info.value.message


# --- .xls through calamine, dates and Excel serials ------------------------------------------
def test_xls_with_excel_dates_and_serials(tmp_path):
    book = xlwt.Workbook()
    sheet = book.add_sheet("督导服务销号表")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet.write(0, 0, "督导服务销号表（2023年6月）")
    for c, h in enumerate(["问题编号", "责任单位", "问题描述", "提出日期", "整改期限", "销号日期", "状态"]):
        sheet.write(1, c, h)
    sheet.write(2, 0, "DB-001")
    sheet.write(2, 1, "区发改局")
    sheet.write(2, 2, "项目用地审批慢")
    sheet.write(2, 3, dt.date(2023, 5, 8), date_style)
    sheet.write(2, 4, 45107)  # a bare serial number: 2023-06-30
    sheet.write(2, 5, "2023年6月20日")
    sheet.write(2, 6, "已销号")
    sheet.write(3, 0, "DB-002")
    sheet.write(3, 1, "区商务局")
    sheet.write(3, 2, "首店引进")
    sheet.write(3, 3, "2023/6/5")
    sheet.write(3, 4, "2023.07.31")
    sheet.write(3, 6, "未销号")
    path = tmp_path / "督导202306.xls"
    book.save(str(path))
    parsed = read_feed_file(path, "supervision_items")
    assert parsed.period == "2023-06"
    first, second = parsed.rows
    assert first["raised_on"] == dt.date(2023, 5, 8)
    assert first["due_on"] == dt.date(1899, 12, 30) + dt.timedelta(days=45107) == dt.date(2023, 6, 30)
    assert first["closed_on"] == dt.date(2023, 6, 20)
    assert second["raised_on"] == dt.date(2023, 6, 5)
    assert second["due_on"] == dt.date(2023, 7, 31)
    assert second["closed_on"] is None
    assert [r["_row_number"] for r in parsed.rows] == [3, 4]


def test_xlsx_saved_as_xls_is_still_read(tmp_path):
    rows = [["2023年6月"], ["行业代码", "营业收入_本年累计", "营业收入_上年同期"], ["I", 1, 1]]
    xlsx = write_xlsx(tmp_path / "a.xlsx", rows)
    renamed = tmp_path / "a.xls"
    renamed.write_bytes(xlsx.read_bytes())
    assert read_feed_file(renamed, "stats_services").rows[0]["industry_code"] == "I"


# --- typed values: bools, months --------------------------------------------------------------
def test_bools_and_months_in_the_cultivation_list(tmp_path):
    rows = [
        ["重点服务业企业培育清单（2023年6月）"],
        [
            "统一社会信用代码",
            "企业名称",
            "培育层级",
            "所属产业",
            "纳入时间",
            "状态",
            "雄鹰行动",
            "品字标",
            "专精特新",
        ],
        ["91330302MA2H4L8X1A", "甲公司", "领跑企业", "现代物流", "2023年3月", "在库", "是", "√", None],
        ["91330302MA2H4L8X1B", "乙公司", "创新型市场主体", "信息服务", 45078, "在库", "N", "否", "Y"],
        [
            "91330302MA2H4L8X1C",
            "丙公司",
            "领跑企业",
            "科技服务",
            dt.datetime(2022, 12, 1),
            "替补",
            "1",
            "0",
            "也许",
        ],
        ["91330302MA2H4L8X1D", "丁公司", "领跑企业", "科技服务", "202211", "调出", None, None, None],
    ]
    parsed = read_feed_file(write_xlsx(tmp_path / "c.xlsx", rows), "enterprise_cultivation")
    months = [r["listed_month"] for r in parsed.rows]
    assert months == ["2023-03", "2023-06", "2022-12", "2022-11"]
    assert [(r["is_eagle"], r["is_pinzi"], r["is_specialized"]) for r in parsed.rows] == [
        (True, True, None),
        (False, False, True),
        (True, False, None),
        (None, None, None),
    ]
    assert parsed.rows[2]["_parse_errors"] == "is_specialized: 也许 (不是「是/否」 / is not a yes/no value)"
    assert parsed.rows[0]["time_honored"] is None  # absent column


# --- dept_task_progress: per-row unit from the indicator registry ----------------------------
def _indicator_with_unit(unit: str) -> str:
    return next(
        i
        for i, r in reference.indicators().items()
        if r["source_feed"] == "dept_task_progress" and r["unit"] == unit
    )


def test_dept_task_progress_converts_to_the_indicator_unit(tmp_path):
    yi = _indicator_with_unit("亿元")
    jia = _indicator_with_unit("家")
    pct = _indicator_with_unit("%")
    rows = [
        ["2023年1-6月重点任务进度"],
        ["指标代码", "指标名称", "完成值", "单位", "填报单位", "填报日期"],
        [yi, "x", 2500, "万元", "区金融办", "2023-07-03"],
        [jia, "y", 3, "个", "区金融办", "2023-07-04"],
        [pct, "z", 45.5, None, "区金融办", None],
        [yi, "w", 12, "人", "区金融办", "2023-07-02"],
    ]
    parsed = read_feed_file(write_xlsx(tmp_path / "d.xlsx", rows), "dept_task_progress")
    money, count, share, wrong = parsed.rows
    assert money["value_ytd"] == pytest.approx(0.25)  # 2500 万元 = 0.25 亿元
    assert money["unit"] == "亿元"
    assert money["_source_unit"] == "value_ytd=万元"
    assert count["value_ytd"] == 3.0 and count["_source_unit"] is None  # 个 and 家 are both counts
    assert share["value_ytd"] == 45.5 and share["_source_unit"] is None
    assert wrong["value_ytd"] is None
    assert wrong["_parse_errors"].startswith("value_ytd: 12 (单位「人」无法换算为指标单位「亿元」")
    assert parsed.reported_on == dt.date(2023, 7, 4)  # the latest 填报日期


# --- periods --------------------------------------------------------------------------------
def test_report_period_column_is_a_source(tmp_path):
    rows = [
        ["行业代码", "营业收入_本年累计", "营业收入_上年同期", "报告期"],
        ["I", 1, 1, "2023年1-6月"],
        ["J", 1, 1, dt.datetime(2023, 6, 1)],
    ]
    assert read_feed_file(write_xlsx(tmp_path / "x.xlsx", rows), "stats_services").period == "2023-06"


def test_report_period_column_with_two_periods_is_rejected(tmp_path):
    rows = [
        ["行业代码", "营业收入_本年累计", "营业收入_上年同期", "报告期"],
        ["I", 1, 1, "2023-05"],
        ["J", 1, 1, "2023-06"],
    ]
    with pytest.raises(FeedRejection) as info:
        read_feed_file(write_xlsx(tmp_path / "x.xlsx", rows), "stats_services")
    assert info.value.column == "报告期"
    assert "2023-05、2023-06" in info.value.message


def test_unreadable_report_period_cell_is_rejected_with_row_and_column(tmp_path):
    rows = [["行业代码", "营业收入_本年累计", "营业收入_上年同期", "报告期"], ["I", 1, 1, "本月"]]
    with pytest.raises(FeedRejection) as info:
        read_feed_file(write_xlsx(tmp_path / "x.xlsx", rows), "stats_services")
    assert (info.value.row, info.value.column) == (2, "报告期")
    assert "第2行" in info.value.message and "row 2" in info.value.message


@pytest.mark.parametrize(
    ("title", "file_name", "fragment"),
    [
        ("2023年1-6月", "服务业202305.xlsx", "标题为 2023-06，文件名为 2023-05"),
        ("2023年上半年", "服务业2023年1-5月.xlsx", "title 2023-06, file name 2023-05"),
        ("规上服务业主要指标", "服务业.xlsx", "无法确定报告期"),
    ],
)
def test_period_conflicts_and_absence_are_rejected(tmp_path, title, file_name, fragment):
    rows = [[title], ["行业代码", "营业收入_本年累计", "营业收入_上年同期"], ["I", 1, 1]]
    with pytest.raises(FeedRejection) as info:
        read_feed_file(write_xlsx(tmp_path / file_name, rows, sheet="数据"), "stats_services")
    assert fragment in info.value.message
    assert file_name in info.value.message and "数据" in info.value.message


def test_file_name_parameter_overrides_the_archive_name(tmp_path):
    rows = [["行业代码", "营业收入_本年累计", "营业收入_上年同期"], ["I", 1, 1]]
    path = write_xlsx(tmp_path / "0a1b2c.xlsx", rows)
    parsed = read_feed_file(path, "stats_services", file_name="服务业2023-02.xlsx")
    assert parsed.file_name == "服务业2023-02.xlsx" and parsed.period == "2023-02"


# --- rejections ------------------------------------------------------------------------------
def test_missing_required_column_names_file_sheet_and_column(tmp_path):
    rows = [["2023年1-6月"], ["行业代码", "营业收入_上年同期", "企业数"], ["I", 1, 2]]
    path = write_xlsx(tmp_path / "x.xlsx", rows)
    with pytest.raises(FeedRejection) as info:
        read_feed_file(path, "stats_services")
    assert info.value.message == (
        "文件「x.xlsx」工作表「Sheet1」：缺少必填列「营业收入_本年累计」 / "
        "file x.xlsx, sheet Sheet1: missing required column 营业收入_本年累计 (revenue_ytd)"
    )


def test_missing_columns_in_csv(tmp_path):
    path = write_csv(tmp_path / "p.csv", [["2023年6月"], ["项目名称", "总投资"], ["某项目", "1.2"]])
    with pytest.raises(FeedRejection) as info:
        read_feed_file(path, "major_projects")
    message = info.value.message
    assert "p.csv" in message
    for header in ("项目代码", "项目类型", "项目级别", "本年累计完成投资", "责任单位"):
        assert f"「{header}」" in message
    assert "missing required columns" in message


def test_corrupt_xlsx_is_rejected(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FeedRejection) as info:
        read_feed_file(path, "stats_services")
    assert "broken.xlsx" in info.value.message and "cannot open" in info.value.message


@pytest.mark.parametrize("name", ["empty.csv", "blank.csv"])
def test_empty_csv_is_rejected(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"" if name == "empty.csv" else b"\r\n , ,\r\n\r\n")
    with pytest.raises(FeedRejection) as info:
        read_feed_file(path, "stats_services")
    assert "文件为空" in info.value.message and "empty" in info.value.message


def test_empty_workbook_is_rejected(tmp_path):
    path = write_xlsx(tmp_path / "e.xlsx", [])
    with pytest.raises(FeedRejection) as info:
        read_feed_file(path, "stats_services")
    assert "e.xlsx" in info.value.message and "Sheet1" in info.value.message
    assert "empty" in info.value.message


def test_header_without_data_rows_is_rejected(tmp_path):
    rows = [["2023年6月"], ["行业代码", "营业收入_本年累计", "营业收入_上年同期"], [None], ["注：无数据"]]
    with pytest.raises(FeedRejection) as info:
        read_feed_file(write_xlsx(tmp_path / "n.xlsx", rows), "stats_services")
    assert "没有数据行" in info.value.message and "no data rows" in info.value.message


@pytest.mark.parametrize("name", ["report.pdf", "report.txt", "report.xlsm", "report"])
def test_unsupported_extension_is_rejected(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"whatever")
    with pytest.raises(FeedRejection) as info:
        read_feed_file(path, "stats_services")
    assert name in info.value.message and ".xlsx" in info.value.message


def test_unknown_feed_is_rejected(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [["a"]])
    with pytest.raises(FeedRejection) as info:
        read_feed_file(path, "no_such_feed")
    assert "no_such_feed" in info.value.message


def test_hidden_first_sheet_is_skipped(tmp_path):
    rows = [["2023年6月"], ["行业代码", "营业收入_本年累计", "营业收入_上年同期"], ["I", 1, 1]]
    path = write_xlsx(tmp_path / "h.xlsx", rows, sheet="数据", before=["旧"], hidden_before=True)
    assert read_feed_file(path, "stats_services").sheet == "数据"


def test_two_row_header_in_csv_without_merges(tmp_path):
    lines = [
        ["2023年1-2月"],
        ["行业代码", "营业收入", "", "", "期末用工人数"],
        ["", "1-2月", "上年同期", "增速(%)", ""],
        ["I", "100", "80", "25", "7"],
    ]
    parsed = read_feed_file(write_csv(tmp_path / "s.csv", lines, encoding="gb18030"), "stats_services")
    row = parsed.rows[0]
    assert (parsed.period, parsed.header_row, row["_row_number"]) == ("2023-02", 2, 4)
    assert (row["revenue_ytd"], row["revenue_prior_ytd"], row["revenue_yoy_pct"], row["employees"]) == (
        100.0,
        80.0,
        25.0,
        7.0,
    )


def test_xls_with_merged_two_row_header(tmp_path):
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    sheet.write_merge(0, 0, 0, 4, "2023年1-6月分行业税收收入")
    sheet.write(1, 0, "金额单位：千元")
    sheet.write_merge(2, 3, 0, 0, "行业代码")
    sheet.write_merge(2, 2, 1, 3, "税收收入")
    for c, h in enumerate(["本年累计", "上年同期", "增速"], start=1):
        sheet.write(3, c, h)
    for c, v in enumerate(["合计", 12345, 10000, 23.45]):
        sheet.write(4, c, v)
    path = tmp_path / "tax.xls"
    book.save(str(path))
    parsed = read_feed_file(path, "tax_revenue")
    row = parsed.rows[0]
    assert parsed.period == "2023-06" and parsed.header_row == 3
    assert row["_is_total"] and row["industry_code"] == "合计"
    assert row["tax_ytd"] == pytest.approx(1234.5)  # 12345 千元 = 1234.5 万元
    assert row["tax_prior_ytd"] == pytest.approx(1000.0)
    assert row["tax_yoy_pct"] == 23.45
    assert row["_source_unit"] == "tax_ytd=千元; tax_prior_ytd=千元"


def test_table_away_from_a1_keeps_excel_row_numbers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C2"] = "2023年6月"
    ws["C4"], ws["D4"], ws["E4"] = "行业代码", "营业收入_本年累计", "营业收入_上年同期"
    ws["C6"], ws["D6"], ws["E6"] = "I", 10, 8
    path = tmp_path / "off.xlsx"
    wb.save(path)
    parsed = read_feed_file(path, "stats_services")
    assert parsed.header_row == 4
    assert [(r["_row_number"], r["industry_code"], r["revenue_ytd"]) for r in parsed.rows] == [(6, "I", 10.0)]


@pytest.mark.parametrize(
    ("unit_line", "revenue_wan"),
    [("单位：元", 0.0123), ("单位:千元", 12.3), ("金额单位：亿元", 1230000.0), ("单位：万元", 123.0)],
)
def test_unit_line_converts_money_only(tmp_path, unit_line, revenue_wan):
    rows = [
        ["2023年1-6月"],
        [unit_line],
        ["行业代码", "营业收入_本年累计", "营业收入_上年同期", "营业收入_增速", "企业数", "期末用工人数"],
        ["I", 123, 100, 23, 12, 345],
    ]
    row = read_feed_file(write_xlsx(tmp_path / "u.xlsx", rows), "stats_services").rows[0]
    assert row["revenue_ytd"] == pytest.approx(revenue_wan)
    assert (row["revenue_yoy_pct"], row["enterprise_count"], row["employees"]) == (23.0, 12.0, 345.0)


def test_reported_on_from_a_date_column_of_a_feed_without_that_field(tmp_path):
    rows = [
        ["2023年6月"],
        ["培训项目", "本年累计人次", "填报单位", "填报日期"],
        ["金蓝领", 10, "区人社局", "2023-07-02"],
        ["其他", 3, "区人社局", dt.datetime(2023, 7, 5)],
    ]
    parsed = read_feed_file(write_xlsx(tmp_path / "t.xlsx", rows), "training_records")
    assert parsed.reported_on == dt.date(2023, 7, 5)
    assert parsed.warnings == []


@pytest.mark.parametrize(
    ("code", "name", "is_total"),
    [
        ("合计", "", True),
        ("", "全区合计", True),
        ("", "合 计（全区）", True),
        ("", "总计", True),
        ("F", "批发和零售业合计", False),  # a section's name, not the grand total
        ("F", "批发和零售业", False),
    ],
)
def test_total_row_detection(tmp_path, code, name, is_total):
    rows = [
        ["2023年6月"],
        ["行业代码", "行业名称", "营业收入_本年累计", "营业收入_上年同期"],
        [code, name, 5, 4],
    ]
    row = read_feed_file(write_xlsx(tmp_path / "a.xlsx", rows), "stats_services").rows[0]
    assert row["_is_total"] is is_total
    assert row["industry_code"] == ("合计" if is_total else code)


@pytest.mark.parametrize(
    "note",
    ["注：快报数", "注1.口径", "说明", "备注：无", "填表说明：见附件", "数据来源：区统计局", "负责人：王"],
)
def test_note_rows_end_the_data(tmp_path, note):
    rows = [["2023年6月"], ["行业代码", "营业收入_本年累计", "营业收入_上年同期"], ["I", 1, 1], [note]]
    assert len(read_feed_file(write_xlsx(tmp_path / "a.xlsx", rows), "stats_services").rows) == 1
