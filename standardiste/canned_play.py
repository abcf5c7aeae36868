"""An agent plays a canned audio message into their own call, and stops it (AG-3).

Each use case reads like its sentence: find the user's own answered call in the live model
(never a channel the browser names), make sure the message's file is where Asterisk plays
it from (``pbx.canned_audio``), send one AMI action, and wait for the events that confirm
it (``acd.canned``: the ``canned`` entity, audited in ``canned_log``).

- Play: ``Originate Local/<id>@standardiste-canned`` with ``ChanSpy(<the user's channel>,
  qBEu)`` (``AmiCommands.play_into``): the Local channel plays the file and barges it into
  both legs of the call. Class ``originate`` only, as a supervisor's barge. One message at
  a time per call.
- Stop: ``Hangup`` of the playing Local channel (class ``call``): the user who played it,
  the agent whose call it is, or an admin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from standardiste.acd.canned import local_device
from standardiste.acd.model import ContactCenter
from standardiste.acd.state import Canned
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.call_control import CallRequest, agent_channel, run_ami
from standardiste.errors import (
    CallGone,
    Conflict,
    Forbidden,
    InvalidInput,
    NotConfirmed,
    UnknownAgent,
)
from standardiste.journal import CommandJournal
from standardiste.pbx.canned_audio import CannedAudioFiles

WaitFor = Callable[[Callable[[], bool], float], Awaitable[bool]]


class CannedPlayer:
    """The use cases; ``act`` takes the ``calls`` commands ``canned_play`` / ``canned_stop``."""

    def __init__(
        self,
        model: ContactCenter,
        ami: AmiCommands,
        wait_for: WaitFor,
        *,
        journal: CommandJournal,
        files: CannedAudioFiles,
        confirm_timeout: float = 5.0,
    ) -> None:
        self._model = model
        self._ami = ami
        self._wait_for = wait_for
        self._journal = journal
        self._files = files
        self._timeout = confirm_timeout

    async def act(self, request: CallRequest) -> dict[str, Any]:
        if request.op == "canned_play":
            return await self.play(request)
        if request.op == "canned_stop":
            return await self.stop(request)
        raise InvalidInput(f"{request.op} is not a canned audio operation")

    async def play(self, request: CallRequest) -> dict[str, Any]:
        actor = request.actor
        message_id = _message_id(request.message)
        try:
            channel = agent_channel(self._model, actor, request.call)
        except UnknownAgent:
            what = f"no call {request.call!r}" if request.call else "no call"
            raise CallGone(f"you have {what} to play the message into") from None
        playing = self._model.canned.playing_into(channel.channel)
        if playing is not None:
            raise Conflict(
                f"a message is already playing into that call ({playing.name or playing.message})"
                ": stop it first"
            )
        message = await self._files.ensure(message_id)
        queue = self._model.queue_of_call(channel.uniqueid)
        device = local_device(message_id)
        entry = self._journal.expect_canned(
            device, channel.channel, by=actor.username, name=message.name, queue=queue
        )
        try:
            await run_ami("Originate", self._ami.play_into(message_id, channel.channel))
        except BaseException:
            self._journal.cancel_spy(entry)
            raise
        started = await self._wait_for(
            lambda: _started(self._model.canned.playing_into(channel.channel), message_id),
            self._timeout,
        )
        canned = self._model.canned.playing_into(channel.channel)
        if not started or canned is None:
            raise NotConfirmed(
                f"Asterisk accepted the request but never started message {message_id} "
                f"(is [standardiste-canned] in its dialplan, and {self._files.directory} "
                "Asterisk's sounds/standardiste/canned?)"
            )
        return {
            "session": canned.uniqueid,
            "message": message_id,
            "name": message.name,
            "seconds": message.seconds,
            "target_channel": channel.channel,
            "queue": queue,
        }

    async def stop(self, request: CallRequest) -> dict[str, Any]:
        canned = self._model.canned.sessions.get(request.session)
        if canned is None:
            raise CallGone(f"no message playing as {request.session!r} (it may have ended)")
        actor = request.actor
        if not (actor.admin or canned.by == actor.username or canned.agent in actor.devices):
            raise Forbidden("this message plays into someone else's call")
        entry = self._journal.expect_stop(canned.uniqueid, by=actor.username)
        try:
            await run_ami("Hangup", self._ami.hangup(canned.channel))
        except BaseException:
            self._journal.cancel_stop(entry)
            raise
        if not await self._wait_for(
            lambda: canned.uniqueid not in self._model.canned.sessions, self._timeout
        ):
            raise NotConfirmed(f"Asterisk accepted the request but message {canned.uniqueid} plays")
        return {"session": canned.uniqueid, "ended": True}


def _message_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18 or int(raw) == 0:
        raise InvalidInput(f"message {raw!r}: a canned audio message's id is expected")
    return int(raw)


def _started(canned: Canned | None, message_id: int) -> bool:
    return canned is not None and canned.message == message_id
