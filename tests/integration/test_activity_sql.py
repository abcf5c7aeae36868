"""AG-4/5/6 history figures on SQLite and PostgreSQL, written through the real HistoryStore.

The day boundaries are the contact center's local days: the tests use Europe/Paris, around
midnight and across both DST changes of 2024, where a UTC-day query would be an hour off.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from standardiste.acd.records import (
    DeviceCall,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
    Record,
)
from standardiste.history import HistoryStore
from standardiste.history.activity import (
    DayActivity,
    compare_day,
    day_activity,
    day_bounds,
    handle_times,
    local_today,
    week_activity,
)

pytestmark = pytest.mark.integration

PARIS = "Europe/Paris"
ALICE = ["PJSIP/agent1001"]
BRUNO = "PJSIP/agent1002"
_uid = itertools.count(1)


def at(tz: str, y: int, m: int, d: int, hh: int, mm: int = 0, ss: int = 0, fold: int = 0) -> float:
    """Epoch seconds of a wall-clock time in ``tz``."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=ZoneInfo(tz), fold=fold).timestamp()


def queue_call(
    answered_at: float,
    agent: str = ALICE[0],
    *,
    queue: str = "sales",
    talk: float | None = 60.0,
    hold: float = 0.0,
) -> list[Record]:
    """A caller answered by ``agent`` at ``answered_at``; completed unless ``talk`` is None."""
    uid = f"q{next(_uid)}"
    records: list[Record] = [
        QueueCallEntered(uid, queue, "0611223344", "", answered_at - 10),
        QueueCallAnswered(uid, queue, agent, "", 10.0, answered_at),
    ]
    if talk is not None:
        records.append(
            QueueCallCompleted(uid, queue, agent, talk, hold, "caller", answered_at + talk)
        )
    return records


def abandoned(entered_at: float, queue: str = "sales") -> list[Record]:
    uid = f"q{next(_uid)}"
    return [
        QueueCallEntered(uid, queue, "0611223344", "", entered_at),
        QueueCallLeft(uid, queue, "abandoned", 20.0, entered_at + 20),
    ]


def device_call(
    started_at: float, direction: str, answered: bool = True, device: str = ALICE[0]
) -> DeviceCall:
    return DeviceCall(
        f"d{next(_uid)}",
        device,
        direction,  # type: ignore[arg-type]
        "0102030405",
        answered,
        30.0 if answered else 0.0,
        started_at,
        started_at + 40,
    )


async def test_the_three_counts_of_a_day(store: HistoryStore) -> None:
    t = at(PARIS, 2024, 6, 12, 10)
    await store.write(
        [
            *queue_call(t),
            *queue_call(t + 600, talk=None),  # answered, still talking: answered all the same
            *queue_call(t + 700, queue="support"),
            *queue_call(t + 800, BRUNO),  # someone else's
            *abandoned(t + 900),
            device_call(t + 1000, "inbound"),
            device_call(t + 1100, "inbound", answered=False),  # rang, not answered
            device_call(t + 1200, "outbound"),
            device_call(t + 1300, "outbound", answered=False),  # made, even if unanswered
            device_call(t + 1400, "inbound", device=BRUNO),
            device_call(t + 1500, "outbound", device=BRUNO),
        ]
    )
    day = date(2024, 6, 12)
    assert await day_activity(store.engine, ALICE, day, PARIS) == DayActivity(day, 3, 1, 2)
    # An agent with two devices: both count.
    both = await day_activity(store.engine, [*ALICE, BRUNO], day, PARIS)
    assert both == DayActivity(day, 4, 2, 3)
    assert await day_activity(store.engine, [], day, PARIS) == DayActivity(day)
    assert await day_activity(store.engine, ALICE, day + timedelta(1), PARIS) == DayActivity(
        day + timedelta(1)
    )
    # Through a session too (the web layer may hold one).
    async with AsyncSession(store.engine) as session:
        assert await day_activity(session, ALICE, day, PARIS) == DayActivity(day, 3, 1, 2)


async def test_local_midnight_not_utc_midnight(store: HistoryStore) -> None:
    # 2024-01-15 in Paris (UTC+1) is [2024-01-14T23:00Z, 2024-01-15T23:00Z).
    before = at(PARIS, 2024, 1, 14, 23, 59, 59)  # 22:59:59Z on the 14th
    first = at(PARIS, 2024, 1, 15, 0, 0, 0)  # 23:00:00Z on the 14th
    last = at(PARIS, 2024, 1, 15, 23, 59, 59)  # 22:59:59Z on the 15th
    after = at(PARIS, 2024, 1, 16, 0, 0, 0)  # 23:00:00Z on the 15th
    await store.write(
        [
            *queue_call(before),
            *queue_call(first),
            *queue_call(last),
            *queue_call(after),
            device_call(first, "inbound"),
            device_call(after, "outbound"),
        ]
    )
    day = date(2024, 1, 15)
    assert await day_activity(store.engine, ALICE, day, PARIS) == DayActivity(day, 2, 1, 0)
    # The same rows seen from a UTC contact center fall on other days.
    assert await day_activity(store.engine, ALICE, day, "UTC") == DayActivity(day, 2, 0, 1)
    assert await day_activity(store.engine, ALICE, date(2024, 1, 14), "UTC") == DayActivity(
        date(2024, 1, 14), 2, 1, 0
    )
    assert day_bounds(day, PARIS) == (
        datetime(2024, 1, 14, 23, tzinfo=UTC),
        datetime(2024, 1, 15, 23, tzinfo=UTC),
    )


async def test_dst_days_last_23_and_25_hours(store: HistoryStore) -> None:
    spring, autumn = date(2024, 3, 31), date(2024, 10, 27)
    start, end = day_bounds(spring, PARIS)
    assert end - start == timedelta(hours=23)
    start, end = day_bounds(autumn, PARIS)
    assert end - start == timedelta(hours=25)
    await store.write(
        [
            # Spring: 00:30 CET and 23:30 CEST are the day's ends; 00:30 next day is not in.
            *queue_call(at(PARIS, 2024, 3, 31, 0, 30)),
            *queue_call(at(PARIS, 2024, 3, 31, 23, 30)),
            *queue_call(at(PARIS, 2024, 4, 1, 0, 30)),
            # Autumn: 02:30 happens twice (CEST then CET); both belong to the 27th, and so
            # does 23:30 CET, which is already the 28th in UTC+2 terms.
            device_call(at(PARIS, 2024, 10, 27, 2, 30, fold=0), "inbound"),
            device_call(at(PARIS, 2024, 10, 27, 2, 30, fold=1), "inbound"),
            device_call(at(PARIS, 2024, 10, 27, 23, 30), "outbound"),
            device_call(at(PARIS, 2024, 10, 28, 0, 0), "outbound"),
        ]
    )
    assert await day_activity(store.engine, ALICE, spring, PARIS) == DayActivity(spring, 2)
    assert await day_activity(store.engine, ALICE, autumn, PARIS) == DayActivity(autumn, 0, 2, 1)
    # The week of the spring change: each day once, nothing lost at the boundaries.
    week = await week_activity(store.engine, ALICE, date(2024, 3, 25), PARIS)
    assert [d.day for d in week] == [date(2024, 3, 25) + timedelta(i) for i in range(7)]
    assert [d.queue_answered for d in week] == [0, 0, 0, 0, 0, 0, 2]
    next_week = await week_activity(store.engine, ALICE, date(2024, 4, 1), PARIS)
    assert next_week[0] == DayActivity(date(2024, 4, 1), 1)


async def test_week_of_activity_per_day(store: HistoryStore) -> None:
    monday = date(2024, 5, 6)
    records: list[Record] = []
    for i in range(7):
        day = monday + timedelta(i)
        noon = at(PARIS, day.year, day.month, day.day, 12)
        for n in range(i):  # i queue calls on day i
            records += queue_call(noon + 60 * n)
        if i % 2:
            records.append(device_call(noon, "inbound"))
        if i >= 5:
            records.append(device_call(noon, "outbound"))
    # Just outside the week on both sides.
    records += queue_call(at(PARIS, 2024, 5, 5, 23, 59))
    records += queue_call(at(PARIS, 2024, 5, 13, 0, 0))
    await store.write(records)
    week = await week_activity(store.engine, ALICE, monday, PARIS)
    assert week == [DayActivity(monday + timedelta(i), i, i % 2, int(i >= 5)) for i in range(7)]


async def test_compare_with_yesterday_or_last_week(store: HistoryStore) -> None:
    today = date(2024, 5, 15)  # a Wednesday
    await store.write(
        [
            *queue_call(at(PARIS, 2024, 5, 15, 9)),
            *queue_call(at(PARIS, 2024, 5, 15, 10)),
            *queue_call(at(PARIS, 2024, 5, 14, 9)),
            *queue_call(at(PARIS, 2024, 5, 8, 9)),
            device_call(at(PARIS, 2024, 5, 8, 11), "outbound"),
            device_call(at(PARIS, 2024, 5, 8, 12), "outbound"),
        ]
    )
    yesterday = await compare_day(store.engine, ALICE, today, PARIS)
    assert (yesterday.today, yesterday.other) == (
        DayActivity(today, 2),
        DayActivity(date(2024, 5, 14), 1),
    )
    assert yesterday.against == "yesterday"
    last_week = await compare_day(store.engine, ALICE, today, PARIS, "last_week")
    assert last_week.other == DayActivity(date(2024, 5, 8), 1, 0, 2)


async def test_average_handle_time_per_queue(store: HistoryStore) -> None:
    t = at(PARIS, 2024, 6, 12, 10)
    await store.write(
        [
            *queue_call(t, talk=100.0, hold=20.0),
            *queue_call(t + 300, BRUNO, talk=200.0),
            *queue_call(t + 600, talk=None),  # in progress: no handle time yet
            *abandoned(t + 700),
            *queue_call(t + 800, queue="support", talk=50.0, hold=5.0),
            *queue_call(at(PARIS, 2024, 6, 11, 23, 59), talk=999.0),  # yesterday
        ]
    )
    times = await handle_times(store.engine, date(2024, 6, 12), PARIS)
    assert set(times) == {"sales", "support"}
    sales = times["sales"]
    assert (sales.completed, sales.average_s, sales.average_hold_s) == (2, 150.0, 10.0)
    assert (times["support"].completed, times["support"].average_s) == (1, 50.0)
    only = await handle_times(store.engine, date(2024, 6, 12), PARIS, ["support"])
    assert set(only) == {"support"}
    assert await handle_times(store.engine, date(2024, 6, 12), PARIS, []) == {}
    assert await handle_times(store.engine, date(2024, 6, 13), PARIS) == {}


def test_local_today() -> None:
    # 23:30Z on Jan 1st is already Jan 2nd in Paris.
    now = datetime(2024, 1, 1, 23, 30, tzinfo=UTC)
    assert local_today(PARIS, now) == date(2024, 1, 2)
    assert local_today("UTC", now) == date(2024, 1, 1)
