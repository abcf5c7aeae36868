"""Supervisors' listen / whisper / barge sessions in the live model, and what a withdrawn
caller counts as: as a supervisor's dashboard and the audit would show them."""

from __future__ import annotations

from standardiste.acd import events as ev
from standardiste.acd.model import ContactCenter
from standardiste.acd.records import QueueCallLeft, SpyLogged
from standardiste.acd.spies import parse_chanspy_data
from standardiste.acd.state import Reset
from standardiste.ami_bridge.translate import snapshot, translate
from standardiste.ami_bridge.wire import AmiMessage, Framer
from standardiste.journal import CommandJournal

T0 = 1_700_000_000.0
AGENT_CHAN = "PJSIP/agent1001-0000000a"
SUP_CHAN = "PJSIP/sup2001-0000000c"


def Message(headers: dict[str, str]) -> AmiMessage:  # noqa: N802 - reads as a constructor
    framer = Framer()
    framer.feed(b"Asterisk Call Manager/9.0.0\r\n")
    text = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    [msg] = framer.feed(text.encode())
    return msg


def answered_call(cc: ContactCenter) -> None:
    cc.apply(ev.CallerJoined("sales", "100.1", "PJSIP/pstn-1", "0611111111", "Bob", 1, T0))
    cc.apply(ev.ChannelCreated("100.2", "100.1", AGENT_CHAN, "1001", "", "s", "", T0 + 1))
    cc.apply(ev.ChannelAnswered("100.2", "0611111111", T0 + 2))
    cc.apply(ev.CallerLeft("sales", "100.1", T0 + 2))
    cc.apply(
        ev.AgentConnected(
            "sales", "100.1", "PJSIP/agent1001", "Alice", 2.0, "100.2", AGENT_CHAN, T0 + 2
        )
    )


def logs(cc: ContactCenter, *events: ev.Event) -> list[tuple[str, str]]:
    out = []
    for e in events:
        out += [(r.event, r.mode) for r in cc.apply(e).records if isinstance(r, SpyLogged)]
    return out


def test_a_session_started_from_the_browser_shows_who_listens_how_and_is_audited() -> None:
    cc, journal = ContactCenter(), CommandJournal()
    answered_call(cc)
    journal.expect_spy("PJSIP/sup2001", AGENT_CHAN, by="sue", mode="whisper", queue="sales")
    start = journal.attribute(ev.SpyStarted("200.1", SUP_CHAN, "100.2", AGENT_CHAN, T0 + 5))
    assert logs(cc, start) == [("start", "whisper")]
    spy = cc.state()["spy"]["200.1"]
    assert (spy["supervisor"], spy["device"], spy["agent"], spy["queue"], spy["mode"]) == (
        "sue", "PJSIP/sup2001", "PJSIP/agent1001", "sales", "whisper"
    )  # fmt: skip
    # The supervisor presses 6 on the phone (or the browser sends it): barge. 5 twice: once.
    assert logs(
        cc,
        ev.DigitReceived("200.1", "6", T0 + 7),
        ev.DigitReceived("200.1", "5", T0 + 8),
        ev.DigitReceived("200.1", "5", T0 + 9),
        ev.DigitReceived("100.2", "4", T0 + 9),  # the agent's own keypad: not a spy
    ) == [("mode", "barge"), ("mode", "whisper")]
    assert logs(cc, ev.SpyStopped("200.1", T0 + 12)) == [("end", "whisper")]
    assert cc.state()["spy"] == {}
    # The spy channel's hang-up after ChanSpyStop does not end it twice.
    assert logs(cc, ev.ChannelHungUp("200.1", 16, T0 + 13)) == []


def test_a_session_started_from_a_phone_has_no_user_and_ends_with_its_channel() -> None:
    cc = ContactCenter()
    answered_call(cc)
    assert logs(cc, ev.SpyStarted("200.1", SUP_CHAN, "100.2", AGENT_CHAN, T0 + 5)) == [
        ("start", "listen")
    ]
    assert cc.state()["spy"]["200.1"]["supervisor"] == ""
    assert logs(cc, ev.ChannelHungUp("200.1", 16, T0 + 9)) == [("end", "listen")]


def test_an_expired_request_is_not_attributed() -> None:
    now = [0.0]
    journal = CommandJournal(ttl=1.0, clock=lambda: now[0])
    journal.expect_spy("PJSIP/sup2001", AGENT_CHAN, by="sue", mode="barge", queue="sales")
    now[0] = 120.0
    event = journal.attribute(ev.SpyStarted("200.1", SUP_CHAN, "100.2", AGENT_CHAN, T0))
    assert (event.supervisor, event.mode) == ("", "")  # type: ignore[union-attr]


def test_a_resync_finds_sessions_in_progress_and_ends_those_gone() -> None:
    cc = ContactCenter()
    answered_call(cc)
    cc.apply(ev.SpyStarted("200.1", SUP_CHAN, "100.2", AGENT_CHAN, T0 + 5, "sue", "barge"))

    def channel(uid: str, name: str, app: str = "", data: str = "") -> ev.ActiveChannel:
        return ev.ActiveChannel(uid, uid, name, "", "", "", "", "", "Up", app, "", 30.0, data)

    listed = (
        channel("100.2", AGENT_CHAN),
        channel("200.1", SUP_CHAN, "ChanSpy", f"{AGENT_CHAN},qEduB"),
        channel("300.1", "PJSIP/sup2002-0000000f", "ChanSpy", f"{AGENT_CHAN},qEduw"),
    )
    out = cc.replace(ev.Snapshot(T0 + 40, channels=listed))
    [reset] = [c for c in out.changes if isinstance(c, Reset)]
    spies = reset.state["spy"]
    # The one we knew keeps its user and mode; a new one starts in the mode its options say.
    assert (spies["200.1"]["supervisor"], spies["200.1"]["mode"]) == ("sue", "barge")
    assert (spies["300.1"]["supervisor"], spies["300.1"]["mode"]) == ("", "whisper")
    out = cc.replace(ev.Snapshot(T0 + 50, channels=listed[:1]))
    ended = {(r.session, r.event) for r in out.records if isinstance(r, SpyLogged)}
    assert ended == {("200.1", "end"), ("300.1", "end")}


def test_chanspy_data_and_events_translate() -> None:
    assert parse_chanspy_data(f"{AGENT_CHAN},qEdu") == (AGENT_CHAN, "listen")
    assert parse_chanspy_data(f"{AGENT_CHAN},qEduB") == (AGENT_CHAN, "barge")
    start = translate(
        Message(
            {
                "Event": "ChanSpyStart",
                "SpyerChannel": SUP_CHAN,
                "SpyerUniqueid": "200.1",
                "SpyeeChannel": AGENT_CHAN,
                "SpyeeUniqueid": "100.2",
                "Timestamp": f"{T0}",
            }
        ),
        T0,
    )
    assert start == ev.SpyStarted("200.1", SUP_CHAN, "100.2", AGENT_CHAN, T0)
    digit = {"Event": "DTMFEnd", "Uniqueid": "200.1", "Digit": "5", "Timestamp": f"{T0}"}
    assert translate(Message({**digit, "Direction": "Received"}), T0) == ev.DigitReceived(
        "200.1", "5", T0
    )
    assert translate(Message({**digit, "Direction": "Sent"}), T0) is None
    assert translate(Message({**digit, "Direction": "Received", "Digit": "1"}), T0) is None
    snap = snapshot(
        [],
        [
            Message(
                {
                    "Event": "CoreShowChannel",
                    "Uniqueid": "200.1",
                    "Channel": SUP_CHAN,
                    "Application": "ChanSpy",
                    "ApplicationData": f"{AGENT_CHAN},qEduw",
                    "Duration": "00:00:12",
                }
            )
        ],
        T0,
    )
    assert snap.channels[0].application_data == f"{AGENT_CHAN},qEduw"


def test_a_withdrawn_caller_counts_as_transferred_not_abandoned() -> None:
    cc = ContactCenter()
    cc.apply(ev.CallerJoined("sales", "100.1", "PJSIP/pstn-1", "0611111111", "Bob", 1, T0))
    # What app_queue sends for QueueWithdrawCaller: an abandon first, then the leave; our
    # dialplan's QueueExit says WITHDRAW.
    records = []
    for e in (
        ev.CallerAbandoned("sales", "100.1", 30.0, T0 + 30),
        ev.CallerLeft("sales", "100.1", T0 + 30),
        ev.QueueExited("sales", "100.1", "WITHDRAW", T0 + 30),
        ev.ChannelHungUp("100.1", 16, T0 + 60),
    ):
        records += cc.apply(e).records
    assert [r for r in records if isinstance(r, QueueCallLeft)] == [
        QueueCallLeft("100.1", "sales", "transferred", 30.0, T0 + 30, event="WITHDRAW")
    ]
    today = cc.queues["sales"].today
    assert (today.transferred, today.abandoned, today.handled) == (1, 0, 0)


def test_an_agents_direct_calls_are_live_and_queue_calls_are_not() -> None:
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(_member()))
    # Alice dials out from her phone: a direct outbound call, shown as it rings and answers.
    out = cc.apply(
        ev.ChannelCreated("300.1", "300.1", "PJSIP/agent1001-1", "1001", "", "0699", "agents", T0)
    )
    [change] = out.changes
    assert change.entity == "direct" and change.value is not None
    assert (change.value["direction"], change.value["peer_number"]) == ("outbound", "0699")
    cc.apply(ev.ChannelAnswered("300.1", "0699", T0 + 3))
    assert cc.state()["direct"]["300.1"]["answered_at"] == T0 + 3
    # A queue call's agent leg is the queue call's, not a direct one.
    answered_call(cc)
    assert set(cc.state()["direct"]) == {"300.1"}
    out = cc.apply(ev.ChannelHungUp("300.1", 16, T0 + 20))
    assert [(c.entity, c.value) for c in out.changes if c.entity == "direct"] == [("direct", None)]


def _member() -> ev.MemberState:
    return ev.MemberState(
        "sales", "PJSIP/agent1001", "Alice", "PJSIP/agent1001", True, False, "", 1, False, 0,
        0.0, T0,
    )  # fmt: skip
