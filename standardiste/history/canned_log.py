"""Reading the audit of canned audio messages played into calls (table canned_log, written
by the history sink from the model's CannedLogged records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.history.models import CannedLogRow


@dataclass(frozen=True, slots=True)
class CannedLogEntry:
    id: int
    at: datetime
    session: str
    event: str  # start | end
    message: int
    name: str
    by: str
    agent: str
    queue: str
    stopped_by: str


async def canned_log(
    engine: AsyncEngine, *, limit: int = 100, before_id: int | None = None
) -> list[CannedLogEntry]:
    """Newest first; ``before_id`` pages to older entries."""
    query = select(CannedLogRow).order_by(CannedLogRow.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(CannedLogRow.id < before_id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        CannedLogEntry(
            r.id,
            r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC),
            r.session,
            r.event,
            r.message,
            r.name,
            r.by,
            r.agent,
            r.queue,
            r.stopped_by,
        )
        for r in rows
    ]
