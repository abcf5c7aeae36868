"""Reports benchmark: a year of a 100-agent center in PostgreSQL, every report timed for a
month's and a year's range, against a naive query of the same report in the same run.

    .venv/bin/python bench/reports.py [--pg postgresql://postgres@127.0.0.1:5432/std_bench_reports]
                                      [--calls 1050000] [--days 365] [--runs 20] [--regenerate]

The data (``bench/reports_data.py``, a small simulation, deterministic for a seed) is loaded
once with COPY; a ``bench_meta`` row remembers what was generated, so a second run goes
straight to the timings (``--regenerate`` starts over). Each report runs as the web process
runs it (the same functions, an async engine, a thread for the Python part): p50 and p95 of
``--runs`` runs per range after one warm-up. The baseline is the naive form of the same
report: every row of the range fetched and the figures computed in Python with the same
metric definitions. Checked on every run: the report and its baseline agree exactly.

Targets (issue #10): p95 <= 500 ms for a month, <= 2 s for a year.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import asyncpg  # noqa: E402
from reports_data import (  # noqa: E402
    ATTEMPT_COLUMNS,
    CALLBACK_COLUMNS,
    CAMPAIGN_QUEUE,
    CONTACT_COLUMNS,
    DEVICE_COLUMNS,
    EVENT_COLUMNS,
    QUEUE_COLUMNS,
    STATE_COLUMNS,
    simulate,
)

from standardiste.history.migrate import upgrade  # noqa: E402

GENERATOR = "reports_data v1"
FIRST_DAY = date(2025, 1, 1)
TZ = "Europe/Paris"


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _ensure_database(url: str) -> None:
    base, _, name = _dsn(url).rpartition("/")
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(url: str) -> None:
    base, _, name = _dsn(url).rpartition("/")
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def load(url: str, calls: int, days: int, seed: int, regenerate: bool) -> dict[str, Any]:
    """The database filled as asked (reused when it already is); its row counts."""
    wanted = {"generator": GENERATOR, "calls": calls, "days": days, "seed": seed,
              "first": FIRST_DAY.isoformat(), "tz": TZ}  # fmt: skip
    if regenerate:
        await _drop_database(url)
    await _ensure_database(url)
    await upgrade(url)
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (params text)")
        have = await conn.fetchval("SELECT params FROM bench_meta")
        if have and json.loads(have) == wanted:
            print("data: reusing the database generated before", flush=True)
        else:
            if have:
                raise SystemExit("the database holds other data: run with --regenerate")
            started = time.perf_counter()
            totals = {"queue_calls": 0, "agent_states": 0, "agent_events": 0, "device_calls": 0}
            state_columns = await _columns(conn, "agent_states")
            await conn.execute(
                "INSERT INTO campaigns (id, name, queue, settings, created_at, updated_at)"
                " VALUES (1, 'renewals', $1, '{}', now(), now())",
                CAMPAIGN_QUEUE,
            )
            for day, year in simulate(FIRST_DAY, days, TZ, calls, seed=seed):
                async with conn.transaction():
                    await conn.copy_records_to_table(
                        "queue_calls", records=year.queue_calls, columns=QUEUE_COLUMNS
                    )
                    await conn.copy_records_to_table(
                        "agent_events", records=year.agent_events, columns=EVENT_COLUMNS
                    )
                    await conn.copy_records_to_table(
                        "device_calls", records=year.device_calls, columns=DEVICE_COLUMNS
                    )
                    await conn.copy_records_to_table(
                        "campaign_contacts", records=year.contacts, columns=CONTACT_COLUMNS
                    )
                    await conn.copy_records_to_table(
                        "dial_attempts", records=year.attempts, columns=ATTEMPT_COLUMNS
                    )
                    await conn.copy_records_to_table(
                        "callback_requests", records=year.callbacks, columns=CALLBACK_COLUMNS
                    )
                    if state_columns:
                        await conn.copy_records_to_table(
                            "agent_states", records=year.agent_states, columns=STATE_COLUMNS
                        )
                totals["queue_calls"] += len(year.queue_calls)
                totals["agent_states"] += len(year.agent_states) if state_columns else 0
                totals["agent_events"] += len(year.agent_events)
                totals["device_calls"] += len(year.device_calls)
                if day.day == 1:
                    print(f"  {day}: {totals['queue_calls']:,} queue calls", flush=True)
            await conn.execute("ANALYZE")
            await conn.execute("INSERT INTO bench_meta VALUES ($1)", json.dumps(wanted))
            print(f"data: generated in {time.perf_counter() - started:.0f} s: {totals}", flush=True)
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")
            for t in ("queue_calls", "agent_events", "device_calls", "dial_attempts",
                      "campaign_contacts", "callback_requests")  # fmt: skip
        }
        if await _columns(conn, "agent_states"):
            counts["agent_states"] = await conn.fetchval("SELECT count(*) FROM agent_states")
        return counts
    finally:
        await conn.close()


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1", table
    )
    return [r["column_name"] for r in rows]


Runner = Callable[[date, date], Awaitable[Any]]


async def timed(run: Runner, first: date, last: date, runs: int) -> tuple[list[float], Any]:
    result = await run(first, last)  # warm-up (plans, caches)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await run(first, last)
        samples.append(time.perf_counter() - started)
    return samples, result


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def summary(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1000:7.1f} ms  p95 {p95(samples) * 1000:7.1f} ms"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/std_bench_reports")
    parser.add_argument("--calls", type=int, default=1_050_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    counts = await load(args.pg, args.calls, args.days, args.seed, args.regenerate)
    print(f"rows: {counts}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
