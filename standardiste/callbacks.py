"""Callbacks that keep the caller's place (BY-1), in the bridge: offer, request, placement,
and the restart-safe reconciliation.

The dialplan (``config/asterisk/standardiste-extensions.conf``) asks through two FastAGI
scripts (``standardiste.agi_scripts.callback``):

- ``offer(queue)``: at join, whether the expected wait (``acd.callbacks.expected_wait``:
  the caller's position, the agents taking calls, the queue's recent talk + wrap-up time)
  reaches the queue's threshold;
- ``request(...)``: the caller pressed the key. Their number (the caller ID) must read as a
  valid E.164 number and be on no do-not-call list; the request is stored (with its dial
  audit), then its placeholder originated at the caller's position (``place``).

``reconcile()`` runs after every resync and every few seconds: each open request must have
its placeholder (a channel ``cb-<id>`` or ``cbh-<id>`` in the model) or be given one again,
in request order, at its original position, unless its time ran out (then it expires); a
placeholder waiting for a request that is not (or no longer) waiting is hung up. A
request whose agent had answered (``connecting``/``calling``) is never placed again (that
could call the customer twice): if its channels are gone and the outcome never arrived, it
is settled as ``failed`` with detail ``outcome_unknown``, which a late fact replaces.
Asterisk itself refuses a second placeholder while one lives (the uniqueids are the
request's), so a placement raced by a restart cannot double.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError

from standardiste.acd import events as ev
from standardiste.acd.callbacks import (
    DEFAULT_HANDLE_TIME,
    HOLD_PREFIX,
    PLACEHOLDER_PREFIX,
    expected_wait,
    placeholder_uniqueid,
    should_offer,
)
from standardiste.acd.model import ContactCenter
from standardiste.acd.names import display_name, is_queue
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.ami_bridge.errors import AmiError
from standardiste.callback_store import CallbackRequest, CallbackStore, seconds_left, utc
from standardiste.dialer.contacts import InvalidNumber, dial_digits, normalise_number
from standardiste.errors import InvalidInput, PbxUnavailable
from standardiste.pbx.definitions import QueueDef

log = structlog.get_logger(__name__)

# How long a placement may take to show in the model before it is tried again (s).
PLACEMENT_GRACE = 10.0
# How far back the queue's talk times are averaged for the expected wait (s).
HANDLE_WINDOW = 3600.0


class Refused(InvalidInput):
    """The callback was not taken; ``reason`` is a stable code (the audit's)."""

    def __init__(self, message: str, reason: str = "refused") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Offer:
    offered: bool
    expected_wait: float  # s (inf: no agent)
    position: int
    agents: int
    handle_time: float


@dataclass(slots=True)
class ReconcileReport:
    adopted: int = 0
    placed: int = 0
    expired: int = 0
    settled: int = 0
    orphans: int = 0  # placeholders hung up: their request was not waiting

    def __bool__(self) -> bool:
        return bool(self.placed or self.expired or self.settled or self.orphans)


QueueLookup = Callable[[str], Awaitable[QueueDef | None]]


class CallbackService:
    def __init__(
        self,
        store: CallbackStore,
        ami: AmiCommands,
        model: ContactCenter,
        queue_def: QueueLookup,
        *,
        default_region: str,
        synced: Callable[[], bool],
        apply: Callable[[ev.Event], None],
        wait_for: Callable[[Callable[[], bool], float], Awaitable[bool]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._ami = ami
        self._model = model
        self._queue_def = queue_def
        self._region = default_region
        self._synced = synced
        self._apply = apply
        self._wait_for = wait_for
        self._clock = clock
        self._lock = asyncio.Lock()  # one reconciliation, one placement at a time
        self._placed_at: dict[str, float] = {}
        self.requests = 0
        self.refusals = 0
        self.placements = 0

    @property
    def store(self) -> CallbackStore:
        return self._store

    # ------------------------------------------------------------------ offer
    async def offer(self, queue: str, caller_number: str | None = None) -> Offer:
        """Whether a caller joining ``queue`` now is offered a callback. With their
        ``caller_number``: not when it could not be called back (unreadable, or on the
        do-not-call list): they would press the key for nothing."""
        definition = await self._enabled(queue)
        if caller_number is not None:
            await self._callable(caller_number)
        position = 1 + sum(1 for c in self._model.callers.values() if c.queue == queue)
        now = self._clock()
        agents = sum(
            1
            for m in self._model.members.values()
            if m.queue == queue and not m.paused and m.status not in (4, 5)
        )
        talk = await self._store.handle_time(queue, utc(now - HANDLE_WINDOW))
        handle = (DEFAULT_HANDLE_TIME if talk is None else talk) + self._model.wrapup.get(
            queue, 0.0
        )
        wait = expected_wait(position, agents, handle)
        return Offer(
            should_offer(wait, definition.callback_threshold), wait, position, agents, handle
        )

    async def _enabled(self, queue: str) -> QueueDef:
        if not is_queue(queue):
            raise Refused(f"queue {queue[:40]!r} is not a queue name", "unknown_queue")
        definition = await self._queue_def(queue)
        if definition is None or not definition.callback:
            raise Refused(f"queue {queue}: callbacks are not enabled", "callbacks_off")
        return definition

    async def _callable(self, caller_number: str) -> str:
        """The caller's number as E.164, if it may be called back."""
        try:
            number = normalise_number(caller_number, self._region)
        except InvalidNumber as exc:
            raise Refused(str(exc), "invalid_number") from None
        if await self._store.is_dnc(number):
            raise Refused("the caller's number is on the do-not-call list", "dnc")
        return number

    # ------------------------------------------------------------------ request
    async def request(
        self, *, queue: str, uniqueid: str, caller_number: str, caller_name: str, position: int
    ) -> CallbackRequest:
        """A waiting caller of ``queue`` pressed the key at ``position``: store the request
        and place its placeholder. Raises :class:`Refused` (audited) when it cannot be
        taken: the caller then goes back in line."""
        try:
            return await self._request(queue, uniqueid, caller_number, caller_name, position)
        except Refused as exc:
            self.refusals += 1
            await self._store.log(
                "callback_refused", exc.reason, queue=queue[:40], uniqueid=uniqueid[:40]
            )
            raise

    async def _request(
        self, queue: str, uniqueid: str, caller_number: str, caller_name: str, position: int
    ) -> CallbackRequest:
        if not self._synced():
            raise Refused("the bridge is not in step with Asterisk", "pbx_unavailable")
        definition = await self._enabled(queue)
        if not 1 <= position <= 99999:
            raise Refused(f"position {position} out of range", "bad_position")
        number = await self._callable(caller_number)
        now = self._clock()
        channel = self._model.channels.get(uniqueid)
        request = CallbackRequest(
            id=uuid.uuid4().hex,
            queue=queue,
            number=number,
            caller_name=display_name(caller_name),
            original_uniqueid=uniqueid,
            joined_at=utc(channel.created_at if channel else now),
            requested_at=utc(now),
            position=position,
            expires_at=utc(now) + timedelta(seconds=definition.callback_expiry),
            status="waiting",
        )
        # Under the reconciliation's lock: a pass in between would see the new row without
        # a placeholder and place it too (Asterisk would refuse the second one, but no
        # second Originate should be sent).
        async with self._lock:
            stored, created = await self._store.create(request)
            self.requests += created
            if created or not self._alive(stored.id):
                await self.place(stored)
        return stored

    # ------------------------------------------------------------------ placement
    def _alive(self, request_id: str) -> bool:
        channels = self._model.channels
        return (
            PLACEHOLDER_PREFIX + request_id in channels
            or HOLD_PREFIX + request_id in channels
            or placeholder_uniqueid(request_id) in self._model.callers
        )

    async def place(self, request: CallbackRequest) -> None:
        """Originate ``request``'s placeholder at its position, for the time it has left."""
        left = math.ceil(seconds_left(request, self._clock()))
        if left < 1:
            raise Refused(f"callback {request.id} has expired", "expired")
        try:
            await self._ami.place_callback(
                request.id,
                request.queue,
                dial_digits(request.number),
                position=request.position,
                timeout_s=left,
            )
        except AmiError as exc:
            raise PbxUnavailable(f"the callback could not be placed: {exc}") from exc
        self._placed_at[request.id] = self._clock()
        self.placements += 1
        log.info(
            "callback.placed", request=request.id, queue=request.queue,
            position=request.position, expires_in=left,
        )  # fmt: skip

    # ------------------------------------------------------------------ reconcile
    async def reconcile(self) -> ReconcileReport:
        """Every open request has its placeholder, or is placed again, or is settled."""
        report = ReconcileReport()
        if not self._synced():
            return report
        async with self._lock:
            requests = await self._store.open_requests()
            for request in requests:
                await self._reconcile_one(request, report)
            await self._end_orphans({r.id for r in requests if r.status == "waiting"}, report)
        if report:
            log.info(
                "callback.reconciled", placed=report.placed, expired=report.expired,
                settled=report.settled, adopted=report.adopted, orphans=report.orphans,
            )  # fmt: skip
        return report

    async def _reconcile_one(self, request: CallbackRequest, report: ReconcileReport) -> None:
        now = self._clock()
        if self._alive(request.id):
            self._placed_at.pop(request.id, None)
            report.adopted += 1
            return
        if now - self._placed_at.get(request.id, -math.inf) < PLACEMENT_GRACE:
            return  # originated a moment ago: not in the model yet
        if request.status != "waiting":
            # An agent had answered and the channels are gone, the outcome unseen: never
            # dial again; a fact reported later (history) replaces this guess.
            if await self._store.settle(request, "failed", "ended_unseen", utc(now), guess=True):
                report.settled += 1
            return
        if seconds_left(request, now) < 1:
            if await self._store.settle(request, "expired", "no_placeholder", utc(now)):
                report.expired += 1
                self._apply(ev.CallbackStep(request.queue, request.id, "left", "TIMEOUT", now))
                await self._queue_log(request, f"CALLBACK_EXPIRED|{request.id}")
            return
        await self._store.log(
            "callback_placed_again", "no_placeholder", request.id, queue=request.queue,
            position=request.position,
        )  # fmt: skip
        try:
            await self.place(request)
        except (PbxUnavailable, Refused) as exc:
            log.warning("callback.not_placed", request=request.id, error=str(exc))
            return
        report.placed += 1
        # In request order: the next one is placed once this one is in line.
        await self._wait_for(lambda: self._alive(request.id), 5.0)

    async def _end_orphans(self, waiting: set[str], report: ReconcileReport) -> None:
        """A placeholder waiting in a queue for a request that is not waiting (settled
        meanwhile, or unknown here) would ring an agent for nothing: hang it up. Calls in
        progress are never touched."""
        for caller in list(self._model.callers.values()):
            if not caller.callback or caller.callback in waiting:
                continue
            known = await self._store.get(caller.callback)
            if known is not None and known.status == "waiting":
                continue  # requested since the list was read
            try:
                await self._ami.hangup(caller.channel)
            except (AmiError, ValueError) as exc:
                log.warning("callback.orphan_not_ended", channel=caller.channel, error=str(exc))
                continue
            report.orphans += 1
            await self._store.log(
                "callback_orphan_ended", known.status if known else "unknown_request",
                caller.callback if known else None, queue=caller.queue, channel=caller.channel,
            )  # fmt: skip

    async def _queue_log(self, request: CallbackRequest, message: str) -> None:
        try:
            await self._ami.queue_log(
                request.queue, placeholder_uniqueid(request.id), "INFO", message
            )
        except AmiError as exc:
            log.warning("callback.queue_log_failed", request=request.id, error=str(exc))

    async def run(self, *, interval: float = 2.0) -> None:
        """Reconcile every ``interval`` seconds: after a resync (start-up, Asterisk restart,
        reconnection) the model no longer holds the placeholders that died."""
        while True:
            try:
                await self.reconcile()
            except (AmiError, PbxUnavailable, SQLAlchemyError, OSError) as exc:
                log.warning("callback.reconcile_failed", error=str(exc))
            await asyncio.sleep(interval)


__all__ = ["CallbackService", "Offer", "ReconcileReport", "Refused"]
