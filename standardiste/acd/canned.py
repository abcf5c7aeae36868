"""Canned audio messages played into agents' calls (AG-3), kept from AMI events.

The bridge plays message ``<id>`` into an agent's call by originating
``Local/<id>@standardiste-canned`` with the application ChanSpy on the agent's exact
channel, in barge mode: the Local channel's ``;2`` half plays the message (our dialplan),
its ``;1`` half barges what it hears into both legs of the call (so both parties hear it;
Originate of ChanSpy needs only the ``originate`` class). A playback is therefore a ChanSpy
session whose spy channel is such a Local channel: ChanSpyStart starts it, ChanSpyStop or
the Local channel's hang-up ends it. It is not a supervisor's barge, and is kept apart from
:mod:`acd.spies`. Each start and end is an audit record (:class:`CannedLogged`). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from standardiste.acd import events as ev
from standardiste.acd.records import CannedLogged, Record
from standardiste.acd.state import Canned, Change, Reset, device_of

_Changes = list[Change | Reset]

CANNED_CONTEXT = "standardiste-canned"
# The ";1" half of Local/<id>@standardiste-canned: the half that runs ChanSpy.
_SPY_CHANNEL_RE = re.compile(r"^Local/([0-9]{1,18})@standardiste-canned-[0-9a-f]{1,16};1$")


def message_of(channel: str) -> int | None:
    """The canned message a channel plays, if it is one of ours playing one; else None."""
    match = _SPY_CHANNEL_RE.fullmatch(channel)
    return int(match.group(1)) if match else None


def local_device(message: int) -> str:
    """The Local "device" (channel name without its suffix) that plays ``message``."""
    return f"Local/{message}@{CANNED_CONTEXT}"


class CannedBook:
    """The messages playing now, by the playing channel's uniqueid."""

    def __init__(self) -> None:
        self.sessions: dict[str, Canned] = {}

    def start(
        self,
        e: ev.SpyStarted,
        queue_of_call: Callable[[str], str],
        changes: _Changes,
        records: list[Record],
    ) -> None:
        message = message_of(e.spyer_channel)
        if message is None or e.spyer_uniqueid in self.sessions:
            return  # not ours, or ChanSpy re-attaching: nothing new
        canned = Canned(
            uniqueid=e.spyer_uniqueid,
            channel=e.spyer_channel,
            message=message,
            name=e.label,
            by=e.supervisor,
            agent=device_of(e.spyee_channel),
            target_channel=e.spyee_channel,
            target_uniqueid=e.spyee_uniqueid,
            queue=e.queue or queue_of_call(e.spyee_uniqueid),
            started_at=e.at,
        )
        self.sessions[canned.uniqueid] = canned
        changes.append(Change("canned", canned.uniqueid, canned.to_dict()))
        records.append(_log(canned, "start", e.at))

    def stop(
        self, uniqueid: str, at: float, changes: _Changes, records: list[Record], by: str = ""
    ) -> None:
        canned = self.sessions.pop(uniqueid, None)
        if canned is None:
            return
        changes.append(Change("canned", uniqueid, None))
        records.append(_log(canned, "end", at, stopped_by=by))

    def replace(
        self,
        channels: Iterable[ev.ActiveChannel],
        queue_of_call: Callable[[str], str],
        at: float,
        records: list[Record],
    ) -> None:
        """After a resync: the playing channels Asterisk lists (ChanSpy on a channel of a
        call). One we knew keeps who played it; one we did not know starts now for the
        record; those gone end now."""
        listed = list(channels)
        by_name = {c.channel: c for c in listed}
        old, self.sessions = self.sessions, {}
        for c in listed:
            message = message_of(c.channel)
            if message is None or c.application.lower() != "chanspy":
                continue
            target = c.application_data.partition(",")[0].strip()
            spied = by_name.get(target)
            if spied is None:
                continue  # not attached to a call (yet)
            was = old.pop(c.uniqueid, None)
            canned = was or Canned(
                uniqueid=c.uniqueid,
                channel=c.channel,
                message=message,
                name="",
                by="",
                agent=device_of(target),
                target_channel=target,
                target_uniqueid=spied.uniqueid,
                queue=queue_of_call(spied.uniqueid),
                started_at=at - c.duration,
            )
            if was is None:
                records.append(_log(canned, "start", canned.started_at))
            self.sessions[canned.uniqueid] = canned
        for canned in old.values():
            records.append(_log(canned, "end", at))

    def playing_into(self, channel: str) -> Canned | None:
        """The message playing into ``channel`` (an agent's exact channel), if any."""
        return next((c for c in self.sessions.values() if c.target_channel == channel), None)

    def state(self) -> dict[str, dict[str, object]]:
        return {k: v.to_dict() for k, v in self.sessions.items()}


def _log(canned: Canned, event: str, at: float, *, stopped_by: str = "") -> CannedLogged:
    return CannedLogged(
        session=canned.uniqueid,
        event=event,  # type: ignore[arg-type]
        message=canned.message,
        name=canned.name,
        by=canned.by,
        agent=canned.agent,
        target_channel=canned.target_channel,
        queue=canned.queue,
        stopped_by=stopped_by,
        at=at,
    )


__all__ = ["CANNED_CONTEXT", "CannedBook", "local_device", "message_of"]
