"""AMI messages to the model's typed events: the one place that knows AMI header names.

A message that makes no sense (a missing header, a number that is not one) raises
:class:`BadMessage` naming the event and the header; the bridge logs it and goes on.

Names are read back as the caller typed them. Asterisk 22 writes the caller's name of a
channel snapshot (``CallerIDName``, ``ConnectedLineName`` and their prefixed forms, in every
channel event and in ``CoreShowChannel``) through ``ast_escape_c()``: ``\\ ' " ?`` and the C
control escapes get a backslash (``O'Brien`` arrives as ``O\\'Brien``). ``QueueStatus``'
``QueueEntry`` and app_queue's own fields (``MemberName``, ``PausedReason``) arrive as they
are — checked on the sandbox (``tests/integration/test_names_live.py``). So the escape is
undone exactly where Asterisk applies it, and every name is then made safe to show
(``acd.names.display_name``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol

from standardiste.acd import events as ev
from standardiste.acd.callbacks import REQUEST_ID_RE, STEPS
from standardiste.acd.names import display_name


class Headers(Protocol):
    """What translate needs of a message: case-insensitive header lookup."""

    @property
    def event(self) -> str: ...

    def get(self, name: str, default: str, /) -> str: ...


class BadMessage(ValueError):
    """An AMI message whose content makes no sense for its kind."""


# The event classes the bridge subscribes to (manager.conf read= / Login Events:).
EVENT_CLASSES = "system,call,agent,user,dtmf"


# ast_escape_c()'s table (main/utils.c: escape_sequences / escape_sequences_map).
_C_UNESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip
_C_ESCAPED = re.compile(r"\\([abfnrtv\\'\"?])")
CALLER_NAME_MAX = 128


def unescape_c(value: str) -> str:
    """The inverse of Asterisk's ``ast_escape_c()``."""
    if "\\" not in value:
        return value
    return _C_ESCAPED.sub(lambda m: _C_UNESCAPES[m[1]], value)


def _channel_name(msg: Headers, header: str) -> str:
    """A name field of a channel snapshot (escaped by Asterisk), as the caller sent it."""
    return display_name(unescape_c(msg.get(header, "")), CALLER_NAME_MAX)


def _plain_name(msg: Headers, header: str) -> str:
    """A name field Asterisk sends unescaped (QueueEntry, MemberName)."""
    return display_name(msg.get(header, ""), CALLER_NAME_MAX)


def _req(msg: Headers, name: str) -> str:
    value = msg.get(name, "")
    if value == "":
        raise BadMessage(f"{msg.event or 'message'}: header {name} is missing")
    return value


def _int(msg: Headers, name: str, default: int = 0) -> int:
    value = msg.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise BadMessage(f"{msg.event}: header {name}={value!r} is not an integer") from None


def _float(msg: Headers, name: str, default: float = 0.0) -> float:
    value = msg.get(name, "")
    if value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise BadMessage(f"{msg.event}: header {name}={value!r} is not a number") from None


def _optional_int(msg: Headers, name: str) -> int | None:
    return _int(msg, name) if msg.get(name, "") != "" else None


def _optional_float(msg: Headers, name: str) -> float | None:
    return _float(msg, name) if msg.get(name, "") != "" else None


def _bool(msg: Headers, name: str) -> bool:
    return msg.get(name, "").strip().lower() in {"1", "true", "yes"}


def _duration(msg: Headers, name: str) -> float:
    """CoreShowChannel's Duration is HH:MM:SS."""
    value = msg.get(name, "")
    if not value:
        return 0.0
    try:
        h, m, s = (int(part) for part in value.split(":"))
    except ValueError:
        raise BadMessage(f"{msg.event}: header {name}={value!r} is not HH:MM:SS") from None
    return float(h * 3600 + m * 60 + s)


def timestamp(msg: Headers, received_at: float) -> float:
    """Asterisk's event time (``timestampevents = yes``), else when we received it."""
    return _float(msg, "Timestamp", received_at)


def member_state(msg: Headers, at: float, *, listing: bool = False) -> ev.MemberState:
    """A member's state; QueueStatus' QueueMember names the interface Location, not Interface."""
    return ev.MemberState(
        queue=_req(msg, "Queue"),
        interface=_req(msg, "Location" if listing else "Interface"),
        member_name=_plain_name(msg, "Name" if listing else "MemberName"),
        state_interface=msg.get("StateInterface", ""),
        dynamic=msg.get("Membership", "dynamic").lower() != "static",
        paused=_bool(msg, "Paused"),
        paused_reason=msg.get("PausedReason", ""),
        status=_int(msg, "Status"),
        in_call=_bool(msg, "InCall"),
        calls_taken=_int(msg, "CallsTaken"),
        last_call=_float(msg, "LastCall"),
        at=at,
        wrapuptime=_float(msg, "Wrapuptime"),
        penalty=_int(msg, "Penalty"),
    )


def _caller_join(m: Headers, at: float) -> ev.Event:
    return ev.CallerJoined(
        _req(m, "Queue"),
        _req(m, "Uniqueid"),
        m.get("Channel", ""),
        m.get("CallerIDNum", ""),
        _channel_name(m, "CallerIDName"),
        _int(m, "Position"),
        at,
    )


def _caller_leave(m: Headers, at: float) -> ev.Event:
    return ev.CallerLeft(_req(m, "Queue"), _req(m, "Uniqueid"), at, _optional_int(m, "Position"))


def _caller_abandon(m: Headers, at: float) -> ev.Event:
    return ev.CallerAbandoned(
        _req(m, "Queue"),
        _req(m, "Uniqueid"),
        _float(m, "HoldTime"),
        at,
        _optional_int(m, "Position"),
    )


def _agent_called(m: Headers, at: float) -> ev.Event:
    return ev.AgentRinging(
        _req(m, "Queue"),
        _req(m, "Uniqueid"),
        _req(m, "Interface"),
        _plain_name(m, "MemberName"),
        m.get("DestChannel", ""),
        at,
    )


def _agent_ring_no_answer(m: Headers, at: float) -> ev.Event:
    return ev.AgentRingNoAnswer(
        _req(m, "Queue"),
        _req(m, "Uniqueid"),
        _req(m, "Interface"),
        at,
        _plain_name(m, "MemberName"),
        _int(m, "RingTime"),
    )


def _agent_connect(m: Headers, at: float) -> ev.Event:
    return ev.AgentConnected(
        _req(m, "Queue"),
        _req(m, "Uniqueid"),
        _req(m, "Interface"),
        _plain_name(m, "MemberName"),
        _float(m, "HoldTime"),
        m.get("DestUniqueid", ""),
        m.get("DestChannel", ""),
        at,
        _optional_float(m, "RingTime"),
    )


def _agent_complete(m: Headers, at: float) -> ev.Event:
    # Uniqueid may be missing (seen on Asterisk 22 under many simultaneous hang-ups): the
    # model then finds the call by queue and agent.
    return ev.AgentCompleted(
        _req(m, "Queue"),
        m.get("Uniqueid", ""),
        _req(m, "Interface"),
        _float(m, "HoldTime"),
        _float(m, "TalkTime"),
        m.get("Reason", ""),
        at,
    )


def _member_added(m: Headers, at: float) -> ev.Event:
    return ev.MemberAdded(member_state(m, at))


def _member_status(m: Headers, at: float) -> ev.Event:
    return ev.MemberUpdated(member_state(m, at))


def _member_removed(m: Headers, at: float) -> ev.Event:
    return ev.MemberRemoved(_req(m, "Queue"), _req(m, "Interface"), at)


def _member_pause(m: Headers, at: float) -> ev.Event:
    return ev.MemberPaused(
        _req(m, "Queue"),
        _req(m, "Interface"),
        _bool(m, "Paused"),
        m.get("PausedReason", "") or m.get("Reason", ""),
        at,
    )


def _new_channel(m: Headers, at: float) -> ev.Event:
    return ev.ChannelCreated(
        _req(m, "Uniqueid"),
        m.get("Linkedid", "") or _req(m, "Uniqueid"),
        _req(m, "Channel"),
        m.get("CallerIDNum", ""),
        _channel_name(m, "CallerIDName"),
        m.get("Exten", ""),
        m.get("Context", ""),
        at,
    )


def _new_state(m: Headers, at: float) -> ev.Event | None:
    if m.get("ChannelStateDesc", "") != "Up":
        return None
    return ev.ChannelAnswered(_req(m, "Uniqueid"), m.get("ConnectedLineNum", ""), at)


def _connected_line(m: Headers, at: float) -> ev.Event:
    return ev.ChannelConnected(_req(m, "Uniqueid"), m.get("ConnectedLineNum", ""), at)


def _hold(m: Headers, at: float) -> ev.Event:
    return ev.ChannelHold(_req(m, "Uniqueid"), True, at)


def _unhold(m: Headers, at: float) -> ev.Event:
    return ev.ChannelHold(_req(m, "Uniqueid"), False, at)


def _hangup_request(m: Headers, at: float) -> ev.Event:
    return ev.HangupRequested(_req(m, "Uniqueid"), at)


def _hangup(m: Headers, at: float) -> ev.Event:
    return ev.ChannelHungUp(_req(m, "Uniqueid"), _int(m, "Cause"), at)


def _device_state(m: Headers, at: float) -> ev.Event:
    return ev.DeviceStateChanged(_req(m, "Device"), _req(m, "State"), at)


def _chanspy_start(m: Headers, at: float) -> ev.Event:
    return ev.SpyStarted(
        _req(m, "SpyerUniqueid"),
        _req(m, "SpyerChannel"),
        _req(m, "SpyeeUniqueid"),
        _req(m, "SpyeeChannel"),
        at,
    )


def _chanspy_stop(m: Headers, at: float) -> ev.Event:
    return ev.SpyStopped(_req(m, "SpyerUniqueid"), at)


def _dtmf_end(m: Headers, at: float) -> ev.Event | None:
    # Only what a spy channel could act on: ChanSpy's d option switches mode on 4, 5, 6.
    if m.get("Direction", "") != "Received" or m.get("Digit", "") not in ("4", "5", "6"):
        return None
    return ev.DigitReceived(_req(m, "Uniqueid"), _req(m, "Digit"), at)


_ATTEMPT_RE = re.compile(r"^[0-9a-f]{32}$")
# What [standardiste-queue] puts in UserEvent(QueueExit)'s Key and Info (its REGEX).
_EXIT_KEY_RE = re.compile(r"^[0-9*#]$")
_WITHDRAW_INFO_RE = re.compile(r"^(dev:[A-Za-z0-9_.-]{1,32}|ext:[0-9]{2,20})$")


def _user_event(m: Headers, at: float) -> ev.Event | None:
    name = m.get("UserEvent", "")
    if name == "QueueExit":
        return _queue_exit(m, at)
    if name == "StdDial":
        return _dial_progress(m, at)
    if name == "Callback":
        return _callback_step(m, at)
    return None


def _queue_exit(m: Headers, at: float) -> ev.Event:
    """UserEvent(QueueExit): a key or withdraw info that is not one the dialplan can send is
    dropped (never refused: the exit itself is still a fact)."""
    key = m.get("Key", "")
    info = m.get("Info", "")
    return ev.QueueExited(
        _req(m, "Queue"),
        _req(m, "Uniqueid"),
        _req(m, "Status"),
        at,
        key if _EXIT_KEY_RE.fullmatch(key) else "",
        info if _WITHDRAW_INFO_RE.fullmatch(info) else "",
    )


def _dial_progress(m: Headers, at: float) -> ev.Event:
    attempt = _req(m, "Attempt")
    stage = _req(m, "Stage")
    if not _ATTEMPT_RE.fullmatch(attempt):
        raise BadMessage(f"StdDial: attempt {attempt!r} is not 32 hex digits")
    if stage not in ev.DIAL_STAGES:
        raise BadMessage(f"StdDial: unknown stage {stage!r}")
    answered = m.get("Answered", "") or "0"
    try:
        seconds = float(answered)
    except ValueError:
        raise BadMessage(f"StdDial: Answered {answered!r} is not a number") from None
    return ev.DialProgress(
        attempt, stage, m.get("DialStatus", ""), seconds, m.get("Uniqueid", ""), at
    )


def _callback_step(m: Headers, at: float) -> ev.Event:
    request, step = _req(m, "Id"), _req(m, "Step")
    if not REQUEST_ID_RE.fullmatch(request):
        raise BadMessage(f"UserEvent Callback: Id={request[:40]!r} is not a request id")
    if step not in STEPS:
        raise BadMessage(f"UserEvent Callback: Step={step[:40]!r} is not a step")
    return ev.CallbackStep(_req(m, "Queue"), request, step, m.get("Status", ""), at)


_TRANSLATORS: dict[str, Callable[[Headers, float], ev.Event | None]] = {
    "queuecallerjoin": _caller_join,
    "queuecallerleave": _caller_leave,
    "queuecallerabandon": _caller_abandon,
    "agentcalled": _agent_called,
    "agentringnoanswer": _agent_ring_no_answer,
    "agentconnect": _agent_connect,
    "agentcomplete": _agent_complete,
    "queuememberadded": _member_added,
    "queuememberstatus": _member_status,
    "queuememberpenalty": _member_status,
    "queuememberremoved": _member_removed,
    "queuememberpause": _member_pause,
    "newchannel": _new_channel,
    "newstate": _new_state,
    "newconnectedline": _connected_line,
    "hold": _hold,
    "unhold": _unhold,
    "hangup": _hangup,
    "hanguprequest": _hangup_request,
    "softhanguprequest": _hangup_request,
    "userevent": _user_event,
    "devicestatechange": _device_state,
    "chanspystart": _chanspy_start,
    "chanspystop": _chanspy_stop,
    "dtmfend": _dtmf_end,
}


def translate(msg: Headers, received_at: float) -> ev.Event | None:
    """The model event for an AMI event, None for events the model does not use."""
    fn = _TRANSLATORS.get(msg.event.lower())
    if fn is None:
        return None
    return fn(msg, timestamp(msg, received_at))


def snapshot(
    queue_status: Iterable[Headers],
    channels: Iterable[Headers],
    at: float,
    devices: Iterable[Headers] = (),
) -> ev.Snapshot:
    """The model's Snapshot from QueueStatus', CoreShowChannels' and DeviceStateList's lists."""
    queues: list[ev.QueueParams] = []
    members: list[ev.MemberState] = []
    callers: list[ev.WaitingCaller] = []
    for m in queue_status:
        kind = m.event.lower()
        if kind == "queueparams":
            queues.append(
                ev.QueueParams(
                    _req(m, "Queue"),
                    m.get("Strategy", ""),
                    _int(m, "Max"),
                    _int(m, "ServiceLevel"),
                    _int(m, "Weight"),
                )
            )
        elif kind == "queuemember":
            members.append(member_state(m, at, listing=True))
        elif kind == "queueentry":
            callers.append(
                ev.WaitingCaller(
                    _req(m, "Queue"),
                    _req(m, "Uniqueid"),
                    m.get("Channel", ""),
                    m.get("CallerIDNum", ""),
                    _plain_name(m, "CallerIDName"),  # QueueStatus does not escape
                    _int(m, "Position"),
                    _float(m, "Wait"),
                )
            )
    active = [
        ev.ActiveChannel(
            _req(m, "Uniqueid"),
            m.get("Linkedid", "") or _req(m, "Uniqueid"),
            _req(m, "Channel"),
            m.get("CallerIDNum", ""),
            _channel_name(m, "CallerIDName"),
            m.get("ConnectedLineNum", ""),
            m.get("Context", ""),
            m.get("Exten", ""),
            m.get("ChannelStateDesc", ""),
            m.get("Application", ""),
            m.get("BridgeId", ""),
            _duration(m, "Duration"),
            m.get("ApplicationData", ""),
        )
        for m in channels
        if m.event.lower() == "coreshowchannel"
    ]
    states = tuple(
        ev.DeviceStateChanged(_req(m, "Device"), _req(m, "State"), at)
        for m in devices
        if m.event.lower() == "devicestatechange"
    )
    return ev.Snapshot(at, tuple(queues), tuple(members), tuple(callers), tuple(active), states)
