"""The bridge's figures in Redis, for web processes that run elsewhere.

The bridge writes its measured figures (AMI up, event queue depth, resyncs, commands, ...)
and ``alive_at`` every ``interval`` seconds into one hash with a short TTL. A web process
reads it for ``/readyz`` and ``/metrics``: a bridge that stopped writing is a bridge that is
down, whatever its last figures said.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from standardiste.redis_keys import RedisKeys

STALE_AFTER = 5.0  # seconds without a write before the bridge counts as down


class StatusPublisher:
    def __init__(
        self,
        redis: aioredis.Redis,
        keys: RedisKeys,
        figures: Callable[[], dict[str, Any]],
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._figures = figures
        self._interval = interval
        self._clock = clock

    async def publish_once(self) -> None:
        key = self._keys.bridge
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={"figures": json.dumps(self._figures()), "alive_at": repr(self._clock())},
            )
            pipe.expire(key, int(STALE_AFTER * 4))
            await pipe.execute()

    async def withdraw(self) -> None:
        """A bridge that stops says so at once, rather than after STALE_AFTER seconds."""
        await self._redis.delete(self._keys.bridge)

    async def run(self) -> None:
        """Publish until cancelled; Redis errors propagate (the supervisor restarts it)."""
        while True:
            await self.publish_once()
            await asyncio.sleep(self._interval)


@dataclass(frozen=True, slots=True)
class BridgeStatus:
    alive: bool  # written within STALE_AFTER seconds
    figures: dict[str, Any]

    @property
    def ami_connected(self) -> bool:
        return self.alive and bool(self.figures.get("ami_connected"))

    @property
    def history_healthy(self) -> bool:
        return self.alive and bool(self.figures.get("history_healthy"))

    @property
    def mirror_healthy(self) -> bool:
        return self.alive and bool(self.figures.get("mirror_healthy"))


async def read_status(
    redis: aioredis.Redis, keys: RedisKeys, *, clock: Callable[[], float] = time.time
) -> BridgeStatus:
    raw = await redis.hgetall(keys.bridge)
    data = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in raw.items()
    }
    try:
        alive_at = float(data.get("alive_at", "0"))
        figures = json.loads(data.get("figures", "{}"))
    except ValueError:
        return BridgeStatus(False, {})
    if not isinstance(figures, dict):
        return BridgeStatus(False, {})
    return BridgeStatus(clock() - alive_at <= STALE_AFTER, figures)
