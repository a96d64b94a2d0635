"""The quality gate end to end: every fault kind of the demo generator, each in its own
month of one pipeline run, gives exactly its check, severity, traced file and Excel row,
and publishes or not; then a revision that fails a blocking check, an override, and a
rebuild of a published version from the archive."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from ingest.registry import get_feed, month_range
from tests.conftest import open_read_only, query, records, run_job, svcmon_home

pytestmark = pytest.mark.slow

FIRST, LAST = "2024-01", "2024-08"
# kind -> (period, failing check, severity, publishes)
FAULTS = {
    "late_feed": ("2024-01", "major_projects.completeness.late", "warn", True),
    "missing_column": ("2024-02", "tax_revenue.completeness.missing", "error", False),
    "subtotal_mismatch": ("2024-03", "stats_services.balance.section_vs_divisions.revenue_ytd", "error", False),
    "ytd_drop": ("2024-04", "stats_services.logic.ytd_decrease.revenue_ytd", "error", False),
    "bad_uscc": ("2024-05", "stats_enterprises.schema.identifier_warn.uscc", "warn", True),
    "yoy_mismatch": ("2024-06", "stats_services.logic.yoy_mismatch.revenue_yoy_pct", "error", False),
    "duplicate_key": ("2024-07", "major_projects.uniqueness.business_key", "error", False),
    "unit_slip": ("2024-08", "stats_enterprises.outlier.unit_slip.revenue_ytd", "warn", True),
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from demo import generate_demo_feeds
    from ingest import landing, settings

    with svcmon_home(tmp_path_factory.mktemp("gate")) as home:
        manifest = generate_demo_feeds(settings.inbox_path(), FIRST, LAST, seed=7,
                                       faults=[f"{kind}@{period}" for kind, (period, *_rest) in FAULTS.items()])
        stated = {f.path: dt.date.fromisoformat(f.submitted_on) for f in manifest.files}
        con = landing.connect()
        landing.land_inbox(con, submitted_on=stated)
        con.close()
        assert run_job("build_job", FIRST, LAST).success
        outcomes = {p: run_job("publish_job", p, p).success for p in month_range(FIRST, LAST)}
        yield home, manifest, outcomes


def _failed(home: Path, period: str) -> dict[str, tuple[str, list[dict]]]:
    rows = query(home, "SELECT check_id, severity, sample_rows FROM quality.check_results "
                        "WHERE period = ? AND status = 'failed'", [period])
    return {check_id: (severity, json.loads(samples or "[]")) for check_id, severity, samples in rows}


@pytest.mark.parametrize("kind", list(FAULTS))
def test_each_fault_gives_its_check_trace_and_publication(pipeline, kind):
    home, manifest, outcomes = pipeline
    period, check_id, severity, publishes = FAULTS[kind]
    [fault] = [f for f in manifest.faults if f.kind == kind]
    failed = _failed(home, period)

    assert check_id in failed
    assert failed[check_id][0] == severity
    errors = {c for c, (sev, _s) in failed.items() if sev == "error"}
    assert errors == ({check_id} if severity == "error" else set())  # nothing else blocks that month
    samples = failed[check_id][1]
    assert Path(fault.file).name in {s["_file_name"] for s in samples} or kind == "missing_column"
    if fault.row is not None:
        assert fault.row in {s["_row_number"] for s in samples}

    assert outcomes[period] is publishes
    published = query(home, "SELECT count(*) FROM published.publication_log WHERE period = ?", [period])
    assert published == [(1 if publishes else 0,)]


def test_missing_column_file_is_rejected_with_the_column_named(pipeline):
    home, manifest, _ = pipeline
    [fault] = [f for f in manifest.faults if f.kind == "missing_column"]
    [(status, reason)] = query(home, "SELECT status, reason FROM raw.file_register WHERE file_name = ?",
                                [Path(fault.file).name])
    assert status == "rejected" and "缺少必填列「税收收入_本年累计」" in reason
    assert query(home, "SELECT count(*) FROM raw.tax_revenue WHERE _period = '2024-02'") == [(0,)]


def _revised_projects_csv(home: Path, path: Path) -> tuple[str, float]:
    """The current 2024-05 project list, re-typed by the 发改局 with one row entered twice and more
    completed on one provincial project: half of what it added by June, at most 1.0 亿元, so the
    revised May stays below June (a May above June would fail June's comparison, charged to this
    newer file). Returns that project's code and the amount added."""
    feed = get_feed("major_projects")
    rows = records(home, """
        SELECT p.* FROM raw.major_projects p
        JOIN raw.vintages v ON v.file_sha256 = p._file_sha256 AND v.period = p._period
        WHERE p._period = '2024-05' AND NOT p._is_total ORDER BY p._row_number""")
    june = {r["project_code"]: r["completed_ytd"] for r in records(home, """
        SELECT project_code, completed_ytd FROM raw.major_projects
        WHERE _period = '2024-06' AND NOT _is_total""")}
    provincial = next(r for r in rows if r["level"] == "省重大"
                      and (june.get(r["project_code"]) or 0) > r["completed_ytd"])
    added = round(min(1.0, (june[provincial["project_code"]] - provincial["completed_ytd"]) / 2), 2)
    assert added > 0
    provincial["completed_ytd"] += added
    repeated = next(r for r in rows if r["level"] == "区重点" and not r["is_qxwy"])
    rows.append(dict(repeated))

    def cell(value):
        if isinstance(value, bool):
            return "是" if value else "否"
        return "" if value is None else str(value)

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.header for c in feed.columns])
        for r in rows:
            writer.writerow([cell(r[c.field]) for c in feed.columns])
    return provincial["project_code"], added


def test_revision_failing_a_blocking_check_keeps_the_published_version_until_an_override(pipeline):
    from expectations import gate
    from ingest import landing

    home, _manifest, _ = pipeline
    before = query(home, "SELECT * FROM published.fct_indicator_progress WHERE period = '2024-05' "
                          "ORDER BY indicator_id")
    revised = home / "inbox" / "major_projects" / "重大项目实施表202405修订.csv"
    _code, added = _revised_projects_csv(home, revised)
    con = landing.connect()
    assert landing.land_file(con, revised, "major_projects").vintage == 2
    con.close()

    assert run_job("build_job", "2024-05", "2024-05").success
    assert not run_job("publish_job", "2024-05", "2024-05").success  # blocked by the duplicate
    assert query(home, "SELECT version FROM published.publication_log WHERE period = '2024-05'") == [(1,)]
    assert query(home, "SELECT * FROM published.fct_indicator_progress WHERE period = '2024-05' "
                        "ORDER BY indicator_id") == before

    con = landing.connect()
    with pytest.raises(ValueError):
        gate.record_signoff(con, "2024-05", "", "", ["major_projects.uniqueness.business_key"])
    gate.record_signoff(con, "2024-05", "张统计", "重复行为填报失误，已电话核实", ["major_projects.uniqueness.business_key"])
    con.close()
    assert run_job("publish_job", "2024-05", "2024-05").success
    [(version, result, override)] = query(
        home, "SELECT version, gate_result, override FROM published.publication_log "
              "WHERE period = '2024-05' AND version = 2")
    assert (version, result) == (2, "overridden")
    assert json.loads(override)["signed_by"] == "张统计"
    # Readers get the check's Chinese name from the record (the id stays for the statisticians).
    assert json.loads(override)["override_checks"] == [{
        "check_id": "major_projects.uniqueness.business_key", "check_name_zh": "同一文件内业务主键重复（project_code）",
        "target": "raw.major_projects"}]
    [(delta,)] = query(home, "SELECT delta FROM published.publication_diff WHERE period = '2024-05' "
                              "AND version = 2 AND table_name = 'fct_indicator_progress' "
                              "AND row_key = 'proj_provincial_completed' AND column_name = 'value'")
    assert delta == pytest.approx(added)


def test_a_published_version_rebuilds_exactly_from_the_archive(pipeline, tmp_path):
    from orchestration.rebuild import rebuild_version

    home = pipeline[0]
    with open_read_only(home) as con:
        comparison = rebuild_version(con, "2024-08", 1, tmp_path / "rebuilt")
    assert comparison.compared_rows > 100
    assert comparison.identical, comparison.differing_marts
