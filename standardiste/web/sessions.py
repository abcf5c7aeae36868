"""Server-side sessions in Redis: the cookie holds only a random id.

A session is a Redis hash (``RedisKeys.web_session``) keyed by the SHA-256 of the cookie's
token — a copy of Redis does not yield usable cookies — holding the user name, the CSRF
token, the credentials version of the log-in, and the creation and expiry times; Redis
expires it with the session. Each user has an index of their session ids
(``RedisKeys.web_user_sessions``), so that a disabled account or a changed password ends
all of them at once, from any process (the ``standardiste user`` command included).

Ending sessions is announced on a Redis Stream (``RedisKeys.web_sessions_ended``, trimmed to
about ``ANNOUNCEMENTS_KEPT`` entries): every web process, on any host, follows it with a
blocking ``XREAD`` and closes the websockets of those sessions at once. A Stream rather than
pub/sub: a reader that reconnects misses nothing it had not read (and blocking reads cancel
cleanly). When a reader starts (or restarts after losing Redis) it is first told to check
each open websocket's session (:class:`Ended` with ``resubscribed``), so nothing ended while
it was away stays open.

No aiohttp here: the command line uses this module too.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from standardiste.redis_keys import RedisKeys

ANNOUNCEMENTS_KEPT = 1000

# SMEMBERS then DEL of each session, atomically: a session cannot escape between the two.
_END_USER = """
local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do redis.call('DEL', ARGV[1] .. id) end
redis.call('DEL', KEYS[1])
return ids
"""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str  # the SHA-256 of the cookie's token: what Redis and the announcements name
    username: str
    csrf: str
    credentials_version: str
    created_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class Ended:
    """An announcement: these sessions (or all of ``username``'s) have ended."""

    sessions: frozenset[str] = frozenset()
    username: str = ""
    # Not an announcement: the listener (re)subscribed and may have missed some.
    resubscribed: bool = False


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(
        self,
        client: aioredis.Redis,
        keys: RedisKeys,
        *,
        max_age: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = client
        self._keys = keys
        self._max_age = max_age
        self._clock = clock
        self._end_user = client.register_script(_END_USER)

    async def create(self, username: str, credentials_version: str) -> tuple[str, SessionRecord]:
        """A new session: the token for the cookie, and the record."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        record = SessionRecord(
            id=session_id(token),
            username=username,
            csrf=secrets.token_urlsafe(32),
            credentials_version=credentials_version,
            created_at=now,
            expires_at=now + self._max_age,
        )
        key = self._keys.web_session(record.id)
        index = self._keys.web_user_sessions(username)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(
            key,
            mapping={
                "user": username,
                "csrf": record.csrf,
                "cv": credentials_version,
                "created": repr(now),
                "expires": repr(record.expires_at),
            },
        )
        pipe.expire(key, self._max_age)
        pipe.sadd(index, record.id)
        pipe.expire(index, self._max_age)  # the index lives as long as its newest session
        await pipe.execute()
        return token, record

    async def load(self, token: str) -> SessionRecord | None:
        """The session of a cookie's token; None when unknown, ended or expired."""
        if not token or len(token) > 128:
            return None
        return await self.get(session_id(token))

    async def get(self, sid: str) -> SessionRecord | None:
        raw = await self._redis.hgetall(self._keys.web_session(sid))
        if not raw:
            return None
        data = {_text(k): _text(v) for k, v in raw.items()}
        try:
            record = SessionRecord(
                id=sid,
                username=data["user"],
                csrf=data["csrf"],
                credentials_version=data["cv"],
                created_at=float(data["created"]),
                expires_at=float(data["expires"]),
            )
        except (KeyError, ValueError):
            return None
        return record if record.expires_at > self._clock() else None

    async def alive(self, sids: Iterable[str]) -> dict[str, bool]:
        """Which of these sessions still exist (one round trip)."""
        wanted = list(sids)
        if not wanted:
            return {}
        pipe = self._redis.pipeline(transaction=False)
        for sid in wanted:
            pipe.exists(self._keys.web_session(sid))
        return {sid: bool(n) for sid, n in zip(wanted, await pipe.execute(), strict=True)}

    async def end(self, record: SessionRecord) -> None:
        """Log-out: this session only."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._keys.web_session(record.id))
        pipe.srem(self._keys.web_user_sessions(record.username), record.id)
        await pipe.execute()
        await self._announce(Ended(sessions=frozenset({record.id})))

    async def end_user(self, username: str) -> int:
        """Every session of ``username`` (disabled, password changed): how many there were."""
        ids = await self._end_user(
            keys=[self._keys.web_user_sessions(username)], args=[self._keys.web_session("")]
        )
        sessions = frozenset(i.decode() if isinstance(i, bytes) else str(i) for i in ids)
        await self._announce(Ended(sessions=sessions, username=username))
        return len(sessions)

    async def _announce(self, ended: Ended) -> None:
        fields: dict[Any, Any] = {
            "sessions": json.dumps(sorted(ended.sessions)),
            "user": ended.username,
        }
        await self._redis.xadd(
            self._keys.web_sessions_ended, fields, maxlen=ANNOUNCEMENTS_KEPT, approximate=True
        )

    async def announcements(self, block_ms: int = 5000) -> AsyncGenerator[Ended, None]:
        """Ended sessions as announced from now on, after ``Ended(resubscribed=True)``:
        the caller then checks every session it holds (some may have ended before). Raises
        RedisError/OSError when Redis is lost: call again."""
        key = self._keys.web_sessions_ended
        newest: Any = await self._redis.xrevrange(key, count=1)
        last: Any = newest[0][0] if newest else "0-0"
        yield Ended(resubscribed=True)
        while True:
            reply: Any = await self._redis.xread({key: last}, block=block_ms, count=100)
            for _stream, entries in reply or ():
                for entry_id, fields in entries:
                    last = entry_id
                    ended = _parse_announcement(fields)
                    if ended is not None:
                        yield ended


def _parse_announcement(fields: Mapping[Any, Any]) -> Ended | None:
    try:
        sessions = json.loads(fields[b"sessions"])
        return Ended(frozenset(map(str, sessions)), _text(fields.get(b"user", b"")))
    except (KeyError, ValueError, TypeError):
        return None


__all__ = ["Ended", "SessionRecord", "SessionStore", "session_id"]
