"""Supervisors' listen / whisper / barge sessions (ChanSpy), kept from AMI events.

A session starts with ChanSpyStart (the supervisor's channel, the spied channel), changes
mode when the supervisor's channel receives 4, 5 or 6 (ChanSpy's ``d`` option: from the
phone's keypad, or the browser through PlayDTMF Receive) and ends with ChanSpyStop or the
supervisor channel's hang-up. Each step is an audit record (:class:`SpyLogged`). Pure: the
model (:mod:`acd.model`) hands events in and publishes what comes out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from standardiste.acd import events as ev
from standardiste.acd.canned import message_of
from standardiste.acd.records import Record, SpyLogged
from standardiste.acd.state import Change, Reset, Spy, SpyMode, device_of

_Changes = list[Change | Reset]

MODE_DIGITS: dict[str, SpyMode] = {"4": "listen", "5": "whisper", "6": "barge"}
DIGIT_OF: dict[SpyMode, str] = {mode: digit for digit, mode in MODE_DIGITS.items()}


def mode_of_options(options: str) -> SpyMode:
    """The mode ChanSpy starts in with these options (``B`` barge, ``w``/``W`` whisper)."""
    if "B" in options:
        return "barge"
    if "w" in options or "W" in options:
        return "whisper"
    return "listen"


def parse_chanspy_data(data: str) -> tuple[str, SpyMode]:
    """ChanSpy's application data ``<spied channel>,<options>`` -> (channel, mode)."""
    target, _, options = data.partition(",")
    return target.strip(), mode_of_options(options)


class SpyBook:
    """The live sessions by the supervisor channel's uniqueid."""

    def __init__(self) -> None:
        self.sessions: dict[str, Spy] = {}

    def start(
        self,
        e: ev.SpyStarted,
        queue_of_call: Callable[[str], str],
        changes: _Changes,
        records: list[Record],
    ) -> None:
        """``queue_of_call(spyee uniqueid)``: the queue of the spied call ("" none)."""
        known = self.sessions.get(e.spyer_uniqueid)
        mode: SpyMode = _as_mode(e.mode)
        if known is not None and not e.supervisor:
            return  # a repeated ChanSpyStart (ChanSpy re-attaching): nothing new
        spy = Spy(
            uniqueid=e.spyer_uniqueid,
            channel=e.spyer_channel,
            device=device_of(e.spyer_channel),
            supervisor=e.supervisor,
            agent=device_of(e.spyee_channel),
            target_channel=e.spyee_channel,
            target_uniqueid=e.spyee_uniqueid,
            queue=e.queue or queue_of_call(e.spyee_uniqueid),
            mode=mode,
            started_at=e.at,
            mode_since=e.at,
        )
        self.sessions[spy.uniqueid] = spy
        changes.append(Change("spy", spy.uniqueid, spy.to_dict()))
        records.append(_log(spy, "start", e.at))

    def digit(self, e: ev.DigitReceived, changes: _Changes, records: list[Record]) -> None:
        spy = self.sessions.get(e.uniqueid)
        mode = MODE_DIGITS.get(e.digit)
        if spy is None or mode is None or mode == spy.mode:
            return
        spy.mode, spy.mode_since = mode, e.at
        changes.append(Change("spy", spy.uniqueid, spy.to_dict()))
        records.append(_log(spy, "mode", e.at))

    def stop(self, uniqueid: str, at: float, changes: _Changes, records: list[Record]) -> None:
        spy = self.sessions.pop(uniqueid, None)
        if spy is None:
            return
        changes.append(Change("spy", uniqueid, None))
        records.append(_log(spy, "end", at))

    def replace(
        self,
        channels: Iterable[ev.ActiveChannel],
        queue_of_call: Callable[[str], str],
        at: float,
        records: list[Record],
    ) -> None:
        """After a resync: the ChanSpy channels Asterisk lists. A session we knew keeps its
        supervisor and mode; one we did not know starts in the mode its options say, and
        those that are gone end now."""
        listed = list(channels)
        by_name = {c.channel: c for c in listed}
        old, self.sessions = self.sessions, {}
        for c in listed:
            if c.application.lower() != "chanspy" or message_of(c.channel) is not None:
                continue  # not a ChanSpy, or a canned message playing (acd.canned)
            target, mode = parse_chanspy_data(c.application_data)
            spied = by_name.get(target)
            if spied is None:
                continue  # not attached to a call (yet): no session to show
            was = old.pop(c.uniqueid, None)
            spy = was or Spy(
                uniqueid=c.uniqueid,
                channel=c.channel,
                device=device_of(c.channel),
                supervisor="",
                agent=device_of(target),
                target_channel=target,
                target_uniqueid=spied.uniqueid,
                queue=queue_of_call(spied.uniqueid),
                mode=mode,
                started_at=at - c.duration,
                mode_since=at - c.duration,
            )
            if was is None:
                records.append(_log(spy, "start", spy.started_at))
            self.sessions[spy.uniqueid] = spy
        for spy in old.values():
            records.append(_log(spy, "end", at))

    def state(self) -> dict[str, dict[str, object]]:
        return {k: v.to_dict() for k, v in self.sessions.items()}


def _as_mode(mode: str) -> SpyMode:
    for known in DIGIT_OF:
        if known == mode:
            return known
    return "listen"


def _log(spy: Spy, event: str, at: float) -> SpyLogged:
    return SpyLogged(
        session=spy.uniqueid,
        event=event,  # type: ignore[arg-type]
        supervisor=spy.supervisor,
        device=spy.device,
        agent=spy.agent,
        target_channel=spy.target_channel,
        queue=spy.queue,
        mode=spy.mode,
        at=at,
    )
