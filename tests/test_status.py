"""`svcmon status`, the quality report and the completeness checks read one completeness model,
so they name the same late and missing departments: files written by hand, landed for real,
judged by dbt at a fixed as-of date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from expectations.quality_report import report_data
from expectations.runner import run_checks
from ingest import landing
from orchestration import status
from orchestration.cli import app
from tests.dbt_fixtures import run_dbt

PERIOD = "2024-03"
# Department feeds of March are due on 2024-04-05; the statistics bureau's on 04-20, not yet.
AS_OF = "2024-04-10"

# Every department that owes 重点任务进度 (the owners of its indicators in ref_indicators), one
# indicator each.
TASK_DEPARTMENTS = {
    "区交通运输局": "wharf_phase1_started", "区人力社保局": "hr_services_revenue",
    "区卫生健康局": "smart_health_stations", "区发改局": "consumption_scenes", "区司法局": "law_firm_branches",
    "区商务局": "cbec_parks", "区委宣传部": "creative_firms_above_scale", "区市场监管局": "pinzi_brand_firms",
    "区投资促进服务中心": "digital_projects_100m", "区教育局": "community_edu_brands",
    "区文化和广电旅游体育局": "sports_tourism_bases", "区科技局": "new_rnd_institutes", "区经信局": "digital_parks",
    "区财政局": "services_budget", "区金融办": "deposit_loan_increase",
}
ON_TIME, AFTER_DUE = dt.date(2024, 4, 3), dt.date(2024, 4, 8)

# (feed folder, file name, CSV text, submission date). 培训台账 is owed by 区人力社保局 and 区教育局:
# the first sends late (as 区人社局, an alias), the second sends nothing. 区商务局 revises its
# task progress after the due date: lateness is judged on the first file, so that is not late.
FILES = [
    ("tax_revenue", "分行业税收收入2024年3月.csv", "行业代码,税收收入_本年累计\n合计,100\n", ON_TIME),
    ("major_projects", "重大项目实施表2024年3月.csv",
     "项目代码,项目名称,项目类型,项目级别,总投资,本年累计完成投资,责任单位\n"
     "2024-330302-72-01-000001,项目甲,生活美好型,区重点,20,1.5,区发改局\n", ON_TIME),
    ("innovation_zones", "创新发展区2024年3月.csv", "发展区名称,级别,状态\n五马创新发展区,市级,培育\n", ON_TIME),
    ("enterprise_cultivation", "培育清单2024年3月.csv",
     "统一社会信用代码,企业名称,培育层级,所属产业,纳入时间,状态\n91330302MA2AAAAA0X,甲公司,领跑企业,现代商贸,2023-06,在库\n",
     ON_TIME),
    ("talent_registry", "人才清单2024年3月.csv",
     "姓名,公民身份号码,人才类别,认定时间\n张三,11010519491231002X,服务业领军人才,2023-05\n", ON_TIME),
    ("supervision_items", "督导销号表2024年3月.csv",
     "问题编号,责任单位,问题描述,提出日期,整改期限\nDB-2024-001,区发改局,停车难,2024-01-10,2024-06-30\n", ON_TIME),
    ("dept_task_progress", "重点任务进度2024年3月.csv",
     "指标代码,本年累计值,填报单位\n" + "".join(f"{i},1,{d}\n" for d, i in TASK_DEPARTMENTS.items()), ON_TIME),
    ("dept_task_progress", "重点任务进度2024年3月（商务局修订）.csv", "指标代码,本年累计值,填报单位\ncbec_parks,2,区商务局\n",
     dt.date(2024, 4, 9)),
    ("training_records", "培训台账2024年3月（人社局）.csv", "培训项目,本年累计人次,填报单位\n金蓝领,3000,区人社局\n",
     AFTER_DUE),
]
LATE = ["区人力社保局（培训台账）"]
MISSING = ["区教育局（培训台账）"]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("status") / "home"
    warehouse = home / "warehouse.duckdb"
    con = landing.connect(warehouse)
    try:
        for feed_id, name, text, submitted in FILES:
            path = home / "inbox" / feed_id / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            landed = landing.land_file(con, path, feed_id, archive_root=home / "archive", submitted_on=submitted)
            assert landed.status == "accepted", (name, landed.reason)
    finally:
        con.close()
    run_dbt(warehouse, "build", "--select", "+fct_feed_completeness", "ref_departments",
            "--indirect-selection", "cautious", vars={"as_of_date": AS_OF})
    return home


def test_status_and_quality_report_name_the_same_late_and_missing_departments(home):
    con = landing.connect(home / "warehouse.duckdb")
    try:
        (row,) = status.status_rows(con, [PERIOD])
        report = report_data(con, PERIOD)
        checks = {r.check_id: r for r in run_checks(con, [PERIOD])}
    finally:
        con.close()

    # 6 single-owner department files + 15 departments' task progress + 区人力社保局's training.
    assert (row["received"], row["late"], row["missing"], row["as_of"]) == (22, 1, 1, dt.date(2024, 4, 10))
    assert (row["late_departments"], row["missing_departments"]) == (LATE, MISSING)

    def named(state_zh: str) -> list[str]:
        return [f"{r.department}（{r.feed_name}）" for r in report.completeness if r.status == state_zh]

    assert (named("迟报"), named("未报送")) == (LATE, MISSING)
    assert report.completeness_as_of == dt.date(2024, 4, 10)
    commerce = next(r for r in report.completeness if r.department == "区商务局" and r.feed_name == "重点任务进度")
    assert (commerce.file_name, commerce.submitted_on, commerce.status) == (
        "重点任务进度2024年3月.csv", ON_TIME, "按时")
    # The statistics bureau's files are due on 04-20: not yet missing.
    assert {r.status for r in report.completeness if r.department == "区统计局"} == {"未到截止日"}

    # The checks record the same departments (warnings: nothing here blocks by itself).
    late = checks["training_records.completeness.late"]
    silent = checks["training_records.completeness.department_missing"]
    assert [s["department"] for s in late.samples] == ["区人力社保局"]
    assert [s["department"] for s in silent.samples] == ["区教育局"]
    assert (late.severity, silent.severity) == ("warn", "warn")
    assert checks["dept_task_progress.completeness.late"].status == "passed"


def test_status_command_prints_the_late_and_missing_departments(home, monkeypatch):
    monkeypatch.setenv("SVCMON_HOME", str(home))
    monkeypatch.delenv("SVCMON_INBOX", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["status", "--period", PERIOD])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("│ 2024-03"))
    assert [cell.strip() for cell in row.split("│")[2:5]] == ["22", "1", "1"]
    assert "报送情况按 2024-04-10 判断" in result.output
    assert f"{PERIOD} 迟报 late: 区人力社保局（培训台账）" in result.output
    assert f"{PERIOD} 缺报 missing: 区教育局（培训台账）" in result.output
