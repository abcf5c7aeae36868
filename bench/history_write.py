"""History write benchmark: what keeping the reports exact costs the history writer.

A 100-agent center's records (per call: the caller's entry, answer and end in queue_calls,
the agent's ringing, talking, wrap-up and ready in agent_states) written through the real
``HistoryStore`` into PostgreSQL (a scratch database on 127.0.0.1:5432) and SQLite in batches of the
sink's sizes, records/s over several rounds, against a baseline in the same run: the same
writer with the report units' bookkeeping (reading the touched calls and states before and
after, marking, dropping units) switched off. A store that kept up with the live center
needs a few records/s; this measures the headroom.

    .venv/bin/python bench/history_write.py [--calls 3000] [--rounds 3] [--db postgresql,sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import asyncpg  # noqa: E402

from standardiste.acd.records import (  # noqa: E402
    AgentStateChanged,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    Record,
)
from standardiste.history import HistoryStore, upgrade  # noqa: E402
from standardiste.history import writer as writer_module  # noqa: E402

DSN = "postgresql://postgres@127.0.0.1:5432"
DB = "std_bench_history_write"


def records(calls: int, seed: int, t0: float) -> list[Record]:
    rng = random.Random(seed)
    out: list[Record] = []
    free = {f"PJSIP/agent{2000 + i}": t0 for i in range(100)}
    t = t0
    for i in range(calls):
        t += rng.expovariate(1 / 3.0)
        agent = min(free, key=free.__getitem__)
        queue = f"q{rng.randrange(10):02d}"
        uid = f"b{seed}-{i}"
        start = max(t, free[agent])
        wait, talk = start - t + rng.uniform(1, 20), rng.uniform(30, 400)
        answered = t + wait
        out += [
            QueueCallEntered(uid, queue, "0601", "Ana", t),
            AgentStateChanged(agent, "ringing", "", queue, answered - 3),
            AgentStateChanged(agent, "talking", "", queue, answered),
            QueueCallAnswered(uid, queue, agent, "A", wait, answered),
            QueueCallCompleted(uid, queue, agent, talk, 0.0, "caller", answered + talk),
            AgentStateChanged(agent, "wrapup", "", queue, answered + talk),
            AgentStateChanged(agent, "ready", "", "", answered + talk + 30),
        ]
        free[agent] = answered + talk + 31
    out.sort(key=lambda r: getattr(r, "at", 0.0))
    return out


async def _fresh(dialect: str) -> str:
    if dialect == "sqlite":
        path = Path(tempfile.gettempdir()) / f"{DB}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240 (a bench setup)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        conn = await asyncpg.connect(f"{DSN}/postgres")
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {DB}")
            await conn.execute(f"CREATE DATABASE {DB}")
        finally:
            await conn.close()
        url = f"{DSN}/{DB}"
    await upgrade(url)
    return url


async def rate(batch: list[Record], size: int, marks: bool, dialect: str) -> float:
    url = await _fresh(dialect)
    saved: dict[str, Any] = {}
    if not marks:  # the baseline: the writer without the report units' bookkeeping

        async def none(*_: Any, **__: Any) -> list[Any]:
            return []

        async def no_mark(*_: Any, **__: Any) -> None:
            return None

        for name, stub in (("_touched_calls", none), ("_touched_states", none)):
            saved[name] = getattr(writer_module, name)
            setattr(writer_module, name, stub)
        saved["mark"] = writer_module.report_units.mark
        writer_module.report_units.mark = no_mark  # type: ignore[assignment]
    store = HistoryStore(url)
    try:
        started = time.perf_counter()
        for i in range(0, len(batch), size):
            await store.write(batch[i : i + size])
        return len(batch) / (time.perf_counter() - started)
    finally:
        await store.aclose()
        for name, original in saved.items():
            if name == "mark":
                writer_module.report_units.mark = original
            else:
                setattr(writer_module, name, original)


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="postgresql,sqlite", help="postgresql, sqlite or both")
    args = parser.parse_args()
    batch = records(args.calls, 1, 1_750_000_000.0)
    print(f"{len(batch)} records ({args.calls} calls, 100 agents), "
          f"{args.rounds} rounds each, alternated", flush=True)  # fmt: skip
    print(f"{'database':10} {'batch':>6} {'with marks rec/s':>17} {'baseline rec/s':>15} "
          f"{'ratio':>6}")  # fmt: skip
    for dialect in args.db.split(","):
        for size in (10, 100, 500):
            with_marks: list[float] = []
            base: list[float] = []
            for _ in range(args.rounds):
                with_marks.append(await rate(batch, size, True, dialect))
                base.append(await rate(batch, size, False, dialect))
            a, b = statistics.median(with_marks), statistics.median(base)
            print(f"{dialect:10} {size:6} {a:17.0f} {b:15.0f} {a / b:6.2f}", flush=True)
    conn = await asyncpg.connect(f"{DSN}/postgres")
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {DB}")
    finally:
        await conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
