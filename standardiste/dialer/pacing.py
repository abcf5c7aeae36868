"""How many contacts a predictive campaign dials now, paced to a drop budget (pure).

Each tick (≈ 1 s) the dialer hands :func:`lines_to_dial` what it sees — free agents, busy
agents' elapsed handle times, ringing calls' ring times, answered calls waiting for an agent,
the drop window's totals, the recent-history estimators — and dials what the
:class:`Decision` says; the decision's ``reason`` goes to the dial audit. Time is passed in as
seconds; nothing here reads a clock, draws a random number or does I/O.
(:class:`standardiste.dialer.pacer.Pacer` keeps the estimators and the window between ticks.)

The maths (shared/OUTBOUND.md, "A pacing approach that respects a drop budget"):

- answers land about T s after dialing (T: the median time to answer), and an answered call
  may wait c = 2 s for an agent. By then the free agents are F = F0 + Σ_busy B_j,
  B_j ~ Bernoulli(q_j), q_j = (S(e_j) − S(e_j + T + c)) / S(e_j). (OUTBOUND.md has T; the
  2 s are as real as T, and the benchmark gains ~2 points of utilisation at the same drops.)
  F is *not* rounded: the drop expectation below is taken over its whole distribution (the
  busy agents independent), which is never lower than with F fixed at its mean (Jensen).
- the answers L = Σ_inflight Bernoulli(p(r_i)) + (waiting calls, certain) + Bin(n, p(0)) for n
  new calls: a Poisson-binomial, computed exactly by convolution.
- expected drops E[(L − F)+], exact (L and F independent).
- the allowed drop share of the calls in the pipe: (α·(A + E[L]) − D) / E[L], clamped to
  [0, α]. Clamped above at the target itself: drops the window has to spare are never spent
  in a burst (a quiet fortnight of a 30-day window would otherwise allow an afternoon of 20%
  drops, and in the benchmark a ceiling at the cap instead of α costs 3 points of
  utilisation: bursts of drops, then minutes of progressive). Drops over α·A only lower it.
- the tail guard (:func:`expected_excess`). The budget above holds the *mean*; a window is
  judged on what happens. With ~100 answers an hour (5 agents) the cap of 3% is 3 drops, and
  one unlucky batch makes 2 or 3 at once: the mean at 2% kept, the hour at 3.7%. So the
  drops are also weighed against the window's *headroom* h, the drops it can still take
  within the cap: m = ⌊h⌋ more, and the drops beyond, E[(X − m)+] with X = (L − F)+ (exact
  over the distributions of L and F), are drops over the cap. The calls dialed now may add
  at most ``risk`` (ε = 10⁻⁵) to that expectation. With room for many drops a call adds
  nothing there and the guard is silent; with room for one or two it stops the calls that
  could make a double drop; with none, every call that may drop. ε is per decision, and
  decisions come every second, hence so small: in the benchmark (4 h, 20 and 5 agents, the
  answer rate falling and rising) 10⁻³ left hours at 3.45%, 10⁻⁴ one at 3.38% in 36 seeds,
  10⁻⁵ none in 36 (the worst 2.8%); 10⁻⁶ costs 5 agents 2 points of utilisation.
  (The room the pipe's own answers add, cap·L, is not counted: less than a drop, and
  counting it let a call through *because* its answer might carry the room past a whole
  drop.) It also makes drops cheaper: the calls it refuses are those most likely to drop
  (few free agents, a full pipe), and fewer clusters of drops mean fewer minutes over
  budget, dialing progressive: 20 agents worked 75% of their time without the guard (and
  hours reached 4.4%), 83% with it.
- h is not only cap·A − D now: a drop made now stays in the window for its whole length,
  while the answers around it leave one by one and new ones come at whatever rate the
  campaign then reaches people. :meth:`DropLog.headroom` takes the lowest h from now until
  every answer in the window has left, counting new answers at a pessimistic rate (half of
  what progressive dialing keeps up, :func:`progressive_answer_rate`). Without it, 11 drops
  made among ~490 answers an hour at an answer rate of 0.3 were 3.1% of the 355 answers of
  the hour after the rate fell to 0.1; counting on the whole progressive rate instead of
  half of it left such hours in 3 runs of 96.
- A and D of the budget are those of the rule's window as it will be when the pipe has
  landed (the caller counts the window ``horizon`` s ahead: the answers and drops about to
  leave it are already gone; :meth:`Pacer.decide` does this with ring timeout + c).
- dial the largest n, from the progressive count up, with E[(L − F)+] ≤ share · E[L] and the
  tail guard; the scan stops at the first n that fails either (E[drops] − α·E[L] is convex
  in n, so the n that pass the budget form an interval, and the excess only grows with n),
  within the line caps and a ramp: at most 0.2 new calls per logged-in agent per decision
  beyond the progressive count. The ramp is there for a rate that rises while the pacing was
  progressive (few attempts, a stale estimate): without it the first predictive tick dialed
  45 calls at once on p = 0.13 when the truth was 0.3, and dropped 13 of them.
- progressive when warming up (fewer than ``warmup_answers`` answers in the estimator), over
  budget (the share is 0: the window's drops already reach α·(A + E[L])), when the pipe is
  full (what is already in flight expects more drops than the share allows).

The progressive count is one call per free agent not already covered by a ringing or waiting
call: max(0, F0 − ringing − waiting). Predictive pacing never dials fewer.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from standardiste.dialer.drops import DropRule
from standardiste.dialer.estimates import AnswerEstimator, HandleEstimator

# The dial audit's reasons (stable strings: audits and dashboards match on them).
WARM_UP: Final = "warm-up"  # too few answers observed yet: progressive
OVER_BUDGET: Final = "over budget"  # the window's drops leave no share: progressive
PIPE_FULL: Final = "pipe full"  # the calls in flight already use the share: progressive
BUDGET: Final = "budget"  # more than progressive, as many as the share allows
PROGRESSIVE: Final = "progressive"  # the share allows no call beyond progressive
LINE_CAP: Final = "line cap"  # the share would allow more; the line caps stop it
RAMP: Final = "ramp"  # the share would allow more; the per-tick ramp stops it
DROP_RISK: Final = "drop risk"  # the tail guard stops it: one more call risks the cap
REASONS: Final = (WARM_UP, OVER_BUDGET, PIPE_FULL, BUDGET, PROGRESSIVE, LINE_CAP, RAMP, DROP_RISK)

# Float slack when comparing expected drops with the allowance (sums of ~100 products), and
# when flooring a headroom to whole drops (0.03 · 100 − 3 is 4e-16, 0.07 · 100 − 7 −9e-16).
_EPS: Final = 1e-12
_SLACK: Final = 1e-9


@dataclass(frozen=True)
class PacingInputs:
    """What one campaign's pacing sees at one tick."""

    free_agents: int
    busy_elapsed: tuple[float, ...]  # each busy agent's handle time so far (talk or wrap-up), s
    ringing: tuple[float, ...]  # each call in flight's ring time so far, s
    # A and D: the live answers (drops included) and the drops of the drop rule's window as
    # it will be when the pipe has landed (what leaves the window before then not counted).
    answers: int
    drops: int
    answer_estimate: AnswerEstimator
    handle_estimate: HandleEstimator
    waiting: int = 0  # answered calls waiting for an agent now (inside their 2 s)
    rule: DropRule = field(default_factory=DropRule)  # the pacing aims at its target α
    max_lines_per_agent: float = 3.0  # ringing + waiting + new ≤ ⌊this × logged-in agents⌋
    carrier_lines: int | None = None  # new calls the carrier can take now (None: no limit)
    warmup_answers: int = 20  # progressive until the estimator holds this many answers
    connect_within: float = 2.0  # an answered call waits this long for an agent, then drops
    ramp: float = 0.2  # new calls per logged-in agent in one decision, beyond progressive
    risk: float = 1e-5  # ε: the expected drops over the cap the calls dialed now may add (inf: off)
    # The drops the window can take within the cap from now on (DropLog.headroom); None:
    # cap·A − D, the window at the horizon only.
    headroom: float | None = None

    def __post_init__(self) -> None:
        for name in ("free_agents", "answers", "drops", "waiting", "warmup_answers"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, not {getattr(self, name)!r}")
        if self.drops > self.answers:
            raise ValueError("drops are answered calls: drops cannot exceed answers")
        if not self.max_lines_per_agent >= 0:
            raise ValueError(f"max_lines_per_agent must be >= 0, not {self.max_lines_per_agent!r}")
        if self.carrier_lines is not None and self.carrier_lines < 0:
            raise ValueError(f"carrier_lines must be >= 0 or None, not {self.carrier_lines!r}")
        if not self.connect_within >= 0:
            raise ValueError(f"connect_within must be >= 0 s, not {self.connect_within!r}")
        if not self.ramp >= 0:
            raise ValueError(f"ramp must be >= 0, not {self.ramp!r}")
        if not self.risk >= 0:
            raise ValueError(f"risk must be >= 0, not {self.risk!r}")
        if self.headroom is not None and not math.isfinite(self.headroom):
            raise ValueError(f"headroom must be a finite number of drops, not {self.headroom!r}")


@dataclass(frozen=True)
class Decision:
    """Dial ``dial`` new calls now, because of ``reason`` (one of :data:`REASONS`).

    The figures are those of the pipe with the dialed calls, for the audit: E[L], E[drops],
    the allowed share, E[F], the drops expected over the cap (E[(X − m)+]); and the
    progressive count."""

    dial: int
    reason: str
    progressive: int
    expected_answers: float = 0.0
    expected_drops: float = 0.0
    allowed_share: float = 0.0
    expected_free: float = 0.0
    expected_excess: float = 0.0

    @property
    def expected_drop_share(self) -> float:
        return self.expected_drops / self.expected_answers if self.expected_answers > 0 else 0.0


# -- distributions -------------------------------------------------------------------------


def add_call(dist: Sequence[float], p: float) -> list[float]:
    """The distribution of a count after adding one Bernoulli(p) to it."""
    q = 1.0 - p
    out = [dist[0] * q]
    out.extend(a * q + b * p for a, b in zip(dist[1:], dist, strict=False))
    out.append(dist[-1] * p)
    return out


def poisson_binomial(probs: Iterable[float]) -> list[float]:
    """P(K = k) for k = 0..n, K the number of successes of independent Bernoulli(p_i)."""
    dist = [1.0]
    for p in probs:
        dist = add_call(dist, p)
    return dist


def _free_cdf(free_now: int, finish: Sequence[float], size: int) -> list[float]:
    """P(F <= k) for k = 0..size−1, F = free_now + Σ Bernoulli(finish_j)."""
    f_dist = poisson_binomial(finish)
    cdf = [0.0] * size
    below = 0.0
    for k in range(size):
        j = k - free_now
        if 0 <= j < len(f_dist):
            below += f_dist[j]
        cdf[k] = min(1.0, below)
    return cdf


def _shortfall_table(cdf: Sequence[float]) -> list[float]:
    """h(l) = E[(l − F)+] for l = 0..len(cdf)−1, from F's cdf: h(l+1) = h(l) + P(F <= l)."""
    h = [0.0] * len(cdf)
    for level in range(len(cdf) - 1):
        h[level + 1] = h[level] + cdf[level]
    return h


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(map(operator.mul, a, b))


def expected_drops(answer_probs: Sequence[float], free_now: int, finish: Sequence[float]) -> float:
    """E[(L − F)+]: the answers beyond the free agents, L = Σ Bernoulli(answer_probs),
    F = free_now + Σ Bernoulli(finish), independent."""
    dist = poisson_binomial(answer_probs)
    return _dot(dist, _shortfall_table(_free_cdf(free_now, finish, len(dist))))


def _excess(dist: Sequence[float], shortfall: Sequence[float], room: int) -> float:
    if room < 0:  # over the cap whatever happens: every drop counts, and the missing room
        return _dot(dist, shortfall) - room
    return math.fsum(p * shortfall[level - room] for level, p in enumerate(dist) if level > room)


def whole_drops(headroom: float) -> int:
    """m = ⌊h⌋: the whole drops a window with this headroom can still take."""
    return math.floor(headroom + _SLACK)


def expected_excess(
    answer_probs: Sequence[float], free_now: int, finish: Sequence[float], headroom: float
) -> float:
    """E[(X − m)+], X = (L − F)+ the pipe's drops and m = ⌊headroom⌋ the whole drops the
    window can still take (headroom: cap·A − D for a window of A answers and D drops): the
    drops expected over the cap. (With a negative m the window is over the cap whatever
    happens: every drop counts, and so does the missing room.) L = Σ Bernoulli(answer_probs),
    F = free_now + Σ Bernoulli(finish), independent."""
    dist = poisson_binomial(answer_probs)
    cdf = _free_cdf(free_now, finish, len(dist))
    return _excess(dist, _shortfall_table(cdf), whole_drops(headroom))


# -- the formulas of OUTBOUND.md -------------------------------------------------------------


def finish_probabilities(
    busy_elapsed: Iterable[float], handle: HandleEstimator, horizon: float
) -> list[float]:
    """q_j = (S(e_j) − S(e_j + T)) / S(e_j) for each busy agent."""
    return [handle.finish_probability(e, horizon) for e in busy_elapsed]


def expected_free_agents(
    free_now: int, busy_elapsed: Iterable[float], handle: HandleEstimator, horizon: float
) -> float:
    """E[F] = F0 + Σ_busy (S(e) − S(e+T)) / S(e)."""
    return free_now + math.fsum(finish_probabilities(busy_elapsed, handle, horizon))


def expected_answers_in_pipe(
    ringing: Iterable[float], answers: AnswerEstimator, waiting: int = 0
) -> float:
    """L0 = Σ_inflight p(r), plus the answered calls waiting for an agent (certain)."""
    return waiting + math.fsum(answers.p(r) for r in ringing)


def allowed_drop_share(
    answers: int, drops: int, target: float, expected_answers: float, ceiling: float = 1.0
) -> float:
    """(α·(A + E[L]) − D) / E[L], clamped to [0, ceiling]: the share of the answers in the
    pipe that may be dropped with the window still at α. With E[L] = 0 (nothing to spread
    over): the ceiling if D < α·A, else 0."""
    room = target * (answers + expected_answers) - drops
    if room <= 0:
        return 0.0
    if expected_answers <= 0:
        return ceiling
    return min(ceiling, room / expected_answers)


# -- the decision --------------------------------------------------------------------------


def plan(
    *,
    in_flight: Sequence[float],
    p_new: float,
    free_now: int,
    finish: Sequence[float],
    answers: int,
    drops: int,
    target: float,
    ceiling: float,
    floor: int,
    limit: int,
    cap: float = 1.0,
    risk: float = math.inf,
    headroom: float | None = None,
) -> Decision:
    """The budget's decision on plain numbers: the largest n in [floor, limit] such that every
    n' in (floor, n] keeps E[(L − F)+] ≤ share · E[L] (the budget) and adds at most ``risk``
    to the drops expected over the cap, E[(X − ⌊headroom⌋)+], over the floor's (the tail
    guard); ``floor`` when the share is 0 ("over budget"), or when what is in the pipe, with
    the floor's calls, already breaks the share ("pipe full").

    ``in_flight``: answer probabilities of the calls in the pipe; ``p_new``: a new call's;
    ``finish``: each busy agent's chance to be free when the answers land; ``headroom``: the
    drops the window can take within the cap (default cap·A − D). The default ``risk`` turns
    the tail guard off."""
    floor = max(0, min(floor, limit))
    f_mean = free_now + math.fsum(finish)
    cdf = _free_cdf(free_now, finish, len(in_flight) + limit + 2)
    h = _shortfall_table(cdf)
    dist = poisson_binomial(in_flight)
    for _ in range(floor):
        dist = add_call(dist, p_new)
    e_answers = math.fsum(in_flight) + floor * p_new
    e_drops = _dot(dist, h)
    room = cap * answers - drops if headroom is None else headroom
    share = allowed_drop_share(answers, drops, target, e_answers, ceiling)
    excess = base_excess = _excess(dist, h, whole_drops(room))

    def decision(n: int, reason: str) -> Decision:
        return Decision(n, reason, floor, e_answers, e_drops, share, f_mean, excess)

    if share <= 0:
        return decision(floor, OVER_BUDGET)
    if e_drops > share * e_answers + _EPS:
        return decision(floor, PIPE_FULL)
    if p_new <= 0:
        return decision(floor, PROGRESSIVE)  # new calls would reach nobody
    n = floor
    while True:
        nxt = add_call(dist, p_new)
        nxt_answers = e_answers + p_new
        nxt_drops = _dot(nxt, h)
        nxt_share = allowed_drop_share(answers, drops, target, nxt_answers, ceiling)
        if nxt_drops > nxt_share * nxt_answers + _EPS:
            return decision(n, BUDGET if n > floor else PROGRESSIVE)
        nxt_excess = _excess(nxt, h, whole_drops(room))
        if nxt_excess - base_excess > risk + _EPS:
            return decision(n, DROP_RISK)
        if n >= limit:
            return decision(n, LINE_CAP)
        n += 1
        dist, e_answers, e_drops, share, excess = nxt, nxt_answers, nxt_drops, nxt_share, nxt_excess


def progressive_answer_rate(
    agents: int, answers: AnswerEstimator, handles: HandleEstimator
) -> float:
    """Live answers per second that ``agents`` agents keep up dialing one line each
    (progressive): each agent's cycle is a mean handle time plus the ringing it takes to
    reach a person, Σ ring times / answers over the recent attempts. 0 without data."""
    ringing, handle = answers.ringing_per_answer, handles.mean
    if ringing is None or handle is None or ringing + handle <= 0:
        return 0.0
    return agents / (handle + ringing)


def line_limit(inputs: PacingInputs) -> int:
    """How many new calls the line caps leave room for."""
    outstanding = len(inputs.ringing) + inputs.waiting
    agents = inputs.free_agents + len(inputs.busy_elapsed)
    room = math.floor(inputs.max_lines_per_agent * agents + _SLACK) - outstanding
    if inputs.carrier_lines is not None:
        room = min(room, inputs.carrier_lines)
    return max(0, room)


def ramp_limit(inputs: PacingInputs) -> int:
    """How many new calls one decision may dial: the progressive count, plus ``ramp`` per
    logged-in agent (rounded up: a small team still gets one)."""
    agents = inputs.free_agents + len(inputs.busy_elapsed)
    return progressive_count(inputs) + math.ceil(inputs.ramp * agents)


def progressive_count(inputs: PacingInputs) -> int:
    """One call per free agent not already covered by a ringing or waiting call."""
    return max(0, inputs.free_agents - len(inputs.ringing) - inputs.waiting)


def lines_to_dial(inputs: PacingInputs) -> Decision:
    """How many new calls to dial now, and why."""
    lines = line_limit(inputs)
    ramp = ramp_limit(inputs)
    limit = min(lines, ramp)
    floor = min(progressive_count(inputs), limit)
    estimate = inputs.answer_estimate
    horizon = estimate.median_answer_time()
    if estimate.answers < inputs.warmup_answers or horizon is None:
        return Decision(floor, WARM_UP, floor)
    decision = plan(
        in_flight=[*(estimate.p(r) for r in inputs.ringing), *([1.0] * inputs.waiting)],
        p_new=estimate.p(0.0),
        free_now=inputs.free_agents,
        finish=finish_probabilities(
            inputs.busy_elapsed, inputs.handle_estimate, horizon + inputs.connect_within
        ),
        answers=inputs.answers,
        drops=inputs.drops,
        target=inputs.rule.target,
        ceiling=inputs.rule.target,
        floor=floor,
        limit=limit,
        cap=inputs.rule.cap,
        risk=inputs.risk,
        headroom=inputs.headroom,
    )
    if decision.reason == LINE_CAP and ramp < lines:
        return replace(decision, reason=RAMP)
    return decision
