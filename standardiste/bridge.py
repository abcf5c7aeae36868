"""The event pump: AMI messages in, the live model in the middle, mirror and history out.

Each message is translated into a typed event, attributed by the command journal (who asked
for a member change through us), applied to the pure model, and what changed goes to the
Redis mirror and the SQL history. While a resync is in flight (``standardiste.resync``),
messages wait in a bounded buffer and are applied on top of the new snapshot.

The pump builds nothing and owns no task: the composition root
(``standardiste.composition``) wires it to the AMI session and supervises the tasks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

import structlog

from standardiste.acd.events import Event, Snapshot
from standardiste.acd.model import ContactCenter, Outcome
from standardiste.acd.records import Record
from standardiste.acd.state import Change, Reset
from standardiste.ami_bridge.translate import BadMessage, translate
from standardiste.ami_bridge.wire import AmiMessage
from standardiste.journal import CommandJournal

log = structlog.get_logger(__name__)

# Events that arrive while a resync is in flight wait here, then apply on top of the snapshot.
RESYNC_BUFFER_MAX = 50000
# Upper bounds (seconds) of the event lag histogram: Asterisk's timestamp to the model.
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class LagHistogram:
    """How long events took from Asterisk's clock to our model (a Prometheus histogram)."""

    def __init__(self) -> None:
        self.counts = [0] * (len(LAG_BUCKETS) + 1)
        self.total = 0.0
        self.last = 0.0

    def observe(self, lag: float) -> None:
        lag = max(0.0, lag)
        self.last = lag
        self.total += lag
        for i, bound in enumerate(LAG_BUCKETS):
            if lag <= bound:
                self.counts[i] += 1
                return
        self.counts[-1] += 1

    def figures(self) -> dict[str, object]:
        return {"buckets": list(LAG_BUCKETS), "counts": list(self.counts), "sum": self.total}


class ChangeSink(Protocol):
    def submit(self, changes: list[Change | Reset]) -> None: ...


class RecordSink(Protocol):
    def submit(self, records: list[Record]) -> None: ...


class Bridge:
    """Keeps the model in step with Asterisk's events and pushes every change out."""

    def __init__(
        self,
        model: ContactCenter,
        *,
        mirror: ChangeSink,
        history: RecordSink,
        journal: CommandJournal,
        on_overflow: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.model = model
        self.journal = journal
        self._mirror = mirror
        self._history = history
        self._on_overflow = on_overflow
        self._clock = clock
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._listeners: list[Callable[[Event], None]] = []
        self._buffering = False
        self._buffer: list[AmiMessage] = []
        self.synced = asyncio.Event()
        self.bad_messages = 0
        self.events_applied = 0
        self.lag = LagHistogram()

    # -------------------------------------------------------------- events
    def on_message(self, msg: AmiMessage) -> None:
        """One AMI event (the AMI session's dispatcher calls this, in order)."""
        if self._buffering:
            if len(self._buffer) < RESYNC_BUFFER_MAX:
                self._buffer.append(msg)
            else:
                self._on_overflow()
            return
        self.publish(self._apply(msg))
        self._notify()

    def _apply(self, msg: AmiMessage) -> Outcome:
        now = self._clock()
        try:
            event = translate(msg, now)
        except BadMessage as exc:
            self.bad_messages += 1
            log.warning("ami.bad_message", error=str(exc), ami_event=msg.event)
            return Outcome()
        if event is None:
            return Outcome()
        self.events_applied += 1
        at = getattr(event, "at", None)
        if at is not None and at != now:  # the event carried Asterisk's own Timestamp
            self.lag.observe(now - at)
        event = self.journal.attribute(event)
        outcome = self.model.apply(event)
        for listener in self._listeners:
            listener(event)
        return outcome

    def listen(self, listener: Callable[[Event], None]) -> None:
        """``listener(event)`` after the model applied each AMI event (the dialer follows its
        attempts so); it must not block."""
        self._listeners.append(listener)

    def apply_local(self, event: Event) -> None:
        """An event from inside this process, not from AMI (the dialer's OutboundChanged)."""
        self.publish(self.model.apply(event))
        self._notify()

    def publish(self, outcome: Outcome) -> None:
        if outcome.changes:
            self._mirror.submit(outcome.changes)
        if outcome.records:
            self._history.submit(outcome.records)

    # -------------------------------------------------------------- resync
    def begin_resync(self) -> None:
        """From now on, events wait until :meth:`finish_resync` or :meth:`abort_resync`."""
        self._buffering = True
        self._buffer = []

    def finish_resync(self, snap: Snapshot) -> int:
        """Replace the model with ``snap``, apply the events buffered meanwhile, publish.

        Returns how many buffered events were replayed."""
        outcome = self.model.replace(snap)
        buffered, self._buffer = self._buffer, []
        for msg in buffered:
            outcome.extend(self._apply(msg))
        self._buffering = False
        self.publish(outcome)
        self.synced.set()
        self._notify()
        return len(buffered)

    def abort_resync(self) -> None:
        """The resync failed: what was buffered is stale, the next resync covers it."""
        self._buffering = False
        self._buffer = []

    # -------------------------------------------------------------- waiting for the model
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
