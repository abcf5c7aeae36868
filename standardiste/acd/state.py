"""The live state of the contact center: plain dataclasses, serialisable as dicts."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from standardiste.acd.metrics import Tally

# Asterisk's AST_DEVICE_* numbers as QueueMember events report them.
DEVICE_STATUS = {
    0: "unknown",
    1: "not_in_use",
    2: "in_use",
    3: "busy",
    4: "invalid",
    5: "unavailable",
    6: "ringing",
    7: "ring_in_use",
    8: "on_hold",
}

# In use, busy, ringing while in use, on hold: the device is in a call (maybe not a queue call).
BUSY_STATUSES = frozenset({2, 3, 7, 8})

Presence = Literal["paused", "in_call", "ringing", "wrapup", "unavailable", "ready"]
# A queue "caller" is an inbound call, or a callback request's placeholder (acd.callbacks).
CallKind = Literal["call", "callback"]


def _plain(obj: Any) -> dict[str, Any]:
    """A flat dataclass as a dict: what ``dataclasses.asdict`` gives, without its deep copies
    (it was the largest cost of the live path: every change is serialised)."""
    return {name: getattr(obj, name) for name in _field_names(type(obj))}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def device_of(channel: str) -> str:
    """``PJSIP/agent1001-0000000a`` -> ``PJSIP/agent1001`` (the device behind a channel)."""
    base, sep, _suffix = channel.rpartition("-")
    return base if sep else channel


@dataclass(slots=True)
class Counters(Tally):
    """Today's outcomes in one queue (local day of the contact center): the tally the
    metrics are computed from (acd/metrics.py: offered, handled, abandoned, timed out,
    transferred out by a supervisor (QD-2), exited, waits, talk and hold), and the callbacks."""

    day: str = ""
    # Callback requests (BY-1), apart from the inbound calls above: asked for, customer
    # reached, expired in the queue, not reached (no answer, failure).
    callbacks_requested: int = 0
    callbacks_connected: int = 0
    callbacks_expired: int = 0
    callbacks_failed: int = 0


@dataclass(slots=True)
class Queue:
    name: str
    strategy: str = ""
    max_callers: int = 0
    service_level: int = 0
    weight: int = 0
    today: Counters = field(default_factory=Counters)
    updated_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = _plain(self)
        today = data["today"] = _plain(self.today)
        # copies (the change is serialised later, the model keeps counting), with the keys as
        # JSON has them: the mirror's readers see exactly the model's state
        today["waits_answered"] = {str(k): n for k, n in self.today.waits_answered.items()}
        today["waits_abandoned"] = {str(k): n for k, n in self.today.waits_abandoned.items()}
        return data


@dataclass(slots=True)
class Member:
    """An agent (queue member) in one queue."""

    queue: str
    interface: str
    member_name: str = ""
    state_interface: str = ""
    dynamic: bool = True
    paused: bool = False
    paused_reason: str = ""
    paused_by: str = ""
    forced: bool = False  # paused by a supervisor
    status: int = 0
    in_call: bool = False
    ringing: bool = False
    calls_taken: int = 0
    last_call: float = 0.0
    wrapup_until: float = 0.0  # Asterisk holds the member (no call offered) until then
    wrapuptime: float = 0.0  # the member's own wrap-up time (s); 0: the queue's applies
    penalty: int = 0  # lower rings first (skills, pbx/skills.py)
    since: float = 0.0  # when the presence last changed
    logged_in_at: float = 0.0

    @property
    def key(self) -> str:
        return member_key(self.queue, self.interface)

    def presence(self, now: float) -> Presence:
        if self.paused:
            return "paused"
        if self.in_call or self.status in BUSY_STATUSES:
            return "in_call"
        if self.ringing or self.status == 6:
            return "ringing"
        if now < self.wrapup_until:
            return "wrapup"
        if self.status in (4, 5):
            return "unavailable"
        return "ready"

    def to_dict(self) -> dict[str, Any]:
        data = _plain(self)
        data["status_name"] = DEVICE_STATUS.get(self.status, "unknown")
        return data


def member_key(queue: str, interface: str) -> str:
    return f"{queue}|{interface}"


@dataclass(slots=True)
class Caller:
    """A caller waiting in a queue."""

    uniqueid: str
    queue: str
    channel: str
    caller_number: str
    caller_name: str
    position: int
    joined_at: float
    ringing: str = ""  # interface being rung for this caller, if any
    kind: CallKind = "call"  # "callback": a callback request's placeholder (BY-1)
    callback: str = ""  # its request id

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(slots=True)
class Call:
    """An answered queue call: a caller talking to an agent."""

    uniqueid: str
    queue: str
    agent: str
    member_name: str
    caller_number: str
    caller_name: str
    wait: float
    answered_at: float
    agent_uniqueid: str = ""
    hold: float = 0.0
    on_hold_since: float = 0.0
    kind: CallKind = "call"  # "callback": the agent answered a callback request (BY-1)
    callback: str = ""  # its request id

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(slots=True)
class Channel:
    """A live channel; the model keeps them to account for agents' non-queue calls."""

    uniqueid: str
    linkedid: str
    channel: str
    caller_number: str
    exten: str
    created_at: float
    answered_at: float = 0.0
    connected_number: str = ""

    @property
    def device(self) -> str:
        return device_of(self.channel)


@dataclass(slots=True)
class DirectCall:
    """A call on an agent's phone that did not come through a queue: a direct inbound call
    or one the agent placed (QD-3's "other calls"). Ends in the history as a DeviceCall."""

    uniqueid: str
    device: str
    direction: Literal["inbound", "outbound"]
    peer_number: str
    started_at: float
    answered_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


SpyMode = Literal["listen", "whisper", "barge"]


@dataclass(slots=True)
class Spy:
    """A supervisor's ChanSpy session on an agent's call (SV-9: listen, whisper, barge)."""

    uniqueid: str  # the supervisor's (spyer) channel: the session's id
    channel: str
    device: str  # the supervisor's device
    supervisor: str  # the user who started it from the browser; "" from a phone
    agent: str  # the spied agent's device
    target_channel: str
    target_uniqueid: str
    queue: str  # the queue of the spied call ("" a non-queue call)
    mode: SpyMode
    started_at: float
    mode_since: float

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(slots=True)
class Canned:
    """A canned audio message an agent plays into their own call (AG-3): both parties hear
    it. The playing channel is a Local channel that barges into the agent's channel."""

    uniqueid: str  # the Local channel's ";1" half (ChanSpy's spy channel): the playback's id
    channel: str
    message: int  # the canned audio message's id
    name: str  # its name when it was played ("" if the bridge did not start it)
    by: str  # the user who played it ("" unknown: found by a resync)
    agent: str  # the agent's device
    target_channel: str
    target_uniqueid: str
    queue: str  # the queue of the call ("" a non-queue call)
    started_at: float

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


Entity = Literal[
    "queue", "member", "caller", "call", "device", "spy", "direct", "canned", "campaign", "dial"
]


@dataclass(frozen=True, slots=True)
class Change:
    """One entity changed: ``value`` is its new dict, or None when it is gone."""

    entity: Entity
    key: str
    value: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Reset:
    """The whole state was replaced (after a resync); ``state`` is the full snapshot."""

    state: dict[Entity, dict[str, dict[str, Any]]]
