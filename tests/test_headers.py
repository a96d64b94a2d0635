"""Header matching and finding the table (FEEDS.md "Finding the table")."""

from __future__ import annotations

import pytest

from ingest.headers import HeaderIndex, combine_two_rows, find_header, find_unit_line, split_header
from ingest.registry import get_feed

SERVICES = get_feed("stats_services")


@pytest.mark.parametrize(
    ("cell", "key", "unit"),
    [
        ("营业收入（万元）", "营业收入", "万元"),
        ("营业收入(万元)", "营业收入", "万元"),
        ("营业收入[万元]", "营业收入", "万元"),
        ("营业收入【千元】", "营业收入", "千元"),
        (" 营 业 收 入 （千元） ", "营业收入", "千元"),
        ("增速(%)", "增速", "%"),
        ("增速（％）", "增速", "%"),
        ("增速%", "增速", "%"),
        ("期末用工人数（人）", "期末用工人数", "人"),
        ("营业收入（单位：元）", "营业收入", "元"),
        ("营业收入（百万元）", "营业收入", "百万元"),  # unit-like but unknown: kept for the reader to refuse
        ("行业代码（GB/T 4754-2017）", "行业代码", None),  # bracket text that is no unit
        ("*项目代码", "项目代码", None),
        ("营业收入_1—6月", "营业收入1-6月", None),
        ("ＵＳＣＣ", "USCC", None),
    ],
)
def test_split_header(cell, key, unit):
    assert split_header(cell) == (key, unit)


@pytest.mark.parametrize(
    ("cell", "field"),
    [
        ("行业代码", "industry_code"),
        ("代码", "industry_code"),
        ("营业收入_本年累计", "revenue_ytd"),
        ("营业收入本年累计（万元）", "revenue_ytd"),
        ("营业收入＿本年累计", "revenue_ytd"),
        ("营业收入_1-6月", "revenue_ytd"),
        ("营业收入_1-12月", "revenue_ytd"),
        ("营业收入_1—2月", "revenue_ytd"),
        ("营业收入_上年同期", "revenue_prior_ytd"),
        ("营业收入_同比增长(%)", "revenue_yoy_pct"),
        ("单位数", "enterprise_count"),
        ("从业人员期末人数（人）", "employees"),
        ("营业收入", None),
        ("营业收入_1-月", None),
    ],
)
def test_alias_matching(cell, field):
    key, _ = split_header(cell)
    assert HeaderIndex(SERVICES).field_for(key) == field


def test_combine_two_rows_reads_merged_parent_over_subheaders():
    parent = ["行业代码", "行业名称", "营业收入", "", "", "企业数", "营业利润"]
    child = ["", "", "本年累计", "上年同期", "增速(%)", "", "本年累计"]
    assert combine_two_rows(parent, child) == [
        "行业代码",
        "行业名称",
        "营业收入_本年累计",
        "营业收入_上年同期",
        "营业收入_增速(%)",
        "企业数",
        "营业利润_本年累计",
    ]


def test_combine_two_rows_with_filled_merges():
    # The reader fills merged ranges: a vertical merge repeats the text, a parent spans.
    parent = ["行业代码", "营业收入", "营业收入"]
    child = ["行业代码", "本年累计", "上年同期"]
    assert combine_two_rows(parent, child) == ["行业代码", "营业收入_本年累计", "营业收入_上年同期"]


def test_find_header_after_title_and_unit_lines():
    rows = [
        ["鹿城区2023年1-6月规上服务业", "", ""],
        ["单位：万元", "", ""],
        ["", "", ""],
        ["行业代码", "营业收入_本年累计（元）", "营业收入_上年同期", "备注"],
        ["I", 1, 2, ""],
    ]
    match = find_header(rows, SERVICES)
    assert match.complete
    assert (match.row_index, match.n_rows, match.data_start) == (3, 1, 4)
    assert match.columns["industry_code"].index == 0
    assert match.columns["revenue_ytd"].index == 1
    assert match.columns["revenue_ytd"].unit == "元"
    assert match.columns["revenue_prior_ytd"].unit is None
    assert match.unmatched == [(3, "备注")]


def test_find_header_two_row():
    rows = [
        ["2023年1-6月"],
        ["行业代码", "行业名称", "营业收入", "", "", "期末用工人数", "报告期"],
        ["", "", "本年累计（千元）", "上年同期", "增速(%)", "", ""],
        ["I", "信息", 1, 2, 3, 4, "2023-06"],
    ]
    match = find_header(rows, SERVICES)
    assert (match.row_index, match.n_rows, match.data_start) == (1, 2, 3)
    assert {f: c.index for f, c in match.columns.items()} == {
        "industry_code": 0,
        "industry_name": 1,
        "revenue_ytd": 2,
        "revenue_prior_ytd": 3,
        "revenue_yoy_pct": 4,
        "employees": 5,
    }
    assert match.columns["revenue_ytd"].unit == "千元"
    assert match.columns["revenue_yoy_pct"].unit == "%"
    assert match.period_index == 6


def test_find_header_takes_the_first_complete_row_only_within_15_rows():
    filler = [["说明"]] * 15
    rows = [*filler, ["行业代码", "营业收入_本年累计", "营业收入_上年同期"]]
    match = find_header(rows, SERVICES)
    assert not match.complete
    assert find_header(rows[1:], SERVICES).complete


def test_find_header_reports_missing_required_columns():
    rows = [["行业代码", "营业收入_上年同期", "企业数"], ["I", 1, 2]]
    match = find_header(rows, SERVICES)
    assert match.missing_required == ("revenue_ytd",)
    assert set(match.columns) == {"industry_code", "revenue_prior_ytd", "enterprise_count"}


def test_duplicate_columns_keep_the_first():
    rows = [["行业代码", "营业收入_本年累计", "营业收入_上年同期", "代码"]]
    match = find_header(rows, SERVICES)
    assert match.columns["industry_code"].index == 0
    assert match.duplicates == [(3, "代码", "industry_code")]


@pytest.mark.parametrize(
    ("lines", "units"),
    [
        ([["单位：万元"]], ["万元"]),
        ([["单位:千元"]], ["千元"]),
        ([["金额单位：万元"]], ["万元"]),
        ([["", "", "单位：元"]], ["元"]),
        ([["2023年1-6月      单位：万元、人"]], ["万元", "人"]),
        ([["填报单位：区人社局"]], []),
        ([["鹿城区2023年1-6月"]], []),
    ],
)
def test_find_unit_line(lines, units):
    assert find_unit_line(lines) == units


@pytest.mark.parametrize(
    "title_row",
    [
        ["", "", "鹿城区2023年1-6月"],  # a title off to the right
        ["鹿城区2023年1-6月", "鹿城区2023年1-6月", "鹿城区2023年1-6月"],  # a filled merged title
        ["", "", ""],
    ],
)
def test_a_row_above_a_one_row_header_is_not_its_parent(title_row):
    rows = [title_row, ["行业代码", "营业收入_本年累计", "营业收入_上年同期"], ["I", 1, 2]]
    match = find_header(rows, SERVICES)
    assert (match.row_index, match.n_rows) == (1, 1)
