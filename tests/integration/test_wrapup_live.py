"""Wrap-up as Asterisk holds it: after a call, app_queue offers the member no call for the
queue's ``wrapuptime`` (config/asterisk/queues.conf: 5 s); the mirror shows the member in
wrap-up for exactly that time, then ready."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ami_raw import RawAMI
from live import converged, eventually

from standardiste.acd.state import Member
from standardiste.agent_state import Actor
from standardiste.bridge import Bridge
from standardiste.mirror import MirrorReader
from standardiste.tools.sipp import AgentPhone, place_call

ALICE = "PJSIP/agent1001"
WRAPUPTIME = 5  # [inbound-defaults] wrapuptime in config/asterisk/queues.conf


def presence(member: dict[str, Any], now: float) -> str:
    """What a dashboard shows for a mirrored member (the one rule, acd.state.Member)."""
    values = {k: v for k, v in member.items() if k in Member.__dataclass_fields__}
    return Member(**values).presence(now)


async def test_member_shows_wrapup_while_asterisk_holds_them_then_ready(
    bridge: Bridge, reader: MirrorReader, ami: RawAMI, tmp_path: Path
) -> None:
    async def alice() -> dict[str, Any]:
        return (await reader.snapshot()).state["member"][f"sales|{ALICE}"]

    async with AgentPhone("1001", 5071, answer_delay_s=0.5, hangup_after_s=2, log_dir=tmp_path):
        await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
        first = await place_call("5000", "0611111111", hangup_after_s=30, log_dir=tmp_path)
        second = None
        try:
            # The agent hangs up after 2 s: the call is over, the member is in wrap-up.
            ended = await eventually(
                alice, lambda m: bool(m["last_call"]) and not m["in_call"], 20, "first call over"
            )
            assert ended["wrapup_until"] == int(ended["last_call"]) + WRAPUPTIME
            assert presence(ended, time.time()) == "wrapup"

            # A caller who arrives now waits: Asterisk offers the call only once wrap-up is over.
            second = await place_call("5000", "0622222222", hangup_after_s=30, log_dir=tmp_path)
            snap = await eventually(
                reader.snapshot,
                lambda s: any(c["caller_number"] == "0622222222" for c in s.state["call"].values()),
                20,
                "second call answered",
            )
            [call] = [c for c in snap.state["call"].values() if c["caller_number"] == "0622222222"]
            assert call["answered_at"] >= ended["wrapup_until"]

            await first.wait_result(40)
            await second.wait_result(40)
        finally:  # sipp reaped even when an assertion fails (no process left behind)
            await first.stop()
            if second is not None:
                await second.stop()
        # After the second call and its wrap-up, the member is ready again.
        await eventually(alice, lambda m: presence(m, time.time()) == "ready", 20, "ready")
        await converged(ami, reader)
