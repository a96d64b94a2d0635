"""Read-only queries behind `svcmon status` and the run summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest import settings
from ingest.registry import FEEDS
from ingest.warehouse import Warehouse


def known_periods(con: Warehouse) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT period FROM raw.file_register WHERE period IS NOT NULL ORDER BY 1").fetchall()]


def status_rows(con: Warehouse, periods: list[str], today: dt.date | None = None) -> list[dict]:
    today = today or dt.date.today()
    accepted = {}
    for feed_id, period, submitted in con.execute(
            "SELECT feed_id, period, min(submitted_on) FROM raw.file_register WHERE status = 'accepted' "
            "GROUP BY ALL").fetchall():
        accepted[(feed_id, period)] = submitted
    rejected = dict(con.execute(
        "SELECT period, count(*) FROM raw.file_register WHERE status = 'rejected' AND period IS NOT NULL "
        "GROUP BY ALL").fetchall())
    checks: dict[str, tuple[int, int]] = {}
    if con.table_exists("quality", "check_results"):
        for period, errors, warns in con.execute("""
            WITH latest AS (
                SELECT * FROM quality.check_results
                QUALIFY row_number() OVER (PARTITION BY period, check_id, coalesce(file_sha256, '')
                                           ORDER BY checked_at DESC) = 1)
            SELECT period, count(*) FILTER (severity = 'error' AND status = 'failed'),
                   count(*) FILTER (severity = 'warn' AND status = 'failed')
            FROM latest GROUP BY ALL""").fetchall():
            checks[period] = (errors, warns)
    published = {}
    if con.table_exists("published", "publication_log"):
        for period, version, result in con.execute(
                "SELECT period, max(version), arg_max(gate_result, version) FROM published.publication_log "
                "GROUP BY ALL").fetchall():
            published[period] = f"v{version} ({'签字放行' if result == 'overridden' else '通过'})"
    rows = []
    for period in periods:
        received = late = missing = 0
        for feed in FEEDS.values():
            if feed.multi_department or not feed.is_due_month(int(period[5:])):
                continue
            due = feed.due_date(period)
            submitted = accepted.get((feed.feed_id, period))
            if submitted is None:
                missing += today > due
            else:
                received += 1
                late += submitted > due
        errors, warns = checks.get(period, (0, 0))
        rows.append({"period": period, "received": received, "late": late, "missing": missing,
                     "rejected": rejected.get(period, 0), "errors": errors, "warnings": warns,
                     "published": published.get(period)})
    return rows


def period_summary(con: Warehouse, periods: list[str]) -> list[dict]:
    """Lights, gate result and version per period, from the latest published version."""
    lights: dict[str, dict[str, int]] = {}
    versions: dict[str, tuple[int, str]] = {}
    if con.table_exists("published", "publication_log"):
        for period, version, result in con.execute(
                "SELECT period, max(version), arg_max(gate_result, version) FROM published.publication_log "
                "GROUP BY ALL").fetchall():
            versions[period] = (version, result)
        for period, light, n in con.execute("""
            SELECT p.period, p.light, count(*) FROM published.fct_indicator_progress p
            JOIN (SELECT period, max(version) AS version FROM published.publication_log GROUP BY ALL) v
              ON p.period = v.period AND p.publication_version = v.version
            GROUP BY ALL""").fetchall():
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
