"""A queue's recent calls with their recordings, and playing a recording (CF-2).

- ``GET /api/v1/calls?queue=&date=`` — the calls of a queue the user sees in detail (a
  supervisor of it, an admin), from the history, each saying whether its recording is kept:
  the file ``<recordings dir>/standardiste/<call id>.wav`` exists (``standardiste.recordings``),
  so the flag is never stale, whatever the retention deleted.
- ``GET /api/v1/recordings/{call_id}`` — the WAV, streamed with Range support, to a user
  whose role holds ``recordings.play`` and who sees one of the call's queues in detail. Each
  playback from the start is written to the configuration audit (``recording.play``).

The web process reads the recordings where Asterisk writes them
(``asterisk.recordings_dir``): on another host, a read-only mount of that directory.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import cast

from aiohttp import hdrs, web

from standardiste.accounts import User
from standardiste.acd.records import QueueOutcome
from standardiste.errors import InvalidInput
from standardiste.history.activity import day_bounds
from standardiste.history.calls import CallEntry, queue_calls, queues_of_call
from standardiste.pbx.store import ConfigStore
from standardiste.permissions import Scope, scope_of, sees_details
from standardiste.recordings import find, is_call_id
from standardiste.web.appkeys import ACCOUNTS, DEPS
from standardiste.web.deps import WebDeps
from standardiste.web.endpoint import granted_to, read_query, respond
from standardiste.web.errors import Forbidden, NotFound
from standardiste.web.schemas import CallOut, Calls, CallsQuery
from standardiste.web.security import current_user

PLAY = "recordings.play"
WAV = "audio/wav"


def recordings_dir(deps: WebDeps) -> Path:
    return deps.settings.asterisk.recordings(deps.settings.sandbox)


async def _grants(request: web.Request, user: User, permission: str) -> bool:
    return permission in await granted_to(request, user.role)


def _details_of(scope: Scope, queue: str) -> None:
    if not sees_details(scope, queue):
        raise Forbidden(f"you cannot see the calls of queue {queue}")


# -------------------------------------------------------------------- the list
async def list_calls(request: web.Request) -> web.Response:
    user = await current_user(request)
    query = read_query(request, CallsQuery)
    _details_of(scope_of(user), query.queue)
    deps = request.app[DEPS]
    window = None if query.date is None else day_bounds(query.date, deps.settings.timezone)
    entries = await queue_calls(deps.engine, query.queue, window=window, limit=query.limit)
    directory = await request.app[ACCOUNTS].device_directory()
    kept = await asyncio.to_thread(_recorded, recordings_dir(deps), entries)
    calls = [
        _call_out(e, e.uniqueid in kept, directory.get(e.agent or "", {}).get("display_name"))
        for e in entries
    ]
    body = Calls(
        queue=query.queue,
        day=None if query.date is None else query.date.isoformat(),
        can_play=await _grants(request, user, PLAY),
        calls=calls,
    )
    return respond(request, body)


def _recorded(directory: Path, entries: list[CallEntry]) -> set[str]:
    """The ids of the answered calls among ``entries`` whose recording is on disk."""
    return {
        e.uniqueid
        for e in entries
        if e.answered_at is not None and is_call_id(e.uniqueid) and find(directory, e.uniqueid)
    }


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _call_out(entry: CallEntry, recording: bool, agent_name: str | None) -> CallOut:
    return CallOut(
        call_id=entry.uniqueid,
        queue=entry.queue,
        caller_number=entry.caller_number,
        caller_name=entry.caller_name,
        entered_at=_epoch(entry.entered_at),
        answered_at=_epoch(entry.answered_at),
        agent=entry.agent,
        agent_name=agent_name or entry.member_name or None,
        wait=entry.wait,
        talk=entry.talk,
        hold=entry.hold,
        outcome=cast(QueueOutcome | None, entry.outcome),  # the table's CHECK: one of them
        ended_by=entry.ended_by,
        completed_at=_epoch(entry.completed_at),
        recording=recording,
    )


# -------------------------------------------------------------------- playing
async def play_recording(request: web.Request) -> web.StreamResponse:
    user = await current_user(request)  # the route checked the permission (recordings.play)
    call_id = request.match_info["call_id"]
    if not is_call_id(call_id):
        raise InvalidInput(f"call_id: {call_id[:40]!r} is not a call id (digits.digits)")
    deps = request.app[DEPS]
    scope = scope_of(user)
    # A call of a queue the user does not see is answered as one that was not recorded:
    # whether it exists is not theirs to know.
    queues = [q for q in await queues_of_call(deps.engine, call_id) if sees_details(scope, q)]
    path = await asyncio.to_thread(find, recordings_dir(deps), call_id) if queues else None
    if path is None:
        raise NotFound(f"no recording of call {call_id} in your queues")
    if request.method == "GET" and _from_the_start(request):
        # A player asks again for later byte ranges (seeking): one entry per playback.
        await ConfigStore(deps.engine).record(
            user.username, "recording.play", call_id, None, {"queues": queues}
        )
    return web.FileResponse(
        path,
        headers={
            hdrs.CONTENT_TYPE: WAV,
            hdrs.CONTENT_DISPOSITION: f'inline; filename="{call_id}.wav"',
        },
    )


def _from_the_start(request: web.Request) -> bool:
    try:
        start = request.http_range.start
    except ValueError:  # a malformed Range: FileResponse answers 416, nothing is played
        return False
    return start is None or start == 0


__all__ = ["list_calls", "play_recording", "recordings_dir"]
