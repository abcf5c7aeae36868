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


# The drop log's buckets per window: the headroom costs one step per bucket, and reads its
# new answers' term at a bucket's first exit, up to window/BUCKETS s early: for an hour and
# new answers at 180 an hour, 0.045 drop below the exact figure (never above it).
BUCKETS = 120


class _Bucket:
    """The events of one slice of time, sorted: (instant, 0 for an answer / 1 for a drop),
    with running sums that answer counts and dips of any tail of it in O(1): ``running[j]``
    is what the first j events take from the headroom as they leave (−cap an answer, +1 a
    drop), ``dropped[j]`` how many of them are drops. Appending keeps them in O(1)."""

    __slots__ = ("_suffix_low", "cap", "closed_low", "dropped", "events", "running")

    def __init__(self, cap: float) -> None:
        self.cap = cap
        self.events: list[tuple[float, int]] = []
        self.running = [0.0]
        self.dropped = [0]
        self.closed_low = 0.0  # lowest running sum at the end of an instant, but the last's
        self._suffix_low: list[float] | None = None

    def add(self, at: float, kind: int) -> None:
        event = (at, kind)
        self._suffix_low = None
        if self.events and event < self.events[-1]:
            bisect.insort(self.events, event)  # events may arrive a little out of order
            events, self.events = self.events, []
            self.running, self.dropped, self.closed_low = [0.0], [0], 0.0
            for again in events:
                self._append(*again)
        else:
            self._append(at, kind)

    def _append(self, at: float, kind: int) -> None:
        if self.events and at != self.events[-1][0]:
            self.closed_low = min(self.closed_low, self.running[-1])
        self.events.append((at, kind))
        self.running.append(self.running[-1] + (1.0 if kind else -self.cap))
        self.dropped.append(self.dropped[-1] + kind)

    def count(self, lo: int, hi: int) -> tuple[int, int]:
        """(answers, drops) among events[lo:hi]."""
        drops = self.dropped[hi] - self.dropped[lo]
        return hi - lo - drops, drops

    def dip(self, lo: int, hi: int) -> float:
        """The lowest the headroom goes, relative to before, while events[lo:hi] leave the
        window in order (read after each whole instant: a drop leaves with its answer);
        ``lo`` and ``hi`` fall between instants."""
        if hi < len(self.events):
            return _dip(self.events[lo:hi], self.cap)  # events after now: not in real use
        if lo == 0:
            return min(self.closed_low, self.running[-1])
        if self._suffix_low is None:
            low = [math.inf] * (len(self.events) + 2)
            for k in range(len(self.events), 0, -1):
                ends = k == len(self.events) or self.events[k][0] != self.events[k - 1][0]
                low[k] = min(low[k + 1], self.running[k]) if ends else low[k + 1]
            self._suffix_low = low
        return min(0.0, self._suffix_low[lo + 1] - self.running[lo])


def _dip(events: Sequence[tuple[float, int]], cap: float) -> float:
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
    costs about the same per decision as an hour's."""

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
            bucket = self._buckets[key] = _Bucket(self.rule.cap)
            if self._keys and key < self._keys[-1]:
                bisect.insort(self._keys, key)
            else:
                self._keys.append(key)
        bucket.add(at, kind)

    def _parts(self, now: float) -> list[tuple[_Bucket, int, int]]:
        """The window's events, (bucket, lo, hi) in order: events[lo:hi] of each bucket are
        in (now − window, now]. Forgets the buckets wholly out of the window."""
        assert self.rule.window is not None
        start = now - self.rule.window
        gone = 0
        for key in self._keys:
            if self._buckets[key].events[-1][0] > start:
                break
            del self._buckets[key]
            gone += 1
        del self._keys[:gone]
        parts = []
        for key in self._keys:
            events = self._buckets[key].events
            if events[0][0] > now:
                break
            lo = 0 if events[0][0] > start else bisect.bisect_right(events, (start, 1))
            hi = len(events) if events[-1][0] <= now else bisect.bisect_right(events, (now, 1))
            if lo < hi:
                parts.append((self._buckets[key], lo, hi))
        return parts

    def totals(self, now: float, ahead: float = 0.0) -> WindowTotals:
        """A and D in the window ending at ``now`` as it will be ``ahead`` s later: the
        answers and drops of ``(now + ahead − window, now]`` (those leaving the window within
        ``ahead`` s not counted; nothing new). Forgets what has left the window by ``now``."""
        if self.rule.window is None:
            return WindowTotals(self._answered, self._dropped)
        start = now + max(0.0, ahead) - self.rule.window
        answers = drops = 0
        for bucket, lo, hi in self._parts(now):
            if bucket.events[lo][0] <= start:
                lo = max(lo, bisect.bisect_right(bucket.events, (start, 1)))
            if lo < hi:
                a, d = bucket.count(lo, hi)
                answers += a
                drops += d
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
        minimum, and at most cap·rate·window/BUCKETS below it."""
        cap = self.rule.cap
        if self.rule.window is None:
            return cap * self._answered - self._dropped
        parts = self._parts(now)
        counts = [bucket.count(lo, hi) for bucket, lo, hi in parts]
        answers = sum(a for a, _d in counts)
        drops = sum(d for _a, d in counts)
        start = now - self.rule.window
        lowest = cap * answers - drops
        for (bucket, lo, hi), (gone_answers, gone_drops) in zip(parts, counts, strict=True):
            future = cap * rate * max(0.0, bucket.events[lo][0] - start - after)
            lowest = min(lowest, cap * answers - drops + bucket.dip(lo, hi) + future)
            answers -= gone_answers
            drops -= gone_drops
        return lowest


def _count_in(times: Sequence[float], start: float, end: float) -> int:
    return bisect.bisect_right(times, end) - bisect.bisect_right(times, start)
