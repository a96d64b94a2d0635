"""Reading the completeness model: received / late / missing per feed, period and department.

The rule lives in dbt (`marts.fct_feed_completeness`, FEEDS.md "Due dates and completeness"):
who owes which file, its due date, the first accepted file of each scope and its state, judged
at the as-of date the model was built with (its `as_of_date` column). The completeness checks
(`expectations.runner`), the quality report and `svcmon status` read it here and judge nothing
themselves, so they agree by construction.
"""

from __future__ import annotations

from typing import Any

from ingest.registry import FEEDS
from ingest.warehouse import Warehouse

COMPLETENESS_RELATION = "marts.fct_feed_completeness"


def completeness_built(con: Warehouse) -> bool:
    """The model exists (dbt has built the warehouse at least once)."""
    return con.table_exists(*COMPLETENESS_RELATION.split("."))


def completeness_rows(con: Warehouse, periods: list[str]) -> list[dict[str, Any]]:
    """The model's rows of `periods`; none before dbt has built it. In reading order: by period,
    feeds as the registry lists them, departments that owe the file before those that sent one
    unasked, then by name.

    Columns: period, feed_id, feed_name_zh, scope, dept_name, is_owed, due_date, is_due,
    is_period_closed, as_of_date, file_name, file_sha256, submitted_on (received: landed), claimed_on
    (the 填报日期 the file states), received_at, state
    ('on_time' | 'late' | 'missing' | 'not_yet_due'), state_zh.
    """
    if not periods or not completeness_built(con):
        return []
    placeholders = ", ".join("?" for _ in periods)
    rows = con.execute(
        f"SELECT * FROM {COMPLETENESS_RELATION} WHERE period IN ({placeholders})", list(periods)).records()
    feed_order = {feed_id: i for i, feed_id in enumerate(FEEDS)}
    return sorted(rows, key=lambda r: (r["period"], feed_order.get(r["feed_id"], len(feed_order)), r["feed_id"],
                                       not r["is_owed"], r["dept_name"] or "", r["scope"]))
