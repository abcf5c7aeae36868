"""Resync with one owner: events that arrive meanwhile are kept, two never run at once."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Harness
from fake_pbx import transcript

from standardiste.acd.state import Reset
from standardiste.ami_bridge.errors import AmiActionError
from standardiste.ami_bridge.wire import AmiMessage

DEV = "PJSIP/agent1001"


def pause_event(paused: bool) -> AmiMessage:
    [msg] = [
        m for m in transcript("pause")
        if m.get("Event") == "QueueMemberPause" and m.get("Paused") == ("1" if paused else "0")
    ]  # fmt: skip
    return AmiMessage(
        [(k, DEV if k in ("Interface", "StateInterface") else v) for k, v in msg.headers()]
    )


async def test_an_event_that_arrives_during_a_resync_is_applied_on_top(harness: Harness) -> None:
    # The snapshot says "not paused"; a pause happens while the snapshot is being taken.
    harness.pbx.during_list = [pause_event(True)]
    await harness.resyncer.resync()
    assert harness.model.members[f"sales|{DEV}"].paused is True
    # The mirror got the reset, then the pause on top of it.
    kinds = [type(c).__name__ for c in harness.sinks.changes]
    assert kinds.index("Reset", 1) < len(kinds) - 1


async def test_requests_during_a_resync_are_coalesced_never_concurrent(harness: Harness) -> None:
    harness.pbx.list_delay = 0.05
    before = harness.resyncer.resyncs
    loop_task = asyncio.create_task(harness.resyncer.run())
    try:
        first = asyncio.create_task(harness.resyncer.on_connected())
        await asyncio.sleep(0.01)
        for _ in range(5):  # overflows, FullyBooted: all while the first runs
            harness.resyncer.request()
        await first
        await asyncio.sleep(0.5)
    finally:
        loop_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop_task
    assert harness.pbx.max_concurrent_lists == 1
    assert harness.resyncer.resyncs - before == 2  # the first, then one for all five requests


async def test_a_failed_resync_stops_buffering(harness: Harness) -> None:
    harness.pbx.refuse["QueueStatus"] = "Permission denied"
    with pytest.raises(AmiActionError):
        await harness.resyncer.resync()
    harness.pump.on_message(pause_event(True))  # applied at once, not held in a dead buffer
    assert harness.model.members[f"sales|{DEV}"].paused is True
    assert harness.resyncer.failures == 1


async def test_a_fully_booted_on_a_resynced_session_asks_for_a_resync(harness: Harness) -> None:
    [booted] = [m for m in transcript("pause") if m.get("Event") == "FullyBooted"]
    changes = len(harness.sinks.changes)
    harness.resyncer.on_message(booted)
    loop_task = asyncio.create_task(harness.resyncer.run())
    await asyncio.sleep(0.1)
    loop_task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop_task
    assert any(isinstance(c, Reset) for c in harness.sinks.changes[changes:])
