"""A campaign's definition (CF-4) and its SV-7 status (pure).

Every field is validated and every error names it. The campaign dials through its queue:
the agents logged in to the campaign are that queue's members (the same log-in, pause and
state as inbound), and predictive mode connects answered contacts through it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from standardiste.acd.names import SLUG_RE, is_queue
from standardiste.errors import InvalidInput

from .contacts import REGION_RE, InvalidNumber, normalise_number
from .retry import RetryRules
from .schedule import CallWindow, Schedule

MODES = ("preview", "progressive", "predictive")
MIN_RING = 15  # s: the rules' minimum ring before giving up on a contact


def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            f"{name}: a whole number between {low} and {high} is expected, got {value!r}"
        )
    return value


def _text(name: str, value: Any, limit: int = 64) -> str:
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > limit
        or not value.isprintable()
    ):
        raise InvalidInput(f"{name}: a non-empty text of at most {limit} printable characters")
    return value.strip()


@dataclass(frozen=True, slots=True)
class CampaignDef:
    name: str  # slug, never changes
    display_name: str
    queue: str  # the campaign's Asterisk queue: its members are the campaign's agents
    mode: str = "progressive"
    caller_id: str = ""  # E.164 presented to contacts ("" = the trunk's default)
    default_region: str = "FR"  # numbers without a country code
    schedule: Schedule = field(default_factory=Schedule)
    call_window: CallWindow = field(default_factory=CallWindow)
    retry: RetryRules = field(default_factory=RetryRules)
    ring_timeout: int = 25  # s the contact's phone rings (≥ 15)
    agent_ring_timeout: int = 15  # s the agent's phone rings first (progressive)
    drop_cap: float = 0.03  # share of live answers (predictive)
    drop_target: float = 0.02  # what the pacing aims at, under the cap
    drop_window: int = 30 * 86400  # s: the rule's period (30 days FTC, 24 h Ofcom)
    max_lines_per_agent: float = 3.0
    preview_timeout: int = 0  # s before a preview dials by itself (0: the agent decides)
    missed_queues: tuple[str, ...] = ()  # SV-10 rule: these queues' missed callers join
    missed_max_age: int = 86400  # s: a missed call older than this is not added by the rule
    drop_message: int = 0  # predictive: the canned audio message a dropped contact hears (0: stock)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "queue": self.queue,
            "mode": self.mode,
            "caller_id": self.caller_id,
            "default_region": self.default_region,
            "schedule": self.schedule.to_dict(),
            "call_window": self.call_window.to_dict(),
            "retry": self.retry.to_dict(),
            "ring_timeout": self.ring_timeout,
            "agent_ring_timeout": self.agent_ring_timeout,
            "drop_cap": self.drop_cap,
            "drop_target": self.drop_target,
            "drop_window": self.drop_window,
            "max_lines_per_agent": self.max_lines_per_agent,
            "preview_timeout": self.preview_timeout,
            "missed_queues": list(self.missed_queues),
            "missed_max_age": self.missed_max_age,
            "drop_message": self.drop_message,
        }

    @classmethod
    def parse(cls, data: Any) -> CampaignDef:
        if not isinstance(data, Mapping):
            raise InvalidInput("campaign: an object is expected")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise InvalidInput(f"{unknown[0]}: unknown setting")
        name = data.get("name")
        if not isinstance(name, str) or not SLUG_RE.fullmatch(name):
            raise InvalidInput(
                f"name: 1-32 of a-z 0-9 _ -, starting with a letter or digit, got {name!r}"
            )
        queue = data.get("queue")
        if not is_queue(queue):
            raise InvalidInput(f"queue: a queue name is expected, got {queue!r}")
        mode = data.get("mode", "progressive")
        if mode not in MODES:
            raise InvalidInput(f"mode: one of {', '.join(MODES)}, got {mode!r}")
        region = data.get("default_region", "FR")
        if not isinstance(region, str) or not REGION_RE.fullmatch(region):
            raise InvalidInput("default_region: a two-letter country code such as FR")
        caller_id = data.get("caller_id", "")
        if caller_id:
            try:
                caller_id = normalise_number(caller_id, region)
            except InvalidNumber as exc:
                raise InvalidInput(f"caller_id: {exc}") from None
        drop_cap = _share("drop_cap", data.get("drop_cap", 0.03))
        drop_target = _share("drop_target", data.get("drop_target", min(0.02, drop_cap)))
        if drop_target > drop_cap:
            raise InvalidInput("drop_target: must not exceed drop_cap")
        lines = data.get("max_lines_per_agent", 3.0)
        if (
            isinstance(lines, bool)
            or not isinstance(lines, int | float)
            or not 1.0 <= lines <= 10.0
        ):
            raise InvalidInput("max_lines_per_agent: a number between 1 and 10")
        missed = data.get("missed_queues", [])
        if (
            not isinstance(missed, list | tuple)
            or not all(is_queue(q) for q in missed)
            or len(missed) > 64
        ):
            raise InvalidInput("missed_queues: a list of queue names")
        return cls(
            name=name,
            display_name=_text("display_name", data.get("display_name", name)),
            queue=str(queue),
            mode=mode,
            caller_id=caller_id,
            default_region=region,
            schedule=Schedule.parse(data.get("schedule", {})),
            call_window=CallWindow.parse(
                data.get("call_window", {"start": "09:00", "end": "20:00"})
            ),
            retry=RetryRules.parse(data.get("retry", {})),
            ring_timeout=_int("ring_timeout", data.get("ring_timeout", 25), MIN_RING, 120),
            agent_ring_timeout=_int(
                "agent_ring_timeout", data.get("agent_ring_timeout", 15), 5, 120
            ),
            drop_cap=drop_cap,
            drop_target=drop_target,
            drop_window=_int("drop_window", data.get("drop_window", 30 * 86400), 3600, 366 * 86400),
            max_lines_per_agent=float(lines),
            preview_timeout=_int("preview_timeout", data.get("preview_timeout", 0), 0, 600),
            missed_queues=tuple(dict.fromkeys(str(q) for q in missed)),
            missed_max_age=_int(
                "missed_max_age", data.get("missed_max_age", 86400), 60, 30 * 86400
            ),
            drop_message=_int("drop_message", data.get("drop_message", 0), 0, 10**18 - 1),
        )


def _share(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 0.03:
        raise InvalidInput(f"{name}: a share between 0 and 0.03 (3%) is expected, got {value!r}")
    return float(value)


class Status(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # by a supervisor
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True)
class CampaignStatus:
    status: Status
    reason: str  # "", "paused", "no_contacts", "no_agents", "outside_schedule", "ended"


def campaign_status(
    definition: CampaignDef,
    *,
    paused: bool,
    contacts_left: int,
    agents_logged_in: int,
    now: datetime,
) -> CampaignStatus:
    """SV-7: Active when contacts are left, an agent is logged in and the schedule is open;
    Paused by a supervisor; otherwise Inactive with the first reason that holds."""
    if paused:
        return CampaignStatus(Status.PAUSED, "paused")
    if definition.schedule.is_over(now):
        return CampaignStatus(Status.INACTIVE, "ended")
    if contacts_left == 0:
        return CampaignStatus(Status.INACTIVE, "no_contacts")
    if agents_logged_in == 0:
        return CampaignStatus(Status.INACTIVE, "no_agents")
    if not definition.schedule.is_open(now):
        return CampaignStatus(Status.INACTIVE, "outside_schedule")
    return CampaignStatus(Status.ACTIVE, "")
