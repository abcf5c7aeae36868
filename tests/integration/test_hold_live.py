"""Hold time on the real Asterisk: in one queue call the agent's phone, then the caller's, put
the call on hold the way a hold key does (re-INVITE a=sendonly, later a=sendrecv), the two
holds overlapping. The live call shows the hold while it lasts (the dashboard bolds hold time
then) and the history keeps one hold period, from the first Hold to the last Unhold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ami_raw import RawAMI
from live import eventually, sql_rows

from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.mirror import MirrorReader
from standardiste.tools.sipp import AgentPhone, Hold, place_call

ALICE = "PJSIP/agent1001"
# The queue answers the caller at once, the agent's phone ~0.5 s later. The agent holds from
# ~1.5 s to ~3.5 s, the caller from 2.5 s to 6.5 s: the caller's hold outlasts the agent's.
AGENT_HOLD = Hold(after_s=1.0, for_s=2.0)
CALLER_HOLD = Hold(after_s=2.5, for_s=4.0)


async def test_overlapping_holds_of_both_legs_show_live_and_count_once(
    bridge: Bridge, ami: RawAMI, reader: MirrorReader, tmp_path: Path
) -> None:
    async def the_call() -> dict[str, Any]:
        calls = list((await reader.snapshot()).state["call"].values())
        return calls[0] if calls else {}

    async def shown(check: Any, what: str) -> dict[str, Any]:
        return await eventually(the_call, lambda c: bool(c) and check(c), 5, what)

    assert await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice")) == ["sales"]
    start = len(ami.messages)
    async with AgentPhone(
        "1001", 5071, answer_delay_s=0.5, hold=AGENT_HOLD, log_dir=tmp_path
    ) as phone:
        async with await place_call(
            "5000", "0677777777", hangup_after_s=2.0, hold=CALLER_HOLD, log_dir=tmp_path
        ) as caller:
            await phone.wait_outcome("HOLD")
            await shown(lambda c: c["on_hold_since"] > 0, "the agent's hold shown")
            await caller.wait_outcome("UNHOLD", timeout=15)
            live = await shown(lambda c: c["on_hold_since"] == 0, "the hold over")
            result = await caller.wait_result(30)
            assert result.answered and result.ended_by == "local"
    assert phone.count("UNHOLD") == 1

    # What Asterisk reported (the test's own AMI session): each phone's channel held, then
    # released, in this order.
    holds = [
        (m["Event"], m["Channel"].rpartition("-")[0], float(m["Timestamp"]))
        for m in ami.messages[start:]
        if m.get("Event") in ("Hold", "Unhold")
    ]
    assert [(event, channel) for event, channel, _ in holds] == [
        ("Hold", ALICE), ("Hold", "PJSIP/pstn"), ("Unhold", ALICE), ("Unhold", "PJSIP/pstn")
    ]  # fmt: skip
    await bridge.history.flushed()
    [row] = await sql_rows(
        bridge.settings.database.url,
        "select hold, talk from queue_calls where uniqueid = :u",
        u=live["uniqueid"],
    )
    # One period from the agent's Hold to the caller's Unhold: no gap when the agent took the
    # call back while the caller still held, no double count of the overlap.
    assert row["hold"] == pytest.approx(live["hold"])
    assert row["hold"] == pytest.approx(holds[-1][2] - holds[0][2], abs=0.01)
    assert CALLER_HOLD.for_s <= row["hold"] < row["talk"], row
