"""Periods from titles, file names and 报告期 cells, and the file's one period: a month for every
feed, a year (`YYYY-01`) for the year's target list."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from ingest.errors import FeedRejection
from ingest.periods import (
    period_from_file_name,
    period_from_title,
    period_from_value,
    resolve_period,
    year_period,
)
from ingest.reader import read_feed_file
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
        # a year alone is no period (FEEDS.md "Period"); 1-12月 and 12月 are December
        ("2023年全年", None),
        ("2023年度", None),
        ("2023年", None),
        ("全年", None),
        ("区商务局2024年度重点工作推进情况", None),
        ("2024年全年服务业发展情况", None),
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


# --- a year alone, and the feed whose period is a year ------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("鹿城区2024年度服务业“十百千”工程目标任务分解", "2024-01"),
        ("2024年目标任务分解表", "2024-01"),
        # 年度 names the list's year even after another year's date
        ("（2023年12月印发）2024年度目标任务", "2024-01"),
        ("温鹿政办〔2023〕55号 2024年度", "2024-01"),
        ("2024年1-6月", "2024-01"),
        ("目标任务分解", None),
        ("填报日期：2024年1月20日", None),
    ],
)
def test_yearly_period_from_title(text, expected):
    assert period_from_title(text, yearly=True) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2024年度目标任务分解.xlsx", "2024-01"),
        ("annual_targets_2024.csv", "2024-01"),
        ("2024年目标任务.xls", "2024-01"),
        ("目标任务分解20240115.xlsx", None),  # a date, not a year
        ("目标任务分解.xlsx", None),
    ],
)
def test_yearly_period_from_file_name(name, expected):
    assert period_from_file_name(name, yearly=True) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2024, "2024-01"), (2024.0, "2024-01"), ("2024", "2024-01"), ("2024年", "2024-01"), ("２０２４年度", "2024-01"),
     (dt.date(2024, 3, 1), "2024-01"), ("", None), (None, None)],
)
def test_year_period_of_a_year_cell(value, expected):
    assert year_period(value) == expected


@pytest.mark.parametrize("value", [24, 2024.5, "2024年6月", "明年", True])
def test_a_year_cell_without_a_year_is_refused(value):
    with pytest.raises(ValueParseError):
        year_period(value)


# Whole files: a year-only title or name with a month from another source is accepted with that
# month; without one it is rejected for having no period.
TASK_HEADER = ["指标代码", "本年累计值", "填报单位"]
TASK_ROW = ["first_stores", 3, "区商务局"]


def _xlsx(path, rows):
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("title", "file_name", "period_cell", "expected"),
    [
        ("区商务局2024年度重点工作推进情况", "区商务局重点任务进度2024年6月.xlsx", None, "2024-06"),
        ("区商务局2024年度重点工作推进情况", "进度202406.xlsx", None, "2024-06"),
        ("2024年全年重点任务进度", "进度.xlsx", "2024-06", "2024-06"),
        ("2024年重点任务进度", "2024年商务局进度.xlsx", "2024年1-6月", "2024-06"),
        ("2024年度重点任务进度（2024年6月）", "进度.xlsx", None, "2024-06"),
        ("2024年1-12月重点任务进度", "2024年度进度.xlsx", None, "2024-12"),
        ("2024年12月重点任务进度", "进度.xlsx", None, "2024-12"),
    ],
)
def test_a_year_alone_defers_to_the_month_another_source_gives(tmp_path, title, file_name, period_cell, expected):
    header = TASK_HEADER + (["报告期"] if period_cell else [])
    row = TASK_ROW + ([period_cell] if period_cell else [])
    path = _xlsx(tmp_path / file_name, [[title], header, row])
    assert read_feed_file(path, "dept_task_progress").period == expected


@pytest.mark.parametrize(
    ("title", "file_name"),
    [
        ("区商务局2024年度重点工作推进情况", "区商务局重点任务进度.xlsx"),
        ("2024年全年重点任务进度", "2024年度进度.xlsx"),
        ("重点任务进度", "进度2024.xlsx"),
    ],
)
def test_a_year_alone_everywhere_is_no_period(tmp_path, title, file_name):
    path = _xlsx(tmp_path / file_name, [[title], TASK_HEADER, TASK_ROW])
    with pytest.raises(FeedRejection) as info:
        read_feed_file(path, "dept_task_progress")
    assert "无法确定报告期" in info.value.message and "no period" in info.value.message


LIST_HEADER = ["年度", "指标代码", "指标名称", "计量单位", "类型", "年度目标", "责任单位"]


def _list_row(year, indicator_id="first_stores"):
    return [year, indicator_id, "新引进品牌首店", "家", "累计", 12, "区商务局"]


@pytest.mark.parametrize(
    ("title", "file_name", "years", "expected"),
    [
        ("鹿城区2024年度目标任务分解", "目标任务.xlsx", [2024, 2024], "2024-01"),
        (None, "annual_targets_2025.xlsx", [2025], "2025-01"),
        ("目标任务分解", "目标任务.xlsx", ["2026年"], "2026-01"),
        (None, "2024年度目标任务分解（第二版）.xlsx", [None], "2024-01"),
    ],
)
def test_the_target_list_period_is_its_year(tmp_path, title, file_name, years, expected):
    rows = ([[title]] if title else []) + [LIST_HEADER] + [_list_row(y) for y in years]
    assert read_feed_file(_xlsx(tmp_path / file_name, rows), "annual_targets").period == expected


@pytest.mark.parametrize(
    ("title", "file_name", "years", "fragment"),
    [
        ("2024年度目标任务分解", "2025年度目标任务.xlsx", [2024], "文件名为 2025-01"),
        ("目标任务分解", "目标任务.xlsx", [2024, 2025], "年度列含有多个报告期：2024-01、2025-01"),
        ("2024年度目标任务分解", "目标任务.xlsx", [2025], "title 2024-01, 年度 column 2025-01"),
        ("目标任务分解", "目标任务.xlsx", [None], "无法确定报告期"),
    ],
)
def test_two_years_or_none_reject_the_target_list(tmp_path, title, file_name, years, fragment):
    rows = [[title], LIST_HEADER] + [_list_row(y) for y in years]
    with pytest.raises(FeedRejection) as info:
        read_feed_file(_xlsx(tmp_path / file_name, rows), "annual_targets")
    assert fragment in info.value.message
