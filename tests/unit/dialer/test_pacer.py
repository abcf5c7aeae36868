"""The pacer the dialer engine feeds and asks: settings from a campaign, what it decides as it
learns, the drop window it keeps, and the same pacer restored from history after a restart."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standardiste.dialer.campaign import CampaignDef
from standardiste.dialer.drops import DropRule, WindowTotals
from standardiste.dialer.pacer import Pacer, PacerSettings, PastAttempt
from standardiste.dialer.pacing import REASONS

HOUR = 3600.0
T0 = 1_750_000_000.0  # an epoch instant: the engine passes datetime.timestamp()


def hourly(**kw: object) -> PacerSettings:
    base: dict[str, object] = {"rule": DropRule(window=HOUR), "ring_timeout": 20.0}
    return PacerSettings(**(base | kw))  # type: ignore[arg-type]


def learned(pacer: Pacer, attempts: int = 200, start: float = T0) -> float:
    """Feed ``attempts`` attempts, one in 4 answered after 5 s, the rest ringing out at 20 s;
    answered calls handled for 100 s. Returns the instant after the last one."""
    at = start
    for i in range(attempts):
        at += 3.0
        if i % 4 == 0:
            pacer.attempt_ended(5.0, True)
            pacer.answer(at)
            pacer.handle_time(100.0)
        else:
            pacer.attempt_ended(20.0, False)
    return at


# -- settings ---------------------------------------------------------------------------


def test_the_settings_are_the_campaigns() -> None:
    campaign = CampaignDef.parse(
        {
            "name": "renewals",
            "queue": "sales",
            "mode": "predictive",
            "drop_cap": 0.03,
            "drop_target": 0.015,
            "drop_window": 86400,
            "max_lines_per_agent": 2.5,
            "ring_timeout": 30,
        }
    )
    settings = PacerSettings.of_campaign(campaign)
    assert settings.rule == DropRule(window=86400.0, cap=0.03, target=0.015)
    assert settings.max_lines_per_agent == 2.5
    assert settings.ring_timeout == 30.0
    assert settings.horizon == 32.0  # the ring, then the 2 s an answer may wait


def test_a_campaign_allowing_no_drop_is_paced_progressive() -> None:
    campaign = CampaignDef.parse(
        {"name": "careful", "queue": "sales", "drop_cap": 0.0, "drop_target": 0.0}
    )
    pacer = Pacer(PacerSettings.of_campaign(campaign))
    now = learned(pacer)
    decision = pacer.decide(now, free_agents=5, busy_elapsed=[], in_flight_ring_times=[])
    assert (decision.dial, decision.reason) == (5, "over budget")


# -- deciding ---------------------------------------------------------------------------


def test_a_new_pacer_warms_up_progressive() -> None:
    """Nothing learned yet: one call per free agent not covered by a ringing call."""
    decision = Pacer(hourly()).decide(T0, 4, busy_elapsed=[30.0], in_flight_ring_times=[2.0])
    assert (decision.dial, decision.reason) == (3, "warm-up")


def test_once_it_has_learned_it_dials_ahead_of_the_free_agents() -> None:
    pacer = Pacer(hourly())
    now = learned(pacer)
    decision = pacer.decide(now, free_agents=5, busy_elapsed=[50.0] * 5, in_flight_ring_times=[])
    assert decision.reason in REASONS
    assert decision.dial > decision.progressive == 5


def test_the_carrier_lines_cap_the_decision() -> None:
    pacer = Pacer(hourly())
    now = learned(pacer)
    decision = pacer.decide(now, 5, [50.0] * 5, [], carrier_lines=2)
    assert (decision.dial, decision.reason) == (2, "line cap")


def test_answered_calls_waiting_for_an_agent_cover_free_agents() -> None:
    pacer = Pacer(hourly(ramp=0.0))
    now = learned(pacer)
    decision = pacer.decide(now, 3, [], [], waiting=2)
    assert decision.progressive == 1


def test_drops_in_the_window_stop_predictive_until_they_leave_it() -> None:
    """5 drops among the window's 50 answers (10%, over the 2% target): progressive; an hour
    later those drops have left the window and the pacing dials ahead again."""
    pacer = Pacer(hourly())
    now = learned(pacer)
    for k in range(5):
        pacer.drop(T0 + 3.0 + 12.0 * k)  # the first answers' instants
    assert pacer.window(now) == WindowTotals(answers=50, drops=5)
    over = pacer.decide(now, 5, [50.0] * 5, [])
    assert (over.dial, over.reason) == (5, "over budget")
    later = learned(pacer, start=now + HOUR)
    assert pacer.window(later).drops == 0
    assert pacer.decide(later, 5, [50.0] * 5, []).dial > 5


def test_a_window_with_no_room_left_dials_no_call_that_could_drop() -> None:
    """The window holds 103 answers and 3 drops: at the cap of 3%. With the target at the cap
    the budget alone would dial a third line for the two free agents (1.6% of its answers
    dropped, under the share); the tail guard does not: a drop now would be over the cap."""
    pacer = Pacer(hourly(rule=DropRule(window=HOUR, cap=0.03, target=0.03)))
    now = learned(pacer, attempts=400)
    for k in range(3):
        pacer.drop(now - 600.0 + k)
        pacer.answer(now - 600.0 + k)
    decision = pacer.decide(now, 2, [50.0] * 8, [])
    assert decision.reason == "drop risk"
    assert decision.dial == decision.progressive == 2


def test_out_of_range_observations_are_refused() -> None:
    pacer = Pacer()
    with pytest.raises(ValueError, match="ring_time"):
        pacer.attempt_ended(-1.0, False)
    with pytest.raises(ValueError, match="handle time"):
        pacer.handle_time(float("inf"))
    with pytest.raises(ValueError, match="instant"):
        pacer.answer(float("nan"))


# -- restored after a restart -----------------------------------------------------------


def history(seed: int, attempts: int, start: float = T0) -> list[PastAttempt]:
    """Attempts dialed every ~4 s: a third answered after 3-12 s (one in 8 of those dropped),
    the rest ringing out at 20 s or failing fast; answered calls handled 60-200 s."""
    rng = random.Random(seed)
    out = []
    at = start
    for _ in range(attempts):
        at += rng.uniform(1.0, 7.0)
        if rng.random() < 0.33:
            ring = rng.uniform(3.0, 12.0)
            dropped = rng.random() < 0.125
            handle = None if dropped else rng.uniform(60.0, 200.0)
            end = at + ring + (8.0 if dropped else handle or 0.0)
            out.append(PastAttempt(ring, True, end, dropped, handle, answered_at=at + ring))
        else:
            ring = 20.0 if rng.random() < 0.8 else rng.uniform(1.0, 6.0)
            out.append(PastAttempt(ring, False, at + ring))
    return out


def live(settings_: PacerSettings, past: list[PastAttempt], decide_every: float) -> Pacer:
    """A pacer fed the attempts as they happened, asked to decide as it went."""
    events: list[tuple[float, int, PastAttempt]] = []
    for a in past:
        events.append((a.ring_ended_at, 0, a))
        if a.dropped:
            events.append((a.ring_ended_at + 2.0, 1, a))
        if a.handle_seconds is not None:
            events.append((a.ended_at, 2, a))
    events.sort(key=lambda e: (e[0], e[1]))
    pacer = Pacer(settings_)
    next_decision = events[0][0]
    for at, kind, a in events:
        while next_decision <= at:
            pacer.decide(next_decision, 2, [30.0], [4.0])
            next_decision += decide_every
        if kind == 0:
            pacer.attempt_ended(a.ring_time, a.answered)
            if a.answered:
                pacer.answer(at)
        elif kind == 1:
            pacer.drop(a.ring_ended_at)
        else:
            pacer.handle_time(a.handle_seconds or 0.0)
    return pacer


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(50, 1500), st.floats(20.0, 300.0))
def test_restored_from_the_same_history_it_decides_the_same(
    seed: int, attempts: int, decide_every: float
) -> None:
    """A pacer that lived through a history, and one restored from that history's attempts
    (as the engine reads them back after a restart), decide the same thing — the drop
    window included, whatever of it the live one already forgot."""
    past = history(seed, attempts)
    settings_ = hourly()
    lived = live(settings_, past, decide_every)
    restored = Pacer.restore(settings_, reversed(past))  # any order: it sorts
    end = max(a.ended_at for a in past)
    for now, free, busy, ringing in [
        (end, 3, [20.0, 90.0, 150.0], [1.0, 6.0, 12.0]),
        (end + 600.0, 0, [10.0] * 6, [2.0] * 4),
        (end + 0.9 * HOUR, 6, [], []),
    ]:
        assert restored.window(now) == lived.window(now)
        assert restored.decide(now, free, busy, ringing) == lived.decide(now, free, busy, ringing)


def test_a_restart_keeps_the_drops_of_the_window() -> None:
    """After a restart the drops made before it still count: the restored pacer is over
    budget exactly as the one that saw them."""
    past = [
        *(
            PastAttempt(5.0, True, T0 + i * 10 + 100, handle_seconds=95.0, answered_at=T0 + i * 10)
            for i in range(60)
        ),
        *(PastAttempt(20.0, False, T0 + i * 4.0) for i in range(150)),
        *(
            PastAttempt(6.0, True, T0 + 700 + i, dropped=True, answered_at=T0 + 690 + i)
            for i in range(4)
        ),
    ]
    restored = Pacer.restore(hourly(), past)
    now = T0 + 900.0
    assert restored.window(now) == WindowTotals(answers=64, drops=4)
    assert restored.decide(now, 5, [40.0] * 5, []).reason == "over budget"
    assert Pacer(hourly()).decide(now, 5, [40.0] * 5, []).reason == "warm-up"


def test_history_since_is_the_window_start() -> None:
    assert Pacer.history_since(hourly(), T0) == T0 - HOUR
    assert Pacer.history_since(PacerSettings(rule=DropRule.lifetime()), T0) is None


# -- rows of dial_attempts ----------------------------------------------------------------


WHEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return WHEN + timedelta(seconds=seconds)


def test_an_answered_row_is_an_answer_with_its_ring_and_handle_time() -> None:
    row = PastAttempt.from_columns(
        outcome="answered",
        originated_at=at(0),
        answered_at=at(7.5),
        ended_at=at(120),
        handle_seconds=127.0,
    )
    assert row == PastAttempt(7.5, True, at(120).timestamp(), False, 127.0, at(7.5).timestamp())
    assert row is not None and row.ring_ended_at == at(7.5).timestamp()


def test_a_dropped_row_is_an_answer_and_a_drop_without_a_handle_time() -> None:
    row = PastAttempt.from_columns(
        outcome="dropped",
        originated_at=at(0),
        answered_at=at(4),
        ended_at=at(15),
        handle_seconds=11.0,
    )
    assert row == PastAttempt(4.0, True, at(15).timestamp(), True, None, at(4).timestamp())


def test_unanswered_rows_ring_until_they_end() -> None:
    for outcome in ("no_answer", "busy", "failed"):
        row = PastAttempt.from_columns(
            outcome=outcome, originated_at=at(0), answered_at=None, ended_at=at(20)
        )
        assert row == PastAttempt(20.0, False, at(20).timestamp())
    never_originated = PastAttempt.from_columns(
        outcome="failed", originated_at=None, answered_at=None, ended_at=at(1)
    )
    assert never_originated == PastAttempt(0.0, False, at(1).timestamp())


@pytest.mark.parametrize("outcome", [None, "agent_no_answer", "unknown"])
def test_rows_that_say_nothing_about_answers_are_skipped(outcome: str | None) -> None:
    """In flight, never dialed (the agent did not answer first), or unknown after a restart."""
    ended = None if outcome is None else at(30)
    row = PastAttempt.from_columns(
        outcome=outcome, originated_at=at(0), answered_at=None, ended_at=ended
    )
    assert row is None
