"""Periods from titles, file names and 报告期 cells, and the file's one period."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.errors import FeedRejection
from ingest.periods import period_from_file_name, period_from_title, period_from_value, resolve_period
from ingest.values import ValueParseError


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("鹿城区2023年1-6月规上服务业分行业主要指标", "2023-06"),
        ("2023年1—6月", "2023-06"),
        ("2023年1–6月", "2023-06"),
        ("2023年1~6月", "2023-06"),
        ("2023年1～6月", "2023-06"),
        ("2023年1至6月", "2023-06"),
        ("2023年1月-6月", "2023-06"),
        ("２０２３年１－６月", "2023-06"),
        ("2023 年 1 - 6 月", "2023-06"),
        ("2023年6月", "2023-06"),
        ("2023年6月份重点任务进度", "2023-06"),
        ("2023年上半年", "2023-06"),
        ("2023年1-2月", "2023-02"),
        ("2023年1-12月", "2023-12"),
        ("2023年前三季度", "2023-09"),
        ("2023年1-3季度", "2023-09"),
        ("2023年第一季度", "2023-03"),
        ("2023年一季度", "2023-03"),
        ("2023年第2季度", "2023-06"),
        ("2023年四季度", "2023-12"),
        ("2023年全年", "2023-12"),
        ("2023年度", "2023-12"),
        ("2023年度1-6月", "2023-06"),
        ("鹿城区2023年度服务业重点任务进度（6月）", None),  # 年度 of the plan, month without a year
        ("2023年度重点任务进度（2023年6月）", "2023-06"),
        ("报告期：2023-06", "2023-06"),
        ("规上服务业（202306）", "2023-06"),
        # a dated line is not a period
        ("填报日期：2023年7月3日", None),
        ("2023年7月3日", None),
        ("填报单位：区人社局  填报日期：2023-07-03", None),
        ("单位：万元", None),
        ("", None),
        (None, None),
    ],
)
def test_period_from_title(title, expected):
    assert period_from_title(title) == expected


def test_title_with_period_and_date_reads_the_period():
    assert period_from_title("2023年1-6月    填报日期：2023年7月3日") == "2023-06"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("规上服务业202305.xlsx", "2023-05"),
        ("规上服务业_2023-05.csv", "2023-05"),
        ("2023年5月税收.xls", "2023-05"),
        ("tax_2023_05_final.xlsx", "2023-05"),
        ("重大项目2023.05.xlsx", "2023-05"),
        ("鹿城区2023年1-6月规上服务业.xlsx", "2023-06"),
        ("2023年上半年从业人员.xlsx", "2023-06"),
        ("２０２３年５月.xlsx", "2023-05"),
        # a name without both a 4-digit year and a month is no source
        ("规上服务业2023.xlsx", None),
        ("规上服务业6月.xlsx", None),
        ("stats.xlsx", None),
        ("23年5月.xlsx", None),
        # a date in the name is when it was sent, not the period
        ("规上服务业20230705.xlsx", None),
        ("规上服务业2023-07-05.xlsx", None),
        ("report_202313.csv", None),
    ],
)
def test_period_from_file_name(name, expected):
    assert period_from_file_name(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-06", "2023-06"),
        ("202306", "2023-06"),
        (202306, "2023-06"),
        ("2023年1-6月", "2023-06"),
        ("2023年1—6月", "2023-06"),
        ("2023年上半年", "2023-06"),
        (dt.datetime(2023, 6, 1), "2023-06"),
        (45078, "2023-06"),
        ("", None),
        (None, None),
    ],
)
def test_period_from_value(value, expected):
    assert period_from_value(value) == expected


def test_unreadable_report_period_cell():
    with pytest.raises(ValueParseError):
        period_from_value("本月")


def test_resolve_agreeing_sources():
    assert (
        resolve_period({"title": "2023-06", "file_name": "2023-06", "report_column": {"2023-06"}})
        == "2023-06"
    )
    assert resolve_period({"title": None, "file_name": "2023-05", "report_column": None}) == "2023-05"
    assert resolve_period({"report_column": ["2023-02", "2023-02"]}) == "2023-02"


def test_resolve_rejects_disagreeing_sources_and_names_them():
    with pytest.raises(FeedRejection) as info:
        resolve_period({"title": "2023-06", "file_name": "2023-05"}, file_name="a.xlsx", sheet="S")
    message = info.value.message
    assert "标题为 2023-06" in message and "文件名为 2023-05" in message
    assert "title 2023-06" in message and "file name 2023-05" in message
    assert "a.xlsx" in message and "S" in message


def test_resolve_rejects_title_lines_that_disagree():
    with pytest.raises(FeedRejection) as info:
        resolve_period({"title_row_1": "2023-06", "title_row_2": "2023-05"}, file_name="a.xlsx")
    assert "标题（第1行）为 2023-06" in info.value.message
    assert "title (row 2) 2023-05" in info.value.message


def test_resolve_rejects_a_column_with_two_periods():
    with pytest.raises(FeedRejection) as info:
        resolve_period({"report_column": {"2023-05", "2023-06"}, "file_name": "2023-06"}, file_name="a.csv")
    assert info.value.column == "报告期"
    assert "2023-05、2023-06" in info.value.cause_zh
    assert "more than one period" in info.value.cause_en


@pytest.mark.parametrize(
    "sources", [{}, {"title": None, "file_name": None, "report_column": None}, {"report_column": set()}]
)
def test_resolve_rejects_no_source(sources):
    with pytest.raises(FeedRejection) as info:
        resolve_period(sources, file_name="x.xlsx", sheet="Sheet1")
    assert "无法确定报告期" in info.value.message and "no period" in info.value.message
