"""The canned audio routes (AG-3), in the one registry (:mod:`web.routes`): the admins'
messages and the agents' playback."""

from __future__ import annotations

from standardiste.web import canned_api as api
from standardiste.web.admin_schemas import AuditQuery
from standardiste.web.canned_schemas import (
    CannedAudios,
    CannedAudioUpdate,
    CannedAudioUpload,
    CannedLog,
    CannedMessages,
    CannedPlay,
    CannedPlaying,
    CannedStopped,
)
from standardiste.web.endpoint import Reply, Route

A = "/api/v1/admin/canned-audio"
P = "/api/v1/canned-audio"
_BRIDGE = (
    "The bridge finds your own call in its live model and answers once Asterisk confirmed "
    "it: no call of yours, or the playback no longer there: 409 call_gone; "
    "a message already playing into that call: 409 conflict; Asterisk's refusal: 409 with "
    "its reason; no bridge: 503; no confirmation in time: 504."
)

CANNED_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        A,
        "admin_canned_audio",
        api.list_messages,
        "Canned audio messages (AG-3), with the upload limits",
        auth="session",
        permission="admin.summary",
        replies=(Reply(200, "the messages", CannedAudios),),
    ),
    Route(
        "POST",
        A,
        "admin_canned_audio_upload",
        api.upload,
        "Add a canned audio message: the sound file is the body",
        auth="csrf",
        permission="admin.settings.edit",
        description="The body is the file itself (WAV, FLAC, Ogg Vorbis, AIFF, AU...; at "
        "most 5 MB and 60 s), its name and language in the query. It is converted for "
        "Asterisk (8 kHz mono 16-bit WAV) and stored; the bridge writes it where Asterisk "
        "plays it from. A file sox cannot read, or too long: 400 naming the problem.",
        query=CannedAudioUpload,
        raw_body=("audio/*", "application/octet-stream"),
        replies=(Reply(201, "stored: the messages", CannedAudios),),
        errors=(409, 503),
    ),
    Route(
        "PATCH",
        f"{A}/{{message_id}}",
        "admin_canned_audio_update",
        api.update,
        "Rename a canned audio message or change its language",
        auth="csrf",
        permission="admin.settings.edit",
        body=CannedAudioUpdate,
        body_required=True,
        replies=(Reply(200, "the messages", CannedAudios),),
        errors=(404, 409),
    ),
    Route(
        "DELETE",
        f"{A}/{{message_id}}",
        "admin_canned_audio_delete",
        api.delete,
        "Delete a canned audio message (its file leaves Asterisk's sounds too)",
        auth="csrf",
        permission="admin.settings.edit",
        replies=(Reply(204, "deleted"),),
        errors=(404,),
    ),
    Route(
        "GET",
        f"{A}/{{message_id}}/audio",
        "admin_canned_audio_sound",
        api.audio,
        "The converted sound of a canned audio message, as Asterisk plays it",
        auth="session",
        permission="admin.summary",
        replies=(Reply(200, "8 kHz mono 16-bit WAV", media_type=api.WAV),),
        errors=(400, 404),
    ),
    Route(
        "GET",
        "/api/v1/admin/audit/canned",
        "admin_canned_log",
        api.played,
        "The canned audio messages played into calls: who, into whose call, start, end",
        auth="session",
        description="Newest first; each playback is a start and an end (who stopped it).",
        permission="admin.audit.view",
        query=AuditQuery,
        replies=(Reply(200, "entries", CannedLog),),
    ),
    Route(
        "GET",
        P,
        "canned_audio",
        api.messages_to_play,
        "The canned audio messages you may play into your calls (AG-3)",
        auth="session",
        permission="canned.play",
        replies=(Reply(200, "the messages", CannedMessages),),
    ),
    Route(
        "POST",
        f"{P}/{{message_id}}/play",
        "canned_audio_play",
        api.play,
        "Play a canned audio message into your own call: both parties hear it",
        auth="csrf",
        permission="canned.play",
        description="Your current call (or the one named): the message barges into both "
        "legs. It shows in the live state (entity canned) for you and the supervisors of "
        "the call's queue; its start and end are audited. " + _BRIDGE,
        body=CannedPlay,
        replies=(Reply(200, "playing", CannedPlaying),),
        errors=(400, 403, 404, 409, 503, 504),  # 404: no such message
    ),
    Route(
        "DELETE",
        f"{P}/playing/{{session}}",
        "canned_audio_stop",
        api.stop,
        "Stop a canned audio message playing into your call",
        auth="csrf",
        permission="canned.play",
        description="One you played, or one playing into your call (an admin: any). " + _BRIDGE,
        replies=(Reply(200, "stopped", CannedStopped),),
        errors=(400, 403, 409, 503, 504),
    ),
)

__all__ = ["CANNED_ROUTES"]
