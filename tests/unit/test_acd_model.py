"""The live model, event by event, as a supervisor and the history would see it."""

from __future__ import annotations

from standardiste.acd import events as ev
from standardiste.acd.model import ContactCenter
from standardiste.acd.records import (
    AgentEvent,
    AgentStateChanged,
    DeviceCall,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallLeft,
    RingNoAnswer,
)
from standardiste.acd.state import Counters, Reset

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def member(queue: str = "sales", iface: str = "PJSIP/agent1001", at: float = T0, **kw: object):
    values: dict[str, object] = dict(
        queue=queue,
        interface=iface,
        member_name="Alice",
        state_interface=iface,
        dynamic=True,
        paused=False,
        paused_reason="",
        status=1,
        in_call=False,
        calls_taken=0,
        last_call=0.0,
        at=at,
    )
    values.update(kw)
    return ev.MemberState(**values)  # type: ignore[arg-type]


def joined(uid: str = "100.1", queue: str = "sales", at: float = T0, pos: int = 1):
    return ev.CallerJoined(queue, uid, f"PJSIP/pstn-{uid}", "0611111111", "Bob", pos, at)


def records_of(cc: ContactCenter, *events: ev.Event) -> list[object]:
    """The records of ``events`` but the agents' state transitions (tested apart, in
    test_agent_states.py)."""
    out = []
    for e in events:
        out.extend(r for r in cc.apply(e).records if not isinstance(r, AgentStateChanged))
    return out


def test_answered_call_updates_caller_member_counters_and_history() -> None:
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(member()))
    cc.apply(joined())
    assert cc.callers["100.1"].position == 1
    cc.apply(
        ev.AgentRinging("sales", "100.1", "PJSIP/agent1001", "Alice", "PJSIP/agent1001-1", T0 + 1)
    )
    assert cc.members["sales|PJSIP/agent1001"].presence(T0 + 1) == "ringing"
    recs = records_of(  # app_queue's order: the caller leaves the queue, then AgentConnect
        cc,
        ev.CallerLeft("sales", "100.1", T0 + 4),
        ev.AgentConnected("sales", "100.1", "PJSIP/agent1001", "Alice", 4, "101.1", "x", T0 + 4),
    )
    assert recs == [
        QueueCallAnswered("100.1", "sales", "PJSIP/agent1001", "Alice", 4, T0 + 4, "101.1")
    ]
    assert "100.1" not in cc.callers
    assert cc.calls["100.1"].caller_number == "0611111111"
    assert cc.members["sales|PJSIP/agent1001"].presence(T0 + 5) == "in_call"
    assert cc.queues["sales"].today.handled == 1
    recs = records_of(
        cc, ev.AgentCompleted("sales", "100.1", "PJSIP/agent1001", 4, 30, "caller", T0 + 34)
    )
    assert recs == [
        QueueCallCompleted("100.1", "sales", "PJSIP/agent1001", 30, 0.0, "caller", T0 + 34, 4)
    ]
    assert cc.calls == {}
    assert cc.members["sales|PJSIP/agent1001"].presence(T0 + 35) == "ready"


def test_caller_hanging_up_while_waiting_is_abandoned() -> None:
    cc = ContactCenter()
    cc.apply(joined())
    recs = records_of(  # the order recorded from Asterisk 22 (tests/transcripts/abandoned.md)
        cc,
        ev.HangupRequested("100.1", T0 + 7),
        ev.CallerAbandoned("sales", "100.1", 7, T0 + 7),
        ev.CallerLeft("sales", "100.1", T0 + 7),
        ev.HangupRequested("100.1", T0 + 7),
        ev.ChannelHungUp("100.1", 16, T0 + 7),
    )
    assert recs == [QueueCallLeft("100.1", "sales", "abandoned", 7, T0 + 7)]
    assert (cc.queues["sales"].today.abandoned, cc.queues["sales"].today.timed_out) == (1, 0)
    assert cc.callers == {}


def test_timeout_is_not_an_abandon_though_asterisk_sends_one() -> None:
    # app_queue sends QueueCallerAbandon on timeout too (tests/transcripts/timeout.md); our
    # dialplan's QueueExit user event carries QUEUESTATUS=TIMEOUT.
    cc = ContactCenter()
    cc.apply(joined(queue="support"))
    recs = records_of(
        cc,
        ev.CallerAbandoned("support", "100.1", 8, T0 + 8),
        ev.CallerLeft("support", "100.1", T0 + 8),
        ev.QueueExited("support", "100.1", "TIMEOUT", T0 + 8),
        ev.HangupRequested("100.1", T0 + 9),
        ev.ChannelHungUp("100.1", 16, T0 + 9),
    )
    assert recs == [QueueCallLeft("100.1", "support", "timed_out", 8, T0 + 8)]
    today = cc.queues["support"].today
    assert (today.timed_out, today.abandoned) == (1, 0)


def test_exits_keep_their_queue_log_event_and_field() -> None:
    # The callback key (EXITWITHKEY: our [standardiste-callback-key] reports it, AMI does
    # not), leavewhenempty (LEAVEEMPTY: EXITEMPTY), a supervisor's withdraw and its info.
    cc = ContactCenter()
    cc.apply(joined(pos=3))
    key = records_of(
        cc,
        ev.CallerLeft("sales", "100.1", T0 + 12, 2),
        ev.QueueExited("sales", "100.1", "EXITWITHKEY", T0 + 12, key="5"),
        ev.HangupRequested("100.1", T0 + 14),
        ev.ChannelHungUp("100.1", 16, T0 + 14),
    )
    assert key == [QueueCallLeft("100.1", "sales", "exited", 12, T0 + 12, 2, "EXITWITHKEY", "5")]
    cc.apply(joined("100.2"))
    empty = records_of(
        cc,
        ev.CallerLeft("sales", "100.2", T0 + 4, 1),
        ev.QueueExited("sales", "100.2", "LEAVEEMPTY", T0 + 4),
    )
    assert empty == [QueueCallLeft("100.2", "sales", "exited", 4, T0 + 4, 1, "EXITEMPTY", "")]
    cc.apply(joined("100.3"))
    withdrawn = records_of(
        cc,
        ev.CallerLeft("sales", "100.3", T0 + 9, 1),
        ev.QueueExited("sales", "100.3", "WITHDRAW", T0 + 9, info="ext:2001"),
    )
    assert withdrawn == [
        QueueCallLeft("100.3", "sales", "transferred", 9, T0 + 9, 1, "WITHDRAW", "ext:2001")
    ]
    assert cc.queues["sales"].today.transferred == 1


def test_caller_hung_up_by_an_operator_while_waiting_is_abandoned() -> None:
    # AMI Hangup of a waiting caller: the hangup request comes *after* the abandon, and no
    # QueueExit follows (Queue() never returns).
    cc = ContactCenter()
    cc.apply(joined())
    recs = records_of(
        cc,
        ev.CallerAbandoned("sales", "100.1", 5, T0 + 5),
        ev.CallerLeft("sales", "100.1", T0 + 5),
        ev.HangupRequested("100.1", T0 + 5),
        ev.ChannelHungUp("100.1", 16, T0 + 5),
    )
    assert recs == [QueueCallLeft("100.1", "sales", "abandoned", 5, T0 + 5)]


def test_agent_complete_without_uniqueid_closes_the_agents_call() -> None:
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(member()))
    cc.apply(joined())
    cc.apply(ev.CallerLeft("sales", "100.1", T0 + 2))
    cc.apply(ev.AgentConnected("sales", "100.1", "PJSIP/agent1001", "Alice", 2, "x", "y", T0 + 2))
    recs = records_of(cc, ev.AgentCompleted("sales", "", "PJSIP/agent1001", 2, 9, "agent", T0 + 11))
    assert recs == [
        QueueCallCompleted("100.1", "sales", "PJSIP/agent1001", 9, 0.0, "agent", T0 + 11, 2)
    ]
    assert cc.calls == {}


def test_caller_positions_close_up_when_one_leaves() -> None:
    cc = ContactCenter()
    cc.apply(joined("1", pos=1))
    cc.apply(joined("2", pos=2))
    cc.apply(joined("3", pos=3))
    cc.apply(ev.CallerLeft("sales", "1", T0 + 1))
    assert [cc.callers[u].position for u in ("2", "3")] == [1, 2]


def test_supervisor_pause_is_forced_and_attributed() -> None:
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(member()))
    paused = ev.MemberPaused("sales", "PJSIP/agent1001", True, "lunch", T0 + 10, "sue", True)
    recs = records_of(cc, paused)
    m = cc.members["sales|PJSIP/agent1001"]
    assert (m.paused, m.paused_reason, m.paused_by, m.forced) == (True, "lunch", "sue", True)
    assert m.presence(T0 + 11) == "paused" and m.since == T0 + 10
    assert recs == [
        AgentEvent("PJSIP/agent1001", "sales", "pause", "lunch", "sue", True, T0 + 10, "Alice")
    ]
    recs = records_of(cc, ev.MemberPaused("sales", "PJSIP/agent1001", False, "", T0 + 20))
    assert recs == [
        AgentEvent("PJSIP/agent1001", "sales", "resume", "", "pbx", False, T0 + 20, "Alice")
    ]
    assert cc.members["sales|PJSIP/agent1001"].forced is False


def test_counters_restart_at_local_midnight() -> None:
    cc = ContactCenter()
    cc.apply(joined("1"))
    cc.apply(ev.HangupRequested("1", T0 + 3))
    cc.apply(ev.CallerAbandoned("sales", "1", 3, T0 + 3))
    cc.apply(joined("2", at=T0 + 86400))
    cc.apply(ev.HangupRequested("2", T0 + 86403))
    cc.apply(ev.CallerAbandoned("sales", "2", 3, T0 + 86403))
    assert cc.queues["sales"].today.abandoned == 1
    assert cc.queues["sales"].today.day == "2023-11-15"


def test_resync_closes_vanished_callers_and_reports_a_reset() -> None:
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(member()))
    cc.apply(joined("1"))
    cc.apply(joined("2", pos=2))
    snap = ev.Snapshot(
        at=T0 + 60,
        queues=(ev.QueueParams("sales", "rrmemory", 0, 60, 0),),
        members=(member(at=T0 + 60, paused=True, paused_reason="lunch"),),
        callers=(ev.WaitingCaller("sales", "2", "PJSIP/pstn-2", "0622", "", 1, 60),),
    )
    out = cc.replace(snap)
    assert [r for r in out.records if not isinstance(r, AgentStateChanged)] == [
        QueueCallLeft("1", "sales", "exited", 60, T0 + 60)
    ]
    assert isinstance(out.changes[-1], Reset)
    assert set(out.changes[-1].state["caller"]) == {"2"}
    assert cc.members["sales|PJSIP/agent1001"].paused_reason == "lunch"


def test_non_queue_call_of_an_agent_device_is_recorded() -> None:
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(member()))
    recs = records_of(
        cc,
        ev.ChannelCreated(
            "9.1", "9.1", "PJSIP/agent1001-00000001", "1001", "", "0622", "agents", T0
        ),
        ev.ChannelAnswered("9.1", "0622", T0 + 2),
        ev.ChannelHungUp("9.1", 16, T0 + 12),
    )
    assert recs == [DeviceCall("9.1", "PJSIP/agent1001", "outbound", "0622", True, 10, T0, T0 + 12)]


def test_queue_legs_of_agent_devices_are_not_device_calls() -> None:
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(member()))
    cc.apply(ev.ChannelCreated("1", "1", "PJSIP/pstn-1", "0611", "", "5000", "from-pstn", T0))
    cc.apply(joined("1"))
    recs = records_of(
        cc,
        ev.ChannelCreated("2", "1", "PJSIP/agent1001-2", "1001", "", "s", "agents", T0 + 1),
        ev.ChannelHungUp("2", 16, T0 + 5),
    )
    assert not [r for r in recs if isinstance(r, DeviceCall)]


def test_hold_time_is_added_up_and_reported_with_the_completed_call() -> None:
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(member()))
    cc.apply(joined())
    cc.apply(ev.CallerLeft("sales", "100.1", T0 + 2))
    cc.apply(ev.AgentConnected("sales", "100.1", "PJSIP/agent1001", "Alice", 2, "9.9", "y", T0 + 2))
    cc.apply(ev.ChannelHold("100.1", True, T0 + 10))
    assert cc.calls["100.1"].on_hold_since == T0 + 10
    cc.apply(ev.ChannelHold("100.1", False, T0 + 25))
    cc.apply(ev.ChannelHold("9.9", True, T0 + 30))  # the agent's leg: same call
    recs = records_of(
        cc, ev.AgentCompleted("sales", "100.1", "PJSIP/agent1001", 2, 40, "agent", T0 + 42)
    )
    assert recs == [
        QueueCallCompleted("100.1", "sales", "PJSIP/agent1001", 40, 27.0, "agent", T0 + 42, 2)
    ]


def answered_call(cc: ContactCenter) -> None:
    """Caller 100.1 talking to alice, whose leg is 9.9, since T0 + 2."""
    cc.apply(ev.MemberAdded(member()))
    cc.apply(joined())
    cc.apply(ev.CallerLeft("sales", "100.1", T0 + 2))
    cc.apply(ev.AgentConnected("sales", "100.1", "PJSIP/agent1001", "Alice", 2, "9.9", "y", T0 + 2))


def test_overlapping_holds_of_both_legs_count_once() -> None:
    cc = ContactCenter()
    answered_call(cc)
    cc.apply(ev.ChannelHold("9.9", True, T0 + 10))  # the agent holds
    cc.apply(ev.ChannelHold("100.1", True, T0 + 15))  # then the caller too
    # The agent takes the call back: still on hold (the caller's phone holds), since T0 + 10.
    assert cc.apply(ev.ChannelHold("9.9", False, T0 + 20)).changes == []
    assert (cc.calls["100.1"].on_hold_since, cc.calls["100.1"].hold) == (T0 + 10, 0)
    (change,) = cc.apply(ev.ChannelHold("100.1", False, T0 + 30)).changes
    assert change.value is not None
    assert (change.value["on_hold_since"], change.value["hold"]) == (0, 20)
    recs = records_of(
        cc, ev.AgentCompleted("sales", "100.1", "PJSIP/agent1001", 2, 40, "agent", T0 + 42)
    )
    assert recs == [
        QueueCallCompleted("100.1", "sales", "PJSIP/agent1001", 40, 20.0, "agent", T0 + 42, 2)
    ]


def test_unhold_of_a_leg_never_held_and_hold_of_other_channels_change_nothing() -> None:
    cc = ContactCenter()
    answered_call(cc)
    assert cc.apply(ev.ChannelHold("9.9", False, T0 + 5)).changes == []
    assert cc.apply(ev.ChannelHold("7.7", True, T0 + 6)).changes == []
    assert (cc.calls["100.1"].on_hold_since, cc.calls["100.1"].hold) == (0, 0)


def test_ring_no_answer_puts_the_agent_back_to_ready() -> None:
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(member()))
    cc.apply(joined())
    cc.apply(ev.AgentRinging("sales", "100.1", "PJSIP/agent1001", "Alice", "PJSIP/agent1001-1", T0))
    assert cc.callers["100.1"].ringing == "PJSIP/agent1001"
    recs = records_of(cc, ev.AgentRingNoAnswer("sales", "100.1", "PJSIP/agent1001", T0 + 15))
    assert cc.callers["100.1"].ringing == ""
    assert cc.members["sales|PJSIP/agent1001"].presence(T0 + 16) == "ready"
    # The ring is history (queue_log's RINGNOANSWER), named like the member.
    assert recs == [RingNoAnswer("100.1", "sales", "PJSIP/agent1001", "Alice", 0, T0 + 15)]
    recs = records_of(
        cc, ev.AgentRingNoAnswer("sales", "100.1", "PJSIP/agent1001", T0 + 31, "Alice", 15004)
    )
    assert [r.ring_ms for r in recs if isinstance(r, RingNoAnswer)] == [15004]


# -- an agent in two queues: InCall is per membership ------------------------------------------
# app_queue keeps ``starttime`` in each queue's own member struct: only the membership whose
# queue connected the call reports InCall 1 (QueueStatus, QueueMemberStatus); the agent's other
# memberships report InCall 0 (their device status says the phone is busy).

ALICE = "Local/7001@load-agent"


def two_queue_agent_in_a_sales_call(cc: ContactCenter) -> None:
    cc.apply(ev.MemberAdded(member("sales", ALICE)))
    cc.apply(ev.MemberAdded(member("support", ALICE)))
    cc.apply(joined("100.1", "sales"))
    cc.apply(ev.CallerLeft("sales", "100.1", T0 + 2))
    cc.apply(ev.AgentConnected("sales", "100.1", ALICE, "Alice", 2, "101.1", "x", T0 + 2))


def test_status_of_the_other_queue_before_agent_complete_leaves_no_one_in_a_call() -> None:
    # The order seen under load: the phone goes idle, app_queue sends QueueMemberStatus for
    # both queues (InCall 0), and only then AgentComplete for the call's queue.
    cc = ContactCenter()
    two_queue_agent_in_a_sales_call(cc)
    cc.apply(ev.MemberUpdated(member("sales", ALICE, T0 + 30, status=1, in_call=False)))
    cc.apply(ev.MemberUpdated(member("support", ALICE, T0 + 30, status=1, in_call=False)))
    cc.apply(ev.AgentCompleted("sales", "100.1", ALICE, 2, 28, "agent", T0 + 30))
    for queue in ("sales", "support"):
        m = cc.members[f"{queue}|{ALICE}"]
        assert (m.in_call, m.presence(T0 + 31)) == (False, "ready"), queue


def test_membership_in_call_follows_its_own_queue_only() -> None:
    cc = ContactCenter()
    two_queue_agent_in_a_sales_call(cc)
    # The phone is busy: both queues send a status. Sales says InCall 0 if it was sent before
    # app_queue set the call's start; the model knows the sales call is on.
    cc.apply(ev.MemberUpdated(member("sales", ALICE, T0 + 3, status=2, in_call=False)))
    cc.apply(ev.MemberUpdated(member("support", ALICE, T0 + 3, status=2, in_call=False)))
    sales, support = cc.members[f"sales|{ALICE}"], cc.members[f"support|{ALICE}"]
    assert (sales.in_call, support.in_call) == (True, False)  # what QueueStatus reports
    assert support.presence(T0 + 3) == "in_call"  # busy through the device status


def test_resync_sets_in_call_only_on_the_membership_of_the_call() -> None:
    cc = ContactCenter()
    two_queue_agent_in_a_sales_call(cc)
    snap = ev.Snapshot(
        at=T0 + 10,
        queues=(
            ev.QueueParams("sales", "rrmemory", 0, 60, 0),
            ev.QueueParams("support", "rrmemory", 0, 60, 0),
        ),
        members=(
            member("sales", ALICE, T0 + 10, status=2, in_call=True),
            member("support", ALICE, T0 + 10, status=2, in_call=False),
        ),
        channels=(
            ev.ActiveChannel(
                "100.1", "100.1", "Local/c-1;1", "", "", "", "q", "s", "Up", "Queue", "b1", 10
            ),
            ev.ActiveChannel(
                "101.1", "100.1", f"{ALICE}-2;1", "", "", "", "q", "s", "Up", "AppQueue", "b1", 8
            ),
        ),  # fmt: skip
    )
    cc.replace(snap)
    assert "100.1" in cc.calls
    assert (cc.members[f"sales|{ALICE}"].in_call, cc.members[f"support|{ALICE}"].in_call) == (
        True,
        False,
    )


# -- wrap-up: when app_queue holds a member after a call ---------------------------------------


def test_member_is_in_wrapup_for_the_queues_wrapuptime_then_ready() -> None:
    cc = ContactCenter(wrapup={"sales": 5, "support": 20})
    two_queue_agent_in_a_sales_call(cc)
    cc.apply(ev.AgentCompleted("sales", "100.1", ALICE, 2, 28, "agent", T0 + 30))
    sales, support = cc.members[f"sales|{ALICE}"], cc.members[f"support|{ALICE}"]
    assert (sales.presence(T0 + 31), sales.presence(T0 + 35.5)) == ("wrapup", "ready")
    assert sales.wrapup_until == T0 + 35
    # Without shared_lastcall, app_queue holds only the membership of the call's queue.
    assert support.presence(T0 + 31) == "ready"


def test_wrapup_follows_asterisks_lastcall_when_it_is_a_second_earlier() -> None:
    """AgentComplete stamped just after a second boundary, then QueueMemberStatus with
    app_queue's lastcall (whole seconds, the second before): Asterisk holds the member until
    lastcall + wrapuptime, and so does the model (a full run once saw the 1 s difference)."""
    cc = ContactCenter(wrapup={"sales": 5})
    two_queue_agent_in_a_sales_call(cc)
    cc.apply(ev.AgentCompleted("sales", "100.1", ALICE, 2, 28, "agent", T0 + 30.001))
    assert cc.members[f"sales|{ALICE}"].wrapup_until == T0 + 35
    cc.apply(ev.MemberUpdated(member("sales", ALICE, T0 + 30.002, last_call=T0 + 29)))
    sales = cc.members[f"sales|{ALICE}"]
    assert (sales.last_call, sales.wrapup_until) == (T0 + 29, T0 + 34)
    # A status with the same lastcall changes nothing.
    cc.apply(ev.MemberUpdated(member("sales", ALICE, T0 + 31, last_call=T0 + 29)))
    assert cc.members[f"sales|{ALICE}"].wrapup_until == T0 + 34


def test_shared_lastcall_holds_every_queue_for_the_wrapuptime_of_the_calls_queue() -> None:
    cc = ContactCenter(wrapup={"sales": 5, "support": 20}, shared_lastcall=True)
    two_queue_agent_in_a_sales_call(cc)
    cc.apply(ev.AgentCompleted("sales", "100.1", ALICE, 2, 28, "agent", T0 + 30))
    for queue in ("sales", "support"):
        m = cc.members[f"{queue}|{ALICE}"]
        assert (m.presence(T0 + 34), m.presence(T0 + 35.5)) == ("wrapup", "ready"), queue


def test_a_members_own_wrapuptime_beats_the_queues() -> None:
    cc = ContactCenter(wrapup={"sales": 5})
    cc.apply(ev.MemberAdded(member("sales", ALICE, wrapuptime=12)))
    cc.apply(joined("100.1", "sales"))
    cc.apply(ev.AgentConnected("sales", "100.1", ALICE, "Alice", 2, "101.1", "x", T0 + 2))
    cc.apply(ev.AgentCompleted("sales", "100.1", ALICE, 2, 8, "caller", T0 + 10))
    assert cc.members[f"sales|{ALICE}"].wrapup_until == T0 + 22


def test_no_wrapuptime_means_ready_at_once() -> None:
    cc = ContactCenter()
    two_queue_agent_in_a_sales_call(cc)
    cc.apply(ev.AgentCompleted("sales", "100.1", ALICE, 2, 28, "agent", T0 + 30))
    assert cc.members[f"sales|{ALICE}"].presence(T0 + 30) == "ready"


def test_seeded_counters_wait_for_their_queue_instead_of_inventing_it() -> None:
    """At start the history has counters for queues Asterisk may no longer have (removed
    since): the mirror must not show them; a queue that does exist gets its counters."""
    cc = ContactCenter()
    out = cc.seed_counters(
        "2026-11-29",
        {
            "sales": Counters(handled=3, abandoned=1),
            "gone": Counters(handled=9, abandoned=9, timed_out=9),
        },
    )
    assert out.changes == [] and cc.queues == {}
    cc.replace(ev.Snapshot(at=T0, queues=(ev.QueueParams("sales", "rrmemory", 0, 60, 0),)))
    assert set(cc.queues) == {"sales"}
    today = cc.queues["sales"].today
    assert (today.handled, today.abandoned, today.timed_out) == (3, 1, 0)
