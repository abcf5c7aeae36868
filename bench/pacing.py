"""Pacing benchmark: a simulated outbound center dialed by progressive 1:1 and by the
predictive pacing (``standardiste.dialer.pacer.Pacer``, the object the dialer engine asks),
same seeds, same run.

The center: N agents logged in all along; each contact answers with a probability that
changes suddenly mid-run — "fall": 0.3 -> 0.1 at hour 2, "rise": 0.1 -> 0.3 — after a ring
of 2 s + Gamma(2, 2.5 s); unanswered calls ring out at 20 s (the rules want >= 15 s) or fail
fast (busy, unreachable: 20%, after 1-6 s); talk time lognormal (median 90 s, sigma 0.6)
then 15 s of wrap-up. An answered contact who has no agent within 2 s is dropped (hears the
recorded message). Each contact's draws come from one stream in dial order, so both policies
meet the same contacts (common random numbers); the policies only decide how fast.

The campaign's drop rule in the bench: cap 3%, target 2%, over a sliding 1-hour window (the
shortest window a campaign may set; the FTC's is 30 days, i.e. the whole campaign here).
Checked, for every seed: every sliding 1-hour window (exactly: at every instant an answer or
a drop enters or leaves it, from the first full hour on) and the whole campaign; a drop is
counted at its answer's instant. Prints per policy and seed: agent utilisation (talk +
wrap-up / logged-in time), drop rate, the worst fixed and sliding hour, contacts reached
(answered and connected to an agent) per agent-hour; per scenario the means and the ratios
predictive / progressive. Exits 1 if any window of any run is over the cap.

    .venv/bin/python bench/pacing.py [--hours 4] [--agents 20 5] [--scenario fall rise]
                                     [--seeds 3]
"""

from __future__ import annotations

import argparse
import bisect
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
from standardiste.dialer.pacer import Pacer, PacerSettings  # noqa: E402
from standardiste.dialer.pacing import Decision  # noqa: E402

HOUR = 3600.0
POLICIES = ("progressive", "predictive")
SCENARIOS = {"fall": (0.3, 0.1), "rise": (0.1, 0.3)}

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
    max_lines_per_agent: float = 3.0
    max_lines: int = 200  # the carrier's concurrent calls
    # (low, high): answer delays drawn uniformly (the live bench's sipp contacts answer after
    # a fixed delay); None: 2 s + Gamma(2, 2.5) (mean 7 s)
    answer_delay: tuple[float, float] | None = None

    def rate_at(self, t: float) -> float:
        return self.answer_rate if t < self.change_at else self.answer_rate_after

    def pacer_settings(self) -> PacerSettings:
        return PacerSettings(
            rule=self.rule,
            max_lines_per_agent=self.max_lines_per_agent,
            ring_timeout=self.ring_timeout,
            connect_within=self.connect_within,
        )


@dataclass
class Result:
    policy: str
    seed: int
    center: Center
    attempts: int = 0
    connected: int = 0
    busy_seconds: float = 0.0
    answer_times: list[float] = field(default_factory=list)  # every live answer, drops too
    drop_times: list[float] = field(default_factory=list)  # the dropped calls' answer instants
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
        """The whole campaign's drop rate."""
        return len(self.drop_times) / len(self.answer_times) if self.answer_times else 0.0

    @property
    def contacts_per_agent_hour(self) -> float:
        return self.connected / (self.center.agents * self.center.hours)

    def fixed_hour_rates(self) -> list[float]:
        """Drop rates of each clock hour (a last partial hour included)."""
        rule = DropRule(window=HOUR)
        ends = [min(self.duration, k * HOUR) for k in range(1, math.ceil(self.center.hours) + 1)]
        return [window_totals(self.answer_times, self.drop_times, e, rule).rate for e in ends]

    def worst_sliding_hour(self) -> tuple[float, float, int, int]:
        """The worst sliding 1-hour window from the first full hour on: (rate, end, D, A).
        Exact: the counts only change when an answer or drop enters (at its instant) or
        leaves (an hour later), so those instants are every window there is to check."""
        rule = DropRule(window=HOUR)
        events = [*self.answer_times, *(t + HOUR for t in self.answer_times)]
        first = min(HOUR, self.duration)
        ends = sorted({t for t in events if first <= t <= self.duration} | {first, self.duration})
        worst = (0.0, first, 0, 0)
        for end in ends:
            totals = window_totals(self.answer_times, self.drop_times, end, rule)
            if totals.rate > worst[0]:
                worst = (totals.rate, end, totals.drops, totals.answers)
        return worst


class _Contacts:
    """The contacts in dial order: the k-th contact is the same for every policy."""

    def __init__(self, seed: int, center: Center) -> None:
        self.rng = random.Random(seed)
        self.center = center

    def next(self) -> tuple[float, float, bool, float, float]:
        """(u, answer delay, fails fast, fail time, talk time): always 5 draws."""
        r, c = self.rng, self.center
        delay = 2.0 + r.gammavariate(2.0, 2.5)  # drawn anyway: the same draws for every center
        if c.answer_delay is not None:
            delay = c.answer_delay[0] + (c.answer_delay[1] - c.answer_delay[0]) * (delay % 1.0)
        return (
            r.random(),
            delay,
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
    pacer = Pacer(center.pacer_settings())
    calls = 0

    def connect(call: int, now: float) -> None:
        agent = free.pop()
        busy_since[agent] = now
        result.connected += 1
        at(now + outcome[call][2] + center.wrap_up, AGENT_FREE, agent)

    def decide(now: float) -> Decision:
        carrier = max(0, center.max_lines - len(ringing) - len(waiting) - len(busy_since))
        if policy == "progressive":
            per_agent = math.floor(center.max_lines_per_agent * center.agents) - len(ringing)
            n = max(0, min(len(free) - len(ringing) - len(waiting), per_agent, carrier))
            return Decision(n, "progressive", n)
        return pacer.decide(
            now,
            free_agents=len(free),
            busy_elapsed=[now - s for s in busy_since.values()],
            in_flight_ring_times=[now - d for d in ringing.values()],
            carrier_lines=carrier,
            waiting=len(waiting),
        )

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
            pacer.attempt_ended(ring, answered)
            if not answered:
                del outcome[payload]
                continue
            result.answer_times.append(now)
            pacer.answer(now)
            if free:
                connect(payload, now)
            else:
                waiting[payload] = now
                at(now + center.connect_within, GIVE_UP, payload)
        elif kind == GIVE_UP:
            if payload in waiting:
                answered_at = waiting.pop(payload)
                bisect.insort(result.drop_times, answered_at)
                pacer.drop(answered_at)
        elif kind == AGENT_FREE:
            handled = now - busy_since.pop(payload)
            result.busy_seconds += handled
            pacer.handle_time(handled)
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


@dataclass(frozen=True)
class Summary:
    """One scenario's means over its seeds, for the closing table."""

    label: str
    util: dict[str, float]
    drop: dict[str, float]
    contacts: dict[str, float]
    worst_sliding: float
    worst_campaign: float
    ok: bool


def report(results: Sequence[Result], label: str = "") -> Summary:
    """Print one scenario's table, means and ratios; its summary says whether every window
    of every predictive and progressive run kept the cap."""
    center = results[0].center
    cap = center.rule.cap
    print(
        f"\n== {label or 'scenario'}: {center.agents} agents, {center.hours:g} h, answer rate "
        f"{center.answer_rate} -> {center.answer_rate_after} at {center.change_at / HOUR:g} h, "
        f"ring-out {center.ring_timeout:g} s, talk lognormal(median {center.talk_median:g} s, "
        f"sigma {center.talk_sigma}) + {center.wrap_up:g} s wrap-up, drop after "
        f"{center.connect_within:g} s; cap {cap:.0%}, target {center.rule.target:.0%}"
    )
    print(
        f"{'policy':<12}{'seed':>5}{'attempts':>9}{'answers':>8}{'drops':>6}{'util':>7}"
        f"{'campaign':>9}{'max 1h':>8}{'max sliding 1h':>22}{'contacts/agent-h':>17}{'sim s':>7}"
    )
    ok = True
    worst_sliding = worst_campaign = 0.0
    for r in results:
        fixed = max(r.fixed_hour_rates(), default=0.0)
        sliding, sliding_end, d, a = r.worst_sliding_hour()
        ok = ok and max(fixed, sliding, r.drop_rate) <= cap
        if r.policy == "predictive":
            worst_sliding = max(worst_sliding, sliding)
            worst_campaign = max(worst_campaign, r.drop_rate)
        where = f"{sliding:.2%} {d}/{a} @{sliding_end / HOUR:.2f}h"
        print(
            f"{r.policy:<12}{r.seed:>5}{r.attempts:>9}{len(r.answer_times):>8}"
            f"{len(r.drop_times):>6}{r.utilisation:>7.1%}{r.drop_rate:>9.2%}{fixed:>8.2%}"
            f"{where:>22}{r.contacts_per_agent_hour:>17.2f}{r.wall_seconds:>7.1f}"
        )
    by = {p: [r for r in results if r.policy == p] for p in POLICIES}
    util = {p: statistics.fmean(r.utilisation for r in rs) for p, rs in by.items()}
    drop = {p: statistics.fmean(r.drop_rate for r in rs) for p, rs in by.items()}
    contacts = {p: statistics.fmean(r.contacts_per_agent_hour for r in rs) for p, rs in by.items()}
    for p in POLICIES:
        print(
            f"mean {p:<12} utilisation {util[p]:.1%}  drop rate {drop[p]:.2%}  "
            f"contacts/agent-hour {contacts[p]:.2f}"
        )
    print(
        f"predictive / progressive: utilisation "
        f"{_ratio(util['predictive'], util['progressive'])}, contacts per agent-hour "
        f"{_ratio(contacts['predictive'], contacts['progressive'])}"
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
    return Summary(label, util, drop, contacts, worst_sliding, worst_campaign, ok)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--agents", type=int, nargs="+", default=[20, 5])
    parser.add_argument("--scenario", choices=SCENARIOS, nargs="+", default=list(SCENARIOS))
    parser.add_argument("--seeds", type=int, default=3, help="runs seeds 1..N")
    parser.add_argument("--change-at-hour", type=float, default=2.0)
    parser.add_argument(
        "--answer-rates",
        type=float,
        nargs=2,
        metavar=("BEFORE", "AFTER"),
        help="one custom scenario instead of --scenario",
    )
    args = parser.parse_args(argv)
    if args.hours <= 0 or min(args.agents) < 1 or args.seeds < 1:
        parser.error("--hours must be > 0, --agents and --seeds >= 1")
    scenarios = (
        {"custom": tuple(args.answer_rates)}
        if args.answer_rates
        else {name: SCENARIOS[name] for name in args.scenario}
    )
    summaries = []
    for agents in args.agents:
        for name, (before, after) in scenarios.items():
            center = Center(
                agents=agents,
                hours=args.hours,
                answer_rate=before,
                answer_rate_after=after,
                change_at=args.change_at_hour * HOUR,
            )
            results = [
                simulate(center, policy, seed)
                for seed in range(1, args.seeds + 1)
                for policy in POLICIES
            ]
            summaries.append(report(results, f"{agents} agents, {name}"))
    cap = DropRule(window=HOUR).cap
    print(
        f"\nchecked for every run: every sliding 1-hour window (from the first full hour) and"
        f" the whole campaign (the rule's window for a campaign under 30 days); cap {cap:.0%}"
    )
    print(
        f"{'scenario':<20}{'util pred/prog':>17}{'ratio':>7}{'contacts/agent-h':>19}{'ratio':>7}"
        f"{'drops':>7}{'worst 1h':>9}{'worst campaign':>15}{'kept':>6}"
    )
    for s in summaries:
        print(
            f"{s.label:<20}{s.util['predictive']:>8.1%} {s.util['progressive']:>7.1%}"
            f"{_ratio(s.util['predictive'], s.util['progressive']):>7}"
            f"{s.contacts['predictive']:>9.2f} {s.contacts['progressive']:>8.2f}"
            f"{_ratio(s.contacts['predictive'], s.contacts['progressive']):>7}"
            f"{s.drop['predictive']:>7.2%}{s.worst_sliding:>9.2%}{s.worst_campaign:>15.2%}"
            f"{'yes' if s.ok else 'NO':>6}"
        )
    ok = all(s.ok for s in summaries)
    print(f"every window's drop rate <= cap {cap:.0%}: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
