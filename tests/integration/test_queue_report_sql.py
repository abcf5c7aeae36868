"""The queue callers' report (history/queue_report.py) on SQLite and PostgreSQL: the SQL
aggregation gives, field by field, what acd/metrics.py gives on the same calls tallied one
by one in Python — per queue, per local day (Europe/Paris around the 25-hour day of
2024-10-27, Asia/Kolkata's half-hour offset), per hour of the week, with hour and agent
filters. After-call work (the agents' wrap-up intervals) counts on the day and hour each
wrap-up started, once ended, in the report and in today's tallies alike. And today's tallies
(the live counters' seed) count as the live model counts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from standardiste.acd.metrics import (
    QueueSettings,
    Tally,
    combined_metrics,
    drop_rate,
    list_penetration,
)
from standardiste.acd.records import (
    AgentStateChanged,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
    Record,
)
from standardiste.history import HistoryStore
from standardiste.history.queue_report import (
    ReportQuery,
    acw_by_queue,
    build_report,
    callback_counts,
    campaign_rows,
    missed_calls,
    report_rows,
    tally_of_calls,
    today_tallies,
)
from standardiste.outbound.tables import AttemptRow, CallbackRow, CampaignRow, ContactRow

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")
SETTINGS = {
    "sales": QueueSettings(sl_threshold=20, sl_variant=1, sl_target=80, short_abandon=5),
    "support": QueueSettings(sl_threshold=30, sl_variant=4, sl_target=90, short_abandon=0),
}
AGENTS = ("PJSIP/agent1001", "PJSIP/agent1002")


@dataclass(frozen=True, slots=True)
class Call:
    uid: str
    queue: str
    entered: float
    outcome: str | None
    wait: float
    agent: str | None
    talk: float | None
    hold: float | None

    def records(self) -> list[Record]:
        out: list[Record] = [QueueCallEntered(self.uid, self.queue, "0601", "Ana", self.entered)]
        left = self.entered + self.wait
        if self.outcome == "answered":
            assert self.agent is not None
            out.append(QueueCallAnswered(self.uid, self.queue, self.agent, "A", self.wait, left))
            if self.talk is not None:
                out.append(
                    QueueCallCompleted(self.uid, self.queue, self.agent, self.talk,
                                       self.hold or 0.0, "caller", left + self.talk)
                )  # fmt: skip
        elif self.outcome is not None:
            out.append(QueueCallLeft(self.uid, self.queue, self.outcome, self.wait, left))  # type: ignore[arg-type]
        return out


def generate(seed: int, start: datetime, hours: int, n: int) -> list[Call]:
    rng = random.Random(seed)
    calls = []
    for i in range(n):
        entered = start.timestamp() + rng.uniform(0, hours * 3600)
        outcome = rng.choice(
            ["answered"] * 6 + ["abandoned"] * 3 + ["timed_out", "transferred", "exited", None]
        )
        # waits on and around the thresholds, in tenths of a second
        wait = rng.choice([0.0, 4.9, 5.0, 5.1, 19.9, 20.0, 20.1, 30.0, 31.0, 250.0, 4000.0])
        wait = wait if rng.random() < 0.5 else round(rng.uniform(0, 200), 1)
        answered = outcome == "answered"
        talk = round(rng.uniform(5, 600), 2) if answered and rng.random() < 0.9 else None
        calls.append(
            Call(
                f"c{seed}-{i}",
                rng.choice(list(SETTINGS)),
                entered,
                outcome,
                wait,
                rng.choice(AGENTS) if answered else None,
                talk,
                round(rng.uniform(0, talk), 2) if talk is not None and rng.random() < 0.3 else None,
            )
        )
    return calls


@dataclass(frozen=True, slots=True)
class Wrapup:
    agent: str
    queue: str
    start: float
    end: float | None  # None: still wrapping up (the agent's last state)


def work(seed: int, start: datetime, hours: int) -> tuple[list[Record], list[Wrapup]]:
    """Agents' state transitions over ``hours`` (calls of random queues, each followed by a
    wrap-up or not, pauses), ending in a wrap-up still under way; and the wrap-ups."""
    rng = random.Random(seed)
    records: list[Record] = []
    wrapups: list[Wrapup] = []
    for agent in (*AGENTS, "PJSIP/agent1003"):
        at, end = start.timestamp() + rng.uniform(0, 600), start.timestamp() + hours * 3600
        last: tuple[str, float] | None = None
        while at < end:
            queue = rng.choice(list(SETTINGS))
            steps = [("ready", ""), ("ringing", queue), ("talking", queue)]
            if rng.random() < 0.8:
                steps.append(("wrapup", queue))
            if rng.random() < 0.2:
                steps.append(("paused", ""))
            for state, named in steps:
                if last is not None:
                    wrapups.append(Wrapup(agent, last[0], last[1], at))
                    last = None
                records.append(AgentStateChanged(agent, state, "", named, at))
                if state == "wrapup":
                    last = (named, at)
                # up to a 40-minute wrap-up: some cross an hour, and midnight
                at += round(rng.uniform(1, 2400 if state == "wrapup" else 900), 6)
        records.append(AgentStateChanged(agent, "wrapup", "", "sales", at))
        if last is not None:
            wrapups.append(Wrapup(agent, last[0], last[1], at))
        wrapups.append(Wrapup(agent, "sales", at, None))
    return records, wrapups


def expected(
    calls: list[Call], q: ReportQuery, wrapups: list[Wrapup] | None = None
) -> dict[str, Any]:
    """The report computed in Python from the calls and wrap-ups themselves, one by one."""
    zone = q.zone
    kept = [
        c for c in calls
        if q.first <= datetime.fromtimestamp(c.entered, zone).date() <= q.last
        and q.in_hours(datetime.fromtimestamp(c.entered, zone).hour)
        and (q.queues is None or c.queue in q.queues)
        and (not q.agents or c.agent in q.agents)
    ]  # fmt: skip
    wraps = [
        w for w in wrapups or ()
        if w.end is not None
        and q.first <= datetime.fromtimestamp(w.start, zone).date() <= q.last
        and q.in_hours(datetime.fromtimestamp(w.start, zone).hour)
        and (q.queues is None or w.queue in q.queues)
        and (not q.agents or w.agent in q.agents)
    ]  # fmt: skip

    def metrics(group: list[Call], day: date | None = None, only: str = "") -> dict[str, Any]:
        parts = []
        for name, s in SETTINGS.items():
            if only and name != only:
                continue
            tally = tally_of_calls(
                (c.outcome, c.wait, c.talk, c.hold) for c in group if c.queue == name
            )
            for w in wraps:
                if (
                    w.queue == name
                    and w.end is not None
                    and (day is None or datetime.fromtimestamp(w.start, zone).date() == day)
                ):
                    tally.wrapped_up(w.end - w.start)
            parts.append((tally, s))
        return combined_metrics(parts).as_dict()

    heat = [[0] * 24 for _ in range(7)]
    for c in kept:
        local = datetime.fromtimestamp(c.entered, zone)
        heat[local.weekday()][local.hour] += 1
    return {
        "totals": metrics(kept),
        "by_queue": [
            {"queue": name, **metrics([c for c in kept if c.queue == name], only=name)}
            for name in SETTINGS
        ],
        "by_day": [
            {
                "day": d.isoformat(),
                **metrics(
                    [c for c in kept if datetime.fromtimestamp(c.entered, zone).date() == d], d
                ),
            }
            for d in q.days()
        ],
        "offered": heat,
    }


async def report(store: HistoryStore, q: ReportQuery) -> dict[str, Any]:
    rows = await report_rows(store.engine, q, SETTINGS)
    wrapups = await acw_by_queue(store.engine, q)
    return build_report(rows, q, SETTINGS, queues=list(SETTINGS), wrapups=wrapups)


def close(got: Any, want: Any) -> bool:
    """Counts equal; rounded seconds and percentages within their 0.1 (SQL adds up the
    calls in another order than one by one: a sum on a .x5 may round either way)."""
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(close(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(close(a, b) for a, b in zip(got, want, strict=True))
    if isinstance(got, float) and isinstance(want, float):
        return abs(got - want) <= 0.1 + 1e-9
    return bool(got == want)


def same(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert close(got["totals"], want["totals"]), (got["totals"], want["totals"])
    assert close(got["by_queue"], want["by_queue"]), (got["by_queue"], want["by_queue"])
    assert close(got["by_day"], want["by_day"])
    assert got["heatmap"]["offered"] == want["offered"]


async def test_the_report_equals_the_metrics_of_the_calls_around_a_dst_day(
    store: HistoryStore,
) -> None:
    start = datetime(2024, 10, 25, 22, 0, tzinfo=UTC)
    calls = generate(1, start, hours=96, n=600)
    # Two calls in each of the two 02:30 of 2024-10-27 (the clocks go back at 03:00 CEST).
    for i, at in enumerate((datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
                            datetime(2024, 10, 27, 1, 30, tzinfo=UTC))):  # fmt: skip
        calls.append(Call(f"dst{i}", "sales", at.timestamp(), "answered", 3.0, AGENTS[0], 60.0, 0))
    states, wrapups = work(1, start, hours=96)
    await store.write([r for c in calls for r in c.records()] + states)
    q = ReportQuery(date(2024, 10, 26), date(2024, 10, 28), "Europe/Paris")
    got = await report(store, q)
    want = expected(calls, q, wrapups)
    same(got, want)
    assert got["totals"]["acw"] > 0 and got["by_queue"][1]["acw"] > 0
    # The 25-hour day has both 02:xx hours in its hour 2 (Sunday), and every day is listed.
    assert [d["day"] for d in got["by_day"]] == ["2024-10-26", "2024-10-27", "2024-10-28"]
    sunday_2am = [c for c in calls
                  if datetime.fromtimestamp(c.entered, PARIS).date() == date(2024, 10, 27)
                  and datetime.fromtimestamp(c.entered, PARIS).hour == 2]  # fmt: skip
    assert got["heatmap"]["offered"][6][2] == len(sunday_2am) >= 2
    assert got["heatmap"]["days_counted"] == [1, 0, 0, 0, 0, 1, 1]
    # Distributions and missed calls add up to the calls they count.
    kept = [
        c for c in calls if q.first <= datetime.fromtimestamp(c.entered, PARIS).date() <= q.last
    ]
    assert sum(b["count"] for b in got["wait_answered"]) == got["totals"]["handled"]
    assert sum(b["count"] for b in got["wait_abandoned"]) == got["totals"]["abandoned"]
    assert sum(b["count"] for b in got["wait_answered"] if b["to"] == 20) == sum(
        1 for c in kept if c.outcome == "answered" and 10 < c.wait <= 20
    )
    assert sum(d["abandoned"] + d["timed_out"] for d in got["missed_by_day"]) == sum(
        1 for c in kept if c.outcome in ("abandoned", "timed_out")
    )

    # Hours of the day, one queue, one agent: the same equality.
    for narrowed in (
        ReportQuery(q.first, q.last, q.tz, hours=(8, 18)),
        ReportQuery(q.first, q.last, q.tz, queues=("support",)),
        ReportQuery(q.first, q.last, q.tz, agents=(AGENTS[1],)),
        ReportQuery(date(2024, 10, 27), date(2024, 10, 27), "America/New_York"),
    ):
        result = await report(store, narrowed)
        want = expected(calls, narrowed, wrapups)
        assert close(result["totals"], want["totals"]), narrowed
        assert close(result["by_day"], want["by_day"]), narrowed

    # The list behind the missed figure of one day, newest first, paged.
    day = ReportQuery(date(2024, 10, 27), date(2024, 10, 27), q.tz)
    page, total = await missed_calls(store.engine, day, page=1, per_page=5)
    on_day = sorted(
        (c for c in calls if c.outcome in ("abandoned", "timed_out")
         and datetime.fromtimestamp(c.entered, PARIS).date() == day.first),
        key=lambda c: -c.entered,
    )  # fmt: skip
    assert (
        total
        == len(on_day)
        == got["missed_by_day"][1]["abandoned"] + got["missed_by_day"][1]["timed_out"]
    )
    assert [round(m.entered_at, 3) for m in page] == [round(c.entered, 3) for c in on_day[:5]]


async def test_a_half_hour_zone_is_exact(store: HistoryStore) -> None:
    start = datetime(2024, 3, 1, 0, 0, tzinfo=UTC)
    calls = generate(2, start, hours=72, n=300)
    states, wrapups = work(2, start, hours=72)
    await store.write([r for c in calls for r in c.records()] + states)
    q = ReportQuery(date(2024, 3, 1), date(2024, 3, 3), "Asia/Kolkata", hours=(9, 17))
    assert q.bucket_seconds() == 900
    same(await report(store, q), expected(calls, q, wrapups))


async def test_today_tallies_count_as_the_live_counters(store: HistoryStore) -> None:
    midnight = datetime(2024, 3, 5, 0, 0, tzinfo=UTC)
    calls = generate(3, midnight - timedelta(hours=2), hours=20, n=200)
    states, wrapups = work(3, midnight - timedelta(hours=2), hours=20)
    since = midnight.timestamp()
    # A wrap-up over midnight counts on the day before, not in today's tallies.
    late = "PJSIP/agent1004"
    states += [AgentStateChanged(late, s, "", q, since + t)
               for s, q, t in (("wrapup", "sales", -30), ("ready", "", 30))]  # fmt: skip
    wrapups.append(Wrapup(late, "sales", since - 30, since + 30))
    await store.write([r for c in calls for r in c.records()] + states)
    got = await today_tallies(store.engine, midnight)
    for name in SETTINGS:
        want = Tally()
        for w in wrapups:
            # A wrap-up counts once ended, on the day it started (the model's rule).
            if w.queue == name and w.end is not None and w.start >= since:
                want.wrapped_up(w.end - w.start)
        for c in (c for c in calls if c.queue == name):
            if c.entered >= since:
                want.entered()
            left = c.entered + c.wait
            if c.outcome == "answered" and left >= since:
                want.answered(c.wait)
            elif c.outcome not in (None, "answered") and left >= since:
                want.left(c.outcome, c.wait)  # type: ignore[arg-type]
            if c.talk is not None and left + c.talk >= since:
                want.ended(c.talk, c.hold or 0.0)
        have = got.get(name, Tally())
        assert combined_metrics([(have, SETTINGS[name])]) == combined_metrics(
            [(want, SETTINGS[name])]
        )
        assert have.waits_answered == want.waits_answered
        assert have.waits_abandoned == want.waits_abandoned
        assert have.wrapups == want.wrapups > 0
        assert have.acw == pytest.approx(want.acw)


async def test_callbacks_and_campaigns_of_the_range(store: HistoryStore) -> None:
    """Callback requests made in the range; per campaign of the queues, its dial attempts in
    the range, answered by a person, dropped, and its list penetration."""
    rng = random.Random(4)
    first, last = date(2024, 3, 4), date(2024, 3, 6)
    q = ReportQuery(first, last, "Europe/Paris", queues=("sales",))
    start, end = q.bounds()
    inside = start + (end - start) / 2
    outside = start - timedelta(hours=1)
    now = datetime(2024, 3, 1, tzinfo=UTC)
    campaigns, contacts, attempts, callbacks = [], [], [], []
    want: dict[str, dict[str, Any]] = {}
    for cid, (name, queue) in enumerate((("spring", "sales"), ("other", "support")), start=1):
        campaigns.append({"id": cid, "name": name, "queue": queue, "settings": "{}",
                          "created_at": now, "updated_at": now})  # fmt: skip
        dialled: set[int] = set()
        counts = {"attempts": 0, "answered": 0, "dropped": 0}
        for k in range(10):
            kid = cid * 100 + k
            contacts.append({"id": kid, "campaign_id": cid, "name": "", "number": f"+336{kid}",
                             "timezone": "Europe/Paris", "source": "csv", "status": "pending",
                             "created_at": now, "updated_at": now})  # fmt: skip
            for n in range(rng.randint(0, 2)):
                at = inside if rng.random() < 0.8 else outside
                answered = rng.random() < 0.6
                outcome = (
                    ("dropped" if rng.random() < 0.2 else "connected") if answered else "no_answer"
                )
                attempts.append({"id": f"{kid}-{n}", "campaign_id": cid, "contact_id": kid,
                                 "number": "+33611", "mode": "predictive", "decided_by": "dialer",
                                 "reason": "", "created_at": at,
                                 "answered_at": at if answered else None,
                                 "outcome": outcome})  # fmt: skip
                if at == inside:
                    dialled.add(kid)
                    counts["attempts"] += 1
                    counts["answered"] += answered
                    counts["dropped"] += outcome == "dropped"
        if queue == "sales":
            want[name] = {**counts, "contacts": 10, "contacts_dialled": len(dialled)}
    for i, (status, at) in enumerate(
        [("connected", inside), ("expired", inside), ("failed", inside), ("no_answer", inside),
         ("waiting", inside), ("connected", outside)]
    ):  # fmt: skip
        callbacks.append({"id": f"{i:032x}", "queue": "sales", "number": "+33611",
                          "original_uniqueid": f"u{i}", "joined_at": at, "requested_at": at,
                          "position": 1, "expires_at": at, "status": status})  # fmt: skip
    async with store.engine.begin() as conn:
        await conn.execute(CampaignRow.__table__.insert(), campaigns)
        await conn.execute(ContactRow.__table__.insert(), contacts)
        await conn.execute(AttemptRow.__table__.insert(), attempts)
        await conn.execute(CallbackRow.__table__.insert(), callbacks)
    got = await campaign_rows(store.engine, q)
    assert [row["campaign"] for row in got] == ["spring"]
    [spring] = got
    expect = want["spring"]
    assert {k: spring[k] for k in expect} == expect
    assert spring["drop_rate"] == drop_rate(expect["dropped"], expect["answered"])
    assert spring["list_penetration"] == list_penetration(expect["contacts_dialled"], 10)
    assert await callback_counts(store.engine, q) == {
        "requested": 5, "connected": 1, "expired": 1, "failed": 2
    }  # fmt: skip
