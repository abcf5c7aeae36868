"""Typed events the model understands.

`ami_bridge.translate` turns AMI messages into these; the model never sees AMI text.
``at`` is Asterisk's own event time (``timestampevents = yes``) in Unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class CallerJoined:
    """QueueCallerJoin: a caller entered a queue at ``position``."""

    queue: str
    uniqueid: str
    channel: str
    caller_number: str
    caller_name: str
    position: int
    at: float


@dataclass(frozen=True, slots=True)
class CallerLeft:
    """QueueCallerLeave: a caller left a queue (answered, abandoned or timed out)."""

    queue: str
    uniqueid: str
    at: float
    position: int | None = None  # the caller's position when leaving


@dataclass(frozen=True, slots=True)
class CallerAbandoned:
    """QueueCallerAbandon: the caller hung up while waiting (or the queue timed out)."""

    queue: str
    uniqueid: str
    hold_time: float
    at: float
    position: int | None = None  # the caller's position when leaving


@dataclass(frozen=True, slots=True)
class QueueExited:
    """Our dialplan's ``UserEvent(QueueExit)`` after Queue() returned: the QUEUESTATUS."""

    queue: str
    uniqueid: str
    status: str  # TIMEOUT, FULL, JOINEMPTY, LEAVEEMPTY, JOINUNAVAIL, LEAVEUNAVAIL, CONTINUE, ...
    at: float
    # EXITWITHKEY (the callback key, [standardiste-callback-key]): the digit pressed;
    # WITHDRAW: QUEUE_WITHDRAW_INFO once the dialplan's REGEX accepted it. Else empty.
    key: str = ""
    info: str = ""


@dataclass(frozen=True, slots=True)
class CallbackStep:
    """Our dialplan's ``UserEvent(Callback)``: a step of a callback request (BY-1,
    ``acd.callbacks``): requested, left (the placeholder's Queue() returned, ``status`` its
    QUEUESTATUS), calling (the customer is being dialled), connected (they answered), ended
    (``status`` the DIALSTATUS)."""

    queue: str
    request: str  # the request id (32 hex)
    step: str
    status: str
    at: float


@dataclass(frozen=True, slots=True)
class AgentRinging:
    """AgentCalled: app_queue rings a member for a waiting caller."""

    queue: str
    uniqueid: str  # the caller's
    interface: str
    member_name: str
    agent_channel: str
    at: float


@dataclass(frozen=True, slots=True)
class AgentRingNoAnswer:
    """AgentRingNoAnswer: a member rang ``ring_ms`` ms for a caller and did not answer."""

    queue: str
    uniqueid: str
    interface: str
    at: float
    member_name: str = ""
    ring_ms: int = 0


@dataclass(frozen=True, slots=True)
class AgentConnected:
    """AgentConnect: a member answered a queued caller after ``hold_time`` seconds."""

    queue: str
    uniqueid: str
    interface: str
    member_name: str
    hold_time: float
    agent_uniqueid: str
    agent_channel: str
    at: float
    ring_time: float | None = None  # whole seconds the answering member rang


@dataclass(frozen=True, slots=True)
class AgentCompleted:
    """AgentComplete: an answered queue call ended."""

    queue: str
    uniqueid: str
    interface: str
    hold_time: float
    talk_time: float
    reason: str  # caller | agent | transfer
    at: float


@dataclass(frozen=True, slots=True)
class MemberState:
    """A member's state in one queue, as QueueMemberAdded/Status/QueueStatus report it."""

    queue: str
    interface: str
    member_name: str
    state_interface: str
    dynamic: bool
    paused: bool
    paused_reason: str
    status: int  # AST_DEVICE_* number
    in_call: bool
    calls_taken: int
    last_call: float
    at: float
    # The member's own wrap-up time (s); 0: the queue's ``wrapuptime`` applies. QueueAdd cannot
    # set it, so on our dynamic members it is 0 (realtime/static members may carry one).
    wrapuptime: float = 0.0
    penalty: int = 0  # app_queue rings lower penalties first (skills: ``pbx.skills``)


# Who asked for a member change: the bridge's command journal fills ``by``/``forced`` in at
# the edge (``standardiste.journal``) before the model sees the event; "pbx" means nobody
# through us (a phone feature code, the dialplan, a restart).
PBX = "pbx"


@dataclass(frozen=True, slots=True)
class MemberAdded:
    member: MemberState
    by: str = PBX
    forced: bool = False


@dataclass(frozen=True, slots=True)
class MemberUpdated:
    """QueueMemberStatus (or QueueMemberPenalty): status/in-call/counters/penalty changed."""

    member: MemberState


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    queue: str
    interface: str
    at: float
    by: str = PBX
    forced: bool = False


@dataclass(frozen=True, slots=True)
class MemberPaused:
    """QueueMemberPause: paused or resumed, with the reason given."""

    queue: str
    interface: str
    paused: bool
    reason: str
    at: float
    by: str = PBX
    forced: bool = False


@dataclass(frozen=True, slots=True)
class ChannelCreated:
    """Newchannel."""

    uniqueid: str
    linkedid: str
    channel: str
    caller_number: str
    caller_name: str
    exten: str
    context: str
    at: float


@dataclass(frozen=True, slots=True)
class ChannelAnswered:
    """Newstate to Up."""

    uniqueid: str
    connected_number: str
    at: float


@dataclass(frozen=True, slots=True)
class ChannelConnected:
    """NewConnectedLine: who the channel is now connected to (the far end's number)."""

    uniqueid: str
    connected_number: str
    at: float


@dataclass(frozen=True, slots=True)
class ChannelHold:
    uniqueid: str
    on_hold: bool
    at: float


@dataclass(frozen=True, slots=True)
class HangupRequested:
    """HangupRequest/SoftHangupRequest: someone asked the channel to hang up.

    Seen before QueueCallerAbandon, it tells a caller who hung up from one the queue timed out.
    """

    uniqueid: str
    at: float


@dataclass(frozen=True, slots=True)
class ChannelHungUp:
    uniqueid: str
    cause: int
    at: float


@dataclass(frozen=True, slots=True)
class DeviceStateChanged:
    """DeviceStateChange (live) or a DeviceStateList item (resync): a phone's state."""

    device: str  # e.g. PJSIP/agent1001
    state: str  # NOT_INUSE, INUSE, BUSY, RINGING, ONHOLD, UNAVAILABLE, INVALID, UNKNOWN, ...
    at: float


@dataclass(frozen=True, slots=True)
class QueueParams:
    """QueueParams from QueueStatus: the queue's own settings and figures."""

    queue: str
    strategy: str
    max_callers: int
    service_level: int
    weight: int


@dataclass(frozen=True, slots=True)
class SpyStarted:
    """ChanSpyStart: ``spyer`` (a supervisor's channel running ChanSpy) listens to ``spyee``.

    ``supervisor`` and ``mode`` are what the command journal knows of the request that
    started it (the event does not say); a session started from a phone has neither. A
    canned audio message playing (``acd.canned``) is a ChanSpy session too: ``supervisor``
    is then the user who played it and ``label`` the message's name."""

    spyer_uniqueid: str
    spyer_channel: str
    spyee_uniqueid: str
    spyee_channel: str
    at: float
    supervisor: str = ""
    mode: str = ""  # listen | whisper | barge; "" unknown: listen
    queue: str = ""  # the supervised queue that allowed it ("" then: the spied call's)
    label: str = ""  # a canned message's name


@dataclass(frozen=True, slots=True)
class SpyStopped:
    """ChanSpyStop: the spy channel stopped listening (it hung up, or the spied call ended).

    ``by``: the user who asked for the end, when the command journal knows (a canned
    message stopped from the browser)."""

    spyer_uniqueid: str
    at: float
    by: str = ""


@dataclass(frozen=True, slots=True)
class DigitReceived:
    """DTMFEnd, direction Received: a digit a channel received (a phone's keypad, or our
    PlayDTMF Receive). ChanSpy's ``d`` option switches mode on 4, 5, 6."""

    uniqueid: str
    digit: str
    at: float


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    """QueueEntry from QueueStatus."""

    queue: str
    uniqueid: str
    channel: str
    caller_number: str
    caller_name: str
    position: int
    wait: float


@dataclass(frozen=True, slots=True)
class ActiveChannel:
    """CoreShowChannel."""

    uniqueid: str
    linkedid: str
    channel: str
    caller_number: str
    caller_name: str
    connected_number: str
    context: str
    exten: str
    state: str  # Up, Ring, Ringing, ...
    application: str
    bridge_id: str
    duration: float
    application_data: str = ""  # ChanSpy's: "<spied channel>,<options>"


@dataclass(frozen=True, slots=True)
class OutboundChanged:
    """The dialer's live view changed: a campaign's card or a dial in flight (``value``
    None: gone). Not from AMI: the dialer (core) reports what it decided and what its
    attempts became; the model only keeps it, so the mirror and its resets carry it."""

    entity: Literal["campaign", "dial"]
    key: str
    value: dict[str, Any] | None


DIAL_STAGES = ("agent_answered", "answered", "queued", "connected", "dropped", "ended")


@dataclass(frozen=True, slots=True)
class DialProgress:
    """The dialplan's ``UserEvent(StdDial)`` for a campaign attempt: the agent answered
    (agent-first), the contact answered, was queued / connected to an agent / dropped
    (predictive), the attempt ended (with Dial()'s DIALSTATUS and ANSWEREDTIME)."""

    attempt: str
    stage: str  # one of DIAL_STAGES
    dialstatus: str
    answered_seconds: float
    uniqueid: str
    at: float


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The whole PBX state at one instant: QueueStatus + CoreShowChannels.

    The model replaces its state with this after every (re)connect or Asterisk restart.
    """

    at: float
    queues: tuple[QueueParams, ...] = ()
    members: tuple[MemberState, ...] = ()
    callers: tuple[WaitingCaller, ...] = ()
    channels: tuple[ActiveChannel, ...] = field(default_factory=tuple)
    devices: tuple[DeviceStateChanged, ...] = ()


Event = (
    CallerJoined
    | CallerLeft
    | CallerAbandoned
    | QueueExited
    | CallbackStep
    | AgentRinging
    | AgentRingNoAnswer
    | AgentConnected
    | AgentCompleted
    | MemberAdded
    | MemberUpdated
    | MemberRemoved
    | MemberPaused
    | ChannelCreated
    | ChannelAnswered
    | ChannelConnected
    | ChannelHold
    | HangupRequested
    | ChannelHungUp
    | DeviceStateChanged
    | SpyStarted
    | SpyStopped
    | DigitReceived
    | OutboundChanged
    | DialProgress
)
