"""The agent report's aggregates (:func:`agent_report_pg.aggregates`) summed over local
days, each closed day of each agent (or of every agent: key ``*``) read from its report
unit (:mod:`standardiste.history.report_units`) once computed. A year's report for every
agent reads 365 units instead of sorting four million transitions.

A day's unit is what :func:`agent_report_pg.aggregates` gives for that day alone: the
agents' state seconds in the day's windows, their first transition, their calls that
started in them per (type, queue) and the after-call work per (type, queue), every queue
(a report's queue filter is applied when they are summed). A day is computed as a report of
that day is: the state the agent was in when it began from their last transition before
it, the calls from :data:`CALLS_BEFORE` before it for the wrap-ups' attribution. Summed, the
days give the report of the range (state seconds, calls and after-call work add up; the
first transition is the smallest), to the rounding of the sums.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.history import report_units
from standardiste.history.agent_report_pg import Aggregates, aggregates
from standardiste.history.report_units import AGENT, ALL, SETTLE, Unit

KIND = "agent_day"
PARALLEL = 3  # days computed at once (each one statement)


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    lo: float  # the local day's first instant (epoch s)
    hi: float  # the next day's
    windows: tuple[tuple[float, float], ...]  # the report's windows in it


def _encode(found: Aggregates, agent: str) -> dict[str, Any]:
    return {
        "states": [[s, r, v] for (s, r), v in found.states.get(agent, {}).items()],
        "first": found.first.get(agent),
        "calls": [[k, q, *v] for (k, q), v in found.calls.get(agent, {}).items()],
        "acw": [[k, q, v] for (k, q), v in found.acw.get(agent, {}).items()],
    }


def _add(total: Aggregates, agent: str, data: dict[str, Any]) -> None:
    if data["states"]:
        states = total.states.setdefault(agent, {})
        for s, r, v in data["states"]:
            states[s, r] = states.get((s, r), 0.0) + float(v)
    if data["first"] is not None:
        total.first[agent] = min(float(data["first"]), total.first.get(agent, float("inf")))
    if data["calls"]:
        calls = total.calls.setdefault(agent, {})
        for k, q, n, talk, hold in data["calls"]:
            was = calls.get((k, q), (0, 0.0, 0.0))
            calls[k, q] = (was[0] + int(n), was[1] + float(talk), was[2] + float(hold))
    if data["acw"]:
        acw = total.acw.setdefault(agent, {})
        for k, q, v in data["acw"]:
            acw[k, q] = acw.get((k, q), 0.0) + float(v)


def _agents_of(found: Aggregates) -> set[str]:
    return set(found.states) | set(found.first) | set(found.calls) | set(found.acw)


async def by_day(
    engine: AsyncEngine,
    agents: Sequence[str] | None,
    days: Sequence[Day],
    params: str,
    *,
    now: float,
    calls_before: float,
    slack: float,
) -> Aggregates:
    """The aggregates of ``agents`` (None: every agent) over ``days``, every queue."""
    closed = [d for d in days if d.hi <= now - SETTLE]
    keys = [ALL] if agents is None else list(agents)
    seq = await report_units.current_seq(engine)
    started = time.time()
    have = await report_units.read(engine, KIND, params, keys, [d.day for d in closed])
    missing: dict[date, list[str]] = {}
    for d in closed:
        for k in keys:
            if (k, d.day) not in have:
                missing.setdefault(d.day, []).append(k)
    todo = [d for d in days if d.day in missing or d not in closed]
    gate = asyncio.Semaphore(PARALLEL)

    async def compute(d: Day) -> tuple[Day, Aggregates]:
        wins = [(a, min(b, now)) for a, b in d.windows if a < now]
        if not wins:
            return d, Aggregates()
        async with gate:
            found = await aggregates(
                engine,
                None if keys == [ALL] else missing.get(d.day, keys),
                (),
                d.lo,
                min(d.hi, max(now, d.lo)),
                min(now, d.hi),
                wins,
                d.lo - calls_before,
                slack,
            )
        return d, found

    total = Aggregates()
    computed: dict[Unit, Any] = {}
    for d, found in await asyncio.gather(*(compute(d) for d in todo)):
        if keys == [ALL]:
            data: dict[str, Any] = {a: _encode(found, a) for a in sorted(_agents_of(found))}
            for agent, part in data.items():
                _add(total, agent, part)
            if d.day in missing:
                computed[Unit(KIND, params, AGENT, ALL, d.day, d.lo - calls_before, d.hi)] = data
            continue
        for agent in missing.get(d.day, keys):
            part = _encode(found, agent)
            _add(total, agent, part)
            if d.day in missing:
                computed[Unit(KIND, params, AGENT, agent, d.day, d.lo - calls_before, d.hi)] = part
    await report_units.store(engine, computed, seq, started)
    for (key, _), data in have.items():
        if key == ALL:
            for agent, part in data.items():
                _add(total, agent, part)
        else:
            _add(total, key, data)
    return total


def params_of(tz: str, hours: tuple[int, int] | None) -> str:
    return json.dumps({"tz": tz, "hours": list(hours) if hours else None})


__all__ = ["KIND", "Day", "by_day", "params_of"]
