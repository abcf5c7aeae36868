"""A fake Asterisk for the use-case tier: answers actions, feeds back recorded events.

Built from transcripts recorded from the real sandbox (``tests/transcripts``): the events
that followed the response to each action there are fed to the event pump here, in the same
order, as the AMI session's dispatcher would feed them after the response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from standardiste.ami_bridge.connection import AmiResponse
from standardiste.ami_bridge.errors import AmiActionError
from standardiste.ami_bridge.wire import AmiMessage, Framer

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "transcripts"


def transcript(name: str) -> list[AmiMessage]:
    return list(Framer().feed((TRANSCRIPTS / f"{name}.ami").read_bytes()))


def events_after_responses(messages: list[AmiMessage]) -> dict[str, list[AmiMessage]]:
    """ActionID -> the unsolicited events that came after its response (until the next)."""
    out: dict[str, list[AmiMessage]] = {}
    current: str | None = None
    for msg in messages:
        if msg.get("Response"):
            current = msg.get("ActionID", "")
            out[current] = []
        elif current is not None and msg.get("Event") and not msg.get("ActionID"):
            out[current].append(msg)
    return out


def list_responses(messages: list[AmiMessage], prefix: str) -> dict[str, list[AmiMessage]]:
    """Action name -> the events of its list response (ActionID ``<prefix>-<Action>``)."""
    out: dict[str, list[AmiMessage]] = {}
    for msg in messages:
        action_id = msg.get("ActionID", "")
        if action_id.startswith(prefix + "-") and msg.get("Event"):
            out.setdefault(action_id[len(prefix) + 1 :], []).append(msg)
    return out


class FakePbx:
    """``send(name, headers)`` like ``AmiConnection.send``; records what it was sent."""

    def __init__(self, feed: Callable[[AmiMessage], None]) -> None:
        self._feed = feed
        pause = events_after_responses(transcript("pause"))
        # pause.ami: pause-2 QueueAdd, pause-3 QueuePause on, pause-4 off, pause-5 QueueRemove
        self.scripts: dict[tuple[str, str], list[AmiMessage]] = {
            ("QueueAdd", ""): pause["pause-2"],
            ("QueuePause", "true"): pause["pause-3"],
            ("QueuePause", "false"): pause["pause-4"],
            ("QueueRemove", ""): pause["pause-5"],
        }
        self.lists = list_responses(transcript("resync"), "resync")
        self.sent: list[tuple[str, dict[str, str]]] = []
        self.refuse: dict[str, str] = {}  # action -> Asterisk's message
        self.silent = False  # accept actions but send no confirming events
        self.list_delay = 0.0
        self.concurrent_lists = 0
        self.max_concurrent_lists = 0
        self.during_list: list[AmiMessage] = []  # events that arrive while a list is answered

    async def send(self, name: str, headers: Mapping[str, str] = {}, **_: Any) -> AmiResponse:
        self.sent.append((name, dict(headers)))
        if name in self.refuse:
            raise AmiActionError(
                name, AmiMessage({"Response": "Error", "Message": self.refuse[name]})
            )
        if name in self.lists or name in ("QueueStatus", "CoreShowChannels", "DeviceStateList"):
            self.concurrent_lists += 1
            self.max_concurrent_lists = max(self.max_concurrent_lists, self.concurrent_lists)
            try:
                for msg in self.during_list:
                    self._feed(msg)
                self.during_list = []
                await asyncio.sleep(self.list_delay)
            finally:
                self.concurrent_lists -= 1
            return AmiResponse(AmiMessage({"Response": "Success"}), list(self.lists.get(name, [])))
        script = self.scripts.get((name, headers.get("Paused", "") if name == "QueuePause" else ""))
        if script is not None and not self.silent:
            loop = asyncio.get_running_loop()
            for msg in script:
                loop.call_soon(self._feed, _retarget(msg, headers))
        return AmiResponse(AmiMessage({"Response": "Success"}))


def _retarget(msg: AmiMessage, headers: Mapping[str, str]) -> AmiMessage:
    """The recorded event, about the queue and interface the action named."""
    pairs = []
    for key, value in msg.headers():
        if key in ("Queue", "Interface", "StateInterface") and key in headers:
            value = headers[key]
        elif key == "StateInterface" and "Interface" in headers:
            value = headers["Interface"]
        elif key == "PausedReason" and "Reason" in headers:
            value = headers["Reason"]
        pairs.append((key, value))
    return AmiMessage(pairs)
