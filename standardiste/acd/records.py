"""History facts produced by the model, written to SQL by `standardiste.history`.

Each record carries a stable ``key``: writing the same record twice (a replay from the
disk buffer, a bridge restart) never creates a second row. Keys are built from
Asterisk's unique ids where one exists, else from the Asterisk event timestamp.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

QueueOutcome = Literal["answered", "abandoned", "timed_out", "exited", "transferred"]
AgentAction = Literal["login", "logout", "pause", "resume"]
CallDirection = Literal["inbound", "outbound"]


@dataclass(frozen=True, slots=True)
class Record:
    kind: ClassVar[str] = "record"

    @property
    def key(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind
        return data


@dataclass(frozen=True, slots=True)
class QueueCallEntered(Record):
    """A caller joined a queue."""

    kind: ClassVar[str] = "queue_call_entered"
    uniqueid: str
    queue: str
    caller_number: str
    caller_name: str
    at: float
    position: int | None = None  # where the caller joined (queue_log's origpos)

    @property
    def key(self) -> str:
        return f"{self.uniqueid}|{self.queue}"


@dataclass(frozen=True, slots=True)
class QueueCallAnswered(Record):
    """An agent answered a queued caller after ``wait`` seconds."""

    kind: ClassVar[str] = "queue_call_answered"
    uniqueid: str
    queue: str
    agent: str  # member interface, e.g. PJSIP/agent1001
    member_name: str
    wait: float
    at: float
    agent_uniqueid: str = ""  # the member's channel (queue_log CONNECT's bridged channel)
    ring_time: float | None = None  # how long the answering member rang, whole seconds

    @property
    def key(self) -> str:
        return f"{self.uniqueid}|{self.queue}"


@dataclass(frozen=True, slots=True)
class QueueCallLeft(Record):
    """A caller left a queue unanswered: abandoned (hung up) or timed out."""

    kind: ClassVar[str] = "queue_call_left"
    uniqueid: str
    queue: str
    outcome: QueueOutcome
    wait: float
    at: float
    position: int | None = None  # the caller's position when they left
    # The queue_log event of an ``exited``/``transferred`` outcome (EXITEMPTY, EXITWITHKEY,
    # WITHDRAW; empty when not known) and its own field: the key, the withdraw info.
    event: str = ""
    data: str = ""

    @property
    def key(self) -> str:
        return f"{self.uniqueid}|{self.queue}"


@dataclass(frozen=True, slots=True)
class QueueCallCompleted(Record):
    """An answered queue call ended after ``talk`` seconds."""

    kind: ClassVar[str] = "queue_call_completed"
    uniqueid: str
    queue: str
    agent: str
    talk: float
    hold: float
    ended_by: str  # "agent" | "caller" | "transfer" | ...
    at: float
    # app_queue's own figure of the wait before the answer (queue_log COMPLETE*'s holdtime).
    wait: float | None = None
    # A transfer as queue_log wrote it: the event and its leading data fields
    # ("BLINDTRANSFER|exten|context", "ATTENDEDTRANSFER|BRIDGE|..."); "" otherwise.
    transfer: str = ""

    @property
    def key(self) -> str:
        return f"{self.uniqueid}|{self.queue}"


@dataclass(frozen=True, slots=True)
class AgentEvent(Record):
    """An agent logged in/out of a queue, paused or resumed.

    ``by`` is who asked: the agent's own user, a supervisor's user name, or ``"pbx"`` when
    the change came from Asterisk itself (a phone feature code, a static member, a restart).
    """

    kind: ClassVar[str] = "agent_event"
    agent: str  # member interface
    queue: str
    action: AgentAction
    reason: str
    by: str
    forced: bool
    at: float
    member_name: str = ""  # queue_log's agent column ("" unknown: the interface is used)
    paused: bool = False  # login: added paused (queue_log ADDMEMBER's "PAUSED")

    @property
    def key(self) -> str:
        return f"{self.agent}|{self.queue}|{self.action}|{self.at:.6f}"


@dataclass(frozen=True, slots=True)
class RingNoAnswer(Record):
    """app_queue rang a member for a queued caller and the member did not answer within
    ``ring_ms`` milliseconds (AgentRingNoAnswer, queue_log RINGNOANSWER)."""

    kind: ClassVar[str] = "ring_no_answer"
    uniqueid: str  # the caller's
    queue: str
    agent: str  # member interface
    member_name: str
    ring_ms: int
    at: float

    @property
    def key(self) -> str:
        # The ring time is exact on both sides (AMI and queue_log), the time is not.
        return f"{self.uniqueid}|{self.queue}|{self.agent}|{self.ring_ms}"


@dataclass(frozen=True, slots=True)
class DeviceCall(Record):
    """A call on an agent's device that did not come through a queue."""

    kind: ClassVar[str] = "device_call"
    uniqueid: str
    device: str  # e.g. PJSIP/agent1001
    direction: CallDirection
    peer_number: str
    answered: bool
    talk: float
    started_at: float
    ended_at: float

    @property
    def key(self) -> str:
        return self.uniqueid


@dataclass(frozen=True, slots=True)
class SpyLogged(Record):
    """The audit of a supervisor's listen / whisper / barge session: its start, each mode
    change and its end (who, whom, when, in which mode)."""

    kind: ClassVar[str] = "spy_logged"
    session: str  # the spy channel's uniqueid
    event: Literal["start", "mode", "end"]
    supervisor: str
    device: str
    agent: str
    target_channel: str
    queue: str
    mode: str
    at: float

    @property
    def key(self) -> str:
        return f"{self.session}|{self.event}|{self.at:.6f}"


@dataclass(frozen=True, slots=True)
class CannedLogged(Record):
    """The audit of a canned audio message played into a call (AG-3): its start and its
    end, who played it, into whose call, and who stopped it."""

    kind: ClassVar[str] = "canned_logged"
    session: str  # the playing Local channel's uniqueid
    event: Literal["start", "end"]
    message: int
    name: str
    by: str  # who played it
    agent: str  # the agent's device
    target_channel: str
    queue: str
    stopped_by: str  # end: who stopped it ("" the message or the call ended by itself)
    at: float

    @property
    def key(self) -> str:
        return f"{self.session}|{self.event}"


@dataclass(frozen=True, slots=True)
class CallbackProgress(Record):
    """A callback request (BY-1) moved on: an agent answered its placeholder
    (``connecting``), the customer is being dialled (``calling``), answered (``connected``),
    or it ended (``ended``: ``connected``, ``no_answer``, ``failed``, ``expired``). Statuses
    only move forward (``acd.callbacks.RANK``), so the history applies these in any order."""

    kind: ClassVar[str] = "callback_progress"
    request: str  # the request id (32 hex)
    queue: str
    status: str
    ended: bool
    agent: str  # connecting: the member who answered ("" otherwise)
    detail: str  # ended: the DIALSTATUS or QUEUESTATUS
    at: float

    @property
    def key(self) -> str:
        return f"{self.request}|{self.status}|{int(self.ended)}"


@dataclass(frozen=True, slots=True)
class AgentStateChanged(Record):
    """An agent (a device, across their queues) entered a state (``acd.agent_states``):
    ``reason`` of a pause, ``queue`` of the call (talking, hold, ringing, wrap-up).
    An agent's intervals are their consecutive transitions. Keyed on the agent and the
    instant: of two transitions at the same instant the later one is the state (e.g. the
    member is no longer ringing, then is talking, both at the answer), so the store keeps
    the last one written under a key (records reach it in the order they were made)."""

    kind: ClassVar[str] = "agent_state"
    agent: str
    state: str
    reason: str
    queue: str
    at: float

    @property
    def key(self) -> str:
        return f"{self.agent}|{self.at:.6f}"


RECORD_TYPES: dict[str, type[Record]] = {
    cls.kind: cls
    for cls in (
        QueueCallEntered,
        QueueCallAnswered,
        QueueCallLeft,
        QueueCallCompleted,
        AgentEvent,
        RingNoAnswer,
        AgentStateChanged,
        DeviceCall,
        SpyLogged,
        CannedLogged,
        CallbackProgress,
    )
}


def record_from_dict(data: dict[str, Any]) -> Record:
    """Rebuild a record from ``Record.to_dict()`` output (the disk buffer's format)."""
    fields = dict(data)
    kind = fields.pop("kind")
    try:
        cls = RECORD_TYPES[kind]
    except KeyError:
        raise ValueError(f"unknown history record kind {kind!r}") from None
    return cls(**fields)


__all__ = [
    "AgentEvent",
    "AgentStateChanged",
    "CallbackProgress",
    "CannedLogged",
    "DeviceCall",
    "QueueCallAnswered",
    "QueueCallCompleted",
    "QueueCallEntered",
    "QueueCallLeft",
    "Record",
    "RingNoAnswer",
    "SpyLogged",
    "record_from_dict",
]
