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
    """A campaign's drop cap over its window, and the target the pacing aims at below it."""

    window: float | None = 30 * DAY
    cap: float = 0.03
    target: float = 0.02

    def __post_init__(self) -> None:
        if self.window is not None and not (math.isfinite(self.window) and self.window > 0):
            raise ValueError(f"drop window must be > 0 seconds or None, not {self.window!r}")
        if not 0 < self.cap < 1:
            raise ValueError(f"drop cap must be between 0 and 1, not {self.cap!r}")
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


def _count_in(times: Sequence[float], start: float, end: float) -> int:
    return bisect.bisect_right(times, end) - bisect.bisect_right(times, start)
