"""How long the queue_log export (BY-6) takes for a month and a year of a 100-agent center.

Fills a throwaway PostgreSQL database (``--url``'s server; the database is created and
dropped) with a year of history by SQL: 1M queue calls over 4 queues (85% answered, half
ended by the caller; 10% abandoned; 5% timed out), 200k unanswered rings, 500k agent
events; then times ``export_lines`` for June and for the whole year, consuming the stream
as the web and the CLI do. Prints the lines, megabytes and seconds; nothing is asserted
(these machines are noisy); the figures go in the notes.

    .venv/bin/python bench/queue_log_export.py [--url postgresql://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from standardiste.history import upgrade
from standardiste.history.queue_log_export import export_lines

DB = "standardiste_bench_queue_log"
CALLS = """
INSERT INTO queue_calls (uniqueid, queue, caller_number, caller_name, entered_at,
  answered_at, agent, member_name, wait, outcome, talk, hold, ended_by, completed_at,
  position, left_position, agent_uniqueid, ring_time, completed_wait)
SELECT 'u' || g, 'q' || (g % 4), '06' || g, '', t,
  CASE WHEN g % 20 < 17 THEN t + interval '20 s' END,
  CASE WHEN g % 20 < 17 THEN 'PJSIP/a' || (g % 100) END,
  CASE WHEN g % 20 < 17 THEN 'agent' || (g % 100) END,
  20,
  CASE WHEN g % 20 < 17 THEN 'answered' WHEN g % 20 < 19 THEN 'abandoned'
       ELSE 'timed_out' END,
  CASE WHEN g % 20 < 17 THEN 180 END, 0,
  CASE WHEN g % 20 < 17 THEN CASE WHEN g % 2 = 0 THEN 'caller' ELSE 'agent' END END,
  t + interval '200 s', 1, CASE WHEN g % 20 >= 17 THEN 1 END,
  CASE WHEN g % 20 < 17 THEN 'a' || g END, CASE WHEN g % 20 < 17 THEN 3 END,
  CASE WHEN g % 20 < 17 THEN 20 END
FROM (SELECT g, timestamptz '2025-01-01' + (g * interval '31.5 s') AS t
      FROM generate_series(1, 1000000) g) s
"""
RINGS = """
INSERT INTO ring_no_answers (key, uniqueid, queue, agent, member_name, ring_ms, at)
SELECT 'k' || g, 'u' || g, 'q' || (g % 4), 'PJSIP/a1', 'agent1', 15000,
       timestamptz '2025-01-01' + (g * interval '31.5 s') + interval '5 s'
FROM generate_series(1, 1000000, 5) g
"""
AGENTS = """
INSERT INTO agent_events (key, agent, queue, action, reason, by, forced, at, member_name,
  paused)
SELECT 'e' || g, 'PJSIP/a' || (g % 100), 'q' || (g % 4),
       (ARRAY['login', 'pause', 'resume', 'logout'])[1 + g % 4], 'lunch', 'pbx', false,
       timestamptz '2025-01-01' + (g * interval '60 s'), 'agent' || (g % 100), false
FROM generate_series(1, 500000) g
"""
RANGES = (
    ("month", dt.datetime(2025, 6, 1, tzinfo=dt.UTC), dt.datetime(2025, 7, 1, tzinfo=dt.UTC)),
    ("year", dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
)


async def main(server: str) -> None:
    admin = await asyncpg.connect(f"{server}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    try:
        url = f"{server.replace('postgresql://', 'postgresql+asyncpg://')}/{DB}"
        await upgrade(url)
        conn = await asyncpg.connect(f"{server}/{DB}")
        started = time.perf_counter()
        for statement in (CALLS, RINGS, AGENTS, "ANALYZE"):
            await conn.execute(statement)
        await conn.close()
        print(f"filled in {time.perf_counter() - started:.1f} s")
        engine = create_async_engine(url)
        try:
            for label, start, end in RANGES:
                started = time.perf_counter()
                lines = size = 0
                async for chunk in export_lines(engine, start, end, ["q0", "q1", "q2", "q3"]):
                    lines += chunk.count("\n")
                    size += len(chunk)
                took = time.perf_counter() - started
                print(f"{label}: {lines} lines, {size / 1e6:.1f} MB in {took:.1f} s")
        finally:
            await engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432")
    asyncio.run(main(parser.parse_args().url))
