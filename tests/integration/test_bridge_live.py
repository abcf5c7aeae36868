"""The whole loop against the real Asterisk: sipp callers and agents, the bridge, real Redis,
and the SQL history on SQLite and PostgreSQL.

At each step the Redis mirror must equal what Asterisk itself reports (QueueStatus,
CoreShowChannels, read with the test's own AMI client), and the history must hold the records
a report would need.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ami_raw import RawAMI
from live import asterisk_view, converged, eventually, mirror_view, sql_rows

from standardiste.agent_state import Actor
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.composition import BridgeProcess as Bridge
from standardiste.errors import AsteriskRefused, InvalidInput, UnknownQueue
from standardiste.mirror import MirrorReader
from standardiste.tools.sipp import AgentPhone, place_call

ALICE = "PJSIP/agent1001"
BOB = "PJSIP/agent1002"
SUE = Actor("sue", supervisor=True)


async def history(bridge: Bridge, query: str, **params: object) -> list[dict[str, object]]:
    await bridge.history.flushed()
    return await sql_rows(bridge.settings.database.url, query, **params)


async def test_call_answered_by_a_sipp_agent(
    bridge: Bridge, reader: MirrorReader, ami: RawAMI, tmp_path: Path
) -> None:
    async with AgentPhone("1001", 5071, answer_delay_s=1.5, log_dir=tmp_path) as phone:
        joined = await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
        assert joined == ["sales"]
        view = await converged(ami, reader)
        assert view.members == {("sales", ALICE): (False, "")}

        caller = await place_call("5000", "0611111111", hangup_after_s=6, log_dir=tmp_path)
        # The caller waits while the agent's phone rings: the mirror shows them in line.
        view = await eventually(
            lambda: mirror_view(reader), lambda v: bool(v.callers), 10, "caller waiting"
        )
        [(queue, position, number)] = view.callers.values()
        assert (queue, position, number) == ("sales", 1, "0611111111")
        # The agent answers: the caller leaves the line and a call appears, as Asterisk says.
        view = await eventually(
            lambda: asterisk_view(ami), lambda v: bool(v.calls), 10, "call bridged"
        )
        assert await converged(ami, reader) == view
        (uniqueid,) = view.calls
        snap = await reader.snapshot()
        call = snap.state["call"][uniqueid]
        assert (call["agent"], call["caller_number"]) == (ALICE, "0611111111")
        assert snap.state["member"][f"sales|{ALICE}"]["in_call"] is True

        result = await caller.wait_result(30)
        assert result.answered and phone.count("ANSWERED") == 1
    view = await converged(ami, reader)
    assert not view.callers and not view.calls

    [row] = await history(
        bridge,
        "select outcome, agent, wait, talk, ended_by from queue_calls where uniqueid = :u",
        u=uniqueid,
    )
    assert row["outcome"] == "answered" and row["agent"] == ALICE
    assert 1 <= row["wait"] <= 4  # type: ignore[operator]
    assert 2 <= row["talk"] <= 6  # type: ignore[operator]
    assert row["ended_by"] == "caller"
    logins = await history(
        bridge,
        "select by, forced from agent_events where agent = :a and action = 'login'",
        a=ALICE,
    )
    assert logins == [{"by": "alice", "forced": False}]
    snap = await reader.snapshot()
    assert snap.state["queue"]["sales"]["today"]["handled"] >= 1


async def test_caller_who_hangs_up_while_waiting(
    bridge: Bridge, reader: MirrorReader, ami: RawAMI, tmp_path: Path
) -> None:
    before = (await reader.snapshot()).state["queue"]["sales"]["today"]["abandoned"]
    caller = await place_call("5000", "0622222222", hangup_after_s=3, log_dir=tmp_path)
    view = await eventually(
        lambda: asterisk_view(ami), lambda v: bool(v.callers), 10, "caller in queue"
    )
    assert await converged(ami, reader) == view
    (uniqueid,) = view.callers
    result = await caller.wait_result(20)
    assert result.ended_by == "local"  # the caller hung up, not Asterisk
    view = await converged(ami, reader)
    assert not view.callers
    snap = await reader.snapshot()
    assert snap.state["queue"]["sales"]["today"]["abandoned"] == before + 1
    [row] = await history(
        bridge,
        "select outcome, wait, caller_number from queue_calls where uniqueid = :u",
        u=uniqueid,
    )
    assert row["outcome"] == "abandoned" and row["caller_number"] == "0622222222"
    assert 2 <= row["wait"] <= 5  # type: ignore[operator]


async def test_call_that_times_out(
    bridge: Bridge, reader: MirrorReader, ami: RawAMI, tmp_path: Path
) -> None:
    before = (await reader.snapshot()).state.get("queue", {}).get("support", {})
    caller = await place_call("95001", "0633333333", hangup_after_s=20, log_dir=tmp_path)
    view = await eventually(
        lambda: asterisk_view(ami), lambda v: bool(v.callers), 10, "caller in queue"
    )
    (uniqueid,) = view.callers
    assert await converged(ami, reader) == view
    result = await caller.wait_result(30)
    assert result.ended_by == "remote"  # Asterisk ended it after the 8 s max wait
    await converged(ami, reader)
    snap = await reader.snapshot()
    today = snap.state["queue"]["support"]["today"]
    assert today["timed_out"] == before.get("today", {}).get("timed_out", 0) + 1
    [row] = await history(
        bridge, "select outcome, wait from queue_calls where uniqueid = :u", u=uniqueid
    )
    assert row["outcome"] == "timed_out" and 7 <= row["wait"] <= 10  # type: ignore[operator]


async def test_agent_paused_with_a_reason_then_resumed(
    bridge: Bridge, reader: MirrorReader, ami: RawAMI
) -> None:
    await bridge.agents.log_in(BOB, None, by=Actor("bob"))  # all queues
    view = await converged(ami, reader)
    assert set(view.members) == {("sales", BOB), ("support", BOB)}

    paused = await bridge.agents.pause(BOB, "lunch", by=SUE)
    assert sorted(paused) == ["sales", "support"]
    view = await converged(ami, reader)  # Asterisk itself reports the pause and the reason
    assert view.members == {("sales", BOB): (True, "lunch"), ("support", BOB): (True, "lunch")}
    member = (await reader.snapshot()).state["member"][f"sales|{BOB}"]
    assert (member["paused_by"], member["forced"]) == ("sue", True)

    await bridge.agents.resume(BOB, ["support"], by=Actor("bob"))
    view = await converged(ami, reader)
    assert view.members == {("sales", BOB): (True, "lunch"), ("support", BOB): (False, "")}

    await bridge.agents.log_out(BOB, None, by=Actor("bob"))
    view = await converged(ami, reader)
    assert not view.members
    rows = await history(
        bridge,
        "select queue, action, reason, by, forced from agent_events where agent = :a "
        "order by at, queue",
        a=BOB,
    )
    assert [(r["queue"], r["action"], r["reason"], r["by"], r["forced"]) for r in rows] == [
        ("sales", "login", "", "bob", False),
        ("support", "login", "", "bob", False),
        ("sales", "pause", "lunch", "sue", True),
        ("support", "pause", "lunch", "sue", True),
        ("support", "resume", "", "bob", False),
        ("sales", "logout", "", "bob", False),
        ("support", "logout", "", "bob", False),
    ]


async def test_bad_requests_get_clear_errors_and_change_nothing(
    bridge: Bridge, reader: MirrorReader, ami: RawAMI
) -> None:
    with pytest.raises(UnknownQueue, match="nope"):
        await bridge.agents.log_in(ALICE, ["nope"], by=Actor("alice"))
    with pytest.raises(InvalidInput, match="interface"):
        await bridge.agents.log_in("PJSIP/x,1)\nAction: Command", ["sales"], by=Actor("x"))
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    with pytest.raises(InvalidInput, match="pause reason"):
        await bridge.agents.pause(ALICE, "Set(FILE(/etc/passwd)=x)", by=SUE)
    view = await converged(ami, reader)
    assert view.members == {("sales", ALICE): (False, "")}


async def test_non_queue_call_on_an_agent_device_goes_to_history(
    bridge: Bridge, reader: MirrorReader, ami: RawAMI, tmp_path: Path
) -> None:
    async with AgentPhone("1001", 5071, answer_delay_s=0.5, log_dir=tmp_path) as phone:
        await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
        # Someone dials Alice's direct number: not a queue call.
        caller = await place_call("1001", "0677777777", hangup_after_s=4, log_dir=tmp_path)
        result = await caller.wait_result(20)
        assert result.answered and phone.count("ANSWERED") == 1
    rows = await eventually(
        lambda: history(
            bridge,
            "select direction, peer_number, answered, talk from device_calls where device = :d",
            d=ALICE,
        ),
        bool,
        10,
        "device call recorded",
    )
    [row] = rows
    assert (row["direction"], row["peer_number"], row["answered"]) == (
        "inbound",
        "0677777777",
        True,
    )
    assert 2 <= row["talk"] <= 5  # type: ignore[operator]
    # It is not a queue call: nothing in queue_calls for that number.
    assert not await history(bridge, "select 1 from queue_calls where caller_number = '0677777777'")


async def test_asterisk_refusal_is_reported_with_its_reason(bridge: Bridge) -> None:
    # The one place actions go through: Asterisk's own message comes back to the caller.
    entry = bridge.journal.expect("pause", "sales", "PJSIP/agent1004", by="sue", forced=True)
    with pytest.raises(AsteriskRefused, match="Interface not found"):
        await bridge.agents._do(
            "QueuePause",
            AmiCommands(bridge.ami).queue_pause("sales", "PJSIP/agent1004", True),
            entry,
        )
    # Refused: who asked is forgotten, a later pause from the phone is not sue's.
    assert len(bridge.journal) == 0


async def test_outbound_call_from_an_agent_phone_goes_to_history(
    bridge: Bridge, ami: RawAMI, tmp_path: Path
) -> None:
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    async with (
        AgentPhone("1001", 5071, answer_delay_s=0.2, log_dir=tmp_path) as alice_phone,
        AgentPhone("1002", 5072, answer_delay_s=0.5, hangup_after_s=3, log_dir=tmp_path),
    ):
        # Alice's phone places a call to 1002 (click-to-dial: her phone rings first, then the
        # dialplan of the "agents" context dials 1002).
        resp = await ami.action(
            "Originate", Channel=ALICE, Context="agents", Exten="1002", Priority="1",
            CallerID="Alice <1001>", Async="true",
        )  # fmt: skip
        assert resp["Response"] == "Success", resp
        await alice_phone.wait_outcome("REMOTE_BYE", timeout=20)
    rows = await eventually(
        lambda: history(
            bridge,
            "select direction, peer_number, answered, talk from device_calls where device = :d",
            d=ALICE,
        ),
        bool,
        10,
        "device call recorded",
    )
    [row] = rows
    assert (row["direction"], row["peer_number"], bool(row["answered"])) == (
        "outbound",
        "1002",
        True,
    )
    assert 2 <= row["talk"] <= 6  # type: ignore[operator]
