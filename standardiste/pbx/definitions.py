"""What an admin configures, validated: queues, skills, pause reasons (pure, no I/O).

Every value here ends up in an Asterisk file or an AMI header, so each field is checked
against an allow-list or a range, and an error names the field. Display names are the only
free text, and they never reach Asterisk.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from standardiste.acd.metrics import QueueSettings
from standardiste.acd.names import EXTENSION_RE, SLUG_RE, is_queue
from standardiste.errors import InvalidInput

STRATEGIES = (
    "ringall",
    "leastrecent",
    "fewestcalls",
    "random",
    "rrmemory",
    "rrordered",
    "linear",
    "wrandom",
)
# Queue names the product generates itself: never an admin's queue.
RESERVED_QUEUES = frozenset({"general", "standardiste-defaults"})


def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name}: a whole number is expected, got {value!r}")
    if not low <= value <= high:
        raise InvalidInput(f"{name}: must be between {low} and {high}, got {value}")
    return value


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name}: true or false is expected, got {value!r}")
    return value


def _digit(name: str, value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]", value):
        raise InvalidInput(f"{name}: one digit 0-9 is expected, got {value!r}")
    return value


def _display(name: str, value: Any, limit: int = 64) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name}: a non-empty text is expected")
    if len(value) > limit or not value.isprintable():
        raise InvalidInput(f"{name}: at most {limit} printable characters")
    return value.strip()


def slug(name: str, value: Any) -> str:
    if not isinstance(value, str) or not SLUG_RE.fullmatch(value):
        raise InvalidInput(
            f"{name}: 1-32 of a-z 0-9 _ -, starting with a letter or digit, got {value!r}"
        )
    return value


@dataclass(frozen=True, slots=True)
class QueueDef:
    """One call queue (CF-2). ``name`` is Asterisk's queue name and never changes; renaming
    changes ``display_name``."""

    name: str
    display_name: str
    extension: str
    strategy: str = "rrmemory"
    timeout: int = 15  # agent ring timeout, s
    retry: int = 1  # s before trying the next member
    wrapuptime: int = 5  # s
    maxwait: int = 120  # s a caller waits before TIMEOUT (Queue()'s timeout)
    joinempty: bool = True
    leavewhenempty: bool = False
    announce_position: bool = False
    announce_holdtime: bool = False
    announce_frequency: int = 0  # s between announcements (0: never)
    servicelevel: int = 20  # s: the service-level threshold
    weight: int = 0  # priority between queues sharing agents (higher first)
    record: bool = False
    skill: str = ""  # "" = no skill: every agent at penalty 0
    skill_min_level: int = 1  # who rings first: agents with at least this level
    widen_after: int = 0  # s after which every assigned agent may ring (0: never)
    # BY-1: a waiting caller may ask to be called back, keeping their place in line.
    callback: bool = False
    callback_key: str = "5"  # the key that asks for it (one digit)
    callback_threshold: int = 120  # offered when the expected wait is at least this (s)
    callback_expiry: int = 3600  # s a request keeps its place before it expires
    # Metrics (acd/metrics.py): which service level, its target, what a short abandon is.
    sl_variant: int = 1  # 1..4, see acd/metrics.py
    sl_target: int = 80  # %: the cards are green at or above it
    short_abandon: int = 5  # s: abandons within it leave the abandon rate and SL (0: none)

    def metric_settings(self) -> QueueSettings:
        """What the queue's metrics depend on (acd/metrics.py)."""
        return QueueSettings(
            sl_threshold=self.servicelevel,
            sl_variant=self.sl_variant,
            sl_target=self.sl_target,
            short_abandon=self.short_abandon,
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> QueueDef:
        """Validated; unknown keys refused."""
        if not isinstance(data, Mapping):
            raise InvalidInput("a queue must be an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(f"unknown queue setting(s): {', '.join(unknown)}")
        for required in ("name", "extension"):
            if required not in data:
                raise InvalidInput(f"{required}: required")
        values = dict(data)
        values.setdefault("display_name", values["name"])
        return cls(**values).validated()

    def validated(self) -> QueueDef:
        if not is_queue(self.name) or not SLUG_RE.fullmatch(self.name):
            raise InvalidInput(
                f"name: 1-32 of a-z 0-9 _ -, starting with a letter or digit, got {self.name!r}"
            )
        if self.name in RESERVED_QUEUES:
            raise InvalidInput(f"name: {self.name!r} is reserved")
        if not isinstance(self.extension, str) or not EXTENSION_RE.fullmatch(self.extension):
            raise InvalidInput(f"extension: 2 to 20 digits, got {self.extension!r}")
        if self.strategy not in STRATEGIES:
            raise InvalidInput(f"strategy: one of {', '.join(STRATEGIES)}, got {self.strategy!r}")
        if self.skill:
            slug("skill", self.skill)
        return replace(
            self,
            display_name=_display("display_name", self.display_name),
            timeout=_int("timeout", self.timeout, 1, 600),
            retry=_int("retry", self.retry, 0, 600),
            wrapuptime=_int("wrapuptime", self.wrapuptime, 0, 3600),
            maxwait=_int("maxwait", self.maxwait, 1, 86400),
            joinempty=_bool("joinempty", self.joinempty),
            leavewhenempty=_bool("leavewhenempty", self.leavewhenempty),
            announce_position=_bool("announce_position", self.announce_position),
            announce_holdtime=_bool("announce_holdtime", self.announce_holdtime),
            announce_frequency=_int("announce_frequency", self.announce_frequency, 0, 3600),
            servicelevel=_int("servicelevel", self.servicelevel, 1, 3600),
            weight=_int("weight", self.weight, 0, 1000),
            record=_bool("record", self.record),
            skill_min_level=_int("skill_min_level", self.skill_min_level, 1, 5),
            widen_after=_int("widen_after", self.widen_after, 0, 86400),
            callback=_bool("callback", self.callback),
            callback_key=_digit("callback_key", self.callback_key),
            callback_threshold=_int("callback_threshold", self.callback_threshold, 0, 86400),
            callback_expiry=_int("callback_expiry", self.callback_expiry, 10, 86400),
            sl_variant=_int("sl_variant", self.sl_variant, 1, 4),
            sl_target=_int("sl_target", self.sl_target, 1, 100),
            short_abandon=_int("short_abandon", self.short_abandon, 0, 600),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_changes(self, changes: Mapping[str, Any]) -> QueueDef:
        if "name" in changes and changes["name"] != self.name:
            raise InvalidInput("name: a queue's Asterisk name cannot change; rename display_name")
        merged = self.to_dict() | dict(changes)
        return QueueDef.from_mapping(merged)


@dataclass(frozen=True, slots=True)
class PauseReason:
    """A pause reason: ``code`` goes to Asterisk (QueuePause Reason, queue_log); labels show."""

    code: str
    label_en: str
    label_fr: str
    active: bool = True

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PauseReason:
        if not isinstance(data, Mapping):
            raise InvalidInput("a pause reason must be an object")
        code = slug("code", data.get("code"))
        label_en = _display("label_en", data.get("label_en", code))
        label_fr = _display("label_fr", data.get("label_fr", label_en))
        return cls(code, label_en, label_fr, _bool("active", data.get("active", True)))


__all__ = ["EXTENSION_RE", "STRATEGIES", "PauseReason", "QueueDef", "slug"]
