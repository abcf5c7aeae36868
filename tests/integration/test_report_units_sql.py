"""Report units (history/report_units.py) on SQLite and PostgreSQL: a report built from the
stored units of its closed days equals the report computed from the history, and stays
equal when the history changes under it — a late call, a late state, a write that lands
while a unit is being computed. Today is never stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from test_agent_report_sql import ALICE, BRUNO, at
from test_agent_report_sql import close as agents_close
from test_agent_report_sql import day as agent_day
from test_queue_report_sql import (
    AGENTS,
    SETTINGS,
    Call,
    close,
    expected,
    generate,
    same,
    work,
)

from standardiste.acd.records import AgentStateChanged, DeviceCall
from standardiste.dialer.campaign import CampaignDef
from standardiste.history import HistoryStore, agent_report_units, report_units
from standardiste.history.agent_report import ReportFilters, agent_report, read_source
from standardiste.history.agent_report import build_report as build_agent_report
from standardiste.history.models import ReportUnit
from standardiste.history.queue_report import ReportQuery, acw_by_queue, build_report, report_rows
from standardiste.history.queue_report_units import KIND, rows_and_acw
from standardiste.history.report_units import AGENT, QUEUE, Unit
from standardiste.outbound.store import CampaignStore

pytestmark = pytest.mark.integration

LATER = datetime(2024, 11, 5, tzinfo=UTC).timestamp()  # every day of the range has ended


async def via_units(store: HistoryStore, q: ReportQuery, now: float = LATER) -> dict[str, Any]:
    rows, wrapups = await rows_and_acw(store.engine, q, SETTINGS, now)
    return build_report(rows, q, SETTINGS, queues=list(SETTINGS), wrapups=wrapups)


async def direct(store: HistoryStore, q: ReportQuery) -> dict[str, Any]:
    rows = await report_rows(store.engine, q, SETTINGS)
    wrapups = await acw_by_queue(store.engine, q)
    return build_report(rows, q, SETTINGS, queues=list(SETTINGS), wrapups=wrapups)


async def stored(store: HistoryStore, day: str | None = None) -> int:
    c = ReportUnit.__table__.c
    query = select(func.count()).select_from(ReportUnit).where(c.kind == KIND)
    if day is not None:
        query = query.where(c.day == day)
    async with store.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def test_queue_report_units_stay_exact_when_the_history_changes(
    store: HistoryStore,
) -> None:
    start = datetime(2024, 10, 25, 22, 0, tzinfo=UTC)
    calls = generate(2, start, hours=96, n=400)
    states, wrapups = work(2, start, hours=96)
    await store.write([r for c in calls for r in c.records()] + states)
    q = ReportQuery(date(2024, 10, 26), date(2024, 10, 28), "Europe/Paris")
    support = ReportQuery(q.first, q.last, q.tz, queues=("support",))

    # Computed (and stored: a unit per day of every queue, and per day of `support`), then
    # read back: both equal the calls' own metrics and the report from the history.
    for _ in range(2):
        got = await via_units(store, q)
        same(got, expected(calls, q, wrapups))
        same(got, {**await direct(store, q), "offered": got["heatmap"]["offered"]})
        narrowed = await via_units(store, support)
        assert close(narrowed["totals"], expected(calls, support, wrapups)["totals"])
    assert await stored(store) == 6

    # A late call on the 27th: that day's units go (every queue's and sales'... not support's
    # own), the others stay, and the report counts the call.
    noon = datetime(2024, 10, 27, 12, tzinfo=UTC).timestamp()
    late = Call("late", "sales", noon, "answered", 3.0, AGENTS[0], 60.0, 0.0)
    await store.write(late.records())
    calls.append(late)
    assert await stored(store, "2024-10-27") == 1  # support's unit of the 27th stays
    assert await stored(store) == 5
    got = await via_units(store, q)
    same(got, expected(calls, q, wrapups))
    assert close(
        (await via_units(store, support))["totals"], expected(calls, support, wrapups)["totals"]
    )

    # A late wrap-up of support on the 26th, ended by the agent's next state: support's
    # after-call work of the 26th changes, and so do both of that day's units.
    at = datetime(2024, 10, 26, 9, 0, 0, tzinfo=UTC).timestamp()
    agent = "PJSIP/agent1009"
    await store.write(
        [AgentStateChanged(agent, "wrapup", "", "support", at),
         AgentStateChanged(agent, "ready", "", "", at + 42.0)]
    )  # fmt: skip
    assert await stored(store, "2024-10-26") == 0
    before = got["by_queue"][1]["acw"]
    got = await via_units(store, q)
    assert got == await direct(store, q)
    assert got["by_queue"][1]["acw"] == pytest.approx(before + 42.0, abs=0.1)

    # Today (the range's last day has not ended) is computed, never stored.
    today = datetime(2024, 10, 28, 15, tzinfo=UTC).timestamp()
    await via_units(store, q, now=today)
    assert await stored(store, "2024-10-28") == 2  # from before; nothing new
    async with store.engine.begin() as conn:
        await conn.execute(ReportUnit.__table__.delete())
    await via_units(store, q, now=today)
    assert await stored(store, "2024-10-28") == 0 and await stored(store) == 2


async def test_a_unit_computed_while_a_write_lands_is_not_stored(store: HistoryStore) -> None:
    seq = await report_units.current_seq(store.engine)
    unit = Unit(KIND, "{}", QUEUE, "sales", date(2024, 10, 26), 1729893600.0, 1729980000.0)
    # A call of that day is written after the report read the sequence number, before it
    # stores what it computed: the unit is not stored (it may lack the call).
    noon = datetime(2024, 10, 26, 12, tzinfo=UTC).timestamp()
    await store.write(Call("x", "sales", noon, "abandoned", 9.0, None, None, None).records())
    assert (
        await report_units.store(store.engine, {unit: {"rows": [], "acw": []}}, seq, 0.0, 1.0) == 0
    )
    # Computed after it: stored.
    fresh = await report_units.current_seq(store.engine)
    assert fresh > seq
    assert (
        await report_units.store(store.engine, {unit: {"rows": [], "acw": []}}, fresh, 0.0, 1.0)
        == 1
    )
    # A write on another queue or another day leaves it.
    other = datetime(2024, 10, 28, 12, tzinfo=UTC).timestamp()
    await store.write(Call("y", "sales", other, "abandoned", 9.0, None, None, None).records())
    await store.write(Call("z", "support", noon, "abandoned", 9.0, None, None, None).records())
    assert await report_units.read(store.engine, KIND, "{}", ["sales"], [unit.day]) != {}


async def agent_units(store: HistoryStore) -> dict[str, int]:
    c = ReportUnit.__table__.c
    query = select(c.key, func.count()).where(c.kind == agent_report_units.KIND).group_by(c.key)
    async with store.engine.connect() as conn:
        return {k: int(n) for k, n in (await conn.execute(query)).all()}


async def test_agent_report_units_stay_exact_when_the_history_changes(
    store: HistoryStore,
) -> None:
    """On PostgreSQL the agent report sums its closed days' units: equal to the Python
    reference from every transition and call, before and after late writes."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("the agent report's units are PostgreSQL's (SQLite runs the reference)")
    records = [r for d in (3, 4, 5) for r in agent_day(ALICE, at(2024, 6, d, 9))]
    records += [r for d in (3, 5) for r in agent_day(BRUNO, at(2024, 6, d, 14))]
    await store.write(records)
    now = at(2024, 6, 20, 0)
    everyone = ReportFilters(date(2024, 6, 3), date(2024, 6, 5), "Europe/Paris")
    sales = ReportFilters(date(2024, 6, 3), date(2024, 6, 5), "Europe/Paris", queues=("sales",))
    morning = ReportFilters(date(2024, 6, 3), date(2024, 6, 5), "Europe/Paris", hours=(8, 12))

    async def check(filters: ReportFilters) -> dict[str, Any]:
        got = await agent_report(store.engine, filters, allowed=None, now=now, directory={})
        source = await read_source(store.engine, filters, None, now)
        assert agents_close(got, build_agent_report(source, filters, now, {})), filters
        return got

    for _ in range(2):  # computed and stored, then read
        for filters in (everyone, sales, morning):
            await check(filters)
    # every agent: 3 days, twice (whole days, mornings); sales' agents: 3 days each
    assert await agent_units(store) == {"*": 6, ALICE: 3, BRUNO: 3}

    # Alice's late pause on the 4th (written after, between her transitions) and a late
    # direct call of Bruno's on the 4th: those days' units go, the reports stay exact.
    await store.write(
        [AgentStateChanged(ALICE, "paused", "coaching", "", at(2024, 6, 4, 9, 20)),
         DeviceCall("late", BRUNO, "inbound", "0102", True, 30.0, at(2024, 6, 4, 16),
                    at(2024, 6, 4, 16, 0, 30))]
    )  # fmt: skip
    left = await agent_units(store)
    assert left["*"] < 6 and left[ALICE] < 3 and left[BRUNO] < 3
    for filters in (everyone, sales, morning):
        got = await check(filters)
    alice = next(a for a in got["agents"] if a["agent"] == ALICE)
    assert alice["paused_by_reason"]["coaching"] > 0  # the late pause is in the report


async def test_a_campaign_moved_to_another_queue_drops_every_agent_unit(
    store: HistoryStore,
) -> None:
    """Its calls count in another queue in every agent's report, every day."""
    campaigns = CampaignStore(store.engine)
    await campaigns.create("ann", CampaignDef.parse({"name": "winter", "queue": "sales"}))
    day = date(2024, 6, 3)
    units = {
        Unit(agent_report_units.KIND, "{}", AGENT, key, day, 1717365600.0, 1717452000.0): {}
        for key in (ALICE, "*")
    }
    seq = await report_units.current_seq(store.engine)
    assert await report_units.store(store.engine, units, seq, 0.0, 1.0) == 2
    await campaigns.update("ann", CampaignDef.parse({"name": "winter", "queue": "sales"}))
    assert await agent_units(store) == {"*": 1, ALICE: 1}  # the same queue: nothing changes
    await campaigns.update("ann", CampaignDef.parse({"name": "winter", "queue": "support"}))
    assert await agent_units(store) == {}


async def test_a_unit_that_cannot_be_stored_is_logged_and_the_report_answers(
    store: HistoryStore,
) -> None:
    """The database refuses the unit's write (here a trigger, as a locked or read-only
    database would): nothing is stored, the failure is logged, and the report still
    answers from the history."""
    from structlog.testing import capture_logs

    start = datetime(2024, 10, 25, 22, 0, tzinfo=UTC)
    calls = generate(3, start, hours=48, n=100)
    await store.write([r for c in calls for r in c.records()])
    refuse = (
        [
            "CREATE TRIGGER refuse_units BEFORE INSERT ON report_units "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
        if store.engine.dialect.name == "sqlite"
        else [
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused'; END $$",
            "CREATE TRIGGER refuse_units BEFORE INSERT ON report_units "
            "FOR EACH ROW EXECUTE FUNCTION refuse()",
        ]
    )
    async with store.engine.begin() as conn:
        for statement in refuse:
            await conn.execute(text(statement))
    q = ReportQuery(date(2024, 10, 26), date(2024, 10, 26), "Europe/Paris")
    with capture_logs() as logs:
        got = await via_units(store, q)
    assert close(got["totals"], expected(calls, q)["totals"])
    assert any(e["event"] == "report_units.not_stored" for e in logs), logs
    assert await stored(store) == 0
