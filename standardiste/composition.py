"""Composition roots: build the objects of a process from its settings, by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis

from standardiste.bridge import Bridge
from standardiste.config import Settings
from standardiste.history.buffer import DiskBuffer
from standardiste.history.migrate import upgrade
from standardiste.history.sink import HistorySink
from standardiste.history.writer import HistoryStore


@asynccontextmanager
async def bridge_from_settings(
    settings: Settings, *, migrate: bool = True
) -> AsyncIterator[Bridge]:
    """A started Bridge; stopped, drained and closed on exit."""
    db = settings.database
    if migrate:
        await upgrade(db.url)
    store = HistoryStore(db.url)
    sink = HistorySink(store, DiskBuffer(db.buffer_path, db.buffer_max_bytes))
    # Longer than the 5 s XREAD BLOCK of the mirror's readers, so a quiet stream is not taken
    # for a dead Redis; short enough that a dead one is noticed.
    client = aioredis.Redis.from_url(
        settings.redis.url, socket_timeout=15.0, socket_connect_timeout=5.0
    )
    bridge = Bridge(settings, redis_client=client, history=sink)
    try:
        await bridge.start()
        yield bridge
    finally:
        await bridge.aclose()
        await store.aclose()
        await client.aclose()
