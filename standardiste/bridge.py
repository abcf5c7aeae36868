"""The bridge process: AMI in, the live model in the middle, Redis mirror and SQL history out.

This is the composition root of the ``standardiste bridge`` process: it builds every object by
hand and owns every long-lived task.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
import zoneinfo
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
import structlog

from acd.model import ContactCenter, Outcome
from ami_bridge.commands import AmiCommands
from ami_bridge.connection import AmiConnection
from ami_bridge.errors import AmiError
from ami_bridge.translate import EVENT_CLASSES, BadMessage, snapshot, translate
from ami_bridge.wire import AmiMessage
from standardiste.agent_state import AgentStateService
from standardiste.config import Settings
from standardiste.errors import PbxUnavailable
from standardiste.history.recovery import member_names, recover_queue_log
from standardiste.history.sink import HistorySink
from standardiste.mirror import MirrorWriter
from standardiste.redis_keys import RedisKeys

log = structlog.get_logger(__name__)

# Events that arrive while a resync is in flight wait here, then apply on top of the snapshot.
RESYNC_BUFFER_MAX = 50000


def local_day(tz: str) -> Callable[[float], str]:
    zone = zoneinfo.ZoneInfo(tz)

    def day_of(at: float) -> str:
        return dt.datetime.fromtimestamp(at, zone).date().isoformat()

    return day_of


class Bridge:
    """Keeps the model in step with Asterisk and pushes every change out."""

    def __init__(
        self,
        settings: Settings,
        *,
        redis_client: aioredis.Redis,
        history: HistorySink,
    ) -> None:
        self.settings = settings
        self.model = ContactCenter(day_of=local_day(settings.timezone))
        self.keys = RedisKeys(settings.redis.prefix)
        self.redis = redis_client
        self.mirror = MirrorWriter(
            redis_client, self.keys, self.model.state, stream_maxlen=settings.redis.stream_maxlen
        )
        self.history = history
        ami = settings.ami
        self.ami = AmiConnection(
            ami.host,
            ami.port,
            ami.username,
            ami.secret,
            events=EVENT_CLASSES,
            on_message=self._on_message,
            on_connected=self._on_connected,
            on_overflow=self.request_resync,
            ping_interval=ami.ping_interval,
            ping_timeout=ami.ping_timeout,
            backoff_min=ami.backoff_min,
            backoff_max=ami.backoff_max,
            event_queue_size=ami.event_queue_size,
        )
        self.agents = AgentStateService(
            self.model, AmiCommands(self.ami), self.wait_for, queues=self._known_queues
        )
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._resyncing = False
        self._resync_wanted = asyncio.Event()
        self._buffer: list[AmiMessage] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.synced = asyncio.Event()
        self.bad_messages = 0
        self._resynced_session = -1
        self.resyncs = 0

    # -------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        await self.history.start()
        # Calls Asterisk logged while no bridge was watching reach the history before the
        # counters are seeded from it; then the file is followed (history/recovery.py).
        follow = await recover_queue_log(
            self.settings,
            self.history.store,
            synced=self.synced,
            member_names=lambda: member_names(
                (m.member_name, m.interface) for m in self.model.members.values()
            ),
            reseed=lambda: self._seed_counters(quiet=True),
        )
        await self._seed_counters()
        await self.mirror.start()
        self._tasks = [
            asyncio.create_task(self.ami.run(), name="ami"),
            asyncio.create_task(self._resync_loop(), name="resync"),
        ]
        if follow is not None:
            self._tasks.append(asyncio.create_task(follow(), name="queue-log"))

    async def aclose(self) -> None:
        await self.ami.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        with contextlib.suppress(asyncio.TimeoutError):
            await self.mirror.flushed(timeout=2.0)
        await self.mirror.aclose()
        await self.history.aclose()

    async def _seed_counters(self, *, quiet: bool = False) -> bool:
        """Today's counters from the history. ``quiet``: only if no record was on its way
        to the database during the read (else the read could miss a counted call)."""
        zone = zoneinfo.ZoneInfo(self.settings.timezone)
        now = dt.datetime.now(zone)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        submitted = self.history.submitted
        if quiet and self.history.buffered:
            return False
        try:
            counts = await self.history.store.today_counts(midnight)
        except Exception as exc:  # the database may be down: start anyway, counters from zero
            log.warning("bridge.seed_counters_failed", error=str(exc))
            return False
        if quiet and (self.history.buffered or self.history.submitted != submitted):
            return False
        today = now.date().isoformat()
        seeded = {n: (0, 0, 0) for n, q in self.model.queues.items() if q.today.day == today}
        seeded |= {q: (c.handled, c.abandoned, c.timed_out) for q, c in counts.items()}
        self._publish(self.model.seed_counters(today, seeded))
        return True

    # -------------------------------------------------------------- AMI side
    async def _on_connected(self) -> None:
        await self.resync()

    def request_resync(self) -> None:
        """Schedule a full resync (an overflow, FullyBooted after a restart)."""
        self._resync_wanted.set()

    async def _resync_loop(self) -> None:
        while True:
            await self._resync_wanted.wait()
            self._resync_wanted.clear()
            try:
                await self.resync()
            except AmiError as exc:
                log.warning("bridge.resync_failed", error=str(exc))

    async def resync(self) -> None:
        """Replace the model with what Asterisk reports now, atomically for readers."""
        self._resyncing = True
        session = self.ami.sessions
        try:
            status = await self.ami.send("QueueStatus", {})
            channels = await self.ami.send("CoreShowChannels", {})
            devices = await self.ami.send("DeviceStateList", {})
            snap = snapshot(status.events, channels.events, time.time(), devices.events)
            outcome = self.model.replace(snap)
            buffered, self._buffer = self._buffer, []
            for msg in buffered:
                outcome.extend(self._apply(msg))
            self._publish(outcome)
            self.resyncs += 1
            self._resynced_session = session
            log.info(
                "bridge.resynced",
                queues=len(snap.queues),
                members=len(snap.members),
                callers=len(snap.callers),
                channels=len(snap.channels),
                devices=len(snap.devices),
                replayed=len(buffered),
            )
        finally:
            self._resyncing = False
            # Events buffered after a failed resync are stale: the next resync covers them.
            self._buffer.clear()
        self.synced.set()
        self._notify()

    def _on_message(self, msg: AmiMessage) -> None:
        # Asterisk greets every new session with FullyBooted: that session's on_connected
        # resync covers it. Only a FullyBooted on a session already resynced asks for more.
        if msg.event == "FullyBooted" and self._resynced_session == self.ami.sessions:
            self.request_resync()
            return
        if self._resyncing:
            if len(self._buffer) < RESYNC_BUFFER_MAX:
                self._buffer.append(msg)
            else:
                self.request_resync()
            return
        self._publish(self._apply(msg))
        self._notify()

    def _apply(self, msg: AmiMessage) -> Outcome:
        try:
            event = translate(msg, time.time())
        except BadMessage as exc:
            self.bad_messages += 1
            log.warning("ami.bad_message", error=str(exc), ami_event=msg.event)
            return Outcome()
        if event is None:
            return Outcome()
        return self.model.apply(event)

    def _publish(self, outcome: Outcome) -> None:
        self.mirror.submit(outcome.changes)
        if outcome.records:
            self.history.submit(outcome.records)

    def _notify(self) -> None:
        """Wake the use cases waiting for the events that confirm their action."""
        if not self._waiters:
            return
        waiting = []
        for predicate, future in self._waiters:
            if future.done():
                continue
            if predicate():
                future.set_result(None)
            else:
                waiting.append((predicate, future))
        self._waiters = waiting

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds on the model; False after ``timeout`` seconds."""
        if predicate():
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False

    def _known_queues(self) -> list[str]:
        if not self.synced.is_set():
            raise PbxUnavailable("the bridge has not synchronised with Asterisk yet")
        return list(self.model.queues)

    async def wait_synced(self, timeout: float = 15.0) -> None:
        """Wait for the first full resync (the model reflects Asterisk from then on)."""
        try:
            await asyncio.wait_for(self.synced.wait(), timeout)
        except TimeoutError:
            raise PbxUnavailable(
                f"no resync with Asterisk at {self.settings.ami.host}:{self.settings.ami.port} "
                f"within {timeout:.0f}s"
            ) from None

    # -------------------------------------------------------------- figures
    def figures(self) -> dict[str, Any]:
        return {
            "ami_connected": self.ami.connected,
            "event_queue_depth": self.ami.event_queue_depth,
            "event_queue_high_water": self.ami.event_queue_high_water,
            "events_dropped": self.ami.events_dropped,
            "bad_messages": self.bad_messages,
            "resyncs": self.resyncs,
            "mirror_healthy": self.mirror.healthy,
            "mirror_pending": self.mirror.pending,
            "history_healthy": self.history.healthy,
            "history_buffered": self.history.buffered,
        }
