"""The publication gate and the statisticians' sign-offs.

A period publishes when every blocking check of the period passes or is overridden. Blocking =
an error-severity check that failed in its latest run on a vintage of the period's read set (the
current vintage of every scope the period's numbers read, `expectations.read_set`: its own files,
and e.g. the quarter it carries forward or last year's December), or a model/completeness check of
the period (no vintage) that failed in its latest run. An error in a file therefore blocks every
period that reads it (FEEDS.md). A vintage nobody has checked yet blocks too: unchecked data never
publishes. Warnings never block. Rejected files are not vintages, so they never block.

`latest_results` is the one home of "the results that count for a period": the gate, `svcmon
status` and the quality report read it.

An override names check ids. It covers the failures of model/completeness checks, and of the
vintages received before the sign-off: a revision that arrives later and fails again is new data
and needs a new look.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from expectations.read_set import live_read_set
from expectations.runner import check_periods
from expectations.store import COLUMNS, CheckResult, ensure_quality_schema, rows_as_results, samples_json
from ingest import clock
from ingest.warehouse import Warehouse

GATE_STATUS_ZH = {"passed": "通过", "overridden": "已签字放行", "failed": "未通过"}


@dataclass
class Signoff:
    signed_at: dt.datetime
    period: str
    signed_by: str
    reason: str
    overrides: list[str]


@dataclass
class GateResult:
    period: str
    passed: bool
    blocking: list[CheckResult]  # every failing blocking check, overridden or not
    overridden: list[str]  # check ids among `blocking` covered by a sign-off override
    warnings: list[CheckResult]
    signoffs: list[Signoff] = field(default_factory=list)

    @property
    def status(self) -> str:
        """'passed' | 'overridden' | 'failed' (publication_log.gate_result uses the first two)."""
        if not self.passed:
            return "failed"
        return "overridden" if self.blocking else "passed"

    @property
    def status_zh(self) -> str:
        return GATE_STATUS_ZH[self.status]

    @property
    def failing_check_ids(self) -> list[str]:
        return sorted({r.check_id for r in self.blocking})

    @property
    def open_check_ids(self) -> list[str]:
        """Blocking checks not covered by an override: what stops publication."""
        return sorted({r.check_id for r in self.blocking} - set(self.overridden))


def read_set_vintages(con: Warehouse, period: str) -> list[tuple]:
    """(feed_id, scope, file_sha256, input period, received_at) of every vintage the period reads."""
    vintages = live_read_set(con, period)
    if not vintages:
        return []
    received = dict(con.execute(
        "SELECT file_sha256, max(received_at) FROM raw.vintages GROUP BY file_sha256").fetchall())
    return [(v["feed_id"], v["scope"], v["file_sha256"], v["period"], received.get(v["file_sha256"]))
            for v in vintages]


_RESULT_COLUMNS = ", ".join(COLUMNS)


def latest_results(con: Warehouse, period: str, files: set[str] | None = None) -> list[CheckResult]:
    """The latest result of every check that counts for `period`: per file, of each file in `files`
    (default: the period's read set) whatever period the file is of; per period (model, dbt and
    completeness checks), of the period itself."""
    ensure_quality_schema(con)
    if files is None:
        files = {sha for _f, _s, sha, _p, _r in read_set_vintages(con, period)}
    results = rows_as_results(con.execute(
        f"""
        SELECT {_RESULT_COLUMNS} FROM (
            SELECT {_RESULT_COLUMNS},
                   row_number() OVER (PARTITION BY check_id, target
                                      ORDER BY checked_at DESC, run_id DESC) AS recency
            FROM quality.check_results
            WHERE period = ? AND file_sha256 IS NULL
        ) AS ranked
        WHERE recency = 1""", [period]).fetchall())
    if files:
        marks = ", ".join("?" for _ in files)
        results += rows_as_results(con.execute(
            f"""
            SELECT {_RESULT_COLUMNS} FROM (
                SELECT {_RESULT_COLUMNS},
                       row_number() OVER (PARTITION BY check_id, file_sha256
                                          ORDER BY checked_at DESC, run_id DESC) AS recency
                FROM quality.check_results
                WHERE file_sha256 IN ({marks})
            ) AS ranked
            WHERE recency = 1""", sorted(files)).fetchall())
    return results


def period_results(con: Warehouse, period: str) -> list[CheckResult]:
    """The latest result of every check that counts for the period (passed or failed): those of the
    period itself and of every file of its read set. What the quality report lists."""
    (period,) = check_periods([period])
    return latest_results(con, period)


def signoffs(con: Warehouse, period: str) -> list[Signoff]:
    ensure_quality_schema(con)
    rows = con.execute(
        "SELECT signed_at, period, signed_by, reason, overrides FROM quality.signoffs WHERE period = ? "
        "ORDER BY signed_at",
        [period],
    ).fetchall()
    return [Signoff(a, p, b, r, json.loads(o or "[]")) for a, p, b, r, o in rows]


def evaluate_gate(con: Warehouse, period: str) -> GateResult:
    (period,) = check_periods([period])
    ensure_quality_schema(con)
    vintages = read_set_vintages(con, period)
    received = {sha: received_at for _feed, _scope, sha, _p, received_at in vintages}
    results = latest_results(con, period, set(received))

    checked_files = {r.file_sha256 for r in results if r.file_sha256}
    unchecked = [
        CheckResult(run_id="", checked_at=received_at, period=input_period, target=f"raw.{feed_id}",
                    check_id=f"{feed_id}.gate.unchecked", check_name_zh="新到文件尚未经过数据质量审核",
                    check_name_en="a newly landed file has not been checked yet", severity="error",
                    status="failed", failing_rows=0, sample_rows=samples_json([]), file_sha256=sha, source="gx")
        for feed_id, _scope, sha, input_period, received_at in vintages if sha not in checked_files
    ]
    failed = [r for r in results if r.failed] + unchecked
    blocking = [r for r in failed if r.severity == "error"]
    warnings = [r for r in failed if r.severity != "error"]

    signed = signoffs(con, period)
    overridden = set()
    for result in blocking:
        for signoff in signed:
            if result.check_id not in signoff.overrides:
                continue
            if result.file_sha256 is None or received.get(result.file_sha256, dt.datetime.max) <= signoff.signed_at:
                overridden.add((result.check_id, result.file_sha256))
    passed = all((r.check_id, r.file_sha256) in overridden for r in blocking)
    return GateResult(
        period=period,
        passed=passed,
        blocking=sorted(blocking, key=lambda r: (r.check_id, r.file_sha256 or "")),
        overridden=sorted({check_id for check_id, _sha in overridden}),
        warnings=sorted(warnings, key=lambda r: (r.check_id, r.file_sha256 or "")),
        signoffs=signed,
    )


def record_signoff(con: Warehouse, period: str, signed_by: str, reason: str,
                   overrides: list[str] | None = None) -> None:
    """Record a statistician's sign-off: a review (no overrides) or overrides of failing error checks."""
    (period,) = check_periods([period])
    if not (signed_by or "").strip():
        raise ValueError("签字须写明签字人姓名 / a sign-off needs the name of the person signing")
    if not (reason or "").strip():
        raise ValueError("签字须写明理由 / a sign-off needs a reason")
    overrides = list(dict.fromkeys(o.strip() for o in (overrides or []) if o and o.strip()))
    failing = evaluate_gate(con, period).failing_check_ids
    unknown = [o for o in overrides if o not in failing]
    if unknown:
        listed = "、".join(failing) if failing else "无 / none"
        raise ValueError(
            f"只能对{period}当前未通过的错误级审核签字放行，以下不在其中：{'、'.join(unknown)}；当前未通过：{listed} / "
            f"an override must name a currently failing error check of {period}; not failing: "
            f"{', '.join(unknown)}; failing now: {', '.join(failing) or 'none'}"
        )
    con.execute(
        "INSERT INTO quality.signoffs VALUES (?, ?, ?, ?, ?)",
        [clock.now(), period, signed_by.strip(), reason.strip(), json.dumps(overrides, ensure_ascii=False)],
    )
