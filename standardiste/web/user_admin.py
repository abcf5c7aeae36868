"""Account administration from the command line: ``standardiste user add|disable|enable|password``.

The first admin of a real deployment is created here, without the demo. Changing a password
or disabling an account ends every session of that user, in every web process (through
Redis, see :mod:`web.sessions`), and so closes their websockets.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import create_async_engine

from standardiste.accounts import Accounts, User
from standardiste.config import Settings
from standardiste.history.migrate import upgrade
from standardiste.redis_keys import RedisKeys
from standardiste.web.errors import Unavailable
from standardiste.web.sessions import SessionStore


class SessionsNotEnded(Unavailable):
    """The account was changed but Redis was unreachable: sessions end on their next request.

    A kind of ``Unavailable`` (same code and status), named for the CLI's message."""


@dataclass(frozen=True, slots=True)
class Outcome:
    user: User
    generated_password: str | None = None  # shown once, never stored in clear
    sessions_ended: int = 0


def new_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, 120 bits


@asynccontextmanager
async def _accounts(settings: Settings) -> AsyncIterator[Accounts]:
    await upgrade(settings.database.url)  # a fresh deployment needs no separate step
    engine = create_async_engine(settings.database.url)
    try:
        yield Accounts(engine)
    finally:
        await engine.dispose()


async def add_user(
    settings: Settings,
    username: str,
    *,
    role: str,
    password: str | None = None,
    display_name: str = "",
    email: str = "",
    devices: Sequence[str] = (),
    queues: Mapping[str, str] | None = None,
) -> Outcome:
    generated = new_password() if not password else None
    async with _accounts(settings) as accounts:
        user = await accounts.create_user(
            username,
            password or generated or "",
            display_name=display_name,
            email=email,
            role=role,
            devices=devices,
            queues=queues,
        )
    return Outcome(user, generated)


async def set_password(settings: Settings, username: str, password: str | None) -> Outcome:
    generated = new_password() if not password else None
    async with _accounts(settings) as accounts:
        user = await accounts.update_user(username, password=password or generated)
    return Outcome(user, generated, await _end_sessions(settings, username))


async def set_disabled(settings: Settings, username: str, disabled: bool) -> Outcome:
    async with _accounts(settings) as accounts:
        user = await accounts.set_disabled(username, disabled)
    ended = await _end_sessions(settings, username) if disabled else 0
    return Outcome(user, sessions_ended=ended)


async def _end_sessions(settings: Settings, username: str) -> int:
    client = aioredis.Redis.from_url(settings.redis.url)
    store = SessionStore(
        client,
        RedisKeys(settings.redis.prefix),
        max_age=settings.web.session_max_age,
    )
    try:
        return await store.end_user(username)
    except (RedisError, OSError) as exc:
        raise SessionsNotEnded(
            f"the account is changed, but Redis is unreachable ({exc}): open sessions end at "
            "their next request, open websockets at their next subscription"
        ) from None
    finally:
        await client.aclose()


def parse_queues(values: Sequence[str]) -> dict[str, str]:
    """``["sales", "support:supervisor"]`` -> ``{"sales": "agent", "support": "supervisor"}``."""
    queues: dict[str, str] = {}
    for value in values:
        name, _, role = value.partition(":")
        queues[name] = role or "agent"
    return queues


__all__ = [
    "Outcome",
    "SessionsNotEnded",
    "add_user",
    "new_password",
    "parse_queues",
    "set_disabled",
    "set_password",
]
