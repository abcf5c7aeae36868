"""One AMI connection, kept alive forever: login, actions, events, liveness, reconnect.

Written instead of using ``panoramisk.Manager`` on purpose (see ASTERISK.md, "AMI traps"):

* actions are **never** re-sent after a reconnect. An action in flight when the connection
  drops fails with :class:`AmiConnectionLost` and the caller decides. panoramisk re-sends
  unanswered actions, which can place an ``Originate`` twice;
* reconnects back off exponentially with full jitter (panoramisk: a fixed 2 s);
* a ``Ping`` that gets no reply within ``ping_timeout`` declares the connection dead, so a
  half-open TCP connection is noticed (panoramisk pings without a reply timeout);
* every task is owned, cancelled and awaited on :meth:`AmiConnection.close`; callbacks run
  in order from one dispatcher task (panoramisk spawns unreferenced callback tasks).

Reading never waits for the consumer: Asterisk gives an AMI session a 100 ms write timeout,
so the reader only frames and routes, and events go through a bounded queue to a separate
dispatcher task. When that queue is full, events are dropped, counted, and ``on_overflow``
tells the owner that its view of Asterisk is now incomplete (it should resync).

Login failures: logged at error level on every attempt and retried with ``backoff_max``
(not raised out of :meth:`AmiConnection.run`): credentials fixed in manager.conf plus a
``manager reload`` then recover without restarting us, and a misconfiguration is loud in
the logs and visible as :attr:`AmiConnection.auth_failures` / :attr:`last_error`.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import structlog

from .errors import (
    AmiActionError,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
    AmiTimeout,
)
from .wire import AmiMessage, Framer, format_action

__all__ = ["AmiConnection", "AmiResponse", "Headers"]

log = structlog.get_logger(__name__)

Headers = Mapping[str, str | Sequence[str]]
_NO_HEADERS: Headers = MappingProxyType({})

#: Response values Asterisk uses for a failed action ("Error" in practice; "Fail"/"Failed"
#: come from some modules and older versions).
_ERROR_RESPONSES = frozenset({"error", "fail", "failed"})
_READ_BYTES = 64 * 1024
#: The dispatcher yields to the event loop after this long (seconds) of back-to-back
#: on_message calls, so a deep queue never starves the reader, which must keep draining the
#: socket (Asterisk's 100 ms write timeout). Time-based, not count-based: with a fixed
#: count, a cheap handler got too few turns and the queue overflowed at ~80k events/s.
_DISPATCH_SLICE = 0.005
_DISPATCH_CHECK_EVERY = 32
_LOGOFF_TIMEOUT = 1.0
_DRAIN_ON_CLOSE_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class AmiResponse:
    """The answer to one action.

    ``message`` is the ``Response:`` message. For list actions (``EventList: start``),
    ``events`` holds the events carrying this ActionID in order, and ``complete`` the final
    ``...Complete`` event (``EventList: Complete``, with e.g. ``ListItems``).
    """

    message: AmiMessage
    events: list[AmiMessage] = field(default_factory=list)
    complete: AmiMessage | None = None


class _Pending:
    __slots__ = ("name", "action_id", "future", "idempotent", "response", "events")

    def __init__(
        self, name: str, action_id: str, future: asyncio.Future[AmiResponse], idempotent: bool
    ) -> None:
        self.name = name
        self.action_id = action_id
        self.future = future
        self.idempotent = idempotent
        self.response: AmiMessage | None = None  # set once a list response has started
        self.events: list[AmiMessage] = []


class _Session:
    """State of one TCP connection; discarded with it, so nothing leaks across reconnects."""

    __slots__ = ("writer", "framer", "pending", "logged_in", "closed", "up_since")

    def __init__(self, writer: asyncio.StreamWriter, framer: Framer) -> None:
        self.writer = writer
        self.framer = framer
        self.pending: dict[str, _Pending] = {}
        self.logged_in = False
        self.closed = False  # set as soon as the reader stops: no new action may start
        self.up_since = 0.0


class AmiConnection:
    """A self-healing AMI client connection. See the module docstring for the design.

    Usage::

        conn = AmiConnection(host, 5038, user, secret, on_message=handle, on_connected=resync)
        runner = asyncio.create_task(conn.run())
        ...
        resp = await conn.send("QueueStatus", {"Queue": "support"})
        ...
        await conn.close()   # run() then returns; the connection is not reusable

    Callbacks: ``on_message(msg)`` gets every event (not the responses to our actions, nor
    the list events collected into an :class:`AmiResponse`), in order, from one dispatcher
    task; it is synchronous and must be fast. ``on_connected()`` runs as a task after each
    successful login, while events already flow; it may :meth:`send` (the resync). If it
    raises, the connection is dropped and re-established. ``on_overflow()`` is called from
    the reader, once per overflow episode (until the queue next runs empty); it must only
    schedule work, e.g. a resync.
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        events: str = "on",
        on_message: Callable[[AmiMessage], None],
        on_connected: Callable[[], Awaitable[None]] | None = None,
        ping_interval: float = 5.0,
        ping_timeout: float = 3.0,
        backoff_min: float = 0.5,
        backoff_max: float = 30.0,
        connect_timeout: float = 5.0,
        event_queue_size: int = 10_000,
        on_overflow: Callable[[], None] | None = None,
        stable_after: float = 30.0,
        max_message_bytes: int = 64 * 1024,
        max_line_bytes: int = 8192,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < backoff_min <= backoff_max:
            raise ValueError("need 0 < backoff_min <= backoff_max")
        if ping_interval <= 0 or ping_timeout <= 0 or connect_timeout <= 0:
            raise ValueError("intervals and timeouts must be positive")
        self._host = host
        self._port = port
        self._username = username
        self._secret = secret
        self._events = events
        self._on_message = on_message
        self._on_connected = on_connected
        self._on_overflow = on_overflow
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._connect_timeout = connect_timeout
        self._stable_after = stable_after
        self._max_message_bytes = max_message_bytes
        self._max_line_bytes = max_line_bytes
        self._rng = rng or random.Random()
        self._log = log.bind(ami=f"{host}:{port}")

        self._queue: asyncio.Queue[AmiMessage] = asyncio.Queue(maxsize=event_queue_size)
        self._connected_event = asyncio.Event()
        self._session: _Session | None = None
        self._main: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()  # every task we own, for close()
        self._closing = False
        self._overflowing = False
        # ActionIDs are unique per instance (prefix) and never reused (counter), so a late
        # response from an abandoned action can never be taken for a newer one's.
        self._id_prefix = f"sd{secrets.token_hex(3)}-"
        self._ids = itertools.count(1)

        # Counters / gauges, for metrics.
        self.messages_in = 0
        self.events_dropped = 0
        self.reconnects = 0  # connection attempts after the first one
        self.sessions = 0  # successful logins: tells one AMI session from the next
        self.garbage_skipped = 0
        self.auth_failures = 0
        self.callback_errors = 0
        self.unmatched_responses = 0
        self.actions_sent = 0
        #: Non-idempotent actions whose outcome is unknown (connection lost or timeout).
        self.unsafe_actions_lost = 0
        self.event_queue_high_water = 0
        self.last_error: str | None = None
        self.last_backoff_cap = 0.0
        self._last_session_seconds = 0.0  # how long the last logged-in session lasted
        self.asterisk_version: str | None = None

    # -- public state ----------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """True while logged in (``send`` is possible)."""
        return self._connected_event.is_set()

    @property
    def event_queue_depth(self) -> int:
        return self._queue.qsize()

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until logged in; :class:`AmiTimeout` after ``timeout`` seconds,
        :class:`AmiNotConnected` at once if :meth:`close` was called."""
        if self._closing:
            raise AmiNotConnected("AMI connection closed")
        try:
            async with asyncio.timeout(timeout):
                await self._connected_event.wait()
        except TimeoutError:
            raise AmiTimeout(f"not connected to AMI after {timeout}s") from None

    # -- lifecycle -------------------------------------------------------------------------
    async def run(self) -> None:
        """Keep the connection up until :meth:`close`; then return normally.

        Cancelling the task running ``run()`` also stops everything (and re-raises the
        cancellation). An instance runs once: after ``close()`` it cannot be restarted.
        """
        if self._main is not None:
            raise RuntimeError("AmiConnection.run() already called")
        if self._closing:
            return
        # The real work runs in a task of its own so close() can cancel it without
        # cancelling whoever awaits run().
        self._main = asyncio.create_task(self._run_forever(), name="ami-connection")
        try:
            await self._main
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._closing and (current is None or current.cancelling() == 0):
                return  # stopped by close(), not by our caller
            raise

    async def close(self) -> None:
        """Log off, stop every task and wait for them. Idempotent.

        Events still queued are handed to ``on_message`` (for at most a couple of seconds)
        before the dispatcher stops. Pending actions fail with :class:`AmiConnectionLost`.
        Called from inside one of our own callbacks/tasks, it only requests the stop.
        """
        self._closing = True
        main = self._main
        if main is None or main.done():
            return
        main.cancel()
        current = asyncio.current_task()
        if current is main or current in self._tasks:
            return  # awaiting our own teardown from inside it would deadlock
        await asyncio.wait({main})

    # -- actions ---------------------------------------------------------------------------
    async def send(
        self,
        name: str,
        headers: Headers = _NO_HEADERS,
        *,
        timeout: float = 10.0,
        idempotent: bool = True,
    ) -> AmiResponse:
        """Send one action and wait for its complete response.

        Raises :class:`AmiNotConnected` (nothing sent), :class:`AmiActionError`
        (``Response: Error``), :class:`AmiConnectionLost` (dropped before the response),
        :class:`AmiTimeout`, or :class:`ValueError` for a header with CR/LF (nothing sent).

        Never re-sent by this layer. ``idempotent`` only labels the action in logs and
        metrics (:attr:`unsafe_actions_lost`): after ``AmiConnectionLost``/``AmiTimeout``,
        callers may retry an idempotent action (QueueStatus, QueuePause...) themselves;
        a non-idempotent one (Originate) may or may not have happened.
        """
        session = self._session
        if session is None or not session.logged_in or session.closed or self._closing:
            raise AmiNotConnected(f"{name}: not connected to AMI")
        return await self._request(session, name, headers, timeout=timeout, idempotent=idempotent)

    async def _request(
        self,
        session: _Session,
        name: str,
        headers: Headers,
        *,
        timeout: float,
        idempotent: bool,
    ) -> AmiResponse:
        action_id = f"{self._id_prefix}{next(self._ids)}"
        data = format_action(name, action_id, headers)  # raises before anything is sent
        if session.closed:
            # The reader has stopped: nobody would ever resolve this action's future.
            raise AmiConnectionLost(f"{name}: connection lost")
        future: asyncio.Future[AmiResponse] = asyncio.get_running_loop().create_future()
        session.pending[action_id] = _Pending(name, action_id, future, idempotent)
        try:
            async with asyncio.timeout(timeout):
                session.writer.write(data)
                self.actions_sent += 1
                await session.writer.drain()
                return await future
        except TimeoutError:
            self._note_unknown_outcome(name, action_id, idempotent, "timeout")
            raise AmiTimeout(f"{name}: no complete response within {timeout}s") from None
        except OSError as exc:  # drain() on a dead socket
            self._note_unknown_outcome(name, action_id, idempotent, "write failed")
            raise AmiConnectionLost(f"{name}: {exc!r}") from exc
        except AmiConnectionLost:
            self._note_unknown_outcome(name, action_id, idempotent, "connection lost")
            raise
        finally:
            session.pending.pop(action_id, None)

    def _note_unknown_outcome(self, name: str, action_id: str, idempotent: bool, why: str) -> None:
        if not idempotent:
            self.unsafe_actions_lost += 1
        # Loud for actions whose repetition matters (Originate); the caller of an idempotent
        # one gets the exception and can simply retry, so that is debug-level noise.
        emit = self._log.debug if idempotent else self._log.warning
        emit(
            "ami action outcome unknown, not re-sent",
            action=name,
            action_id=action_id,
            idempotent=idempotent,
            reason=why,
        )

    # -- the connection loop -------------------------------------------------------------
    async def _run_forever(self) -> None:
        dispatcher = self._spawn(self._dispatch_loop(), "ami-dispatcher")
        attempt = 0
        first = True
        try:
            while not self._closing:
                if not first:
                    self.reconnects += 1
                first = False
                delay: float | None = None
                try:
                    await self._run_session()
                except AmiAuthError as exc:
                    self.auth_failures += 1
                    self.last_error = f"login rejected: {exc}"
                    delay = self._backoff_max
                    self._log.error(
                        "ami login rejected; check the manager.conf user, secret and permit",
                        username=self._username,
                        error=str(exc),
                        retry_in=delay,
                    )
                except (OSError, AmiError) as exc:
                    # Refused, reset, EOF, ping timeout, Login unanswered: the usual outages.
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    self._log.warning("ami connection ended", error=self.last_error)
                except Exception as exc:
                    # A bug here or in on_connected: stay alive and keep trying, loudly.
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    self._log.exception("ami connection failed unexpectedly")
                if self._closing:
                    break
                # Events of the dead connection go out before the next resync starts, so
                # the owner never applies an old event on top of a fresh snapshot.
                await self._queue.join()
                if self._last_session_seconds >= self._stable_after:
                    attempt = 0
                if delay is None:
                    delay = self._backoff_delay(attempt)
                    attempt += 1
                self._log.info("ami reconnecting", delay=round(delay, 3), attempt=attempt)
                await asyncio.sleep(delay)
        finally:
            try:
                async with asyncio.timeout(_DRAIN_ON_CLOSE_TIMEOUT):
                    await self._queue.join()
            except TimeoutError:
                self._log.warning("ami close: events left undelivered", count=self._queue.qsize())
            finally:
                dispatcher.cancel()
                await asyncio.gather(dispatcher, return_exceptions=True)
                self._log.info("ami connection closed")

    def _backoff_delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter: uniform(0, min(max, min * 2**attempt))."""
        cap = min(self._backoff_max, self._backoff_min * 2.0 ** min(attempt, 60))
        self.last_backoff_cap = cap
        return self._rng.uniform(0.0, cap)

    async def _run_session(self) -> None:
        """One TCP connection, from connect to its end. Always ends by raising."""
        loop = asyncio.get_running_loop()
        self._last_session_seconds = 0.0
        # asyncio.timeout, not wait_for: wait_for (3.11) can drop a connection that opened
        # just as it was cancelled, and its socket would then leak unclosed.
        async with asyncio.timeout(self._connect_timeout):
            reader, writer = await asyncio.open_connection(self._host, self._port)
        framer = Framer(self._max_message_bytes, self._max_line_bytes, on_garbage=self._on_garbage)
        session = _Session(writer, framer)
        self._session = session
        reader_task = self._spawn(self._read_loop(session, reader), "ami-reader")
        tasks: list[asyncio.Task[Any]] = [reader_task]
        try:
            try:
                await self._request(
                    session,
                    "Login",
                    {"Username": self._username, "Secret": self._secret, "Events": self._events},
                    timeout=self._connect_timeout,
                    idempotent=True,
                )
            except AmiActionError as exc:
                raise AmiAuthError(exc.text or "Authentication failed") from None
            self.asterisk_version = framer.version
            if framer.version is None:
                self._log.warning("ami peer sent no 'Asterisk Call Manager/' banner")
            session.logged_in = True
            session.up_since = loop.time()
            self.sessions += 1
            self._connected_event.set()
            self._log.info("ami connected", ami_version=framer.version)

            watched: set[asyncio.Task[Any]] = {reader_task}
            tasks.append(self._spawn(self._ping_loop(session), "ami-ping"))
            watched.add(tasks[-1])
            hook: asyncio.Task[Any] | None = None
            if self._on_connected is not None:
                hook = self._spawn(self._on_connected_wrapper(self._on_connected), "ami-resync")
                tasks.append(hook)
                watched.add(hook)
            while True:
                done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task.cancelled():  # not by us: we only cancel them below
                        raise AmiConnectionLost(f"{task.get_name()} was cancelled")
                    error = task.exception()
                    if error is not None:
                        raise error  # why the session ends (EOF, dead ping, resync error)
                    if task is hook:
                        watched.discard(task)  # resync finished; the rest keeps running
                        continue
                    raise AmiConnectionLost(f"{task.get_name()} stopped")
        finally:
            self._connected_event.clear()
            if session.logged_in:
                self._last_session_seconds = loop.time() - session.up_since
            try:
                if self._closing and session.logged_in and not reader_task.done():
                    await self._logoff(session)
            finally:
                # Runs even when the log-off above is cancelled by close(): the tasks and
                # the socket must never outlive the session.
                for task in tasks:
                    task.cancel()
                try:
                    await asyncio.gather(*tasks, return_exceptions=True)
                finally:
                    self._session = None
                    self._fail_pending(session, "connection closed")
                    writer.close()
                    try:
                        async with asyncio.timeout(1.0):
                            await writer.wait_closed()
                    except (OSError, TimeoutError):
                        pass  # already reset by the peer, or it won't ack: nothing left to do
                    except asyncio.CancelledError:
                        writer.transport.abort()  # no waiting for the ack: release it now
                        raise

    async def _on_connected_wrapper(self, hook: Callable[[], Awaitable[None]]) -> None:
        await hook()

    async def _logoff(self, session: _Session) -> None:
        try:
            await self._request(
                session, "Logoff", _NO_HEADERS, timeout=_LOGOFF_TIMEOUT, idempotent=True
            )
        except (AmiError, OSError) as exc:
            self._log.debug("ami logoff not acknowledged", error=repr(exc))

    def _fail_pending(self, session: _Session, why: str) -> None:
        for pending in session.pending.values():
            if not pending.future.done():
                pending.future.set_exception(AmiConnectionLost(f"{pending.name}: {why}"))
        session.pending.clear()

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- reader ----------------------------------------------------------------------------
    async def _read_loop(self, session: _Session, reader: asyncio.StreamReader) -> None:
        feed = session.framer.feed
        route = self._route
        try:
            while True:
                data = await reader.read(_READ_BYTES)
                if not data:
                    raise AmiConnectionLost("connection closed by Asterisk")
                messages = feed(data)
                self.messages_in += len(messages)
                for msg in messages:
                    route(session, msg)
        finally:
            # Fail waiters now rather than when the session is torn down, so a Login or a
            # send() in flight learns about the loss at once.
            session.closed = True
            self._fail_pending(session, "connection lost")

    def _route(self, session: _Session, msg: AmiMessage) -> None:
        action_id = msg.action_id
        if action_id:
            pending = session.pending.get(action_id)
            if pending is not None and not pending.future.done():
                if pending.response is None:
                    if msg.response:
                        self._complete_response(session, pending, msg)
                        return
                elif msg.event:
                    if _is_list_end(msg):
                        del session.pending[action_id]
                        pending.future.set_result(
                            AmiResponse(pending.response, pending.events, complete=msg)
                        )
                    else:
                        pending.events.append(msg)
                    return
        if msg.event:
            self._enqueue(msg)
        elif msg.response:
            # The answer to an action we gave up on (timeout, cancelled caller): drop it.
            self.unmatched_responses += 1
            self._log.debug("ami unmatched response", action_id=action_id, response=msg.response)
        else:
            sample = ", ".join(k for k, _ in msg.headers()[:4]).encode()
            self._on_garbage("neither_event_nor_response", sample)

    def _complete_response(self, session: _Session, pending: _Pending, msg: AmiMessage) -> None:
        if msg.response.lower() in _ERROR_RESPONSES:
            del session.pending[pending.action_id]
            pending.future.set_exception(AmiActionError(pending.name, msg))
        elif msg.get("EventList", "").lower() == "start":
            pending.response = msg  # events follow until EventList: Complete
        else:
            del session.pending[pending.action_id]
            pending.future.set_result(AmiResponse(msg))

    def _enqueue(self, msg: AmiMessage) -> None:
        queue = self._queue
        try:
            queue.put_nowait(msg)
        except asyncio.QueueFull:
            self.events_dropped += 1
            if not self._overflowing:
                self._overflowing = True
                self._log.warning("ami event queue full, dropping events", queue_size=queue.maxsize)
                if self._on_overflow is not None:
                    try:
                        self._on_overflow()
                    except Exception:
                        self.callback_errors += 1
                        self._log.exception("ami on_overflow callback failed")
            return
        depth = queue.qsize()
        if depth > self.event_queue_high_water:
            self.event_queue_high_water = depth

    def _on_garbage(self, reason: str, sample: bytes) -> None:
        self.garbage_skipped += 1
        self._log.warning("ami garbage skipped", reason=reason, sample=sample[:80])

    # -- dispatcher, ping ------------------------------------------------------------------
    async def _dispatch_loop(self) -> None:
        queue = self._queue
        on_message = self._on_message
        clock = asyncio.get_running_loop().time
        while True:
            msg = await queue.get()
            handled = 0
            deadline = clock() + _DISPATCH_SLICE
            while True:
                try:
                    on_message(msg)
                except Exception:
                    self.callback_errors += 1
                    self._log.exception("ami on_message callback failed", ami_event=msg.event)
                finally:
                    queue.task_done()
                handled += 1
                if queue.empty():
                    if self._overflowing:
                        self._overflowing = False
                        self._log.info("ami event queue drained after overflow")
                    break
                if handled >= _DISPATCH_CHECK_EVERY:
                    handled = 0
                    if clock() >= deadline:
                        await asyncio.sleep(0)  # let the reader run; see _DISPATCH_SLICE
                        deadline = clock() + _DISPATCH_SLICE
                msg = queue.get_nowait()

    async def _ping_loop(self, session: _Session) -> None:
        while True:
            await asyncio.sleep(self._ping_interval)
            try:
                await self._request(
                    session, "Ping", _NO_HEADERS, timeout=self._ping_timeout, idempotent=True
                )
            except AmiTimeout:
                raise AmiConnectionLost(
                    f"no Ping reply within {self._ping_timeout}s: connection presumed dead"
                ) from None
            except AmiActionError as exc:  # answered, so alive; odd but harmless
                self._log.warning("ami ping refused", error=exc.text)


def _is_list_end(msg: AmiMessage) -> bool:
    marker = msg.get("EventList")
    if marker is not None:
        return marker.lower() == "complete"
    # Some older modules end their lists with a ...Complete event without EventList.
    return msg.event.endswith("Complete")
