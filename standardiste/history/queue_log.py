"""Asterisk's queue_log, parsed into the same history records the live model produces.

Pure: text in, :mod:`acd.records` out; the file, the checkpoint and the database are
:mod:`standardiste.history.recovery`'s business.

Why these records can be written next to the live ones without duplicates: queue_log's
``callid`` is the caller channel's Uniqueid and its queue column the queue name, exactly what
the live queue call records are keyed on (``uniqueid|queue``). Agent events are keyed on
their timestamp, which queue_log has to the second only, so the recovery matches those by
a time window instead (see ``recovery``).

A line is ``epoch|callid|queue|agent|EVENT|data1|data2|...``. What each event gives:

========================  =========================================  ======================
event                     data                                       record
========================  =========================================  ======================
ENTERQUEUE                url|callerid|origpos                       QueueCallEntered
CONNECT                   holdtime|agent uniqueid|ringtime           QueueCallAnswered
RINGNOANSWER              ringtime (ms)                              RingNoAnswer
COMPLETECALLER/..AGENT    holdtime|calltime|origpos                  QueueCallCompleted
BLINDTRANSFER             exten|context|holdtime|calltime|origpos    QueueCallCompleted
ATTENDEDTRANSFER          method|...|holdtime|calltime|origpos       QueueCallCompleted
ABANDON                   pos|origpos|waittime                       QueueCallLeft abandoned
EXITWITHTIMEOUT           pos|origpos|waittime                       QueueCallLeft timed_out
EXITEMPTY                 pos|origpos|waittime                       QueueCallLeft exited
EXITWITHKEY               key|pos|origpos|waittime                   QueueCallLeft exited
WITHDRAW                  pos|origpos|waittime|info                  QueueCallLeft transferred
ADDMEMBER/REMOVEMEMBER    "PAUSED" or empty                          AgentEvent login/logout
PAUSE/UNPAUSE             reason                                     AgentEvent pause/resume
========================  =========================================  ======================

The lines of a callback request's placeholder (callid ``cb-<32 hex>``, ``acd.callbacks``)
give the same records, which the history keeps apart (``callback_passages``). Our
dialplan's INFO rows CALLBACK_CALLING, _CONNECTED, _END (DIALSTATUS) and _EXPIRED give the
request's :class:`CallbackProgress`, as its UserEvent(Callback) does live.

Not recoverable from queue_log: the caller's *name* (only the number is logged), the time
an answered call spent *on hold* (COMPLETE*'s holdtime is the queue wait), who asked for an
agent change (recorded as ``"pbx"``), and anything below the second. PAUSEALL/UNPAUSEALL
are skipped because Asterisk also writes one PAUSE/UNPAUSE line per queue; RINGCANCELED,
QUEUESTART and the like carry no history record.

Each record keeps what :mod:`.queue_log_export` needs to write the line again: positions,
the member's channel uniqueid and ring time, COMPLETE*'s own holdtime, a transfer's leading
fields, an exit's event and key or withdraw info, the member name.

The ``agent`` column holds the member *name* (``log_membername_as_agent = yes`` in our
queues.conf; without a MemberName, Asterisk uses the interface as the name): records need
the interface, so the caller passes a resolver.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from standardiste.acd.callbacks import REQUEST_ID_RE, step_status
from standardiste.acd.records import (
    AgentAction,
    AgentEvent,
    CallbackProgress,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
    QueueOutcome,
    Record,
    RingNoAnswer,
)

# queue_log writes "NONE" where a column does not apply.
NONE = "NONE"

_LEFT: dict[str, tuple[QueueOutcome, int]] = {
    # event: (outcome, index of the wait time in data; the position is the field before
    # the original position, which is the one before the wait)
    "ABANDON": ("abandoned", 2),
    "EXITWITHTIMEOUT": ("timed_out", 2),
    "EXITEMPTY": ("exited", 2),
    "EXITWITHKEY": ("exited", 3),
    "WITHDRAW": ("transferred", 2),  # a supervisor took or transferred the caller
}
# Exits whose event and own field (the key, the withdraw info) the record keeps.
_EXITS = frozenset({"EXITEMPTY", "EXITWITHKEY", "WITHDRAW"})
_COMPLETED = {"COMPLETECALLER": "caller", "COMPLETEAGENT": "agent"}
_TRANSFERS = {"BLINDTRANSFER", "ATTENDEDTRANSFER"}
_AGENT: dict[str, AgentAction] = {
    "ADDMEMBER": "login",
    "REMOVEMEMBER": "logout",
    "PAUSE": "pause",
    "UNPAUSE": "resume",
}
CALL_EVENTS = frozenset({"ENTERQUEUE", "CONNECT", "RINGNOANSWER", *_COMPLETED, *_TRANSFERS, *_LEFT})
AGENT_EVENTS = frozenset(_AGENT)


class BadLine(ValueError):
    """A line that is not a well-formed queue_log entry (the reason is the message)."""


class UnknownAgent(LookupError):
    """The member name of a line could not be turned into an interface."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no interface known for queue member name {name!r}")
        self.name = name


@dataclass(frozen=True, slots=True)
class QueueLogLine:
    at: float
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    def field(self, index: int) -> str:
        return self.data[index] if index < len(self.data) else ""


def parse_line(text: str) -> QueueLogLine:
    """One line (without its newline) into its columns; ``BadLine`` if it is not one."""
    parts = text.rstrip("\r").split("|")
    if len(parts) < 5:
        raise BadLine(f"{len(parts)} columns, at least 5 expected")
    epoch, callid, queue, agent, event, *data = parts
    if not epoch.isdigit():
        raise BadLine(f"time {epoch[:20]!r} is not an epoch")
    if not event or not event.replace("_", "").isalnum():
        raise BadLine(f"event {event[:40]!r} is not a queue_log event")
    return QueueLogLine(float(epoch), callid, queue, agent, event.upper(), tuple(data))


def _seconds(line: QueueLogLine, index: int, what: str) -> float:
    text = line.field(index)
    try:
        value = float(text)
    except ValueError:
        raise BadLine(f"{line.event}: {what} {text[:20]!r} is not a number") from None
    if not 0 <= value < 10**7:
        raise BadLine(f"{line.event}: {what} {value} out of range")
    return value


def _position(line: QueueLogLine, index: int) -> int | None:
    """A position field; None when absent or not a number (an older Asterisk's line)."""
    text = line.field(index)
    return int(text) if text.isdigit() else None


def _call_key(line: QueueLogLine) -> None:
    if not line.callid or line.callid == NONE or not line.queue or line.queue == NONE:
        raise BadLine(f"{line.event} without a call id or queue")


def is_interface(name: str) -> bool:
    """A member name that already is an interface (Asterisk's default name)."""
    tech, sep, rest = name.partition("/")
    return bool(sep and tech and rest)


def records_of(line: QueueLogLine, interface_of: Callable[[str], str | None]) -> list[Record]:
    """The history records of one line (none for events without history).

    ``interface_of`` maps a member name to its interface, None when unknown (then
    ``UnknownAgent`` is raised: the caller decides whether to wait for the name or not).
    """
    event = line.event

    def agent() -> str:
        if is_interface(line.agent):
            return line.agent
        found = interface_of(line.agent)
        if found is None:
            raise UnknownAgent(line.agent)
        return found

    if event in CALL_EVENTS:
        _call_key(line)
    if event == "INFO":
        return _callback_info(line)
    if event == "ENTERQUEUE":
        return [
            QueueCallEntered(
                line.callid, line.queue, line.field(1), "", line.at, _position(line, 2)
            )
        ]
    if event == "CONNECT":
        wait = _seconds(line, 0, "holdtime")
        ring = _seconds(line, 2, "ringtime") if line.field(2) else None
        return [
            QueueCallAnswered(
                line.callid, line.queue, agent(), line.agent, wait, line.at, line.field(1), ring
            )
        ]
    if event == "RINGNOANSWER":
        ring_ms = int(_seconds(line, 0, "ringtime"))
        return [RingNoAnswer(line.callid, line.queue, agent(), line.agent, ring_ms, line.at)]
    if event in _COMPLETED or event in _TRANSFERS:
        transfer = ""
        if event in _COMPLETED:
            first, ended_by = 0, _COMPLETED[event]
        else:
            # The transfer variants differ in their first fields; the last three are always
            # holdtime|calltime|origpos.
            if len(line.data) < 3:
                raise BadLine(f"{event}: {len(line.data)} data fields, at least 3 expected")
            first, ended_by = len(line.data) - 3, "transfer"
            transfer = "|".join((event, *line.data[:first]))
        hold = _seconds(line, first, "holdtime")
        talk = _seconds(line, first + 1, "calltime")
        return [
            QueueCallCompleted(
                line.callid, line.queue, agent(), talk, 0.0, ended_by, line.at, hold, transfer
            )
        ]
    if event in _LEFT:
        outcome, index = _LEFT[event]
        wait = _seconds(line, index, "waittime")
        position = _position(line, index - 2)
        data = ""
        if event == "EXITWITHKEY":
            data = line.field(0)
        elif event == "WITHDRAW":
            data = line.field(3)
        exit_event = event if event in _EXITS else ""
        return [
            QueueCallLeft(
                line.callid, line.queue, outcome, wait, line.at, position, exit_event, data
            )
        ]
    if event in _AGENT:
        if not line.queue or line.queue == NONE or not line.agent or line.agent == NONE:
            raise BadLine(f"{event} without a queue or member")
        action = _AGENT[event]
        reason = line.field(0) if action in ("pause", "resume") else ""
        paused = action == "login" and line.field(0) == "PAUSED"
        return [
            AgentEvent(
                agent(), line.queue, action, reason, "pbx", False, line.at, line.agent, paused
            )
        ]
    return []


# Our dialplan's INFO rows for a callback request: the step's status and whether it ends it.
_CALLBACK_INFO = {"CALLBACK_CALLING": "calling", "CALLBACK_CONNECTED": "connected"}


def _callback_info(line: QueueLogLine) -> list[Record]:
    """A callback request's step from our dialplan's INFO row (the same record the live
    UserEvent(Callback) gives; CALLBACK_REQUESTED: none, the request row is written when
    it is made). Other INFO rows (anyone's QueueLog()) give nothing."""
    what, request = line.field(0), line.field(1)
    if not what.startswith("CALLBACK_"):
        return []
    if not REQUEST_ID_RE.fullmatch(request) or not line.queue or line.queue == NONE:
        raise BadLine(f"INFO {what[:20]}: no request id or queue")
    if what in _CALLBACK_INFO:
        status: str | None = _CALLBACK_INFO[what]
        ended, detail = False, ""
    elif what == "CALLBACK_END":
        detail = line.field(2)
        status, ended = step_status("ended", detail), True
    elif what == "CALLBACK_EXPIRED":
        status, ended, detail = "expired", True, "TIMEOUT"
    else:
        return []
    if status is None:
        return []
    return [CallbackProgress(request, line.queue, status, ended, "", detail, line.at)]


__all__ = [
    "AGENT_EVENTS",
    "CALL_EVENTS",
    "BadLine",
    "QueueLogLine",
    "UnknownAgent",
    "is_interface",
    "parse_line",
    "records_of",
]
