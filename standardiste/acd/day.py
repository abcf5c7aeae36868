"""The contact center's day, defined once: "today" of the counters, the history's "today",
where queue_log recovery starts. Days are local to the center's time zone (setting
``timezone``); instants are Unix times, as Asterisk's event timestamps are.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable


def day_of(tz: str) -> Callable[[float], str]:
    """The local date (ISO) of an instant in ``tz``."""
    zone = zoneinfo.ZoneInfo(tz)

    def day(at: float) -> str:
        return dt.datetime.fromtimestamp(at, zone).date().isoformat()

    return day


def start_of_day(tz: str, at: float) -> float:
    """The first instant of the local day that contains ``at``.

    ``fold=0`` takes the first of two midnights when clocks go back at midnight; a midnight
    skipped by clocks going forward resolves to the instant of the jump."""
    zone = zoneinfo.ZoneInfo(tz)
    day = dt.datetime.fromtimestamp(at, zone).date()
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).timestamp()
