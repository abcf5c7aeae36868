"""Redis restarts under a running bridge: the bridge keeps its model and rewrites the mirror."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import redis.asyncio as aioredis
from ami_raw import RawAMI
from conftest import settings_for
from live import asterisk_view, converged, eventually
from test_mirror_redis import PrivateRedis

from standardiste.agent_state import Actor
from standardiste.composition import bridge_from_settings
from standardiste.mirror import MirrorReader
from standardiste.redis_keys import RedisKeys
from standardiste.tools import sandbox as sb
from standardiste.tools.sipp import place_call


async def test_mirror_rewritten_after_redis_restart(
    sandbox: sb.SandboxInfo, ami: RawAMI, tmp_path: Path
) -> None:
    server = PrivateRedis(tmp_path)
    server.start()
    base = settings_for(
        f"sqlite+aiosqlite:///{tmp_path / 'h.sqlite3'}", tmp_path, sandbox.ami_port, sandbox.root
    )
    settings = replace(base, redis=replace(base.redis, url=f"redis://127.0.0.1:{server.port}/0"))
    client = aioredis.Redis.from_url(settings.redis.url)
    reader = MirrorReader(client, RedisKeys(settings.redis.prefix))
    caller = None
    try:
        async with bridge_from_settings(settings) as bridge:
            await bridge.wait_synced()
            await bridge.agents.log_in("PJSIP/agent1004", ["support"], by=Actor("david"))
            await converged(ami, reader)

            server.kill()  # Redis is gone (and kept nothing on disk)
            # The PBX goes on: a caller arrives while Redis is down; the bridge's model sees it.
            caller = await place_call("5001", "0688888888", hangup_after_s=30, log_dir=tmp_path)
            await eventually(
                lambda: asterisk_view(ami), lambda v: bool(v.callers), 10, "caller waiting"
            )
            await asyncio.sleep(0.5)
            assert not bridge.mirror.healthy
            assert any(c.caller_number == "0688888888" for c in bridge.model.callers.values())

            server.start()  # an empty Redis comes back
            await client.aclose()  # a dashboard reconnects too (its old connection died)
            client = aioredis.Redis.from_url(settings.redis.url)
            reader = MirrorReader(client, RedisKeys(settings.redis.prefix))
            view = await converged(ami, reader, timeout=20)
            assert [number for (_q, _p, number) in view.callers.values()] == ["0688888888"]
            assert ("support", "PJSIP/agent1004") in view.members
            assert bridge.mirror.healthy
    finally:
        if caller is not None:
            await caller.stop()
        await ami.action("QueueRemove", Queue="support", Interface="PJSIP/agent1004")
        await client.aclose()
        server.kill()
