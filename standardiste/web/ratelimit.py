"""Log-in rate limiting in Redis: per user name and address, per account, per address.

Three fixed windows (``web.login_window`` seconds from the first counted attempt), each with
its limit:

- **user name + address** (``web.login_max_failures``): what someone mistyping sees;
- **account**, from any address (``web.login_max_failures_per_account``): many addresses
  cannot brute-force one account;
- **address**, for any account (``web.login_max_failures_per_address``, higher): one address
  cannot spray every account, while an office behind one NAT address is not locked out by
  one person's typos.

An attempt is counted *before* its password is checked, in one Lua script that checks the
three limits and increments the three counters atomically: thirty concurrent guesses cannot
all pass a check that none of them has counted yet (the limiter used to read, check the
password, then count). A right password refunds its own attempt; a wrong one leaves it
counted. While a limit is reached, even the right password is refused: otherwise a guesser
learns when they hit it.

The address is the peer's, or, when the peer is one of ``web.trusted_proxies``, the first
address of ``X-Forwarded-For`` (read from the right) that is not a trusted proxy: a client
cannot pick its own address by sending the header.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import redis.asyncio as aioredis
from aiohttp import web

from standardiste.redis_keys import RedisKeys
from standardiste.web.errors import RateLimited

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# KEYS: pair, account, address. ARGV: their three limits, then the window in seconds.
# Returns 0 (counted) or the seconds until the first exceeded window ends (not counted).
_ATTEMPT = """
local wait = 0
for i = 1, 3 do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= tonumber(ARGV[i]) then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl < 1 then ttl = 1 end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i = 1, 3 do
  redis.call('INCR', KEYS[i])
  if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ARGV[4]) end
end
return 0
"""

# KEYS: pair, account, address. A right password: the pair starts afresh, the shared
# counters only lose this attempt (other people's failures stay counted).
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
for i = 2, 3 do
  if redis.call('DECR', KEYS[i]) <= 0 then redis.call('DEL', KEYS[i]) end
end
return 0
"""


class LoginLimiter:
    def __init__(
        self,
        client: aioredis.Redis,
        keys: RedisKeys,
        *,
        max_failures: int,
        window: int,
        max_per_account: int = 20,
        max_per_address: int = 50,
        trusted_proxies: Sequence[Network] = (),
    ) -> None:
        self._redis = client
        self._keys = keys
        self._limits = (max_failures, max_per_account, max_per_address)
        self._window = window
        self._trusted = tuple(trusted_proxies)
        self._attempt = client.register_script(_ATTEMPT)
        self._succeeded = client.register_script(_SUCCEEDED)

    def _keys_of(self, username: str, address: str) -> list[str]:
        return [
            self._keys.login_failures(username, address),
            self._keys.login_failures_account(username),
            self._keys.login_failures_address(address),
        ]

    async def attempt(self, username: str, address: str) -> None:
        """Count this attempt, or raise RateLimited (uncounted) while a limit is reached."""
        wait = await self._attempt(
            keys=self._keys_of(username, address), args=[*self._limits, self._window]
        )
        if int(wait) > 0:
            raise RateLimited("too many failed log-ins; try again later", retry_after=int(wait))

    async def succeeded(self, username: str, address: str) -> None:
        """The password was right: this attempt was no failure."""
        await self._succeeded(keys=self._keys_of(username, address))

    def address(self, request: web.Request) -> str:
        """The client's address: the peer's, or what trusted proxies say it is."""
        peer = request.remote or ""
        hops = [
            h.strip() for v in request.headers.getall("X-Forwarded-For", []) for h in v.split(",")
        ]
        current = peer
        while hops and self._is_trusted(current):
            hop = hops.pop()
            if _ip(hop) is None:
                break  # a malformed entry: keep the last address a trusted proxy vouched for
            current = hop
        return current

    def _is_trusted(self, address: str) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in net for net in self._trusted)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
