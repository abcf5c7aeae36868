"""The history written back as Asterisk queue_log lines (BY-6), for QueueMetrics, Asternic
and the other tools that read that file.

A line is ``epoch|callid|queue|agent|EVENT|data...``, as ``main/logger.c`` writes it, with
the data ``apps/app_queue.c`` gives each event (Asterisk 22):

========================  ==========  ======================================  ===============
event                     callid      agent column / data                     from
========================  ==========  ======================================  ===============
ENTERQUEUE                caller      NONE / url|callerid|origpos             queue_calls
RINGNOANSWER              caller      member / ring time (ms)                 ring_no_answers
CONNECT                   caller      member / holdtime|member uniqueid|      queue_calls
                                      ringtime
COMPLETECALLER/..AGENT    caller      member / holdtime|calltime|origpos      queue_calls
BLINDTRANSFER             caller      member / exten|context|holdtime|        queue_calls
                                      calltime|origpos
ATTENDEDTRANSFER          caller      member / method|...|holdtime|calltime|  queue_calls
                                      origpos
ABANDON                   caller      NONE / pos|origpos|waittime             queue_calls
EXITWITHTIMEOUT           caller      NONE / pos|origpos|waittime             queue_calls
EXITEMPTY                 caller      NONE / pos|origpos|waittime             queue_calls
EXITWITHKEY               caller      NONE / key|pos|origpos|waittime         queue_calls
WITHDRAW                  caller      NONE / pos|origpos|waittime|info        queue_calls
INFO CALLBACK_REQUESTED   caller      NONE / id|position                      callback_requests
(the placeholder's passage: ENTERQUEUE ... COMPLETE*, callid cb-<id>)       callback_passages
INFO CALLBACK_CALLING     cb-<id>     NONE / id                               callback_requests
INFO CALLBACK_CONNECTED   cb-<id>     NONE / id                               callback_requests
INFO CALLBACK_END         cb-<id>     NONE / id|DIALSTATUS                    callback_requests
INFO CALLBACK_EXPIRED     cb-<id>     NONE / id                               callback_requests
ADDMEMBER                 MANAGER     member / "PAUSED" or empty              agent_events
REMOVEMEMBER              MANAGER     member / empty                          agent_events
PAUSE/UNPAUSE             NONE        member / reason                         agent_events
========================  ==========  ======================================  ===============

"member" is the member *name* (``log_membername_as_agent = yes``), the interface for a
member added without one, as app_queue does. ``url`` is always empty: Standardiste's
dialplan passes none to Queue(). Times are whole seconds, like Asterisk's ``time(NULL)``.

The INFO rows are the ones our dialplan writes for a callback request (BY-1,
``config/asterisk/standardiste-extensions.conf``); a request's placeholder passes through
the queue like a caller, under callid ``cb-<id>``, and its lines (ENTERQUEUE with the
customer's digits, RINGNOANSWER, CONNECT, COMPLETE*, EXITWITHTIMEOUT when the request
expires in the queue, ABANDON when it is hung up) come from ``callback_passages``, the same
columns as ``queue_calls`` kept apart from the inbound calls.

Lines are in time order (the history's sub-second times where the live path recorded
them); lines of the same instant (queue_log's own whole seconds, for what the recovery
wrote) in the order app_queue and our dialplan write them: ENTERQUEUE, RINGNOANSWER,
CALLBACK_CALLING, CONNECT, CALLBACK_CONNECTED/_END, the end; logins first, pauses after,
logouts last.

What Asterisk writes that the export does not (and why):

* QUEUESTART, CONFIGRELOAD, PENALTY, RINGINUSE, AGENTDUMP, SYSCOMPAT, OUTCALL, the
  chan_agent AGENTLOGIN/AGENTLOGOFF: no history record (not call or agent-state facts we
  keep; Standardiste has no chan_agent agents);
* PAUSEALL/UNPAUSEALL: Asterisk also writes one PAUSE/UNPAUSE per queue, which are exported;
* RINGCANCELED: a ring cut short because another member answered or the caller left is
  not kept (only rings that ran out, RINGNOANSWER);
* an ``exited`` outcome without its event (a resync's guess for a caller who vanished
  while the bridge was away, or a row written before migration 0013), a ``transferred``
  one likewise: no end line. WITHDRAW's info is the one our dialplan's REGEX accepts
  (``dev:<endpoint>``, ``ext:<digits>``, what the bridge sends); any other text an AMI
  user passed is written by Asterisk but exported empty;
* a call whose end the history only guessed (``ended_by = unknown``: it ended while the
  bridge was away and queue_log did not say how) and a transfer whose details queue_log
  has not given yet (AMI's AgentComplete says "transfer" without exten/context or method;
  the queue_log follower fills them within seconds): no end line;
* a callback request's INFO rows for ends the dialplan did not log: a request cancelled,
  expired while it had no placeholder in the queue, or closed by the bridge's guess (its
  placeholder vanished unseen) has only CALLBACK_REQUESTED; CALLBACK_CALLING and _END
  need ``calling_at`` (migration 0013: requests made before it have neither);
* a caller queued twice in the same queue with the same channel (the callback key pressed
  without an offer, or refused: back in line at the same place): the history keeps one
  row per caller and queue, so the second passage's lines merge into the first's (their
  first ENTERQUEUE, one end). Likewise a request whose placeholder was placed again (after
  an Asterisk restart): one passage;
* repeated PAUSE lines: app_queue writes one per request even when the member was paused
  already with the same reason; the history keeps changes only.

Fields that may differ from Asterisk's own line:

* the epoch, by one second at a boundary, for lines built from AMI events: the event's
  timestamp and the line's ``time(NULL)`` are two readings of the clock;
* likewise, by one, the durations app_queue computes as ``time(NULL) - start`` separately
  for the AMI event and the line (CONNECT and COMPLETE*'s holdtime, ABANDON's,
  EXITWITHTIMEOUT's, EXITEMPTY's, EXITWITHKEY's and WITHDRAW's waittime, COMPLETE*'s
  calltime);
* CALLBACK_REQUESTED's epoch, by one: it is the time the callback service stored the
  request (``requested_at``), a moment before the placeholder is placed and the dialplan
  writes the row; the other INFO rows' are their UserEvent(Callback)'s;
* ADDMEMBER/REMOVEMEMBER's callid is ``MANAGER`` (the bridge adds and removes members over
  AMI); Asterisk writes the channel's uniqueid when a phone's feature code did it
  (AddQueueMember in the dialplan), ``CLI`` from the console;
* ENTERQUEUE's callerid is empty in Asterisk's line when the caller's presentation is
  restricted (unless ``log_restricted_caller_id``); the history keeps the number.
  With ``log-caller-id-name = yes`` in queues.conf's [general] (off in ours), Asterisk
  adds the caller's name as a fourth ENTERQUEUE field; the export does not.

Rows written before migration 0010 lack positions, the member's channel and ring times:
those fields are empty in their lines. Before migration 0013 the history kept no exit
event, no placeholder passage and no calling time: those lines are missing.

Streamed: the range is read one window (a day by default) at a time, so a year of a big
center never sits in memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.acd.callbacks import PLACEHOLDER_PREFIX
from standardiste.history.models import AgentEventRow, CallbackPassage, QueueCall, RingNoAnswerRow
from standardiste.outbound.tables import CallbackRow

NONE = "NONE"
WINDOW = dt.timedelta(days=1)
# Lines of the same instant: a call's lines in app_queue's order, agent lines around them.
_RANK = {
    "ADDMEMBER": 0,
    "ENTERQUEUE": 1,
    "RINGNOANSWER": 2,
    "CALLBACK_CALLING": 3,  # the agent's gosub dials the customer before CONNECT is written
    "CONNECT": 4,
    "CALLBACK_CONNECTED": 5,
    "CALLBACK_END": 5,  # the ;1 half's hang-up handler, before app_queue's COMPLETE*
    "END": 6,
    "PAUSE": 7,
    "UNPAUSE": 7,
    "REMOVEMEMBER": 8,
}
_LEFT_EVENTS = {"abandoned": "ABANDON", "timed_out": "EXITWITHTIMEOUT"}
# The exits kept by event (queue_calls.exit_event) and the outcome each comes with.
_EXIT_OUTCOMES = {"EXITEMPTY": "exited", "EXITWITHKEY": "exited", "WITHDRAW": "transferred"}
_COMPLETE_EVENTS = {"caller": "COMPLETECALLER", "agent": "COMPLETEAGENT"}
# A DIALSTATUS (CALLBACK_END's field), as opposed to the reasons the bridge writes itself.
_DIALSTATUS_RE = re.compile(r"^[A-Z]+$")
_AGENT_EVENTS = {
    "login": "ADDMEMBER",
    "logout": "REMOVEMEMBER",
    "pause": "PAUSE",
    "resume": "UNPAUSE",
}
_UNKNOWN_NUMBERS = {"<unknown>"}


class BadRange(ValueError):
    """An export range that is not one (the message says why)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One queue_log line and where it sorts."""

    at: float
    rank: int
    text: str

    def sort_key(self) -> tuple[int, float, int]:
        return int(self.at), self.at, self.rank


def _n(value: float | None) -> str:
    """A duration as app_queue writes it (whole seconds); empty when not known."""
    return "" if value is None else str(int(value))


def _i(value: int | None) -> str:
    return "" if value is None else str(value)


def _line(
    at: dt.datetime, callid: str, queue: str, agent: str, event: str, *data: str, rank: int = -1
) -> Line:
    epoch = at.timestamp()
    text = "|".join((str(int(epoch)), callid, queue, agent or NONE, event, *data))
    return Line(epoch, rank if rank >= 0 else _RANK.get(event, _RANK["END"]), text)


def entered_line(row: Any) -> Line:
    number = "" if row.caller_number in _UNKNOWN_NUMBERS else row.caller_number or ""
    return _line(
        row.entered_at, row.uniqueid, row.queue, NONE, "ENTERQUEUE", "", number, _i(row.position)
    )


def connect_line(row: Any) -> Line:
    return _line(
        row.answered_at,
        row.uniqueid,
        row.queue,
        row.member_name or row.agent,
        "CONNECT",
        _n(row.wait),
        row.agent_uniqueid or "",
        _n(row.ring_time),
    )


def end_line(row: Any) -> Line | None:
    """The line that closes the call's passage: COMPLETE*, a transfer, ABANDON or
    EXITWITHTIMEOUT; None when the history cannot say which (see the module's notes)."""
    if row.answered_at is not None:
        hold = row.completed_wait if row.completed_wait is not None else row.wait
        tail = (_n(hold), _n(row.talk), _i(row.position))
        member = row.member_name or row.agent
        event = _COMPLETE_EVENTS.get(row.ended_by or "")
        if event is not None:
            return _line(row.completed_at, row.uniqueid, row.queue, member, event, *tail)
        if row.ended_by == "transfer" and row.transfer:
            event, *head = row.transfer.split("|")
            return _line(row.completed_at, row.uniqueid, row.queue, member, event, *head, *tail)
        return None
    event = _LEFT_EVENTS.get(row.outcome or "")
    exit_event = row.exit_event or ""
    if event is None and exit_event in _EXIT_OUTCOMES:
        event = exit_event if _EXIT_OUTCOMES[exit_event] == row.outcome else None
    if event is None:
        return None
    fields: tuple[str, ...] = (_i(row.left_position), _i(row.position), _n(row.wait))
    if event == "EXITWITHKEY":
        fields = (row.exit_data or "", *fields)
    elif event == "WITHDRAW":
        fields = (*fields, (row.exit_data or "")[:40])  # app_queue's %.40s
    return _line(row.completed_at, row.uniqueid, row.queue, NONE, event, *fields)


def ring_line(row: Any) -> Line:
    return _line(
        row.at,
        row.uniqueid,
        row.queue,
        row.member_name or row.agent,
        "RINGNOANSWER",
        str(row.ring_ms),
    )


def agent_line(row: Any) -> Line:
    event = _AGENT_EVENTS[row.action]
    member = row.member_name or row.agent
    if event == "ADDMEMBER":
        return _line(row.at, "MANAGER", row.queue, member, event, "PAUSED" if row.paused else "")
    if event == "REMOVEMEMBER":
        return _line(row.at, "MANAGER", row.queue, member, event, "")
    return _line(row.at, NONE, row.queue, member, event, row.reason or "")


def callback_lines(row: Any) -> list[Line]:
    """The INFO lines our dialplan writes for a callback request (BY-1), from its
    ``callback_requests`` row: CALLBACK_REQUESTED (under the original caller's callid),
    CALLBACK_CALLING, _CONNECTED, _END (with the DIALSTATUS) and _EXPIRED (under the
    placeholder's, ``cb-<id>``)."""
    placeholder = PLACEHOLDER_PREFIX + row.id

    def info(at: dt.datetime, callid: str, event: str, *data: str) -> Line:
        rank = _RANK.get(event, _RANK["END"])
        return _line(at, callid, row.queue, NONE, "INFO", event, row.id, *data, rank=rank)

    lines = [info(row.requested_at, row.original_uniqueid, "CALLBACK_REQUESTED", str(row.position))]
    if row.calling_at is not None:
        lines.append(info(row.calling_at, placeholder, "CALLBACK_CALLING"))
    if row.answered_at is not None:
        lines.append(info(row.answered_at, placeholder, "CALLBACK_CONNECTED"))
    detail = row.detail or ""
    if row.ended_at is not None:
        if row.status == "expired" and detail == "TIMEOUT":
            lines.append(info(row.ended_at, placeholder, "CALLBACK_EXPIRED"))
        elif row.calling_at is not None and detail != "TIMEOUT" and _DIALSTATUS_RE.match(detail):
            lines.append(info(row.ended_at, placeholder, "CALLBACK_END", detail))
    return lines


_QC = QueueCall.__table__.c
_CP = CallbackPassage.__table__.c
_CB = CallbackRow.__table__.c
_RNA = RingNoAnswerRow.__table__.c
_AE = AgentEventRow.__table__.c


def _in_window(column: Any, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    return (column >= start) & (column < end)  # type: ignore[no-any-return]


def _queues(query: Select[Any], column: Any, queues: Sequence[str] | None) -> Select[Any]:
    return query if queues is None else query.where(column.in_(list(queues)))


async def _window(
    engine: AsyncEngine, start: dt.datetime, end: dt.datetime, queues: Sequence[str] | None
) -> str:
    """The lines of ``[start, end)``, as one text. The rows are read on the event loop, the
    lines built and sorted in a thread (a day of a big center is tens of thousands)."""
    passages: list[Sequence[Any]] = [[], [], []]
    async with engine.connect() as conn:
        for table, c in ((QueueCall.__table__, _QC), (CallbackPassage.__table__, _CP)):
            rows = select(table)
            for i, column in enumerate((c.entered_at, c.answered_at, c.completed_at)):
                query = _queues(rows.where(_in_window(column, start, end)), c.queue, queues)
                passages[i] = [*passages[i], *(await conn.execute(query)).all()]
        rings = select(RingNoAnswerRow.__table__).where(_in_window(_RNA.at, start, end))
        rang = (await conn.execute(_queues(rings, _RNA.queue, queues))).all()
        agents = select(AgentEventRow.__table__).where(_in_window(_AE.at, start, end))
        agent_rows = (await conn.execute(_queues(agents, _AE.queue, queues))).all()
        steps = (_CB.requested_at, _CB.calling_at, _CB.answered_at, _CB.ended_at)
        requests = select(CallbackRow.__table__).where(
            or_(*(_in_window(column, start, end) for column in steps))
        )
        callbacks = (await conn.execute(_queues(requests, _CB.queue, queues))).all()
    entered, answered, ended = passages
    return await asyncio.to_thread(
        _text, entered, answered, ended, rang, agent_rows, callbacks, (start, end)
    )


def _text(
    entered: Sequence[Any],
    answered: Sequence[Any],
    ended: Sequence[Any],
    rang: Sequence[Any],
    agent_rows: Sequence[Any],
    callbacks: Sequence[Any] = (),
    window: tuple[dt.datetime, dt.datetime] | None = None,
) -> str:
    lines = [entered_line(row) for row in entered]
    lines += [connect_line(row) for row in answered]
    lines += [line for line in map(end_line, ended) if line is not None]
    lines += [ring_line(row) for row in rang]
    lines += [agent_line(row) for row in agent_rows]
    if window is not None:
        low, high = window[0].timestamp(), window[1].timestamp()
        for row in callbacks:  # read for any of its steps: only those of the window
            lines += [x for x in callback_lines(row) if low <= x.at < high]
    lines.sort(key=Line.sort_key)
    return "".join(f"{line.text}\n" for line in lines)


def _whole_second(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise BadRange(f"naive datetime {at.isoformat()}: pass a tz-aware instant")
    return at.astimezone(dt.UTC).replace(microsecond=0)


async def export_lines(
    engine: AsyncEngine,
    start: dt.datetime,
    end: dt.datetime,
    queues: Sequence[str] | None = None,
    *,
    window: dt.timedelta = WINDOW,
) -> AsyncIterator[str]:
    """The queue_log lines (each with its newline) of ``[start, end)``, in time order.

    ``queues``: only these (None: all). The instants are cut to whole seconds (queue_log's
    resolution). Yields one window's lines at a time, as one string.
    """
    start, end = _whole_second(start), _whole_second(end)
    if end <= start:
        raise BadRange("the end of the range must be after its start")
    if window <= dt.timedelta(0):
        raise BadRange("the window must be positive")
    cursor = start
    while cursor < end:
        upper = min(end, cursor + window)
        text = await _window(engine, cursor, upper, queues)
        if text:
            yield text
        cursor = upper


def day_range(first: dt.date, last: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants of local days ``first`` to ``last`` included, in the center's zone."""
    if last < first:
        raise BadRange(f"the range ends ({last}) before it starts ({first})")
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def parse_bound(text: str, timezone: str, *, end: bool) -> dt.datetime:
    """A range bound: a local date ``YYYY-MM-DD`` (a ``to`` date is included: its end is
    the next midnight), or an ISO 8601 instant with its offset."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start, stop = day_range(day, day, timezone)
            return stop if end else start
        instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRange(f"{text[:40]!r} is not a date (YYYY-MM-DD) or an instant") from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise BadRange(f"{text[:40]!r}: an instant needs its offset (Z or +hh:mm)")
    return instant.astimezone(dt.UTC)


__all__ = [
    "WINDOW",
    "BadRange",
    "Line",
    "day_range",
    "export_lines",
    "parse_bound",
]
