"""Live latency benchmark: from an AMI event to its arrival at 200 websocket clients.

A fake Asterisk pushes ``QueueCallerJoin`` events at a steady rate, each carrying the
instant it was written to the socket (``time.monotonic_ns()``, CLOCK_MONOTONIC: the same
clock in every process of the machine) as its caller number. They go through the real path:
the ``Bridge`` (parse -> model -> Redis mirror, real Redis), the web app's live hub (one
mirror follower, one message per view) and aiohttp websockets, to N clients logged in as a
supervisor. The clients run in a second process, so their own JSON parsing does not sit on
the server's event loop.

Measured in the same run, on the same events, for the ratios:

- **redis hop**: the sender also ``XADD``s each stamp to a scratch stream that the client
  process reads with a blocking ``XREAD``: one Redis stream hop, nothing of ours;
- **mirror**: a ``MirrorReader`` in the client process follows the mirror's stream: AMI ->
  bridge -> Redis -> a reader, everything but the web app;
- **websocket**: the stamp's arrival at each of the N clients (N samples per event).

    .venv/bin/python bench/ws_latency.py [--clients 200] [--events 300] [--rate 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from argon2 import PasswordHasher  # noqa: E402
from fake_ami import FakeAsterisk  # noqa: E402
from ingest import NullSink  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from standardiste.accounts import Accounts  # noqa: E402
from standardiste.composition import BridgeProcess as Bridge  # noqa: E402
from standardiste.composition import bridge_from_settings  # noqa: E402
from standardiste.config import Settings, WebSettings  # noqa: E402
from standardiste.history.migrate import upgrade  # noqa: E402
from standardiste.logs import configure  # noqa: E402
from standardiste.mirror import MirrorReader, MirrorSnapshot  # noqa: E402
from standardiste.redis_keys import RedisKeys  # noqa: E402
from standardiste.web.app import init_app  # noqa: E402
from standardiste.web.process import web_deps  # noqa: E402

QUEUE = "bench"
USER, PASSWORD = "sup", "bench-password"
HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
IN_LINE = 10  # callers kept waiting: each join is followed by the leave of an older one


def join(i: int, stamp: int) -> bytes:
    return (
        f"Event: QueueCallerJoin\r\nPrivilege: agent,all\r\nChannel: PJSIP/pstn-{i:08x}\r\n"
        f"CallerIDNum: {stamp}\r\nCallerIDName: bench\r\nQueue: {QUEUE}\r\nPosition: 1\r\n"
        f"Count: 1\r\nUniqueid: bench.{i}\r\n\r\n"
    ).encode()


def leave(i: int) -> bytes:
    return (
        f"Event: QueueCallerLeave\r\nPrivilege: agent,all\r\nChannel: PJSIP/pstn-{i:08x}\r\n"
        f"Queue: {QUEUE}\r\nPosition: 1\r\nCount: 0\r\nUniqueid: bench.{i}\r\n\r\n"
    ).encode()


# ------------------------------------------------------------------ the server side
@asynccontextmanager
async def stack(workdir: Path) -> AsyncIterator[tuple[FakeAsterisk, Bridge, str]]:
    """Fake Asterisk -> real Bridge -> real Redis -> web app on a free port."""
    fake = FakeAsterisk()
    port = await fake.start()
    base = Settings()
    settings = replace(
        base,
        ami=replace(base.ami, port=port),
        redis=replace(base.redis, prefix=f"bench:{uuid.uuid4().hex[:8]}:"),
        asterisk=replace(base.asterisk, queue_log_enabled=False),  # no Asterisk here
    )
    manager = bridge_from_settings(settings, history=NullSink())  # type: ignore[arg-type]
    bridge = await manager.__aenter__()
    client = bridge.redis
    url = f"sqlite+aiosqlite:///{workdir / 'accounts.sqlite3'}"
    await upgrade(url)
    engine = create_async_engine(url)
    await Accounts(engine, HASHER).create_user(
        USER, PASSWORD, role="supervisor", queues={QUEUE: "supervisor"}
    )
    deps = replace(
        web_deps(
            settings,
            client,
            engine,
            web=WebSettings(),
        ),
        hasher=HASHER,
    )
    runner = web.AppRunner(init_app(deps), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, web_port = runner.addresses[0][:2]
    try:
        await asyncio.wait_for(fake.resynced.wait(), 10)
        await bridge.wait_synced()
        yield fake, bridge, f"http://{host}:{web_port}"
    finally:
        await runner.cleanup()
        await client.delete(*bridge.keys.all())
        await manager.__aexit__(None, None, None)
        await engine.dispose()
        await fake.aclose()


async def push(
    fake: FakeAsterisk, scratch: aioredis.Redis, stream: str, events: int, rate: float
) -> None:
    """``events`` joins at ``rate``/s, each stamped when written; the same stamp goes to the
    scratch stream (the Redis-hop baseline) right after."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i in range(events):
        await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        stamp = time.monotonic_ns() // 1000
        data = join(i, stamp)
        if i >= IN_LINE:
            data += leave(i - IN_LINE)
        fake.send(data)
        await scratch.xadd(stream, {"t": stamp}, maxlen=1000, approximate=True)


# ------------------------------------------------------------------ the client side
def _joined_stamps(changes: Sequence[Sequence[Any]], seen: set[str]) -> list[int]:
    """The stamps of callers not seen before: a join (later changes of the same caller, such
    as a new position when someone ahead leaves, are not new arrivals)."""
    stamps = []
    for entity, key, value in changes:
        if entity == "caller" and value is not None and key not in seen:
            seen.add(key)
            stamps.append(int(value["caller_number"]))
    return stamps


async def ws_client(
    session: aiohttp.ClientSession, base: str, ready: asyncio.Event,
    out: list[tuple[int, float]], expected: int,
) -> None:  # fmt: skip
    async with session.ws_connect(f"{base}/api/v1/live", headers={"Origin": base}) as ws:
        seen: set[str] = set()
        async for msg in ws:
            # Stamp first: parsing is this process's cost, not the server's.
            now = time.monotonic_ns() // 1000
            data = json.loads(msg.data)
            if data["type"] == "snapshot":
                ready.set()
            elif data["type"] == "changes":
                for stamp in _joined_stamps(data["changes"], seen):
                    out.append((stamp, (now - stamp) / 1000.0))
            elif data["type"] == "resync_required":
                raise RuntimeError("a client fell behind (resync_required)")
            if len(seen) >= expected:
                return


async def mirror_follower(
    reader: MirrorReader, out: list[float], expected: int, ready: asyncio.Event
) -> None:
    snap = await reader.snapshot()
    ready.set()
    seen: set[str] = set()
    async for item in reader.follow(snap, block_ms=1000):
        now = time.monotonic_ns() // 1000
        if isinstance(item, MirrorSnapshot):
            continue
        for stamp in _joined_stamps(item, seen):
            out.append((now - stamp) / 1000.0)
        if len(seen) >= expected:
            return


async def scratch_follower(
    client: aioredis.Redis, stream: str, out: list[float], expected: int, ready: asyncio.Event
) -> None:
    last = "$"
    ready.set()
    while len(out) < expected:
        reply: Any = await client.xread({stream: last}, block=1000)
        now = time.monotonic_ns() // 1000
        for _name, entries in reply or []:
            for entry_id, fields in entries:
                last = entry_id
                out.append((now - int(fields[b"t"])) / 1000.0)


async def clients_main(args: argparse.Namespace) -> None:
    """The client process: N websockets + the two baseline readers; JSON results on stdout."""
    redis_client = aioredis.Redis.from_url(args.redis)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        async with session.post(
            f"{args.base}/api/v1/session",
            json={"username": USER, "password": PASSWORD},
            headers={"Origin": args.base},
        ) as resp:
            resp.raise_for_status()
        ws_samples: list[tuple[int, float]] = []  # (event stamp, latency ms)
        mirror_samples: list[float] = []
        hop_samples: list[float] = []
        readies = [asyncio.Event() for _ in range(args.clients + 2)]
        tasks = [
            asyncio.create_task(ws_client(session, args.base, readies[i], ws_samples, args.events))
            for i in range(args.clients)
        ]
        tasks.append(
            asyncio.create_task(
                mirror_follower(
                    MirrorReader(redis_client, RedisKeys(args.prefix)),
                    mirror_samples,
                    args.events,
                    readies[-2],
                )
            )
        )
        tasks.append(
            asyncio.create_task(
                scratch_follower(redis_client, args.stream, hop_samples, args.events, readies[-1])
            )
        )
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        await asyncio.sleep(0.5)  # let the XREADs block before the first event
        print("READY", flush=True)
        await asyncio.wait_for(asyncio.gather(*tasks), args.events / args.rate + 120)
    await redis_client.aclose()
    print(json.dumps({"ws": ws_samples, "mirror": mirror_samples, "hop": hop_samples}))


# ------------------------------------------------------------------ report
def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(name: str, samples: Sequence[float], base: Sequence[float]) -> str:
    p50, p99 = pct(samples, 0.50), pct(samples, 0.99)
    return (
        f"{name:<34} n={len(samples):>6}  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
        f"max {max(samples):7.2f} ms  mean {statistics.fmean(samples):6.2f} ms  "
        f"p50 x{p50 / pct(base, 0.5):.1f} redis hop"
    )


async def main(args: argparse.Namespace) -> None:
    configure("warning")
    with tempfile.TemporaryDirectory(prefix="ws-latency-") as tmp:
        async with stack(Path(tmp)) as (fake, bridge, base):
            scratch = aioredis.Redis.from_url(bridge.settings.redis.url)
            stream = f"{bridge.keys.prefix}scratch"
            child = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--as-clients", "--base", base,
                "--clients", str(args.clients), "--events", str(args.events),
                "--rate", str(args.rate), "--redis", bridge.settings.redis.url,
                "--prefix", bridge.keys.prefix, "--stream", stream,
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert child.stdout is not None
            try:
                ready = await asyncio.wait_for(child.stdout.readline(), 120)
                if ready.strip() != b"READY":
                    raise SystemExit(f"client process failed to start: {ready!r}")
                await push(fake, scratch, stream, args.events, args.rate)
                output = await asyncio.wait_for(child.stdout.read(), args.events / args.rate + 180)
                if await child.wait() != 0:
                    raise SystemExit("client process failed")
            finally:
                if child.returncode is None:
                    child.kill()
                    await child.wait()
                await scratch.delete(stream)
                await scratch.aclose()
            figures = bridge.figures()
    results = json.loads(output)
    mirror, hop = results["mirror"], results["hop"]
    ws = [latency for _stamp, latency in results["ws"]]
    by_event: dict[int, list[float]] = {}
    for stamp, latency in results["ws"]:
        by_event.setdefault(stamp, []).append(latency)
    first = [min(v) for v in by_event.values()]
    last = [max(v) for v in by_event.values()]
    expected = args.clients * args.events
    print(
        f"{args.events} QueueCallerJoin events at {args.rate:g}/s (with {IN_LINE} callers in "
        f"line: a leave per join), {args.clients} websocket clients logged in as a supervisor"
    )
    print(line("redis hop alone (XADD -> XREAD)", hop, hop))
    print(line("AMI -> bridge -> Redis -> reader", mirror, hop))
    print(line(f"AMI -> ... -> web -> {args.clients} websockets", ws, hop))
    print(line("  of which the first client per event", first, hop))
    print(line("  of which the last client per event", last, hop))
    p50_ws, p50_mirror = pct(ws, 0.5), pct(mirror, 0.5)
    print(
        f"web hop (websocket p50 - mirror reader p50): {p50_ws - p50_mirror:.2f} ms; "
        f"samples {len(ws)} of {expected}; event queue high water "
        f"{figures['event_queue_high_water']}, dropped {figures['events_dropped']}"
    )
    if len(ws) != expected:
        raise SystemExit("some clients missed events")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--as-clients", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    parser.add_argument("--stream", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    asyncio.run(clients_main(arguments) if arguments.as_clients else main(arguments))
