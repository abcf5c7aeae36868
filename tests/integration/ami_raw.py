"""A tiny raw-asyncio AMI client for the integration tests and the transcript recorder.

Deliberately independent of the project's own AMI client (ami_bridge/): it checks Asterisk,
not our client. Keeps every byte received (``raw``) and every parsed message (``messages``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Self

Message = dict[str, str]

USERNAME = "standardiste"
SECRET = "standardiste-sandbox"  # the public sandbox secret of config/asterisk/manager.conf


class AMIError(RuntimeError):
    pass


class RawAMI:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.raw = bytearray()
        self.banner = ""
        self.messages: list[Message] = []
        self._cond = asyncio.Condition()
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    @classmethod
    async def connect(
        cls,
        host: str = "127.0.0.1",
        port: int = 5038,
        *,
        username: str = USERNAME,
        secret: str = SECRET,
        events: str = "on",
        timeout: float = 5.0,
        action_id: str | None = None,
    ) -> Self:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        self = cls(reader, writer)
        line = await asyncio.wait_for(reader.readline(), timeout)
        self.raw += line
        self.banner = line.decode(errors="replace").strip()
        self._task = asyncio.create_task(self._read_loop())
        resp = await self.action(
            "Login",
            timeout=timeout,
            ActionID=action_id,
            Username=username,
            Secret=secret,
            Events=events,
        )
        if resp.get("Response") != "Success":
            await self.close()
            raise AMIError(f"login refused: {resp}")
        return self

    async def _read_loop(self) -> None:
        current: Message = {}
        try:
            while True:
                line = await self._reader.readline()
                if not line:
                    break
                self.raw += line
                text = line.decode(errors="replace").rstrip("\r\n")
                if text == "":
                    if current:
                        async with self._cond:
                            self.messages.append(current)
                            self._cond.notify_all()
                        current = {}
                    continue
                key, sep, value = text.partition(":")
                if sep:
                    current.setdefault(key.strip(), value.strip())
        finally:
            self.closed.set()
            async with self._cond:
                self._cond.notify_all()

    def next_id(self) -> str:
        return f"t{next(self._ids)}"

    async def send(self, action: str, ActionID: str | None = None, **fields: str) -> str:
        action_id = ActionID or self.next_id()
        lines = [f"Action: {action}", f"ActionID: {action_id}"]
        lines += [f"{k}: {v}" for k, v in fields.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self._writer.drain()
        return action_id

    async def wait_for(
        self, pred: Callable[[Message], bool], timeout: float = 10.0, start: int = 0
    ) -> Message:
        """First message from index ``start`` on that satisfies ``pred``."""

        async def scan() -> Message:
            i = start
            async with self._cond:
                while True:
                    while i < len(self.messages):
                        if pred(self.messages[i]):
                            return self.messages[i]
                        i += 1
                    if self.closed.is_set():
                        raise AMIError("AMI connection closed")
                    await self._cond.wait()

        return await asyncio.wait_for(scan(), timeout)

    async def wait_event(
        self, name: str, timeout: float = 10.0, start: int = 0, **match: str
    ) -> Message:
        def pred(m: Message) -> bool:
            return m.get("Event") == name and all(m.get(k) == v for k, v in match.items())

        return await self.wait_for(pred, timeout, start)

    async def action(
        self, action: str, timeout: float = 10.0, ActionID: str | None = None, **fields: str
    ) -> Message:
        """Send an action and return its Response message."""
        start = len(self.messages)
        action_id = await self.send(action, ActionID=ActionID, **fields)
        return await self.wait_for(
            lambda m: "Response" in m and m.get("ActionID") == action_id, timeout, start
        )

    async def action_list(
        self, action: str, timeout: float = 10.0, ActionID: str | None = None, **fields: str
    ) -> list[Message]:
        """Send a list action; return the response and its events up to ``EventList: Complete``
        (or the lone response when it is not a list)."""
        start = len(self.messages)
        action_id = await self.send(action, ActionID=ActionID, **fields)
        resp = await self.wait_for(
            lambda m: "Response" in m and m.get("ActionID") == action_id, timeout, start
        )
        if resp.get("Response") != "Success" or resp.get("EventList") != "start":
            # QueueStatus/QueueSummary/CoreShowChannels/DeviceStateList all start a list.
            return [resp]
        await self.wait_for(
            lambda m: m.get("ActionID") == action_id and m.get("EventList") == "Complete",
            timeout,
            start,
        )
        return [m for m in self.messages[start:] if m.get("ActionID") == action_id]

    async def close(self) -> None:
        if not self._writer.is_closing():
            try:
                await self.send("Logoff")
            except (ConnectionError, RuntimeError):
                pass
            self._writer.close()
        try:
            await self._writer.wait_closed()
        except ConnectionError:
            pass
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
