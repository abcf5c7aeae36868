"""The calls of a queue, as the history holds them (the supervisor's list of recent calls,
with their recordings), and the queues one call went through.

Read-only queries over ``queue_calls``; a day is the caller's time of entry within the day's
bounds (``activity.day_bounds``: UTC instants, the same SQL on both dialects), on the
``(queue, entered_at)`` index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Executable, RowMapping, select
from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.history.activity import Window
from standardiste.history.models import QueueCall

_QC = QueueCall.__table__.c


@dataclass(frozen=True, slots=True)
class CallEntry:
    """One caller's passage through one queue (a ``queue_calls`` row)."""

    uniqueid: str  # the caller channel's: the call's id, and its recording's name
    queue: str
    caller_number: str
    caller_name: str
    entered_at: datetime | None
    answered_at: datetime | None
    agent: str | None  # the member interface that answered
    member_name: str | None
    wait: float | None
    outcome: str | None  # None: still waiting (or its end is not known yet)
    talk: float | None
    hold: float | None
    ended_by: str | None
    completed_at: datetime | None


_COLUMNS = (
    _QC.uniqueid,
    _QC.queue,
    _QC.caller_number,
    _QC.caller_name,
    _QC.entered_at,
    _QC.answered_at,
    _QC.agent,
    _QC.member_name,
    _QC.wait,
    _QC.outcome,
    _QC.talk,
    _QC.hold,
    _QC.ended_by,
    _QC.completed_at,
)


async def _rows(engine: AsyncEngine, query: Executable) -> list[RowMapping]:
    async with engine.connect() as conn:
        return list((await conn.execute(query)).mappings())


async def queue_calls(
    engine: AsyncEngine, queue: str, *, window: Window | None = None, limit: int = 50
) -> list[CallEntry]:
    """The calls of ``queue`` that entered it within ``window`` (None: any time), the most
    recent first, at most ``limit``."""
    query = select(*_COLUMNS).where(_QC.queue == queue)
    if window is not None:
        start, end = window
        query = query.where(_QC.entered_at >= start, _QC.entered_at < end)
    query = query.order_by(_QC.entered_at.desc().nulls_last(), _QC.id.desc()).limit(limit)
    return [
        CallEntry(
            **{
                **row,
                "caller_number": row["caller_number"] or "",
                "caller_name": row["caller_name"] or "",
            }
        )
        for row in await _rows(engine, query)
    ]


async def queues_of_call(engine: AsyncEngine, uniqueid: str) -> list[str]:
    """The queues the call ``uniqueid`` went through (none: the history does not know it)."""
    query = select(_QC.queue).where(_QC.uniqueid == uniqueid).order_by(_QC.queue)
    return [str(row["queue"]) for row in await _rows(engine, query)]


__all__ = ["CallEntry", "queue_calls", "queues_of_call"]
