"""Supervisor call control: listen / whisper / barge on an agent's call (SV-9, QD-3) and
taking or transferring a caller who waits in a queue (QD-2).

Each use case reads like its sentence: check who asks against the live model (a supervisor
of a queue the agent is in, or an admin), find the exact channel in the model (never a
prefix, never user text), send one AMI action, and wait for the events that confirm it.

- Spy: ``Originate`` rings the supervisor's device into ``ChanSpy(<exact channel>,qEdu[w|B])``
  (class ``originate`` only). The mode changes with the digits 4/5/6 ChanSpy's ``d`` option
  reads: from the phone's keypad, or from the browser through ``PlayDTMF Receive`` on the
  supervisor's channel. The session is the model's ``spy`` entity (ChanSpyStart/Stop,
  DTMFEnd), whose every step is an audit record (``acd.spies``).
- Waiting callers: ``QueueWithdrawCaller`` with ``dev:<endpoint>`` (take: the supervisor's
  phone; transfer to an agent: the agent's) or ``ext:<digits>`` (an extension that exists in
  the ``standardiste-transfer`` context); our dialplan routes on it (standardiste-extensions
  .conf, [standardiste-withdrawn]). Asterisk raises QueueCallerAbandon first; our QueueExit
  event says WITHDRAW and the model counts the call as *transferred*, not abandoned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from standardiste.acd.model import ContactCenter
from standardiste.acd.spies import DIGIT_OF
from standardiste.acd.state import Channel, Spy, SpyMode
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.ami_bridge.errors import (
    AmiActionError,
    AmiConnectionLost,
    AmiNotConnected,
    AmiTimeout,
)
from standardiste.errors import (
    AsteriskRefused,
    CallGone,
    Forbidden,
    InvalidInput,
    NotConfirmed,
    PbxUnavailable,
    UnknownAgent,
)
from standardiste.journal import CommandJournal
from standardiste.permissions import Scope, scope_from_wire, scope_to_wire

WaitFor = Callable[[Callable[[], bool], float], Awaitable[bool]]

TRANSFER_CONTEXT = "standardiste-transfer"
MODES: tuple[SpyMode, ...] = ("listen", "whisper", "barge")
_OPTIONS: dict[SpyMode, str] = {"listen": "qEdu", "whisper": "qEduw", "barge": "qEduB"}
CallOp = Literal["spy", "spy_mode", "spy_stop", "take", "transfer", "canned_play", "canned_stop"]
# Run by standardiste.canned_play (the agent's own call), not by CallControl.
CANNED_OPS = frozenset({"canned_play", "canned_stop"})


@dataclass(frozen=True, slots=True)
class CallRequest:
    """A user's call control request as the web checked it (devices are the users' own)."""

    op: CallOp
    actor: Scope
    mode: str = ""
    device: str = ""  # the actor's device (spy, take)
    target: Scope | None = None  # the agent spied on, or transferred to
    target_device: str = ""  # that agent's device
    call: str = ""  # spy, canned_play: the agent's call (a channel uniqueid); "" current one
    session: str = ""  # spy_mode / spy_stop / canned_stop: the session's id
    queue: str = ""
    caller: str = ""  # take / transfer: the waiting caller's uniqueid
    extension: str = ""  # transfer to an extension
    message: str = ""  # canned_play: the canned audio message's id

    def to_wire(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "op": self.op,
            "actor": scope_to_wire(self.actor),
            "mode": self.mode,
            "device": self.device,
            "target": scope_to_wire(self.target) if self.target else None,
            "target_device": self.target_device,
            "call": self.call,
            "session": self.session,
            "queue": self.queue,
            "caller": self.caller,
            "extension": self.extension,
            "message": self.message,
        }
        return data

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> CallRequest:
        try:
            op = data["op"]
            if op not in ("spy", "spy_mode", "spy_stop", "take", "transfer", *CANNED_OPS):
                raise InvalidInput(f"unknown call control operation {op!r}")
            target = data.get("target")
            return cls(
                op=op,
                actor=scope_from_wire(data["actor"]),
                mode=str(data.get("mode", "")),
                device=str(data.get("device", "")),
                target=scope_from_wire(target) if target else None,
                target_device=str(data.get("target_device", "")),
                call=str(data.get("call", "")),
                session=str(data.get("session", "")),
                queue=str(data.get("queue", "")),
                caller=str(data.get("caller", "")),
                extension=str(data.get("extension", "")),
                message=str(data.get("message", "")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput(f"malformed call control request: {exc!r}") from exc


class CallControl:
    """The use cases; ``act`` is the entry point of the command bus's ``calls`` kind."""

    def __init__(
        self,
        model: ContactCenter,
        ami: AmiCommands,
        wait_for: WaitFor,
        *,
        journal: CommandJournal,
        confirm_timeout: float = 5.0,
        withdraw_timeout: float = 8.0,
        transfer_context: str = TRANSFER_CONTEXT,
    ) -> None:
        self._model = model
        self._ami = ami
        self._wait_for = wait_for
        self._journal = journal
        self._timeout = confirm_timeout
        # QueueWithdrawCaller is read in the caller's wait loop, not while a member's phone
        # rings: up to one ring timeout may pass before the caller leaves.
        self._withdraw_timeout = withdraw_timeout
        self._transfer_context = transfer_context

    async def act(self, request: CallRequest) -> dict[str, Any]:
        match request.op:
            case "spy":
                return await self.spy(request)
            case "spy_mode":
                return await self.spy_mode(request)
            case "spy_stop":
                return await self.spy_stop(request)
            case "take" | "transfer":
                return await self.withdraw(request)
            case "canned_play" | "canned_stop":
                raise InvalidInput(f"{request.op} is not call control's (canned_play runs it)")

    # ------------------------------------------------------------------ spy
    async def spy(self, request: CallRequest) -> dict[str, Any]:
        actor, target = request.actor, request.target
        if target is None:
            raise InvalidInput("whom to listen to: an agent is required")
        mode = _mode(request.mode)
        _own_device(actor, request.device)
        queue = self._queue_allowing(actor, target)
        channel = self._agent_channel(target, request.call)
        if channel.device in actor.devices:
            raise InvalidInput("that call is on your own phone")
        entry = self._journal.expect_spy(
            request.device, channel.channel, by=actor.username, mode=mode, queue=queue
        )
        try:
            originate = self._ami.spy(request.device, channel.channel, _OPTIONS[mode])
            await self._run("Originate", originate)
        except BaseException:
            self._journal.cancel_spy(entry)
            raise
        return {
            "device": request.device,
            "agent": channel.device,
            "target_channel": channel.channel,
            "mode": mode,
            "queue": queue,
        }

    async def spy_mode(self, request: CallRequest) -> dict[str, Any]:
        spy = self._session(request)
        mode = _mode(request.mode)
        if spy.mode != mode:
            await self._run("PlayDTMF", self._ami.receive_digit(spy.channel, DIGIT_OF[mode]))
            await self._confirm(
                lambda: (
                    self._model.spies.sessions.get(spy.uniqueid) is None
                    or self._model.spies.sessions[spy.uniqueid].mode == mode
                ),
                f"mode {mode} of session {spy.uniqueid}",
            )
        return {"session": spy.uniqueid, "mode": mode}

    async def spy_stop(self, request: CallRequest) -> dict[str, Any]:
        spy = self._session(request)
        await self._run("Hangup", self._ami.hangup(spy.channel))
        await self._confirm(
            lambda: spy.uniqueid not in self._model.spies.sessions,
            f"end of session {spy.uniqueid}",
        )
        return {"session": spy.uniqueid, "ended": True}

    def _session(self, request: CallRequest) -> Spy:
        spy = self._model.spies.sessions.get(request.session)
        if spy is None:
            raise CallGone(f"no listening session {request.session!r}")
        actor = request.actor
        # One's own session; an admin any. A session started from a phone has no user:
        # a supervisor of its queue may end or switch it.
        own = spy.supervisor == actor.username or (
            not spy.supervisor and spy.device in actor.devices
        )
        if not (actor.admin or own):
            raise Forbidden("this listening session is someone else's")
        return spy

    def _queue_allowing(self, actor: Scope, target: Scope) -> str:
        """The queue that lets ``actor`` act on ``target``'s calls: a queue the agent is
        logged into that the actor supervises (an admin: any, or none)."""
        queues = sorted(
            {m.queue for m in self._model.members.values() if m.interface in target.devices}
        )
        for call in self._model.calls.values():  # the spied queue call's own queue first
            if call.agent in target.devices and (actor.admin or call.queue in actor.supervised):
                return call.queue
        allowed = [q for q in queues if actor.admin or q in actor.supervised]
        if allowed:
            return allowed[0]
        if actor.admin:
            return ""
        raise Forbidden(f"{target.username} is not an agent of a queue you supervise")

    def _agent_channel(self, target: Scope, call: str) -> Channel:
        return agent_channel(self._model, target, call)

    # ------------------------------------------------------------------ waiting callers
    async def withdraw(self, request: CallRequest) -> dict[str, Any]:
        actor = request.actor
        if not (actor.admin or request.queue in actor.supervised):
            raise Forbidden(f"you do not supervise the queue {request.queue!r}")
        caller = self._model.callers.get(request.caller)
        if caller is None or caller.queue != request.queue:
            raise CallGone(f"no caller {request.caller!r} waiting in {request.queue!r}")
        if caller.kind == "callback":
            # Its customer is called when one of the queue's agents answers (BY-1); taken
            # out of the queue, its place would only be kept again by the bridge.
            raise InvalidInput("a callback request is answered by the queue's agents")
        if request.op == "take":
            _own_device(actor, request.device)
            info, to = _device_info(request.device), request.device
        elif request.extension:
            if not await self._run(
                "Getvar",
                self._ami.extension_exists(self._transfer_context, request.extension),
            ):
                raise InvalidInput(
                    f"extension {request.extension!r} does not exist in the context "
                    f"{self._transfer_context}"
                )
            info, to = f"ext:{request.extension}", request.extension
        elif request.target is not None and request.target_device:
            if request.target_device not in request.target.devices:
                raise InvalidInput(f"{request.target_device!r} is not that agent's device")
            info, to = _device_info(request.target_device), request.target_device
        else:
            raise InvalidInput("transfer to whom: an agent or an extension is required")
        await self._run(
            "QueueWithdrawCaller", self._ami.withdraw_caller(request.queue, caller.channel, info)
        )
        left = await self._wait_for(
            lambda: request.caller not in self._model.callers, self._withdraw_timeout
        )
        if not left:
            raise NotConfirmed(
                "Asterisk accepted the request but the caller is still in the queue (a phone "
                "was ringing for them); they will leave when it stops ringing"
            )
        return {"caller": request.caller, "queue": request.queue, "to": to}

    # ------------------------------------------------------------------ helpers
    async def _run(self, name: str, command: Awaitable[Any]) -> Any:
        return await run_ami(name, command)

    async def _confirm(self, predicate: Callable[[], bool], what: str) -> None:
        if not await self._wait_for(predicate, self._timeout):
            raise NotConfirmed(f"Asterisk accepted the request but never confirmed: {what}")


async def run_ami(name: str, command: Awaitable[Any]) -> Any:
    """Await an AMI command; its failures as the domain errors the web maps."""
    try:
        return await command
    except ValueError as exc:  # an ami_bridge allow-list said no
        raise InvalidInput(str(exc)) from exc
    except AmiActionError as exc:
        raise AsteriskRefused(f"Asterisk refused {name}: {exc}") from exc
    except (AmiNotConnected, AmiConnectionLost, AmiTimeout) as exc:
        raise PbxUnavailable(f"{name} not done: the PBX is not reachable ({exc})") from exc


def agent_channel(model: ContactCenter, target: Scope, call: str) -> Channel:
    """The agent's answered channel: the one of ``call`` (a channel uniqueid of theirs,
    or the caller's uniqueid of their queue call), else their only/queue call's. Their
    device's own ChanSpy channels (a supervisor listening) are no call of theirs."""
    spying = set(model.spies.sessions)
    mine = [
        c
        for c in model.channels.values()
        if c.device in target.devices and c.answered_at and c.uniqueid not in spying
    ]
    if call:
        queue_call = model.calls.get(call)
        wanted = queue_call.agent_uniqueid if queue_call is not None else call
        chosen = [c for c in mine if c.uniqueid == wanted]
        if not chosen:
            raise UnknownAgent(f"{target.username} has no call {call!r}")
        return chosen[0]
    if not mine:
        raise UnknownAgent(f"{target.username} is not in a call")
    in_queue = {c.agent_uniqueid for c in model.calls.values()}
    mine.sort(key=lambda c: (c.uniqueid not in in_queue, -c.answered_at))
    return mine[0]


def _mode(mode: str) -> SpyMode:
    for known in MODES:
        if known == mode:
            return known
    raise InvalidInput(f"mode: one of {', '.join(MODES)}")


def _own_device(actor: Scope, device: str) -> None:
    if device not in actor.devices:
        raise InvalidInput(f"device {device!r} is not one of your devices")


def _device_info(device: str) -> str:
    """``PJSIP/sup2001`` -> ``dev:sup2001`` (our dialplan dials PJSIP/<endpoint>)."""
    tech, _, endpoint = device.partition("/")
    if tech != "PJSIP":
        raise InvalidInput(f"device {device!r}: only PJSIP phones can take a waiting caller")
    return f"dev:{endpoint}"
