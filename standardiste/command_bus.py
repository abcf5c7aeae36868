"""The command bus: requests from the web processes to the bridge, through Redis.

Why Redis and not an internal HTTP API: every web process already talks to Redis (the mirror),
the bridge needs no listening socket, and a web process on another host needs no address of
the bridge. How:

- the web (:class:`CommandClient`) ``XADD``s ``{id, kind, actor, args, deadline}`` to the
  ``commands`` stream, then ``BLPOP``s the reply list of that id until the deadline: the caller
  gets the bridge's result, its domain error (same code, same message), or
  :class:`~standardiste.errors.CommandTimeout`;
- the bridge (:class:`CommandServer`) reads the stream through the consumer group ``bridge``
  and acknowledges each entry *before* executing it, and never claims pending entries: each
  command is executed **at most once**, even across bridge restarts. A command taken after
  its deadline is not executed (its caller has already been told it timed out);
- every command taken is written to the ``audit`` stream with who asked and the outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import ResponseError

from standardiste.errors import (
    CommandExpired,
    CommandTimeout,
    InvalidInput,
    StandardisteError,
    error_from_code,
)
from standardiste.redis_keys import RedisKeys

log = structlog.get_logger(__name__)

GROUP = "bridge"
REPLY_TTL = 60  # seconds a reply waits for a caller that may still read it
STREAM_MAXLEN = 10_000
AUDIT_MAXLEN = 100_000

Handler = Callable[[Mapping[str, Any]], Awaitable[Any]]


class CommandClient:
    """The web's side: send a command, wait for its result."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: RedisKeys,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._timeout = timeout
        self._clock = clock
        self.sent = 0
        self.timeouts = 0

    async def call(self, kind: str, args: Mapping[str, Any], *, actor: str) -> Any:
        command_id = uuid.uuid4().hex
        deadline = self._clock() + self._timeout
        await self._redis.xadd(
            self._keys.commands,
            {
                "id": command_id,
                "kind": kind,
                "actor": actor,
                "args": json.dumps(args),
                "deadline": repr(deadline),
            },
            maxlen=STREAM_MAXLEN,
            approximate=True,
        )
        self.sent += 1
        # BLPOP takes whole seconds on old servers: round up, the deadline is checked anyway.
        reply = await self._redis.blpop([self._keys.command_reply(command_id)], self._timeout)
        if reply is None:
            self.timeouts += 1
            raise CommandTimeout(
                f"the bridge did not answer {kind} within {self._timeout:.0f}s "
                "(is `standardiste bridge` running?); it will not be executed later"
            )
        data = json.loads(reply[1])
        if data.get("ok"):
            return data.get("value")
        raise error_from_code(str(data.get("code")), str(data.get("message")))


class CommandServer:
    """The bridge's side: take commands from the stream, run their handlers, reply."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: RedisKeys,
        handlers: Mapping[str, Handler],
        *,
        consumer: str = "bridge-1",
        clock: Callable[[], float] = time.time,
        block_ms: int = 1000,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._handlers = dict(handlers)
        self._consumer = consumer
        self._clock = clock
        self._block_ms = block_ms
        self._running: set[asyncio.Task[None]] = set()
        self.taken = 0
        self.failed = 0
        self.expired = 0

    async def run(self) -> None:
        """Serve until cancelled; Redis errors propagate (the supervisor restarts the loop)."""
        await self._ensure_group()
        try:
            while True:
                try:
                    batches: Any = await self._redis.xreadgroup(
                        GROUP,
                        self._consumer,
                        {self._keys.commands: ">"},
                        count=50,
                        block=self._block_ms,
                    )
                except ResponseError as exc:
                    # The stream was deleted under us (an operator, a test's cleanup):
                    # recreate it and its group, and carry on.
                    if "NOGROUP" not in str(exc) and "UNBLOCKED" not in str(exc):
                        raise
                    await self._ensure_group()
                    continue
                for _stream, entries in batches or []:
                    for entry_id, fields in entries:
                        # Acknowledged before it runs: never delivered, hence never run, twice.
                        await self._redis.xack(self._keys.commands, GROUP, entry_id)
                        self._start(_decode(fields))
        finally:
            await self.drain()

    async def drain(self) -> None:
        """Let the commands in flight finish (each is bounded by its own timeouts)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    def _start(self, fields: dict[str, str]) -> None:
        task = asyncio.create_task(self._handle(fields), name=f"command {fields.get('id')}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(self._keys.commands, GROUP, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _handle(self, fields: dict[str, str]) -> None:
        self.taken += 1
        command_id = fields.get("id", "")
        kind = fields.get("kind", "")
        actor = fields.get("actor", "")
        try:
            value = await self._execute(fields, kind)
            outcome: dict[str, Any] = {"ok": True, "value": value}
        except StandardisteError as exc:
            self.failed += 1
            outcome = {"ok": False, "code": exc.code, "message": exc.message}
        except Exception:
            self.failed += 1
            log.exception("command.failed", command_id=command_id, kind=kind, actor=actor)
            outcome = {"ok": False, "code": "internal_error", "message": "internal error"}
        await self._reply(command_id, outcome)
        await self._audit(fields, outcome)

    async def _execute(self, fields: Mapping[str, str], kind: str) -> Any:
        try:
            deadline = float(fields.get("deadline", "0"))
            args = json.loads(fields.get("args", "{}"))
        except ValueError as exc:
            raise InvalidInput(f"malformed command: {exc}") from exc
        if self._clock() > deadline:
            self.expired += 1
            raise CommandExpired(f"command {kind} arrived after its deadline: not executed")
        handler = self._handlers.get(kind)
        if handler is None:
            raise InvalidInput(f"unknown command {kind!r}")
        if not isinstance(args, dict):
            raise InvalidInput("malformed command: args is not an object")
        return await handler(args)

    async def _reply(self, command_id: str, outcome: Mapping[str, Any]) -> None:
        if not command_id:
            return
        key = self._keys.command_reply(command_id)
        with contextlib.suppress(Exception):  # the caller will time out; the audit says why
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, json.dumps(outcome))
                pipe.expire(key, REPLY_TTL)
                await pipe.execute()

    async def _audit(self, fields: Mapping[str, str], outcome: Mapping[str, Any]) -> None:
        entry: dict[Any, Any] = {
            "at": repr(self._clock()),
            "id": fields.get("id", ""),
            "kind": fields.get("kind", ""),
            "actor": fields.get("actor", ""),
            "args": fields.get("args", ""),
            "outcome": "ok" if outcome.get("ok") else str(outcome.get("code")),
        }
        log.info("command.done", **{k: v for k, v in entry.items() if k != "args"})
        try:
            await self._redis.xadd(self._keys.audit, entry, maxlen=AUDIT_MAXLEN, approximate=True)
        except Exception as exc:  # the log line above keeps the trail
            log.warning("command.audit_failed", error=str(exc))

    @property
    def in_flight(self) -> int:
        return len(self._running)


def _decode(fields: Mapping[Any, Any]) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else str(k)): (
            v.decode() if isinstance(v, bytes) else str(v)
        )
        for k, v in fields.items()
    }
