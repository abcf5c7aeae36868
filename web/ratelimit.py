"""Log-in rate limiting: at most N failures per user name and address per window, in Redis.

A fixed window that starts at the first failure: ``INCR`` then ``EXPIRE ... NX`` in one
transaction, so concurrent failures count exactly and the window is never extended by later
ones. Redis (not process memory) so the count survives a restart and is shared by every web
process. While the limit is reached, even the right password is refused: otherwise a guesser
learns when they hit it.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from standardiste.redis_keys import RedisKeys
from web.errors import RateLimited


class LoginLimiter:
    def __init__(
        self, client: aioredis.Redis, keys: RedisKeys, *, max_failures: int, window: int
    ) -> None:
        self._redis = client
        self._keys = keys
        self._max = max_failures
        self._window = window

    async def check(self, username: str, address: str) -> None:
        """RateLimited if this user name has failed too often from this address lately."""
        key = self._keys.login_failures(username, address)
        pipe = self._redis.pipeline(transaction=True)
        pipe.get(key)
        pipe.ttl(key)
        count, ttl = await pipe.execute()
        if count is not None and int(count) >= self._max:
            raise RateLimited(
                "too many failed log-ins; try again later", retry_after=max(1, int(ttl))
            )

    async def failed(self, username: str, address: str) -> None:
        key = self._keys.login_failures(username, address)
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, self._window, nx=True)
        await pipe.execute()

    async def succeeded(self, username: str, address: str) -> None:
        await self._redis.delete(self._keys.login_failures(username, address))
