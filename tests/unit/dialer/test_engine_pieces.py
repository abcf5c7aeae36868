"""The dialer's pure pieces around the engine: the dialplan's StdDial events as the bridge
reads them, queue_log's STDDIAL rows after a restart, and how an attempt's end becomes an
outcome (a predictive contact answered and never connected counts as a drop)."""

from __future__ import annotations

import pytest

from standardiste.acd import events as ev
from standardiste.acd.model import ContactCenter
from standardiste.ami_bridge.translate import BadMessage, translate
from standardiste.ami_bridge.wire import AmiMessage
from standardiste.dialer.contacts import Outcome
from standardiste.outbound.engine import _outcome, parse_stddial

A = "0123456789abcdef0123456789abcdef"


def user_event(**headers: str) -> AmiMessage:
    return AmiMessage({"Event": "UserEvent", "UserEvent": "StdDial", **headers})


def test_stddial_user_events_become_dial_progress() -> None:
    e = translate(user_event(Attempt=A, Stage="ended", DialStatus="BUSY", Answered=""), 5.0)
    assert e == ev.DialProgress(A, "ended", "BUSY", 0.0, "", 5.0)
    with pytest.raises(BadMessage, match="32 hex"):
        translate(user_event(Attempt="1; Hangup", Stage="ended"), 5.0)
    with pytest.raises(BadMessage, match="stage"):
        translate(user_event(Attempt=A, Stage="exploded"), 5.0)


def test_the_live_dial_follows_its_stages_and_goes_at_the_end() -> None:
    model = ContactCenter()
    model.apply(
        ev.OutboundChanged("dial", A, {"id": A, "mode": "progressive", "state": "ringing_agent"})
    )
    model.apply(ev.DialProgress(A, "agent_answered", "", 0, "", 1.0))
    assert model.outbound["dial"][A]["state"] == "ringing_contact"
    model.apply(ev.DialProgress(A, "answered", "", 0, "", 2.0))
    assert model.outbound["dial"][A]["state"] == "talking"
    out = model.apply(ev.DialProgress(A, "ended", "ANSWER", 12, "", 9.0))
    assert model.outbound["dial"] == {} and out.changes[0].value is None


def test_queue_log_rows_settle_what_the_bridge_missed() -> None:
    lines = [
        f"100|{A}|sales|NONE|STDDIAL|ANSWER|42",
        "101|ffffffffffffffffffffffffffffffff|sales|NONE|STDDIAL|BUSY|",
        f"102|{A[::-1]}|sales|NONE|STDDIAL|DROPPED|0",
        f"103|{A[::-1]}|sales|NONE|STDDIAL|ANSWER|7",
        "garbage",
        f"104|{A}|sales|NONE|CONNECT|1|x|2",
    ]
    ends = parse_stddial(lines, {A, A[::-1]})
    assert set(ends) == {A, A[::-1]}
    assert (ends[A].dialstatus, ends[A].answered_seconds, ends[A].dropped) == ("ANSWER", 42, False)
    assert ends[A[::-1]].dropped


@pytest.mark.parametrize(
    ("mode", "status", "flags", "outcome"),
    [
        ("progressive", "ANSWER", {}, Outcome.ANSWERED),
        ("progressive", "NOANSWER", {}, Outcome.NO_ANSWER),
        ("progressive", "AGENTNOANSWER", {}, Outcome.AGENT_NO_ANSWER),
        ("progressive", "CONGESTION", {}, Outcome.FAILED),
        ("predictive", "ANSWER", {"answered": True, "connected": True}, Outcome.ANSWERED),
        ("predictive", "ANSWER", {"answered": True, "dropped": True}, Outcome.DROPPED),
        ("predictive", "ANSWER", {"answered": True}, Outcome.DROPPED),  # never connected
        ("predictive", "NOANSWER", {}, Outcome.NO_ANSWER),
    ],
)
def test_how_an_attempt_ends(
    mode: str, status: str, flags: dict[str, bool], outcome: Outcome
) -> None:
    kw = {"dropped": False, "answered": False, "connected": False, **flags}
    assert _outcome(mode, status, **kw) is outcome
