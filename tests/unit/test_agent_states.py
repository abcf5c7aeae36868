"""An agent's one state across their queues (AN-2): the precedence of the pure function, and
the transitions the model writes to the history as an agent works."""

from __future__ import annotations

from standardiste.acd import events as ev
from standardiste.acd.agent_states import AgentState, agent_state
from standardiste.acd.metrics import QueueSettings, queue_metrics
from standardiste.acd.model import ContactCenter
from standardiste.acd.records import AgentStateChanged, record_from_dict
from standardiste.acd.state import Call, Change, DirectCall, Member

T0 = 1_700_000_000.0
ALICE = "PJSIP/agent1001"


def m(queue: str = "sales", **kw: object) -> Member:
    member = Member(queue=queue, interface=ALICE, status=1)
    for name, value in kw.items():
        setattr(member, name, value)
    return member


def call(queue: str = "sales", answered_at: float = T0, **kw: object) -> Call:
    c = Call(f"{queue}.{answered_at}", queue, ALICE, "Alice", "0611", "", 3.0, answered_at)
    for name, value in kw.items():
        setattr(c, name, value)
    return c


def test_no_membership_is_logged_out() -> None:
    assert agent_state([], [], [], T0) == AgentState("logged_out")


def test_a_queue_call_beats_everything_and_names_its_queue() -> None:
    members = [m("sales", paused=True, paused_reason="lunch"), m("support", wrapup_until=T0 + 9)]
    assert agent_state(members, [call("support")], [], T0) == AgentState("talking", "", "support")
    held = call("support", on_hold_since=T0 - 2)
    assert agent_state(members, [held], [], T0) == AgentState("hold", "", "support")


def test_direct_calls_talk_without_a_queue_and_ring_before_answer() -> None:
    inbound = DirectCall("9.1", ALICE, "inbound", "0622", T0)
    assert agent_state([m()], [], [inbound], T0) == AgentState("ringing")
    inbound.answered_at = T0 + 2
    assert agent_state([m()], [], [inbound], T0 + 3) == AgentState("talking")
    dialling = DirectCall("9.2", ALICE, "outbound", "0633", T0)
    assert agent_state([m()], [], [dialling], T0) == AgentState("talking")


def test_ringing_beats_wrapup_which_beats_paused() -> None:
    members = [m("sales", ringing=True), m("support", wrapup_until=T0 + 5)]
    assert agent_state(members, [], [], T0) == AgentState("ringing", queue="sales")
    members = [m("sales", paused=True, paused_reason="lunch"), m("support", wrapup_until=T0 + 5)]
    assert agent_state(members, [], [], T0) == AgentState("wrapup", queue="support")
    # Wrap-up lasts until wrapup_until, exclusive; then paused only if paused everywhere.
    assert agent_state(members, [], [], T0 + 5) == AgentState("ready")


def test_shared_wrapup_is_named_after_the_last_calls_queue() -> None:
    members = [m("sales", wrapup_until=T0 + 5), m("support", wrapup_until=T0 + 5)]
    assert agent_state(members, [], [], T0, last_queue="support").queue == "support"
    assert agent_state(members, [], [], T0).queue == "sales"


def test_paused_only_when_paused_in_every_queue_with_the_latest_reason() -> None:
    lunch = m("sales", paused=True, paused_reason="lunch", since=T0)
    training = m("support", paused=True, paused_reason="training", since=T0 + 60)
    assert agent_state([lunch, training], [], [], T0 + 61) == AgentState("paused", "training")
    assert agent_state([lunch, m("support")], [], [], T0 + 61) == AgentState("ready")


def test_an_unreachable_phone_is_unavailable_unless_paused() -> None:
    assert agent_state([m(status=5)], [], [], T0) == AgentState("unavailable")
    assert agent_state([m(status=4)], [], [], T0) == AgentState("unavailable")
    paused = m(status=5, paused=True, paused_reason="lunch")
    assert agent_state([paused], [], [], T0) == AgentState("paused", "lunch")


def test_a_busy_device_with_no_known_call_is_talking() -> None:
    assert agent_state([m(status=2)], [], [], T0) == AgentState("talking")
    assert agent_state([m(in_call=True)], [], [], T0) == AgentState("talking", queue="sales")


# -- the model's transitions ---------------------------------------------------------------


def member_state(queue: str, at: float, **kw: object) -> ev.MemberState:
    values: dict[str, object] = dict(
        queue=queue,
        interface=ALICE,
        member_name="Alice",
        state_interface=ALICE,
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


def transitions(cc: ContactCenter, *events: ev.Event) -> list[tuple[str, str, str, float]]:
    """The transitions as stored: one per instant, the last one made (its record's key)."""
    stored: dict[str, tuple[str, str, str, float]] = {}
    for e in events:
        for r in cc.apply(e).records:
            if isinstance(r, AgentStateChanged):
                stored.pop(r.key, None)
                stored[r.key] = (r.state, r.reason, r.queue, r.at - T0)
    return sorted(stored.values(), key=lambda t: t[3])


def test_a_working_day_is_a_sequence_of_transitions() -> None:
    cc = ContactCenter(wrapup={"sales": 10})
    got = transitions(
        cc,
        ev.MemberAdded(member_state("sales", T0)),
        ev.MemberAdded(member_state("support", T0 + 1)),  # still ready: no new transition
        ev.CallerJoined("sales", "100.1", "PJSIP/pstn-1", "0611", "Bob", 1, T0 + 5),
        ev.AgentRinging("sales", "100.1", ALICE, "Alice", "PJSIP/agent1001-1", T0 + 6),
        ev.CallerLeft("sales", "100.1", T0 + 8),
        ev.AgentConnected("sales", "100.1", ALICE, "Alice", 3, "101.1", "x", T0 + 8),
        ev.ChannelHold("101.1", True, T0 + 20),
        ev.ChannelHold("101.1", False, T0 + 30),
        ev.AgentCompleted("sales", "100.1", ALICE, 3, 40, "agent", T0 + 48),
        # No event marks the wrap-up's end (T0 + 58): written at its time with the next event.
        ev.MemberPaused("sales", ALICE, True, "lunch", T0 + 70),
        ev.MemberPaused("support", ALICE, True, "lunch", T0 + 71),
        ev.MemberPaused("support", ALICE, True, "lunch", T0 + 72),  # a repeat: nothing
        ev.MemberRemoved("sales", ALICE, T0 + 100),
        ev.MemberRemoved("support", ALICE, T0 + 101),
    )
    assert got == [
        ("ready", "", "", 0),
        ("ringing", "", "sales", 6),
        ("talking", "", "sales", 8),
        ("hold", "", "sales", 20),
        ("talking", "", "sales", 30),
        ("wrapup", "", "sales", 48),
        ("ready", "", "", 58),
        ("paused", "lunch", "", 71),
        # Removed from sales: a member of support only, where they are paused.
        ("logged_out", "", "", 101),
    ]


def test_a_resync_writes_only_what_changed_and_closes_who_left() -> None:
    cc = ContactCenter()
    cc.seed_agent_states(
        {ALICE: AgentState("paused", "lunch"), "PJSIP/agent1002": AgentState("ready")}
    )
    snap = ev.Snapshot(
        at=T0 + 500, members=(member_state("sales", T0, paused=True, paused_reason="lunch"),)
    )
    got = [
        (r.agent, r.state, r.at - T0)
        for r in cc.replace(snap).records
        if isinstance(r, AgentStateChanged)
    ]
    # Alice is still paused for lunch (no duplicate); Bruno logged out while no bridge looked.
    assert got == [("PJSIP/agent1002", "logged_out", 500)]


def test_transitions_of_an_agent_stay_in_time_order() -> None:
    cc = ContactCenter()
    transitions(cc, ev.MemberAdded(member_state("sales", T0 + 10)))
    # An event older than the agent's last transition (buffered during a resync).
    got = transitions(cc, ev.MemberPaused("sales", ALICE, True, "x", T0 + 5))
    assert got == [("paused", "x", "", 10)]


def test_a_transition_survives_the_disk_buffer() -> None:
    record = AgentStateChanged(ALICE, "paused", "lunch", "", T0)
    assert record_from_dict(record.to_dict()) == record


def a_call_then_wrapup(cc: ContactCenter) -> None:
    """Alice answers a sales call at +8 that ends at +48 (40 s talk); wrap-up until +58."""
    for e in (
        ev.MemberAdded(member_state("sales", T0)),
        ev.CallerJoined("sales", "100.1", "PJSIP/pstn-1", "0611", "Bob", 1, T0 + 5),
        ev.CallerLeft("sales", "100.1", T0 + 8),
        ev.AgentConnected("sales", "100.1", ALICE, "Alice", 3, "101.1", "x", T0 + 8),
        ev.AgentCompleted("sales", "100.1", ALICE, 3, 40, "agent", T0 + 48),
    ):
        cc.apply(e)


def test_after_call_work_counts_on_the_calls_queue_once_the_wrapup_ended() -> None:
    cc = ContactCenter(wrapup={"sales": 10})
    a_call_then_wrapup(cc)
    today = cc.queues["sales"].today
    assert (today.acw, today.wrapups) == (0.0, 0)  # still wrapping up: not counted yet
    out = cc.apply(ev.MemberPaused("sales", ALICE, True, "lunch", T0 + 70))
    today = cc.queues["sales"].today
    assert (today.acw, today.wrapups) == (10.0, 1)
    # The card's AHT includes it: (40 s talk + 10 s wrap-up) / 1 call.
    assert queue_metrics(today, QueueSettings()).aht == 50.0
    # The mirror hears of it (the change carries the counters).
    sales = [c for c in out.changes if isinstance(c, Change) and c.entity == "queue"]
    assert sales and sales[-1].value is not None and sales[-1].value["today"]["acw"] == 10.0


def test_a_wrapup_counts_on_the_day_it_started() -> None:
    """A wrap-up across midnight belongs to the day it started (as in the reports): the
    counters of the new day do not get it."""
    midnight = T0 + 50

    def day_of(at: float) -> str:
        return "2026-11-28" if at < midnight else "2026-11-29"

    cc = ContactCenter(wrapup={"sales": 10}, day_of=day_of)
    a_call_then_wrapup(cc)
    cc.apply(ev.CallerJoined("sales", "100.2", "PJSIP/pstn-2", "0612", "Eve", 1, T0 + 55))
    cc.apply(ev.MemberPaused("sales", ALICE, True, "lunch", T0 + 70))
    today = cc.queues["sales"].today
    assert (today.day, today.offered, today.acw, today.wrapups) == ("2026-11-29", 1, 0.0, 0)
    # Had nothing happened in the queue after midnight, it counts on the day before.
    cc = ContactCenter(wrapup={"sales": 10}, day_of=day_of)
    a_call_then_wrapup(cc)
    cc.apply(ev.MemberPaused("sales", ALICE, True, "lunch", T0 + 70))
    today = cc.queues["sales"].today
    assert (today.day, today.acw, today.wrapups) == ("2026-11-28", 10.0, 1)


def test_a_restarted_bridge_counts_the_wrapup_under_way_from_its_stored_start() -> None:
    """The bridge restarts while alice wraps up (stored at +48): her wrap-up counts whole
    when it ends, as the report counts it from the stored rows."""
    cc = ContactCenter(wrapup={"sales": 10})
    cc.seed_agent_states({ALICE: AgentState("wrapup", queue="sales")}, {ALICE: T0 + 48})
    snap = ev.Snapshot(
        at=T0 + 52,
        queues=(ev.QueueParams("sales", "rrmemory", 0, 60, 0),),
        members=(member_state("sales", T0 + 52, last_call=T0 + 48, calls_taken=1),),
    )
    resync = [r for r in cc.replace(snap).records if isinstance(r, AgentStateChanged)]
    assert resync == []  # still wrapping up: nothing new to write
    cc.apply(ev.MemberPaused("sales", ALICE, True, "lunch", T0 + 70))
    today = cc.queues["sales"].today
    assert (today.acw, today.wrapups) == (10.0, 1)
