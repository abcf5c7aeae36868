"""The pacing maths on worked examples: OUTBOUND.md's figures, each reason of a decision, the
estimators and the drop window."""

from __future__ import annotations

import math

import pytest

from standardiste.dialer.drops import DAY, DropRule, window_totals
from standardiste.dialer.estimates import AnswerEstimator, HandleEstimator
from standardiste.dialer.pacing import (
    REASONS,
    PacingInputs,
    allowed_drop_share,
    expected_answers_in_pipe,
    expected_drops,
    expected_excess,
    expected_free_agents,
    lines_to_dial,
)


def answered_share(rate_in_4: int, attempts: int = 100, limit: int = 500) -> AnswerEstimator:
    """``attempts`` attempts, ``rate_in_4`` of every 4 answered after 5 s, the rest ringing out
    at 20 s."""
    est = AnswerEstimator(limit=limit)
    for i in range(attempts):
        answered = i % 4 < rate_in_4
        est = est.observe(5.0 if answered else 20.0, answered)
    return est


def handle_times(*seconds: float) -> HandleEstimator:
    est = HandleEstimator()
    for s in seconds:
        est = est.observe(s)
    return est


QUARTER = answered_share(1)  # 25% answered


def inputs(**kw: object) -> PacingInputs:
    base: dict[str, object] = dict(
        free_agents=5,
        busy_elapsed=(),
        ringing=(),
        answers=10_000,
        drops=0,
        answer_estimate=QUARTER,
        handle_estimate=HandleEstimator(),
    )
    base.update(kw)
    return PacingInputs(**base)  # type: ignore[arg-type]


# -- OUTBOUND.md: 5 free agents, 25% answer rate ------------------------------------------


@pytest.mark.parametrize(
    ("lines", "low", "high"), [(10, 0.008, 0.011), (15, 0.055, 0.065), (20, 0.145, 0.16)]
)
def test_the_drop_share_of_n_lines_for_5_free_agents_matches_outbound_md(
    lines: int, low: float, high: float
) -> None:
    """OUTBOUND.md: 10 lines ≈ 1% drops, 15 ≈ 6%, 20 ≈ 15%. Ours: 0.95%, 6.06%, 15.17%."""
    share = expected_drops([0.25] * lines, 5, []) / (0.25 * lines)
    assert low <= share <= high


def test_five_free_agents_at_25_percent_get_11_lines_for_a_2_percent_target() -> None:
    """11 lines: 1.6% expected drops; 12 would be 2.4%, over the 2% target."""
    decision = lines_to_dial(inputs(ramp=10.0))
    assert (decision.dial, decision.reason) == (11, "budget")
    assert decision.expected_drop_share == pytest.approx(0.0157, abs=0.0005)
    assert expected_drops([0.25] * 12, 5, []) / 3.0 > 0.02


def test_the_ramp_spreads_the_same_decision_over_ticks() -> None:
    """5 agents, ramp 0.2: 5 progressive calls plus 1 this tick."""
    decision = lines_to_dial(inputs())
    assert (decision.dial, decision.reason) == (6, "ramp")


# -- each reason --------------------------------------------------------------------------


def test_warm_up_is_progressive() -> None:
    decision = lines_to_dial(inputs(answer_estimate=answered_share(1, attempts=40), ringing=(3.0,)))
    assert (decision.dial, decision.reason) == (4, "warm-up")


def test_over_budget_is_progressive() -> None:
    """3% drops in the window against a 2% target: one call per uncovered free agent."""
    decision = lines_to_dial(inputs(answers=1000, drops=30, ringing=(1.0, 2.0)))
    assert (decision.dial, decision.reason) == (3, "over budget")
    assert decision.allowed_share == 0


def test_a_pipe_that_already_expects_too_many_drops_dials_nothing() -> None:
    """No free agent, nobody about to finish, 10 calls ringing: every answer is a drop."""
    decision = lines_to_dial(inputs(free_agents=0, busy_elapsed=(1.0,) * 5, ringing=(1.0,) * 10))
    assert (decision.dial, decision.reason) == (0, "pipe full")


def test_no_extra_line_fits_so_the_progressive_count_is_dialed() -> None:
    """One free agent, 75% answered: a second line would drop 0.56 of 1.5 answers."""
    decision = lines_to_dial(inputs(free_agents=1, answer_estimate=answered_share(3), ramp=10.0))
    assert (decision.dial, decision.reason) == (1, "progressive")


def test_the_carrier_cap_stops_the_budget() -> None:
    decision = lines_to_dial(inputs(carrier_lines=6, ringing=(2.0,), ramp=10.0))
    assert (decision.dial, decision.reason) == (6, "line cap")


def test_lines_per_agent_may_be_a_fraction() -> None:
    """1.5 lines per agent, 5 agents: 7 lines, 2 of them ringing."""
    decision = lines_to_dial(inputs(max_lines_per_agent=1.5, ringing=(2.0, 3.0), ramp=10.0))
    assert (decision.dial, decision.reason) == (5, "line cap")


def test_busy_agents_about_to_finish_are_counted() -> None:
    """No free agent; 4 agents 100 s into calls that all last 105 s: they will be free when
    the answers land (T = 5 s), so calls are dialed for them: 7, 1.75 answers expected,
    2% of them dropped. (Each agent counts 50/51: the 50 recent calls longer than 100 s all
    ended by 107 s, shrunk by one that did not.)"""
    handle = handle_times(*([105.0] * 50))
    decision = lines_to_dial(
        inputs(free_agents=0, busy_elapsed=(100.0,) * 4, handle_estimate=handle, ramp=10.0)
    )
    assert decision.reason == "budget"
    assert decision.expected_free == pytest.approx(4 * 50 / 51)
    assert decision.dial == 7


# -- the tail guard ------------------------------------------------------------------------


AT_THE_CAP = DropRule(window=3600.0, cap=0.03, target=0.03)  # a target at the cap: no margin


def test_a_window_at_the_cap_gets_no_call_that_could_drop() -> None:
    """103 answers, 3 drops: the cap is reached. Two free agents, 25% answered: the budget
    alone would give a third line (1.6% of its answers dropped, under the 3% share), but any
    drop now is over the cap: the progressive count, because of the drop risk."""
    without = lines_to_dial(
        inputs(free_agents=2, answers=103, drops=3, rule=AT_THE_CAP, risk=math.inf)
    )
    assert without.dial > 2
    decision = lines_to_dial(inputs(free_agents=2, answers=103, drops=3, rule=AT_THE_CAP))
    assert (decision.dial, decision.reason) == (2, "drop risk")


def test_room_for_several_drops_leaves_the_budget_alone() -> None:
    """The same two free agents with room for 5 more drops: the budget decides."""
    decision = lines_to_dial(
        inputs(free_agents=2, answers=103, drops=3, rule=AT_THE_CAP, headroom=5.0, ramp=10.0)
    )
    assert decision.reason == "budget" and decision.dial > 2


def test_the_guard_stops_a_double_drop_when_one_fits() -> None:
    """Room for one more drop (headroom 1.5): 5 free agents at 25% get 11 lines from the
    budget, 1.6% of their answers dropped; but 11 lines drop two or more 0.76% of the time
    (7 answers of 11), and 7 lines still 0.006%: 6 lines, which cannot drop two."""
    budget = lines_to_dial(inputs(ramp=10.0, risk=math.inf))
    assert budget.dial == 11
    decision = lines_to_dial(inputs(ramp=10.0, headroom=1.5))
    assert (decision.dial, decision.reason) == (6, "drop risk")
    assert decision.expected_excess == 0.0


def test_expected_excess_by_hand() -> None:
    """One call answered half the time, no free agent, room for half a drop: when it
    answers, it is dropped, and the window has no whole drop to spare: 0.5 drops over."""
    assert expected_excess([0.5], 0, [], headroom=0.5) == pytest.approx(0.5)
    # room for one drop: one answer fits, two do not
    assert expected_excess([0.5, 0.5], 0, [], headroom=1.0) == pytest.approx(0.25)
    # over the cap already (-1): every drop counts, and the missing drop with it
    assert expected_excess([0.0], 0, [], headroom=-1.0) == pytest.approx(1.0)


def test_reasons_are_stable_strings() -> None:
    assert REASONS == (
        "warm-up",
        "over budget",
        "pipe full",
        "budget",
        "progressive",
        "line cap",
        "ramp",
        "drop risk",
    )


# -- the formulas -------------------------------------------------------------------------


def test_allowed_drop_share() -> None:
    # 1000 answers, 10 drops, target 2%: 10 drops to spare over E[L] = 5 -> capped at 1.
    assert allowed_drop_share(1000, 10, 0.02, 5.0) == 1.0
    assert allowed_drop_share(1000, 10, 0.02, 5.0, ceiling=0.02) == 0.02
    # 1000 answers, 19 drops: (0.02 * 1005 - 19) / 5 = 0.22
    assert allowed_drop_share(1000, 19, 0.02, 5.0) == pytest.approx(0.22)
    assert allowed_drop_share(1000, 21, 0.02, 5.0) == 0.0
    assert allowed_drop_share(0, 0, 0.02, 0.0) == 0.0


def test_expected_free_agents_and_answers_in_pipe() -> None:
    handle = handle_times(10.0, 20.0, 30.0, 40.0)
    # busy 15 s: 3 calls lasted longer, 1 of them ended by 25 s -> 1 / (3 + 1)
    assert expected_free_agents(2, [15.0], handle, 10.0) == pytest.approx(2.25)
    # busy 45 s: longer than any recent call -> not counted
    assert expected_free_agents(2, [45.0], handle, 10.0) == 2
    assert expected_answers_in_pipe([0.0, 0.0], QUARTER, waiting=1) == pytest.approx(1.5)


# -- estimators ---------------------------------------------------------------------------


def test_answer_probability_falls_as_a_call_keeps_ringing() -> None:
    est = QUARTER
    assert est.p(0) == 0.25
    assert est.p(4.0) == pytest.approx((25 + 0.25) / 101)
    # past every answer (5 s): only calls that ring out are left
    assert est.p(6.0) == pytest.approx(0.25 / 76)
    assert est.median_answer_time() == 5.0


def test_the_answer_rate_follows_a_sudden_drop_within_the_window() -> None:
    est = answered_share(2, attempts=200, limit=200)  # 50%
    assert est.answer_rate == 0.5
    for _ in range(200):
        est = est.observe(20.0, False)
    assert est.answer_rate == 0.0 and est.observed == 200


def test_handle_survival() -> None:
    handle = handle_times(10.0, 20.0, 30.0, 40.0)
    assert [handle.survival(x) for x in (0, 10, 25, 40)] == [1.0, 0.75, 0.5, 0.0]
    assert handle.finish_probability(0.0, 20.0) == 2 / 5  # 2 of 4 ended by 20 s, + 1 that did not
    assert HandleEstimator().finish_probability(10.0, 1000.0) == 0.0


def test_one_long_call_does_not_make_an_agent_certain_to_be_free() -> None:
    """200 calls of 60 s and one of 320 s: an agent busy for 317 s is not sure to be free in
    the next 8 s because that one call ended at 320 s (it made 5 agents drop twice)."""
    handle = handle_times(*([60.0] * 200), 320.0)
    assert handle.finish_probability(317.0, 8.0) == 0.5
    assert handle.finish_probability(321.0, 8.0) == 0.0


def test_estimators_refuse_negative_times() -> None:
    with pytest.raises(ValueError, match="ring_time"):
        AnswerEstimator().observe(-1.0, True)
    with pytest.raises(ValueError, match="handle time"):
        HandleEstimator().observe(float("nan"))


# -- the drop window ----------------------------------------------------------------------


def test_window_totals_count_the_rule_window_only() -> None:
    answers = [0.0, 10.0, DAY - 1, DAY + 5, 2 * DAY]
    drops = [10.0, DAY + 5]
    ofcom = window_totals(answers, drops, 2 * DAY, DropRule.ofcom())
    assert (ofcom.answers, ofcom.drops) == (2, 1)  # (DAY, 2 DAY]
    life = window_totals(answers, drops, 2 * DAY, DropRule.lifetime())
    assert (life.answers, life.drops) == (5, 2)
    early = window_totals(answers, drops, 10.0, DropRule.ftc())
    assert (early.answers, early.drops, early.rate) == (2, 1, 0.5)


def test_drop_rules_refuse_a_target_over_the_cap() -> None:
    with pytest.raises(ValueError, match="target"):
        DropRule(cap=0.03, target=0.05)
    with pytest.raises(ValueError, match="window"):
        DropRule(window=0)


def test_inputs_refuse_more_drops_than_answers() -> None:
    with pytest.raises(ValueError, match="drops"):
        inputs(answers=3, drops=4)
