"""What happens to a contact after an attempt: retry rules, the per-number attempt cap and
the redial lock-out after a drop (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from standardiste.errors import InvalidInput

from .contacts import Outcome


class ContactStatus(StrEnum):
    PENDING = "pending"  # to be dialled (when next_at has come)
    DIALING = "dialing"  # an attempt is in flight
    DONE = "done"  # reached: answered and connected to an agent
    EXHAUSTED = "exhausted"  # the attempt cap was reached
    DNC = "dnc"  # on a do-not-call list (found at import or at dial time)
    REMOVED = "removed"  # taken off the list by a supervisor


OPEN = frozenset({ContactStatus.PENDING, ContactStatus.DIALING})


@dataclass(frozen=True, slots=True)
class RetryRules:
    max_attempts: int = 3  # per number, every outcome but agent_no_answer counts
    no_answer_delay: int = 3600  # s before the next try
    busy_delay: int = 600
    failed_delay: int = 1800
    unknown_delay: int = 3600
    drop_lockout: int = 72 * 3600  # no repeat call to a dropped number for 72 h (Ofcom)
    agent_no_answer_delay: int = 60

    def delay(self, outcome: Outcome) -> int:
        return {
            Outcome.NO_ANSWER: self.no_answer_delay,
            Outcome.BUSY: self.busy_delay,
            Outcome.FAILED: self.failed_delay,
            Outcome.UNKNOWN: self.unknown_delay,
            Outcome.DROPPED: self.drop_lockout,
            Outcome.AGENT_NO_ANSWER: self.agent_no_answer_delay,
            Outcome.SKIPPED: self.agent_no_answer_delay,
        }.get(outcome, 0)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def parse(cls, data: Any, name: str = "retry") -> RetryRules:
        if not isinstance(data, Mapping):
            raise InvalidInput(f"{name}: an object is expected")
        known = cls.__dataclass_fields__
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise InvalidInput(f"{name}.{unknown[0]}: unknown setting")
        values: dict[str, int] = {}
        for key, value in data.items():
            low, high = (1, 20) if key == "max_attempts" else (0, 30 * 86400)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidInput(f"{name}.{key}: a whole number between {low} and {high}")
            values[key] = value
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a contact stands."""

    status: ContactStatus = ContactStatus.PENDING
    attempts: int = 0
    next_at: datetime | None = None  # not before (None: now)
    last_outcome: Outcome | None = None


def after_attempt(p: Progress, outcome: Outcome, at: datetime, rules: RetryRules) -> Progress:
    """The contact's progress once an attempt ended with ``outcome`` at ``at``."""
    if outcome is Outcome.ANSWERED:
        return replace(
            p,
            status=ContactStatus.DONE,
            attempts=p.attempts + 1,
            next_at=None,
            last_outcome=outcome,
        )
    if outcome in (Outcome.AGENT_NO_ANSWER, Outcome.SKIPPED):  # the contact was never dialled
        return replace(
            p,
            status=ContactStatus.PENDING,
            next_at=at + timedelta(seconds=rules.delay(outcome)),
            last_outcome=outcome,
        )
    attempts = p.attempts + 1
    if attempts >= rules.max_attempts:
        return Progress(ContactStatus.EXHAUSTED, attempts, None, outcome)
    return Progress(
        ContactStatus.PENDING, attempts, at + timedelta(seconds=rules.delay(outcome)), outcome
    )


def is_due(p: Progress, now: datetime) -> bool:
    return p.status is ContactStatus.PENDING and (p.next_at is None or p.next_at <= now)
