"""Resync, with one owner: replace the model with what Asterisk reports now.

Asked for after every AMI (re)connect (awaited by the session's ``on_connected``), every
``FullyBooted`` on a session already resynced, and every overflow of the event queue or of
the pump's resync buffer. One lock: two resyncs never run at once. Requests that come while
one runs are coalesced into a single next one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

import structlog

from standardiste.ami_bridge.commands import AmiCommands
from standardiste.ami_bridge.errors import AmiError
from standardiste.ami_bridge.translate import snapshot
from standardiste.ami_bridge.wire import AmiMessage
from standardiste.bridge import Bridge

log = structlog.get_logger(__name__)


class _Response(Protocol):
    @property
    def events(self) -> list[AmiMessage]: ...


class Resyncer:
    def __init__(
        self,
        bridge: Bridge,
        ami: AmiCommands,
        *,
        session: Callable[[], int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bridge = bridge
        self._ami = ami
        self._session = session
        self._clock = clock
        self._lock = asyncio.Lock()
        self._wanted = asyncio.Event()
        self._resynced_session = -1
        self.resyncs = 0
        self.failures = 0

    def request(self) -> None:
        """Ask for a resync soon (an overflow, FullyBooted after a restart)."""
        self._wanted.set()

    async def on_connected(self) -> None:
        """A new AMI session: resync now (the session's hook awaits it)."""
        await self.resync()

    def on_message(self, msg: AmiMessage) -> None:
        """The AMI session's messages, in order: a FullyBooted on a session already resynced
        means Asterisk restarted under us (its own session greets us with one: that one is
        covered by ``on_connected``). Everything goes on to the pump."""
        if msg.event == "FullyBooted" and self._resynced_session == self._session():
            self.request()
            return
        self._bridge.on_message(msg)

    async def run(self) -> None:
        """Serve requests until cancelled (a supervised task)."""
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                await self.resync()
            except AmiError as exc:
                log.warning("bridge.resync_failed", error=str(exc))

    async def resync(self) -> None:
        async with self._lock:
            self._wanted.clear()  # this one covers every request made so far
            session = self._session()
            self._bridge.begin_resync()
            try:
                status, channels, devices = await self._ami.snapshot_lists()
            except BaseException:
                self.failures += 1
                self._bridge.abort_resync()
                raise
            snap = snapshot(status, channels, self._clock(), devices)
            replayed = self._bridge.finish_resync(snap)
            self.resyncs += 1
            self._resynced_session = session
            log.info(
                "bridge.resynced",
                queues=len(snap.queues),
                members=len(snap.members),
                callers=len(snap.callers),
                channels=len(snap.channels),
                devices=len(snap.devices),
                replayed=replayed,
            )
