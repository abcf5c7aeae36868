"""Serving the app for the web process's composition root (``web.process``)::

    async with serve(init_app(deps), settings.web.host, settings.web.port):
        await stop.wait()

On exit the sites stop accepting, websockets are closed (``on_shutdown``), handlers get
``shutdown_timeout`` seconds to finish, then the app's cleanup contexts run (the live
follower and the ended-sessions watcher are cancelled and awaited).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


@asynccontextmanager
async def serve(
    app: web.Application, host: str, port: int, *, shutdown_timeout: float = 5.0
) -> AsyncIterator[web.AppRunner]:
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield runner
    finally:
        await runner.cleanup()
