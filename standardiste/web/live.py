"""Live push: ``GET /api/v1/live`` (websocket), fed by ONE mirror follower per app.

The :class:`LiveHub` follows the Redis mirror (``MirrorReader.follow``) in a single task owned
by the app, keeps the current state in memory, and turns each stream batch into one message
per distinct view (scope + subscribed queues), shared by the clients with that view.

Each :class:`LiveClient` has a bounded outgoing buffer drained by its own pump task (the only
writer of its socket). The hub only ever *offers* a message, which never blocks: when a
client's buffer is full, its backlog is dropped, it is sent ``{"type":"resync_required"}``
and closed with code 4000. So a slow client costs its own buffer and nothing else; the
follower and the other clients never wait for it. A send that does not complete within
``ws_send_timeout`` (a socket that stopped draining) aborts the connection.

Protocol, server to client: ``snapshot`` (same body as ``GET /api/v1/overview``), then
``changes`` batches (``changes``: ``[entity, key, value-or-null]``; ``figures`` of the queues
the batch touched; ``users``: owners of the devices in it); ``error`` (``code``,
``message``); ``resync_required``. Client to server: ``{"type": "subscribe", "queues":
[...] | null}``, answered by a fresh ``snapshot`` of those queues, or an ``error`` when one
of them is not the user's to see. Permissions are re-read from the database on connect and
on each subscribe, and the session is checked again on each subscribe.

A websocket belongs to a server-side session (``web.sessions``). When sessions end —
log-out, account disabled, password changed, in this process or any other — the store
announces it on a Redis Stream; :func:`watch_ended_sessions` closes the matching websockets
with code 4001 at once. Whenever it (re)starts following the announcements it also checks
every open websocket's session, in case some ended while it was not following.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import structlog
from aiohttp import WSCloseCode, WSMsgType, web
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from standardiste.acd.entities import ENTITIES
from standardiste.acd.metrics import QueueSettings
from standardiste.acd.state import Entity
from standardiste.errors import InvalidInput
from standardiste.mirror import MirrorReader, MirrorSnapshot
from standardiste.permissions import View, check_subscription
from standardiste.web.appkeys import ACCOUNTS, CONFIG, HUB, SESSIONS, SETTINGS
from standardiste.web.endpoint import require_permission
from standardiste.web.errors import Forbidden, error_body
from standardiste.web.figures import queue_figures
from standardiste.web.overview import (
    Batch,
    Directory,
    changes_message,
    enrich,
    overview,
    touched_queues,
)
from standardiste.web.schemas import Subscribe, validate
from standardiste.web.security import (
    check_origin,
    current_user,
    get_session,
    scope_for,
    session_valid_for,
)
from standardiste.web.sessions import Ended

log = structlog.get_logger(__name__)

CLOSE_RESYNC = 4000  # fell behind: take a new snapshot (reconnect)
CLOSE_SESSION_ENDED = 4001  # logged out, password changed or user removed: log in again
RESYNC_REQUIRED = json.dumps({"type": "resync_required"})
MAX_CLIENT_MESSAGE = 4096


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


class LiveClient:
    """One websocket: its view, its bounded outgoing buffer and the pump that drains it."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        view: View,
        *,
        session_id: str,
        buffer: int,
        send_timeout: float,
    ) -> None:
        self.ws = ws
        self.view = view
        self.session_id = session_id  # re-checked on subscribe; ends it when it ends
        self._request = request
        self._limit = buffer
        self._send_timeout = send_timeout
        self._pending: deque[str] = deque()
        self._wake = asyncio.Event()
        self.dropped = False
        self.ended = False  # its session ended: close with 4001, send nothing more

    @property
    def username(self) -> str:
        return self.view.scope.username

    def offer(self, message: str) -> bool:
        """Queue ``message``; never blocks. False once the client is being dropped."""
        if self.dropped:
            return False
        if len(self._pending) >= self._limit:
            self._pending.clear()  # what it missed is stale: it resyncs from a snapshot
            self.dropped = True
            self._wake.set()
            return False
        self._pending.append(message)
        self._wake.set()
        return True

    def end(self) -> None:
        """The session ended: nothing more is sent; the pump closes with 4001."""
        self.ended = True
        self._pending.clear()
        self._wake.set()

    async def pump(self) -> None:
        """Send queued messages in order; after a drop, say so and close with 4000."""
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                if self.ended:
                    async with asyncio.timeout(self._send_timeout):
                        await self.ws.close(code=CLOSE_SESSION_ENDED, message=b"session ended")
                    return
                while self._pending:
                    await self._send(self._pending.popleft())
                if self.dropped:
                    async with asyncio.timeout(self._send_timeout):
                        await self.ws.send_str(RESYNC_REQUIRED)
                        await self.ws.close(code=CLOSE_RESYNC, message=b"resync required")
                    return
        except TimeoutError:
            log.info("web.live.client_stalled", user=self.username)
            if self._request.transport is not None:
                self._request.transport.abort()
        except ConnectionError:
            pass  # the peer went away; the handler cleans up

    async def _send(self, data: str) -> None:
        async with asyncio.timeout(self._send_timeout):
            await self.ws.send_str(data)


SETTINGS_EVERY = 1.0  # s


class LiveHub:
    """The mirror follower and the registry of connected clients."""

    def __init__(
        self,
        reader: MirrorReader,
        *,
        clock: Callable[[], float],
        today: Callable[[float], str],
        block_ms: int = 5000,
        backoff_max: float = 5.0,
        queue_settings: Callable[[], Awaitable[Mapping[str, QueueSettings]]] | None = None,
    ) -> None:
        self._reader = reader
        self._settings_source = queue_settings
        self._settings_at = float("-inf")
        self._clock = clock
        self._today = today
        self._block_ms = block_ms
        self._backoff_max = backoff_max
        self.state: dict[Entity, dict[str, dict[str, Any]]] = {e: {} for e in ENTITIES}
        self.seq = 0
        self.synced = asyncio.Event()
        self.healthy = False
        self.clients: set[LiveClient] = set()
        self.directory: Directory = {}
        # The queues' metric settings (the cards' service level): read when a client connects
        # or subscribes, and at most every SETTINGS_EVERY s while batches come.
        self.queue_settings: Mapping[str, QueueSettings] = {}
        self.dropped = 0  # clients dropped for falling behind, since start

    # ---------------------------------------------------------------- clients
    def add(self, client: LiveClient) -> None:
        self.clients.add(client)
        if self.synced.is_set():  # otherwise the first snapshot reaches it when it comes
            self._offer(client, self._snapshot(client.view))

    def resubscribe(self, client: LiveClient, view: View) -> None:
        client.view = view
        if self.synced.is_set():
            self._offer(client, self._snapshot(view))

    def remove(self, client: LiveClient) -> None:
        self.clients.discard(client)

    def end_sessions(self, ended: Ended) -> int:
        """Close the websockets of ended sessions; how many."""
        closing = [
            c
            for c in self.clients
            if c.session_id in ended.sessions or (ended.username and c.username == ended.username)
        ]
        for client in closing:
            self.clients.discard(client)
            client.end()
            log.info("web.live.session_ended", user=client.username)
        return len(closing)

    async def close_all(self, timeout: float = 2.0) -> None:
        """Close every websocket (app shutdown): their handlers then finish on their own."""
        clients = list(self.clients)
        self.clients.clear()
        for client in clients:
            with contextlib.suppress(TimeoutError, ConnectionError):
                async with asyncio.timeout(timeout):
                    await client.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    def _offer(self, client: LiveClient, message: str) -> None:
        if not client.offer(message):
            self.clients.discard(client)
            self.dropped += 1
            log.info("web.live.client_dropped", user=client.username, reason="buffer full")

    def _snapshot(self, view: View) -> str:
        now = self._clock()
        today = self._today(now)
        body = overview(
            view,
            self.state,
            seq=self.seq,
            now=now,
            today=today,
            directory=self.directory,
            settings=self.queue_settings,
        )
        return dumps({"type": "snapshot", **body})

    # ---------------------------------------------------------------- the follower
    async def run(self) -> None:
        """Follow the mirror for as long as the app runs; reconnect with backoff."""
        delay = 0.1
        while True:
            try:
                snap = await self._reader.snapshot()
                self._load(snap)
                delay = 0.1
                async for item in self._reader.follow(snap, block_ms=self._block_ms):
                    await self._refresh_settings()
                    if isinstance(item, MirrorSnapshot):
                        self._load(item)
                    else:
                        self._dispatch(item)
            except (RedisError, OSError) as exc:
                if self.healthy:
                    log.warning("web.live.mirror_unavailable", error=str(exc))
                self.healthy = False
            except Exception:  # a bug must not stop live updates for good: log, resync
                log.exception("web.live.follower_failed")
                self.healthy = False
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(self._backoff_max, delay * 2)

    async def _refresh_settings(self) -> None:
        """A queue's settings changed by an admin (in any web process) reach the cards within
        SETTINGS_EVERY s of the next batch. A database or Redis down: the settings kept."""
        now = self._clock()
        if self._settings_source is None or now - self._settings_at < SETTINGS_EVERY:
            return
        self._settings_at = now
        try:
            self.queue_settings = await self._settings_source()
        except (RedisError, SQLAlchemyError, OSError) as exc:
            log.warning("web.live.queue_settings_unavailable", error=str(exc))

    def _load(self, snap: MirrorSnapshot) -> None:
        """A whole new state (start, reset, gap): every client gets a fresh snapshot."""
        self.state = {e: dict(snap.state.get(e, {})) for e in ENTITIES}
        self.seq = snap.seq
        self.healthy = True
        self.synced.set()
        cache: dict[View, str] = {}
        for client in list(self.clients):
            if client.view not in cache:
                cache[client.view] = self._snapshot(client.view)
            self._offer(client, cache[client.view])

    def _dispatch(self, raw: list[list[Any]]) -> None:
        """Apply one batch, then offer each client its share of it."""
        self.seq += 1
        now = self._clock()
        changes: list[tuple[Entity, str, dict[str, Any] | None, dict[str, Any] | None]] = []
        for entity, key, value in raw:
            table = self.state.setdefault(entity, {})
            old = table.get(key)
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
            changes.append(
                (entity, key, old, enrich(entity, value, now) if value is not None else None)
            )
        today = self._today(now)
        batch = Batch(
            seq=self.seq,
            now=now,
            changes=changes,
            figures={
                q: queue_figures(self.state, q, now, today, self.queue_settings.get(q))
                for q in touched_queues(changes)
                if q in self.state["queue"]
            },
        )
        cache: dict[View, str | None] = {}
        for client in list(self.clients):
            if client.view not in cache:
                message = changes_message(client.view, batch, self.directory)
                cache[client.view] = dumps(message) if message is not None else None
            text = cache[client.view]
            if text is not None:
                self._offer(client, text)


# -------------------------------------------------------------------- the endpoint
async def live_handler(request: web.Request) -> web.StreamResponse:
    """``GET /api/v1/live``: the websocket. Origin and session are checked before upgrading."""
    check_origin(request)
    user = await current_user(request)
    app = request.app
    hub, settings = app[HUB], app[SETTINGS]
    # Everything that may fail (database) before the upgrade, so it fails as plain HTTP.
    view = View(await scope_for(request, user))
    hub.directory = await app[ACCOUNTS].device_directory()
    hub.queue_settings = await app[CONFIG].queue_settings()
    ws = web.WebSocketResponse(
        heartbeat=settings.ws_heartbeat, max_msg_size=MAX_CLIENT_MESSAGE, timeout=5.0
    )
    await ws.prepare(request)
    record = await get_session(request)
    assert record is not None  # current_user found it
    client = LiveClient(
        ws,
        request,
        view,
        session_id=record.id,
        buffer=settings.ws_buffer,
        send_timeout=settings.ws_send_timeout,
    )
    hub.add(client)
    pump = asyncio.create_task(client.pump(), name=f"live-pump-{user.username}")
    try:
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                client.offer(dumps({"type": "error", **error_body("invalid_input", "text only")}))
                continue
            try:
                if not await _on_message(request, client, msg.data):
                    break
            except (RedisError, SQLAlchemyError, OSError) as exc:
                # The socket is upgraded: no HTTP error any more, tell the client and go on.
                log.warning("web.live.message_failed", user=client.username, error=str(exc))
                client.offer(dumps({"type": "error", **error_body("unavailable", "try again")}))
            except Exception:  # a bug: logged with its traceback; this client is told, not cut
                log.exception("web.live.message_error", user=client.username)
                client.offer(dumps({"type": "error", **error_body("internal_error", "error")}))
    finally:
        hub.remove(client)
        if (client.dropped or client.ended) and not pump.done():
            await pump  # bounded: one send timeout, then the close handshake timeout
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
        await ws.close()
    return ws


async def _on_message(request: web.Request, client: LiveClient, data: str) -> bool:
    """Handle one client message; False when the connection must end."""
    try:
        message = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested past the limit
        message = None
    if not isinstance(message, dict) or message.get("type") != "subscribe":
        client.offer(dumps({"type": "error", **error_body("invalid_input", "unknown message")}))
        return True
    accounts = request.app[ACCOUNTS]
    record = await request.app[SESSIONS].get(client.session_id)
    user = await accounts.get(client.username)
    if record is None or not session_valid_for(record, user):
        await client.ws.close(code=CLOSE_SESSION_ENDED, message=b"session ended")
        return False
    assert user is not None
    scope = await scope_for(request, user)
    try:
        # The role matrix is checked on every subscription: a permission taken away ends
        # the feed at the next one (the connection itself needed it too: web.routes).
        await require_permission(request, user.role, "live.view")
        only = check_subscription(scope, validate(Subscribe, message).queues)  # as documented
    except (Forbidden, InvalidInput) as exc:
        client.offer(dumps({"type": "error", **error_body(exc.code, exc.message)}))
        return True
    hub = request.app[HUB]
    hub.directory = await accounts.device_directory()
    hub.queue_settings = await request.app[CONFIG].queue_settings()
    hub.resubscribe(client, View(scope, only))
    return True


async def start_follower(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the one follower task of this app, cancelled and awaited at cleanup."""
    task = asyncio.create_task(app[HUB].run(), name="web-live-follower")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def watch_ended_sessions(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: follow the ended-session announcements of every process; close sockets."""
    stop = asyncio.Event()
    task = asyncio.create_task(_follow_ended_sessions(app, stop), name="web-live-sessions")
    yield
    # The flag as well as the cancellation: should a library turn the cancellation into a
    # connection error, the loop would otherwise retry forever.
    stop.set()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _follow_ended_sessions(
    app: web.Application, stop: asyncio.Event, backoff_max: float = 5.0
) -> None:
    hub, store = app[HUB], app[SESSIONS]
    delay = 0.1
    while not stop.is_set():
        try:
            # aclosing: the generator is finalised when this task is cancelled, not at GC.
            async with contextlib.aclosing(store.announcements()) as announcements:
                async for ended in announcements:
                    delay = 0.1
                    if ended.resubscribed:  # anything announced while we were away?
                        alive = await store.alive(c.session_id for c in hub.clients)
                        gone = frozenset(sid for sid, ok in alive.items() if not ok)
                        ended = Ended(sessions=gone)
                    hub.end_sessions(ended)
        except (RedisError, OSError) as exc:
            if stop.is_set():
                return
            log.warning("web.live.sessions_unavailable", error=str(exc))
        except Exception:  # a bug must not stop sessions from ending: log, resubscribe
            log.exception("web.live.sessions_watch_failed")
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(backoff_max, delay * 2)


async def close_websockets(app: web.Application) -> None:
    """on_shutdown: close the live sockets so their handlers end before cleanup."""
    await app[HUB].close_all()


__all__ = [
    "CLOSE_RESYNC",
    "CLOSE_SESSION_ENDED",
    "LiveClient",
    "LiveHub",
    "close_websockets",
    "live_handler",
    "start_follower",
    "watch_ended_sessions",
]
