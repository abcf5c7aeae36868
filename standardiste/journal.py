"""The command journal: who asked for a member change, until Asterisk confirms it.

When a user logs an agent in, out, pauses or resumes them through us, the AMI action goes out
and, a few milliseconds later, Asterisk's event confirms it. The event itself does not say who
asked. The use case writes an entry here before sending the action; the event pump asks
:meth:`CommandJournal.attribute` to stamp ``by``/``forced`` on the confirming event before the
pure model sees it. An entry is cancelled when its action fails and expires after ``ttl``
seconds, so a later change made from the phone is never attributed to a web user by mistake.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from standardiste.acd import events as ev
from standardiste.acd.state import device_of

MemberAction = Literal["login", "logout", "pause", "resume"]

_Key = tuple[MemberAction, str, str]  # action, queue, interface


@dataclass(frozen=True, slots=True)
class Entry:
    """One expected confirmation: the action on ``queue``/``interface`` asked by ``by``."""

    action: MemberAction
    queue: str
    interface: str
    by: str
    forced: bool
    expires_at: float
    command_id: str = ""


@dataclass(frozen=True, slots=True)
class SpyEntry:
    """A listen / whisper / barge session asked by ``by`` from ``device`` on the agent's
    exact channel ``target``, until its ChanSpyStart arrives."""

    device: str
    target: str
    by: str
    mode: str
    queue: str
    expires_at: float
    label: str = ""  # a canned message's name


@dataclass(frozen=True, slots=True)
class StopEntry:
    """The end of a ChanSpy session (a canned message) asked by ``by``, until it comes."""

    session: str
    by: str
    expires_at: float


class CommandJournal:
    """Pending attributions keyed by (action, queue, interface); the newest entry wins.
    Spy sessions (and canned messages, whose playing channel spies too) are keyed by (the
    spying device, spied channel); asked ends by the session's id."""

    def __init__(self, *, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[_Key, Entry] = {}
        self._spies: dict[tuple[str, str], SpyEntry] = {}
        self._stops: dict[str, StopEntry] = {}

    def expect_spy(self, device: str, target: str, *, by: str, mode: str, queue: str) -> SpyEntry:
        """Before the Originate: the supervisor's phone still has to ring and be answered,
        so the entry lives ``ttl`` seconds plus a ring time."""
        entry = SpyEntry(device, target, by, mode, queue, self._clock() + self._ttl + 60.0)
        self._spies[(device, target)] = entry
        return entry

    def cancel_spy(self, entry: SpyEntry) -> None:
        if self._spies.get((entry.device, entry.target)) is entry:
            del self._spies[(entry.device, entry.target)]

    def expect_canned(
        self, device: str, target: str, *, by: str, name: str, queue: str
    ) -> SpyEntry:
        """Before the Originate of a canned message: ``device`` is the Local channel's
        (``acd.canned.local_device``), ``name`` the message's. It answers at once."""
        entry = SpyEntry(device, target, by, "", queue, self._clock() + self._ttl, label=name)
        self._spies[(device, target)] = entry
        return entry

    def expect_stop(self, session: str, *, by: str) -> StopEntry:
        """Before the Hangup that ends ``session``: its ChanSpyStop says who ended it."""
        entry = StopEntry(session, by, self._clock() + self._ttl)
        self._stops[session] = entry
        return entry

    def cancel_stop(self, entry: StopEntry) -> None:
        if self._stops.get(entry.session) is entry:
            del self._stops[entry.session]

    def expect(
        self,
        action: MemberAction,
        queue: str,
        interface: str,
        *,
        by: str,
        forced: bool,
        command_id: str = "",
    ) -> Entry:
        entry = Entry(action, queue, interface, by, forced, self._clock() + self._ttl, command_id)
        self._entries[(action, queue, interface)] = entry
        return entry

    def cancel(self, entry: Entry) -> None:
        """The action failed: its confirmation will not come, forget who asked."""
        key = (entry.action, entry.queue, entry.interface)
        if self._entries.get(key) is entry:
            del self._entries[key]

    def attribute(self, event: ev.Event) -> ev.Event:
        """``event`` with ``by``/``forced`` of the pending entry it confirms, if any."""
        if isinstance(event, ev.SpyStarted):
            return self._attribute_spy(event)
        if isinstance(event, ev.SpyStopped):
            stop = self._stops.pop(event.spyer_uniqueid, None)
            if stop is None or stop.expires_at < self._clock():
                return event
            return dataclasses.replace(event, by=stop.by)
        key = _key_of(event)
        if key is None:
            return event
        entry = self._entries.pop(key, None)
        if entry is None:
            return event
        if entry.expires_at < self._clock():
            return event
        if isinstance(event, ev.MemberPaused | ev.MemberAdded | ev.MemberRemoved):
            return dataclasses.replace(event, by=entry.by, forced=entry.forced)
        return event  # pragma: no cover - _key_of only keys these three

    def _attribute_spy(self, event: ev.SpyStarted) -> ev.Event:
        spy = self._spies.pop((device_of(event.spyer_channel), event.spyee_channel), None)
        if spy is None or spy.expires_at < self._clock():
            return event
        return dataclasses.replace(
            event, supervisor=spy.by, mode=spy.mode, queue=spy.queue, label=spy.label
        )

    def __len__(self) -> int:
        self._purge()
        return len(self._entries) + len(self._spies) + len(self._stops)

    def _purge(self) -> None:
        now = self._clock()
        for key in [k for k, e in self._entries.items() if e.expires_at < now]:
            del self._entries[key]
        for spy_key in [k for k, e in self._spies.items() if e.expires_at < now]:
            del self._spies[spy_key]
        for session in [k for k, e in self._stops.items() if e.expires_at < now]:
            del self._stops[session]


def _key_of(event: ev.Event) -> _Key | None:
    if isinstance(event, ev.MemberPaused):
        return ("pause" if event.paused else "resume", event.queue, event.interface)
    if isinstance(event, ev.MemberAdded):
        return ("login", event.member.queue, event.member.interface)
    if isinstance(event, ev.MemberRemoved):
        return ("logout", event.queue, event.interface)
    return None
