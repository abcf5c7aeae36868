"""The composition root of the web process (``standardiste web``).

Builds, by hand and once: the Redis client (mirror reader, command bus, sessions, limiter),
the SQL engine (accounts and the history figures of the pages), the command client that
sends agent actions to the bridge, the readiness probe, and the app. Nothing here talks to
Asterisk: a web process can run on any host that reaches Redis and the database, as many
of them as wanted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from standardiste.command_bus import CommandClient
from standardiste.config import Settings, WebSettings
from standardiste.history.urls import async_url
from standardiste.redis_keys import RedisKeys
from standardiste.web.app import init_app
from standardiste.web.deps import (
    RemoteAgentActions,
    RemoteCallCommands,
    RemoteConfigCommands,
    RemoteDialerCommands,
    WebDeps,
    bridge_readiness,
)
from standardiste.web.serve import serve


def web_deps(
    settings: Settings,
    redis: aioredis.Redis,
    engine: AsyncEngine,
    *,
    web: WebSettings | None = None,
) -> WebDeps:
    """The web's dependencies over a Redis client and a database engine the caller owns."""
    keys = RedisKeys(settings.redis.prefix)
    commands = CommandClient(redis, keys, timeout=settings.web.command_timeout)
    return WebDeps(
        settings=settings,
        redis=redis,
        keys=keys,
        engine=engine,
        agents=RemoteAgentActions(commands),
        config=RemoteConfigCommands(commands),
        calls=RemoteCallCommands(commands),
        dialer=RemoteDialerCommands(commands),
        readiness=bridge_readiness(redis, keys),
        web=web,
    )


@asynccontextmanager
async def web_from_settings(
    settings: Settings, *, shutdown_timeout: float = 5.0
) -> AsyncIterator[str]:
    """Serve the web app on ``web.host``:``web.port`` until exit; yields its URL."""
    redis = aioredis.Redis.from_url(
        settings.redis.url, socket_timeout=15.0, socket_connect_timeout=5.0
    )
    engine = create_async_engine(async_url(settings.database.url), pool_pre_ping=True)
    try:
        app = init_app(web_deps(settings, redis, engine))
        async with serve(
            app, settings.web.host, settings.web.port, shutdown_timeout=shutdown_timeout
        ):
            host = "127.0.0.1" if settings.web.host in ("0.0.0.0", "") else settings.web.host
            yield f"http://{host}:{settings.web.port}/"
    finally:
        await engine.dispose()
        await redis.aclose()
