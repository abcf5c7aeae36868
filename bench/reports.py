"""Reports benchmark: a year of a 100-agent center in PostgreSQL, every report timed for a
month's and a year's range, against a naive query of the same report in the same run.

    .venv/bin/python bench/reports.py [--pg postgresql://postgres@127.0.0.1:5432/std_bench_reports]
                                      [--calls 1050000] [--days 365] [--runs 20] [--regenerate]

The data (``bench/reports_data.py``, a small simulation, deterministic for a seed) is loaded
once with COPY; a ``bench_meta`` row remembers what was generated, so a second run goes
straight to the timings (``--regenerate`` starts over). Each report runs as the web process
runs it (the same functions, an async engine, a thread for the Python part): p50 and p95 of
``--runs`` runs per range after one warm-up. The warm-up is cold: the report units
(``history/report_units.py``) are deleted before it, so it computes and stores every closed
day's unit, as the first report of a range after an import would ("cold ms"); the timed runs
read them, as every report after it does until a write drops the day. The baseline is the
naive form of the same report: every row of the range fetched and the figures computed in
Python with the same metric definitions (the agent report's: its Python reference,
``read_source`` + ``build_report``; the timeline has no other form: its baseline is
itself). Checked on every run: the report and its baseline agree (counts exactly, rounded
values to their 0.1).

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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
    QUEUES,
    STATE_COLUMNS,
    simulate,
)
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine  # noqa: E402

from standardiste.acd.metrics import QueueSettings, combined_metrics  # noqa: E402
from standardiste.history.agent_report import (  # noqa: E402
    ReportFilters,
    agent_report,
    agent_timeline,
    read_source,
)
from standardiste.history.agent_report import build_report as build_agent_report  # noqa: E402
from standardiste.history.migrate import upgrade  # noqa: E402
from standardiste.history.queue_report import (  # noqa: E402
    _QC,
    MISSED_PER_PAGE,
    MissedCall,
    ReportQuery,
    acw_by_queue,
    callback_counts,
    campaign_rows,
    missed_calls,
    tally_of_calls,
)
from standardiste.history.queue_report import build_report as build_queue_report  # noqa: E402
from standardiste.history.queue_report_units import rows_and_acw  # noqa: E402

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
            if "ended_at" in state_columns:  # as the writer keeps it (migration 0014's fill)
                await conn.execute(
                    "UPDATE agent_states SET ended_at = n.next_at FROM (SELECT id, lead(at) OVER"
                    " (PARTITION BY agent ORDER BY at, id) AS next_at FROM agent_states) AS n"
                    " WHERE agent_states.id = n.id AND n.next_at IS NOT NULL"
                )
            await conn.execute("ANALYZE")
            await conn.execute("INSERT INTO bench_meta VALUES ($1)", json.dumps(wanted))
            print(f"data: generated in {time.perf_counter() - started:.0f} s: {totals}", flush=True)
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")
            for t in (
                "queue_calls",
                "agent_events",
                "device_calls",
                "dial_attempts",
                "campaign_contacts",
                "callback_requests",
            )  # fmt: skip
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


# -------------------------------------------------------------------- the reports
MONTH = (date(2025, 3, 1), date(2025, 3, 31))
YEAR = (FIRST_DAY, date(2025, 12, 31))
SETTINGS = {q: QueueSettings(sl_threshold=20 + 5 * (i % 3), short_abandon=5 * (i % 2))
            for i, q in enumerate(QUEUES)}  # fmt: skip
NOW = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
ONE_AGENT = "PJSIP/agent2003"
ONE_QUEUE = "q03"


async def queue_report(engine: AsyncEngine, first: date, last: date) -> dict[str, Any]:
    """As ``GET /api/v1/reports/queues`` (web/queue_report_api.py) runs it."""
    q = ReportQuery(first, last, TZ)
    rows, wrapups = await rows_and_acw(engine, q, SETTINGS)
    queues = sorted({r[0] for r in rows})
    body = await asyncio.to_thread(
        build_queue_report, rows, q, SETTINGS, queues=queues, wrapups=wrapups
    )
    body["callbacks"] = await callback_counts(engine, q)
    body["campaigns"] = await campaign_rows(engine, q)
    return body


async def queue_report_naive(engine: AsyncEngine, first: date, last: date) -> dict[str, Any]:
    """Every call of the range fetched, tallied call by call per queue and local day. The
    after-call work (agents' wrap-ups per queue, by the local day they started) is read with
    the report's own query: only the calls' part has a naive form here."""
    q = ReportQuery(first, last, TZ)
    wrapups = await acw_by_queue(engine, q)
    start, end = q.bounds()
    async with engine.connect() as conn:
        calls = (await conn.execute(
            select(_QC.queue, _QC.entered_at, _QC.outcome, _QC.wait, _QC.talk, _QC.hold)
            .where(_QC.entered_at >= start, _QC.entered_at < end)
        )).all()  # fmt: skip
    zone = ZoneInfo(TZ)
    by_queue: dict[str, list[Any]] = {}
    by_day: dict[tuple[date, str], list[Any]] = {}
    for queue, entered, outcome, wait, talk, hold in calls:
        row = (outcome, wait, talk, hold)
        by_queue.setdefault(queue, []).append(row)
        by_day.setdefault((entered.astimezone(zone).date(), queue), []).append(row)
    tallies = {k: tally_of_calls(v) for k, v in by_queue.items()}
    day_tallies = {k: tally_of_calls(v) for k, v in by_day.items()}
    for queue, bucket, acw, n in wrapups:
        local = datetime.fromtimestamp(bucket * q.bucket_seconds(), zone)
        for tally in (tallies.get(queue), day_tallies.get((local.date(), queue))):
            if tally is not None:
                tally.acw += acw
                tally.wrapups += n
    return {
        "by_queue": {k: combined_metrics([(t, SETTINGS[k])]).as_dict() for k, t in tallies.items()},
        "by_day": {
            day.isoformat(): combined_metrics(
                [(t, SETTINGS[qn]) for (d, qn), t in day_tallies.items() if d == day]
            ).as_dict()
            for day in q.days()
        },
    }


def queue_same(got: dict[str, Any], want: dict[str, Any]) -> bool:
    by_queue = {r["queue"]: {k: v for k, v in r.items() if k != "queue"} for r in got["by_queue"]}
    by_day = {r["day"]: {k: v for k, v in r.items() if k != "day"} for r in got["by_day"]}
    return _close(by_queue, want["by_queue"]) and _close(by_day, want["by_day"])


async def missed(engine: AsyncEngine, first: date, last: date) -> tuple[list[Any], int]:
    return await missed_calls(engine, ReportQuery(first, last, TZ), page=1)


async def missed_naive(engine: AsyncEngine, first: date, last: date) -> tuple[list[Any], int]:
    q = ReportQuery(first, last, TZ)
    start, end = q.bounds()
    async with engine.connect() as conn:
        rows = (await conn.execute(
            select(_QC.queue, _QC.caller_number, _QC.caller_name, _QC.entered_at, _QC.wait,
                   _QC.outcome, _QC.id)
            .where(_QC.entered_at >= start, _QC.entered_at < end)
        )).all()  # fmt: skip
    kept = sorted(
        (r for r in rows if r[5] in ("abandoned", "timed_out")),
        key=lambda r: (r[3], r[6]), reverse=True,
    )  # fmt: skip
    page = [MissedCall(r[0], r[1] or "", r[2] or "", r[3].timestamp(), r[4], r[5])
            for r in kept[:MISSED_PER_PAGE]]  # fmt: skip
    return page, len(kept)


def agents_runner(queues: tuple[str, ...], naive: bool) -> Runner:
    async def run(engine: AsyncEngine, first: date, last: date) -> dict[str, Any]:
        filters = ReportFilters(first, last, TZ, queues=queues)
        if naive:  # every transition and call of the range into Python
            source = await read_source(engine, filters, None, NOW)
            return build_agent_report(source, filters, NOW, {})
        return await agent_report(engine, filters, allowed=None, now=NOW, directory={})

    return run


async def timeline(engine: AsyncEngine, first: date, last: date) -> list[dict[str, Any]]:
    return await agent_timeline(engine, ONE_AGENT, ReportFilters(first, last, TZ), NOW)


def _close(got: Any, want: Any) -> bool:
    """Equal, floats to 0.1 (the reports round to 0.1)."""
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_close(got[k], want[k]) for k in got)
    if isinstance(got, list | tuple) and isinstance(want, list | tuple):
        return len(got) == len(want) and all(_close(a, b) for a, b in zip(got, want, strict=True))
    if isinstance(got, float) or isinstance(want, float):
        return got is not None and want is not None and abs(got - want) <= 0.1 + 1e-9
    return bool(got == want)


Runner = Callable[[AsyncEngine, date, date], Awaitable[Any]]


async def timed(
    run: Runner, engine: AsyncEngine, first: date, last: date, runs: int, cold: list[float]
) -> tuple[list[float], Any]:
    """``runs`` timed runs after a first one, whose time goes to ``cold``."""
    started = time.perf_counter()
    result = await run(engine, first, last)  # warm-up (plans, caches, report units)
    cold.append(time.perf_counter() - started)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await run(engine, first, last)
        samples.append(time.perf_counter() - started)
    return samples, result


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


async def bench(
    url: str, runs: int, year_runs: int, baseline_runs: int, only: str | None = None
) -> bool:
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    reports: list[tuple[str, Runner, Runner, Callable[[Any, Any], bool], bool]] = [
        ("queue report", queue_report, queue_report_naive, queue_same, True),
        ("missed list p1", missed, missed_naive, _close, True),
        ("agents (all)", agents_runner((), False), agents_runner((), True), _close, True),
        (
            f"agents ({ONE_QUEUE})",
            agents_runner((ONE_QUEUE,), False),
            agents_runner((ONE_QUEUE,), True),
            _close,
            True,
        ),  # fmt: skip
        ("timeline (1 agent)", timeline, timeline, _close, False),
    ]
    print(f"{'report':20} {'range':5} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} "
          f"{'naive p50':>9} {'ratio':>6}  {'cold ms':>8}  result", flush=True)  # fmt: skip
    ok = True
    try:
        for name, run, naive, same, has_year in reports:
            if only and only not in name:
                continue
            for label, (first, last), n, target in (
                ("month", MONTH, runs, 0.5), ("year", YEAR, year_runs, 2.0)
            ):  # fmt: skip
                if label == "year" and not has_year:
                    continue
                async with engine.begin() as conn:  # the first run computes every unit
                    await conn.execute(text("DELETE FROM report_units"))
                cold: list[float] = []
                samples, got = await timed(run, engine, first, last, n, cold)
                base, want = await timed(naive, engine, first, last, baseline_runs, [])
                agrees = same(got, want)
                passed = agrees and p95(samples) <= target
                ok &= passed
                mid, base_mid = statistics.median(samples), statistics.median(base)
                verdict = "PASS" if passed else ("FAIL" if agrees else "FAIL (differs)")
                print(f"{name:20} {label:5} {_ms(mid)} {_ms(p95(samples))} {target * 1000:6.0f}  "
                      f"{_ms(base_mid)} {base_mid / mid:5.1f}x  {_ms(cold[0])}  {verdict}",
                      flush=True)  # fmt: skip
    finally:
        await engine.dispose()
    return ok


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/std_bench_reports")
    parser.add_argument("--calls", type=int, default=1_050_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20, help="timed runs, a month's range")
    parser.add_argument("--year-runs", type=int, default=7, help="timed runs, a year's range")
    parser.add_argument("--baseline-runs", type=int, default=2)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--only", help="the reports whose name contains this")
    args = parser.parse_args()
    counts = await load(args.pg, args.calls, args.days, args.seed, args.regenerate)
    print(f"rows: {counts}", flush=True)
    ok = await bench(args.pg, args.runs, args.year_runs, args.baseline_runs, args.only)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
