"""An agent's own activity (AG-5, AG-6) and the history figures of the queue cards (AG-4).

Read-only queries over the history tables. Days are *local* days of the contact center's time
zone. Their bounds are computed here, in Python, as UTC instants: ``[midnight, next midnight)``
with ``zoneinfo``, so a DST day lasts 23 or 25 hours and the SQL only compares timestamps. That
keeps the queries identical on PostgreSQL and SQLite (which has no time zone functions) and lets
them use the ``(agent|device, time)`` indexes. Several days are counted in one statement, one
conditional ``SUM`` per day.

What counts, for an agent identified by their device interfaces (``PJSIP/agent1001``):

- *queue conversations answered*: ``queue_calls`` rows whose agent is one of the devices,
  counted on the day of ``answered_at`` (as the live "handled" counter is);
- *non-queue conversations answered*: inbound ``device_calls`` that were answered, counted on
  the day they started ringing (``started_at``: device calls carry no answer time);
- *non-queue conversations made*: every outbound ``device_call`` placed, answered or not, on
  the day it started: what the agent did, whether or not someone picked up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Executable, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from standardiste.history.models import DeviceCallRow, QueueCall

Source = AsyncEngine | AsyncSession
"""Where the queries run: an engine (a connection is borrowed per query) or a session."""

Against = Literal["yesterday", "last_week"]
Window = tuple[datetime, datetime]

_QC = QueueCall.__table__.c
_DC = DeviceCallRow.__table__.c


@dataclass(frozen=True, slots=True)
class DayActivity:
    """The three AG-5 counts of one agent for one local day."""

    day: date
    queue_answered: int = 0
    non_queue_answered: int = 0
    non_queue_made: int = 0


@dataclass(frozen=True, slots=True)
class DayComparison:
    """AG-5: a day's counts beside those of the day it is compared with."""

    today: DayActivity
    other: DayActivity
    against: Against


@dataclass(frozen=True, slots=True)
class HandleTime:
    """AG-4: a queue's completed calls answered on a day and their average handle time.

    ``average_s`` is the mean of Asterisk's TalkTime (agent answered -> hang-up). TalkTime
    already contains the time the caller spent on hold, so hold is *not* added to it;
    ``average_hold_s`` is reported on its own, as the part of the handle time spent on hold.
    """

    queue: str
    completed: int
    average_s: float
    average_hold_s: float


def zone_of(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def local_today(tz: str | tzinfo, now: datetime | None = None) -> date:
    """Today's date in ``tz`` (at ``now``, a tz-aware instant, default the current time)."""
    zone = zone_of(tz)
    return (now or datetime.now(zone)).astimezone(zone).date()


def day_bounds(day: date, tz: str | tzinfo) -> Window:
    """``day``'s first instant and the next day's first instant in ``tz``, as UTC datetimes.

    UTC, because Python subtracts and compares two datetimes of the *same* zone by wall
    clock: in ``Europe/Paris`` terms a 23-hour DST day would look 24 hours long.

    ``fold=0`` picks the first of two midnights when clocks go back at midnight, and a
    midnight skipped by clocks going forward resolves to the instant of the jump: either way
    consecutive days tile time without gap or overlap.
    """
    zone = zone_of(tz)
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _count_in(ts: Any, window: Window, condition: ColumnElement[bool]) -> ColumnElement[int]:
    start, end = window
    hit = (ts >= start) & (ts < end) & condition
    return func.coalesce(func.sum(case((hit, 1), else_=0)), 0)


async def _all_rows(source: Source, query: Executable) -> list[tuple[Any, ...]]:
    if isinstance(source, AsyncSession):
        rows = (await source.execute(query)).all()
    else:
        async with source.connect() as conn:
            rows = (await conn.execute(query)).all()
    return [tuple(row) for row in rows]


async def _one_row(source: Source, query: Executable) -> tuple[Any, ...]:
    [row] = await _all_rows(source, query)
    return row


async def days_activity(
    source: Source, devices: Sequence[str], days: Sequence[date], tz: str | tzinfo
) -> list[DayActivity]:
    """The three counts of the agent using ``devices`` for each of ``days``, in that order.

    Two statements whatever the number of days: one over ``queue_calls``, one over
    ``device_calls``.
    """
    if not days:
        return []
    if not devices:
        return [DayActivity(day) for day in days]
    windows = [day_bounds(day, tz) for day in days]
    first, last = min(w[0] for w in windows), max(w[1] for w in windows)
    agents = list(dict.fromkeys(devices))

    answered = _QC.answered_at
    queue_query = select(*(_count_in(answered, w, true()) for w in windows)).where(
        _QC.agent.in_(agents), answered >= first, answered < last
    )
    inbound = (_DC.direction == "inbound") & _DC.answered.is_(True)
    outbound = _DC.direction == "outbound"
    started = _DC.started_at
    device_columns: list[ColumnElement[int]] = []
    for window in windows:
        device_columns.append(_count_in(started, window, inbound))
        device_columns.append(_count_in(started, window, outbound))
    device_query = select(*device_columns).where(
        _DC.device.in_(agents), started >= first, started < last
    )

    queue_counts = await _one_row(source, queue_query)
    device_counts = await _one_row(source, device_query)
    return [
        DayActivity(
            day,
            queue_answered=int(queue_counts[i]),
            non_queue_answered=int(device_counts[2 * i]),
            non_queue_made=int(device_counts[2 * i + 1]),
        )
        for i, day in enumerate(days)
    ]


async def day_activity(
    source: Source, devices: Sequence[str], day: date, tz: str | tzinfo
) -> DayActivity:
    """AG-5: the agent's three counts for local ``day``."""
    [activity] = await days_activity(source, devices, [day], tz)
    return activity


def compared_day(day: date, against: Against) -> date:
    """The day AG-5 puts beside ``day``: the day before, or the same weekday a week before."""
    return day - timedelta(days=1 if against == "yesterday" else 7)


async def compare_day(
    source: Source,
    devices: Sequence[str],
    day: date,
    tz: str | tzinfo,
    against: Against = "yesterday",
) -> DayComparison:
    """AG-5: ``day``'s three counts beside yesterday's or those of the same day last week."""
    today, other = await days_activity(source, devices, [day, compared_day(day, against)], tz)
    return DayComparison(today, other, against)


async def week_activity(
    source: Source, devices: Sequence[str], week_start: date, tz: str | tzinfo
) -> list[DayActivity]:
    """AG-6: the three counts for each of the 7 days from ``week_start``."""
    days = [week_start + timedelta(days=i) for i in range(7)]
    return await days_activity(source, devices, days, tz)


async def handle_times(
    source: Source, day: date, tz: str | tzinfo, queues: Sequence[str] | None = None
) -> dict[str, HandleTime]:
    """AG-4: per queue, the calls answered on local ``day`` that have ended, and their AHT.

    Only completed calls count (a call still in progress has no handle time yet), so the
    divisor is the number of completed calls, not the live "handled" counter. Queues without
    such a call are absent.
    """
    start, end = day_bounds(day, tz)
    query = (
        select(_QC.queue, func.count(), func.sum(_QC.talk), func.sum(func.coalesce(_QC.hold, 0.0)))
        .where(
            _QC.answered_at >= start,
            _QC.answered_at < end,
            # ended_by is set iff the completed record was merged (see history.writer).
            _QC.ended_by.is_not(None),
            _QC.talk.is_not(None),
        )
        .group_by(_QC.queue)
    )
    if queues is not None:
        if not queues:
            return {}
        query = query.where(_QC.queue.in_(list(queues)))
    result: dict[str, HandleTime] = {}
    for queue, completed, talk, hold in await _all_rows(source, query):
        n = int(completed)
        result[queue] = HandleTime(queue, n, float(talk or 0.0) / n, float(hold or 0.0) / n)
    return result


__all__ = [
    "Against",
    "DayActivity",
    "DayComparison",
    "HandleTime",
    "Source",
    "compare_day",
    "compared_day",
    "day_activity",
    "day_bounds",
    "days_activity",
    "handle_times",
    "local_today",
    "week_activity",
]
