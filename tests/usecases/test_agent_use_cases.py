"""The agent use cases as the bridge runs them for a user's request: planned against the
live model, attributed through the journal, confirmed by Asterisk's (recorded) events."""

from __future__ import annotations

import pytest
from conftest import Harness, records_of
from fake_pbx import transcript

from standardiste.acd.records import AgentEvent
from standardiste.agent_state import AgentRequest
from standardiste.errors import AsteriskRefused, Forbidden, NotConfirmed
from standardiste.permissions import Scope

ALICE_DEV = "PJSIP/agent1001"  # a member of sales in the recorded snapshot
SUE = Scope("sue", False, frozenset({"sales"}), frozenset(), ())
ALICE = Scope("alice", False, frozenset(), frozenset({"sales", "support"}), (ALICE_DEV,))
BOB = Scope("bob", False, frozenset(), frozenset({"sales"}), ("PJSIP/agent1002",))


def pause(actor: Scope, target: Scope, reason: str = "lunch") -> AgentRequest:
    return AgentRequest("pause", actor, target, target.devices[0], reason=reason)


async def test_a_supervisor_pause_is_forced_and_recorded_as_theirs(harness: Harness) -> None:
    done = await harness.agents.act(pause(SUE, ALICE))
    assert done == ["sales"]  # planned from the model: where alice's phone is a member
    assert ("QueuePause", {"Queue": "sales", "Interface": ALICE_DEV, "Paused": "true",
            "Reason": "lunch"}) in harness.pbx.sent  # fmt: skip
    member = harness.model.members[f"sales|{ALICE_DEV}"]
    assert (member.paused, member.paused_reason, member.paused_by, member.forced) == (
        True, "lunch", "sue", True,
    )  # fmt: skip
    [event] = records_of(harness.sinks, AgentEvent)
    assert (event.action, event.by, event.forced) == ("pause", "sue", True)
    assert len(harness.journal) == 0  # confirmed: nothing left to attribute


async def test_a_refused_pause_is_forgotten_and_the_next_phone_pause_is_the_pbx_s(
    harness: Harness,
) -> None:
    harness.pbx.refuse["QueuePause"] = "Interface not found"
    with pytest.raises(AsteriskRefused, match="Interface not found"):
        await harness.agents.act(pause(SUE, ALICE))
    assert len(harness.journal) == 0
    # Now alice pauses from her phone's feature code: Asterisk sends the same event.
    [phone_pause] = [
        m for m in transcript("pause") if m.get("Event") == "QueueMemberPause" and
        m.get("Paused") == "1"
    ]  # fmt: skip
    harness.pump.on_message(phone_pause.__class__(
        [(k, ALICE_DEV if k in ("Interface", "StateInterface") else v)
         for k, v in phone_pause.headers()]
    ))  # fmt: skip
    member = harness.model.members[f"sales|{ALICE_DEV}"]
    assert (member.paused, member.paused_by, member.forced) == (True, "pbx", False)


async def test_an_action_asterisk_never_confirms_says_so(harness: Harness) -> None:
    harness.pbx.silent = True
    with pytest.raises(NotConfirmed, match="never confirmed"):
        await harness.agents.act(pause(SUE, ALICE))


async def test_an_agent_cannot_pause_someone_else_even_if_the_web_let_it_through(
    harness: Harness,
) -> None:
    with pytest.raises(Forbidden):
        await harness.agents.act(pause(BOB, ALICE))
    assert not [name for name, _ in harness.pbx.sent if name == "QueuePause"]


async def test_an_agent_logs_into_all_their_queues_then_out(harness: Harness) -> None:
    bob_dev = BOB.devices[0]
    joined = await harness.agents.act(AgentRequest("login", BOB, BOB, bob_dev, member_name="Bob"))
    assert joined == ["sales"]
    assert f"sales|{bob_dev}" in harness.model.members
    left = await harness.agents.act(AgentRequest("logout", BOB, BOB, bob_dev))
    assert left == ["sales"]
    assert f"sales|{bob_dev}" not in harness.model.members
    actions = [(e.action, e.by, e.forced) for e in records_of(harness.sinks, AgentEvent)]
    assert actions == [("login", "bob", False), ("logout", "bob", False)]
