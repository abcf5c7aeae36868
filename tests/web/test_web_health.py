"""/healthz, /readyz, and what a dead Redis looks like to a user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestServer
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy.ext.asyncio import AsyncEngine
from web_helpers import FAST_HASHER, Browser, Clock, FakeAgents, Knobs, error_code

from standardiste.config import ConfigError, Settings, load
from standardiste.redis_keys import RedisKeys
from standardiste.web.app import init_app
from standardiste.web.deps import Health, WebDeps


async def test_healthz_says_alive(browser: Callable[[], Browser]) -> None:
    resp = await browser().get("/healthz")
    assert (resp.status, await resp.json()) == (200, {"status": "alive"})


async def test_readyz_when_everything_is_up(browser: Callable[[], Browser]) -> None:
    resp = await browser().get("/readyz")
    assert resp.status == 200
    assert await resp.json() == {
        "ready": True,
        "checks": {"ami": True, "redis": True, "database": True},
        "figures": {},
    }


async def test_readyz_names_what_is_down(browser: Callable[[], Browser], knobs: Knobs) -> None:
    knobs.health = Health(ami=False, redis=True, database=True)
    resp = await browser().get("/readyz")
    assert resp.status == 503
    assert (await resp.json())["checks"] == {"ami": False, "redis": True, "database": True}
    knobs.health = Health(ami=True, redis=True, database=False)
    assert (await (await browser().get("/readyz")).json())["checks"]["database"] is False


@pytest.fixture
async def dead_redis_server(
    engine: AsyncEngine, keys: RedisKeys, knobs: Knobs
) -> AsyncIterator[TestServer]:
    """The app with a Redis client pointing where nothing listens."""
    dead = aioredis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    deps = WebDeps(
        settings=Settings(),
        redis=dead,
        keys=keys,
        engine=engine,
        agents=FakeAgents(),
        readiness=_all_up,
        web=knobs.web,
        hasher=FAST_HASHER,
        clock=Clock(),
    )
    async with TestServer(init_app(deps)) as srv:
        yield srv
    await dead.aclose()


async def _all_up() -> Health:
    return Health(ami=True, redis=True, database=True)


async def test_redis_down(dead_redis_server: TestServer, accounts: object) -> None:
    b = Browser(dead_redis_server)
    try:
        # The log-in rate limit lives in Redis: without it, refuse rather than let guesses in.
        assert await error_code(await b.login("sue")) == (503, "unavailable")
        ready = await b.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["checks"]["redis"] is False
    finally:
        await b.close()


def test_the_web_reads_one_settings_tree() -> None:
    """REVIEW: config.WebSettings and web/settings.WebAppSettings were two trees."""
    env = {
        "STANDARDISTE_WEB_PORT": "8443",
        "STANDARDISTE_WEB_COOKIE_NAME": "cc_session",
        "STANDARDISTE_WEB_COOKIE_SECURE": "true",
        "STANDARDISTE_WEB_ALLOWED_ORIGINS": "https://cc.example.org, https://cc2.example.org",
        "STANDARDISTE_WEB_WS_BUFFER": "10",
    }
    web_settings = load(env=env).web
    assert (web_settings.port, web_settings.cookie_name, web_settings.cookie_secure) == (
        8443,
        "cc_session",
        True,
    )
    assert web_settings.origins == ("https://cc.example.org", "https://cc2.example.org")
    assert web_settings.ws_buffer == 10
    with pytest.raises(ConfigError, match="allowed_origins"):
        load(env={"STANDARDISTE_WEB_ALLOWED_ORIGINS": "evil.example"})
    with pytest.raises(ConfigError, match="ws_buffer"):
        load(env={"STANDARDISTE_WEB_WS_BUFFER": "1"})


async def test_a_readiness_source_that_never_answers_is_not_ready(
    engine: AsyncEngine, keys: RedisKeys, knobs: Knobs, redis_client: aioredis.Redis
) -> None:
    """A Redis that accepts but never answers (the bridge's status lives there) must give a
    503, not a health check that hangs."""

    async def never() -> Health:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    deps = WebDeps(
        settings=Settings(),
        redis=redis_client,
        keys=keys,
        engine=engine,
        agents=FakeAgents(),
        readiness=never,
        web=knobs.web,
        hasher=FAST_HASHER,
        clock=Clock(),
    )
    async with TestServer(init_app(deps)) as srv:
        b = Browser(srv)
        try:
            resp = await b.get("/readyz")
            assert resp.status == 503
            assert (await resp.json())["checks"]["ami"] is False
        finally:
            await b.close()
