"""``/healthz`` (the process answers) and ``/readyz`` (it can do its job: AMI, Redis, DB)."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.web.appkeys import DEPS
from standardiste.web.deps import Health
from standardiste.web.endpoint import respond
from standardiste.web.schemas import Alive, Checks, Readiness

PROBE_TIMEOUT = 2.0


async def healthz(request: web.Request) -> web.Response:
    return respond(request, Alive(status="alive"))


async def readyz(request: web.Request) -> web.Response:
    """200 only when AMI, Redis and the database are all up; the body says which is not.

    Redis and the database count as up when the bridge's last writes to them succeeded
    *and* the web's own probe answers now; AMI when the bridge published, within the last
    seconds, that its AMI session is logged in.
    """
    deps = request.app[DEPS]
    try:
        # Bounded like the probes below: a Redis that accepts but never answers must not
        # hold a health check (and the load balancer asking it) forever.
        async with asyncio.timeout(PROBE_TIMEOUT):
            health = await deps.readiness()
    except (RedisError, OSError, TimeoutError):
        health = Health(ami=False, redis=False, database=False)
    checks = Checks(
        ami=health.ami,
        redis=health.redis and await _redis_answers(deps.redis),
        database=health.database and await _database_answers(deps.engine),
    )
    ready = checks.ami and checks.redis and checks.database
    body = Readiness(ready=ready, checks=checks, figures=health.figures)
    return respond(request, body, status=200 if ready else 503)


async def _redis_answers(client: aioredis.Redis) -> bool:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await client.ping()
        return True
    except (RedisError, OSError, TimeoutError):
        return False


async def _database_answers(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except (SQLAlchemyError, OSError, TimeoutError):
        return False
