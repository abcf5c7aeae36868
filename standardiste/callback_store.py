"""Callback requests in SQL (BY-1): the ``callback_requests`` rows and their dial audit.

The callback service (``standardiste.callbacks``) creates a row when a caller asks, before
the placeholder exists, and closes the rows it settles itself (expired without a
placeholder, outcome lost across a restart). The steps Asterisk reports (an agent answered,
the customer was dialled, answered, the call ended) reach the rows through the history
(``CallbackProgress`` records, ``history.writer``). Every decision of the service is a
``dial_audit`` row (actor ``callback``), in the transaction of what it records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from standardiste.acd.callbacks import OPEN, OUTCOME_UNKNOWN, RANK, placeholder_uniqueid
from standardiste.history.models import QueueCall
from standardiste.outbound.store import GLOBAL, audit
from standardiste.outbound.tables import CallbackRow, DncRow

ACTOR = "callback"


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    id: str
    queue: str
    number: str  # E.164
    caller_name: str
    original_uniqueid: str
    joined_at: datetime
    requested_at: datetime
    position: int
    expires_at: datetime
    status: str
    placeholder_uniqueid: str | None = None
    agent: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "queue": self.queue,
            "number": self.number,
            "caller_name": self.caller_name,
            "original_uniqueid": self.original_uniqueid,
            "joined_at": self.joined_at.isoformat(),
            "requested_at": self.requested_at.isoformat(),
            "position": self.position,
            "expires_at": self.expires_at.isoformat(),
            "status": self.status,
            "agent": self.agent,
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class CallbackCounts:
    """Today's callback requests of a queue, as the live counters count them."""

    requested: int = 0
    connected: int = 0
    expired: int = 0
    failed: int = 0

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.requested, self.connected, self.expired, self.failed)


def _request(r: CallbackRow) -> CallbackRequest:
    return CallbackRequest(
        r.id,
        r.queue,
        r.number,
        r.caller_name,
        r.original_uniqueid,
        r.joined_at,
        r.requested_at,
        r.position,
        r.expires_at,
        r.status,
        r.placeholder_uniqueid,
        r.agent,
        r.answered_at,
        r.ended_at,
        r.detail,
    )


class CallbackStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def create(self, request: CallbackRequest) -> tuple[CallbackRequest, bool]:
        """Store a new request (and its audit row); ``(request, True)``. The same call asking
        twice (``original_uniqueid``): ``(the stored one, False)``."""
        row = CallbackRow(
            id=request.id,
            queue=request.queue,
            number=request.number,
            caller_name=request.caller_name,
            original_uniqueid=request.original_uniqueid,
            joined_at=request.joined_at,
            requested_at=request.requested_at,
            position=request.position,
            expires_at=request.expires_at,
            status="waiting",
            placeholder_uniqueid=placeholder_uniqueid(request.id),
            detail="",
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
                session.add(
                    audit(
                        ACTOR,
                        "callback_requested",
                        "caller_key",
                        callback_id=request.id,
                        at=request.requested_at,
                        queue=request.queue,
                        position=request.position,
                        expires_at=request.expires_at,
                        uniqueid=request.original_uniqueid,
                    )
                )
        except IntegrityError:
            existing = await self.by_call(request.original_uniqueid)
            if existing is None:
                raise
            return existing, False
        return _request(row), True

    async def by_call(self, original_uniqueid: str) -> CallbackRequest | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(CallbackRow).where(CallbackRow.original_uniqueid == original_uniqueid)
                )
            ).scalar_one_or_none()
            return _request(row) if row is not None else None

    async def get(self, request_id: str) -> CallbackRequest | None:
        async with self._sessions() as session:
            row = await session.get(CallbackRow, request_id)
            return _request(row) if row is not None else None

    async def open_requests(self) -> list[CallbackRequest]:
        """The requests whose story is not over, oldest first (the order they are placed)."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(CallbackRow)
                    .where(CallbackRow.status.in_(OPEN))
                    .order_by(CallbackRow.requested_at, CallbackRow.id)
                )
            ).scalars()
            return [_request(r) for r in rows]

    async def recent(self, queue: str, since: datetime, limit: int = 200) -> list[CallbackRequest]:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(CallbackRow)
                    .where(CallbackRow.queue == queue, CallbackRow.requested_at >= since)
                    .order_by(CallbackRow.requested_at.desc())
                    .limit(limit)
                )
            ).scalars()
            return [_request(r) for r in rows]

    async def is_dnc(self, number: str) -> bool:
        """On the do-not-call list of every campaign (scope ``*``)."""
        async with self._sessions() as session:
            found = await session.execute(
                select(DncRow.id).where(DncRow.number == number, DncRow.scope == GLOBAL).limit(1)
            )
            return found.first() is not None

    async def log(
        self, event: str, reason: str, request_id: str | None = None, **detail: Any
    ) -> None:
        """A dial-audit row of the callback service's own."""
        async with self._sessions.begin() as session:
            session.add(audit(ACTOR, event, reason, callback_id=request_id, **detail))

    async def settle(
        self,
        request: CallbackRequest,
        status: str,
        reason: str,
        at: datetime,
        *,
        guess: bool = False,
    ) -> bool:
        """Close ``request`` as ``status`` (a final one) unless it moved on meanwhile; the
        audit row in the same transaction. ``guess``: marked so a reported fact replaces it.
        False when the row had already moved on."""
        c = CallbackRow.__table__.c
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(CallbackRow)
                .where(c.id == request.id, c.status == request.status)
                .values(
                    status=status,
                    ended_at=func.coalesce(c.ended_at, at),
                    detail=OUTCOME_UNKNOWN if guess else reason,
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            session.add(
                audit(
                    ACTOR, f"callback_{status}", reason, callback_id=request.id, at=at,
                    queue=request.queue, was=request.status,
                )
            )  # fmt: skip
        return True

    async def handle_time(self, queue: str, since: datetime) -> float | None:
        """The average talk time of the queue's calls answered since ``since`` (None: none)."""
        q = QueueCall.__table__.c
        async with self._engine.connect() as conn:
            value = (
                await conn.execute(
                    select(func.avg(q.talk)).where(
                        q.queue == queue, q.answered_at >= since, q.talk.is_not(None)
                    )
                )
            ).scalar()
        return float(value) if value is not None else None

    async def today_counts(self, since: datetime) -> dict[str, CallbackCounts]:
        """Per queue, as the live counters count: requested since ``since``; connected
        (the customer answered), expired, failed (not reached) when it ended since then."""
        c = CallbackRow.__table__.c

        def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        ended = c.ended_at >= since
        query = (
            select(
                c.queue,
                count(c.requested_at >= since),
                count((c.status == "connected") & (c.answered_at >= since)),
                count((c.status == "expired") & ended),
                count(c.status.in_(("no_answer", "failed")) & ended),
            )
            .where((c.requested_at >= since) | ended)
            .group_by(c.queue)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {queue: CallbackCounts(int(a), int(b), int(x), int(f)) for queue, a, b, x, f in rows}


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def seconds_left(request: CallbackRequest, now: float) -> float:
    return (request.expires_at - utc(now)) / timedelta(seconds=1)


__all__ = [
    "ACTOR",
    "OUTCOME_UNKNOWN",
    "RANK",
    "CallbackCounts",
    "CallbackRequest",
    "CallbackStore",
    "seconds_left",
    "utc",
]
