"""A year of a 100-agent contact center, simulated, for the reports benchmark.

Not random rows: a small discrete-event simulation, so the history is internally consistent
(an agent takes one call at a time, waits come from agents being busy, wrap-up follows each
call, pauses take agents out of the pool) and the reports have something real to chew on.

- 10 queues, each agent assigned to 3 of them; two shifts on weekdays (08-16, 12-20, 50
  agents each) and 20 agents on Saturday 09-13; Sunday closed.
- Arrivals: a Poisson process per queue with a daily profile (morning and afternoon peaks),
  scaled so the year holds ``target_calls`` queue calls.
- Each arrival goes to the agent of its queue's pool who is free first (app_queue's
  ``rrmemory`` is close enough for volume); the agent's phone rings 2-8 s; a caller whose
  wait would exceed their patience (exponential, mean 90 s) abandons; the queue's max wait
  (300 s) times them out; 1% are withdrawn (transferred) by a supervisor.
- Talk lognormal (median 150 s), 20% of calls have a hold, wrap-up 20 s; each agent takes a
  15 min break mid-morning and mid-afternoon and 45 min lunch, with a reason.

Deterministic for a seed. Rows come out as tuples in the tables' column order, in chunks.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

QUEUES = [f"q{i:02d}" for i in range(10)]
QUEUE_COLUMNS = (
    "uniqueid",
    "queue",
    "caller_number",
    "caller_name",
    "entered_at",
    "answered_at",
    "agent",
    "member_name",
    "wait",
    "outcome",
    "talk",
    "hold",
    "ended_by",
    "completed_at",
)
EVENT_COLUMNS = ("key", "agent", "queue", "action", "reason", "by", "forced", "at")
STATE_COLUMNS = ("key", "agent", "at", "state", "reason", "queue")
CONTACT_COLUMNS = ("id", "campaign_id", "name", "number", "timezone", "source", "status",
                   "attempts", "created_at", "updated_at")  # fmt: skip
ATTEMPT_COLUMNS = ("id", "campaign_id", "contact_id", "number", "mode", "agent", "device",
                   "decided_by", "reason", "created_at", "originated_at", "answered_at",
                   "connected_at", "ended_at", "outcome", "dialstatus", "settled_by",
                   "talk_seconds")  # fmt: skip
CALLBACK_COLUMNS = ("id", "queue", "number", "caller_name", "original_uniqueid", "joined_at",
                    "requested_at", "position", "expires_at", "status", "agent",
                    "answered_at", "ended_at")  # fmt: skip
CAMPAIGN_QUEUE = "q09"
DEVICE_COLUMNS = (
    "uniqueid",
    "device",
    "direction",
    "peer_number",
    "answered",
    "talk",
    "started_at",
    "ended_at",
)

# Relative arrival intensity per local hour, weekdays (the center opens 08-20).
PROFILE = {8: 0.6, 9: 1.2, 10: 1.4, 11: 1.3, 12: 0.9, 13: 0.9, 14: 1.2, 15: 1.3, 16: 1.1,
           17: 0.9, 18: 0.6, 19: 0.4}  # fmt: skip
SATURDAY = {9: 0.5, 10: 0.6, 11: 0.6, 12: 0.4}
RING = (2.0, 8.0)
PATIENCE_MEAN = 90.0
MAX_WAIT = 300.0
WRAPUP = 20.0
TALK_MEDIAN = 150.0


@dataclass(slots=True)
class Agent:
    interface: str
    name: str
    queues: tuple[str, ...]
    start: float = 0.0  # shift of the day (epoch)
    end: float = 0.0
    free_at: float = 0.0
    breaks: list[tuple[float, float, str]] = field(default_factory=list)


@dataclass
class Year:
    """What the simulation wrote, per table (lists of tuples in the COLUMNS order)."""

    queue_calls: list[tuple[object, ...]] = field(default_factory=list)
    agent_events: list[tuple[object, ...]] = field(default_factory=list)
    agent_states: list[tuple[object, ...]] = field(default_factory=list)
    device_calls: list[tuple[object, ...]] = field(default_factory=list)
    contacts: list[tuple[object, ...]] = field(default_factory=list)
    attempts: list[tuple[object, ...]] = field(default_factory=list)
    callbacks: list[tuple[object, ...]] = field(default_factory=list)


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(round(epoch, 3), UTC)


def agents(n: int = 100) -> list[Agent]:
    out = []
    for i in range(n):
        q = [QUEUES[i % 10], QUEUES[(i + 3) % 10], QUEUES[(i + 7) % 10]]
        out.append(Agent(f"PJSIP/agent{2000 + i}", f"Agent {2000 + i}", tuple(q)))
    return out


def _day_rate(day: date) -> dict[int, float]:
    wd = day.weekday()
    if wd == 6:
        return {}
    return SATURDAY if wd == 5 else PROFILE


def simulate(
    first: date,
    days: int,
    tz: str = "Europe/Paris",
    target_calls: int = 1_050_000,
    n_agents: int = 100,
    seed: int = 1,
) -> Iterator[tuple[date, Year]]:
    """Day by day, the rows of that day."""
    rng = random.Random(seed)
    zone = ZoneInfo(tz)
    staff = agents(n_agents)
    weight = sum(sum(_day_rate(first + timedelta(d)).values()) for d in range(days))
    per_unit = target_calls / weight  # calls per unit of profile-hour, all queues
    seq = 0
    for d in range(days):
        day = first + timedelta(d)
        profile = _day_rate(day)
        year = Year()
        if not profile:
            yield day, year
            continue

        def at(hour: float, day: date = day) -> float:
            h, m = int(hour), int(round((hour - int(hour)) * 60))
            return datetime(day.year, day.month, day.day, h, m, tzinfo=zone).timestamp()

        working: list[Agent] = []
        saturday = day.weekday() == 5
        for i, agent in enumerate(staff):
            if saturday and i >= 20:
                continue
            if saturday:
                agent.start, agent.end = at(9), at(13)
                agent.breaks = []
            elif i % 2 == 0:
                agent.start, agent.end = at(8), at(16)
                agent.breaks = [(at(10.25), at(10.5), "break"), (at(12), at(12.75), "lunch"),
                                (at(14.5), at(14.75), "break")]  # fmt: skip
            else:
                agent.start, agent.end = at(12), at(20)
                agent.breaks = [(at(14.25), at(14.5), "break"), (at(16), at(16.75), "lunch"),
                                (at(18.5), at(18.75), "break")]  # fmt: skip
            agent.free_at = agent.start
            working.append(agent)
            for q in agent.queues:
                for action, when, reason in (
                    [("login", agent.start, "")]
                    + [
                        x
                        for b in agent.breaks
                        for x in (("pause", b[0], b[2]), ("resume", b[1], ""))
                    ]
                    + [("logout", agent.end, "")]
                ):
                    seq += 1
                    year.agent_events.append(
                        (
                            f"bench-{seq}",
                            agent.interface,
                            q,
                            action,
                            reason,
                            agent.interface,
                            False,
                            _ts(when),
                        )  # fmt: skip
                    )
        # Arrivals of the day, all queues, in time order.
        arrivals: list[tuple[float, str]] = []
        for hour, rate in profile.items():
            for q_index, queue in enumerate(QUEUES):
                lam = per_unit * rate / len(QUEUES) * (0.6 + 0.08 * q_index)
                t = at(hour)
                end = t + 3600.0
                while True:
                    t += rng.expovariate(lam / 3600.0)
                    if t >= end:
                        break
                    arrivals.append((t, queue))
        arrivals.sort()
        pools: dict[str, list[Agent]] = {q: [a for a in working if q in a.queues] for q in QUEUES}
        states: dict[str, list[tuple[float, str, str, str]]] = {a.interface: [] for a in working}
        for agent in working:
            states[agent.interface].append((agent.start, "ready", "", ""))
            for b in agent.breaks:
                states[agent.interface].append((b[0], "paused", b[2], ""))
                states[agent.interface].append((b[1], "ready", "", ""))
            states[agent.interface].append((agent.end, "logged_out", "", ""))
        for entered, queue in arrivals:
            seq += 1
            uniqueid = f"{int(entered)}.{seq}"
            number = f"+331{rng.randrange(10**8):08d}"
            patience = rng.expovariate(1 / PATIENCE_MEAN)
            best: tuple[float, Agent] | None = None
            for agent in pools[queue]:
                free = max(agent.free_at, entered)
                for b0, b1, _ in agent.breaks:
                    if b0 <= free < b1:
                        free = b1
                if free >= agent.end - 60:
                    continue
                if best is None or free < best[0]:
                    best = (free, agent)
            ring = rng.uniform(*RING)
            answer = None if best is None else best[0] + ring
            wait_answer = math.inf if answer is None else answer - entered
            if rng.random() < 0.01 and wait_answer > 10:
                left = entered + rng.uniform(5, min(wait_answer, 60))
                year.queue_calls.append((uniqueid, queue, number, "", _ts(entered), None, None,
                    None, left - entered, "transferred", None, None, None, _ts(left)))  # fmt: skip
                continue
            if wait_answer > min(patience, MAX_WAIT):
                leave = min(patience, MAX_WAIT)
                outcome = "abandoned" if patience < MAX_WAIT else "timed_out"
                year.queue_calls.append((uniqueid, queue, number, "", _ts(entered), None, None,
                    None, leave, outcome, None, None, None, _ts(entered + leave)))  # fmt: skip
                continue
            assert best is not None and answer is not None
            agent = best[1]
            talk = rng.lognormvariate(math.log(TALK_MEDIAN), 0.6)
            hold = rng.uniform(10, min(90, talk / 2)) if rng.random() < 0.2 else 0.0
            done = answer + talk
            agent.free_at = done + WRAPUP
            ended_by = "caller" if rng.random() < 0.6 else "agent"
            year.queue_calls.append((uniqueid, queue, number, "", _ts(entered), _ts(answer),
                agent.interface, agent.name, wait_answer, "answered", talk, hold, ended_by,
                _ts(done)))  # fmt: skip
            s = states[agent.interface]
            s.append((answer - ring, "ringing", "", queue))
            s.append((answer, "talking", "", queue))
            if hold:
                h0 = answer + (talk - hold) / 2
                s.append((h0, "hold", "", queue))
                s.append((h0 + hold, "talking", "", queue))
            s.append((done, "wrapup", "", queue))
            s.append((done + WRAPUP, "ready", "", ""))
        # Direct calls: a few per agent and day.
        for agent in working:
            for _ in range(rng.randrange(0, 4)):
                seq += 1
                start = rng.uniform(agent.start, agent.end)
                talk = rng.uniform(20, 240)
                direction = "outbound" if rng.random() < 0.5 else "inbound"
                year.device_calls.append((f"dc-{seq}", agent.interface, direction,
                    f"{rng.randrange(1000, 9999)}", True, talk, _ts(start),
                    _ts(start + talk)))  # fmt: skip
        # A campaign on the last queue: ~150 contacts a weekday, 1-3 attempts each.
        if not saturday:
            for _ in range(150):
                seq += 1
                contact = seq
                created = at(8)
                tries = rng.choice((1, 1, 2, 3))
                outcomes = []
                for k in range(tries):
                    last = k == tries - 1
                    outcomes.append(rng.choice(("answered", "answered", "dropped")) if last
                                    else rng.choice(("no_answer", "busy")))  # fmt: skip
                status = "done" if outcomes[-1] in ("answered", "dropped") else "pending"
                number = f"+332{rng.randrange(10**8):08d}"
                year.contacts.append((contact, 1, f"Contact {contact}", number,
                    "Europe/Paris", "csv", status, tries, _ts(created), _ts(created)))  # fmt: skip
                start = rng.uniform(at(9), at(18))
                for k, outcome in enumerate(outcomes):
                    t0 = start + k * 3600
                    answered = outcome in ("answered", "dropped")
                    ans = t0 + rng.uniform(5, 20)
                    talk = rng.uniform(60, 300) if outcome == "answered" else None
                    end = (ans + (talk or 3)) if answered else t0 + 25
                    year.attempts.append((f"{seq:016x}{k:016x}", 1, contact, number,
                        "predictive", None, None, "dialer", "pace", _ts(t0), _ts(t0),
                        _ts(ans) if answered else None,
                        _ts(ans + 1) if outcome == "answered" else None, _ts(end), outcome,
                        "ANSWER" if answered else outcome.upper(), "event", talk))  # fmt: skip
            # Callback requests: ~25 a weekday.
            for _ in range(25):
                seq += 1
                joined = rng.uniform(at(9), at(18))
                status = rng.choice(("connected", "connected", "connected", "expired", "no_answer"))
                year.callbacks.append((f"{seq:032x}", rng.choice(QUEUES), f"+331{seq:08d}", "",
                    f"cbsrc-{seq}", _ts(joined), _ts(joined + 60), 3, _ts(joined + 3600), status,
                    None, _ts(joined + 600) if status == "connected" else None,
                    _ts(joined + 900)))  # fmt: skip
        for agent in working:
            rows = sorted(states[agent.interface], key=lambda r: r[0])
            last = None
            for when, state, reason, queue in rows:
                if (state, reason, queue) == last:
                    continue
                last = (state, reason, queue)
                seq += 1
                year.agent_states.append(
                    (f"bench-s{seq}", agent.interface, _ts(when), state, reason, queue)
                )
        yield day, year
