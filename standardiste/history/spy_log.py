"""Reading the audit of supervisors' listen / whisper / barge sessions (table spy_log, written
by the history sink from the model's SpyLogged records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.history.models import SpyLogRow


@dataclass(frozen=True, slots=True)
class SpyLogEntry:
    id: int
    at: datetime
    session: str
    event: str  # start | mode | end
    supervisor: str
    device: str
    agent: str
    queue: str
    mode: str


async def spy_log(
    engine: AsyncEngine, *, limit: int = 100, before_id: int | None = None
) -> list[SpyLogEntry]:
    """Newest first; ``before_id`` pages to older entries."""
    query = select(SpyLogRow).order_by(SpyLogRow.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(SpyLogRow.id < before_id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        SpyLogEntry(
            r.id,
            r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC),
            r.session,
            r.event,
            r.supervisor,
            r.device,
            r.agent,
            r.queue,
            r.mode,
        )
        for r in rows
    ]
