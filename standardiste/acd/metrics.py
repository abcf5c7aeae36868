"""Contact-center metrics, defined once (BY-3): the live queue cards and the reports call
this module, so the same calls give the same figures on both (see ``/work/shared``'s
METRICS.md for the definitions people use and how they differ).

Pure: counts and sums go in (a :class:`Tally`), figures come out (:class:`QueueMetrics`).

A :class:`Tally` keeps, besides counts and sums, the waits of answered and abandoned calls
as histograms keyed by ``ceil(wait)`` in whole seconds. For an integer threshold ``T``,
``wait <= T`` exactly when ``ceil(wait) <= T``, so the service level and the short abandons
are exact for any threshold, chosen after the calls were counted — and tallies merge by
adding (days into a month, queues into a total, a live counter into a report).

Definitions (``S`` = the queue's short-abandon threshold, ``T`` its service-level threshold):

- offered: entered the queue; handled: answered by an agent; abandoned: hung up waiting;
  timed out: removed by the queue's maximum wait; transferred: taken or transferred out by a
  supervisor (neither handled nor abandoned); exited: left otherwise (empty queue, a key).
- short abandon: abandoned with ``wait <= S`` (``S = 0``: none). Short abandons are left out
  of the abandon rate and of the service level.
- abandon rate = (abandoned − short) / (offered − short).
- service level, with ``A`` = abandoned minus short abandons, variants (per queue):
  1. (answered ≤ T + A ≤ T) / (answered + A)
  2. answered ≤ T / answered
  3. answered ≤ T / (answered + A)
  4. answered ≤ T / (answered + A > T)
  Timed-out calls are in none of them (as in METRICS.md's definitions).
- ASA = total wait of answered calls / handled.
- AHT = (talk + after-call work) / completed, where Asterisk's talk time already includes
  the time on hold (so talk excluding hold = talk − hold) and ``completed`` are the answered
  calls whose end is known. After-call work is counted as 0 while it is unknown.
- longest wait: the longest wait of a call that left the queue (answered or not).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

LeftOutcome = Literal["abandoned", "timed_out", "transferred", "exited"]
SL_VARIANTS = (1, 2, 3, 4)


# Waits above this are above any threshold a queue may set (servicelevel <= 3600 s): one key,
# so a histogram stays small.
WAIT_KEY_CAP = 3601


def wait_bucket(wait: float) -> int:
    """The histogram key of a wait: whole seconds, rounded up (``wait <= T`` iff key <= T),
    at most :data:`WAIT_KEY_CAP`."""
    return min(WAIT_KEY_CAP, max(0, math.ceil(wait)))


@dataclass(slots=True)
class Tally:
    """What the metrics of a set of queue calls are computed from: counts, sums and the
    wait histograms. Add calls one by one (live) or merge aggregates (reports)."""

    offered: int = 0
    handled: int = 0
    abandoned: int = 0
    timed_out: int = 0
    transferred: int = 0
    exited: int = 0
    answered_wait: float = 0.0  # sum of the waits of answered calls (ASA)
    longest_wait: float = 0.0
    completed: int = 0  # answered calls whose talk time is known (AHT's divisor)
    talk: float = 0.0  # Asterisk's talk time: includes the time on hold
    hold: float = 0.0
    waits_answered: dict[int, int] = field(default_factory=dict)  # ceil(wait) -> calls
    waits_abandoned: dict[int, int] = field(default_factory=dict)

    # -- one call at a time (the live model)
    def entered(self) -> None:
        self.offered += 1

    def answered(self, wait: float) -> None:
        self.handled += 1
        self.answered_wait += wait
        self.longest_wait = max(self.longest_wait, wait)
        key = wait_bucket(wait)
        self.waits_answered[key] = self.waits_answered.get(key, 0) + 1

    def left(self, outcome: LeftOutcome, wait: float) -> None:
        """An unanswered caller left the queue after ``wait`` seconds."""
        self.longest_wait = max(self.longest_wait, wait)
        if outcome == "abandoned":
            self.abandoned += 1
            key = wait_bucket(wait)
            self.waits_abandoned[key] = self.waits_abandoned.get(key, 0) + 1
        elif outcome == "timed_out":
            self.timed_out += 1
        elif outcome == "transferred":
            self.transferred += 1
        else:
            self.exited += 1

    def ended(self, talk: float, hold: float) -> None:
        """An answered call ended: its talk time (including hold) and its hold time."""
        self.completed += 1
        self.talk += talk
        self.hold += hold

    # -- aggregates
    def merge(self, other: Tally) -> None:
        for name in ("offered", "handled", "abandoned", "timed_out", "transferred", "exited"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.completed += other.completed
        self.answered_wait += other.answered_wait
        self.talk += other.talk
        self.hold += other.hold
        self.longest_wait = max(self.longest_wait, other.longest_wait)
        for mine, theirs in (
            (self.waits_answered, other.waits_answered),
            (self.waits_abandoned, other.waits_abandoned),
        ):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n

    @classmethod
    def total(cls, tallies: Iterable[Tally]) -> Tally:
        out = cls()
        for tally in tallies:
            out.merge(tally)
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Tally:
        """A tally read back from JSON (histogram keys are strings there); missing fields 0."""

        def hist(value: Any) -> dict[int, int]:
            return {int(k): int(n) for k, n in (value or {}).items()}

        return cls(
            offered=int(data.get("offered", 0)),
            handled=int(data.get("handled", 0)),
            abandoned=int(data.get("abandoned", 0)),
            timed_out=int(data.get("timed_out", 0)),
            transferred=int(data.get("transferred", 0)),
            exited=int(data.get("exited", 0)),
            answered_wait=float(data.get("answered_wait", 0.0)),
            longest_wait=float(data.get("longest_wait", 0.0)),
            completed=int(data.get("completed", 0)),
            talk=float(data.get("talk", 0.0)),
            hold=float(data.get("hold", 0.0)),
            waits_answered=hist(data.get("waits_answered")),
            waits_abandoned=hist(data.get("waits_abandoned")),
        )

    # -- counts under a threshold
    def answered_within(self, threshold: int) -> int:
        return sum(n for k, n in self.waits_answered.items() if k <= threshold)

    def abandoned_within(self, threshold: int) -> int:
        return sum(n for k, n in self.waits_abandoned.items() if k <= threshold)

    def short_abandoned(self, short: int) -> int:
        """Abandoned within ``short`` seconds (0: no short abandons)."""
        return self.abandoned_within(short) if short > 0 else 0


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """The per-queue settings the metrics depend on."""

    sl_threshold: int = 20  # T, s
    sl_variant: int = 1
    sl_target: int = 80  # %
    short_abandon: int = 5  # S, s; 0: no short abandons


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """The figures of one tally. Percentages 0-100 and seconds, rounded to 0.1; None where
    the divisor is 0."""

    offered: int
    handled: int
    abandoned: int
    short_abandoned: int
    timed_out: int
    transferred: int
    exited: int
    service_level: float | None
    abandon_rate: float | None
    asa: float | None
    aht: float | None
    longest_wait: float | None
    talk: float
    hold: float
    acw: float | None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


METRIC_NAMES = tuple(QueueMetrics.__dataclass_fields__)


def ratio(part: float, whole: float) -> float | None:
    """``part / whole`` as a percentage rounded to 0.1, None when ``whole`` is 0."""
    return round(100.0 * part / whole, 1) if whole else None


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def service_level(tally: Tally, settings: QueueSettings) -> float | None:
    """The service level of ``settings.sl_variant`` (see the module's docstring)."""
    return ratio(*sl_parts(tally, settings))


def sl_parts(tally: Tally, settings: QueueSettings) -> tuple[int, int]:
    """The service level's numerator and divisor, so that queues with different settings
    add up (a report over several queues: each call judged by its own queue's rules)."""
    t = settings.sl_threshold
    short = tally.short_abandoned(settings.short_abandon)
    answered, answered_in = tally.handled, tally.answered_within(t)
    counted = tally.abandoned - short  # abandons that count
    # counted abandons within T: short < ceil(wait) <= T
    s = settings.short_abandon
    counted_in = tally.abandoned_within(t) - (tally.abandoned_within(min(s, t)) if s > 0 else 0)
    variant = settings.sl_variant
    if variant == 1:
        return answered_in + counted_in, answered + counted
    if variant == 2:
        return answered_in, answered
    if variant == 3:
        return answered_in, answered + counted
    if variant == 4:
        return answered_in, answered + counted - counted_in
    raise ValueError(f"sl_variant: one of 1, 2, 3, 4, got {variant!r}")


def abandon_rate(tally: Tally, short_abandon: int) -> float | None:
    short = tally.short_abandoned(short_abandon)
    return ratio(tally.abandoned - short, tally.offered - short)


def asa(tally: Tally) -> float | None:
    return _seconds(tally.answered_wait / tally.handled) if tally.handled else None


def aht(tally: Tally, acw: float | None = None) -> float | None:
    """(talk including hold + after-call work) / completed calls."""
    if not tally.completed:
        return None
    return _seconds((tally.talk + (acw or 0.0)) / tally.completed)


def talk_excluding_hold(tally: Tally) -> float:
    return max(0.0, tally.talk - tally.hold)


def queue_metrics(tally: Tally, settings: QueueSettings, acw: float | None = None) -> QueueMetrics:
    """Every queue figure of ``tally`` under ``settings``."""
    return combined_metrics([(tally, settings)], acw)


def combined_metrics(
    parts: Iterable[tuple[Tally, QueueSettings]], acw: float | None = None
) -> QueueMetrics:
    """The figures of several queues' tallies together, each under its own settings: the
    ratios add their numerators and divisors (a service level over two queues with other
    thresholds judges each call by its own queue's)."""
    chosen = list(parts)
    tally = Tally.total(t for t, _ in chosen)
    short = sl_num = sl_den = 0
    for part, settings in chosen:
        short += part.short_abandoned(settings.short_abandon)
        num, den = sl_parts(part, settings)
        sl_num, sl_den = sl_num + num, sl_den + den
    left = tally.handled + tally.abandoned + tally.timed_out + tally.transferred + tally.exited
    return QueueMetrics(
        offered=tally.offered,
        handled=tally.handled,
        abandoned=tally.abandoned,
        short_abandoned=short,
        timed_out=tally.timed_out,
        transferred=tally.transferred,
        exited=tally.exited,
        service_level=ratio(sl_num, sl_den),
        abandon_rate=ratio(tally.abandoned - short, tally.offered - short),
        asa=asa(tally),
        aht=aht(tally, acw),
        longest_wait=_seconds(tally.longest_wait) if left else None,
        talk=round(tally.talk, 1),
        hold=round(tally.hold, 1),
        acw=_seconds(acw),
    )


def sl_status(level: float | None, target: int) -> str | None:
    """``ok`` at or above the target, ``near`` within 10 points under it, else ``below``."""
    if level is None:
        return None
    if level >= target:
        return "ok"
    return "near" if level >= target - 10 else "below"


# -- agents and campaigns (float in, percentage out)
def occupancy(handling_s: float, ready_s: float) -> float | None:
    """Handling time / (handling + ready idle time), %."""
    return ratio(handling_s, handling_s + ready_s)


def utilisation(handling_s: float, logged_in_s: float) -> float | None:
    """Handling time / logged-in time, %."""
    return ratio(handling_s, logged_in_s)


def drop_rate(dropped: int, answered_live: int) -> float | None:
    """Calls a person answered with no agent free to take them / calls a person answered, %."""
    return ratio(dropped, answered_live)


def list_penetration(contacts_dialled: int, contacts_total: int) -> float | None:
    """Contacts dialled at least once / contacts in the list, %."""
    return ratio(contacts_dialled, contacts_total)
