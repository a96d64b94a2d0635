"""Issue 10 item 4, end to end: nothing is dropped unseen. A data-looking row below a notes row
is not read as data; the warning is stored with the file (`raw.file_warnings`), printed by
`svcmon land` and listed, with its Excel row, in the quality report of the period."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from orchestration.cli import app
from tests.conftest import query
from tests.test_reader import write_xlsx

ROWS = [
    ["鹿城区2024年1-6月规上服务业分行业主要指标"],                  # row 1
    ["行业代码", "营业收入_本年累计", "营业收入_上年同期", "备注"],     # row 2
    ["I", 1500, 1200, ""],                                          # row 3
    ["L", 800, 700, ""],                                            # row 4
    ["注：L 为租赁和商务服务业"],                                     # row 5
    ["M", 300, 250, ""],                                            # row 6: looks like data, follows the notes
]


def test_a_row_after_the_notes_is_a_stored_warning_shown_with_its_excel_row(home, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    (home / "inbox" / "stats_services").mkdir(parents=True)
    write_xlsx(home / "inbox" / "stats_services" / "分行业2024年6月.xlsx", ROWS)
    runner = CliRunner()

    landed = runner.invoke(app, ["land"])
    assert landed.exit_code == 0, landed.output
    assert "接收 accepted 1" in landed.output and "警告 warnings 2" in landed.output
    assert "第6行位于注释之后，未作为数据读取" in landed.output

    assert query(home, "SELECT industry_code FROM raw.stats_services ORDER BY _row_number") == [("I",), ("L",)]
    assert query(home, "SELECT file_name, sheet, period, row_number, column_name, cause_zh, cause_en "
                       "FROM raw.file_warnings ORDER BY row_number") == [
        ("分行业2024年6月.xlsx", "Sheet1", "2024-06", 2, "备注",
         "列「备注」（第4列）不属于本表，未读取", "column 备注 (column 4) is not part of this feed and was not read"),
        ("分行业2024年6月.xlsx", "Sheet1", "2024-06", 6, None,
         "第6行位于注释之后，未作为数据读取", "row 6 follows the notes and was not read as data"),
    ]

    reported = runner.invoke(app, ["quality", "--period", "2024-06"])
    assert reported.exit_code == 0, reported.output
    html = (home / "reports" / "quality" / "quality_2024-06.html").read_text(encoding="utf-8")
    section = html[html.index('id="file-warnings"'):]
    assert re.search(r"<td>分行业2024年6月\.xlsx</td><td>Sheet1</td><td class=\"num\">6</td>\s*<td></td>"
                     r"<td>第6行位于注释之后，未作为数据读取<br>", section)
