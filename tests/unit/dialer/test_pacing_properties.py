"""Properties of the pacing maths (hypothesis): each test's docstring is the property."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from standardiste.dialer.drops import DropRule, window_totals
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
        connected=draw(st.integers(0, 12)),
        rule=DropRule(window=3600.0, cap=0.06, target=target),
        max_lines_per_agent=draw(st.integers(0, 4)),
        max_lines=draw(st.integers(0, 80)),
        warmup_answers=draw(st.integers(0, 4)),
        ramp=draw(st.floats(0.0, 3.0)),
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
