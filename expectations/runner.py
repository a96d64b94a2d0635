"""Run the checks on the raw vintages of some periods and land the outcome in `quality.check_results`.

A check runs on each current vintage (the latest file of each scope, `raw.current_vintages`) of
the periods asked for, and writes one row per (check, vintage): passed or failed, with up to 20
failing rows traced to file, sheet and Excel row. Completeness checks are per (feed, period), from the completeness model (dbt) as it
judged at its as-of date; mart and dbt checks per period. A check comparing two periods looks at
every pair a checked period is part of (as the later or the earlier side) and is charged to the
newer file of the pair, so checking a revised May also judges June against it.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
import uuid
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations import acknowledgements
from expectations.checks import (
    LINEAGE_SHOWN,
    MART_COLUMNS,
    MART_TARGET,
    CheckDef,
    FeedFrames,
    completeness_checks,
    feed_suite,
    mart_suite,
    match_key,
)
from expectations.completeness import completeness_rows
from expectations.store import (
    MAX_SAMPLE_ROWS,
    CheckResult,
    ensure_quality_schema,
    insert_results,
    samples_json,
)
from ingest import clock, faults
from ingest.periods import validate_period
from ingest.registry import FEEDS, Feed
from ingest.warehouse import Warehouse

if TYPE_CHECKING:
    import pandas as pd


def check_periods(periods: list[str]) -> list[str]:
    """The periods, each validated (ingest.periods.validate_period), sorted and distinct."""
    return sorted({validate_period(p) for p in periods})


# --- GX: one ephemeral context per process, one suite per feed ---------------------------

class GxEngine:
    """An ephemeral GX context with one pandas whole-dataframe batch definition, reused for every suite."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = self.context.data_sources.add_pandas("svcmon").add_dataframe_asset("frame")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        self._suites: dict[str, Any] = {}

    def suite(self, name: str, checks: list[CheckDef]) -> Any:
        if name not in self._suites:
            suite = self._gx.ExpectationSuite(name=name)
            for check in checks:
                expectation = check.expectation()
                expectation.meta = {"check_id": check.check_id}
                suite.add_expectation(expectation)
            self._suites[name] = suite
        return self._suites[name]

    def failing_row_ids(self, suite_name: str, checks: list[CheckDef], frame: pd.DataFrame) -> dict[str, list[int]]:
        """check_id → `_rid` of the failing rows (or, for a table-level expectation, the missing values)."""
        gx_checks = [c for c in checks if c.engine == "gx"]
        if not gx_checks or frame.empty:
            return {c.check_id: [] for c in gx_checks}
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        outcome = batch.validate(
            self.suite(suite_name, gx_checks),
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["_rid"],
                           "return_unexpected_index_query": False},
        )
        failing: dict[str, list[int]] = {}
        for result in outcome.results:
            check_id = result.expectation_config.meta["check_id"]
            if result.exception_info and result.exception_info.get("raised_exception"):
                raise RuntimeError(f"GX could not evaluate {check_id}: {result.exception_info['exception_message']}")
            if "missing_count" in result.result and "unexpected_index_list" not in result.result:
                # Table-level (distinct values contain set): GX judges and counts, but lists only the
                # first few missing values; name them all.
                config = result.expectation_config.kwargs
                missing = sorted(set(config["value_set"]) - set(frame[config["column"]].dropna()))
                if len(missing) != result.result["missing_count"]:
                    raise RuntimeError(f"{check_id}: GX counted {result.result['missing_count']} missing, "
                                       f"found {len(missing)}")
                failing[check_id] = [] if result.success else missing
                continue
            failing[check_id] = [int(item["_rid"]) for item in result.result.get("unexpected_index_list") or []]
        return failing


@functools.cache
def gx_engine() -> GxEngine:
    return GxEngine()


# --- loading ---------------------------------------------------------------------------

def current_vintages(con: Warehouse, feed_id: str) -> pd.DataFrame:
    """The current vintage of every (period, scope) of the feed (landing's `raw.current_vintages`),
    by period and scope: results and the quality report list files in this order on every run."""
    return con.execute(
        "SELECT feed_id, period, scope, file_sha256, vintage, received_at FROM raw.current_vintages "
        "WHERE feed_id = ? ORDER BY period, scope, file_sha256",
        [feed_id],
    ).df()


def load_current_rows(con: Warehouse, feed: Feed) -> pd.DataFrame:
    """Rows of every current vintage of the feed (the latest file of each (period, scope)), with the
    time their file arrived (`_received_at`: which of two compared files is the newer)."""
    frame = con.execute(
        f"""
        SELECT r.*, c.received_at AS _received_at FROM raw.{feed.feed_id} r
        JOIN raw.current_vintages c
          ON c.feed_id = ? AND r._file_sha256 = c.file_sha256 AND r._period = c.period AND r._scope = c.scope
        ORDER BY r._period, r._file_sha256, r._row_number
        """,
        [feed.feed_id],
    ).df()
    frame["_is_total"] = frame["_is_total"].fillna(False).astype(bool)
    if feed.hierarchical and len(frame):
        # A 合计 row whose code cell holds nothing is still the total row.
        frame.loc[frame["_is_total"] & frame["industry_code"].isna(), "industry_code"] = "合计"
    return frame.reset_index(drop=True)


def mask_personal(value: Any) -> Any:
    """Personal data never leaves `raw` whole (ARCHITECTURE.md): keep enough to recognise, not to identify.

    `330302199001011234` → `3303************34`, `张三` → `张*`; the Excel row locates the record.
    """
    if not isinstance(value, str) or not value:
        return value
    if len(value) > 6:
        return value[:4] + "*" * (len(value) - 6) + value[-2:]
    return value[0] + "*" * (len(value) - 1)


# Personal data by its look, in whatever column it was typed (an ID number in 工作单位统一社会信用代码):
# an 18-digit resident ID number (or a 15-digit old one) with a plausible birth date, a mobile number.
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]"
    r"|[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")


def mask_text(value: Any, personal_values: frozenset[str] = frozenset()) -> Any:
    """`value` with whatever looks like a resident ID number or a mobile number masked, and any
    value of a personal-data column of the rows (`personal_values`, e.g. a name) masked wherever
    it appears. A number typed for a phone (13812345678.0) is masked as its digits."""
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e9:
        digits = str(int(value))
        return mask_text(digits, personal_values) if (_ID_NUMBER.fullmatch(digits) or _PHONE.fullmatch(digits)) \
            else value
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**9:
        return mask_text(float(value), personal_values)
    if not isinstance(value, str) or not value:
        return value
    text = _ID_NUMBER.sub(lambda m: mask_personal(m.group()), value)
    text = _PHONE.sub(lambda m: mask_personal(m.group()), text)
    if personal_values:
        for personal in _PersonalValues.of(personal_values).found_in(text):
            if personal in text:
                text = text.replace(personal, mask_personal(personal))
    return text


class _PersonalValues:
    """The values to mask, indexed by their first two characters: a cell costs what its own text
    does, not what the run's thousands of names do (each sample of a run is masked against the
    names of all the run's months; a scan of them per cell grew with the square of the months).

    `found_in` gives the values in the text, longest first (a name inside a longer one is masked
    with it). Masking keeps only a value's first characters (and last two) beside its `*`s, so a
    value without `*` that is in the text after another was masked was in it before."""

    def __init__(self, values: frozenset[str]) -> None:
        ordered = sorted((v for v in values if v), key=len, reverse=True)
        self._rank = {v: i for i, v in enumerate(ordered)}
        self._by_prefix: dict[str, list[str]] = {}
        for value in ordered:
            self._by_prefix.setdefault(value[:2], []).append(value)
        self._starred = [v for v in ordered if "*" in v]

    @staticmethod
    @functools.lru_cache(maxsize=16)
    def of(values: frozenset[str]) -> _PersonalValues:  # one index for all the cells of a feed's samples
        return _PersonalValues(values)

    def found_in(self, text: str) -> list[str]:
        found = {v for i in range(len(text)) for prefix in (text[i], text[i:i + 2])
                 for v in self._by_prefix.get(prefix, ()) if text.startswith(v, i)}
        return sorted(found.union(self._starred), key=self._rank.__getitem__)


def _sample(row: dict[str, Any], show: tuple[str, ...], personal: frozenset[str] = frozenset(),
            personal_values: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The sample of a failing row: personal-data columns masked whole, every other value masked
    where it looks like personal data (`mask_text`)."""
    return {k: mask_personal(row.get(k)) if k in personal else mask_text(row.get(k), personal_values)
            for k in (*LINEAGE_SHOWN, *show)}


def _row_identity(feed: Feed, row: dict[str, Any], show: tuple[str, ...]) -> tuple[str, str]:
    """(row_key, value_hash) of a failing row: its business key and the values the check judged
    (lineage columns, which change with every file, left out), keyed-hashed: no personal data."""
    key = acknowledgements.row_key(feed.feed_id, [row.get(k) for k in match_key(feed)])
    return key, acknowledgements.value_hash([row.get(c) for c in show if not c.startswith("_")])


# --- per-feed checks -------------------------------------------------------------------

# Rows of checked vintages per batch of months: a feed's months are checked in batches of about
# this many rows, so a 60,000-enterprise list is not copied and validated 24 months at a time.
CHECK_BATCH_ROWS = 200_000


def _period_batches(history: Any, periods: list[str]) -> list[list[str]]:
    """`periods` cut into consecutive batches of at most CHECK_BATCH_ROWS rows (one month may exceed it)."""
    counts = history["_period"].value_counts().to_dict()
    batches: list[list[str]] = []
    rows = 0
    for period in sorted(periods):
        n = int(counts.get(period, 0))
        if not batches or (rows + n > CHECK_BATCH_ROWS and batches[-1]):
            batches.append([])
            rows = 0
        batches[-1].append(period)
        rows += n
    return batches


def _feed_results(con: Warehouse, feed: Feed, periods: list[str], history_of: Callable[[str], Any],
                  make: Callable[..., CheckResult]) -> list[CheckResult]:
    """Every check of `feed` on its current vintages of `periods`: one result per (check, file).

    Every check judges rows of one file (a comparison of two months is charged to one of the
    two files), so the months are checked in batches (`CHECK_BATCH_ROWS`) with the same results."""
    vintages = current_vintages(con, feed.feed_id)
    vintages = vintages[vintages["period"].isin(periods)]
    if vintages.empty:
        return []
    history = history_of(feed.feed_id)
    suite = feed_suite(feed)
    personal = frozenset(c.field for c in feed.columns if c.pii)
    # Names (and IDs, phones) of the personal columns, masked wherever else they were typed, in
    # any month of the run.
    personal_values: frozenset[str] = frozenset()
    if personal:
        shown = FeedFrames(feed=feed, checked=history[history["_period"].isin(periods)], history=history,
                           other_history=history_of).data()
        personal_values = frozenset(str(v).strip() for f in personal if f in shown.columns
                                    for v in shown[f].dropna().unique() if len(str(v).strip()) >= 2)
    charged_files = vintages[["file_sha256", "period"]].drop_duplicates()
    by_check: dict[str, dict[str, CheckResult]] = {check.check_id: {} for check in suite}
    for batch in _period_batches(history, periods):
        checked = history[history["_period"].isin(batch)].reset_index(drop=True)
        frames = FeedFrames(feed=feed, checked=checked, history=history, other_history=history_of)
        data = frames.data().reset_index(drop=True)
        data = data.assign(_rid=range(len(data)))
        gx_failing = gx_engine().failing_row_ids(f"raw.{feed.feed_id}", suite, data)
        batch_files = charged_files[charged_files["period"].isin(batch)]
        for check in suite:
            if check.engine == "gx":
                failing = data[data["_rid"].isin(gx_failing[check.check_id])]
            else:
                failing = check.evaluate(frames)
            # A check comparing two periods names the newer file of each pair (`_charged_sha256`).
            charge = "_charged_sha256" if "_charged_sha256" in failing.columns else "_file_sha256"
            by_file = {sha: group for sha, group in failing.groupby(charge)} if len(failing) else {}
            for sha, period in batch_files.itertuples(index=False):
                records = [] if (rows := by_file.get(sha)) is None else rows.to_dict("records")
                identities = [_row_identity(feed, r, check.show) for r in records]
                # Every failing row is keyed (acknowledgements match them); only the rows kept as
                # samples are masked.
                samples = [{**_sample(r, check.show, personal, personal_values), "_key": key, "_value": value}
                           for r, (key, value) in zip(records[:MAX_SAMPLE_ROWS], identities[:MAX_SAMPLE_ROWS], strict=True)]
                result = make(period=period, target=check.target, check=check, failing=len(records),
                              samples=samples, file_sha256=sha, source="gx")
                result.failing_keys = identities
                by_check[check.check_id][sha] = result
    # In the order of one batch: check by check, file by file.
    return [by_check[check.check_id][sha] for check in suite
            for sha in charged_files["file_sha256"] if sha in by_check[check.check_id]]


# --- completeness ------------------------------------------------------------------------

def _completeness_result(make: Callable[..., CheckResult], period: str, feed: Feed, check: Any, severity: str,
                         failing: list[dict[str, Any]]) -> CheckResult:
    samples = [{"_file_name": r["file_name"], "_sheet": None, "_row_number": None, "department": r["dept_name"],
                "due_date": r["due_date"], "submitted_on": r["submitted_on"]} for r in failing]
    return make(period=period, target=f"raw.{feed.feed_id}", check=check, severity=severity, failing=len(samples),
                samples=samples, file_sha256=None, source="completeness")


def _completeness_results(rows: list[dict[str, Any]], make: Callable[..., CheckResult]) -> list[CheckResult]:
    """The completeness checks of each (feed, period) the model judged once the month had ended:
    late first files (warn); for a single-owner feed its file missing (warn before the due date,
    error after); for a multi-department feed each owing department that sent nothing (warn)."""
    results: list[CheckResult] = []
    for (period, feed_id), group in itertools.groupby(rows, key=lambda r: (r["period"], r["feed_id"])):
        scopes = list(group)
        if not scopes[0]["is_period_closed"]:
            continue  # nothing is owed before the month has ended
        feed = FEEDS[feed_id]
        checks = completeness_checks(feed)
        results.append(_completeness_result(make, period, feed, checks["late"], "warn",
                                            [r for r in scopes if r["state"] == "late"]))
        unsent = [r for r in scopes if r["is_owed"] and r["state"] in ("missing", "not_yet_due")]
        if feed.multi_department:
            results.append(_completeness_result(make, period, feed, checks["department_missing"], "warn", unsent))
        else:
            severity = "error" if any(r["state"] == "missing" for r in unsent) else "warn"
            results.append(_completeness_result(make, period, feed, checks["missing"], severity, unsent))
    return results


# --- marts -------------------------------------------------------------------------------

def _mart_results(con: Warehouse, period: str, make: Callable[..., CheckResult]) -> list[CheckResult]:
    schema, table = MART_TARGET.split(".")
    if not con.table_exists(schema, table):
        return []
    frame = con.execute(f"SELECT * FROM {MART_TARGET} WHERE period = ?", [period]).df()
    absent = [c for c in MART_COLUMNS if c not in frame.columns]
    suite = mart_suite()
    if absent:
        raise RuntimeError(f"{MART_TARGET} lacks the columns the mart checks read: {', '.join(absent)}")
    frame = frame.reset_index(drop=True).assign(_rid=lambda f: range(len(f)))
    gx_failing = gx_engine().failing_row_ids(MART_TARGET, suite, frame)
    frames = FeedFrames(feed=None, checked=frame, history=frame, other_history=lambda _feed_id: frame.iloc[0:0])
    results = []
    for check in suite:
        if check.check_id.endswith("indicators.complete"):
            # The GX result names the missing indicator ids; an empty mart misses them all.
            missing = gx_failing[check.check_id] if len(frame) else sorted(check.expectation().value_set)
            samples = [{"indicator_id": i} for i in missing]
        else:
            if check.engine == "gx":
                failing = frame[frame["_rid"].isin(gx_failing[check.check_id])]
            else:
                failing = check.evaluate(frames)
            samples = [{k: r.get(k) for k in check.show} for r in failing.to_dict("records")]
        results.append(make(period=period, target=check.target, check=check, failing=len(samples), samples=samples,
                            file_sha256=None, source="gx"))
    return results


# --- entry points ------------------------------------------------------------------------

def _maker(run_id: str, checked_at: dt.datetime) -> Callable[..., CheckResult]:
    def make(*, period: str, target: str, check: Any, failing: int, samples: list[dict], file_sha256: str | None,
             source: str, severity: str | None = None) -> CheckResult:
        return CheckResult(
            run_id=run_id, checked_at=checked_at, period=period, target=target, check_id=check.check_id,
            check_name_zh=check.name_zh, check_name_en=check.name_en, severity=severity or check.severity,
            status="failed" if failing else "passed", failing_rows=failing, sample_rows=samples_json(samples),
            file_sha256=file_sha256, source=source,
        )

    return make


def run_checks(con: Warehouse, periods: list[str], *, run_id: str | None = None) -> list[CheckResult]:
    """Check every current vintage of `periods`, their completeness (as the completeness model
    judged it, at the as-of date dbt built it with), and the mart."""
    periods = check_periods(periods)
    run_id = run_id or uuid.uuid4().hex
    make = _maker(run_id, clock.now())
    ensure_quality_schema(con)

    history_of = functools.cache(lambda feed_id: load_current_rows(con, FEEDS[feed_id]))
    results: list[CheckResult] = []
    for feed in FEEDS.values():
        results += _feed_results(con, feed, periods, history_of, make)
    results += _completeness_results(completeness_rows(con, periods), make)
    for period in periods:
        results += _mart_results(con, period, make)
    insert_results(con, results)
    faults.point("checks")
    acknowledgements.record_failures(con, results)
    return results


def _failing_periods(con: Warehouse, relation: str | None) -> dict[str, int] | None:
    """period -> failing rows of a test whose failing rows dbt stored (store_failures) with a
    `period` column; None when they carry no period (or were not stored)."""
    if not relation:
        return None
    parts = [p.strip('"') for p in relation.split(".")]
    schema, table = parts[-2], parts[-1]
    if "period" not in con.columns(schema, table):
        return None
    return dict(con.execute(f'SELECT period, count(*) FROM "{schema}"."{table}" GROUP BY period').fetchall())


def record_dbt_results(con: Warehouse, run_results_json_path: Path | str, periods: list[str],
                       run_id: str | None = None, only: Collection[str] | None = None) -> list[CheckResult]:
    """Land dbt's test results (`target/run_results.json`) as model checks of the periods given.

    A failing test is charged to the periods of its failing rows: the tests of models with periods
    store their failing rows (store_failures, dbt_project.yml), whose `period` column names them. A
    test whose failing rows carry no period (a test of reference data or of a model without periods,
    a key test that reports the duplicated key) and a test that could not run are charged to every
    period given: everything the run built reads it. Severity comes from the test's node config in
    `manifest.json` beside the run results; without it, from the status (`warn` → warn, otherwise
    dbt's default `error`). Skipped tests did not run and are not recorded; unit tests are not data
    checks. `only`: the unique ids to record, when the run results hold other nodes too (one dbt
    invocation built the reference and staging models and the period marts).
    """
    periods = check_periods(periods)
    path = Path(run_results_json_path)
    if not path.exists():
        raise FileNotFoundError(f"找不到 dbt 运行结果：{path} / dbt run results not found: {path}")
    run_results = json.loads(path.read_text(encoding="utf-8"))
    manifest_path = path.with_name("manifest.json")
    nodes = json.loads(manifest_path.read_text(encoding="utf-8")).get("nodes", {}) if manifest_path.exists() else {}
    make = _maker(run_id or uuid.uuid4().hex, clock.now())

    results = []
    for item in run_results.get("results", []):
        unique_id = item.get("unique_id", "")
        status = item.get("status")
        if not unique_id.startswith("test.") or status == "skipped" or (only is not None and unique_id not in only):
            continue
        node = nodes.get(unique_id, {})
        config = node.get("config", {})
        name = node.get("name") or unique_id.split(".")[2]
        if status == "warn":
            severity = "warn"
        elif status in ("fail", "error"):
            severity = "error"
        else:
            severity = str(config.get("severity") or "error").lower()
        attached = node.get("attached_node") or ""
        target = attached.split(".")[-1] if attached else "dbt"
        failures = int(item.get("failures") or 0)
        failing = failures if status != "error" else max(failures, 1)
        if status == "pass":
            failing = 0
        by_period = _failing_periods(con, item.get("relation_name") or node.get("relation_name")) \
            if failing and status != "error" else None
        description = node.get("description") or ""
        check = _DbtCheck(check_id=f"dbt.{name}", name_zh=(config.get("meta") or {}).get("name_zh")
                          or description or f"dbt 测试：{name}", name_en=description or f"dbt test {name}",
                          severity=severity)
        for period in periods:
            here = failing if by_period is None else by_period.get(period, 0)
            samples = [{"_file_name": None, "_sheet": None, "_row_number": None, "message": item.get("message")}] \
                if here else []
            results.append(make(period=period, target=target, check=check, failing=here, samples=samples,
                                file_sha256=None, source="dbt"))
    insert_results(con, results)
    return results


class _DbtCheck:
    def __init__(self, *, check_id: str, name_zh: str, name_en: str, severity: str) -> None:
        self.check_id, self.name_zh, self.name_en, self.severity = check_id, name_zh, name_en, severity
