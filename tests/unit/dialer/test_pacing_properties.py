"""Properties of the pacing maths (hypothesis): each test's docstring is the property."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from standardiste.dialer.drops import BUCKETS, DropLog, DropRule, window_totals
from standardiste.dialer.estimates import AnswerEstimator, HandleEstimator
from standardiste.dialer.pacing import (
    BUDGET,
    LINE_CAP,
    PROGRESSIVE,
    RAMP,
    REASONS,
    PacingInputs,
    allowed_drop_share,
    expected_drops,
    expected_excess,
    line_limit,
    lines_to_dial,
    plan,
    poisson_binomial,
    progressive_count,
    ramp_limit,
)

prob = st.floats(0.0, 1.0)
seconds = st.floats(0.0, 600.0)
attempt = st.tuples(st.floats(0.0, 30.0), st.booleans())
attempts = st.lists(attempt, max_size=60)


def answer_estimate(seen: list[tuple[float, bool]], limit: int = 500) -> AnswerEstimator:
    est = AnswerEstimator(limit=limit)
    for ring, answered in seen:
        est = est.observe(ring, answered)
    return est


def handle_estimate(seen: list[float], limit: int = 200) -> HandleEstimator:
    est = HandleEstimator(limit=limit)
    for s in seen:
        est = est.observe(s)
    return est


@st.composite
def pacing_inputs(draw: st.DrawFn) -> PacingInputs:
    answers = draw(st.integers(0, 3000))
    target = draw(st.floats(0.005, 0.05))
    # drops mostly under the target (the pacing's usual state), sometimes anything
    drops = st.one_of(st.integers(0, answers // 60), st.integers(0, min(answers, 100)))
    return PacingInputs(
        free_agents=draw(st.integers(0, 12)),
        busy_elapsed=tuple(draw(st.lists(seconds, max_size=12))),
        ringing=tuple(draw(st.lists(st.floats(0.0, 25.0), max_size=15))),
        answers=answers,
        drops=draw(drops),
        answer_estimate=answer_estimate(draw(st.lists(attempt, min_size=5, max_size=60))),
        handle_estimate=handle_estimate(draw(st.lists(seconds, max_size=40))),
        waiting=draw(st.integers(0, 3)),
        rule=DropRule(window=3600.0, cap=0.06, target=target),
        max_lines_per_agent=draw(st.floats(0.0, 4.0)),
        carrier_lines=draw(st.one_of(st.none(), st.integers(0, 80))),
        warmup_answers=draw(st.integers(0, 4)),
        ramp=draw(st.floats(0.0, 3.0)),
        risk=draw(st.sampled_from([1e-6, 1e-3, math.inf])),
    )


@given(pacing_inputs())
def test_the_dial_count_is_never_negative_nor_over_the_caps(inputs: PacingInputs) -> None:
    """0 <= dial <= the line caps and the ramp; the reason is one of the stable strings."""
    decision = lines_to_dial(inputs)
    assert 0 <= decision.dial <= min(line_limit(inputs), ramp_limit(inputs))
    assert decision.reason in REASONS


@given(pacing_inputs())
def test_never_fewer_than_progressive(inputs: PacingInputs) -> None:
    """Predictive pacing dials at least one call per uncovered free agent (within the caps):
    those calls cannot be dropped."""
    assert lines_to_dial(inputs).dial >= min(progressive_count(inputs), line_limit(inputs))


@given(pacing_inputs(), st.lists(seconds, max_size=30))
def test_no_free_agent_and_nobody_finishing_soon_dials_nothing(
    inputs: PacingInputs, handles: list[float]
) -> None:
    """Zero free agents, and every busy agent already busier than any recent handle time
    (so nobody is expected free): nothing is dialed — any answer would be a drop."""
    longest = max(handles, default=0.0)
    inputs = replace(
        inputs,
        free_agents=0,
        busy_elapsed=tuple(longest + 1 + e for e in inputs.busy_elapsed),
        handle_estimate=handle_estimate(handles),
    )
    assert lines_to_dial(inputs).dial == 0


@given(pacing_inputs())
def test_one_more_free_agent_never_gives_fewer_lines(inputs: PacingInputs) -> None:
    """More free agents (all else equal) never gives fewer lines."""
    more = replace(inputs, free_agents=inputs.free_agents + 1)
    assert lines_to_dial(more).dial >= lines_to_dial(inputs).dial


@given(pacing_inputs())
def test_more_drops_in_the_window_never_give_more_lines(inputs: PacingInputs) -> None:
    """One more drop in the window (all else equal) never gives more lines."""
    assume(inputs.drops < inputs.answers)
    more = replace(inputs, drops=inputs.drops + 1)
    assert lines_to_dial(more).dial <= lines_to_dial(inputs).dial


@given(pacing_inputs())
def test_more_answers_in_the_window_never_give_fewer_lines(inputs: PacingInputs) -> None:
    """One more live answer in the window (all else equal) never gives fewer lines."""
    more = replace(inputs, answers=inputs.answers + 1)
    assert lines_to_dial(more).dial >= lines_to_dial(inputs).dial


@given(pacing_inputs(), st.floats(-3.0, 10.0), st.floats(0.0, 3.0))
def test_more_headroom_never_gives_fewer_lines(
    inputs: PacingInputs, headroom: float, more: float
) -> None:
    """More room for drops in the window (all else equal) never gives fewer lines."""
    low = lines_to_dial(replace(inputs, headroom=headroom))
    assert lines_to_dial(replace(inputs, headroom=headroom + more)).dial >= low.dial


@st.composite
def plans(draw: st.DrawFn) -> dict[str, object]:
    answers = draw(st.integers(0, 3000))
    target = draw(st.floats(0.001, 0.05))
    floor = draw(st.integers(0, 6))
    return dict(
        in_flight=draw(st.lists(prob, max_size=12)),
        free_now=draw(st.integers(0, 8)),
        finish=draw(st.lists(prob, max_size=10)),
        answers=answers,
        drops=draw(st.one_of(st.integers(0, answers // 60), st.integers(0, min(answers, 80)))),
        target=target,
        ceiling=draw(st.floats(target, 0.2)),
        floor=floor,
        limit=draw(st.integers(floor, floor + 25)),
        cap=draw(st.floats(target, 0.2)),
        risk=draw(st.sampled_from([1e-6, 1e-3, math.inf])),
        headroom=draw(st.one_of(st.none(), st.floats(-3.0, 10.0))),
    )


@given(plans(), st.floats(0.01, 0.97), st.floats(0.01, 0.5))
def test_a_higher_answer_probability_never_gives_more_lines(
    args: dict[str, object], p: float, more: float
) -> None:
    """For the same pipe and budget, when the budget made the decision (budget, progressive or
    line cap: the pipe not already over its share), a higher answer probability p(0) > 0 of
    new calls never gives more lines. (At the n where the budget stops, the marginal call's
    drop chance is over the target, and stays so as p grows: E[drops] − α·E[L] grows in p.)"""
    low = plan(p_new=p, **args)  # type: ignore[arg-type]
    assume(low.reason in (BUDGET, PROGRESSIVE, LINE_CAP))
    high = plan(p_new=min(1.0, p + more), **args)  # type: ignore[arg-type]
    assert high.dial <= low.dial


@given(plans(), st.floats(0.0, 1.0))
def test_the_chosen_lines_keep_the_expected_drops_within_the_allowed_share(
    args: dict[str, object], p: float
) -> None:
    """Unless progressive is forced (over budget, pipe full), the dialed pipe's expected
    drops are within the allowed share of its expected answers."""
    decision = plan(p_new=p, **args)  # type: ignore[arg-type]
    if decision.reason in (BUDGET, PROGRESSIVE, LINE_CAP, RAMP):
        allowed = decision.allowed_share * decision.expected_answers
        assert decision.expected_drops <= allowed + 1e-9


@given(plans(), st.floats(0.0, 1.0))
def test_the_calls_dialed_now_add_at_most_risk_drops_over_the_cap(
    args: dict[str, object], p: float
) -> None:
    """The tail guard: the pipe with the dialed calls expects at most ``risk`` more drops
    beyond the window's headroom than the pipe with the progressive count alone."""
    decision = plan(p_new=p, **args)  # type: ignore[arg-type]
    base = plan(p_new=p, **(args | {"limit": decision.progressive}))  # type: ignore[arg-type]
    assert decision.expected_excess - base.expected_excess <= args["risk"] + 1e-9  # type: ignore[operator]


@settings(max_examples=200)
@given(st.lists(prob, max_size=6), st.integers(0, 3), st.lists(prob, max_size=4), st.floats(-2, 4))
def test_expected_excess_matches_a_brute_force_enumeration(
    answer_probs: list[float], free_now: int, finish: list[float], headroom: float
) -> None:
    """E[(X − ⌊h⌋)+] equals the sum over every outcome of every call and agent."""
    total = 0.0
    room = math.floor(headroom + 1e-9)
    for calls in itertools.product((0, 1), repeat=len(answer_probs)):
        p_calls = math.prod(p if c else 1 - p for p, c in zip(answer_probs, calls, strict=True))
        for agents in itertools.product((0, 1), repeat=len(finish)):
            p_agents = math.prod(q if a else 1 - q for q, a in zip(finish, agents, strict=True))
            dropped = max(0, sum(calls) - free_now - sum(agents))
            total += p_calls * p_agents * max(0, dropped - room)
    got = expected_excess(answer_probs, free_now, finish, headroom)
    assert math.isclose(got, total, abs_tol=1e-9)


@settings(max_examples=200)
@given(st.lists(prob, max_size=7), st.integers(0, 4), st.lists(prob, max_size=4))
def test_expected_drops_match_a_brute_force_enumeration(
    answer_probs: list[float], free_now: int, finish: list[float]
) -> None:
    """E[(L − F)+] equals the sum over every outcome of every call and every busy agent."""
    total = 0.0
    for calls in itertools.product((0, 1), repeat=len(answer_probs)):
        p_calls = math.prod(p if c else 1 - p for p, c in zip(answer_probs, calls, strict=True))
        for agents in itertools.product((0, 1), repeat=len(finish)):
            p_agents = math.prod(q if a else 1 - q for q, a in zip(finish, agents, strict=True))
            total += p_calls * p_agents * max(0, sum(calls) - free_now - sum(agents))
    assert math.isclose(expected_drops(answer_probs, free_now, finish), total, abs_tol=1e-12)


@given(st.lists(prob, max_size=40))
def test_poisson_binomial_is_a_distribution_with_the_right_mean(probs: list[float]) -> None:
    """The answers' distribution sums to 1 and its mean is Σ p."""
    dist = poisson_binomial(probs)
    assert math.isclose(math.fsum(dist), 1.0, abs_tol=1e-9)
    mean = math.fsum(k * q for k, q in enumerate(dist))
    assert math.isclose(mean, math.fsum(probs), abs_tol=1e-9)


@given(
    st.integers(0, 10_000),
    st.integers(0, 500),
    st.floats(0.0, 0.1),
    st.floats(0.0, 100.0),
    st.floats(0.0, 1.0),
)
def test_allowed_drop_share(
    answers: int, drops: int, target: float, expected: float, ceiling: float
) -> None:
    """The share is in [0, ceiling]; 0 when D already ≥ α·(A + E[L]); otherwise
    (α·(A + E[L]) − D) / E[L] unless the ceiling binds."""
    share = allowed_drop_share(answers, drops, target, expected, ceiling)
    assert 0.0 <= share <= ceiling
    room = target * (answers + expected) - drops
    if drops >= target * (answers + expected):
        assert share == 0.0
    elif expected > 0:
        assert math.isclose(share, min(ceiling, room / expected))


@given(attempts, st.floats(0.0, 40.0))
def test_the_answer_probability_is_a_probability(
    seen: list[tuple[float, bool]], ring: float
) -> None:
    """0 <= p(r) <= 1 at every ring time."""
    assert 0.0 <= answer_estimate(seen).p(ring) <= 1.0


@given(attempts, st.lists(st.tuples(st.floats(0.0, 30.0), st.booleans()), min_size=20))
def test_the_answer_estimate_forgets_what_left_its_window(
    old: list[tuple[float, bool]], new: list[tuple[float, bool]]
) -> None:
    """After ``limit`` newer attempts, the older ones have no weight: a sudden change in the
    answer rate is followed within ``limit`` attempts."""
    est = answer_estimate(old + new, limit=20)
    fresh = answer_estimate(new[-20:], limit=20)
    assert est.observed == 20
    for r in (0.0, 3.0, 10.0):
        assert est.p(r) == fresh.p(r)


@given(st.lists(seconds, max_size=40), seconds, seconds, st.floats(0.0, 60.0))
def test_handle_survival_falls_and_finishing_is_a_probability(
    seen: list[float], x: float, y: float, within: float
) -> None:
    """S is non-increasing; the chance to finish within h s is in [0, 1]."""
    est = handle_estimate(seen)
    lo, hi = sorted((x, y))
    assert est.survival(lo) >= est.survival(hi)
    assert 0.0 <= est.finish_probability(x, within) <= 1.0


@given(
    st.lists(st.floats(0.0, 1000.0), max_size=40),
    st.lists(st.floats(0.0, 1000.0), max_size=10),
    st.floats(0.0, 1200.0),
    st.one_of(st.none(), st.floats(1.0, 500.0)),
)
def test_window_totals_count_exactly_the_window(
    answer_times: list[float], drop_times: list[float], now: float, window: float | None
) -> None:
    """A and D are the answers and drops in (now − window, now] (or up to now, lifetime)."""
    answer_times.sort()
    drop_times.sort()
    totals = window_totals(answer_times, drop_times, now, DropRule(window=window))
    start = -math.inf if window is None else now - window
    assert totals.answers == sum(start < t <= now for t in answer_times)
    assert totals.drops == sum(start < t <= now for t in drop_times)


# -- the drop log -------------------------------------------------------------------------

instants = st.lists(st.floats(0.0, 8000.0), max_size=80)


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[float], list[float], list[tuple[float, int]]]:
    """Answer instants, the dropped ones among them, and the events in an arrival order a
    little shuffled (a drop is learned 2 s after its answer)."""
    answers = sorted(draw(instants))
    dropped = sorted(t for t in answers if draw(st.integers(0, 9)) == 0)
    events = [(t, 0) for t in answers] + [(t, 1) for t in dropped]
    order = draw(st.permutations(range(len(events))))
    return answers, dropped, [events[i] for i in order]


def exact_headroom(
    answers: list[float],
    drops: list[float],
    now: float,
    window: float,
    cap: float,
    rate: float,
    after: float,
) -> float:
    start = now - window
    inside = [t for t in answers if start < t <= now]
    gone_drops = [t for t in drops if start < t <= now]
    lowest = cap * len(inside) - len(gone_drops)
    for t in inside:  # just after each answer leaves
        left = sum(1 for a in inside if a > t)
        left_drops = sum(1 for d in gone_drops if d > t)
        lowest = min(lowest, cap * (left + rate * max(0.0, t - start - after)) - left_drops)
    return lowest


@given(logs(), st.floats(0.0, 9000.0), st.floats(0.0, 100.0))
def test_the_drop_log_counts_its_window_like_window_totals(
    log_: tuple[list[float], list[float], list[tuple[float, int]]], now: float, ahead: float
) -> None:
    """Whatever the order events arrive in, the log's A and D are the window's — and ``ahead``
    s later, without what leaves it by then."""
    answers, drops, events = log_
    rule = DropRule(window=3600.0)
    log = DropLog(rule)
    for t, kind in events:
        (log.drop if kind else log.answer)(t)
    assert log.totals(now) == window_totals(answers, drops, now, rule)
    later = log.totals(now, ahead=ahead)
    assert later.answers == sum(now + ahead - 3600.0 < t <= now for t in answers)
    assert later.drops == sum(now + ahead - 3600.0 < t <= now for t in drops)


@given(logs(), st.floats(3600.0, 9000.0), st.floats(0.0, 0.3), st.floats(0.0, 40.0))
def test_the_headroom_is_the_lowest_room_until_the_window_has_turned_over(
    log_: tuple[list[float], list[float], list[tuple[float, int]]],
    now: float,
    rate: float,
    after: float,
) -> None:
    """The log's headroom is never above the exact minimum over every instant an answer
    leaves, and at most one bucket's new answers (cap·rate·window/BUCKETS) below it."""
    answers, drops, events = log_
    log = DropLog(DropRule(window=3600.0))
    for t, kind in events:
        (log.drop if kind else log.answer)(t)
    exact = exact_headroom(answers, drops, now, 3600.0, 0.03, rate, after)
    got = log.headroom(now, rate, after)
    assert exact - 0.03 * rate * 3600.0 / BUCKETS - 1e-9 <= got <= exact + 1e-9


def test_the_lifetime_log_keeps_counts() -> None:
    log = DropLog(DropRule.lifetime())
    for t in (1.0, 2.0, 1e9):
        log.answer(t)
    log.drop(2.0)
    assert (log.totals(5e9).answers, log.totals(5e9).drops) == (3, 1)
    assert log.headroom(5e9) == pytest.approx(0.03 * 3 - 1)
