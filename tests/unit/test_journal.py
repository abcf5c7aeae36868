"""The command journal: who asked for a member change, stamped on the event that confirms it."""

from __future__ import annotations

from standardiste.acd import events as ev
from standardiste.acd.model import ContactCenter
from standardiste.acd.records import AgentEvent
from standardiste.journal import CommandJournal

DEV = "PJSIP/agent1001"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def paused(at: float, on: bool = True) -> ev.MemberPaused:
    return ev.MemberPaused("sales", DEV, on, "lunch" if on else "", at)


def test_the_confirming_event_is_attributed_to_who_asked_then_the_entry_is_gone() -> None:
    journal = CommandJournal()
    journal.expect("pause", "sales", DEV, by="sue", forced=True)
    stamped = journal.attribute(paused(1.0))
    assert (stamped.by, stamped.forced) == ("sue", True)  # type: ignore[union-attr]
    # The next pause, from the agent's phone, is the PBX's own.
    again = journal.attribute(paused(2.0))
    assert (again.by, again.forced) == ("pbx", False)  # type: ignore[union-attr]


def test_a_failed_command_leaves_no_attribution_behind() -> None:
    """REVIEW problem 2: the entry was never removed when the AMI action failed, so the next
    pause made from the phone was recorded as forced by the web user."""
    journal = CommandJournal()
    entry = journal.expect("pause", "sales", DEV, by="sue", forced=True)
    journal.cancel(entry)  # what AgentStateService does when Asterisk refuses or AMI is down
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(member_state()))
    out = cc.apply(journal.attribute(paused(5.0)))
    [record] = [r for r in out.records if isinstance(r, AgentEvent)]
    assert (record.by, record.forced) == ("pbx", False)
    assert cc.members[f"sales|{DEV}"].paused_by == "pbx"


def test_an_entry_expires() -> None:
    clock = Clock()
    journal = CommandJournal(ttl=10.0, clock=clock)
    journal.expect("login", "sales", DEV, by="sue", forced=True)
    clock.now += 11
    assert len(journal) == 0
    event = journal.attribute(ev.MemberAdded(member_state()))
    assert event.by == "pbx"  # type: ignore[union-attr]


def test_other_events_pass_untouched() -> None:
    journal = CommandJournal()
    journal.expect("logout", "sales", DEV, by="sue", forced=True)
    hung = ev.ChannelHungUp("1.1", 16, 1.0)
    assert journal.attribute(hung) is hung
    removed = journal.attribute(ev.MemberRemoved("sales", DEV, 2.0))
    assert removed.by == "sue"  # type: ignore[union-attr]


def member_state() -> ev.MemberState:
    return ev.MemberState("sales", DEV, "Alice", DEV, True, False, "", 1, False, 0, 0.0, 0.0)
