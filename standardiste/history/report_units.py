"""Report units: a report's figures for one closed local day of one queue or agent, computed
once and kept exact.

A unit is computed by the report's own code (the same SQL and Python as for any range) and
stored in ``report_units`` with the span of history it was computed from, [dep_lo, hi)
(epoch s). Whatever writes history calls :func:`mark` last in its transaction with the spans
it touched: the units over them are deleted in that transaction, and the spans are kept
with the write's sequence number (``report_seq``, bumped under its row lock, so sequence
order is commit order). A report reads the sequence number before it computes; it stores a
unit only if no span marked since overlaps it (:func:`store`), so a unit computed while a
write landed is computed again next time instead of being kept stale.

Scopes: ``queue`` (key: the queue) and ``agent`` (key: the interface); a unit of every
queue, or of every agent, has the key ``*``. Only days that ended before now are units;
today is always read from the history itself.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from standardiste.history.models import ReportMark, ReportSeq, ReportUnit

log = structlog.get_logger(__name__)

QUEUE = "queue"
AGENT = "agent"
ALL = "*"  # the key of a unit of every queue, or of every agent
MARKS_KEPT = 3600.0  # s: longer than any report's computation (store refuses older starts)
HOUR = 3600.0
SETTLE = 60.0  # s after a day's end before it is a unit (its last writes are in)

_U = ReportUnit.__table__.c
_M = ReportMark.__table__.c
_S = ReportSeq.__table__.c

Span = tuple[str, str, float, float]  # scope, key, lo, hi (epoch s)

# The units over a span of one key: its own and its scope's every-key unit.
_DROP = delete(ReportUnit).where(
    _U.scope == bindparam("s"),
    _U.key.in_([bindparam("k"), ALL]),
    _U.hi > bindparam("lo"),
    _U.dep_lo < bindparam("hi"),
)


@dataclass(frozen=True, slots=True)
class Unit:
    kind: str  # queue_day | agent_day
    params: str
    scope: str
    key: str
    day: date
    dep_lo: float  # the history it is computed from: [dep_lo, hi)
    hi: float


def spans(touched: Iterable[Span]) -> list[Span]:
    """``touched`` widened to whole hours and merged per scope and key."""
    by_key: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for scope, key, lo, hi in touched:
        if not key:
            continue
        a = (lo // HOUR) * HOUR
        b = max(a + HOUR, -(-hi // HOUR) * HOUR)
        by_key[scope, key].append((a, b))
    out: list[Span] = []
    for (scope, key), ranges in by_key.items():
        ranges.sort()
        lo, hi = ranges[0]
        for a, b in ranges[1:]:
            if a <= hi:
                hi = max(hi, b)
            else:
                out.append((scope, key, lo, hi))
                lo, hi = a, b
        out.append((scope, key, lo, hi))
    return out


async def mark(conn: AsyncConnection, touched: Iterable[Span], now: float | None = None) -> None:
    """In a writer's transaction, last: the units over ``touched`` are gone, the spans kept."""
    merged = spans(touched)
    if not merged:
        return
    now = time.time() if now is None else now
    seq = (
        await conn.execute(update(ReportSeq).values(seq=_S.seq + 1).returning(_S.seq))
    ).scalar_one()
    await conn.execute(
        insert(ReportMark),
        [
            {"seq": seq, "scope": s, "key": k, "lo": lo, "hi": hi, "at": now}
            for s, k, lo, hi in merged
        ],
    )
    per_key = [{"s": s, "k": k, "lo": lo, "hi": hi} for s, k, lo, hi in merged if k != ALL]
    if per_key:
        await conn.execute(_DROP, per_key)
    for scope, _, lo, hi in (m for m in merged if m[1] == ALL):  # every key of the scope
        await conn.execute(delete(ReportUnit).where(_U.scope == scope, _U.hi > lo, _U.dep_lo < hi))
    if seq % 64 == 0:
        await conn.execute(delete(ReportMark).where(_M.at < now - MARKS_KEPT))


async def current_seq(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(_S.seq).where(_S.id == 1))).scalar_one())


async def read(
    engine: AsyncEngine, kind: str, params: str, keys: Sequence[str], days: Sequence[date]
) -> dict[tuple[str, date], Any]:
    """The stored units of ``keys`` on ``days``: their data, by (key, day)."""
    if not keys or not days:
        return {}
    query = select(_U.key, _U.day, _U.data).where(
        _U.kind == kind,
        _U.params == params,
        _U.key.in_(list(keys)),
        _U.day >= min(days).isoformat(),
        _U.day <= max(days).isoformat(),
    )
    wanted = set(days)
    out: dict[tuple[str, date], Any] = {}
    async with engine.connect() as conn:
        for key, day, data in (await conn.execute(query)).all():
            d = date.fromisoformat(day)
            if d in wanted:
                out[key, d] = json.loads(data)
    return out


async def store(
    engine: AsyncEngine,
    computed: Mapping[Unit, Any],
    seq: int,
    started: float,
    now: float | None = None,
) -> int:
    """Keep ``computed`` (computed from the history as of ``seq``, read at ``started``)
    except the units a write since ``seq`` touched. Returns how many were stored."""
    now = time.time() if now is None else now
    if not computed or now - started > MARKS_KEPT / 2:
        return 0
    try:
        return await _store(engine, computed, seq)
    except (SQLAlchemyError, OSError) as exc:  # the report answers all the same; next time
        log.warning("report_units.not_stored", units=len(computed), error=str(exc)[:200])
        return 0


async def _store(engine: AsyncEngine, computed: Mapping[Unit, Any], seq: int) -> int:
    async with engine.begin() as conn:
        since = (
            await conn.execute(select(_M.scope, _M.key, _M.lo, _M.hi).where(_M.seq > seq))
        ).all()
        fresh = [
            u
            for u in computed
            if not any(
                s == u.scope and (u.key in (k, ALL) or k == ALL) and lo < u.hi
                and hi > u.dep_lo
                for s, k, lo, hi in since
            )
        ]  # fmt: skip
        if not fresh:
            return 0
        rows = [
            {"kind": u.kind, "params": u.params, "scope": u.scope, "key": u.key,
             "day": u.day.isoformat(), "dep_lo": u.dep_lo, "hi": u.hi, "seq": seq,
             "data": json.dumps(computed[u], separators=(",", ":"))}
            for u in fresh
        ]  # fmt: skip
        dialect_insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        stmt = dialect_insert(ReportUnit)
        stmt = stmt.on_conflict_do_update(
            index_elements=["kind", "params", "key", "day"],
            set_={
                "data": stmt.excluded.data,
                "seq": stmt.excluded.seq,
                "dep_lo": stmt.excluded.dep_lo,
                "hi": stmt.excluded.hi,
            },
            where=_U.seq <= stmt.excluded.seq,
        )
        for i in range(0, len(rows), 500):
            await conn.execute(stmt, rows[i : i + 500])
    return len(fresh)


__all__ = [
    "AGENT",
    "ALL",
    "QUEUE",
    "SETTLE",
    "Span",
    "Unit",
    "current_seq",
    "mark",
    "read",
    "spans",
    "store",
]
