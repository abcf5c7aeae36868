"""The live model of the contact center: typed events in, changes and history records out.

Pure: no sockets, no Redis, no SQL, no clock. Time comes from the events (Asterisk's own
timestamps) and the local day from the injected ``day_of`` function.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from standardiste.acd import events as ev
from standardiste.acd.agent_states import AgentState, AgentStateTracker, agent_state
from standardiste.acd.callbacks import callback_of, placeholder_uniqueid, step_status
from standardiste.acd.canned import CannedBook, message_of
from standardiste.acd.records import (
    AgentAction,
    AgentEvent,
    AgentStateChanged,
    CallbackProgress,
    DeviceCall,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
    Record,
    RingNoAnswer,
)
from standardiste.acd.spies import SpyBook
from standardiste.acd.state import (
    Call,
    Caller,
    Change,
    Channel,
    Counters,
    DirectCall,
    Entity,
    Member,
    Queue,
    Reset,
    device_of,
    member_key,
)


def is_phone(device: str) -> bool:
    """Devices worth mirroring: phones (PJSIP/x), not Queue:, Custom:, park or MWI states."""
    tech, sep, _ = device.partition("/")
    return bool(sep) and tech in {"PJSIP", "SIP", "IAX2", "DAHDI", "Local"}


def _event_at(event: ev.Event) -> float | None:
    """When an event happened (Asterisk's clock), if it says."""
    at = getattr(event, "at", None)
    if at is None:
        member = getattr(event, "member", None)
        at = getattr(member, "at", None)
    return at if isinstance(at, float | int) else None


def utc_day(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).date().isoformat()


@dataclass(slots=True)
class Outcome:
    """What one event did: entity changes for the mirror, facts for the history."""

    changes: list[Change | Reset] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.changes.extend(other.changes)
        self.records.extend(other.records)


def _caller(
    uniqueid: str,
    queue: str,
    channel: str,
    number: str,
    name: str,
    position: int,
    joined_at: float,
) -> Caller:
    """A waiting caller; a callback request's placeholder is marked as one (BY-1)."""
    caller = Caller(uniqueid, queue, channel, number, name, position, joined_at)
    request = callback_of(uniqueid)
    if request is not None:
        caller.kind, caller.callback = "callback", request
    return caller


# How a caller left, by the QUEUESTATUS our dialplan reports (UserEvent QueueExit).
_EXIT_OUTCOMES = {"TIMEOUT": "timed_out", "WITHDRAW": "transferred"}
# The queue_log event app_queue wrote for that QUEUESTATUS (EXITWITHKEY: the status our
# [standardiste-callback-key] reports; LEAVEEMPTY/LEAVEUNAVAIL: leavewhenempty's EXITEMPTY).
_EXIT_EVENTS = {
    "EXITWITHKEY": "EXITWITHKEY",
    "LEAVEEMPTY": "EXITEMPTY",
    "LEAVEUNAVAIL": "EXITEMPTY",
    "WITHDRAW": "WITHDRAW",
}


@dataclass(slots=True)
class _Left:
    """A caller out of a queue whose outcome is not settled yet.

    app_queue sends QueueCallerAbandon both when the caller hangs up and when the queue's
    timeout expires, and QueueCallerLeave before AgentConnect when an agent answers. So the
    outcome is settled later: by AgentConnect (answered), by a hangup request seen *before*
    the abandon (abandoned), by our dialplan's QueueExit user event (its QUEUESTATUS:
    TIMEOUT is a time-out), or at the channel's hangup with ``default`` (an abandon whose
    channel died with no QueueExit was a hang-up: the caller's, or an operator's over AMI).
    """

    caller: Caller
    wait: float
    at: float
    default: str = "exited"
    position: int | None = None  # where the caller was when leaving (QueueCallerAbandon)


class ContactCenter:
    """Queues, members, waiting callers and answered calls, kept from AMI events.

    ``wrapup`` is each queue's ``wrapuptime`` (s) and ``shared_lastcall`` the [general] option
    of queues.conf: no AMI action reports them without the ``config`` class, so the
    application reads them where Asterisk does. They say when app_queue holds a member after a
    call (``Member.wrapup_until``), the way app_queue decides it: the member's own wrap-up
    time, else that of the queue of the call; with ``shared_lastcall`` in all their queues.
    """

    def __init__(
        self,
        *,
        day_of: Callable[[float], str] = utc_day,
        wrapup: Mapping[str, float] | None = None,
        shared_lastcall: bool = False,
    ) -> None:
        self.day_of = day_of
        self.wrapup = dict(wrapup or {})
        self.shared_lastcall = shared_lastcall
        self.queues: dict[str, Queue] = {}
        self.members: dict[str, Member] = {}
        self.callers: dict[str, Caller] = {}
        self.calls: dict[str, Call] = {}
        self.channels: dict[str, Channel] = {}
        self.devices: dict[str, dict[str, Any]] = {}
        self.spies = SpyBook()
        self.direct: dict[str, DirectCall] = {}
        self.canned = CannedBook()
        # The dialer's entities ("campaign", "dial"), kept as given (see OutboundChanged).
        self.outbound: dict[str, dict[str, dict[str, Any]]] = {"campaign": {}, "dial": {}}
        self._left: dict[str, _Left] = {}
        self._settled: set[str] = set()  # outcome recorded while still listed as waiting
        self._hangup_requested: set[str] = set()
        self._queue_linkedids: set[str] = set()
        self._held_legs: dict[str, set[str]] = {}  # call -> its legs on hold (uniqueids)
        self._seeded: dict[str, Counters] = {}  # today's counters of queues not seen yet
        self.agent_states = AgentStateTracker()  # each agent's one state (AN-2)

    # ------------------------------------------------------------------ counters
    def seed_counters(self, day: str, counts: Mapping[str, Counters]) -> Outcome:
        """Today's counters per queue, read back from the history (``day`` is set on them)."""
        out = Outcome()
        for name, seeded in counts.items():
            counters = replace(seeded, day=day)
            queue = self.queues.get(name)
            if queue is None:
                # A queue Asterisk has not reported (not yet, or not any more: removed since):
                # keep its counters for when it appears rather than show a queue that may
                # not exist.
                self._seeded[name] = counters
                continue
            queue.today = counters
            out.changes.append(self._queue_change(queue))
        return out

    # ------------------------------------------------------------------ events
    def apply(self, event: ev.Event) -> Outcome:
        handler = self._handlers.get(type(event))
        if handler is None:  # pragma: no cover - every Event member has a handler
            return Outcome()
        at = _event_at(event)
        if at is None:
            return handler(self, event)
        out = Outcome()
        self._wrapups_ended(at, out)
        out.extend(handler(self, event))
        self._track_agents(at, out)
        return out

    # ------------------------------------------------------------------ agent states
    def seed_agent_states(
        self, states: Mapping[str, AgentState], since: Mapping[str, float] | None = None
    ) -> None:
        """Each agent's last stored state (a restarted bridge, before its first resync) and
        when they entered it, if known (a wrap-up under way then counts whole when it ends)."""
        self.agent_states.seed(dict(states), since)

    def _wrapups_ended(self, now: float, out: Outcome) -> None:
        """Wrap-ups that ended before ``now`` (no event marks it), at their own time."""
        for agent, end in self.agent_states.due(now):
            self._agent_transitions([agent], end, out)

    def _track_agents(self, at: float, out: Outcome) -> None:
        """A transition for each agent whose state this outcome's changes moved."""
        agents: set[str] = set()
        for change in out.changes:
            if isinstance(change, Reset):
                self._agent_transitions(None, at, out)
                return
            if change.entity == "member":
                agents.add(change.key.partition("|")[2])
            elif change.entity in ("call", "direct") and change.value is not None:
                agents.add(change.value["agent" if change.entity == "call" else "device"])
            elif change.entity in ("call", "direct"):
                # A call ended (whose is not in the change): only an agent in a call or
                # ringing can be moved by that.
                agents |= self.agent_states.busy()
        if agents:
            self._agent_transitions(agents, at, out)

    def _agent_transitions(self, agents: Iterable[str] | None, at: float, out: Outcome) -> None:
        """Recompute the state of ``agents`` (None: every agent known) at ``at``."""
        memberships: dict[str, list[Member]] = {}
        devices: dict[str, str] = {}  # a device -> the agent (interface) it belongs to
        for member in self.members.values():
            memberships.setdefault(member.interface, []).append(member)
            devices[member.interface] = member.interface
            if member.state_interface:
                devices.setdefault(member.state_interface, member.interface)
        if agents is None:
            agents = set(memberships) | set(self.agent_states.states)
        else:
            agents = {devices.get(a, a) for a in agents}
        calls: dict[str, list[Call]] = {}
        for call in self.calls.values():
            if call.agent in agents:
                calls.setdefault(call.agent, []).append(call)
        direct: dict[str, list[DirectCall]] = {}
        for d in self.direct.values():
            owner = devices.get(d.device)
            if owner in agents:
                direct.setdefault(owner, []).append(d)
        tracker = self.agent_states
        for agent in sorted(agents):
            members = memberships.get(agent, [])
            state = agent_state(
                members,
                calls.get(agent, ()),
                direct.get(agent, ()),
                at,
                tracker.last_queue.get(agent, ""),
            )
            wrapup_until = max((m.wrapup_until for m in members), default=0.0)
            before, since = tracker.states.get(agent), tracker.since(agent)
            moved = tracker.update(agent, state, at, wrapup_until)
            if moved is not None:
                out.records.append(
                    AgentStateChanged(agent, state.state, state.reason, state.queue, moved.at)
                )
                if before is not None and before.state == "wrapup" and since is not None:
                    self._wrapped_up(before.queue, since, moved.at, out)

    def _wrapped_up(self, name: str, start: float, end: float, out: Outcome) -> None:
        """An agent's wrap-up after a call of ``name`` ended: after-call work of the queue,
        counted whole on the day it started (acd/metrics.py), as the reports count it."""
        queue = self.queues.get(name)
        if queue is None:
            # Not (or no longer) a queue of Asterisk's: a wrap-up ending after its queue was
            # deleted must not bring the queue back into the mirror.
            return
        day = self.day_of(start)
        if queue.today.day > day:
            return  # it started on a day the counters have left behind (just before midnight)
        self._today(queue, start).wrapped_up(max(0.0, end - start))
        out.changes.append(self._queue_change(queue))

    def _caller_joined(self, e: ev.CallerJoined) -> Outcome:
        out = Outcome()
        self._finish_left(e.uniqueid, None, out)
        queue = self._queue(e.queue)
        caller = _caller(
            e.uniqueid, e.queue, e.channel, e.caller_number, e.caller_name, e.position, e.at
        )
        self.callers[e.uniqueid] = caller
        channel = self.channels.get(e.uniqueid)
        self._queue_linkedids.add(channel.linkedid if channel else e.uniqueid)
        out.changes.append(Change("caller", e.uniqueid, caller.to_dict()))
        queue.updated_at = e.at
        out.changes.append(self._queue_change(queue))
        if not caller.callback:  # a placeholder is not an inbound call: not counted
            self._today(queue, e.at).entered()
        # A placeholder's passage is recorded too (the history keeps it apart from the
        # inbound calls, by its cb-<id> uniqueid: the queue_log export writes it).
        out.records.append(
            QueueCallEntered(e.uniqueid, e.queue, e.caller_number, e.caller_name, e.at, e.position)
        )
        return out

    def _caller_left(self, e: ev.CallerLeft) -> Outcome:
        out = Outcome()
        caller = self.callers.pop(e.uniqueid, None)
        if caller is None:
            return out
        out.changes.append(Change("caller", e.uniqueid, None))
        self._renumber(caller.queue, out)
        if e.uniqueid in self._settled:
            self._settled.discard(e.uniqueid)
        elif e.uniqueid not in self._left and e.uniqueid not in self.calls:
            wait = max(0.0, e.at - caller.joined_at)
            self._left[e.uniqueid] = _Left(caller, wait, e.at, position=e.position)
        if caller.ringing:
            self._set_member(caller.queue, caller.ringing, out, ringing=False)
        return out

    def _caller_abandoned(self, e: ev.CallerAbandoned) -> Outcome:
        out = Outcome()
        left = self._left.get(e.uniqueid)
        if left is None:
            caller = self.callers.get(e.uniqueid)
            if caller is None:
                return out
            left = self._left[e.uniqueid] = _Left(caller, e.hold_time, e.at)
        left.wait, left.at = e.hold_time, e.at
        left.position = e.position if e.position is not None else left.position
        if e.uniqueid in self._hangup_requested:
            if e.uniqueid in self.callers:
                self._settled.add(e.uniqueid)
            self._finish_left(e.uniqueid, "abandoned", out)
        else:
            left.default = "abandoned"  # unless our dialplan's QueueExit says TIMEOUT
        return out

    def _hangup_request(self, e: ev.HangupRequested) -> Outcome:
        self._hangup_requested.add(e.uniqueid)
        return Outcome()

    def _queue_exited(self, e: ev.QueueExited) -> Outcome:
        out = Outcome()
        # WITHDRAW: a supervisor took the caller or transferred them (QueueWithdrawCaller).
        status = e.status.upper()
        outcome = _EXIT_OUTCOMES.get(status, "exited")
        event = _EXIT_EVENTS.get(status, "")
        data = e.key if event == "EXITWITHKEY" else e.info if event == "WITHDRAW" else ""
        self._finish_left(e.uniqueid, outcome, out, event, data)
        return out

    def _finish_left(
        self, uniqueid: str, outcome: str | None, out: Outcome, event: str = "", data: str = ""
    ) -> None:
        """Record how a caller left; ``outcome`` None means the pending default."""
        left = self._left.pop(uniqueid, None)
        if left is None:
            return
        outcome = outcome or left.default
        record = QueueCallLeft(
            uniqueid,
            left.caller.queue,
            outcome,  # type: ignore[arg-type]
            left.wait,
            left.at,
            left.position,
            event,
            data,
        )
        if left.caller.callback:
            # A placeholder left: its passage only; the dialplan's UserEvent(Callback) says
            # what it means for the request (and the callback counters).
            out.records.append(record)
            return
        queue = self._queue(left.caller.queue)
        self._today(queue, left.at).left(outcome, left.wait)  # type: ignore[arg-type]
        queue.updated_at = left.at
        out.changes.append(self._queue_change(queue))
        out.records.append(record)

    def _callback_step(self, e: ev.CallbackStep) -> Outcome:
        """A callback request's step (BY-1): today's callback counters, the request's
        status. Counted apart from the inbound calls: never handled, abandoned or timed out."""
        out = Outcome()
        queue = self._queue(e.queue)
        counters = self._today(queue, e.at)
        status = step_status(e.step, e.status)
        if e.step == "requested":
            counters.callbacks_requested += 1
        elif e.step == "connected":
            counters.callbacks_connected += 1
        elif status == "expired":
            counters.callbacks_expired += 1
        elif e.step == "ended" and status != "connected":
            counters.callbacks_failed += 1
        if e.step == "left" and status == "expired":
            # The placeholder's Queue() timed out (its passage's EXITWITHTIMEOUT).
            self._finish_left(placeholder_uniqueid(e.request), "timed_out", out)
        if status is not None:
            ended = e.step in ("left", "ended")
            detail = e.status if ended else ""
            out.records.append(
                CallbackProgress(e.request, e.queue, status, ended, "", detail, e.at)
            )
        queue.updated_at = e.at
        out.changes.append(self._queue_change(queue))
        return out

    def _agent_ringing(self, e: ev.AgentRinging) -> Outcome:
        out = Outcome()
        caller = self.callers.get(e.uniqueid)
        if caller is not None:
            caller.ringing = e.interface
            out.changes.append(Change("caller", e.uniqueid, caller.to_dict()))
        self._set_member(e.queue, e.interface, out, ringing=True, since=e.at)
        return out

    def _agent_ring_no_answer(self, e: ev.AgentRingNoAnswer) -> Outcome:
        out = Outcome()
        caller = self.callers.get(e.uniqueid)
        if caller is not None and caller.ringing == e.interface:
            caller.ringing = ""
            out.changes.append(Change("caller", e.uniqueid, caller.to_dict()))
        self._set_member(e.queue, e.interface, out, ringing=False, since=e.at)
        member = self.members.get(member_key(e.queue, e.interface))
        name = e.member_name or (member.member_name if member else "")
        out.records.append(RingNoAnswer(e.uniqueid, e.queue, e.interface, name, e.ring_ms, e.at))
        return out

    def _agent_connected(self, e: ev.AgentConnected) -> Outcome:
        out = Outcome()
        left = self._left.pop(e.uniqueid, None)  # QueueCallerLeave comes before AgentConnect
        caller = self.callers.get(e.uniqueid) or (left.caller if left else None)
        queue = self._queue(e.queue)
        call = Call(
            uniqueid=e.uniqueid,
            queue=e.queue,
            agent=e.interface,
            member_name=e.member_name,
            caller_number=caller.caller_number if caller else "",
            caller_name=caller.caller_name if caller else "",
            wait=e.hold_time,
            answered_at=e.at,
            agent_uniqueid=e.agent_uniqueid,
        )
        request = callback_of(e.uniqueid)
        if request is not None:
            call.kind, call.callback = "callback", request
        self.calls[e.uniqueid] = call
        queue.updated_at = e.at
        out.changes.append(Change("call", e.uniqueid, call.to_dict()))
        self._set_member(
            e.queue, e.interface, out, ringing=False, in_call=True, wrapup_until=0.0, since=e.at
        )
        if request is not None:  # not an inbound call answered: the request's step
            out.records.append(
                CallbackProgress(request, e.queue, "connecting", False, e.interface, "", e.at)
            )
        else:
            self._today(queue, e.at).answered(e.hold_time)
            out.changes.append(self._queue_change(queue))
        out.records.append(  # the placeholder's passage too (kept apart by its uniqueid)
            QueueCallAnswered(
                e.uniqueid,
                e.queue,
                e.interface,
                e.member_name,
                e.hold_time,
                e.at,
                e.agent_uniqueid,
                e.ring_time,
            )
        )
        return out

    def _agent_completed(self, e: ev.AgentCompleted) -> Outcome:
        out = Outcome()
        uniqueid = e.uniqueid or self._call_of(e.queue, e.interface)
        call = self.calls.pop(uniqueid, None)
        self._held_legs.pop(uniqueid, None)
        hold = 0.0
        if call is not None:
            hold = call.hold + (e.at - call.on_hold_since if call.on_hold_since else 0.0)
            out.changes.append(Change("call", uniqueid, None))
        elif not uniqueid:
            return out  # no id and no call of that agent: nothing to close
        for member in self._memberships_ending_a_call(e.queue, e.interface):
            values: dict[str, Any] = {"in_call": False} if member.queue == e.queue else {}
            self._set_member(
                member.queue,
                member.interface,
                out,
                wrapup_until=self._wrapup_end(e.queue, member, e.at),
                last_call=e.at,
                since=e.at,
                **values,
            )
        if callback_of(uniqueid) is None:
            queue = self._queue(e.queue)
            self._today(queue, e.at).ended(e.talk_time, hold)
            queue.updated_at = e.at
            out.changes.append(self._queue_change(queue))
        out.records.append(  # a placeholder's passage too (kept apart by its uniqueid)
            QueueCallCompleted(
                uniqueid, e.queue, e.interface, e.talk_time, hold, e.reason, e.at, e.hold_time
            )
        )
        return out

    def _member_added(self, e: ev.MemberAdded) -> Outcome:
        out = Outcome()
        m = e.member
        member = self._member_from(m)
        member.logged_in_at = m.at
        member.since = m.at
        self.members[member.key] = member
        self._queue(m.queue)
        out.changes.append(Change("member", member.key, member.to_dict()))
        out.records.append(
            AgentEvent(
                m.interface,
                m.queue,
                "login",
                "",
                e.by,
                e.forced,
                m.at,
                member.member_name,
                m.paused,
            )
        )
        return out

    def _member_updated(self, e: ev.MemberUpdated) -> Outcome:
        out = Outcome()
        m = e.member
        existing = self.members.get(member_key(m.queue, m.interface))
        if existing is None:
            # A status for a member we did not know: a static member, or we missed the add.
            member = self._member_from(m)
            member.since = m.at
            self.members[member.key] = member
            out.changes.append(Change("member", member.key, member.to_dict()))
            return out
        before = existing.presence(m.at)
        existing.status = m.status
        # InCall is per membership in app_queue (the member struct of the call's queue), so
        # only a call of *this* queue keeps it set: a status of the agent's other queue must
        # not (it would stay set, since nothing of that queue ends the call).
        existing.in_call = m.in_call or self._call_of(m.queue, m.interface) != ""
        existing.calls_taken = m.calls_taken
        existing.wrapuptime = m.wrapuptime
        existing.penalty = m.penalty
        if m.last_call and existing.wrapup_until and int(m.last_call) != int(existing.last_call):
            # Asterisk's own lastcall (whole seconds) may be a second before the AgentComplete
            # that set the wrap-up: app_queue holds the member until lastcall + wrapuptime.
            held = existing.wrapup_until - int(existing.last_call)
            existing.wrapup_until = float(int(m.last_call) + held)
        existing.last_call = m.last_call or existing.last_call
        existing.member_name = m.member_name or existing.member_name
        if existing.presence(m.at) != before:
            existing.since = m.at
        out.changes.append(Change("member", existing.key, existing.to_dict()))
        return out

    def _member_removed(self, e: ev.MemberRemoved) -> Outcome:
        out = Outcome()
        key = member_key(e.queue, e.interface)
        member = self.members.pop(key, None)
        if member is not None:
            out.changes.append(Change("member", key, None))
        name = member.member_name if member else ""
        out.records.append(
            AgentEvent(e.interface, e.queue, "logout", "", e.by, e.forced, e.at, name)
        )
        return out

    def _member_paused(self, e: ev.MemberPaused) -> Outcome:
        out = Outcome()
        action: AgentAction = "pause" if e.paused else "resume"
        member = self.members.get(member_key(e.queue, e.interface))
        name = member.member_name if member else ""
        record = AgentEvent(e.interface, e.queue, action, e.reason, e.by, e.forced, e.at, name)
        if member is not None and member.paused == e.paused and member.paused_reason == e.reason:
            return out  # a repeat (Asterisk sends one per request): nothing changed
        self._set_member(
            e.queue,
            e.interface,
            out,
            paused=e.paused,
            paused_reason=e.reason if e.paused else "",
            paused_by=record.by if e.paused else "",
            forced=record.forced if e.paused else False,
            since=e.at,
        )
        out.records.append(record)
        return out

    def _channel_created(self, e: ev.ChannelCreated) -> Outcome:
        channel = self.channels[e.uniqueid] = Channel(
            e.uniqueid, e.linkedid, e.channel, e.caller_number, e.exten, e.at
        )
        return self._direct_changed(channel)

    def _channel_answered(self, e: ev.ChannelAnswered) -> Outcome:
        channel = self.channels.get(e.uniqueid)
        if channel is None or channel.answered_at:
            return Outcome()
        channel.answered_at = e.at
        channel.connected_number = e.connected_number or channel.connected_number
        return self._direct_changed(channel)

    def _channel_connected(self, e: ev.ChannelConnected) -> Outcome:
        channel = self.channels.get(e.uniqueid)
        if channel is None or not e.connected_number:
            return Outcome()
        channel.connected_number = e.connected_number
        return self._direct_changed(channel)

    def _direct_changed(self, channel: Channel) -> Outcome:
        """Publish an agent's non-queue call as it starts, is answered, learns its peer."""
        out = Outcome()
        call = self._direct_call(channel)
        if call is None or self.direct.get(channel.uniqueid) == call:
            return out
        self.direct[channel.uniqueid] = call
        out.changes.append(Change("direct", call.uniqueid, call.to_dict()))
        return out

    def _direct_call(self, channel: Channel) -> DirectCall | None:
        if channel.linkedid in self._queue_linkedids or not self._is_agent_device(channel.device):
            return None
        outbound = channel.linkedid == channel.uniqueid
        return DirectCall(
            channel.uniqueid,
            channel.device,
            "outbound" if outbound else "inbound",
            self._peer(channel, outbound),
            channel.created_at,
            channel.answered_at,
        )

    def _channel_hold(self, e: ev.ChannelHold) -> Outcome:
        """Hold/Unhold of either leg: Asterisk reports it on the channel whose phone put the
        call on hold (its re-INVITE with a=sendonly). The call is on hold while at least one
        leg is, so holds of both legs that overlap count once."""
        out = Outcome()
        for call in self.calls.values():
            if e.uniqueid not in (call.uniqueid, call.agent_uniqueid):
                continue
            before = self._held_legs.pop(call.uniqueid, set())
            held = before | {e.uniqueid} if e.on_hold else before - {e.uniqueid}
            if held:
                self._held_legs[call.uniqueid] = held
            if held and not before:
                call.on_hold_since = e.at
            elif before and not held:
                call.hold += max(0.0, e.at - call.on_hold_since)
                call.on_hold_since = 0.0
            else:
                continue  # the call's hold did not change (the other leg still holds)
            out.changes.append(Change("call", call.uniqueid, call.to_dict()))
        return out

    def _spy_started(self, e: ev.SpyStarted) -> Outcome:
        out = Outcome()
        if message_of(e.spyer_channel) is not None:  # a canned message, not a supervisor
            self.canned.start(e, self.queue_of_call, out.changes, out.records)
        else:
            self.spies.start(e, self.queue_of_call, out.changes, out.records)
        return out

    def _spy_stopped(self, e: ev.SpyStopped) -> Outcome:
        out = Outcome()
        self.spies.stop(e.spyer_uniqueid, e.at, out.changes, out.records)
        self.canned.stop(e.spyer_uniqueid, e.at, out.changes, out.records, by=e.by)
        return out

    def _digit_received(self, e: ev.DigitReceived) -> Outcome:
        out = Outcome()
        self.spies.digit(e, out.changes, out.records)
        return out

    def queue_of_call(self, uniqueid: str) -> str:
        """The queue of the queue call a channel (caller's or agent's) belongs to, or ""."""
        for call in self.calls.values():
            if uniqueid in (call.uniqueid, call.agent_uniqueid):
                return call.queue
        return ""

    def _channel_hung_up(self, e: ev.ChannelHungUp) -> Outcome:
        out = Outcome()
        self.spies.stop(e.uniqueid, e.at, out.changes, out.records)
        self.canned.stop(e.uniqueid, e.at, out.changes, out.records)
        self._finish_left(e.uniqueid, None, out)
        self._hangup_requested.discard(e.uniqueid)
        channel = self.channels.pop(e.uniqueid, None)
        if channel is None:
            return out
        if self.direct.pop(e.uniqueid, None) is not None:
            out.changes.append(Change("direct", e.uniqueid, None))
        if not any(c.linkedid == channel.linkedid for c in self.channels.values()):
            linked_to_queue = channel.linkedid in self._queue_linkedids
            self._queue_linkedids.discard(channel.linkedid)
        else:
            linked_to_queue = channel.linkedid in self._queue_linkedids
        if not linked_to_queue and self._is_agent_device(channel.device):
            outbound = channel.linkedid == channel.uniqueid
            out.records.append(
                DeviceCall(
                    uniqueid=channel.uniqueid,
                    device=channel.device,
                    direction="outbound" if outbound else "inbound",
                    peer_number=self._peer(channel, outbound),
                    answered=bool(channel.answered_at),
                    talk=max(0.0, e.at - channel.answered_at) if channel.answered_at else 0.0,
                    started_at=channel.created_at,
                    ended_at=e.at,
                )
            )
        return out

    def _device_state(self, e: ev.DeviceStateChanged) -> Outcome:
        out = Outcome()
        if not is_phone(e.device):
            return out
        device = {"device": e.device, "state": e.state, "since": e.at}
        previous = self.devices.get(e.device)
        if previous is not None and previous["state"] == e.state:
            return out
        self.devices[e.device] = device
        out.changes.append(Change("device", e.device, device))
        return out

    # ------------------------------------------------------------------ resync
    def replace(self, snap: ev.Snapshot) -> Outcome:
        """Replace the whole state with what Asterisk reports now.

        Callers who were waiting and are gone, and calls whose channels are gone, are closed
        in the history (outcome ``exited``, end ``unknown``): the events that would say how they
        ended were lost with the connection or with Asterisk.
        """
        out = Outcome()
        self._wrapups_ended(snap.at, out)
        alive = {c.uniqueid: c for c in snap.channels}
        waiting = {c.uniqueid for c in snap.callers}
        for uniqueid, caller in list(self.callers.items()):
            if uniqueid in waiting:
                continue
            answered_by = self._bridged_agent(alive.get(uniqueid), snap)
            if answered_by is not None:
                agent_channel, agent = answered_by
                wait = max(0.0, snap.at - caller.joined_at)
                call = Call(
                    uniqueid,
                    caller.queue,
                    agent.interface,
                    agent.member_name,
                    caller.caller_number,
                    caller.caller_name,
                    wait,
                    snap.at,
                    agent_channel.uniqueid,
                )
                call.kind, call.callback = caller.kind, caller.callback
                self.calls[uniqueid] = call
                if not caller.callback:
                    out.records.append(
                        QueueCallAnswered(
                            uniqueid,
                            caller.queue,
                            agent.interface,
                            agent.member_name,
                            wait,
                            snap.at,
                        )
                    )
            elif not caller.callback:  # a placeholder's request is the bridge's to settle
                self._left[uniqueid] = _Left(caller, max(0.0, snap.at - caller.joined_at), snap.at)
                self._finish_left(uniqueid, "exited", out)
        for uniqueid, call in list(self.calls.items()):
            if uniqueid in alive:
                continue
            del self.calls[uniqueid]
            self._held_legs.pop(uniqueid, None)
            if call.callback:
                continue  # its request's outcome is the dialplan's (or the bridge's) to say
            out.records.append(
                QueueCallCompleted(
                    uniqueid,
                    call.queue,
                    call.agent,
                    max(0.0, snap.at - call.answered_at),
                    call.hold + (snap.at - call.on_hold_since if call.on_hold_since else 0.0),
                    "unknown",
                    snap.at,
                )
            )
        for uniqueid in list(self._left):
            self._finish_left(uniqueid, None, out)
        self._settled.clear()
        self._hangup_requested &= {c.uniqueid for c in snap.channels}

        old_members = self.members
        self.members = {}
        for m in snap.members:
            member = self._member_from(m)
            previous = old_members.get(member.key)
            if previous is not None:
                member.logged_in_at = previous.logged_in_at
                member.wrapup_until = previous.wrapup_until
                member.since = previous.since
                if previous.paused == member.paused:
                    member.paused_by, member.forced = previous.paused_by, previous.forced
            else:
                member.logged_in_at = member.since = snap.at
                # LastCall is whole seconds, and the queue of that call is not reported:
                # the best guess of a wrap-up in progress for a member we did not know.
                if member.last_call:
                    member.wrapup_until = self._wrapup_end(member.queue, member, member.last_call)
            self.members[member.key] = member
        for key, previous in old_members.items():
            if key not in self.members and previous.dynamic:
                out.records.append(
                    AgentEvent(
                        previous.interface,
                        previous.queue,
                        "logout",
                        "",
                        "pbx",
                        False,
                        snap.at,
                        previous.member_name,
                    )
                )

        old_queues = self.queues
        self.queues = {}
        for params in snap.queues:
            queue = old_queues.get(params.queue) or self._new_queue(params.queue)
            queue.strategy, queue.max_callers = params.strategy, params.max_callers
            queue.service_level, queue.weight = params.service_level, params.weight
            queue.updated_at = snap.at
            self.queues[queue.name] = queue

        self.callers = {
            c.uniqueid: _caller(
                c.uniqueid,
                c.queue,
                c.channel,
                c.caller_number,
                c.caller_name,
                c.position,
                was.joined_at if (was := self.callers.get(c.uniqueid)) else snap.at - c.wait,
            )
            for c in snap.callers
        }
        self.channels = {
            c.uniqueid: Channel(
                c.uniqueid,
                c.linkedid,
                c.channel,
                c.caller_number,
                c.exten,
                snap.at - c.duration,
                snap.at - c.duration if c.state == "Up" else 0.0,
                c.connected_number,
            )
            for c in snap.channels
        }
        self._queue_linkedids = {
            self.channels[u].linkedid if u in self.channels else u for u in self.callers
        } | {
            self.channels[c.uniqueid].linkedid
            for c in self.calls.values()
            if c.uniqueid in self.channels
        }
        old_devices = self.devices
        self.devices = {}
        for d in snap.devices:
            if is_phone(d.device):
                prev = old_devices.get(d.device)
                since = prev["since"] if prev and prev["state"] == d.state else snap.at
                self.devices[d.device] = {"device": d.device, "state": d.state, "since": since}
        self.direct = {
            u: direct
            for u, channel in self.channels.items()
            if (direct := self._direct_call(channel)) is not None
        }
        self.spies.replace(snap.channels, self.queue_of_call, snap.at, out.records)
        self.canned.replace(snap.channels, self.queue_of_call, snap.at, out.records)
        in_calls = {member_key(c.queue, c.agent) for c in self.calls.values()}
        for member in self.members.values():
            member.in_call = member.in_call or member.key in in_calls
        out.changes.append(Reset(self.state()))
        self._agent_transitions(None, snap.at, out)
        return out

    def state(self) -> dict[Entity, dict[str, dict[str, Any]]]:
        """The whole state as plain dicts (what the mirror stores)."""
        return {
            "queue": {k: v.to_dict() for k, v in self.queues.items()},
            "member": {k: v.to_dict() for k, v in self.members.items()},
            "caller": {k: v.to_dict() for k, v in self.callers.items()},
            "call": {k: v.to_dict() for k, v in self.calls.items()},
            "device": dict(self.devices),
            "spy": self.spies.state(),
            "direct": {k: v.to_dict() for k, v in self.direct.items()},
            "canned": self.canned.state(),
            "campaign": dict(self.outbound["campaign"]),
            "dial": dict(self.outbound["dial"]),
        }

    # ------------------------------------------------------------------ helpers
    def _queue(self, name: str) -> Queue:
        queue = self.queues.get(name)
        if queue is None:
            queue = self.queues[name] = self._new_queue(name)
        return queue

    def _new_queue(self, name: str) -> Queue:
        """A queue seen for the first time, with the counters seeded for it, if any."""
        queue = Queue(name)
        seeded = self._seeded.pop(name, None)
        if seeded is not None:
            queue.today = seeded
        return queue

    def _today(self, queue: Queue, at: float) -> Counters:
        day = self.day_of(at)
        if queue.today.day != day:
            queue.today = Counters(day=day)
        return queue.today

    def _queue_change(self, queue: Queue) -> Change:
        return Change("queue", queue.name, queue.to_dict())

    def _renumber(self, queue: str, out: Outcome) -> None:
        """Positions close up when a caller leaves, as app_queue does."""
        waiting = sorted(
            (c for c in self.callers.values() if c.queue == queue), key=lambda c: c.position
        )
        for position, caller in enumerate(waiting, start=1):
            if caller.position != position:
                caller.position = position
                out.changes.append(Change("caller", caller.uniqueid, caller.to_dict()))

    def _set_member(self, queue: str, interface: str, out: Outcome, **values: Any) -> None:
        member = self.members.get(member_key(queue, interface))
        if member is None:
            return
        since = values.pop("since", None)
        before = member.presence(since or 0.0)
        for name, value in values.items():
            setattr(member, name, value)
        if since is not None and member.presence(since) != before:
            member.since = since
        out.changes.append(Change("member", member.key, member.to_dict()))

    def _member_from(self, m: ev.MemberState) -> Member:
        return Member(
            queue=m.queue,
            interface=m.interface,
            member_name=m.member_name,
            state_interface=m.state_interface,
            dynamic=m.dynamic,
            paused=m.paused,
            paused_reason=m.paused_reason if m.paused else "",
            status=m.status,
            in_call=m.in_call,
            calls_taken=m.calls_taken,
            last_call=m.last_call,
            wrapuptime=m.wrapuptime,
            penalty=m.penalty,
        )

    def _memberships_ending_a_call(self, queue: str, interface: str) -> list[Member]:
        """The memberships whose last call is set when a call of ``queue`` ends: that queue's,
        and with ``shared_lastcall`` every queue of the member (app_queue's update_queue)."""
        if not self.shared_lastcall:
            member = self.members.get(member_key(queue, interface))
            return [member] if member is not None else []
        return [m for m in self.members.values() if m.interface == interface]

    def _wrapup_end(self, call_queue: str, member: Member, ended_at: float) -> float:
        """When app_queue offers ``member`` calls again after a call of ``call_queue`` ended
        at ``ended_at`` (its get_wrapuptime: the member's own value beats the queue's)."""
        wrapup = member.wrapuptime or self.wrapup.get(call_queue, 0.0)
        # app_queue keeps the last call in whole seconds (time_t) and offers calls again once
        # ``now - lastcall >= wrapuptime``.
        return float(int(ended_at) + wrapup) if wrapup else 0.0

    def _call_of(self, queue: str, agent: str) -> str:
        """The caller id of the agent's call in ``queue`` (Asterisk 22 was seen sending an
        AgentComplete without Uniqueid when many calls ended at once)."""
        for call in self.calls.values():
            if call.queue == queue and call.agent == agent:
                return call.uniqueid
        return ""

    @staticmethod
    def _peer(channel: Channel, outbound: bool) -> str:
        """The far end's number: what the phone dialled, else its connected line (a call
        originated from the phone starts at ``s`` and learns the far end on connection)."""
        if outbound and channel.exten.isdigit():
            return channel.exten
        if channel.connected_number.lstrip("+").isdigit():
            return channel.connected_number
        return channel.exten if outbound else ""

    def _is_agent_device(self, device: str) -> bool:
        return any(device in (m.interface, m.state_interface) for m in self.members.values())

    def _bridged_agent(
        self, channel: ev.ActiveChannel | None, snap: ev.Snapshot
    ) -> tuple[ev.ActiveChannel, Member] | None:
        if channel is None or not channel.bridge_id:
            return None
        for other in snap.channels:
            if other.bridge_id != channel.bridge_id or other.uniqueid == channel.uniqueid:
                continue
            device = device_of(other.channel)
            for m in snap.members:
                if device in (m.interface, m.state_interface):
                    return other, self._member_from(m)
        return None

    def _outbound_changed(self, e: ev.OutboundChanged) -> Outcome:
        book = self.outbound[e.entity]
        if e.value is None:
            if book.pop(e.key, None) is None:
                return Outcome()
        else:
            if book.get(e.key) == e.value:
                return Outcome()
            book[e.key] = dict(e.value)
        return Outcome(changes=[Change(e.entity, e.key, e.value)])

    def _dial_progress(self, e: ev.DialProgress) -> Outcome:
        dial = self.outbound["dial"].get(e.attempt)
        if dial is None:
            return Outcome()
        if e.stage == "ended":
            del self.outbound["dial"][e.attempt]
            return Outcome(changes=[Change("dial", e.attempt, None)])
        state = {
            "agent_answered": "ringing_contact",
            "answered": "queued" if dial.get("mode") == "predictive" else "talking",
            "queued": "queued",
            "connected": "talking",
            "dropped": "message",
        }.get(e.stage)
        if state is None or dial.get("state") == state:
            return Outcome()
        dial = {**dial, "state": state, "since": e.at}
        self.outbound["dial"][e.attempt] = dial
        return Outcome(changes=[Change("dial", e.attempt, dial)])

    _handlers: dict[type, Callable[[ContactCenter, Any], Outcome]] = {
        ev.CallerJoined: _caller_joined,
        ev.CallerLeft: _caller_left,
        ev.CallerAbandoned: _caller_abandoned,
        ev.QueueExited: _queue_exited,
        ev.CallbackStep: _callback_step,
        ev.HangupRequested: _hangup_request,
        ev.DeviceStateChanged: _device_state,
        ev.AgentRinging: _agent_ringing,
        ev.AgentRingNoAnswer: _agent_ring_no_answer,
        ev.AgentConnected: _agent_connected,
        ev.AgentCompleted: _agent_completed,
        ev.MemberAdded: _member_added,
        ev.MemberUpdated: _member_updated,
        ev.MemberRemoved: _member_removed,
        ev.MemberPaused: _member_paused,
        ev.ChannelCreated: _channel_created,
        ev.ChannelAnswered: _channel_answered,
        ev.ChannelConnected: _channel_connected,
        ev.ChannelHold: _channel_hold,
        ev.ChannelHungUp: _channel_hung_up,
        ev.SpyStarted: _spy_started,
        ev.SpyStopped: _spy_stopped,
        ev.DigitReceived: _digit_received,
        ev.OutboundChanged: _outbound_changed,
        ev.DialProgress: _dial_progress,
    }
