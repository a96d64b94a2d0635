"""Time as the platform stores and prints it.

One rule for every stored time (`received_at`, `checked_at`, `signed_at`, `acknowledged_at`,
`published_at`): a naive wall-clock time in the deployment's zone (`SVCMON_TIMEZONE`, default
`Asia/Shanghai`), whatever zone the machine runs in. Readers print the stored clock time.
`fmt_datetime` is how people read a time: `2026年12月2日 01:39`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


def timezone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("SVCMON_TIMEZONE") or DEFAULT_TIMEZONE)


def now() -> dt.datetime:
    """The current time to store: naive, wall clock of the deployment's zone, to the microsecond."""
    return dt.datetime.now(timezone()).replace(tzinfo=None)


def today() -> dt.date:
    return now().date()


def fmt_datetime(value, *, time: bool = True) -> str:
    """A date or time as readers see it: `2026年12月2日 01:39` (`2026年12月2日` for a date or
    `time=False`); accepts datetimes, dates and ISO strings (JSON records); missing -> `—`.

    The clock time is shown as stored (the deployment's zone), to the minute."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.datetime.fromisoformat(text) if len(text) > 10 else dt.date.fromisoformat(text)
        except ValueError:
            return text  # not a timestamp: shown as written rather than hidden
    day = f"{value.year}年{value.month}月{value.day}日"
    if not time or not isinstance(value, dt.datetime):
        return day
    return f"{day} {value.hour:02d}:{value.minute:02d}"
