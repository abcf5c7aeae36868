"""The agent state history and the agent performance report (AN-2) on SQLite and
PostgreSQL, written through the real HistoryStore: an agent's states sum to their logged-in
time exactly, intervals are clipped at the range's edges and to the hours, a DST day lasts
23 hours, both dialects give the same report, and a replay or a restart duplicates nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from standardiste.acd.agent_states import AgentState
from standardiste.acd.records import (
    AgentStateChanged,
    DeviceCall,
    QueueCallAnswered,
    QueueCallCompleted,
    Record,
)
from standardiste.history import HistoryStore, upgrade
from standardiste.history.agent_report import (
    ReportFilters,
    agent_report,
    agent_timeline,
    build_report,
    read_source,
)
from standardiste.outbound.tables import AttemptRow, CampaignRow, ContactRow

pytestmark = pytest.mark.integration

PARIS = "Europe/Paris"
ALICE = "PJSIP/agent1001"
BRUNO = "PJSIP/agent1002"


def at(y: int, m: int, d: int, hh: int, mm: int = 0, ss: int = 0) -> float:
    return datetime(y, m, d, hh, mm, ss, tzinfo=ZoneInfo(PARIS)).timestamp()


def day(agent: str, t0: float) -> list[Record]:
    """A short working session from ``t0``: ready, a sales call with hold and wrap-up, a
    pause for lunch, a direct call out, ready, logged out (3600 s logged in)."""
    steps = [
        (0, "ready", "", ""),
        (600, "ringing", "", "sales"),
        (610, "talking", "", "sales"),
        (700, "hold", "", "sales"),
        (730, "talking", "", "sales"),
        (900, "wrapup", "", "sales"),
        (960, "paused", "lunch", ""),
        (2760, "talking", "", ""),
        (2880, "ready", "", ""),
        (3600, "logged_out", "", ""),
    ]
    uid = f"{agent}-{t0}"
    return [
        *(AgentStateChanged(agent, s, r, q, t0 + t) for t, s, r, q in steps),
        QueueCallAnswered(uid, "sales", agent, "", 10.0, t0 + 610),
        QueueCallCompleted(uid, "sales", agent, 290.0, 30.0, "agent", t0 + 900),
        DeviceCall(f"d{uid}", agent, "outbound", "0102", True, 100.0, t0 + 2760, t0 + 2880),
    ]


def report_of(body: dict[str, Any], agent: str) -> dict[str, Any]:
    (found,) = [a for a in body["agents"] if a["agent"] == agent]
    return found


async def run(store: HistoryStore, filters: ReportFilters, now: float) -> dict[str, Any]:
    return await agent_report(store.engine, filters, allowed=None, now=now, directory={})


async def test_states_sum_to_logged_in_and_calls_have_their_aht(store: HistoryStore) -> None:
    t0 = at(2024, 6, 12, 9)
    await store.write([*day(ALICE, t0), *day(BRUNO, t0 + 7200)])
    filters = ReportFilters(date(2024, 6, 12), date(2024, 6, 12), PARIS)
    body = await run(store, filters, now=at(2024, 6, 13, 12))
    alice = report_of(body, ALICE)
    states = alice["states"]
    assert alice["logged_in"] == 3600
    assert sum(v for k, v in states.items() if k != "logged_out") == alice["logged_in"]
    assert states["logged_out"] == 24 * 3600 - 3600  # the rest of the day
    assert (states["ringing"], states["talking"], states["hold"]) == (10, 90 + 170 + 120, 30)
    assert (states["wrapup"], states["paused"], states["ready"]) == (60, 1800, 600 + 720)
    assert alice["paused_by_reason"] == {"lunch": 1800}
    assert alice["calls"] == {
        "queue": 1, "direct_in": 0, "direct_out": 1, "campaign": 0, "total": 2
    }  # fmt: skip
    assert alice["aht"]["queue"] == 290 + 60  # talk incl. hold + the wrap-up after it
    assert alice["aht"]["direct_out"] == 100 and alice["aht"]["all"] == (290 + 60 + 100) / 2
    assert alice["by_queue"] == [
        {"queue": "sales", "calls": 1, "aht": 350, "talk": 290, "hold": 30, "acw": 60}
    ]
    totals = body["totals"]
    assert totals["logged_in"] == 7200 and totals["calls"]["total"] == 4


async def test_intervals_are_clipped_at_the_range_and_hours(store: HistoryStore) -> None:
    # Logged in at 23:30 the day before, until 00:30: the day sees 30 min of it.
    await store.write(
        [
            AgentStateChanged(ALICE, "ready", "", "", at(2024, 6, 11, 23, 30)),
            AgentStateChanged(ALICE, "logged_out", "", "", at(2024, 6, 12, 0, 30)),
            AgentStateChanged(ALICE, "paused", "training", "", at(2024, 6, 12, 23, 45)),
        ]
    )
    filters = ReportFilters(date(2024, 6, 12), date(2024, 6, 12), PARIS)
    alice = report_of(await run(store, filters, now=at(2024, 6, 20, 0)), ALICE)
    assert alice["states"]["ready"] == 1800
    assert alice["states"]["paused"] == 900  # until midnight, not beyond
    assert alice["logged_in"] == 2700 and alice["states"]["logged_out"] == 86400 - 2700
    # Hours 0-1 and 23-24 only? Two windows a day: 0-1 sees the 30 min.
    hourly = ReportFilters(date(2024, 6, 12), date(2024, 6, 12), PARIS, hours=(0, 1))
    alice = report_of(await run(store, hourly, now=at(2024, 6, 20, 0)), ALICE)
    assert alice["logged_in"] == 1800 and alice["states"]["logged_out"] == 1800
    # The open interval stops at now, not at the range's end.
    alice = report_of(await run(store, filters, now=at(2024, 6, 12, 23, 50)), ALICE)
    assert alice["states"]["paused"] == 300


async def test_a_dst_day_has_23_hours(store: HistoryStore) -> None:
    # 2024-03-31 in Paris: 02:00 -> 03:00. Ready all day long.
    await store.write([AgentStateChanged(ALICE, "ready", "", "", at(2024, 3, 30, 12))])
    filters = ReportFilters(date(2024, 3, 31), date(2024, 3, 31), PARIS)
    alice = report_of(await run(store, filters, now=at(2024, 4, 2, 0)), ALICE)
    assert alice["logged_in"] == 23 * 3600
    # And 8-18 on that day is still 10 hours.
    hours = ReportFilters(date(2024, 3, 31), date(2024, 3, 31), PARIS, hours=(8, 18))
    alice = report_of(await run(store, hours, now=at(2024, 4, 2, 0)), ALICE)
    assert alice["logged_in"] == 10 * 3600


async def test_a_replay_duplicates_nothing_and_the_last_state_of_an_instant_wins(
    store: HistoryStore,
) -> None:
    t0 = at(2024, 6, 12, 9)
    records = day(ALICE, t0)
    await store.write(records)
    await store.write(records)  # the disk buffer replayed
    # Two transitions at the same instant (no longer ringing, then talking): the last one.
    await store.write([AgentStateChanged(ALICE, "ready", "", "", t0 + 4000)])
    await store.write([AgentStateChanged(ALICE, "talking", "", "", t0 + 4000)])
    # ... also within one batch (one transaction).
    await store.write(
        [
            AgentStateChanged(ALICE, "ringing", "", "sales", t0 + 4100),
            AgentStateChanged(ALICE, "ready", "", "", t0 + 4100),
        ]
    )
    filters = ReportFilters(date(2024, 6, 12), date(2024, 6, 12), PARIS)
    timeline = await agent_timeline(store.engine, ALICE, filters, at(2024, 6, 12, 10, 10))
    assert [i["state"] for i in timeline] == [
        "logged_out", "ready", "ringing", "talking", "hold", "talking", "wrapup", "paused",
        "talking", "ready", "logged_out", "talking", "ready",
    ]  # fmt: skip
    assert timeline[-1]["end"] == "2024-06-12T10:10:00+02:00"
    assert await store.last_agent_states() == {ALICE: AgentState("ready")}
    # ... and since when (a restarted bridge counts a wrap-up under way from its start).
    last = await store.last_agent_transitions()
    assert last[ALICE][0] == AgentState("ready")
    assert last[ALICE][1] == pytest.approx(t0 + 4100)


async def test_both_dialects_give_the_same_report(
    store: HistoryStore, tmp_path: Any, db_url: str
) -> None:
    """The report of the same history on this database and on SQLite is the same."""
    t0 = at(2024, 10, 27, 1)  # the night the clocks go back (25 hours)
    records = [*day(ALICE, t0), *day(BRUNO, t0 + 1800)]
    await store.write(records)
    reference_url = f"sqlite+aiosqlite:///{tmp_path / 'reference.sqlite3'}"
    await upgrade(reference_url)
    reference = HistoryStore(reference_url)
    try:
        await reference.write(records)
        filters = ReportFilters(date(2024, 10, 27), date(2024, 10, 27), PARIS, hours=(1, 4))
        now = at(2024, 11, 1, 0)
        mine, theirs = await run(store, filters, now), await run(reference, filters, now)
    finally:
        await reference.aclose()
    assert mine == theirs
    assert report_of(mine, ALICE)["logged_in"] == 3600


async def test_agents_logged_out_all_along_are_listed_only_when_asked_for(
    store: HistoryStore,
) -> None:
    await store.write(
        [
            AgentStateChanged(BRUNO, "ready", "", "", at(2024, 1, 2, 9)),
            AgentStateChanged(BRUNO, "logged_out", "", "", at(2024, 1, 2, 17)),
            AgentStateChanged(ALICE, "ready", "", "", at(2024, 6, 12, 9)),
        ]
    )
    filters = ReportFilters(date(2024, 6, 12), date(2024, 6, 12), PARIS)
    now = at(2024, 6, 12, 10)
    assert [a["agent"] for a in (await run(store, filters, now))["agents"]] == [ALICE]
    asked = ReportFilters(date(2024, 6, 12), date(2024, 6, 12), PARIS, agents=(BRUNO,))
    (bruno,) = (await run(store, asked, now))["agents"]
    assert bruno["logged_in"] == 0 and bruno["states"]["logged_out"] == 10 * 3600  # until now


async def test_campaign_calls_are_not_counted_as_queue_or_direct_calls(
    store: HistoryStore,
) -> None:
    """A progressive call rings the agent's phone (a device_call whose uniqueid is the
    attempt's id); a predictive one reaches her through the campaign's queue (a queue call,
    the Local channel's other half: "<id>-2"). Both are campaign calls, with their wrap-up."""
    t0 = at(2024, 6, 12, 9)
    ts = datetime.fromtimestamp(t0, ZoneInfo("UTC"))
    progressive, predictive = "a" * 32, "b" * 32
    async with store.engine.begin() as conn:
        campaign = (
            await conn.execute(
                insert(CampaignRow).values(
                    name="winter", queue="outbound", settings="{}", created_at=ts, updated_at=ts
                )
            )
        ).inserted_primary_key[0]
        contact = (
            await conn.execute(
                insert(ContactRow).values(
                    campaign_id=campaign, name="", number="+33611", timezone=PARIS,
                    source="manual", status="done", created_at=ts, updated_at=ts,
                )
            )
        ).inserted_primary_key[0]  # fmt: skip
        for attempt, mode, start in (
            (progressive, "progressive", 60),
            (predictive, "predictive", 600),
        ):
            await conn.execute(
                insert(AttemptRow).values(
                    id=attempt, campaign_id=campaign, contact_id=contact, number="+33611",
                    mode=mode, agent="alice", device=ALICE, decided_by="dialer", reason="",
                    created_at=ts, connected_at=datetime.fromtimestamp(t0 + start, ZoneInfo("UTC")),
                    ended_at=datetime.fromtimestamp(t0 + start + 100, ZoneInfo("UTC")),
                    outcome="answered", talk_seconds=100.0,
                )
            )  # fmt: skip
    steps = [
        (0, "ready", ""), (60, "talking", ""), (160, "ready", ""),
        (600, "talking", "outbound"), (700, "wrapup", "outbound"), (720, "ready", ""),
    ]  # fmt: skip
    await store.write(
        [
            *(AgentStateChanged(ALICE, s, "", q, t0 + t) for t, s, q in steps),
            DeviceCall(progressive, ALICE, "outbound", "+33611", True, 100.0, t0 + 60, t0 + 160),
            QueueCallAnswered(f"{predictive}-2", "outbound", ALICE, "", 1, t0 + 600),
            QueueCallCompleted(f"{predictive}-2", "outbound", ALICE, 100, 0, "caller", t0 + 700),
        ]
    )  # fmt: skip
    filters = ReportFilters(date(2024, 6, 12), date(2024, 6, 12), PARIS)
    alice = report_of(await run(store, filters, now=t0 + 3600), ALICE)
    assert alice["calls"] == {
        "queue": 0, "direct_in": 0, "direct_out": 0, "campaign": 2, "total": 2
    }  # fmt: skip
    assert alice["aht"]["campaign"] == (100 + 100 + 20) / 2
    assert alice["by_queue"] == [
        {"queue": "outbound", "calls": 2, "aht": 110, "talk": 200, "hold": 0, "acw": 20}
    ]


async def test_the_report_equals_its_python_reference_on_a_busy_week(
    store: HistoryStore,
) -> None:
    """On PostgreSQL the report is aggregated in SQL; on both dialects it equals the Python
    aggregation of every transition and call of the range (the reference), for every agent
    and queue, with hours of the day, across a DST change and across the range's edges."""
    rng = random.Random(7)
    records: list[Record] = []
    agents = [f"PJSIP/agent{1100 + i}" for i in range(4)]
    for n, agent in enumerate(agents):
        t = at(2024, 3, 28, 7) + n * 600.0
        end = at(2024, 4, 3, 20)
        while t < end:
            queue = rng.choice(("sales", "support", "billing"))
            uid = f"{agent}-{t:.0f}"
            talk, hold = rng.uniform(20, 900), rng.choice((0.0, rng.uniform(5, 60)))
            steps = [(0.0, "ringing", "", queue), (4.0, "talking", "", queue),
                     (4.0 + talk, "wrapup", "", queue),
                     (4.0 + talk + 30, "ready", "", "")]  # fmt: skip
            records += [AgentStateChanged(agent, s, r, q, t + dt) for dt, s, r, q in steps]
            records += [
                QueueCallAnswered(uid, queue, agent, "", rng.uniform(0, 60), t + 4.0),
                QueueCallCompleted(uid, queue, agent, talk, hold, "agent", t + 4.0 + talk),
            ]
            t += 4.0 + talk + 30 + rng.expovariate(1 / 300)
            if rng.random() < 0.1:
                pause = rng.uniform(600, 4 * 3600)
                records.append(AgentStateChanged(agent, "paused", "lunch", "", t))
                records.append(AgentStateChanged(agent, "ready", "", "", t + pause))
                t += pause
            if rng.random() < 0.05:
                records.append(
                    DeviceCall(f"d{uid}", agent, "inbound", "0102", True, 60.0, t, t + 60.0)
                )
                t += 61.0
    await store.write(records)
    now = at(2024, 4, 2, 15, 30)
    for filters in (
        ReportFilters(date(2024, 3, 29), date(2024, 4, 3), PARIS),
        ReportFilters(date(2024, 3, 30), date(2024, 4, 1), PARIS, queues=("sales",)),
        ReportFilters(date(2024, 3, 29), date(2024, 4, 2), PARIS, hours=(9, 17)),
        ReportFilters(date(2024, 3, 31), date(2024, 3, 31), PARIS, agents=(agents[1],)),
    ):
        got = await run(store, filters, now)
        source = await read_source(store.engine, filters, None, now)
        assert close(got, build_report(source, filters, now, {})), filters
        assert got["agents"], filters


def close(got: Any, want: Any) -> bool:
    """Equal; seconds within their rounding to 0.1 (sums in another order)."""
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(close(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(close(a, b) for a, b in zip(got, want, strict=True))
    if isinstance(got, float) and isinstance(want, float):
        return abs(got - want) <= 0.1 + 1e-9
    return bool(got == want)


async def test_each_state_row_holds_its_end_whatever_order_it_arrives_in(db_url: str) -> None:
    """``agent_states.ended_at`` is the agent's next transition (what the reports read an
    interval from), for transitions written in order, out of order, replayed, and for rows
    written before migration 0014 (its fill)."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import create_async_engine

    from standardiste.acd.records import AgentStateChanged
    from standardiste.history.models import AgentStateRow

    t0 = 1_750_000_000.0
    states = ("ready", "ringing", "talking", "wrapup", "paused")
    await upgrade(db_url, "0013")
    engine = create_async_engine(db_url)
    try:
        # Written before 0014 (no ended_at yet): the migration fills them.
        old = [
            {"key": f"old|{i}", "agent": "PJSIP/old", "at": datetime.fromtimestamp(t0 + i, UTC),
             "state": "ready", "reason": "", "queue": ""}
            for i in (0, 7, 3)
        ]  # fmt: skip
        async with engine.begin() as conn:
            await conn.execute(insert(AgentStateRow.__table__).values(old))
        await upgrade(db_url)
        records = [
            AgentStateChanged(agent, states[i % len(states)], "", "sales", t0 + 10 * i + j)
            for i in range(12)
            for j, agent in enumerate(("PJSIP/a", "PJSIP/b"))
        ]
        shuffled = records[:]
        random.Random(7).shuffle(shuffled)
        store = HistoryStore(engine)
        for k in range(0, len(shuffled), 5):  # batches, out of order, then a replay
            await store.write(shuffled[k : k + 5])
        await store.write(records[3:9])
        t = AgentStateRow.__table__.c
        async with engine.connect() as conn:
            rows = (await conn.execute(select(t.agent, t.at, t.ended_at))).all()
    finally:
        await engine.dispose()
    by_agent: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for agent, at, ended in rows:
        by_agent.setdefault(agent, []).append((at, ended))
    assert sorted(by_agent) == ["PJSIP/a", "PJSIP/b", "PJSIP/old"]
    for agent, got in by_agent.items():
        got.sort()
        want = [b[0] for b in got[1:]] + [None]
        assert [e for _, e in got] == want, agent
