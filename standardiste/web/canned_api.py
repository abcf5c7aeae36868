"""Canned audio messages (AG-3): admins upload, rename and delete them; an agent plays one
into their own call and stops it.

- Upload: the file is the request's body (read as a stream, at most ``pbx.sound``'s
  5 MB), converted here with sox (``pbx.sound.convert``, in a thread) and stored with an
  audit entry (``pbx.canned_audio``). The bridge then writes it where Asterisk plays it
  from (configuration command ``canned_audio.sync``, after every change); a bridge that
  does not answer gets it at its next start or at the first playback, which writes its
  own file first.
- Play / stop: forwarded to the bridge (``standardiste.canned_play`` through the command
  bus), which finds the user's own call in its live model and barges the message in.
"""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import web

from standardiste.call_control import CallRequest
from standardiste.errors import InvalidInput, StandardisteError
from standardiste.history.canned_log import canned_log
from standardiste.pbx.canned_audio import CannedAudio
from standardiste.pbx.sound import MAX_SECONDS, MAX_UPLOAD_BYTES, SoxMissing, convert
from standardiste.permissions import scope_of
from standardiste.web.admin_schemas import AuditQuery
from standardiste.web.appkeys import ACCOUNTS, CANNED, CONFIG, DEPS
from standardiste.web.canned_schemas import (
    CannedAudioOut,
    CannedAudios,
    CannedAudioUpdate,
    CannedAudioUpload,
    CannedLog,
    CannedLogEntryOut,
    CannedMessage,
    CannedMessages,
    CannedPlay,
    CannedPlaying,
    CannedStopped,
)
from standardiste.web.endpoint import read_model, read_query, read_upload, respond
from standardiste.web.errors import Unavailable
from standardiste.web.security import current_user

log = structlog.get_logger(__name__)
WAV = "audio/wav"


def _message_id(request: web.Request) -> int:
    raw = request.match_info["message_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput(f"canned audio message id {raw!r} is not a number")
    return int(raw)


def _out(message: CannedAudio) -> CannedAudioOut:
    return CannedAudioOut.model_validate(message.to_dict())


async def _list(request: web.Request) -> CannedAudios:
    messages = await request.app[CANNED].messages()
    return CannedAudios(
        messages=[_out(m) for m in messages],
        max_seconds=MAX_SECONDS,
        max_bytes=MAX_UPLOAD_BYTES,
    )


async def _changed(request: web.Request, actor: str) -> None:
    """After a change: the bridge writes or removes the files (best effort: see above)."""
    await request.app[CONFIG].changed()
    commands = request.app[DEPS].config
    if commands is None:
        return
    try:
        await commands.run("canned_audio.sync", {}, actor=actor)
    except StandardisteError as exc:
        log.warning("canned_audio.sync_not_done", error=exc.message)


# -------------------------------------------------------------------- admins
async def list_messages(request: web.Request) -> web.Response:
    return respond(request, await _list(request))


async def upload(request: web.Request) -> web.Response:
    query = read_query(request, CannedAudioUpload)
    actor = (await current_user(request)).username
    data = await read_upload(request, MAX_UPLOAD_BYTES)
    try:
        sound = await asyncio.to_thread(convert, data)
    except SoxMissing as exc:
        raise Unavailable(f"the sound files cannot be converted here: {exc}") from None
    await request.app[CANNED].add(query.name, query.language, sound, actor)
    await _changed(request, actor)
    return respond(request, await _list(request), 201)


async def update(request: web.Request) -> web.Response:
    body = await read_model(request, CannedAudioUpdate)
    actor = (await current_user(request)).username
    changes = body.model_dump(exclude_none=True)
    await request.app[CANNED].update(_message_id(request), changes, actor)
    await request.app[CONFIG].changed()
    return respond(request, await _list(request))


async def delete(request: web.Request) -> web.Response:
    actor = (await current_user(request)).username
    await request.app[CANNED].delete(_message_id(request), actor)
    await _changed(request, actor)
    return web.Response(status=204)


async def audio(request: web.Request) -> web.Response:
    """The converted sound, as Asterisk plays it (an admin checks it in the browser)."""
    data = await request.app[CANNED].audio(_message_id(request))
    return web.Response(body=data, content_type=WAV)


async def played(request: web.Request) -> web.Response:
    """The audit of the messages played into calls: who, into whose call, who stopped it."""
    query = read_query(request, AuditQuery)
    engine = request.app[DEPS].engine
    entries = await canned_log(engine, limit=query.limit, before_id=query.before_id)
    owners = await request.app[ACCOUNTS].device_directory()
    return respond(
        request,
        CannedLog(
            entries=[
                CannedLogEntryOut(
                    id=e.id,
                    at=e.at.isoformat(),
                    session=e.session,
                    event=e.event,  # type: ignore[arg-type]
                    message=e.message,
                    name=e.name,
                    by=e.by,
                    agent=e.agent,
                    agent_name=owners.get(e.agent, {}).get("username", ""),
                    queue=e.queue,
                    stopped_by=e.stopped_by,
                )
                for e in entries
            ]
        ),
    )


# -------------------------------------------------------------------- agents
async def messages_to_play(request: web.Request) -> web.Response:
    messages = await request.app[CANNED].messages()
    return respond(
        request,
        CannedMessages(
            messages=[
                CannedMessage.model_validate(
                    {"id": m.id, "name": m.name, "language": m.language, "seconds": m.seconds}
                )
                for m in messages
            ]
        ),
    )


async def play(request: web.Request) -> web.Response:
    body = await read_model(request, CannedPlay)
    user = await current_user(request)
    result = await _run(
        request,
        CallRequest(
            op="canned_play",
            actor=scope_of(user),
            message=str(_message_id(request)),
            call=body.call or "",
        ),
    )
    return respond(request, CannedPlaying.model_validate(result))


async def stop(request: web.Request) -> web.Response:
    user = await current_user(request)
    session = request.match_info["session"]
    if not session.replace(".", "", 1).isdigit() or len(session) > 32:
        raise InvalidInput(f"session {session!r}: a playback id is digits.digits")
    result = await _run(
        request, CallRequest(op="canned_stop", actor=scope_of(user), session=session)
    )
    return respond(request, CannedStopped.model_validate(result))


async def _run(request: web.Request, call: CallRequest) -> dict[str, object]:
    commands = request.app[DEPS].calls
    if commands is None:
        raise Unavailable("canned audio cannot be played (no bridge)")
    return await commands.act(call)
