"""Read-only queries behind `svcmon status` and the run summary."""

from __future__ import annotations

from pathlib import Path

from expectations import acknowledgements
from expectations.completeness import completeness_rows
from expectations.gate import evaluate_gate
from ingest import settings
from ingest.warehouse import Warehouse


def known_periods(con: Warehouse) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT period FROM raw.file_register WHERE period IS NOT NULL ORDER BY 1").fetchall()]


def _latest_publications(con: Warehouse) -> dict[str, tuple[int, str]]:
    """period → (latest version, its gate result)."""
    if not con.table_exists("published", "publication_log"):
        return {}
    rows = con.execute("""
        SELECT log.period, log.version, log.gate_result
        FROM published.publication_log AS log
        JOIN (SELECT period, max(version) AS version FROM published.publication_log GROUP BY period) AS latest
          ON log.period = latest.period AND log.version = latest.version""").fetchall()
    return {period: (version, result) for period, version, result in rows}


def _failed_checks(con: Warehouse, periods: list[str]) -> dict[str, tuple[int, int]]:
    """period → (errors, warnings): the failing checks the gate counts for the period (its
    `latest_results`: the period's own checks and those of every file it reads; files not yet
    checked count as errors, as they block)."""
    from expectations.gate import evaluate_gate

    if not periods or not con.table_exists("quality", "check_results"):
        return {}
    counts = {}
    for period in periods:
        verdict = evaluate_gate(con, period)
        counts[period] = (len(verdict.blocking), len(verdict.warnings))
    return counts


def _department_file(row: dict) -> str:
    return f"{row['dept_name']}（{row['feed_name_zh']}）"


def _arrival(row: dict) -> str:
    """When a late file was received (landed) and, beside it, the 填报日期 it states."""
    text = f"{_department_file(row)} 落地 received {row['submitted_on']}"
    if row.get("claimed_on") and row["claimed_on"] != row["submitted_on"]:
        text += f"，文件填报日期 claimed {row['claimed_on']}"
    return text


def status_rows(con: Warehouse, periods: list[str]) -> list[dict]:
    """Per period: files received, late and missing with the departments concerned (the completeness
    model, as the quality report shows them), rejected files, failing checks (warnings: those not
    acknowledged), the publication."""
    completeness = completeness_rows(con, periods)
    rejected = dict(con.execute(
        "SELECT period, count(*) FROM raw.file_register WHERE status = 'rejected' AND period IS NOT NULL "
        "GROUP BY period").fetchall())
    checks = _failed_checks(con, periods)
    published = _latest_publications(con)
    rows = []
    for period in periods:
        files = [r for r in completeness if r["period"] == period]
        late = [_department_file(r) for r in files if r["state"] == "late"]
        missing = [_department_file(r) for r in files if r["state"] == "missing"]
        errors, warns = checks.get(period, (0, 0))
        if warns:  # warnings whose every failing row is acknowledged ask for nothing more
            warns = len(acknowledgements.unacknowledged(con, evaluate_gate(con, period).warnings))
        version, result = published.get(period, (None, None))
        rows.append({"period": period, "received": sum(r["state"] in ("on_time", "late") for r in files),
                     "late": len(late), "missing": len(missing), "late_departments": late,
                     "missing_departments": missing, "late_arrivals": [_arrival(r) for r in files if r["state"] == "late"],
                     "rejected": rejected.get(period, 0), "errors": errors,
                     "warnings": warns,
                     "published": f"v{version} ({'签字放行' if result == 'overridden' else '通过'})" if version else None,
                     "as_of": files[0]["as_of_date"] if files else None})
    return rows


def period_summary(con: Warehouse, periods: list[str]) -> list[dict]:
    """Lights, gate result and version per period, from the latest published version."""
    lights: dict[str, dict[str, int]] = {}
    versions = _latest_publications(con)
    if versions:
        for period, light, n in con.execute("""
            SELECT p.period, p.light, count(*) FROM published.fct_indicator_progress p
            JOIN (SELECT period, max(version) AS version FROM published.publication_log GROUP BY period) v
              ON p.period = v.period AND p.publication_version = v.version
            GROUP BY p.period, p.light""").fetchall():
            lights.setdefault(period, {})[light] = n
    quality_dir = settings.reports_path() / "quality"
    out = []
    for period in periods:
        counts = lights.get(period, {})
        version, result = versions.get(period, (None, None))
        report = quality_dir / f"quality_{period}.html"
        out.append({"period": period, "green": counts.get("绿", 0), "yellow": counts.get("黄", 0),
                    "red": counts.get("红", 0), "none": counts.get("—", 0), "version": version,
                    "gate_result": result, "quality_report": str(report) if Path(report).exists() else None})
    return out
