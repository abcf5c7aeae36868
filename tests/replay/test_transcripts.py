"""Tier 2: AMI transcripts recorded from the real sandbox, replayed through the bridge's path.

Bytes -> ``ami_bridge.wire.Framer`` -> ``ami_bridge.translate`` -> ``acd`` model. Each test
asserts what a supervisor or the history would see of the recorded scenario (the scenario is
described in the ``.md`` beside each ``.ami``; ``tests/transcripts/record.py`` re-records).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from standardiste.acd.events import ChannelHold
from standardiste.acd.model import ContactCenter
from standardiste.acd.records import (
    AgentEvent,
    AgentStateChanged,
    CallbackProgress,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
    Record,
)
from standardiste.ami_bridge.translate import snapshot, translate
from standardiste.ami_bridge.wire import AmiMessage, Framer

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "transcripts"


def messages(name: str, chunk: int = 1500) -> list[AmiMessage]:
    """The transcript's messages, fed to the framer in TCP-sized chunks as the socket would."""
    data = (TRANSCRIPTS / f"{name}.ami").read_bytes()
    framer = Framer()
    out: list[AmiMessage] = []
    for i in range(0, len(data), chunk):
        out.extend(framer.feed(data[i : i + chunk]))
    assert framer.garbage_count == 0
    return out


def replay(name: str) -> tuple[ContactCenter, list[Record]]:
    cc = ContactCenter()
    records: list[Record] = []
    for msg in messages(name):
        if not msg.event or msg.action_id:
            continue  # responses and list events are for the resync, not the live path
        event = translate(msg, 0.0)
        if event is not None:
            records.extend(cc.apply(event).records)
    return cc, records


def of(records: list[Record], kind: type[Record]) -> list[Record]:
    return [r for r in records if isinstance(r, kind)]


def test_answered_call() -> None:
    cc, records = replay("answered")
    (entered,) = of(records, QueueCallEntered)
    assert (entered.queue, entered.caller_number) == ("sales", "0611111111")  # type: ignore[attr-defined]
    (answered,) = of(records, QueueCallAnswered)
    assert answered.agent == "PJSIP/agent1001" and answered.wait == 1  # type: ignore[attr-defined]
    (completed,) = of(records, QueueCallCompleted)
    assert (completed.talk, completed.ended_by) == (3, "caller")  # type: ignore[attr-defined]
    assert of(records, QueueCallLeft) == []
    assert cc.queues["sales"].today.handled == 1
    assert cc.callers == {} and cc.calls == {}
    # The recording ends with the agent logged out again.
    assert [r.action for r in of(records, AgentEvent)] == ["login", "logout"]  # type: ignore[attr-defined]


def test_abandoned_call() -> None:
    cc, records = replay("abandoned")
    (left,) = of(records, QueueCallLeft)
    assert (left.outcome, left.queue) == ("abandoned", "sales")  # type: ignore[attr-defined]
    assert left.wait >= 2  # type: ignore[attr-defined]
    today = cc.queues["sales"].today
    assert (today.abandoned, today.timed_out, today.handled) == (1, 0, 0)


def test_timed_out_call() -> None:
    cc, records = replay("timeout")
    (left,) = of(records, QueueCallLeft)
    assert (left.outcome, left.queue, left.wait) == ("timed_out", "support", 8)  # type: ignore[attr-defined]
    today = cc.queues["support"].today
    assert (today.abandoned, today.timed_out) == (0, 1)


def test_callback_keeps_the_place_and_counts_apart() -> None:
    # The caller pressed 5 and left; the placeholder waited at their place (position 1) and
    # was answered; the customer answered and hung up (tests/transcripts/callback.md).
    cc = ContactCenter()
    records: list[Record] = []
    seen: list[tuple[str, str, int]] = []  # (uniqueid, kind, position) of each caller joining
    for msg in messages("callback"):
        if not msg.event or msg.action_id:
            continue
        event = translate(msg, 0.0)
        if event is None:
            continue
        records.extend(cc.apply(event).records)
        if msg.event == "QueueCallerJoin":
            caller = cc.callers[msg.get("Uniqueid", "")]
            seen.append((caller.uniqueid, caller.kind, caller.position))
    (original, placeholder) = seen
    assert original[1:] == ("call", 1)
    request = placeholder[0].removeprefix("cb-")
    assert placeholder == (f"cb-{request}", "callback", 1)
    # The history: the original call left (exited); the placeholder's passage is recorded
    # under its own uniqueid (kept apart from the inbound calls, for the queue_log export).
    (entered, passage) = of(records, QueueCallEntered)
    (left,) = of(records, QueueCallLeft)
    assert entered.uniqueid == left.uniqueid == original[0]  # type: ignore[attr-defined]
    assert left.outcome == "exited"  # type: ignore[attr-defined]
    assert (passage.uniqueid, passage.position) == placeholder[::2]  # type: ignore[attr-defined]
    (answered,) = of(records, QueueCallAnswered)
    (completed,) = of(records, QueueCallCompleted)
    assert answered.uniqueid == completed.uniqueid == placeholder[0]  # type: ignore[attr-defined]
    # The request's steps, in the order Asterisk reported them (calling comes before
    # AgentConnect: the writer applies them forward-only).
    steps = [
        (r.status, r.ended, r.agent, r.detail)  # type: ignore[attr-defined]
        for r in of(records, CallbackProgress)
    ]
    assert steps == [
        ("calling", False, "", ""),
        ("connecting", False, "PJSIP/agent1001", ""),
        ("connected", False, "", ""),
        ("connected", True, "", "ANSWER"),
    ]
    assert {r.request for r in of(records, CallbackProgress)} == {request}  # type: ignore[attr-defined]
    today = cc.queues["sales"].today
    assert (today.callbacks_requested, today.callbacks_connected) == (1, 1)
    assert (today.handled, today.abandoned, today.timed_out, today.callbacks_failed) == (0,) * 4
    assert cc.callers == {} and cc.calls == {}


def test_holds_of_both_legs_make_one_hold_period() -> None:
    # The agent's phone holds, then the caller's, the agent takes the call back, then the
    # caller: the call is on hold from the first Hold to the last Unhold, without a gap.
    cc = ContactCenter()
    completed: list[Record] = []
    holds: list[tuple[str, float, float]] = []  # (event, its time, the call's on_hold_since)
    for msg in messages("hold"):
        if not msg.event or msg.action_id:
            continue
        event = translate(msg, 0.0)
        if event is None:
            continue
        completed.extend(of(cc.apply(event).records, QueueCallCompleted))
        if isinstance(event, ChannelHold):
            (call,) = cc.calls.values()
            holds.append((msg.event, event.at, call.on_hold_since))
    first, last = holds[0][1], holds[-1][1]
    assert [(name, since) for name, _, since in holds] == [
        ("Hold", first), ("Hold", first), ("Unhold", first), ("Unhold", 0.0)
    ]  # fmt: skip
    (call,) = completed
    assert call.hold == pytest.approx(last - first)  # type: ignore[attr-defined]
    assert 4 < call.hold < call.talk  # type: ignore[attr-defined]


def test_pause_with_reason_then_resume() -> None:
    cc, records = replay("pause")
    actions = [(r.action, r.reason) for r in of(records, AgentEvent)]  # type: ignore[attr-defined]
    assert actions == [("login", ""), ("pause", "lunch"), ("resume", ""), ("logout", "")]


def test_pause_seen_live_by_the_model() -> None:
    cc = ContactCenter()
    seen = []
    for msg in messages("pause"):
        if msg.event and not msg.action_id:
            event = translate(msg, 0.0)
            if event is not None:
                cc.apply(event)
                m = cc.members.get("sales|PJSIP/agent1002")
                seen.append((m.paused, m.paused_reason) if m else None)
    assert (True, "lunch") in seen and seen[-1] is None


@pytest.mark.parametrize("chunk", [1, 7, 64, 4096])
def test_resync_snapshot_from_recorded_lists(chunk: int) -> None:
    msgs = messages("resync", chunk)
    status = [m for m in msgs if m.action_id == "resync-QueueStatus" and m.event]
    channels = [m for m in msgs if m.action_id == "resync-CoreShowChannels" and m.event]
    devices = [m for m in msgs if m.action_id == "resync-DeviceStateList" and m.event]
    snap = snapshot(status, channels, 2_000_000_000.0, devices)
    assert [c.caller_number for c in snap.callers] == ["0655555555"]
    assert [(m.queue, m.interface) for m in snap.members] == [("sales", "PJSIP/agent1001")]
    assert snap.members[0].in_call
    cc = ContactCenter()
    cc.replace(snap)
    assert set(cc.queues) >= {"sales", "support"}
    assert [c.position for c in cc.callers.values()] == [1]
    # The phones' states come along (not Queue: or Custom: pseudo-devices).
    assert cc.devices["PJSIP/agent1001"]["state"] == "INUSE"
    assert all(d.startswith("PJSIP/") for d in cc.devices)
    agent_leg = [c for c in snap.channels if c.channel.startswith("PJSIP/agent1001-")]
    assert agent_leg and agent_leg[0].connected_number == "0644444444"


def stored_states(records: list[Record]) -> list[tuple[str, str, str, float]]:
    """The agent state transitions as the history keeps them: one per agent and instant,
    the last one made (``AgentStateChanged.key``)."""
    stored: dict[str, tuple[str, str, str, float]] = {}
    for r in of(records, AgentStateChanged):
        stored.pop(r.key, None)
        stored[r.key] = (r.agent, r.state, r.reason, r.at)  # type: ignore[attr-defined]
    return sorted(stored.values(), key=lambda t: t[3])


def collapsed(
    states: list[tuple[str, str, str, float]],
) -> list[tuple[str, str, str, float]]:
    """Consecutive transitions to the same state and reason as one (Asterisk reports the
    device in use a few microseconds before AgentConnect names the queue: the state is the
    same, its queue is learnt a moment later)."""
    out: list[tuple[str, str, str, float]] = []
    for s in states:
        if not out or out[-1][1:3] != s[1:3]:
            out.append(s)
    return out


def test_agent_states_of_a_held_call_follow_the_call() -> None:
    _, records = replay("hold")
    states = collapsed(stored_states(records))
    assert [s for _, s, _, _ in states] == [
        "ready", "ringing", "talking", "hold", "talking", "ready", "logged_out"
    ]  # fmt: skip
    # The hold interval is the call's hold time: from the first leg's Hold to the last Unhold.
    hold_start, hold_end = states[3][3], states[4][3]
    (completed,) = of(records, QueueCallCompleted)
    assert hold_end - hold_start == pytest.approx(completed.hold)  # type: ignore[attr-defined]
    # Talking starts when the phone answers and ends when the call is over.
    (answered,) = of(records, QueueCallAnswered)
    assert abs(states[2][3] - answered.at) < 0.01  # type: ignore[attr-defined]
    assert states[5][3] >= completed.at  # type: ignore[attr-defined]


def test_agent_states_of_a_pause_carry_its_reason() -> None:
    _, records = replay("pause")
    assert [(a, s, r) for a, s, r, _ in collapsed(stored_states(records))] == [
        ("PJSIP/agent1002", "ready", ""),
        ("PJSIP/agent1002", "paused", "lunch"),
        ("PJSIP/agent1002", "ready", ""),
        ("PJSIP/agent1002", "logged_out", ""),
    ]
