"""A predictive campaign's pacer: what the dialer engine feeds and asks every tick (pure).

The engine owns one :class:`Pacer` per predictive campaign. It tells it what happened —
a ring ended (:meth:`~Pacer.attempt_ended`), an agent finished a call and its wrap-up
(:meth:`~Pacer.handle_time`), a live person answered (:meth:`~Pacer.answer`), an answered
call got no agent within 2 s (:meth:`~Pacer.drop`) — and asks, about once a second,
:meth:`~Pacer.decide`: how many contacts to dial now, and why (a
:class:`~standardiste.dialer.pacing.Decision`, whose ``reason`` goes to the dial audit).

What the engine calls, and when:

- a contact's phone stopped ringing (answered, no answer, busy, failed):
  ``attempt_ended(ring_time, answered)``;
- a live person answered at ``answered_at``: ``answer(answered_at)``;
- that answer got no agent within 2 s: ``drop(answered_at)`` — the *answer's* instant, so
  the drop leaves the window with its answer (and a restored pacer counts it the same);
- an agent's wrap-up of a campaign call ended: ``handle_time(talk + wrap-up)``;
- every ~1 s: ``decide(now, free_agents, busy_elapsed, in_flight_ring_times, carrier_lines,
  waiting=...)``, then dial ``decision.dial`` and audit ``decision.reason``;
- at start: ``Pacer.restore(settings, rows)``, the rows being ``PastAttempt.from_columns``
  of the campaign's attempts ended since ``Pacer.history_since(settings, now)`` and at
  least its last ``answer_history`` (500) attempts.

A plain object with explicit methods, mutated by them, never shared between processes: it
holds the recent-history estimators and the drop window's instants, does no I/O, reads no
clock (every instant is passed in, in seconds: ``datetime.timestamp()``) and draws nothing.
After a restart :meth:`Pacer.restore` rebuilds it from the attempts the engine reads from
SQL (``dial_attempts``, see :meth:`PastAttempt.from_columns`), so the drop window — the
thing the rules judge — survives the restart: a restored pacer decides as the one that lived
through the same history.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from standardiste.dialer.campaign import CampaignDef
from standardiste.dialer.contacts import Outcome
from standardiste.dialer.drops import DropLog, DropRule, WindowTotals
from standardiste.dialer.estimates import AnswerEstimator, HandleEstimator
from standardiste.dialer.pacing import (
    Decision,
    PacingInputs,
    lines_to_dial,
    progressive_answer_rate,
)

# Outcomes that say nothing about the contact's answer: never dialed, or unknown after a
# restart. The estimators skip them.
_NO_ANSWER_INFO = frozenset({Outcome.AGENT_NO_ANSWER, Outcome.UNKNOWN})
_LIVE_ANSWER = frozenset({Outcome.ANSWERED, Outcome.DROPPED})


@dataclass(frozen=True)
class PacerSettings:
    """A predictive campaign's pacing settings (defaults: the pacing's benchmarked ones)."""

    rule: DropRule = field(default_factory=DropRule)  # the drop cap, target and window
    max_lines_per_agent: float = 3.0  # ringing + waiting + new ≤ ⌊this × logged-in agents⌋
    ring_timeout: float = 25.0  # s a contact's phone rings before the dialer gives up
    connect_within: float = 2.0  # s an answered contact waits for an agent before the drop
    warmup_answers: int = 20  # progressive until the estimator holds this many answers
    ramp: float = 0.2  # new calls per logged-in agent per decision, beyond progressive
    risk: float = 1e-5  # the tail guard's ε: drops over the cap one decision may add
    # New answers the window's headroom counts on, as a share of what progressive dialing
    # keeps up at the recent answer rate (pacing.progressive_answer_rate): a pessimistic half.
    future_share: float = 0.5
    answer_history: int = 500  # attempts behind p(r) and T
    handle_history: int = 200  # handle times behind S(x)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.ring_timeout) and self.ring_timeout > 0):
            raise ValueError(f"ring_timeout must be > 0 s, not {self.ring_timeout!r}")
        if self.answer_history < 1 or self.handle_history < 1:
            raise ValueError("answer_history and handle_history must be >= 1")
        if not (0 <= self.future_share < math.inf and self.risk >= 0):
            raise ValueError("future_share must be a number >= 0 and risk >= 0")

    @classmethod
    def of_campaign(cls, campaign: CampaignDef) -> PacerSettings:
        """The settings of a campaign's definition (cap, target, window, lines, ring)."""
        return cls(
            rule=DropRule(
                window=float(campaign.drop_window),
                cap=campaign.drop_cap,
                target=campaign.drop_target,
            ),
            max_lines_per_agent=campaign.max_lines_per_agent,
            ring_timeout=float(campaign.ring_timeout),
        )

    @property
    def horizon(self) -> float:
        """How far ahead the drop window is judged: every call dialed now has been answered
        (or given up) and every answer connected or dropped by then."""
        return self.ring_timeout + self.connect_within


class PastAttempt(NamedTuple):
    """One finished attempt, as the engine reads it back from SQL to restore a pacer.

    ``ring_time``: s from the Originate to the answer, or to the end when nobody answered;
    ``answered``: by a live person (drops included); ``ended_at``: when it ended;
    ``answered_at``: the answer's instant (``ended_at`` when unknown); ``handle_seconds``:
    talk + wrap-up of the agent who had it (None when no agent did)."""

    ring_time: float
    answered: bool
    ended_at: float
    dropped: bool = False
    handle_seconds: float | None = None
    answered_at: float | None = None

    @property
    def ring_ended_at(self) -> float:
        """When the ring ended: the instant the live pacer was told of it."""
        if self.answered and self.answered_at is not None:
            return self.answered_at
        return self.ended_at

    @classmethod
    def from_columns(
        cls,
        *,
        outcome: str | None,
        originated_at: datetime | None,
        answered_at: datetime | None,
        ended_at: datetime | None,
        handle_seconds: float | None = None,
    ) -> PastAttempt | None:
        """From a ``dial_attempts`` row's columns (``handle_seconds``: its ``talk_seconds``
        plus the agent's wrap-up); None for a row that says nothing about answers: in
        flight, never dialed (``agent_no_answer``), or ``unknown`` after a restart."""
        if outcome is None or ended_at is None:
            return None
        result = Outcome(outcome)
        if result in _NO_ANSWER_INFO:
            return None
        answered = result in _LIVE_ANSWER
        rang_until = answered_at if answered and answered_at is not None else ended_at
        ring = 0.0 if originated_at is None else (rang_until - originated_at).total_seconds()
        return cls(
            ring_time=max(0.0, ring),
            answered=answered,
            ended_at=ended_at.timestamp(),
            dropped=result is Outcome.DROPPED,
            handle_seconds=handle_seconds if result is Outcome.ANSWERED else None,
            answered_at=answered_at.timestamp() if answered and answered_at else None,
        )


class Pacer:
    """One predictive campaign's pacing state, fed by the engine and asked every tick."""

    def __init__(self, settings: PacerSettings | None = None) -> None:
        self.settings = settings or PacerSettings()
        self._answers = AnswerEstimator(limit=self.settings.answer_history)
        self._handles = HandleEstimator(limit=self.settings.handle_history)
        self._window = DropLog(self.settings.rule)

    # -- what happened ------------------------------------------------------------------

    def attempt_ended(self, ring_time: float, answered: bool) -> None:
        """A contact's phone stopped ringing after ``ring_time`` s: a live person answered, or
        not (no answer, busy, failed). Not for attempts that never reached the contact."""
        self._answers = self._answers.observe(ring_time, answered)

    def handle_time(self, seconds: float) -> None:
        """An agent finished a campaign call: talk + wrap-up lasted ``seconds``."""
        self._handles = self._handles.observe(seconds)

    def answer(self, at: float) -> None:
        """A live person answered at ``at`` (the drop window counts it; drops included)."""
        self._window.answer(at)

    def drop(self, at: float) -> None:
        """The call answered at ``at`` got no agent within the 2 s: a drop. (Counted at its
        answer's instant, so it leaves the window with its answer; call :meth:`answer` too.)"""
        self._window.drop(at)

    # -- the question -------------------------------------------------------------------

    def window(self, now: float) -> WindowTotals:
        """The drop rule's window now: live answers and drops (for the supervisor's view)."""
        return self._window.totals(now)

    def decide(
        self,
        now: float,
        free_agents: int,
        busy_elapsed: Sequence[float],
        in_flight_ring_times: Sequence[float],
        carrier_lines: int | None = None,
        *,
        waiting: int = 0,
    ) -> Decision:
        """How many contacts to dial now, and why.

        ``busy_elapsed``: each busy logged-in agent's handle time so far (talk or wrap-up);
        ``in_flight_ring_times``: each dialed, unanswered call's ring time so far (0 until
        it is originated); ``carrier_lines``: new calls the trunk can take now (None: no
        limit); ``waiting``: answered calls waiting for an agent (inside their 2 s)."""
        settings = self.settings
        totals = self._window.totals(now, ahead=settings.horizon)
        agents = free_agents + len(busy_elapsed)
        rate = settings.future_share * progressive_answer_rate(agents, self._answers, self._handles)
        headroom = self._window.headroom(now, rate, after=settings.horizon)
        return lines_to_dial(
            PacingInputs(
                free_agents=free_agents,
                busy_elapsed=tuple(busy_elapsed),
                ringing=tuple(in_flight_ring_times),
                answers=totals.answers,
                drops=totals.drops,
                answer_estimate=self._answers,
                handle_estimate=self._handles,
                waiting=waiting,
                rule=settings.rule,
                max_lines_per_agent=settings.max_lines_per_agent,
                carrier_lines=carrier_lines,
                warmup_answers=settings.warmup_answers,
                connect_within=settings.connect_within,
                ramp=settings.ramp,
                risk=settings.risk,
                headroom=headroom,
            )
        )

    # -- after a restart ----------------------------------------------------------------

    @staticmethod
    def history_since(settings: PacerSettings, now: float) -> float | None:
        """From when the engine must read finished attempts to restore a pacer at ``now``:
        the drop window's start (None: the campaign's whole life). It must also read at
        least the last ``answer_history`` and ``handle_history`` attempts, older or not."""
        window = settings.rule.window
        return None if window is None else now - window

    @classmethod
    def restore(cls, settings: PacerSettings, history: Iterable[PastAttempt]) -> Pacer:
        """A pacer as if it had been fed these finished attempts as they happened: the rings
        in the order they ended, the handle times in the order the attempts ended, every
        answer and drop at its answer's instant. (An engine that learns a handle time at the
        end of the wrap-up feeds them in a slightly different order; the estimate keeps the
        last ``handle_history`` of them, so at most a call or two may differ.)"""
        past = list(history)
        pacer = cls(settings)
        by_ring_end = sorted(past, key=lambda a: a.ring_ended_at)
        pacer._answers = AnswerEstimator.of(
            ((a.ring_time, a.answered) for a in by_ring_end), settings.answer_history
        )
        pacer._handles = HandleEstimator.of(
            (
                a.handle_seconds
                for a in sorted(past, key=lambda a: a.ended_at)
                if a.handle_seconds is not None
            ),
            settings.handle_history,
        )
        for a in by_ring_end:
            if a.answered:
                at = a.ring_ended_at
                pacer.answer(at)
                if a.dropped:
                    pacer.drop(at)
        return pacer
