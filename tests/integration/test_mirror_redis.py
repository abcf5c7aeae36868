"""The Redis mirror against a real Redis: late readers, concurrent writes, Redis restarts."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from ports import free_port

from standardiste.acd import events as ev
from standardiste.acd.model import ContactCenter
from standardiste.mirror import MirrorReader, MirrorSnapshot, MirrorWriter, apply_batch
from standardiste.redis_keys import RedisKeys

T0 = 1_700_000_000.0


@pytest.fixture
async def shared_redis() -> AsyncIterator[tuple[aioredis.Redis, RedisKeys]]:
    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = RedisKeys(f"test:{uuid.uuid4().hex[:8]}:")
    try:
        yield client, keys
    finally:
        await client.delete(*keys.all())
        await client.aclose()


class PrivateRedis:
    """A redis-server of the test's own, so the test can kill and restart it."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("redis-server")
        assert exe, "redis-server is not installed (scripts/setup.sh installs it)"
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                subprocess.run(["sleep", "0.05"], check=False)
        raise AssertionError("private redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def traffic(n: int) -> list[ev.Event]:
    """n callers joining sales, every other one answered, the rest abandoning."""
    out: list[ev.Event] = [
        ev.MemberAdded(
            ev.MemberState(
                "sales", "PJSIP/agent1001", "A", "", True, False, "", 1, False, 0, 0.0, T0
            )
        )
    ]
    for i in range(n):
        uid = f"{T0:.0f}.{i}"
        at = T0 + i
        out.append(ev.CallerJoined("sales", uid, f"PJSIP/pstn-{i}", f"06{i:08d}", "", 1, at))
        if i % 2:
            out.append(ev.AgentConnected("sales", uid, "PJSIP/agent1001", "A", 1, "x", "y", at))
            out.append(ev.CallerLeft("sales", uid, at))
            out.append(ev.AgentCompleted("sales", uid, "PJSIP/agent1001", 1, 2, "caller", at))
        elif i % 4 == 0:
            out.append(ev.HangupRequested(uid, at))
            out.append(ev.CallerAbandoned("sales", uid, 1, at))
            out.append(ev.CallerLeft("sales", uid, at))
    return out


async def test_late_reader_gets_snapshot_then_every_change(
    shared_redis: tuple[aioredis.Redis, RedisKeys],
) -> None:
    client, keys = shared_redis
    model = ContactCenter()
    writer = MirrorWriter(client, keys, model.state)
    await writer.start()
    reader = MirrorReader(client, keys)
    events = traffic(400)
    try:
        for e in events[:200]:
            writer.submit(model.apply(e).changes)
        await writer.flushed()
        # A dashboard connects while the bridge keeps writing.
        snap = await reader.snapshot()
        view = snap.state
        follow = reader.follow(snap, block_ms=200)

        async def produce() -> None:
            for e in events[200:]:
                writer.submit(model.apply(e).changes)
                await asyncio.sleep(0)
            await writer.flushed()

        progress = {"seq": snap.seq}
        advanced = asyncio.Event()

        async def consume() -> None:
            nonlocal view
            async for item in follow:
                if isinstance(item, MirrorSnapshot):
                    view, progress["seq"] = item.state, item.seq
                else:
                    apply_batch(view, item)
                    progress["seq"] += 1
                advanced.set()

        consumer = asyncio.create_task(consume())
        try:
            await produce()
            final_seq = int(await client.hget(keys.meta, "seq") or 0)
            async with asyncio.timeout(10):
                while progress["seq"] < final_seq:
                    advanced.clear()
                    await advanced.wait()
        finally:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
        assert view == model.state()
        assert view["queue"]["sales"]["today"]["handled"] == 200
        assert view["queue"]["sales"]["today"]["abandoned"] == 100
    finally:
        await writer.aclose()


async def test_redis_restart_rewrites_the_snapshot_from_the_model(
    private_redis: PrivateRedis,
) -> None:
    client = aioredis.Redis.from_url(f"redis://127.0.0.1:{private_redis.port}/0")
    keys = RedisKeys("std:")
    model = ContactCenter()
    writer = MirrorWriter(client, keys, model.state, backoff_max=0.2)
    await writer.start()
    events = traffic(60)
    try:
        for e in events[:30]:
            writer.submit(model.apply(e).changes)
        await writer.flushed()
        private_redis.kill()  # Redis dies: it kept nothing on disk
        for e in events[30:]:  # the PBX goes on; the bridge keeps its model
            writer.submit(model.apply(e).changes)
        await asyncio.sleep(0.3)
        assert not writer.healthy
        private_redis.start()
        await writer.flushed(timeout=10)
        snap = await MirrorReader(client, keys).snapshot()
        assert snap.state == model.state()
        assert writer.healthy and writer.resets_written >= 2
    finally:
        await writer.aclose()
        await client.aclose()


def _dump(state: dict[str, Any]) -> str:  # pragma: no cover - debugging aid
    return repr(sorted(state))
