"""The bodies of the canned audio API (AG-3): the admins' messages (``/api/v1/admin/canned
-audio``) and the agents' playback (``/api/v1/canned-audio``): :mod:`web.canned_api`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from standardiste.web.schemas import Input, Model

_Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
_CallId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}\.[0-9]{1,10}$")]
MessageLanguage = Literal["en", "fr"]


class CannedAudioOut(Model):
    id: int
    name: str
    language: MessageLanguage
    seconds: float = Field(description="its length")
    created_at: str = Field(description="ISO 8601, UTC")
    updated_at: str = Field(description="ISO 8601, UTC")


class CannedAudios(Model):
    messages: list[CannedAudioOut]
    max_seconds: float = Field(description="the longest sound accepted")
    max_bytes: int = Field(description="the largest file accepted")


class CannedAudioUpload(Input):
    name: _Name = Field(description="what agents see in their list (unique)")
    language: MessageLanguage = "en"


class CannedAudioUpdate(Input):
    name: _Name | None = None
    language: MessageLanguage | None = None


class CannedMessage(Model):
    id: int
    name: str
    language: MessageLanguage
    seconds: float


class CannedMessages(Model):
    messages: list[CannedMessage]


class CannedPlay(Input):
    call: _CallId | None = Field(
        default=None,
        description="which of your calls (its id; the caller's for a queue call); default: "
        "your queue call, else your only call",
    )


class CannedPlaying(Model):
    session: str = Field(description="the playback's id: stop it with it")
    message: int
    name: str
    seconds: float
    target_channel: str = Field(description="your channel the message barges into")
    queue: str = Field(description="the queue of the call (empty: a non-queue call)")


class CannedStopped(Model):
    session: str
    ended: bool


class CannedLogEntryOut(Model):
    id: int
    at: str = Field(description="ISO 8601, UTC")
    session: str = Field(description="the playback's id (the playing channel's uniqueid)")
    event: Literal["start", "end"]
    message: int
    name: str = Field(description="the message's name when played (empty: unknown)")
    by: str = Field(description="who played it (empty: unknown)")
    agent: str = Field(description="into whose call: the agent's device")
    agent_name: str = Field(description="the agent's user, if a user has that device")
    queue: str
    stopped_by: str = Field(
        description="end: who stopped it (empty: the message or the call ended by itself)"
    )


class CannedLog(Model):
    entries: list[CannedLogEntryOut]
