"""The configuration a web process reads on every request — the permission matrix, the
pause reasons, the queues' metric settings — cached until the configuration changes.

Each read costs one Redis ``GET`` of ``config:version`` (incremented by whoever changes the
configuration, :meth:`ConfigView.changed`); the SQL is read again only when it moved, so a
permission taken from a role is enforced on the next request of every web process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import redis.asyncio as aioredis

from standardiste.acd.metrics import QueueSettings
from standardiste.pbx.definitions import PauseReason
from standardiste.pbx.store import ConfigStore
from standardiste.redis_keys import RedisKeys
from standardiste.role_permissions import Matrix


@dataclass(frozen=True, slots=True)
class _Cached:
    version: object
    matrix: Matrix
    reasons: tuple[PauseReason, ...]
    queues: dict[str, QueueSettings]


class ConfigView:
    def __init__(self, store: ConfigStore, redis: aioredis.Redis, keys: RedisKeys) -> None:
        self.store = store
        self._redis = redis
        self._keys = keys
        self._cached: _Cached | None = None
        self._lock = asyncio.Lock()

    async def _current(self) -> _Cached:
        version = await self._redis.get(self._keys.config_version)
        cached = self._cached
        if cached is not None and cached.version == version:
            return cached
        async with self._lock:
            if self._cached is not None and self._cached.version == version:
                return self._cached
            fresh = _Cached(
                version,
                await self.store.matrix(),
                tuple(await self.store.pause_reasons()),
                {q.name: q.metric_settings() for q in await self.store.queues()},
            )
            self._cached = fresh
            return fresh

    async def matrix(self) -> Matrix:
        return (await self._current()).matrix

    async def pause_reasons(self, *, active_only: bool = True) -> list[PauseReason]:
        reasons = (await self._current()).reasons
        return [r for r in reasons if r.active or not active_only]

    async def queue_settings(self) -> dict[str, QueueSettings]:
        """The metric settings of the queues created in the admin (others: defaults)."""
        return (await self._current()).queues

    async def changed(self) -> None:
        """After a change: every web process re-reads on its next request."""
        await self._redis.incr(self._keys.config_version)
        self._cached = None


__all__ = ["ConfigView"]
