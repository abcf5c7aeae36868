"""Pacing benchmark: a simulated outbound center dialed by progressive 1:1 and by the
predictive pacing of ``standardiste.dialer.pacing``, same seeds, same run.

The center: N agents logged in all along; each contact answers with a probability that drops
suddenly mid-run (0.3 -> 0.1 at hour 2 by default) after a ring of 2 s + Gamma(2, 2.5 s);
unanswered calls ring out at 20 s (the rules want >= 15 s) or fail fast (busy, unreachable:
20%, after 1-6 s); talk time lognormal (median 90 s, sigma 0.6) then 15 s of wrap-up. An
answered contact who has no agent within 2 s is dropped (hears the recorded message).
Each contact's draws come from one stream in dial order, so both policies meet the same
contacts (common random numbers); the policies only decide how fast they are dialed.

Prints per policy and seed: agent utilisation (talk + wrap-up / logged-in time), drop rate
overall, the worst 1-hour window (fixed hours, and sliding windows ending every minute), the
contacts reached (answered and connected to an agent) per agent-hour, and the ratios
predictive / progressive. Exits 1 if any window's drop rate is over the cap.

    .venv/bin/python bench/pacing.py [--hours 4] [--agents 20] [--seeds 3]
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from standardiste.dialer.drops import DropRule, window_totals  # noqa: E402
from standardiste.dialer.estimates import AnswerEstimator, HandleEstimator  # noqa: E402
from standardiste.dialer.pacing import (  # noqa: E402
    Decision,
    PacingInputs,
    line_limit,
    lines_to_dial,
    progressive_count,
)

HOUR = 3600.0
POLICIES = ("progressive", "predictive")

# Event kinds, in the order they are handled at the same instant: an agent freed at t takes a
# call that would give up at t; decisions see the state after everything else at t.
AGENT_FREE, RING_END, GIVE_UP, TICK = range(4)


@dataclass(frozen=True)
class Center:
    """The simulated center and the campaign's pacing settings."""

    agents: int = 20
    hours: float = 4.0
    answer_rate: float = 0.3
    answer_rate_after: float = 0.1
    change_at: float = 2 * HOUR
    ring_timeout: float = 20.0
    fail_fast_share: float = 0.2
    talk_median: float = 90.0
    talk_sigma: float = 0.6
    wrap_up: float = 15.0
    connect_within: float = 2.0  # the 2-second rule
    tick: float = 1.0
    rule: DropRule = field(default_factory=lambda: DropRule(window=HOUR))
    max_lines_per_agent: int = 3
    max_lines: int = 200

    def rate_at(self, t: float) -> float:
        return self.answer_rate if t < self.change_at else self.answer_rate_after


@dataclass
class Result:
    policy: str
    seed: int
    center: Center
    attempts: int = 0
    connected: int = 0
    busy_seconds: float = 0.0
    answer_times: list[float] = field(default_factory=list)  # every live answer, drops too
    drop_times: list[float] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)  # ticks by decision reason
    wall_seconds: float = 0.0

    @property
    def duration(self) -> float:
        return self.center.hours * HOUR

    @property
    def utilisation(self) -> float:
        return self.busy_seconds / (self.center.agents * self.duration)

    @property
    def drop_rate(self) -> float:
        return len(self.drop_times) / len(self.answer_times) if self.answer_times else 0.0

    @property
    def contacts_per_agent_hour(self) -> float:
        return self.connected / (self.center.agents * self.center.hours)

    def window_rates(self, sliding_step: float | None = None) -> list[float]:
        """Drop rates of the 1-hour windows: fixed hours (a last partial hour included), or
        sliding windows ending every ``sliding_step`` s from the first full hour on."""
        rule = DropRule(window=HOUR)
        if sliding_step is None:
            ends = [
                min(self.duration, k * HOUR) for k in range(1, math.ceil(self.center.hours) + 1)
            ]
        else:
            ends = [
                HOUR + k * sliding_step
                for k in range(int((self.duration - HOUR) / sliding_step) + 1)
            ]
        return [window_totals(self.answer_times, self.drop_times, end, rule).rate for end in ends]


class _Contacts:
    """The contacts in dial order: the k-th contact is the same for every policy."""

    def __init__(self, seed: int, center: Center) -> None:
        self.rng = random.Random(seed)
        self.center = center

    def next(self) -> tuple[float, float, bool, float, float]:
        """(u, answer delay, fails fast, fail time, talk time): always 5 draws."""
        r, c = self.rng, self.center
        return (
            r.random(),
            2.0 + r.gammavariate(2.0, 2.5),
            r.random() < c.fail_fast_share,
            r.uniform(1.0, 6.0),
            r.lognormvariate(math.log(c.talk_median), c.talk_sigma),
        )


def simulate(center: Center, policy: str, seed: int) -> Result:
    """Run one policy ("progressive" or "predictive") over the center for one seed."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, not {policy!r}")
    started = time.perf_counter()
    end = center.hours * HOUR
    contacts = _Contacts(seed, center)
    result = Result(policy, seed, center)
    events: list[tuple[float, int, int, int]] = []  # (time, kind, seq, payload)
    seq = 0

    def at(t: float, kind: int, payload: int) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, kind, seq, payload))

    free: list[int] = list(range(center.agents))
    busy_since: dict[int, float] = {}
    ringing: dict[int, float] = {}  # call -> dialed at
    outcome: dict[int, tuple[bool, float, float]] = {}  # call -> (answered, ring time, talk)
    waiting: dict[int, float] = {}  # call -> answered at (insertion order: oldest first)
    answers_est = AnswerEstimator()
    handle_est = HandleEstimator()
    calls = 0

    def connect(call: int, now: float) -> None:
        agent = free.pop()
        busy_since[agent] = now
        result.connected += 1
        at(now + outcome[call][2] + center.wrap_up, AGENT_FREE, agent)

    def decide(now: float) -> Decision:
        totals = window_totals(result.answer_times, result.drop_times, now, center.rule)
        inputs = PacingInputs(
            free_agents=len(free),
            busy_elapsed=tuple(now - s for s in busy_since.values()),
            ringing=tuple(now - d for d in ringing.values()),
            answers=totals.answers,
            drops=totals.drops,
            answer_estimate=answers_est,
            handle_estimate=handle_est,
            waiting=len(waiting),
            connected=len(busy_since),
            rule=center.rule,
            max_lines_per_agent=center.max_lines_per_agent,
            max_lines=center.max_lines,
        )
        if policy == "progressive":
            n = min(progressive_count(inputs), line_limit(inputs))
            return Decision(n, "progressive", n)
        return lines_to_dial(inputs)

    at(0.0, TICK, 0)
    while events:
        now, kind, _, payload = heapq.heappop(events)
        if now > end:
            break
        if kind == TICK:
            decision = decide(now)
            result.reasons[decision.reason] = result.reasons.get(decision.reason, 0) + 1
            for _ in range(decision.dial):
                u, delay, fails, fail_at, talk = contacts.next()
                answered = u < center.rate_at(now) and delay <= center.ring_timeout
                ring = delay if answered else (fail_at if fails else center.ring_timeout)
                calls += 1
                ringing[calls] = now
                outcome[calls] = (answered, ring, talk)
                at(now + ring, RING_END, calls)
            result.attempts += decision.dial
            at(now + center.tick, TICK, 0)
        elif kind == RING_END:
            del ringing[payload]
            answered, ring, _talk = outcome[payload]
            answers_est = answers_est.observe(ring, answered)
            if not answered:
                del outcome[payload]
                continue
            result.answer_times.append(now)
            if free:
                connect(payload, now)
            else:
                waiting[payload] = now
                at(now + center.connect_within, GIVE_UP, payload)
        elif kind == GIVE_UP:
            if payload in waiting:
                del waiting[payload]
                result.drop_times.append(now)
        elif kind == AGENT_FREE:
            handled = now - busy_since.pop(payload)
            result.busy_seconds += handled
            handle_est = handle_est.observe(handled)
            free.append(payload)
            if waiting:
                call = next(iter(waiting))
                del waiting[call]
                connect(call, now)
    result.busy_seconds += sum(end - s for s in busy_since.values())
    result.wall_seconds = time.perf_counter() - started
    return result


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def report(results: Sequence[Result]) -> bool:
    """Print the table and the ratios; True when every window kept the cap."""
    center = results[0].center
    cap = center.rule.cap
    print(
        f"center: {center.agents} agents, {center.hours:g} h, answer rate {center.answer_rate}"
        f" -> {center.answer_rate_after} at {center.change_at / HOUR:g} h, ring-out "
        f"{center.ring_timeout:g} s, talk lognormal(median {center.talk_median:g} s, "
        f"sigma {center.talk_sigma}) + {center.wrap_up:g} s wrap-up, drop after "
        f"{center.connect_within:g} s; cap {cap:.0%}, target {center.rule.target:.0%} "
        f"over a sliding {center.rule.window and center.rule.window / HOUR:g} h"
    )
    header = (
        f"{'policy':<12}{'seed':>5}{'attempts':>9}{'answers':>8}{'drops':>6}{'util':>7}"
        f"{'drop%':>7}{'max 1h':>8}{'max sl.1h':>10}{'contacts/agent-h':>17}{'sim s':>7}"
    )
    print(header)
    ok = True
    for r in results:
        fixed = max(r.window_rates(), default=0.0)
        sliding = max(r.window_rates(sliding_step=60.0), default=0.0)
        ok = ok and max(fixed, sliding, r.drop_rate) <= cap
        print(
            f"{r.policy:<12}{r.seed:>5}{r.attempts:>9}{len(r.answer_times):>8}"
            f"{len(r.drop_times):>6}{r.utilisation:>7.1%}{r.drop_rate:>7.2%}{fixed:>8.2%}"
            f"{sliding:>10.2%}{r.contacts_per_agent_hour:>17.2f}{r.wall_seconds:>7.1f}"
        )
    by = {p: [r for r in results if r.policy == p] for p in POLICIES}
    mean = {
        p: {
            "util": statistics.fmean(r.utilisation for r in rs),
            "drop": statistics.fmean(r.drop_rate for r in rs),
            "contacts": statistics.fmean(r.contacts_per_agent_hour for r in rs),
        }
        for p, rs in by.items()
    }
    for p in POLICIES:
        m = mean[p]
        print(
            f"mean {p:<12} utilisation {m['util']:.1%}  drop rate {m['drop']:.2%}  "
            f"contacts/agent-hour {m['contacts']:.2f}"
        )
    pred, base = mean["predictive"], mean["progressive"]
    print(
        f"predictive / progressive: utilisation {_ratio(pred['util'], base['util'])}, "
        f"contacts per agent-hour {_ratio(pred['contacts'], base['contacts'])}"
    )
    reasons: dict[str, int] = {}
    for r in by["predictive"]:
        for k, v in r.reasons.items():
            reasons[k] = reasons.get(k, 0) + v
    total = sum(reasons.values()) or 1
    print(
        "predictive decisions: "
        + ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(reasons.items()))
    )
    print(f"every window's drop rate <= cap {cap:.0%}: {'yes' if ok else 'NO'}")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3, help="runs seeds 1..N")
    parser.add_argument("--answer-rate", type=float, default=0.3)
    parser.add_argument("--answer-rate-after", type=float, default=0.1)
    parser.add_argument("--change-at-hour", type=float, default=2.0)
    args = parser.parse_args(argv)
    if args.hours <= 0 or args.agents < 1 or args.seeds < 1:
        parser.error("--hours must be > 0, --agents and --seeds >= 1")
    center = Center(
        agents=args.agents,
        hours=args.hours,
        answer_rate=args.answer_rate,
        answer_rate_after=args.answer_rate_after,
        change_at=args.change_at_hour * HOUR,
    )
    results = [
        simulate(center, policy, seed) for seed in range(1, args.seeds + 1) for policy in POLICIES
    ]
    return 0 if report(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
