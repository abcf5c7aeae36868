"""The pacing's online estimators, over a bounded window of recent observations.

Immutable values: ``observe(...)`` returns a new estimator holding the last ``limit``
observations (the oldest one falls out), so a sudden change in the answer rate or the handle
times is followed after ``limit`` observations at most, and a pacing decision can be replayed
from the values it was given. Queries are O(log N) on sorted copies computed once per value.

- :class:`AnswerEstimator` — from finished attempts (answered by a person, with their ring time
  at answer; or not, with their ring time when they ended): p(r), the chance that a call still
  ringing after r seconds will be answered by a person, and T, the median time to answer.
- :class:`HandleEstimator` — from finished handle times (talk + wrap-up): the survival S(x) and
  the chance that an agent busy for e seconds is free within the next h seconds.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple


class Attempt(NamedTuple):
    """One finished call attempt: how long it rang, and whether a person answered."""

    ring_time: float
    answered: bool


def _check_seconds(what: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number of seconds >= 0, not {value!r}")


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be >= 1, not {limit!r}")


@dataclass(frozen=True)
class AnswerEstimator:
    """p(r) and T from the last ``limit`` finished attempts.

    p(r) is the empirical competing-risks estimate over attempts that were still ringing at
    r (ended at or after r): (answered at or after r) / (still ringing at r). Every
    observation is a finished attempt, so nothing is censored and this is the Kaplan–Meier
    (Aalen–Johansen) estimate itself. It is shrunk by one pseudo-attempt at the overall
    answer rate, (k_r + p(0)) / (n_r + 1), so a ring time longer than any recent attempt's
    gives p(0) rather than 0 — erring towards more answers expected, hence fewer lines.
    """

    limit: int = 500
    attempts: tuple[Attempt, ...] = ()

    def __post_init__(self) -> None:
        _check_limit(self.limit)

    def observe(self, ring_time: float, answered: bool) -> AnswerEstimator:
        """A new estimator with this finished attempt added (and the oldest beyond limit gone)."""
        _check_seconds("ring_time", ring_time)
        kept = self.attempts[-(self.limit - 1) :] if self.limit > 1 else ()
        return AnswerEstimator(self.limit, (*kept, Attempt(float(ring_time), bool(answered))))

    @classmethod
    def of(cls, attempts: Iterable[tuple[float, bool]], limit: int = 500) -> AnswerEstimator:
        """The estimator after observing these attempts in order (the last ``limit`` kept)."""
        _check_limit(limit)
        kept = list(attempts)[-limit:]
        for ring_time, _answered in kept:
            _check_seconds("ring_time", ring_time)
        return cls(limit, tuple(Attempt(float(r), bool(a)) for r, a in kept))

    @cached_property
    def _ends(self) -> list[float]:
        return sorted(a.ring_time for a in self.attempts)

    @cached_property
    def _answer_times(self) -> list[float]:
        return sorted(a.ring_time for a in self.attempts if a.answered)

    @property
    def observed(self) -> int:
        """How many attempts the estimate rests on."""
        return len(self.attempts)

    @property
    def answers(self) -> int:
        """How many of them a person answered (the warm-up counts these)."""
        return len(self._answer_times)

    @property
    def answer_rate(self) -> float:
        """p(0): the share of recent attempts answered by a person (0 with no data)."""
        return self.answers / self.observed if self.attempts else 0.0

    @cached_property
    def ringing_per_answer(self) -> float | None:
        """Seconds of ringing it took per answer: Σ ring times / answers (None before any)."""
        if not self.answers:
            return None
        return math.fsum(a.ring_time for a in self.attempts) / self.answers

    def p(self, ring_time: float) -> float:
        """Chance that a call still ringing after ``ring_time`` s will be answered by a person."""
        if ring_time <= 0:
            return self.answer_rate
        ringing = len(self._ends) - bisect.bisect_left(self._ends, ring_time)
        answered = len(self._answer_times) - bisect.bisect_left(self._answer_times, ring_time)
        return (answered + self.answer_rate) / (ringing + 1)

    def median_answer_time(self) -> float | None:
        """T: the median ring time of recent answered attempts (None before any answer)."""
        times = self._answer_times
        if not times:
            return None
        mid = len(times) // 2
        return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2


@dataclass(frozen=True)
class HandleEstimator:
    """S(x), the survival of handle time (talk + wrap-up), from the last ``limit`` calls."""

    limit: int = 200
    durations: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        _check_limit(self.limit)

    def observe(self, seconds: float) -> HandleEstimator:
        """A new estimator with this finished handle time added."""
        _check_seconds("handle time", seconds)
        kept = self.durations[-(self.limit - 1) :] if self.limit > 1 else ()
        return HandleEstimator(self.limit, (*kept, float(seconds)))

    @classmethod
    def of(cls, durations: Iterable[float], limit: int = 200) -> HandleEstimator:
        """The estimator after observing these handle times in order (the last ``limit``)."""
        _check_limit(limit)
        kept = list(durations)[-limit:]
        for seconds in kept:
            _check_seconds("handle time", seconds)
        return cls(limit, tuple(float(s) for s in kept))

    @cached_property
    def _sorted(self) -> list[float]:
        return sorted(self.durations)

    @property
    def observed(self) -> int:
        return len(self.durations)

    @cached_property
    def mean(self) -> float | None:
        """The mean recent handle time (None with no data)."""
        return math.fsum(self.durations) / len(self.durations) if self.durations else None

    def survival(self, x: float) -> float:
        """S(x): the share of recent handle times longer than x (1 with no data)."""
        if not self.durations:
            return 1.0
        return (len(self._sorted) - bisect.bisect_right(self._sorted, x)) / len(self._sorted)

    def finish_probability(self, elapsed: float, within: float) -> float:
        """(S(e) − S(e+h)) / S(e): chance an agent busy for ``elapsed`` s is free within
        ``within`` s, on counts — of the recent calls that lasted over e, the share that ended
        by e + h — with one more call that did not end (shrunk like p(r)): in the tail, where
        one or two recent calls lasted that long, one of them ending soon does not make the
        agent certain to be free (it made a small team drop twice in the benchmark). 0 when
        no recent call lasted that long (or no data): nothing says this agent will be free
        soon, and assuming so would risk drops."""
        longer = len(self._sorted) - bisect.bisect_right(self._sorted, elapsed)
        if longer <= 0:
            return 0.0
        still = len(self._sorted) - bisect.bisect_right(self._sorted, elapsed + max(0.0, within))
        return (longer - still) / (longer + 1)
