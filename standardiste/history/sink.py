"""Where the bridge hands history records: write-through to SQL, spill to disk on outage.

Why this shape: a contact center must keep answering calls when its reporting database is
down, and must not lose the history of those calls either. The bridge calls
:meth:`HistorySink.submit` from its event handling, so ``submit`` is a plain, synchronous
call that only queues the records in memory and wakes the sink's background task; it never
waits on the database or the disk and never raises because of them. The task then:

* normally writes the queued records straight through to the database, coalescing what
  queued up meanwhile into one transaction;
* if the database is unreachable (or a write takes longer than ``write_timeout``), appends
  them to the :class:`DiskBuffer` (fsynced) and from then on sends every new record to the
  disk too, *behind* what is already there, so the database sees records in submission
  order;
* drains the buffer oldest-first in batches, retrying with exponential backoff while the
  database stays down; while it backs off it still moves new records from memory to disk
  as they arrive, so they spend as little time as possible only in memory.

Records live only in memory between ``submit`` and the next step of the task (normally
milliseconds); :meth:`HistorySink.aclose` puts whatever is still in memory on disk. When a
record cannot be kept at all (full disk buffer, failing disk, sink closed, memory bound
reached) it is logged in full at error level, so it can be recovered from the logs.

A batch the database *rejects* (constraint or data error: the data's fault, not the
server's) would block the buffer forever; the drainer instead retries such a batch one
record at a time and drops only the records that are refused on their own, each logged in
full. Anything else is treated as "database unavailable" and retried: wrongly retrying
costs time, wrongly dropping would cost history.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from types import TracebackType
from typing import Self

import structlog
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from standardiste.acd.records import Record
from standardiste.history.buffer import BufferFull, DiskBuffer
from standardiste.history.writer import HistoryStore

log = structlog.get_logger(__name__)

# SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the
# server is up and refuses these values. asyncpg errors reach SQLAlchemy as a generic
# DBAPIError, so the class is read from the driver's sqlstate too.
_REJECTED_SQLSTATE_CLASSES = ("22", "23")


def _is_rejection(exc: BaseException) -> bool:
    """True if the database refused the data itself, rather than being unreachable."""
    if isinstance(exc, IntegrityError | DataError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return False
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(sqlstate, str) and sqlstate[:2] in _REJECTED_SQLSTATE_CLASSES
    # A record the writer cannot even turn into SQL parameters.
    return isinstance(exc, TypeError | ValueError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


class HistorySink:
    """Accepts history records from the bridge and gets them into SQL, come what may.

    Owns ``buffer`` (closed by :meth:`aclose`); ``store`` stays the caller's.
    """

    def __init__(
        self,
        store: HistoryStore,
        buffer: DiskBuffer,
        *,
        batch_size: int = 500,
        write_timeout: float = 5.0,
        retry_initial: float = 0.5,
        retry_max: float = 30.0,
        close_timeout: float = 2.0,
        max_pending: int = 100_000,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self._store = store
        self._buffer = buffer
        self._batch_size = batch_size
        self._write_timeout = write_timeout
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._close_timeout = close_timeout
        self._max_pending = max_pending
        self._pending: deque[tuple[Record, ...]] = deque()  # submitted, only in memory
        self._pending_count = 0
        self._submitted = 0  # records accepted by submit() since start
        self._inflight: tuple[Record, ...] = ()  # taken from _pending, not yet safe
        self._healthy = True
        self._closed = False
        self._wake = asyncio.Event()  # set by submit(): there is something to do
        self._idle = asyncio.Event()  # set while nothing waits, in memory or on disk
        self._changed = asyncio.Event()  # pulsed on idle / unhealthy, for aclose()
        if len(buffer) == 0:
            self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._disk_job: asyncio.Task[None] | None = None

    @property
    def store(self) -> HistoryStore:
        """The store written to (the bridge also reads start-up figures from it)."""
        return self._store

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the background writer; it first replays records left by a previous run."""
        if self._task is not None or self._closed:
            raise RuntimeError("history sink already started or closed")
        self._task = asyncio.create_task(self._run(), name="history-sink")
        self._wake.set()

    async def aclose(self) -> None:
        """Stop the writer; whatever is not in the database yet stays on disk.

        If the database is healthy, records still in memory get up to ``close_timeout``
        seconds to reach it first. Then the task is cancelled and awaited, leftovers are
        appended to the disk buffer (replayed at the next start) and the buffer is closed.
        """
        if self._closed:
            return
        task, self._task = self._task, None
        if task is not None:
            await self._grace_period()
        self._closed = True
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # we are being cancelled ourselves: do not swallow it
        if self._disk_job is not None:
            await self._disk_job  # an append the cancellation interrupted: let it finish
        # Whatever the cancelled step was still holding, plus what is queued in memory.
        leftovers = [r for batch in (self._inflight, *self._pending) for r in batch]
        self._inflight, self._pending_count = (), 0
        self._pending.clear()
        if leftovers:
            log.info("history sink closing; records kept on disk", records=len(leftovers))
            await self._append_now(tuple(leftovers))
        self._buffer.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- readiness ------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """True unless the last attempt to reach the database failed."""
        return self._healthy

    @property
    def buffered(self) -> int:
        """Records submitted but not yet in the database (on disk or in memory)."""
        return len(self._buffer) + self._pending_count + len(self._inflight)

    @property
    def submitted(self) -> int:
        """Records accepted by :meth:`submit` so far: with :attr:`buffered` at 0 before and
        after a read of the database, that read saw everything the bridge recorded."""
        return self._submitted

    async def flushed(self, timeout: float | None = 10.0) -> None:
        """Wait until everything submitted so far is in the database (tests, shutdown).

        Raises ``TimeoutError`` after ``timeout`` seconds (None: wait forever).
        """
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    # -- the bridge's entry point -----------------------------------------------------------

    def submit(self, records: Sequence[Record]) -> None:
        """Queue ``records`` for the database. Never blocks, never raises."""
        batch = tuple(records)
        if not batch:
            return
        if self._closed:
            self._log_dropped(batch, "history sink is closed", "submit after aclose()")
            return
        if self._pending_count + len(batch) > self._max_pending:
            self._log_dropped(
                batch, "history sink memory queue full", f"{self._max_pending} records pending"
            )
            return
        self._pending.append(batch)
        self._pending_count += len(batch)
        self._submitted += len(batch)
        self._idle.clear()
        self._wake.set()

    # -- the background task ----------------------------------------------------------------

    async def _run(self) -> None:
        delay = self._retry_initial
        attempt = 0  # consecutive failed attempts to drain the disk buffer
        replayed = 0  # batches replayed from disk since it was last empty
        while True:
            self._wake.clear()
            try:
                if len(self._buffer):
                    # Backlog: the disk is the queue, memory goes behind it.
                    await self._spool_pending()
                    if await self._drain_once():
                        replayed += 1
                        attempt, delay = 0, self._retry_initial
                        continue
                    attempt += 1
                    log.info(
                        "history database still unavailable; retrying",
                        attempt=attempt,
                        retry_in=round(delay, 3),
                        buffered=self.buffered,
                    )
                    await self._back_off(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                if self._pending:
                    await self._write_through()
                    continue
            except Exception:  # the task must outlive any bug; nothing is dropped here
                log.exception("history sink step failed unexpectedly; retrying")
                await self._append(self._inflight)  # records the failed step was holding
                await self._back_off(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            if replayed:
                log.info("history buffer drained", batches=replayed)
            replayed, attempt, delay = 0, 0, self._retry_initial
            self._idle.set()
            self._pulse()
            await self._wake.wait()

    def _take_pending(self, limit: int | None) -> tuple[Record, ...]:
        """Pop whole submissions, oldest first, up to ``limit`` records (at least one)."""
        taken: list[Record] = []
        while self._pending:
            if limit is not None and taken and len(taken) + len(self._pending[0]) > limit:
                break
            batch = self._pending.popleft()
            self._pending_count -= len(batch)
            taken.extend(batch)
        return tuple(taken)

    async def _write_through(self) -> None:
        self._inflight = self._take_pending(self._batch_size)
        try:
            await self._write(self._inflight)
        except Exception as exc:  # every failure means: spool it
            if _is_rejection(exc):
                log.warning(
                    "history database rejected a batch; spooling it so the bad record "
                    "can be isolated",
                    error=_describe(exc),
                    records=len(self._inflight),
                )
            else:
                self._mark_down(exc, "write-through")
            await self._append(self._inflight)
        else:
            self._mark_up()
        self._inflight = ()

    async def _spool_pending(self) -> None:
        if not self._pending:
            return
        self._inflight = self._take_pending(None)
        await self._append(self._inflight)
        self._inflight = ()

    async def _back_off(self, delay: float) -> None:
        """Wait ``delay`` seconds before the next attempt, spooling new records meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        while (remaining := deadline - loop.time()) > 0:
            self._wake.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._wake.wait()
            except TimeoutError:
                pass
            await self._spool_pending()

    async def _drain_once(self) -> bool:
        """Write the oldest batch on disk. False if the database is unavailable."""
        batch = await asyncio.to_thread(self._buffer.peek, self._batch_size)
        if not batch:
            return True
        try:
            await self._write(batch)
        except Exception as exc:
            if not _is_rejection(exc):
                self._mark_down(exc, "replay from disk")
                return False
            if not await self._write_one_by_one(batch, exc):
                return False
        else:
            self._mark_up()
        await asyncio.to_thread(self._buffer.ack, len(batch))
        return True

    async def _write_one_by_one(self, batch: Sequence[Record], batch_error: Exception) -> bool:
        """Isolate the records the database refuses; False if it became unreachable."""
        log.warning(
            "history database rejected a batch; writing it record by record",
            error=_describe(batch_error),
            records=len(batch),
        )
        for record in batch:
            try:
                await self._write([record])
            except Exception as exc:
                if not _is_rejection(exc):
                    self._mark_down(exc, "replay from disk")
                    return False
                self._log_dropped([record], "history database rejected a record", _describe(exc))
        self._mark_up()
        return True

    async def _write(self, batch: Sequence[Record]) -> None:
        async with asyncio.timeout(self._write_timeout):
            await self._store.write(batch)

    async def _append(self, records: tuple[Record, ...]) -> None:
        """Put ``records`` on disk (or log them as dropped), even if we get cancelled.

        The blocking append runs in a worker thread (fsync must not stall the loop), inside
        a task shielded from cancellation that :meth:`aclose` awaits: so when ``aclose``
        closes the buffer no append is half done, and it knows whether the records it
        was handling are already on disk.
        """
        if not records:
            return
        job = asyncio.create_task(self._append_now(records), name="history-sink-append")
        self._disk_job = job
        await asyncio.shield(job)

    async def _append_now(self, records: tuple[Record, ...]) -> None:
        try:
            await asyncio.to_thread(self._buffer.append, records)
        except BufferFull:
            # Keep whatever still fits, one record at a time; log the rest in full.
            for record in records:
                try:
                    await asyncio.to_thread(self._buffer.append, [record])
                except BufferFull as exc:
                    self._log_dropped([record], "history disk buffer full", f"{exc}")
                except Exception as exc:
                    self._log_dropped([record], "history disk buffer failed", _describe(exc))
        except Exception as exc:  # a failing disk must not take the bridge down
            self._log_dropped(records, "history disk buffer failed", _describe(exc))
        finally:
            if self._inflight is records:
                self._inflight = ()

    # -- state and logs -----------------------------------------------------------------------

    def _pulse(self) -> None:
        self._changed.set()
        self._changed.clear()

    async def _grace_period(self) -> None:
        """Let records in memory reach a healthy database before closing (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._close_timeout
        while not self._idle.is_set() and self._healthy and len(self._buffer) == 0:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                return

    def _mark_down(self, exc: BaseException, during: str) -> None:
        if self._healthy:
            log.warning(
                "history database unavailable; buffering records on disk",
                during=during,
                error=_describe(exc),
                buffered=self.buffered,
            )
        self._healthy = False
        self._pulse()

    def _mark_up(self) -> None:
        if not self._healthy:
            log.info("history database reachable again", buffered=self.buffered)
        self._healthy = True

    def _log_dropped(self, records: Sequence[Record], why: str, error: str) -> None:
        """Last resort: each lost record in full, so it can be recovered from the logs."""
        for record in records:
            try:
                content: object = record.to_dict()
            except Exception:  # not even a well-formed record: keep what we can
                content = repr(record)
            log.error(
                f"{why}; record dropped (not in the database)",
                buffer=str(self._buffer.path),
                error=error,
                record=content,
            )


__all__ = ["HistorySink"]
