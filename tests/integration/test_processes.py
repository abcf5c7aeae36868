"""``standardiste bridge`` and ``standardiste web`` as separate processes, as deployed.

One bridge and two web processes (two "web nodes") against the real sandbox, Redis and a
SQLite history. A supervisor on web node A pauses an agent logged in on web node B; the
agent's websocket on B shows it; killing node A changes nothing for B or the bridge; with
the bridge stopped, an action answers 504 ``command_timeout`` instead of hanging, and is
not executed when the bridge comes back.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis
from ami_raw import RawAMI
from argon2 import PasswordHasher
from live import ApiUser, asterisk_view, eventually
from ports import free_port
from sqlalchemy.ext.asyncio import create_async_engine

from standardiste.accounts import Accounts
from standardiste.bridge_status import read_status
from standardiste.history.migrate import upgrade
from standardiste.redis_keys import RedisKeys
from standardiste.tools import sandbox as sb

BOB = "PJSIP/agent1002"
PASSWORD = "a long enough password"


class Node:
    """One ``standardiste`` process."""

    def __init__(self, command: str, env: dict[str, str], log: Path) -> None:
        self.command, self.env, self.log = command, env, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        out = self.log.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "standardiste.cli", self.command,
            env=self.env, stdout=out, stderr=out, stdin=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        out.close()

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def answers(base: str) -> bool:
    try:
        async with aiohttp.ClientSession() as s, s.get(base + "/healthz") as r:
            return r.status == 200
    except aiohttp.ClientError:
        return False


@pytest.fixture
async def deployment(
    sandbox: sb.SandboxInfo, tmp_path: Path
) -> AsyncIterator[tuple[Node, Node, Node, RedisKeys, str]]:
    db = f"sqlite+aiosqlite:///{tmp_path / 'history.sqlite3'}"
    keys = RedisKeys(f"test:{uuid.uuid4().hex[:8]}:")
    port_a, port_b = free_port(), free_port()
    env = {
        **os.environ,
        "STANDARDISTE_AMI_HOST": sandbox.ami_host,
        "STANDARDISTE_AMI_PORT": str(sandbox.ami_port),
        "STANDARDISTE_REDIS_PREFIX": keys.prefix,
        "STANDARDISTE_DATABASE_URL": db,
        "STANDARDISTE_DATABASE_BUFFER_PATH": str(tmp_path / "buffer.jsonl"),
        "STANDARDISTE_WEB_COMMAND_TIMEOUT": "3",
        "STANDARDISTE_ASTERISK_QUEUE_LOG_ENABLED": "false",  # the sandbox's whole day: not ours
        "STANDARDISTE_LOG_LEVEL": "warning",
    }
    await upgrade(db)
    engine = create_async_engine(db)
    accounts = Accounts(engine, PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    await accounts.create_user(
        "sue", PASSWORD, role="supervisor", display_name="Sue", queues={"sales": "supervisor"}
    )
    await accounts.create_user(
        "bob", PASSWORD, display_name="Bob", devices=[BOB],
        queues={"sales": "agent", "support": "agent"},
    )  # fmt: skip
    await engine.dispose()
    bridge = Node("bridge", env, tmp_path / "bridge.log")
    web_a = Node("web", {**env, "STANDARDISTE_WEB_PORT": str(port_a)}, tmp_path / "web-a.log")
    web_b = Node("web", {**env, "STANDARDISTE_WEB_PORT": str(port_b)}, tmp_path / "web-b.log")
    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        for node in (bridge, web_a, web_b):
            await node.start()
        await eventually(lambda: read_status(client, keys), lambda s: s.ami_connected, 20,
                         "the bridge publishes that it is connected")  # fmt: skip
        for port in (port_a, port_b):
            await eventually(lambda p=port: answers(f"http://127.0.0.1:{p}"), bool, 20,  # type: ignore[misc]
                             "the web node answers")  # fmt: skip
        yield bridge, web_a, web_b, keys, str(tmp_path)
    finally:
        for node in (web_a, web_b, bridge):
            await node.stop()
        await client.delete(*keys.all())
        await client.aclose()


async def test_bridge_and_two_web_nodes_run_apart(
    deployment: tuple[Node, Node, Node, RedisKeys, str], ami: RawAMI
) -> None:
    bridge, web_a, web_b, keys, _ = deployment
    base_a = f"http://127.0.0.1:{web_a.env['STANDARDISTE_WEB_PORT']}"
    base_b = f"http://127.0.0.1:{web_b.env['STANDARDISTE_WEB_PORT']}"
    for queue in ("sales", "support"):
        await ami.action("QueueRemove", Queue=queue, Interface=BOB)
    sue, bob = ApiUser(base_a, PASSWORD), ApiUser(base_b, PASSWORD)
    try:
        status, ready = await eventually(
            lambda: bob.call("GET", "/readyz"), lambda r: r[0] == 200, 15, "/readyz on node B"
        )
        assert ready["checks"] == {"ami": True, "redis": True, "database": True}

        # Bob, on node B, logs himself in; Asterisk has him in both queues.
        await bob.login("bob")
        status, body = await bob.call("POST", "/api/v1/agents/bob/login", {})
        assert (status, sorted(body["queues"])) == (200, ["sales", "support"]), body
        ws = await bob.http.ws_connect(base_b + "/api/v1/live", headers={"Origin": base_b})
        assert json.loads((await ws.receive(timeout=10)).data)["type"] == "snapshot"

        # Sue, on node A, pauses him in her queue.
        await sue.login("sue")
        status, body = await sue.call("POST", "/api/v1/agents/bob/pause", {"reason": "lunch"})
        assert (status, body["queues"], body["forced"]) == (200, ["sales"], True), body
        await eventually(lambda: asterisk_view(ami),
                         lambda v: v.members.get(("sales", BOB)) == (True, "lunch"), 10,
                         "bob paused in Asterisk")  # fmt: skip

        # Bob's websocket on node B shows the pause, as sue's.
        while True:
            msg = json.loads((await ws.receive(timeout=10)).data)
            rows = [c for c in msg.get("changes", []) if c[1] == f"sales|{BOB}" and c[2]]
            if rows and rows[-1][2]["paused"]:
                assert (rows[-1][2]["paused_by"], rows[-1][2]["forced"]) == ("sue", True)
                break

        # Node B's /metrics shows the bridge's figures, as the bridge published them (each
        # second): the two commands it ran so far.
        async def metrics() -> str:
            async with bob.http.get(base_b + "/metrics") as r:
                return await r.text()

        def taken(text: str) -> float:
            lines = [x for x in text.splitlines() if x.startswith("standardiste_commands_taken")]
            return float(lines[0].split()[-1]) if lines else 0.0

        text = await eventually(metrics, lambda t: taken(t) >= 2, 5, "commands in /metrics")
        assert 'standardiste_bridge_up{process="bridge"} 1.0' in text

        # Node A dies: node B and the bridge carry on.
        await web_a.stop(signal.SIGKILL)
        status, body = await bob.call("POST", "/api/v1/agents/bob/resume", {})
        assert (status, sorted(body["queues"])) == (200, ["sales"]), body

        # The bridge stops: an action answers 504 quickly, and is never run later.
        await bridge.stop()
        status, body = await bob.call("POST", "/api/v1/agents/bob/logout", {})
        assert (status, body["error"]["code"]) == (504, "command_timeout"), body
        status, ready = await bob.call("GET", "/readyz")
        assert status == 503  # the bridge no longer publishes that it is up
        await bridge.start()
        client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
        try:
            await eventually(lambda: read_status(client, keys), lambda s: s.ami_connected, 20,
                             "the bridge is back")  # fmt: skip
            await asyncio.sleep(1.0)
            view = await asterisk_view(ami)
            assert ("support", BOB) in view.members  # the late logout was not executed
            audit = [f for _, f in await client.xrange(keys.audit)]
            assert audit[-1][b"outcome"] == b"command_expired"
        finally:
            await client.aclose()
        await ws.close()
    finally:
        await sue.http.close()
        await bob.http.close()
        for queue in ("sales", "support"):
            await ami.action("QueueRemove", Queue=queue, Interface=BOB)
