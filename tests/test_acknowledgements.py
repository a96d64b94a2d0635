"""Warnings people can act on, once: a statistician acknowledges the region-code warnings of the
talent list; the same people stay acknowledged in later months, a changed ID number is raised again
for that person only, and the quality report shows who acknowledged what, when and why."""

from __future__ import annotations

import datetime as dt
import re

from stdnum.cn import ric
from typer.testing import CliRunner

from expectations import acknowledgements, gate, quality_report, runner
from ingest import landing
from orchestration.cli import app
from tests.conftest import land_rows

CHECK = "talent_registry.schema.identifier_warn.id_number"
cli = CliRunner()


def id_number(first17: str) -> str:
    """A resident ID number with its MOD 11-2 check character (python-stdnum computes it)."""
    return first17 + ric.calc_check_digit(first17 + "0")


# 330302 (鹿城区) did not exist before the 1980s: people born earlier carry it as a warning.
WANG = id_number("33030219740506123")   # born 1974: warn
LI = id_number("33030219700101123")     # born 1970: warn
LI_CORRECTED = id_number("33030219710202123")  # Li's number as re-typed in March: still a warn, new value
ZHAO = id_number("33030219950101123")   # born 1995: no warning


def person(name: str, number: str) -> dict:
    return {"name": name, "id_number": number, "category": "服务业领军人才", "recognized_month": "2023-06",
            "status": "在库"}


def land_month(con, period: str, people: list[dict], day: int) -> None:
    year, month = int(period[:4]), int(period[5:])
    land_rows(con, "talent_registry", period, people, received_at=dt.datetime(year, month, 28, 9, day),
              file_name=f"人才清单{period}.xlsx")
    runner.run_checks(con, [period])


def open_warning(con, period: str):
    """The region-code warning of the period and how far it is acknowledged."""
    (warning,) = [w for w in gate.evaluate_gate(con, period).warnings if w.check_id == CHECK]
    return warning, acknowledgements.states(con, [warning])[id(warning)]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_acknowledged_people_stay_acknowledged_and_a_changed_id_number_is_raised_again(home):
    con = landing.connect()
    try:
        land_month(con, "2024-01", [person("王一", WANG), person("李二", LI), person("赵三", ZHAO)], 1)
        warning, state = open_warning(con, "2024-01")
        assert (warning.failing_rows, state.acknowledged) == (2, 0)  # Wang and Li, not Zhao
        samples = warning.samples
        assert {s["id_number"] for s in samples} == {"3303************3X", "3303************36"}  # masked
        assert all(WANG not in str(s) and LI not in str(s) for s in samples)  # keys carry no ID number
        warnings_before = len({w.check_id for w in gate.evaluate_gate(con, "2024-01").warnings})
    finally:
        con.close()

    result = cli.invoke(app, ["signoff", "--period", "2024-01", "--by", "张三", "--reason", "出生早于地区码设立",
                              "--acknowledge", CHECK])
    assert result.exit_code == 0, result.output
    assert "已确认 / acknowledged 2 行 rows of " + CHECK in result.output
    # The quality index counts the warnings still to review: one fewer now.
    index = text_of((home / "reports" / "quality" / "quality_index.html").read_text(encoding="utf-8"))
    assert re.search(r"2024-01 \S+ 0 0 (\d+) ", index).group(1) == str(warnings_before - 1)

    con = landing.connect()
    try:
        # February: the same three people; nothing asks for a look.
        land_month(con, "2024-02", [person("王一", WANG), person("李二", LI), person("赵三", ZHAO)], 2)
        warning, state = open_warning(con, "2024-02")
        assert (warning.failing_rows, state.acknowledged, state.fully) == (2, 2, True)
        assert acknowledgements.unacknowledged(con, gate.evaluate_gate(con, "2024-02").warnings) == [
            w for w in gate.evaluate_gate(con, "2024-02").warnings if w.check_id != CHECK]
        report = text_of(quality_report.write_quality_report(con, "2024-02", home / "q").read_text(encoding="utf-8"))
        acknowledged_part = report[report.index("已确认的提示 1 项"):report.index("三、全部审核项")]
        assert "确认：张三" in acknowledged_part and "出生早于地区码设立" in acknowledged_part
        assert "（2024-01）" in acknowledged_part

        # March: Li's number was re-typed: raised again for Li alone.
        land_month(con, "2024-03", [person("王一", WANG), person("李二", LI_CORRECTED), person("赵三", ZHAO)], 3)
        warning, state = open_warning(con, "2024-03")
        assert (warning.failing_rows, state.acknowledged, state.fully) == (2, 1, False)
        li_key = acknowledgements.row_key("talent_registry", [LI_CORRECTED])
        unacknowledged = {k for k, v in acknowledgements.failing_rows(con, warning)} - {
            k for k, _v in acknowledgements.acknowledged_samples(con, warning)}
        assert unacknowledged == {li_key}
        html = quality_report.write_quality_report(con, "2024-03", home / "q").read_text(encoding="utf-8")
        report = text_of(html)
        expanded = report[report.index("二、提示（需复核）"):report.index("三、全部审核项")]
        assert "其中已确认 1 行（未列出）" in expanded
        assert li_key in expanded and acknowledgements.row_key("talent_registry", [WANG]) not in expanded
        assert "3303************30" in expanded and "3303************3X" not in expanded
    finally:
        con.close()


def test_acknowledging_by_key_only_those_rows_and_refusals(home):
    con = landing.connect()
    try:
        land_month(con, "2024-01", [person("王一", WANG), person("李二", LI)], 1)
    finally:
        con.close()
    wang_key = acknowledgements.row_key("talent_registry", [WANG])
    result = cli.invoke(app, ["signoff", "--period", "2024-01", "--by", "张三", "--reason", "已核实",
                              "--acknowledge", CHECK, "--key", wang_key])
    assert result.exit_code == 0, result.output
    assert "acknowledged 1 行 rows" in result.output

    refused = cli.invoke(app, ["signoff", "--period", "2024-01", "--by", "张三", "--reason", "已核实",
                               "--acknowledge", CHECK, "--key", "0123456789abcdef"])
    assert refused.exit_code == 2
    assert "没有这些行键：0123456789abcdef" in refused.output
    refused = cli.invoke(app, ["signoff", "--period", "2024-01", "--by", "张三", "--reason", "已核实",
                               "--acknowledge", "talent_registry.schema.required.name"])
    assert refused.exit_code == 2 and "不是2024-01当前未通过的提示" in refused.output

    con = landing.connect()
    try:
        warning, state = open_warning(con, "2024-01")
        assert (state.failing, state.acknowledged) == (2, 1)
        listed = acknowledgements.list_acknowledgements(con)
    finally:
        con.close()
    assert [(a.period, a.check_id, a.row_key, a.acknowledged_by, a.reason) for a in listed] == [
        ("2024-01", CHECK, wang_key, "张三", "已核实")]
