"""The drop budget's window: live answers A and drops D that a campaign's drop rule counts now.

A drop (an answered contact who got no agent within 2 s, and heard the recorded message
instead) is counted against the calls answered by a live person, drops included: the FTC's
"3% of calls answered by a live person", Ofcom's 3% per 24 h. The rule's window is a length
in seconds that slides with ``now`` (30 days, 24 h), or ``None`` for the campaign's lifetime.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

DAY = 86_400.0


@dataclass(frozen=True)
class DropRule:
    """A campaign's drop cap over its window, and the target the pacing aims at below it.
    A cap of 0 allows no drop: the pacing stays progressive."""

    window: float | None = 30 * DAY
    cap: float = 0.03
    target: float = 0.02

    def __post_init__(self) -> None:
        if self.window is not None and not (math.isfinite(self.window) and self.window > 0):
            raise ValueError(f"drop window must be > 0 seconds or None, not {self.window!r}")
        if not 0 <= self.cap < 1:
            raise ValueError(f"drop cap must be in [0, 1), not {self.cap!r}")
        if not 0 <= self.target <= self.cap:
            raise ValueError(f"drop target must be between 0 and the cap, not {self.target!r}")

    @classmethod
    def ftc(cls) -> DropRule:
        """US TSR safe harbour: 3% per 30 days (a campaign shorter than that: its lifetime,
        which a sliding 30-day window covers)."""
        return cls(window=30 * DAY)

    @classmethod
    def ofcom(cls) -> DropRule:
        """UK Ofcom: 3% per campaign per 24 h."""
        return cls(window=DAY)

    @classmethod
    def lifetime(cls) -> DropRule:
        return cls(window=None)


@dataclass(frozen=True)
class WindowTotals:
    """A: live answers (drops included) and D: drops, inside the rule's window."""

    answers: int
    drops: int

    @property
    def rate(self) -> float:
        """D / A (0 with no answers)."""
        return self.drops / self.answers if self.answers else 0.0


def window_totals(
    answer_times: Sequence[float], drop_times: Sequence[float], now: float, rule: DropRule
) -> WindowTotals:
    """A and D in the rule's window ending at ``now`` (``(now − window, now]``).

    ``answer_times`` are the instants of every live answer, dropped ones included;
    ``drop_times`` the instants of the drops; both sorted ascending (as they are when appended
    as they happen). Events after ``now`` are not counted."""
    start = -math.inf if rule.window is None else now - rule.window
    return WindowTotals(
        answers=_count_in(answer_times, start, now), drops=_count_in(drop_times, start, now)
    )


# The drop log's buckets per window: the headroom's cost is one step per bucket, and its
# answers' rate term is read at a bucket's first exit (≤ window/600 s early: 0.02 drop for
# an hour at 360 answers an hour).
BUCKETS = 120


class _Bucket:
    """The events of one slice of time, sorted: (instant, 0 for an answer / 1 for a drop)."""

    __slots__ = ("answers", "dips", "drops", "events")

    def __init__(self) -> None:
        self.events: list[tuple[float, int]] = []
        self.answers = 0
        self.drops = 0
        self.dips: dict[float, float] = {}  # cap -> dip, forgotten on every insert

    def add(self, at: float, kind: int) -> None:
        event = (at, kind)
        if self.events and event < self.events[-1]:
            bisect.insort(self.events, event)  # events may arrive a little out of order
        else:
            self.events.append(event)
        self.answers += kind == 0
        self.drops += kind == 1
        self.dips.clear()

    def dip(self, cap: float) -> float:
        if cap not in self.dips:
            self.dips[cap] = _dip(self.events, cap)
        return self.dips[cap]


def _dip(events: Sequence[tuple[float, int]], cap: float) -> float:
    """The lowest the headroom goes, relative to before, while these events leave the window
    in order: each answer takes cap from it, each drop gives 1 back (a drop leaves with its
    answer, at the same instant: read after the whole instant)."""
    running = lowest = 0.0
    for i, (at, kind) in enumerate(events):
        running += 1.0 if kind else -cap
        if i + 1 == len(events) or events[i + 1][0] != at:
            lowest = min(lowest, running)
    return lowest


class DropLog:
    """The instants of a campaign's live answers and drops, kept as they happen, forgotten
    once out of the rule's window (the lifetime rule keeps counts only). Mutable and pure:
    the caller passes every instant; nothing here reads a clock; ``now`` only moves forward.

    A drop is counted at its *answer's* instant: a dropped call is an answered call, so it
    enters and leaves the window with its answer (the caller also counts it as an answer).
    Kept in :data:`BUCKETS` slices of the window, so that a 30-day window of 100,000 answers
    costs the same per decision as an hour's."""

    def __init__(self, rule: DropRule) -> None:
        self.rule = rule
        self._span = math.inf if rule.window is None else rule.window / BUCKETS
        self._keys: list[int] = []  # sorted
        self._buckets: dict[int, _Bucket] = {}
        self._answered = 0  # lifetime rule: counts only
        self._dropped = 0

    def answer(self, at: float) -> None:
        """A live person answered at ``at`` (dropped or not)."""
        self._add(at, 0)

    def drop(self, at: float) -> None:
        """The call answered at ``at`` got no agent in time."""
        self._add(at, 1)

    def _add(self, at: float, kind: int) -> None:
        if not math.isfinite(at):
            raise ValueError(f"an instant must be a finite number of seconds, not {at!r}")
        if self.rule.window is None:
            self._answered += kind == 0
            self._dropped += kind == 1
            return
        key = math.floor(at / self._span)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket()
            if self._keys and key < self._keys[-1]:
                bisect.insort(self._keys, key)
            else:
                self._keys.append(key)
        bucket.add(at, kind)

    def _in_window(self, now: float) -> list[tuple[_Bucket | list[tuple[float, int]], float]]:
        """The window's buckets in order, each whole or as its events in (now − window, now],
        with its first instant; forgets the buckets wholly out of the window."""
        assert self.rule.window is not None
        start = now - self.rule.window
        gone = 0
        for key in self._keys:
            if self._buckets[key].events[-1][0] > start:
                break
            del self._buckets[key]
            gone += 1
        del self._keys[:gone]
        parts: list[tuple[_Bucket | list[tuple[float, int]], float]] = []
        for key in self._keys:
            bucket = self._buckets[key]
            first, last = bucket.events[0][0], bucket.events[-1][0]
            if first > now:
                break
            if first > start and last <= now:
                parts.append((bucket, first))
            else:
                inside = [e for e in bucket.events if start < e[0] <= now]
                if inside:
                    parts.append((inside, inside[0][0]))
        return parts

    def totals(self, now: float, ahead: float = 0.0) -> WindowTotals:
        """A and D in the window ending at ``now`` as it will be ``ahead`` s later: the
        answers and drops of ``(now + ahead − window, now]`` (those leaving the window within
        ``ahead`` s not counted; nothing new)."""
        if self.rule.window is None:
            return WindowTotals(self._answered, self._dropped)
        start = now + max(0.0, ahead) - self.rule.window
        answers = drops = 0
        for part, first in self._in_window(now):
            if isinstance(part, _Bucket) and first > start:
                answers += part.answers
                drops += part.drops
            else:
                events = part.events if isinstance(part, _Bucket) else part
                kinds = [kind for at, kind in events if at > start]
                drops += sum(kinds)
                answers += len(kinds) - sum(kinds)
        return WindowTotals(answers, drops)

    def headroom(self, now: float, rate: float = 0.0, after: float = 0.0) -> float:
        """How many more drops the window can take and stay within the cap from now until
        every answer in it now has left: min over τ in [0, window] of
        cap·(A(τ) + rate·max(0, τ − after)) − D(τ), where A(τ), D(τ) are the answers and
        drops of the window τ s from now, with no new drop and new answers at ``rate`` per
        second after ``after`` s. (A new answer adds cap to it; a drop made now costs 1 until
        it leaves, while the answers around it leave one by one.) The minimum is at τ = 0 or
        as an answer leaves (between those instants the expression only grows); it is taken
        per bucket, with the rate term at the bucket's first exit: never above the exact
        minimum, and at most cap·rate·window/600 below it."""
        cap = self.rule.cap
        if self.rule.window is None:
            return cap * self._answered - self._dropped
        parts = self._in_window(now)
        answers = drops = 0
        for part, _first in parts:
            if isinstance(part, _Bucket):
                answers += part.answers
                drops += part.drops
            else:
                drops += sum(kind for _at, kind in part)
                answers += sum(1 - kind for _at, kind in part)
        start = now - self.rule.window
        lowest = cap * answers - drops
        for part, first in parts:
            if isinstance(part, _Bucket):
                dip, gone_answers, gone_drops = part.dip(cap), part.answers, part.drops
            else:
                dip = _dip(part, cap)
                gone_drops = sum(kind for _at, kind in part)
                gone_answers = len(part) - gone_drops
            future = cap * rate * max(0.0, first - start - after)
            lowest = min(lowest, cap * answers - drops + dip + future)
            answers -= gone_answers
            drops -= gone_drops
        return lowest


def _count_in(times: Sequence[float], start: float, end: float) -> int:
    return bisect.bisect_right(times, end) - bisect.bisect_right(times, start)
