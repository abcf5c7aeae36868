"""The agent performance report (AN-2) and an agent's state timeline, from the history.

Runs in the web process only (never the bridge's event loop): the SQL reads rows in a range
with plain comparisons (identical on PostgreSQL and SQLite, using the ``(agent, at)`` and
``(device, started_at)`` indexes), and the aggregation runs in a thread
(``asyncio.to_thread``).

Definitions (README, "Agent state history"):

- An agent is a device interface. Their state intervals are their consecutive
  ``agent_states`` transitions; the last one lasts until now. Before an agent's first
  transition they were logged out. Intervals are clipped to the range (local days ``from``
  to ``to`` inclusive, in ``tz``) and to the hours of the day (``hours=8-18``: from 08:00
  to 18:00 each local day, DST days included).
- ``logged_in`` = the sum of every state but ``logged_out``.
- Calls taken, counted at their answer (queue calls: ``answered_at``; direct calls: the
  start of an answered ``device_calls`` row, which has no answer time), in the same windows:
  ``queue`` (queue_calls answered by the agent), ``direct_in`` / ``direct_out``
  (device_calls answered), ``campaign`` (dial attempts connected to the agent: a progressive
  or preview call on their phone, or a predictive call through the campaign's queue; those
  calls are campaign calls, not queue or direct calls).
- Talk includes hold (Asterisk's talk time does). After-call work is the wrap-up interval
  that follows a call, attributed to that call (its type and queue).
- AHT = (talk + after-call work) / calls. Occupancy = handling / (handling + ready);
  utilisation = handling / logged-in; handling = talking + hold + wrap-up.
- ``queues`` selects the agents who were members of those queues (a login recorded in
  one) or answered their calls, and the queue and campaign calls of those queues; an
  agent's state times are theirs across all their queues.
"""

from __future__ import annotations

import asyncio
import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.acd.agent_states import AGENT_STATES
from standardiste.acd.metrics import occupancy, utilisation
from standardiste.history import agent_report_units
from standardiste.history.models import (
    AgentEventRow,
    AgentStateRow,
    DeviceCallRow,
    QueueCall,
    QueueMemberName,
)
from standardiste.outbound.tables import AttemptRow, CampaignRow

CALL_TYPES = ("queue", "direct_in", "direct_out", "campaign")
HANDLING = ("talking", "hold", "wrapup")
MAX_TIMELINE_DAYS = 31
# A wrap-up follows the call whose end is at most this long before it (AgentComplete and
# the member's status come within milliseconds; a resync may add a little).
_ACW_SLACK = 2.0
_CALLS_BEFORE = 6 * 3600.0

_AS = AgentStateRow.__table__.c
_QC = QueueCall.__table__.c
_DC = DeviceCallRow.__table__.c
_AE = AgentEventRow.__table__.c
_AT = AttemptRow.__table__.c
_CP = CampaignRow.__table__.c


# -------------------------------------------------------------------- filters and windows
@dataclass(frozen=True, slots=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    tz: str
    queues: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    hours: tuple[int, int] | None = None  # [from, to) hours of the local day


def parse_hours(text: str) -> tuple[int, int]:
    """``8-18`` -> (8, 18): from 08:00 to 18:00. ValueError when malformed."""
    first, sep, last = text.partition("-")
    if not sep or not first.strip().isdigit() or not last.strip().isdigit():
        raise ValueError("hours: FROM-TO, whole hours of the day (e.g. 8-18)")
    a, b = int(first), int(last)
    if not 0 <= a < b <= 24:
        raise ValueError("hours: 0 <= FROM < TO <= 24")
    return a, b


def _local(day: date, hour: int, zone: ZoneInfo) -> float:
    """Epoch seconds of ``hour``:00 of local ``day`` (24: the next midnight)."""
    if hour == 24:
        day, hour = day + timedelta(days=1), 0
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone).timestamp()


def windows(filters: ReportFilters) -> list[tuple[float, float]]:
    """The report's time windows, as epoch seconds: one per local day, or the whole range."""
    zone = ZoneInfo(filters.tz)
    if filters.hours is None:
        return [(_local(filters.start, 0, zone), _local(filters.end, 24, zone))]
    a, b = filters.hours
    out = []
    day = filters.start
    while day <= filters.end:
        out.append((_local(day, a, zone), _local(day, b, zone)))
        day += timedelta(days=1)
    return out


def overlap(start: float, end: float, wins: Sequence[tuple[float, float]]) -> float:
    """Seconds of [start, end) inside the sorted, disjoint windows ``wins``."""
    if end <= start:
        return 0.0
    total = 0.0
    i = bisect.bisect_right(wins, (start, float("inf"))) - 1
    i = max(i, 0)
    while i < len(wins) and wins[i][0] < end:
        lo, hi = max(start, wins[i][0]), min(end, wins[i][1])
        if hi > lo:
            total += hi - lo
        i += 1
    return total


def inside(at: float, wins: Sequence[tuple[float, float]]) -> bool:
    i = bisect.bisect_right(wins, (at, float("inf"))) - 1
    return i >= 0 and wins[i][0] <= at < wins[i][1]


# -------------------------------------------------------------------- rows
@dataclass(frozen=True, slots=True)
class Interval:
    agent: str
    state: str
    reason: str
    queue: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class CallRow:
    agent: str
    type: str  # one of CALL_TYPES
    queue: str
    start: float
    end: float
    talk: float
    hold: float


@dataclass(slots=True)
class Source:
    """What the report reads from SQL, before any aggregation."""

    transitions: list[tuple[str, float, str, str, str]] = field(default_factory=list)
    calls: list[CallRow] = field(default_factory=list)
    agents: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # interface -> member name


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def intervals(
    transitions: Iterable[tuple[str, float, str, str, str]], until: float
) -> list[Interval]:
    """Consecutive transitions (agent, at, state, reason, queue) of each agent as intervals:
    each lasts until the agent's next one, the last until ``until``."""
    by_agent: dict[str, list[tuple[float, str, str, str]]] = defaultdict(list)
    for agent, at, state, reason, queue in transitions:
        by_agent[agent].append((at, state, reason, queue))
    out: list[Interval] = []
    for agent, rows in by_agent.items():
        for i, (at, state, reason, queue) in enumerate(rows):  # already in (at, id) order
            end = rows[i + 1][0] if i + 1 < len(rows) else max(at, until)
            out.append(Interval(agent, state, reason, queue, at, end))
    return out


async def _transitions(
    engine: AsyncEngine, agents: Sequence[str] | None, start: float, end: float
) -> list[tuple[str, float, str, str, str]]:
    """Each agent's transitions in [start, end), after their last one before ``start``."""
    cols = (_AS.agent, _AS.at, _AS.state, _AS.reason, _AS.queue, _AS.id)
    rank = (
        func.row_number().over(partition_by=_AS.agent, order_by=(_AS.at.desc(), _AS.id.desc()))
    ).label("rank")
    before = select(*cols, rank).where(_AS.at < _ts(start))
    within = select(*cols).where(_AS.at >= _ts(start), _AS.at < _ts(end))
    if agents is not None:
        before = before.where(_AS.agent.in_(agents))
        within = within.where(_AS.agent.in_(agents))
    last = before.subquery()
    async with engine.connect() as conn:
        if agents is not None:  # each one's last transition before: an (agent, at) lookup
            first = []
            for agent in agents:
                newest = (_AS.at.desc(), _AS.id.desc())
                row = (
                    await conn.execute(
                        select(*cols)
                        .where(_AS.agent == agent, _AS.at < _ts(start))
                        .order_by(*newest)
                        .limit(1)
                    )
                ).first()
                if row is not None:
                    first.append(row)
        else:
            first = list(
                (
                    await conn.execute(
                        select(*(last.c[c.name] for c in cols)).where(last.c.rank == 1)
                    )
                ).all()
            )
        rest = (await conn.execute(within)).all()
    rows = sorted([*first, *rest], key=lambda r: (r[0], r[1], r[5]))
    return [(r[0], r[1].timestamp(), r[2], r[3], r[4]) for r in rows]


async def _calls(
    engine: AsyncEngine, agents: Sequence[str] | None, start: float, end: float
) -> list[CallRow]:
    """The calls agents took that started in [start, end), each with its type."""
    lo, hi = _ts(start), _ts(end)
    queue_q = select(
        _QC.uniqueid, _QC.agent, _QC.queue, _QC.answered_at, _QC.completed_at, _QC.talk, _QC.hold
    ).where(_QC.answered_at >= lo, _QC.answered_at < hi, _QC.agent.is_not(None))
    device_q = select(
        _DC.uniqueid, _DC.device, _DC.direction, _DC.started_at, _DC.ended_at, _DC.talk
    ).where(_DC.answered.is_(True), _DC.started_at >= lo, _DC.started_at < hi)
    attempt_q = (
        select(_AT.id, _AT.device, _CP.queue, _AT.connected_at, _AT.ended_at, _AT.talk_seconds)
        .join(CampaignRow, _CP.id == _AT.campaign_id)
        .where(_AT.connected_at >= lo, _AT.connected_at < hi, _AT.device.is_not(None))
    )
    if agents is not None:
        queue_q = queue_q.where(_QC.agent.in_(agents))
        device_q = device_q.where(_DC.device.in_(agents))
        attempt_q = attempt_q.where(_AT.device.in_(agents))
    async with engine.connect() as conn:
        queued = (await conn.execute(queue_q)).all()
        direct = (await conn.execute(device_q)).all()
        attempts = (await conn.execute(attempt_q)).all()
    campaign = {a[0]: a for a in attempts}
    matched: set[str] = set()
    calls: list[CallRow] = []

    def attempt_of(uniqueid: str) -> str | None:
        # The originated channel's uniqueid is the attempt's id; a Local channel's other
        # half is "<id>-2" (outbound/engine.py).
        base = uniqueid.removesuffix("-2")
        return base if base in campaign else None

    for uid, agent, queue, answered, completed, talk, hold in queued:
        start_s = answered.timestamp()
        end_s = completed.timestamp() if completed else start_s + (talk or 0.0)
        attempt = attempt_of(uid)
        if attempt is not None:
            matched.add(attempt)
        kind = "campaign" if attempt is not None else "queue"
        calls.append(CallRow(agent, kind, queue, start_s, end_s, talk or 0.0, hold or 0.0))
    for uid, device, direction, started, ended, talk in direct:
        attempt = attempt_of(uid)
        if attempt is not None:
            matched.add(attempt)
            kind, queue = "campaign", campaign[attempt][2]
        else:
            kind, queue = ("direct_in" if direction == "inbound" else "direct_out"), ""
        calls.append(
            CallRow(device, kind, queue, started.timestamp(), ended.timestamp(), talk, 0.0)
        )
    for aid, device, queue, connected, ended, talk in attempts:
        if aid in matched:
            continue
        start_s = connected.timestamp()
        end_s = ended.timestamp() if ended else start_s + (talk or 0.0)
        calls.append(CallRow(device, "campaign", queue, start_s, end_s, talk or 0.0, 0.0))
    return calls


async def _agents_of_queues(
    engine: AsyncEngine, queues: Sequence[str], start: float, end: float
) -> set[str]:
    """The agents who were members of ``queues`` (a login recorded before ``end``) or
    answered one of their calls in [start, end)."""
    logins = (
        select(_AE.agent)
        .where(_AE.queue.in_(queues), _AE.action == "login", _AE.at < _ts(end))
        .distinct()
    )
    answered = (
        select(_QC.agent)
        .where(
            _QC.queue.in_(queues),
            _QC.answered_at >= _ts(start),
            _QC.answered_at < _ts(end),
            _QC.agent.is_not(None),
        )
        .distinct()
    )
    async with engine.connect() as conn:
        found = set((await conn.scalars(logins)).all())
        found |= set((await conn.scalars(answered)).all())
    return found


async def _member_names(engine: AsyncEngine) -> dict[str, str]:
    t = QueueMemberName.__table__.c
    async with engine.connect() as conn:
        rows = (await conn.execute(select(t.interface, t.member_name, t.updated_at))).all()
    names: dict[str, str] = {}
    for interface, name, _ in sorted(rows, key=lambda r: r[2]):
        names[interface] = name  # the most recent name of the interface
    return names


async def _wanted(
    engine: AsyncEngine,
    filters: ReportFilters,
    allowed: frozenset[str] | None,
    start: float,
    end: float,
) -> list[str] | None:
    """The agents the report reads (None: every agent)."""
    wanted: set[str] | None = set(filters.agents) if filters.agents else None
    if filters.queues:
        members = await _agents_of_queues(engine, filters.queues, start, end)
        wanted = members if wanted is None else wanted & members
    if allowed is not None:
        wanted = set(allowed) if wanted is None else wanted & allowed
    return None if wanted is None else sorted(wanted)


async def read_source(
    engine: AsyncEngine,
    filters: ReportFilters,
    allowed: frozenset[str] | None,
    now: float,
) -> Source:
    """The rows of the report: ``allowed`` the agents the user may see (None: all)."""
    wins = windows(filters)
    start, end = wins[0][0], min(wins[-1][1], max(now, wins[0][0]))
    agents = await _wanted(engine, filters, allowed, start, end)
    if agents == []:
        return Source()
    source = Source(names=await _member_names(engine))
    source.transitions = await _transitions(engine, agents, start, end)
    # From a little earlier: the wrap-up at the range's start follows a call before it.
    calls = await _calls(engine, agents, start - _CALLS_BEFORE, end)
    source.calls = calls
    source.agents = set(filters.agents) if filters.agents else set()
    if agents is not None and filters.queues:
        source.agents |= set(agents)
    source.agents |= {t[0] for t in source.transitions}
    source.agents |= {c.agent for c in calls if c.start >= start and _counted(c, filters.queues)}
    if allowed is not None:
        source.agents &= allowed
    return source


# -------------------------------------------------------------------- aggregation
def _r(seconds: float) -> float:
    return round(seconds, 1)


@dataclass(slots=True)
class _Tally:
    states: dict[str, float] = field(default_factory=lambda: dict.fromkeys(AGENT_STATES, 0.0))
    paused: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CALL_TYPES, 0))
    work: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CALL_TYPES, 0.0))
    # queue -> [calls, talk, hold, acw]
    queues: dict[str, list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    )

    def add(self, other: _Tally) -> None:
        for k, v in other.states.items():
            self.states[k] += v
        for k, v in other.paused.items():
            self.paused[k] += v
        for k, n in other.calls.items():
            self.calls[k] += n
        for k, v in other.work.items():
            self.work[k] += v
        for q, figures in other.queues.items():
            mine = self.queues[q]
            for i, value in enumerate(figures):
                mine[i] += value

    def to_dict(self) -> dict[str, Any]:
        logged_in = sum(v for k, v in self.states.items() if k != "logged_out")
        handling = sum(self.states[k] for k in HANDLING)
        total = sum(self.calls.values())
        aht = {k: (_r(self.work[k] / n) if (n := self.calls[k]) else None) for k in CALL_TYPES}
        aht["all"] = _r(sum(self.work.values()) / total) if total else None
        return {
            "states": {k: _r(v) for k, v in self.states.items()},
            "paused_by_reason": {k: _r(v) for k, v in sorted(self.paused.items())},
            "logged_in": _r(logged_in),
            "calls": {**self.calls, "total": total},
            "aht": aht,
            "by_queue": [
                {
                    "queue": q,
                    "calls": int(n),
                    "aht": _r((talk + acw) / n) if n else None,
                    "talk": _r(talk),
                    "hold": _r(hold),
                    "acw": _r(acw),
                }
                for q, (n, talk, hold, acw) in sorted(self.queues.items())
            ],
            "occupancy": occupancy(handling, self.states["ready"]),
            "utilisation": utilisation(handling, logged_in),
        }


def _counted(call: CallRow, queues: tuple[str, ...]) -> bool:
    """A call of the selected queues (direct calls are the agent's, in any queue)."""
    return not queues or call.type in ("direct_in", "direct_out") or call.queue in queues


def _tally_agent(
    agent_intervals: list[Interval],
    calls: list[CallRow],
    wins: Sequence[tuple[float, float]],
    range_start: float,
    queues: tuple[str, ...],
) -> _Tally:
    tally = _Tally()
    first = min((i.start for i in agent_intervals), default=None)
    if first is None or first > range_start:  # before their first transition: logged out
        tally.states["logged_out"] += overlap(
            range_start, first if first is not None else wins[-1][1], wins
        )
    ended = sorted(calls, key=lambda c: c.end)
    ends = [c.end for c in ended]
    for i in agent_intervals:
        seconds = overlap(i.start, i.end, wins)
        tally.states[i.state] = tally.states.get(i.state, 0.0) + seconds
        if i.state == "paused":
            tally.paused[i.reason] += seconds
        if i.state == "wrapup" and seconds:
            # the call this wrap-up follows: the last one ended by its start
            k = bisect.bisect_right(ends, i.start + _ACW_SLACK) - 1
            call = ended[k] if k >= 0 and ended[k].end >= i.start - 3600 else None
            kind = call.type if call is not None else "queue"
            queue = call.queue if call is not None else i.queue
            if queues and queue not in queues and kind not in ("direct_in", "direct_out"):
                continue  # after-call work of a call of another queue
            tally.work[kind] += seconds
            if kind in ("queue", "campaign") and queue:
                tally.queues[queue][3] += seconds
    for c in calls:
        if not inside(c.start, wins) or not _counted(c, queues):
            continue
        tally.calls[c.type] += 1
        tally.work[c.type] += c.talk
        if c.type in ("queue", "campaign") and c.queue:
            figures = tally.queues[c.queue]
            figures[0] += 1
            figures[1] += c.talk
            figures[2] += c.hold
    return tally


def build_report(
    source: Source,
    filters: ReportFilters,
    now: float,
    directory: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """The report's body (pure: runs in a thread)."""
    wins = windows(filters)
    range_start, range_end = wins[0][0], wins[-1][1]
    # Nothing is counted after now (the last state lasts until now, not until the range's end).
    wins = [(a, min(b, now)) for a, b in wins if a < now]
    by_agent: dict[str, list[Interval]] = defaultdict(list)
    for i in intervals(source.transitions, min(now, range_end)):
        by_agent[i.agent].append(i)
    calls_of: dict[str, list[CallRow]] = defaultdict(list)
    for c in source.calls:
        calls_of[c.agent].append(c)
    tallies = {
        agent: _tally_agent(
            by_agent.get(agent, []), calls_of.get(agent, []), wins, range_start, filters.queues
        )
        for agent in source.agents
        if wins
    }
    return _assemble(source.agents, tallies, source.names, filters, directory)


def _assemble(
    listed: set[str],
    tallies: dict[str, _Tally],
    names: dict[str, str],
    filters: ReportFilters,
    directory: dict[str, dict[str, str]],
) -> dict[str, Any]:
    totals = _Tally()
    agents = []
    for agent in sorted(listed):
        tally = tallies.get(agent) or _Tally()
        worked = any(v for k, v in tally.states.items() if k != "logged_out")
        if not worked and not any(tally.calls.values()) and agent not in filters.agents:
            continue  # logged out all along (an agent of long ago): listed only when asked for
        totals.add(tally)
        owner = directory.get(agent, {})
        agents.append(
            {
                "agent": agent,
                "name": owner.get("display_name") or names.get(agent) or agent,
                "username": owner.get("username"),
                **tally.to_dict(),
            }
        )
    return {"agents": agents, "totals": totals.to_dict()}


async def agent_report(
    engine: AsyncEngine,
    filters: ReportFilters,
    *,
    allowed: frozenset[str] | None,
    now: float,
    directory: dict[str, dict[str, str]],
) -> dict[str, Any]:
    if engine.dialect.name == "postgresql":
        return await _report_pg(engine, filters, allowed, now, directory)
    source = await read_source(engine, filters, allowed, now)
    return await asyncio.to_thread(build_report, source, filters, now, directory)


def _days(filters: ReportFilters) -> list[agent_report_units.Day]:
    """The report's local days, each with its windows (the hours of the day, or all of it)."""
    zone = ZoneInfo(filters.tz)
    out = []
    day = filters.start
    while day <= filters.end:
        lo, hi = _local(day, 0, zone), _local(day, 24, zone)
        if filters.hours is None:
            wins: tuple[tuple[float, float], ...] = ((lo, hi),)
        else:
            wins = ((_local(day, filters.hours[0], zone), _local(day, filters.hours[1], zone)),)
        out.append(agent_report_units.Day(day, lo, hi, wins))
        day += timedelta(days=1)
    return out


def _of_queues(kind: str, queue: str, queues: Sequence[str]) -> bool:
    """A call or its after-call work counts in a report of ``queues`` (a direct call: any)."""
    return not queues or kind in ("direct_in", "direct_out") or queue in queues


async def _report_pg(
    engine: AsyncEngine,
    filters: ReportFilters,
    allowed: frozenset[str] | None,
    now: float,
    directory: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """The same report, aggregated by PostgreSQL (:mod:`agent_report_pg`): a few rows per
    agent instead of every transition and call of the range."""
    all_wins = windows(filters)
    range_start, range_end = all_wins[0][0], all_wins[-1][1]
    start, end = range_start, min(range_end, max(now, range_start))
    wins = [(a, min(b, now)) for a, b in all_wins if a < now]
    agents = await _wanted(engine, filters, allowed, start, end)
    if agents == [] or not wins:
        source = await read_source(engine, filters, allowed, now)  # nothing to aggregate
        return await asyncio.to_thread(build_report, source, filters, now, directory)
    found = await agent_report_units.by_day(
        engine, agents, _days(filters), agent_report_units.params_of(filters.tz, filters.hours),
        now=now, calls_before=_CALLS_BEFORE, slack=_ACW_SLACK,
    )  # fmt: skip
    listed = set(filters.agents)
    if agents is not None and filters.queues:
        listed |= set(agents)
    listed |= set(found.states) | set(found.calls)
    if allowed is not None:
        listed &= allowed
    tallies: dict[str, _Tally] = {}
    for agent in listed:
        tally = tallies[agent] = _Tally()
        first = found.first.get(agent)
        if first is None or first > range_start:  # before their first transition: logged out
            tally.states["logged_out"] += overlap(
                range_start, first if first is not None else wins[-1][1], wins
            )
        for (state, reason), seconds in found.states.get(agent, {}).items():
            tally.states[state] = tally.states.get(state, 0.0) + seconds
            if state == "paused":
                tally.paused[reason] += seconds
        for (kind, queue), seconds in found.acw.get(agent, {}).items():
            if not _of_queues(kind, queue, filters.queues):
                continue
            tally.work[kind] += seconds
            if kind in ("queue", "campaign") and queue:
                tally.queues[queue][3] += seconds
        for (kind, queue), (n, talk, hold) in found.calls.get(agent, {}).items():
            if not n or not _of_queues(kind, queue, filters.queues):
                continue
            tally.calls[kind] += n
            tally.work[kind] += talk
            if kind in ("queue", "campaign") and queue:
                figures = tally.queues[queue]
                figures[0] += n
                figures[1] += talk
                figures[2] += hold
    return _assemble(listed, tallies, await _member_names(engine), filters, directory)


# -------------------------------------------------------------------- timeline
def timeline_of(
    transitions: list[tuple[str, float, str, str, str]],
    filters: ReportFilters,
    now: float,
) -> list[dict[str, Any]]:
    """The agent's intervals clipped to the range, consecutive ones of the same state and
    reason merged (a call's queue is learnt a moment after the phone is in use)."""
    (start, end), zone = windows(filters)[0], ZoneInfo(filters.tz)
    end = min(end, now)
    merged: list[list[Any]] = []
    first = transitions[0][1] if transitions else end
    if first > start:  # before their first transition they were logged out (as the report)
        merged.append(["logged_out", "", "", start, min(first, end)])
    for i in intervals(transitions, end):
        lo, hi = max(i.start, start), min(i.end, end)
        if hi <= lo:
            continue
        if (
            merged
            and merged[-1][0] == i.state
            and merged[-1][1] == i.reason
            and merged[-1][4] == lo
        ):
            merged[-1][4] = hi
            merged[-1][2] = merged[-1][2] or i.queue
        else:
            merged.append([i.state, i.reason, i.queue, lo, hi])
    return [
        {
            "state": state,
            "reason": reason,
            "queue": queue or None,
            "start": datetime.fromtimestamp(lo, zone).isoformat(),
            "end": datetime.fromtimestamp(hi, zone).isoformat(),
        }
        for state, reason, queue, lo, hi in merged
    ]


async def agent_timeline(
    engine: AsyncEngine, agent: str, filters: ReportFilters, now: float
) -> list[dict[str, Any]]:
    start, end = windows(filters)[0]
    transitions = await _transitions(engine, [agent], start, min(end, max(now, start)))
    return await asyncio.to_thread(timeline_of, transitions, filters, now)


__all__ = [
    "CALL_TYPES",
    "MAX_TIMELINE_DAYS",
    "ReportFilters",
    "agent_report",
    "agent_timeline",
    "build_report",
    "occupancy",
    "parse_hours",
    "utilisation",
    "windows",
]
