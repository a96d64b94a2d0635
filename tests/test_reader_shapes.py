"""Issue 10: files the feed contract allows that the reader used to misread, one table per shape,
each written here: units on a merged parent header, a 填报单位 line above the header, cells
formatted as percentages (xlsx) and `12.5%` in a CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from ingest import landing
from ingest.errors import FeedRejection, FileWarning
from ingest.reader import read_feed_file
from tests.test_reader import write_csv


def services_with_parent_unit(path: Path, parent: str, values: tuple[float, float, float]) -> Path:
    """行业代码 | 营业收入（unit） merged over 本年累计 | 上年同期 | 增速 | 应付职工薪酬（亿元） over 本年累计."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sheet1")
    sheet.write(0, 0, "鹿城区2024年1-6月规上服务业分行业主要指标")
    sheet.merge_range(1, 0, 2, 0, "行业代码")
    sheet.merge_range(1, 1, 1, 3, parent)
    sheet.write_row(2, 1, ["本年累计", "上年同期", "增速"])
    sheet.write(1, 4, "应付职工薪酬（亿元）")
    sheet.write(2, 4, "本年累计")
    sheet.write_row(3, 0, ["I", *values, 0.25])
    book.close()
    return path


# (parent header, values written, revenue_ytd in 万元, revenue_prior_ytd in 万元, source unit noted)
PARENT_UNITS = [
    ("营业收入（万元）", (1500.0, 1200.0, 25.0), 1500.0, 1200.0, None),
    ("营业收入（亿元）", (1.5, 1.2, 25.0), 15000.0, 12000.0, "亿元"),
    ("营业收入（千元）", (15000.0, 12000.0, 25.0), 1500.0, 1200.0, "千元"),
    ("营业收入（元）", (12345678.0, 10000000.0, 23.5), 1234.5678, 1000.0, "元"),
    ("营业收入(单位:亿元)", (2.0, 1.0, 100.0), 20000.0, 10000.0, "亿元"),
]


@pytest.mark.parametrize(("parent", "values", "ytd", "prior", "unit"), PARENT_UNITS,
                         ids=["wanyuan", "yiyuan", "qianyuan", "yuan", "unit_label"])
def test_a_unit_on_a_merged_parent_header_converts_its_columns(tmp_path, parent, values, ytd, prior, unit):
    parsed = read_feed_file(services_with_parent_unit(tmp_path / "s.xlsx", parent, values), "stats_services")
    (row,) = parsed.rows
    assert row["revenue_ytd"] == pytest.approx(ytd, rel=1e-12)
    assert row["revenue_prior_ytd"] == pytest.approx(prior, rel=1e-12)
    # 增速 under 营业收入（…元） is a percentage: a money unit over it does not apply.
    assert row["revenue_yoy_pct"] == values[2]
    # 应付职工薪酬（亿元） over 本年累计: 0.25 亿元 = 2500 万元.
    assert row["payroll_ytd"] == 2500.0
    converted = f"revenue_ytd={unit}; revenue_prior_ytd={unit}; " if unit else ""
    assert row["_source_unit"] == converted + "payroll_ytd=亿元"
    assert row["_parse_errors"] is None and parsed.warnings == []


def test_a_child_unit_wins_over_its_parents(tmp_path):
    rows = [["2024年6月"], ["行业代码", "营业收入（亿元）", "营业收入（亿元）"], ["", "本年累计（万元）", "上年同期"], ["I", 10, 1]]
    from tests.test_reader import write_xlsx

    (row,) = read_feed_file(write_xlsx(tmp_path / "a.xlsx", rows, merges=["B2:C2"]), "stats_services").rows
    assert (row["revenue_ytd"], row["revenue_prior_ytd"]) == (10.0, 10000.0)
    assert row["_source_unit"] == "revenue_prior_ytd=亿元"


def test_enterprise_revenue_in_wanyuan_on_the_parent_reaches_qianyuan(tmp_path):
    """stats_enterprises holds 千元: 营业收入（万元） over 本年累计 is ×10."""
    from tests.test_reader import write_xlsx

    rows = [["2024年6月规上服务业企业主要指标"],
            ["统一社会信用代码", "单位详细名称", "行业代码", "营业收入（万元）", "营业收入（万元）"],
            ["", "", "", "本年累计", "上年同期"],
            ["91330302MA2AB3CD4E", "甲公司", "5111", 12.5, 10]]
    (row,) = read_feed_file(write_xlsx(tmp_path / "e.xlsx", rows, merges=["D2:E2"]), "stats_enterprises").rows
    assert (row["revenue_ytd"], row["revenue_prior_ytd"]) == (125.0, 100.0)
    assert row["_source_unit"] == "revenue_ytd=万元; revenue_prior_ytd=万元"


# --- 填报单位 above the header ----------------------------------------------------------
TRAINING_TITLE = ["鹿城区2024年6月培训台账"]


@pytest.mark.parametrize(("line", "expected"), [
    (["填报单位：区人社局"], "区人社局"),
    (["填报单位:", "区人力社保局"], "区人力社保局"),
    (["填报单位（盖章）：区教育局　　填报日期：2024年7月3日"], "区教育局"),
], ids=["one_cell", "next_cell", "with_stamp_and_date"])
def test_a_reporting_department_line_is_every_rows_scope(tmp_path, line, expected):
    from tests.test_reader import write_xlsx

    rows = [TRAINING_TITLE, line, ["培训项目", "本月人次", "本年累计人次"], ["金蓝领", 10, 60], ["家政培训", 5, 30]]
    parsed = read_feed_file(write_xlsx(tmp_path / "t.xlsx", rows), "training_records")
    assert [r["reporting_dept"] for r in parsed.rows] == [expected, expected]
    assert [r["person_times_ytd"] for r in parsed.rows] == [60.0, 30.0]
    assert parsed.warnings == []


def test_a_column_wins_per_row_and_a_disagreeing_row_is_warned(tmp_path):
    lines = [TRAINING_TITLE, ["填报单位：区人社局"], ["培训项目", "本年累计人次", "填报单位"],
             ["金蓝领", "60", "区人力社保局"], ["家政培训", "30", ""], ["成人学历提升", "12", "区教育局"]]
    parsed = read_feed_file(write_csv(tmp_path / "t.csv", [[str(c) for c in line] for line in lines]),
                            "training_records")
    # 区人力社保局 is an alias of 区人社局: it agrees; an empty cell takes the line; 区教育局 disagrees.
    assert [r["reporting_dept"] for r in parsed.rows] == ["区人力社保局", "区人社局", "区教育局"]
    (warning,) = parsed.warnings
    assert isinstance(warning, FileWarning) and (warning.row, warning.column) == (6, "填报单位")
    assert "区教育局" in warning.cause_zh and "区人社局" in warning.cause_zh and "/" in warning


def test_without_line_or_column_the_department_is_still_required(tmp_path):
    lines = [TRAINING_TITLE, ["培训项目", "本年累计人次"], ["金蓝领", "60"]]
    with pytest.raises(FeedRejection, match="填报单位"):
        read_feed_file(write_csv(tmp_path / "t.csv", [[str(c) for c in line] for line in lines]), "training_records")


def test_a_line_below_the_header_is_not_a_scope(tmp_path):
    lines = [TRAINING_TITLE, ["培训项目", "本年累计人次"], ["金蓝领", "60"], ["填报单位：区人社局"]]
    with pytest.raises(FeedRejection, match="填报单位"):
        read_feed_file(write_csv(tmp_path / "t.csv", [[str(c) for c in line] for line in lines]), "training_records")


def test_the_line_is_the_files_scope_when_landed(home):
    inbox = home / "inbox"
    path = inbox / "dept_task_progress" / "区商务局2024年6月.csv"
    path.parent.mkdir(parents=True)
    path.write_text("填报单位：区商务局\n指标代码,本年累计值\nfirst_stores,4\n", encoding="utf-8")
    con = landing.connect()
    try:
        [result] = landing.land_inbox(con, inbox)
        assert (result.status, result.scopes) == ("accepted", ("区商务局",))
        assert con.execute("SELECT reporting_dept, reporting_dept_canonical, _scope FROM raw.dept_task_progress"
                           ).fetchall() == [("区商务局", "区商务局", "区商务局")]
    finally:
        con.close()


# --- percentages ---------------------------------------------------------------------------
def fai_with_formats(path: Path, cells: list[tuple[str, float, str | None]]) -> Path:
    """stats_fai rows (indicator, 增速 value, number format of the 增速 cell or None)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sheet1")
    sheet.write_row(0, 0, ["鹿城区2024年1-6月固定资产投资"])
    sheet.write_row(1, 0, ["指标名称", "增速", "占比"])
    for r, (indicator, value, number_format) in enumerate(cells, start=2):
        sheet.write(r, 0, indicator)
        sheet.write_number(r, 1, value, book.add_format({"num_format": number_format}) if number_format else None)
        sheet.write_number(r, 2, 0.5, book.add_format({"num_format": "0%"}))
    book.close()
    return path


@pytest.mark.parametrize(("value", "number_format", "expected"), [
    (0.125, "0.0%", 12.5),
    (0.123, "0.00%", 12.3),  # not 12.299999999999999
    (-0.05, "0%", -5.0),
    (0.125, '0.0"%"', 0.125),  # a quoted % is text in the format: the value is shown as is
    (12.5, None, 12.5),
    (12.5, "0.0", 12.5),
], ids=["one_decimal", "two_decimals", "negative", "quoted_percent_sign", "general", "plain_number"])
def test_a_cell_formatted_as_a_percentage_reads_as_shown(tmp_path, value, number_format, expected):
    parsed = read_feed_file(fai_with_formats(tmp_path / "f.xlsx", [("服务业投资", value, number_format)]), "stats_fai")
    (row,) = parsed.rows
    assert row["yoy_pct"] == expected
    assert row["share_pct"] == 50.0  # 0.5 formatted 0%


def test_percent_formats_apply_only_to_percentage_columns(tmp_path):
    # stats_employment has no percentage column: a count formatted 0% stays the count.
    book = xlsxwriter.Workbook(str(tmp_path / "e.xlsx"))
    sheet = book.add_worksheet("Sheet1")
    sheet.write_row(0, 0, ["2024年6月从业人员"])
    sheet.write_row(1, 0, ["指标名称", "数值"])
    sheet.write(2, 0, "全社会从业人员")
    sheet.write_number(2, 1, 12000, book.add_format({"num_format": "0%"}))
    book.close()
    (row,) = read_feed_file(tmp_path / "e.xlsx", "stats_employment").rows
    assert row["persons"] == 12000.0


@pytest.mark.parametrize(("cell", "expected"), [("12.5%", 12.5), ("１２．５％", 12.5), ("-3%", -3.0), ("12.5", 12.5)])
def test_a_csv_percentage_reads_as_written(tmp_path, cell, expected):
    path = write_csv(tmp_path / "固定资产投资202406.csv", [["指标名称", "增速"], ["服务业投资", cell]])
    (row,) = read_feed_file(path, "stats_fai").rows
    assert row["yoy_pct"] == expected
