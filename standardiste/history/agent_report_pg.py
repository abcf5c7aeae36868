"""The agent report's aggregation done by PostgreSQL: the same figures as
:func:`standardiste.history.agent_report.build_report` computes from every row of the range
(the reference, and what SQLite runs), but PostgreSQL returns a few rows per agent.

- Intervals: ``LEAD(at)`` over each agent's transitions (by ``at``, then ``id``; per agent, an
  index range scan each, rather than sorting the range by agent), each
  agent's last transition before the range found by an index lookup (``LATERAL ... LIMIT 1``
  on ``(agent, at)``; every agent by a loose index scan), clipped to the report's windows
  and summed per agent, state and reason.
- Calls: typed as :func:`agent_report._calls` types them (a queue or direct call whose
  uniqueid, or its Local channel's ``-2`` half, is a connected dial attempt is a campaign
  call; attempts no call matched count on their own), counted per agent, type and queue.
- After-call work: each wrap-up follows the agent's last call ended by its start (plus the
  slack): the calls' ends and the wrap-ups' starts in one stream per agent, ordered by time,
  a running count of calls naming the call each wrap-up follows. Calls ended at the same
  instant: the last in the order queue call, direct call, attempt (the reference's order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# An interval's seconds inside the windows: one window (no hours of the day), or several.
_ONE_WINDOW = """
    SELECT iv.id, iv.agent, iv.state, iv.reason, iv.queue, iv.s,
           greatest(least(iv.e, w.hi) - greatest(iv.s, w.lo), 0.0) AS secs
    FROM iv CROSS JOIN w"""
_WINDOWS = """
    SELECT iv.id, iv.agent, iv.state, iv.reason, iv.queue, iv.s,
           coalesce(sum(least(iv.e, w.hi) - greatest(iv.s, w.lo))
                    FILTER (WHERE w.lo IS NOT NULL), 0.0) AS secs  -- LEAST skips NULLs
    FROM iv LEFT JOIN w ON w.lo < iv.e AND w.hi > iv.s
    GROUP BY iv.id, iv.agent, iv.state, iv.reason, iv.queue, iv.s"""
_SQL = """
WITH RECURSIVE
every(agent) AS (
    SELECT min(agent) FROM agent_states
    UNION ALL
    SELECT (SELECT min(s.agent) FROM agent_states s WHERE s.agent > every.agent)
    FROM every WHERE every.agent IS NOT NULL
),
who AS (
    SELECT agent FROM unnest(CAST(:agents AS text[])) AS a(agent)
    WHERE CAST(:agents AS text[]) IS NOT NULL
    UNION ALL
    SELECT agent FROM every WHERE agent IS NOT NULL AND CAST(:agents AS text[]) IS NULL
),
w AS (SELECT lo, hi FROM unnest(CAST(:los AS float8[]), CAST(:his AS float8[])) AS w(lo, hi)),
iv AS (  -- per agent (an index range scan each): no sort of the whole range by agent
    SELECT x.* FROM who CROSS JOIN LATERAL (
        SELECT t.id, who.agent AS agent, t.state, t.reason, t.queue,
               extract(epoch FROM t.at)::float8 AS s,
               coalesce(extract(epoch FROM lead(t.at) OVER (ORDER BY t.at, t.id))::float8,
                        greatest(extract(epoch FROM t.at)::float8, :until)) AS e
        FROM (
            (SELECT s.id, s.at, s.state, s.reason, s.queue FROM agent_states s
             WHERE s.agent = who.agent AND s.at < :start ORDER BY s.at DESC, s.id DESC LIMIT 1)
            UNION ALL
            SELECT s.id, s.at, s.state, s.reason, s.queue FROM agent_states s
            WHERE s.agent = who.agent AND s.at >= :start AND s.at < :end
        ) t
    ) x
),
clipped AS ({clipped}),
att AS (
    SELECT a.id, a.device AS agent, cp.queue, extract(epoch FROM a.connected_at)::float8 AS s,
           extract(epoch FROM a.ended_at)::float8 AS ended, a.talk_seconds AS talk
    FROM dial_attempts a JOIN campaigns cp ON cp.id = a.campaign_id
    WHERE a.connected_at >= :calls_from AND a.connected_at < :end AND a.device IS NOT NULL
      AND (CAST(:agents AS text[]) IS NULL OR a.device = ANY(CAST(:agents AS text[])))
),
qc AS (
    SELECT q.agent, q.queue, extract(epoch FROM q.answered_at)::float8 AS s,
           extract(epoch FROM q.completed_at)::float8 AS completed, q.talk, q.hold,
           CASE WHEN q.uniqueid LIKE '%-2' THEN left(q.uniqueid, -2) ELSE q.uniqueid END AS mid
    FROM queue_calls q
    WHERE q.answered_at >= :calls_from AND q.answered_at < :end AND q.agent IS NOT NULL
      AND (CAST(:agents AS text[]) IS NULL OR q.agent = ANY(CAST(:agents AS text[])))
),
dc AS (
    SELECT d.device AS agent, d.direction, extract(epoch FROM d.started_at)::float8 AS s,
           extract(epoch FROM d.ended_at)::float8 AS e, d.talk,
           CASE WHEN d.uniqueid LIKE '%-2' THEN left(d.uniqueid, -2) ELSE d.uniqueid END AS mid
    FROM device_calls d
    WHERE d.answered AND d.started_at >= :calls_from AND d.started_at < :end
      AND (CAST(:agents AS text[]) IS NULL OR d.device = ANY(CAST(:agents AS text[])))
),
calls AS (
    SELECT 0 AS src, qc.agent, CASE WHEN att.id IS NULL THEN 'queue' ELSE 'campaign' END AS kind,
           qc.queue, qc.s, coalesce(qc.completed, qc.s + coalesce(qc.talk, 0.0)) AS e,
           coalesce(qc.talk, 0.0) AS talk, coalesce(qc.hold, 0.0) AS hold
    FROM qc LEFT JOIN att ON att.id = qc.mid
    UNION ALL
    SELECT 1, dc.agent,
           CASE WHEN att.id IS NOT NULL THEN 'campaign'
                WHEN dc.direction = 'inbound' THEN 'direct_in' ELSE 'direct_out' END,
           coalesce(att.queue, ''), dc.s, dc.e, dc.talk, 0.0
    FROM dc LEFT JOIN att ON att.id = dc.mid
    UNION ALL
    SELECT 2, att.agent, 'campaign', att.queue, att.s,
           coalesce(att.ended, att.s + coalesce(att.talk, 0.0)), coalesce(att.talk, 0.0), 0.0
    FROM att
    WHERE NOT EXISTS (SELECT 1 FROM qc WHERE qc.mid = att.id)
      AND NOT EXISTS (SELECT 1 FROM dc WHERE dc.mid = att.id)
),
stream AS (
    SELECT agent, e - :slack AS t, 1 AS is_call, src, kind, queue AS cq, e AS ce,
           NULL::float8 AS secs, NULL::float8 AS ws, NULL::text AS wq
    FROM calls
    UNION ALL
    SELECT agent, s, 0, 0, NULL, NULL, NULL, secs, s, queue
    FROM clipped WHERE state = 'wrapup' AND secs > 0
),
numbered AS (
    SELECT *, sum(is_call) OVER (PARTITION BY agent COLLATE "C" ORDER BY t, is_call DESC,
                                 src ROWS UNBOUNDED PRECEDING) AS grp
    FROM stream
),
followed AS (
    SELECT *, max(kind) OVER g AS k, max(cq) OVER g AS q, max(ce) OVER g AS c_end
    FROM numbered WINDOW g AS (PARTITION BY agent COLLATE "C", grp)
),
acw AS (
    SELECT agent,
           CASE WHEN grp > 0 AND c_end >= ws - 3600 THEN k ELSE 'queue' END AS kind,
           CASE WHEN grp > 0 AND c_end >= ws - 3600 THEN q ELSE wq END AS queue,
           secs
    FROM followed WHERE is_call = 0
)
SELECT 'state', agent, state, reason, sum(secs), min(s), 0, 0.0 FROM clipped
GROUP BY agent, state, reason
UNION ALL
SELECT 'call', c.agent, c.kind, c.queue,
       sum(c.talk) FILTER (WHERE inw.ok), sum(c.hold) FILTER (WHERE inw.ok),
       count(*) FILTER (WHERE inw.ok), 0.0
FROM calls c CROSS JOIN LATERAL (
    SELECT EXISTS (SELECT 1 FROM w WHERE w.lo <= c.s AND c.s < w.hi) AS ok
) inw
WHERE c.s >= :start_s
  AND (cardinality(CAST(:queues AS text[])) = 0 OR c.kind IN ('direct_in', 'direct_out')
       OR c.queue = ANY(CAST(:queues AS text[])))
GROUP BY c.agent, c.kind, c.queue
UNION ALL
SELECT 'acw', agent, kind, queue, sum(secs), 0.0, 0, 0.0 FROM acw
WHERE cardinality(CAST(:queues AS text[])) = 0 OR kind IN ('direct_in', 'direct_out')
      OR queue = ANY(CAST(:queues AS text[]))
GROUP BY agent, kind, queue
"""


@dataclass(slots=True)
class Aggregates:
    """Per agent: seconds per (state, reason), their first transition (epoch, None: none in
    or before the range), calls per (type, queue) as [n, talk, hold], and after-call work
    per (type, queue)."""

    states: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)
    calls: dict[str, dict[tuple[str, str], tuple[int, float, float]]] = field(default_factory=dict)
    acw: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


async def aggregates(
    engine: AsyncEngine,
    agents: Sequence[str] | None,
    queues: Sequence[str],
    start: float,
    end: float,
    until: float,
    wins: Sequence[tuple[float, float]],
    calls_from: float,
    slack: float,
) -> Aggregates:
    """The report's figures for ``agents`` (None: every agent) over ``wins`` (the
    windows clipped to now); transitions in [start, end), the last state until ``until``;
    calls from ``calls_from`` (a wrap-up at the start follows a call before it)."""
    params = {
        "agents": None if agents is None else list(agents),
        "queues": list(queues),
        "los": [a for a, _ in wins],
        "his": [b for _, b in wins],
        "start": _ts(start),
        "start_s": start,
        "end": _ts(end),
        "until": until,
        "calls_from": _ts(calls_from),
        "slack": slack,
    }
    out = Aggregates()
    sql = _SQL.replace("{clipped}", _ONE_WINDOW if len(wins) == 1 else _WINDOWS)
    async with engine.connect() as conn, conn.begin():
        # For this transaction only: its sorts in memory, no JIT compilation (~0.1-0.2 s
        # of compiling for a query that runs once).
        await conn.execute(text("SET LOCAL work_mem = '64MB'"))
        await conn.execute(text("SET LOCAL jit = off"))
        rows = (await conn.execute(text(sql), params)).all()
    for kind, agent, a, b, x, y, n, _ in rows:
        if kind == "state":
            out.states.setdefault(agent, {})[(a, b)] = float(x or 0.0)
            out.first[agent] = min(float(y), out.first.get(agent, float("inf")))
        elif kind == "call":
            out.calls.setdefault(agent, {})[(a, b)] = (int(n), float(x or 0.0), float(y or 0.0))
        else:
            out.acw.setdefault(agent, {})[(a, b or "")] = float(x or 0.0)
    return out


__all__ = ["Aggregates", "aggregates"]
