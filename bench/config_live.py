"""How long an admin's change takes to be live in Asterisk, against the real sandbox.

What is timed, each ``--rounds`` times:

- **baseline**: the bare ``QueueReload Parameters: yes`` round trip on the bridge's AMI session
  (what any file-include route pays at least);
- **change**: a queue setting (the weight, alternating) changed through the command bus, as the
  web sends it (``XADD`` to ``std:commands``, the bridge writes the generated files, reloads,
  resyncs, checks QueueParams and the extension's route, stores it with its audit entry,
  answers), until the answer arrives;
- **new queue**: a queue created the same way, until the answer; then a separate check that
  Asterisk reports it (QueueStatus) and routes its extension (``Getvar AST_CONFIG``).

The bridge answers only once Asterisk reports the change, so "answered" is "live". Prints
p50 / p95 / max and the ratios to the baseline. No figure is asserted: these machines are
noisy; the figures go in the notes.

    .venv/bin/python bench/config_live.py [--rounds 30]

Needs root (the sandbox) and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import redis.asyncio as aioredis

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from standardiste.ami_bridge.commands import AmiCommands  # noqa: E402
from standardiste.command_bus import CommandClient  # noqa: E402
from standardiste.composition import bridge_from_settings  # noqa: E402
from standardiste.config import Settings  # noqa: E402
from standardiste.redis_keys import RedisKeys  # noqa: E402
from standardiste.tools import sandbox as sb  # noqa: E402
from standardiste.tools.demo_config import DEMO_QUEUES, demo_files  # noqa: E402


def figures(name: str, values: list[float], baseline: float | None = None) -> str:
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    line = (
        f"{name:<34} p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"
        f"  max {ordered[-1] * 1000:7.1f} ms"
    )
    if baseline:
        line += f"  (x{p50 / baseline:.1f} the baseline's p50)"
    return line


async def run(rounds: int) -> None:
    base = Settings()
    root = sb.build_root(base.sandbox.cache_dir)
    sb.up(root, base.sandbox.config_dir)
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(
            base,
            sandbox=replace(base.sandbox, cache_dir=root.parent),
            redis=replace(base.redis, prefix=f"bench:{uuid.uuid4().hex[:8]}:"),
            database=replace(
                base.database,
                url=f"sqlite+aiosqlite:///{tmp}/config.sqlite3",
                buffer_path=Path(tmp) / "buffer.jsonl",
            ),
            asterisk=replace(base.asterisk, queue_log_enabled=False),
        )
        redis = aioredis.Redis.from_url(settings.redis.url)
        keys = RedisKeys(settings.redis.prefix)
        try:
            async with bridge_from_settings(settings) as bridge:
                await bridge.wait_synced()
                assert bridge.config is not None
                await bridge.config.store.adopt(DEMO_QUEUES, "bench")
                ami = AmiCommands(bridge.ami)
                client = CommandClient(redis, keys, timeout=10.0)

                async def config(op: str, **args: object) -> object:
                    return await client.call(
                        "config", {"op": op, "actor": "bench", **args}, actor="bench"
                    )

                baseline, changes, creations, visible = [], [], [], []
                for i in range(rounds):
                    t0 = time.perf_counter()
                    await ami.queue_reload()
                    baseline.append(time.perf_counter() - t0)

                    t0 = time.perf_counter()
                    await config("queue.update", queue={"name": "sales", "weight": i % 2 + 1})
                    changes.append(time.perf_counter() - t0)

                    name, extension = f"bench{i}", f"{6000 + i}"
                    t0 = time.perf_counter()
                    await config("queue.create", queue={"name": name, "extension": extension})
                    creations.append(time.perf_counter() - t0)
                    status = await bridge.ami.send("QueueStatus", {"Queue": name})
                    route = await ami.route_of(extension)
                    visible.append(time.perf_counter() - t0)
                    loaded = any(
                        m.get("Event") == "QueueParams" for m in getattr(status, "events", [])
                    )
                    if not loaded or route != name:
                        raise SystemExit(f"{name} answered but not live: {loaded=} {route=}")
                    await config("queue.delete", name=name)
                base50 = statistics.median(baseline)
                print(f"config_live: {rounds} rounds, Asterisk {sb.read_version(root)}")
                print(figures("baseline: bare QueueReload", baseline))
                print(figures("change a queue setting (answered)", changes, base50))
                print(figures("create a queue (answered)", creations, base50))
                print(figures("create + read back from Asterisk", visible, base50))
                # The demo configuration back for whoever uses the sandbox next.
                sb.install_generated(root, demo_files().by_name())
                await ami.queue_reload()
        finally:
            await redis.delete(*RedisKeys(settings.redis.prefix).all())
            await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
