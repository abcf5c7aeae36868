"""The bodies of the supervisors' call control API (listen / whisper / barge, waiting
callers taken or transferred): :mod:`web.call_api`, registered in :mod:`web.routes`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from standardiste.web.schemas import Input, Model

SpyModeName = Literal["listen", "whisper", "barge"]
_Device = Annotated[str, StringConstraints(min_length=1, max_length=80)]
_CallId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}\.[0-9]{1,10}$")]


class SpyStart(Input):
    mode: SpyModeName = Field(
        description="listen: nobody hears you; whisper: only the agent hears you; barge: "
        "both hear you. Switch later from here or from your phone's keypad (4, 5, 6)."
    )
    device: _Device | None = Field(
        default=None, description="your device that rings (required when you have several)"
    )
    call: _CallId | None = Field(
        default=None,
        description="the agent's call to join: its id (the caller's for a queue call); "
        "default: the agent's queue call, else their only call",
    )


class SpyStarted(Model):
    device: str = Field(description="your device: it rings now; answer it to join")
    agent: str = Field(description="the agent's device")
    target_channel: str = Field(description="the agent's exact channel ChanSpy attaches to")
    mode: SpyModeName
    queue: str = Field(description="the queue that allows it (empty: an admin, no queue)")


class SpyModeChange(Input):
    mode: SpyModeName


class SpyModeChanged(Model):
    session: str
    mode: SpyModeName


class SpyEnded(Model):
    session: str
    ended: bool


class TakeCaller(Input):
    device: _Device | None = Field(
        default=None,
        description="your device the caller is put through to (required when you have several)",
    )


class TransferCaller(Input):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="an agent: the caller rings their device"
    )
    device: _Device | None = Field(
        default=None, description="with username: which of the agent's devices"
    )
    extension: Annotated[str, StringConstraints(pattern=r"^[0-9]{2,20}$")] | None = Field(
        default=None,
        description="or an extension; it must exist in the Asterisk context standardiste-transfer",
    )


class CallerWithdrawn(Model):
    caller: str = Field(description="the caller's id")
    queue: str
    to: str = Field(description="the device or extension the caller was sent to")
