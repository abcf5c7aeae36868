"""The CSV imports running in this web process: each a task the app owns (started by the
upload, cancelled and awaited when the app stops — the import then reads as interrupted,
nothing imported: :mod:`standardiste.outbound.imports`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import structlog
from aiohttp import web

from standardiste.outbound.csv_import import Table
from standardiste.outbound.imports import ImportStore, run_import
from standardiste.outbound.store import Campaign, CampaignStore
from standardiste.web.appkeys import IMPORT_RUNNER

log = structlog.get_logger(__name__)


class ImportRunner:
    def __init__(self, store: CampaignStore, imports: ImportStore) -> None:
        self.store = store
        self.imports = imports
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, campaign: Campaign, table: Table, filename: str, actor: str) -> int:
        """Records the import (running, 0 of N rows) and starts it; returns its id."""
        import_id = await self.imports.start(campaign, filename, actor, table.total)
        task = asyncio.create_task(
            run_import(self.store, self.imports, import_id, campaign, table, actor),
            name=f"contact-import-{import_id}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        log.info("import.started", import_id=import_id, campaign=campaign.name, rows=table.total)
        return import_id

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def stop_imports(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the imports still running are cancelled (and say so) when the app stops."""
    yield
    await app[IMPORT_RUNNER].aclose()


__all__ = ["ImportRunner", "stop_imports"]
