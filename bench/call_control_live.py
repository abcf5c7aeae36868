"""How long a supervisor's call control takes to be done in Asterisk, against the real sandbox.

What is timed, each ``--rounds`` times, through the command bus as the web sends it (``XADD``
to ``std:commands``, the bridge acts and answers once Asterisk's events confirmed it):

- **baseline**: a bare AMI ``Ping`` round trip on the bridge's session;
- **mode switch**: a listening session switched listen -> whisper -> barge -> listen
  (``PlayDTMF Receive`` on the supervisor's channel, answered once the DTMFEnd event moved the
  model), one figure per switch;
- **take**: a caller waiting in sales (its only agent paused) taken onto the supervisor's
  phone (``QueueWithdrawCaller``, answered once the caller left the queue).

Prints p50 / p95 / max and the ratios to the baseline; nothing is asserted (these machines
are noisy); the figures go in the notes.

    .venv/bin/python bench/call_control_live.py [--rounds 10]

Needs root (the sandbox), sipp and Redis on 127.0.0.1:6379.
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

from standardiste import config  # noqa: E402
from standardiste.agent_state import Actor  # noqa: E402
from standardiste.call_control import CallRequest  # noqa: E402
from standardiste.command_bus import CommandClient  # noqa: E402
from standardiste.composition import bridge_from_settings  # noqa: E402
from standardiste.permissions import Scope  # noqa: E402
from standardiste.redis_keys import RedisKeys  # noqa: E402
from standardiste.tools import sandbox as sb  # noqa: E402
from standardiste.tools.sipp import SPEECH, AgentPhone, place_call  # noqa: E402

ALICE, SUP = "PJSIP/agent1001", "PJSIP/sup2001"
SUE = Scope("sue", False, frozenset({"sales"}), frozenset(), (SUP,))
ALICE_SCOPE = Scope("alice", False, frozenset(), frozenset({"sales"}), (ALICE,))


def figures(name: str, values: list[float], baseline: float | None = None) -> str:
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    line = (
        f"{name:<34} p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"
        f"  max {ordered[-1] * 1000:7.1f} ms  (n={len(ordered)})"
    )
    if baseline:
        line += f"  (x{p50 / baseline:.1f} the baseline's p50)"
    return line


async def until(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the PBX")
        await asyncio.sleep(0.05)


async def run(rounds: int) -> None:
    base = config.load()
    root = sb.build_root(base.sandbox.cache_dir)
    sb.up(root, base.sandbox.config_dir)
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(
            base,
            sandbox=replace(base.sandbox, cache_dir=root.parent),
            redis=replace(base.redis, prefix=f"bench:{uuid.uuid4().hex[:8]}:"),
            database=replace(
                base.database,
                url=f"sqlite+aiosqlite:///{tmp}/calls.sqlite3",
                buffer_path=Path(tmp) / "buffer.jsonl",
            ),
            asterisk=replace(base.asterisk, queue_log_enabled=False),
        )
        redis = aioredis.Redis.from_url(settings.redis.url)
        keys = RedisKeys(settings.redis.prefix)
        logs = Path(tmp)
        try:
            async with bridge_from_settings(settings) as bridge:
                await bridge.wait_synced()
                client = CommandClient(redis, keys, timeout=20.0)

                async def calls(request: CallRequest) -> object:
                    return await client.call("calls", request.to_wire(), actor="sue")

                baseline, switches, takes = [], [], []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    await bridge.ami.send("Ping", {})
                    baseline.append(time.perf_counter() - t0)

                await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
                # Mode switches on one session.
                async with AgentPhone("1001", 5071, 0.2, talk=SPEECH, log_dir=logs):
                    async with await place_call("5000", "0611000001", 600, log_dir=logs):
                        await until(lambda: bool(bridge.model.calls))
                        async with AgentPhone("2001", 5081, 0.2, log_dir=logs):
                            spy = CallRequest(
                                "spy", SUE, mode="listen", device=SUP, target=ALICE_SCOPE
                            )
                            await calls(spy)
                            await until(lambda: bool(bridge.model.spies.sessions))
                            (session,) = bridge.model.spies.sessions
                            for _ in range(rounds):
                                for mode in ("whisper", "barge", "listen"):
                                    t0 = time.perf_counter()
                                    await calls(
                                        CallRequest("spy_mode", SUE, mode=mode, session=session)
                                    )
                                    switches.append(time.perf_counter() - t0)
                            await calls(CallRequest("spy_stop", SUE, session=session))
                # Takes: each caller waits (the agent is paused), then is taken.
                await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
                async with AgentPhone("2001", 5081, 0.2, log_dir=logs):
                    for i in range(rounds):
                        number = f"06110001{i:02d}"
                        async with await place_call("5000", number, 30, log_dir=logs) as caller:
                            await until(lambda: bool(bridge.model.callers))
                            (uniqueid,) = bridge.model.callers
                            channel = bridge.model.callers[uniqueid].channel
                            t0 = time.perf_counter()
                            await calls(
                                CallRequest("take", SUE, device=SUP, queue="sales", caller=uniqueid)
                            )
                            takes.append(time.perf_counter() - t0)
                            await bridge.ami.send("Hangup", {"Channel": channel})
                            await caller.wait_result(10)
                await bridge.agents.log_out(ALICE, ["sales"], by=Actor("alice"))
                base50 = statistics.median(baseline)
                print(f"call_control_live: {rounds} rounds, Asterisk {sb.read_version(root)}")
                print(figures("baseline: bare AMI Ping", baseline))
                print(figures("switch a spy's mode (confirmed)", switches, base50))
                print(figures("take a waiting caller (left queue)", takes, base50))
        finally:
            await redis.delete(*RedisKeys(settings.redis.prefix).all())
            await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    asyncio.run(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
