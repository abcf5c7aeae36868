"""The live mirror of the model in Redis, and the reader dashboards use.

The writer batches changes and writes each batch, with its stream entry, in one MULTI/EXEC:
a reader that takes the snapshot and the last stream id in one MULTI/EXEC therefore has a
consistent picture and can follow the stream from there without missing anything. If Redis
goes away the writer keeps nothing but a "dirty" flag: when Redis is back it rewrites the whole
snapshot from the model (a ``reset`` entry), since the model is the source of truth.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from standardiste.acd.entities import ENTITIES
from standardiste.acd.state import Change, Entity, Reset
from standardiste.redis_keys import RedisKeys

log = structlog.get_logger(__name__)

StateFn = Callable[[], dict[Entity, dict[str, dict[str, Any]]]]


class MirrorWriter:
    """Owns a background task that flushes pending changes to Redis in batches."""

    def __init__(
        self,
        client: aioredis.Redis,
        keys: RedisKeys,
        state: StateFn,
        *,
        stream_maxlen: int = 10000,
        max_pending: int = 50000,
        backoff_max: float = 5.0,
    ) -> None:
        self._redis = client
        self._keys = keys
        self._state = state
        self._maxlen = stream_maxlen
        self._max_pending = max_pending
        self._backoff_max = backoff_max
        self._pending: list[list[Any]] = []
        self._dirty = True  # the first write is always a full snapshot
        self._seq = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.healthy = False
        self.batches_written = 0
        self.resets_written = 0
        self.last_error = ""

    # -------------------------------------------------------------- producer side
    def submit(self, changes: list[Change | Reset]) -> None:
        """Queue changes; never blocks. A Reset or an overflow turns into a full rewrite."""
        if not changes:
            return
        for change in changes:
            if isinstance(change, Reset):
                self._dirty = True
                self._pending.clear()
            elif not self._dirty:
                self._pending.append([change.entity, change.key, change.value])
        if len(self._pending) > self._max_pending:
            log.warning("mirror.pending_overflow", pending=len(self._pending))
            self._pending.clear()
            self._dirty = True
        self._idle.clear()
        self._wake.set()

    def mark_dirty(self) -> None:
        """Ask for a full snapshot rewrite (e.g. after the model was reset)."""
        self._dirty = True
        self._pending.clear()
        self._idle.clear()
        self._wake.set()

    async def flushed(self, timeout: float = 10.0) -> None:
        """Wait until everything submitted so far is in Redis (tests, shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    @property
    def pending(self) -> int:
        return len(self._pending)

    # -------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mirror-writer")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        delay = 0.1
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while self._dirty or self._pending:
                    if self._dirty:
                        await self._write_reset()
                    else:
                        await self._write_batch()
                self.healthy = True
                delay = 0.1
                self._idle.set()
            except (RedisError, OSError) as exc:
                if self.healthy or self.last_error != str(exc):
                    log.error("mirror.redis_unavailable", error=str(exc))
                self.healthy = False
                self.last_error = str(exc)
                self._dirty = True
                self._pending.clear()
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(self._backoff_max, delay * 2)
                self._wake.set()

    async def _next_seq(self) -> int:
        if not self.healthy:
            stored = await self._redis.hget(self._keys.meta, "seq")
            self._seq = max(self._seq, int(stored or 0))
        self._seq += 1
        return self._seq

    async def _write_batch(self) -> None:
        batch, self._pending = self._pending, []
        seq = await self._next_seq()
        pipe = self._redis.pipeline(transaction=True)
        # Each value is encoded once and reused in the stream entry (this is the hot path).
        entries: list[str] = []
        for entity, key, value in batch:
            name = self._keys.entity(entity)
            head = f"[{_dumps(entity)},{_dumps(key)},"
            if value is None:
                pipe.hdel(name, key)
                entries.append(head + "null]")
            else:
                encoded = _dumps(value)
                pipe.hset(name, key, encoded)
                entries.append(head + encoded + "]")
        pipe.xadd(
            self._keys.changes,
            {"seq": seq, "changes": "[" + ",".join(entries) + "]"},
            maxlen=self._maxlen,
            approximate=True,
        )
        pipe.hset(self._keys.meta, "seq", seq)
        await pipe.execute()
        self.batches_written += 1

    async def _write_reset(self) -> None:
        self._dirty = False
        self._pending.clear()
        state = self._state()
        seq = await self._next_seq()
        pipe = self._redis.pipeline(transaction=True)
        for entity in ENTITIES:
            name = self._keys.entity(entity)
            pipe.delete(name)
            items = state.get(entity, {})
            if items:
                pipe.hset(
                    name,
                    mapping={k: _dumps(v) for k, v in items.items()},
                )
        pipe.xadd(
            self._keys.changes, {"seq": seq, "reset": "1"}, maxlen=self._maxlen, approximate=True
        )
        pipe.hset(self._keys.meta, mapping={"seq": seq, "synced_at": time.time()})
        await pipe.execute()
        self.resets_written += 1
        log.info("mirror.snapshot_written", seq=seq, **{e: len(state.get(e, {})) for e in ENTITIES})


@dataclass(slots=True)
class MirrorSnapshot:
    state: dict[Entity, dict[str, dict[str, Any]]]
    seq: int
    stream_id: str


class MirrorReader:
    """A consistent snapshot, then every change after it (what a dashboard needs)."""

    def __init__(self, client: aioredis.Redis, keys: RedisKeys) -> None:
        self._redis = client
        self._keys = keys

    async def snapshot(self) -> MirrorSnapshot:
        pipe = self._redis.pipeline(transaction=True)
        for entity in ENTITIES:
            pipe.hgetall(self._keys.entity(entity))
        pipe.xrevrange(self._keys.changes, count=1)
        pipe.hget(self._keys.meta, "seq")
        *hashes, last, seq = await pipe.execute()
        state: dict[Entity, dict[str, dict[str, Any]]] = {
            entity: {_s(k): json.loads(v) for k, v in raw.items()}
            for entity, raw in zip(ENTITIES, hashes, strict=True)
        }
        stream_id = _s(last[0][0]) if last else "0-0"
        return MirrorSnapshot(state, int(seq or 0), stream_id)

    async def follow(
        self, snap: MirrorSnapshot, block_ms: int = 5000
    ) -> AsyncIterator[MirrorSnapshot | list[list[Any]]]:
        """Yield change batches after ``snap``; a new MirrorSnapshot when a reset or gap occurs."""
        last_id, seq = snap.stream_id, snap.seq
        while True:
            reply: Any = await self._redis.xread({self._keys.changes: last_id}, block=block_ms)
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    last_id = _s(entry_id)
                    data = {_s(k): _s(v) for k, v in fields.items()}
                    entry_seq = int(data.get("seq", 0))
                    if "reset" in data or entry_seq != seq + 1:
                        fresh = await self.snapshot()
                        last_id, seq = fresh.stream_id, fresh.seq
                        yield fresh
                        break
                    seq = entry_seq
                    yield json.loads(data["changes"])
                else:
                    continue
                break


def apply_batch(state: dict[Entity, dict[str, dict[str, Any]]], batch: list[list[Any]]) -> None:
    """Apply one stream batch to a snapshot's state, as a dashboard does."""
    for entity, key, value in batch:
        table = state.setdefault(entity, {})
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
