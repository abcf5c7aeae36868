"""Names through the real Asterisk: a caller named O'Brien and an agent named
"Anne-Marie (nuit)" end up in the mirror and the history exactly as they were typed."""

from __future__ import annotations

from pathlib import Path

from ami_raw import RawAMI
from live import eventually, mirror_view, sql_rows

from standardiste.agent_state import Actor
from standardiste.bridge import Bridge
from standardiste.mirror import MirrorReader
from standardiste.tools.sipp import place_call

ALICE = "PJSIP/agent1001"


async def test_a_caller_named_o_brien_stays_o_brien(
    bridge: Bridge, reader: MirrorReader, ami: RawAMI, tmp_path: Path
) -> None:
    # Asterisk sends this name as O\'Brien in its channel events (ast_escape_c).
    call = await place_call(
        "5000", "0612345678", hangup_after_s=3, caller_name="O'Brien", log_dir=tmp_path
    )
    async with call:
        await eventually(lambda: mirror_view(reader), lambda v: bool(v.callers), 10, "waiting")
        snap = await reader.snapshot()
        [waiting] = snap.state["caller"].values()
        assert waiting["caller_name"] == "O'Brien"  # what the supervisor's dashboard shows
        await call.wait_result(30)
    await eventually(lambda: mirror_view(reader), lambda v: not v.callers, 10, "caller gone")
    await bridge.history.flushed()
    rows = await sql_rows(
        bridge.settings.database.url,
        "select caller_name, outcome from queue_calls where caller_number = :n",
        n="0612345678",
    )
    assert rows == [{"caller_name": "O'Brien", "outcome": "abandoned"}]


async def test_an_agent_named_with_parentheses_logs_in(
    bridge: Bridge, reader: MirrorReader, ami: RawAMI
) -> None:
    # Before: refused by QueueAdd's allow-list, so "Anne-Marie (nuit)" could never log in.
    joined = await bridge.agents.log_in(
        ALICE, ["sales"], by=Actor("anne-marie"), member_name="Anne-Marie (nuit)"
    )
    assert joined == ["sales"]
    snap = await reader.snapshot()
    assert snap.state["member"][f"sales|{ALICE}"]["member_name"] == "Anne-Marie (nuit)"
    [entry] = [
        m for m in await ami.action_list("QueueStatus", Queue="sales")
        if m.get("Event") == "QueueMember" and m.get("Location") == ALICE
    ]  # fmt: skip
    assert entry["Name"] == "Anne-Marie (nuit)"  # what Asterisk itself holds
