"""Agent state history on the real Asterisk (AN-2): alice logs in, takes a queue call, holds
it, wraps up (sales' wrapuptime: 5 s), pauses for lunch meanwhile, then logs out. The stored
intervals follow that order with the pause's reason, and the agent report's state seconds
add up to her logged-in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from ami_raw import RawAMI
from conftest import settings_for
from live import eventually, sql_rows

from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.composition import bridge_from_settings
from standardiste.history.agent_report import ReportFilters, agent_report
from standardiste.redis_keys import RedisKeys
from standardiste.tools import sandbox as sb
from standardiste.tools.sipp import AgentPhone, Hold, place_call

ALICE = "PJSIP/agent1001"
WRAPUPTIME = 5  # [inbound-defaults] wrapuptime in config/asterisk/queues.conf


async def test_a_working_session_is_stored_as_intervals_in_order(
    bridge: Bridge, tmp_path: Path
) -> None:
    async with AgentPhone(
        "1001", 5071, answer_delay_s=0.5, hold=Hold(after_s=1.0, for_s=2.0), log_dir=tmp_path
    ) as phone:
        assert await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice")) == ["sales"]
        async with await place_call(
            "5000", "0688888888", hangup_after_s=5.0, log_dir=tmp_path
        ) as caller:
            await phone.wait_outcome("UNHOLD")
            result = await caller.wait_result(30)
            assert result.answered
        # In wrap-up (Asterisk holds her 5 s): she pauses for lunch, which shows once
        # the wrap-up is over.
        await eventually(lambda: _in_wrapup(bridge), bool, 10, "alice in wrap-up after the call")
        await bridge.agents.pause(ALICE, "lunch", by=Actor("alice"))
        await asyncio.sleep(WRAPUPTIME + 1)
        await bridge.agents.log_out(ALICE, None, by=Actor("alice"))
    await bridge.history.flushed()

    rows = await sql_rows(
        bridge.settings.database.url,
        "select state, reason, queue, at from agent_states where agent = :a order by at, id",
        a=ALICE,
    )
    # Consecutive rows of the same state and reason are one state (the device is in use a
    # moment before AgentConnect names the call's queue).
    seen: list[tuple[str, str]] = []
    for row in rows:
        if not seen or seen[-1] != (row["state"], row["reason"]):
            seen.append((row["state"], row["reason"]))
    assert seen == [
        ("ready", ""),
        ("ringing", ""),
        ("talking", ""),
        ("hold", ""),
        ("talking", ""),
        ("wrapup", ""),
        ("paused", "lunch"),
        ("logged_out", ""),
    ], rows
    wrapup = [r for r in rows if r["state"] == "wrapup"]
    assert wrapup[0]["queue"] == "sales"

    # The report of today: her states add up to her logged-in time, the call is counted.
    tz = bridge.settings.timezone
    today = datetime.now(ZoneInfo(tz)).date()
    body = await agent_report(
        bridge.history.store.engine,
        ReportFilters(today, today, tz, agents=(ALICE,)),
        allowed=None,
        now=time.time(),
        directory={},
    )
    (alice,) = body["agents"]
    states = alice["states"]
    logged_in = sum(v for k, v in states.items() if k != "logged_out")
    assert abs(alice["logged_in"] - logged_in) <= 0.1  # each figure is rounded to 0.1 s
    assert alice["paused_by_reason"]["lunch"] > 0 and states["hold"] > 0
    assert states["wrapup"] > 0 and alice["calls"]["queue"] == 1
    assert alice["by_queue"][0]["queue"] == "sales" and alice["by_queue"][0]["acw"] > 0


async def _in_wrapup(bridge: Bridge) -> bool:
    state = bridge.model.agent_states.states.get(ALICE)
    return state is not None and state.state == "wrapup"


async def test_a_restarted_bridge_writes_only_what_changed_while_it_was_away(
    sandbox: sb.SandboxInfo, ami: RawAMI, db_url: str, tmp_path: Path
) -> None:
    settings = settings_for(db_url, tmp_path, sandbox.ami_port, sandbox.root)

    async def states() -> list[tuple[str, str]]:
        rows = await sql_rows(
            db_url, "select state, reason from agent_states where agent = :a order by at, id",
            a=ALICE,
        )  # fmt: skip
        return [(r["state"], r["reason"]) for r in rows]

    async def run_bridge(check: Callable[[Bridge], Awaitable[None]]) -> None:
        async with bridge_from_settings(settings) as running:
            await eventually(lambda: _synced(running), bool, 15, "bridge resynced")
            await check(running)
            await running.history.flushed()
        client = aioredis.Redis.from_url(settings.redis.url)
        await client.delete(*RedisKeys(settings.redis.prefix).all())
        await client.aclose()

    async with AgentPhone("1001", 5071, log_dir=tmp_path):

        async def pause_for_lunch(running: Bridge) -> None:
            await running.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
            await running.agents.pause(ALICE, "lunch", by=Actor("alice"))

        await run_bridge(pause_for_lunch)
        assert await states() == [("ready", ""), ("paused", "lunch")]

        # No bridge: nothing changes. A restart writes no second "paused".
        async def nothing(running: Bridge) -> None:
            return None

        await run_bridge(nothing)
        assert await states() == [("ready", ""), ("paused", "lunch")]

        # No bridge: she is taken off pause from the phone's side (here: the AMI). The
        # paused interval lasts until the next bridge's resync, which writes "ready".
        await ami.action("QueuePause", Queue="sales", Interface=ALICE, Paused="false")
        await run_bridge(nothing)
        assert await states() == [("ready", ""), ("paused", "lunch"), ("ready", "")]

        # No bridge: she leaves the queue; the next resync closes her state.
        await ami.action("QueueRemove", Queue="sales", Interface=ALICE)
        await run_bridge(nothing)
        assert (await states())[-1] == ("logged_out", "")


async def _synced(bridge: Bridge) -> bool:
    return bridge.synced.is_set()
