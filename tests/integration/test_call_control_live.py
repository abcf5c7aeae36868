"""Supervisors' call control on the real Asterisk (issue 8, QD-2 and SV-9), through the
bridge's use cases (the web only forwards, tests/web/test_web_call_control.py): a waiting
caller taken by the supervisor rings the supervisor's sipp phone and leaves the queue; one
transferred reaches the target; neither counts as abandoned; a supervisor of another queue
may not listen. Each outcome is checked on what Asterisk reports, the phones and the
history, not on the model alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from ami_raw import RawAMI
from live import asterisk_view, eventually, sql_rows

from standardiste.agent_state import Actor
from standardiste.call_control import CallRequest
from standardiste.composition import BridgeProcess as Bridge
from standardiste.errors import Forbidden, InvalidInput
from standardiste.permissions import Scope
from standardiste.tools.sipp import SPEECH, AgentPhone, place_call

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ALICE, BOB, SUP = "PJSIP/agent1001", "PJSIP/agent1002", "PJSIP/sup2001"
SUE = Scope("sue", False, frozenset({"sales"}), frozenset(), (SUP,))
SAM = Scope("sam", False, frozenset({"support"}), frozenset(), ("PJSIP/sup2002",))
ALICE_SCOPE = Scope("alice", False, frozenset(), frozenset({"sales"}), (ALICE,))
BOB_SCOPE = Scope("bob", False, frozenset(), frozenset({"sales"}), (BOB,))


async def waiting_caller(bridge: Bridge, ami: RawAMI) -> str:
    """The caller's id once Asterisk lists them waiting in sales."""
    view = await eventually(lambda: asterisk_view(ami), lambda v: bool(v.callers), 10, "a caller")
    (uniqueid,) = view.callers
    await eventually(lambda: _known(bridge, uniqueid), bool, 5, "the bridge sees the caller")
    return uniqueid


async def _known(bridge: Bridge, uniqueid: str) -> bool:
    return uniqueid in bridge.model.callers


async def outcome_of(bridge: Bridge, uniqueid: str) -> str:
    await bridge.history.flushed()
    [row] = await sql_rows(
        bridge.settings.database.url,
        "select outcome from queue_calls where uniqueid = :u",
        u=uniqueid,
    )
    return str(row["outcome"])


@sqlite_only
async def test_a_supervisor_takes_a_waiting_caller_on_their_phone(
    bridge: Bridge, ami: RawAMI, tmp_path: Path
) -> None:
    # Alice is logged in but paused: the caller waits.
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
    async with AgentPhone("2001", 5081, answer_delay_s=0.5, talk=SPEECH, log_dir=tmp_path) as sup:
        async with await place_call("5000", "0633333333", 25, log_dir=tmp_path) as caller:
            uniqueid = await waiting_caller(bridge, ami)
            done = await bridge.calls.act(
                CallRequest("take", SUE, device=SUP, queue="sales", caller=uniqueid)
            )
            assert done == {"caller": uniqueid, "queue": "sales", "to": SUP}
            # Asterisk: the caller is no longer in the queue; the supervisor's phone answered.
            assert not (await asterisk_view(ami)).callers
            await sup.wait_outcome("ANSWERED", timeout=10)
            await caller.hangup_now()
    assert await outcome_of(bridge, uniqueid) == "transferred"
    today = bridge.model.queues["sales"].today
    assert (today.transferred, today.abandoned, today.timed_out) == (1, 0, 0)


@sqlite_only
async def test_a_waiting_caller_is_transferred_to_an_agent_or_an_extension(
    bridge: Bridge, ami: RawAMI, tmp_path: Path
) -> None:
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
    async with AgentPhone("1002", 5072, answer_delay_s=0.5, log_dir=tmp_path) as bob:
        async with await place_call("5000", "0644444444", 25, log_dir=tmp_path) as caller:
            first = await waiting_caller(bridge, ami)
            # An extension that the transfer context does not have is refused, and the
            # caller keeps waiting.
            with pytest.raises(InvalidInput, match="does not exist"):
                await bridge.calls.act(
                    CallRequest("transfer", SUE, queue="sales", caller=first, extension="3999")
                )
            assert first in (await asterisk_view(ami)).callers
            await bridge.calls.act(
                CallRequest(
                    "transfer", SUE, queue="sales", caller=first, target=BOB_SCOPE,
                    target_device=BOB,
                )
            )  # fmt: skip
            await bob.wait_outcome("ANSWERED", timeout=10)
            await caller.hangup_now()
        async with await place_call("5000", "0655555555", 25, log_dir=tmp_path) as caller:
            second = await waiting_caller(bridge, ami)
            await bridge.calls.act(
                CallRequest("transfer", SUE, queue="sales", caller=second, extension="1002")
            )
            await bob.wait_outcome("ANSWERED", count=2, timeout=10)
            await caller.hangup_now()
    assert [await outcome_of(bridge, u) for u in (first, second)] == ["transferred"] * 2
    assert bridge.model.queues["sales"].today.abandoned == 0


@sqlite_only
async def test_only_a_supervisor_of_the_agents_queue_may_listen(
    bridge: Bridge, ami: RawAMI, tmp_path: Path
) -> None:
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    async with AgentPhone("1001", 5071, answer_delay_s=0.5, talk=SPEECH, log_dir=tmp_path):
        async with await place_call("5000", "0666666666", 20, log_dir=tmp_path) as caller:
            await eventually(lambda: asterisk_view(ami), lambda v: bool(v.calls), 10, "answered")
            await eventually(lambda: _in_call(bridge), bool, 5, "the bridge sees the call")
            with pytest.raises(Forbidden):
                await bridge.calls.act(
                    CallRequest("spy", SAM, mode="listen", device="PJSIP/sup2002",
                                target=ALICE_SCOPE)
                )  # fmt: skip
            # Nothing was originated: no ChanSpy channel exists.
            channels = await ami.action_list("CoreShowChannels")
            assert not [c for c in channels if c.get("Application") == "ChanSpy"]
            await caller.hangup_now()


async def _in_call(bridge: Bridge) -> bool:
    return bool(bridge.model.calls)
