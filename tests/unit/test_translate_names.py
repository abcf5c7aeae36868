"""Names come out of the AMI as the caller sent them: Asterisk's escaping is undone exactly
where Asterisk applies it (``ast_escape_c()`` on channel snapshot names), nowhere else.

The wire lines below are what Asterisk 22 of the sandbox sent for a SIP caller named
O'Brien (recorded with tests/integration/test_names_live.py's set-up).
"""

from __future__ import annotations

import pytest

from standardiste.acd.model import ContactCenter
from standardiste.acd.records import QueueCallEntered
from standardiste.acd.state import Change
from standardiste.ami_bridge.translate import snapshot, translate, unescape_c
from standardiste.ami_bridge.wire import AmiMessage, Framer


def parse(*lines: str) -> AmiMessage:
    framer = Framer()
    framer.feed(b"Asterisk Call Manager/9.0.0\r\n")
    [msg] = framer.feed(("\r\n".join(lines) + "\r\n\r\n").encode())
    return msg


JOIN = parse(
    "Event: QueueCallerJoin",
    "Privilege: agent,all",
    "Timestamp: 1700000000.000001",
    "Channel: PJSIP/pstn-00000001",
    "CallerIDNum: 0612345678",
    "CallerIDName: O\\'Brien",
    "ConnectedLineName: <unknown>",
    "Uniqueid: 1700000000.1",
    "Queue: sales",
    "Position: 1",
    "Count: 1",
)


def test_a_caller_named_o_brien_is_shown_and_recorded_as_o_brien() -> None:
    cc = ContactCenter()
    outcome = cc.apply(translate(JOIN, 0.0))  # type: ignore[arg-type]
    [entered] = [r for r in outcome.records if isinstance(r, QueueCallEntered)]
    assert entered.caller_name == "O'Brien"  # the history
    [caller] = [c.value for c in outcome.changes if isinstance(c, Change) and c.entity == "caller"]
    assert caller is not None and caller["caller_name"] == "O'Brien"  # the mirror: dashboards


def test_every_channel_snapshot_name_is_unescaped() -> None:
    new = parse(
        "Event: Newchannel", "Channel: PJSIP/pstn-00000001", "CallerIDNum: 0612345678",
        'CallerIDName: O\\\'Brien \\"Bob\\" a\\\\b Who\\?', "Uniqueid: 1.1", "Linkedid: 1.1",
        "Exten: 5000", "Context: from-pstn",
    )  # fmt: skip
    event = translate(new, 0.0)
    assert event.caller_name == 'O\'Brien "Bob" a\\b Who?'  # type: ignore[union-attr]
    show = parse(
        "Event: CoreShowChannel", "ActionID: 3", "Channel: PJSIP/pstn-00000001",
        "CallerIDNum: 0612345678", "CallerIDName: O\\'Brien", "Uniqueid: 1.1",
        "Linkedid: 1.1", "Duration: 00:00:05",
    )  # fmt: skip
    [active] = snapshot([], [show], 0.0).channels
    assert active.caller_name == "O'Brien"


def test_names_asterisk_sends_unescaped_are_left_as_they_are() -> None:
    # QueueStatus' QueueEntry and app_queue's MemberName are not escaped by Asterisk 22:
    # unescaping them would eat a real backslash.
    entry = parse(
        "Event: QueueEntry", "ActionID: 2", "Queue: sales", "Position: 1",
        "Channel: PJSIP/pstn-00000001", "Uniqueid: 1.1", "CallerIDNum: 0612345678",
        "CallerIDName: O'Brien a\\b", "Wait: 3",
    )  # fmt: skip
    [waiting] = snapshot([entry], [], 0.0).callers
    assert waiting.caller_name == "O'Brien a\\b"
    member = parse(
        "Event: QueueMemberAdded", "Queue: sales", "Interface: PJSIP/agent1001",
        "MemberName: O'Brien \"x\" a\\b ?", "Paused: 0", "Status: 1",
    )  # fmt: skip
    assert translate(member, 0.0).member.member_name == 'O\'Brien "x" a\\b ?'  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        ("O\\'Brien", "O'Brien"),
        ('\\"quoted\\"', '"quoted"'),
        ("back\\\\slash", "back\\slash"),
        ("why\\?", "why?"),
        ("\\\\'", "\\'"),  # an escaped backslash followed by a plain quote
        ("tab\\tend", "tab\tend"),
        ("no escapes", "no escapes"),
        ("dangling\\", "dangling\\"),
    ],
)
def test_unescape_c_is_the_inverse_of_asterisks_escape(escaped: str, plain: str) -> None:
    assert unescape_c(escaped) == plain


def test_control_characters_from_an_escaped_name_never_reach_users() -> None:
    msg = parse(
        "Event: Newchannel", "Channel: PJSIP/x-1", "CallerIDName: Eve\\r\\nInjected",
        "Uniqueid: 2.2",
    )  # fmt: skip
    assert translate(msg, 0.0).caller_name == "Eve Injected"  # type: ignore[union-attr]
