"""What makes a brief look issued: 期号, 编印单位 and 印发日期 (the masthead of 月度专报 and 季度通报).

期号 `2024年第6期`: the briefs of a year are numbered in the order their periods were first
published. The N-th period of the year (quarter-end periods for the 季度通报) whose version 1
was published is 第N期, ties broken by period. A number once given never changes: a
republication (version 2, 3, …) keeps its period's number, and a month published late (a
blocked one released after its successors) takes the next free number instead of renumbering
briefs already issued. The year is the period's, not the publication's (December's brief issued
in January is still of its year).

编印单位: `$SVCMON_ISSUER`, default 鹿城区服务业发展工作专班办公室.
印发日期: the date the reported version was published (`publication_log.published_at`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ingest.warehouse import Warehouse
from publish.labels import fmt_datetime, is_quarter_end, parse_period
from publish.publication import LOG_TABLE, require_published

ISSUER_ENV = "SVCMON_ISSUER"
DEFAULT_ISSUER = "鹿城区服务业发展工作专班办公室"


def issuer() -> str:
    """编印单位: `$SVCMON_ISSUER` (blank counts as unset), else the 专班办公室."""
    return (os.environ.get(ISSUER_ENV) or "").strip() or DEFAULT_ISSUER


def issue_number(con: Warehouse, period: str, *, quarterly: bool = False) -> int:
    """The period's brief number in its year (see the module doc); the period must be published."""
    year, _ = parse_period(period)
    require_published(con, period)
    first_published = con.execute(
        f"SELECT period, min(published_at) FROM {LOG_TABLE} WHERE period >= ? AND period <= ? GROUP BY period",
        [f"{year}-01", f"{year}-12"],
    ).fetchall()
    order = sorted(
        ((at, p) for p, at in first_published if not quarterly or is_quarter_end(p)),
    )
    return [p for _at, p in order].index(period) + 1


@dataclass(frozen=True)
class Masthead:
    issue: str  # 2024年第6期
    issuer: str  # 编印单位
    issued_on: str  # 印发日期, 2024年7月15日


def masthead(con: Warehouse, record: dict, *, quarterly: bool = False) -> Masthead:
    """期号, 编印单位 and 印发日期 of the brief of one publication record (period, version)."""
    period = record["period"]
    return Masthead(
        issue=f"{parse_period(period)[0]}年第{issue_number(con, period, quarterly=quarterly)}期",
        issuer=issuer(),
        issued_on=fmt_datetime(record["published_at"], time=False),
    )
