"""The dialer: the bridge-side loop that dials campaigns (I/O at the edge of ``dialer/``).

Every tick (1 s) it reads the campaigns from SQL (a supervisor's pause is seen within a tick),
computes each one's SV-7 status and card, and dials:

- **progressive** (agent-first, the product page's callback): one attempt per free agent of
  the campaign's queue; the agent's phone rings first, showing the contact's name and number,
  then the contact is dialled (``[standardiste-campaign]``);
- **preview**: the next contact is offered to a free agent (a ``dial`` in state ``preview``);
  the agent dials it or skips it (command kind ``dialer``), or it dials itself after the
  campaign's ``preview_timeout``;
- **predictive** (contact-first): as many contacts as the pacing (``dialer.pacer``) allows; an
  answered contact goes to the campaign's queue, and to the recorded message when no agent
  takes it within 2 s (``[standardiste-campaign-connect]``).

Never dial twice, never lose an attempt: the attempt is written and its contact taken
(``pending -> dialing``) in one transaction before the Originate, the Originate carries the
attempt's id as the channel's uniqueid and variable, and the dialplan reports the end in a
``UserEvent(StdDial)`` and in queue_log (``STDDIAL``). An attempt whose channel is gone
without an end event — the bridge was down, or restarted — is settled from queue_log, or as
``unknown`` when Asterisk wrote nothing (then retried by the campaign's rules, never at
once). An attempt that was never sent (``originated_at`` unset) is released uncounted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from standardiste.acd import events as ev
from standardiste.acd.model import ContactCenter
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.dialer.campaign import CampaignDef, campaign_status
from standardiste.dialer.contacts import (
    Outcome,
    dial_digits,
    normalise_number,
    outcome_from_dialstatus,
    region_timezone,
)
from standardiste.dialer.pacer import Pacer, PacerSettings, PastAttempt
from standardiste.errors import Conflict, Forbidden, InvalidInput
from standardiste.outbound.store import (
    Attempt,
    Campaign,
    CampaignStore,
    Contact,
    MissedCall,
    NewContact,
    day_start,
)

log = structlog.get_logger("standardiste.dialer")

AGENT_CONTEXT = "standardiste-campaign"
CONTACT_CONTEXT = "standardiste-campaign-contact"
CONNECT_CONTEXT = "standardiste-campaign-connect"
GONE_GRACE_S = 5.0  # a channel gone this long without its end event: ask queue_log
SWEEP_S = 10.0
MISSED_S = 10.0


@dataclass(slots=True)
class Live:
    """An attempt this bridge is following."""

    attempt: Attempt
    campaign: str
    queue: str
    contact_name: str
    state: str
    started_at: float
    agent_answered: bool = False
    answered: bool = False
    connected: bool = False
    dropped: bool = False
    seen: bool = False  # its channel has been in the model (so its absence means gone)
    answered_at: float | None = None  # the contact answered (predictive: the pacer is told)
    paced: bool = False  # its ring's end was told to the pacer
    gone_at: float | None = None

    @property
    def id(self) -> str:
        return self.attempt.id


@dataclass(frozen=True, slots=True)
class QueueLogEnd:
    """What queue_log says of an attempt: its STDDIAL rows."""

    dialstatus: str
    answered_seconds: float
    dropped: bool
    at: float


def parse_stddial(lines: Iterable[str], wanted: set[str]) -> dict[str, QueueLogEnd]:
    """The STDDIAL rows of queue_log (``epoch|attempt|queue|NONE|STDDIAL|status|seconds``)
    for the attempts in ``wanted``; a DROPPED row marks the attempt dropped."""
    out: dict[str, QueueLogEnd] = {}
    for line in lines:
        parts = line.rstrip("\n").split("|")
        if len(parts) < 6 or parts[4] != "STDDIAL" or parts[1] not in wanted:
            continue
        try:
            at = float(parts[0])
            seconds = float(parts[6]) if len(parts) > 6 and parts[6] else 0.0
        except ValueError:
            continue
        before = out.get(parts[1])
        dropped = parts[5] == "DROPPED" or (before is not None and before.dropped)
        status = before.dialstatus if parts[5] == "DROPPED" and before else parts[5]
        out[parts[1]] = QueueLogEnd(
            status, max(seconds, before.answered_seconds if before else 0), dropped, at
        )
    return out


@dataclass
class DialerEngine:
    store: CampaignStore
    commands: AmiCommands
    model: ContactCenter
    publish: Callable[[ev.Event], None]  # into the model (and so the mirror): OutboundChanged
    synced: Callable[[], bool]
    queue_log: Callable[[], Awaitable[list[str]]]  # the lines of Asterisk's queue_log
    directory: Callable[[], Awaitable[Mapping[str, Mapping[str, str]]]]  # device -> owner
    clock: Callable[[], float] = time.time
    tick_s: float = 1.0
    live: dict[str, Live] = field(default_factory=dict)
    _events: asyncio.Queue[ev.Event] = field(default_factory=lambda: asyncio.Queue(10000))
    _free_at: dict[str, float] = field(default_factory=dict)  # device -> end of wrap-up
    _owners: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    _owners_at: float = 0.0
    _cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # last published, by name
    _pacers: dict[str, tuple[PacerSettings, Pacer]] = field(default_factory=dict)
    _last_sweep: float = 0.0
    _last_missed: float = 0.0
    _recovered: bool = False
    decisions: int = 0

    # ------------------------------------------------------------------ events in
    def on_event(self, event: ev.Event) -> None:
        """Called by the event pump after the model applied ``event`` (never blocks)."""
        if isinstance(event, ev.DialProgress) or (
            isinstance(event, ev.ChannelHungUp | ev.AgentConnected) and event.uniqueid in self.live
        ):
            try:
                self._events.put_nowait(event)
            except asyncio.QueueFull:  # the sweep settles from queue_log instead
                log.warning("dialer.events_overflow")

    # ------------------------------------------------------------------ loop
    async def run(self) -> None:
        while True:
            deadline = self.clock() + self.tick_s
            try:
                await self._drain_events()
                if self.synced():
                    if not self._recovered:
                        await self.recover()
                    await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # SQL or AMI down: logged, the next tick tries again
                log.exception("dialer.tick_failed")
            wait = max(0.05, deadline - self.clock())
            try:
                event = await asyncio.wait_for(self._events.get(), wait)
            except TimeoutError:
                continue
            await self._handle(event)

    async def _drain_events(self) -> None:
        while not self._events.empty():
            await self._handle(self._events.get_nowait())

    async def _handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.DialProgress):
            await self._progress(event)
        elif isinstance(event, ev.AgentConnected):
            live = self.live.get(event.uniqueid)
            if live is not None and not live.connected:
                live.connected = True
                await self.store.mark(live.id, "connected_at", _dt(event.at), agent=event.interface)
                self._set_dial(live, state="talking", device=event.interface, since=event.at)
        elif isinstance(event, ev.ChannelHungUp):
            live = self.live.get(event.uniqueid)
            if live is not None and live.gone_at is None:
                live.gone_at = event.at

    async def _progress(self, e: ev.DialProgress) -> None:
        live = self.live.get(e.attempt)
        if e.stage == "agent_answered" and live is not None:
            live.agent_answered = True
        elif e.stage == "answered":
            if live is not None:
                live.answered = True
                live.answered_at = e.at
                self._pace_answer(live, e.at)
            await self.store.mark(e.attempt, "answered_at", _dt(e.at))
        elif e.stage == "dropped" and live is not None:
            live.dropped = True
            pacer = self._pacers.get(live.campaign)
            if pacer is not None and live.attempt.mode == "predictive":
                pacer[1].drop(live.answered_at or e.at)
        elif e.stage == "ended":
            if live is None:
                attempt = await self.store.attempt(e.attempt)
                if attempt is None or attempt.outcome is not None:
                    return
                dropped = False
                answered = connected = e.dialstatus == "ANSWER"
                mode = attempt.mode
            else:
                dropped, answered, connected, mode = (
                    live.dropped,
                    live.answered or e.dialstatus == "ANSWER",
                    live.connected,
                    live.attempt.mode,
                )
            outcome = _outcome(
                mode, e.dialstatus, dropped=dropped, answered=answered, connected=connected
            )
            await self._settle(e.attempt, outcome, e.at, "event", e.dialstatus, e.answered_seconds)

    # ------------------------------------------------------------------ settling
    async def _settle(
        self,
        attempt_id: str,
        outcome: Outcome,
        at: float,
        settled_by: str,
        dialstatus: str | None = None,
        talk: float | None = None,
        reason: str = "",
    ) -> None:
        done = await self.store.settle(
            attempt_id,
            outcome,
            _dt(at),
            settled_by=settled_by,
            dialstatus=dialstatus,
            talk_seconds=talk if outcome is Outcome.ANSWERED else None,
            reason=reason,
        )
        live = self.live.pop(attempt_id, None)
        if live is not None:
            self._pace_end(live, outcome, at, talk)
            self.publish(ev.OutboundChanged("dial", attempt_id, None))
            device = live.attempt.device
            if device and outcome is Outcome.ANSWERED:  # the queue's wrap-up after the call
                self._free_at[device] = at + self.model.wrapup.get(live.queue, 0.0)
        if done:
            log.info("dialer.settled", attempt=attempt_id, outcome=outcome.value, by=settled_by)

    async def recover(self) -> None:
        """After a (re)start: follow the attempts Asterisk still has, settle the others from
        queue_log (or as unknown), release the offers that were never dialled."""
        self._recovered = True
        open_attempts = await self.store.open_attempts()
        if not open_attempts:
            return
        alive = set(self.model.channels)
        ends = parse_stddial(await self.queue_log(), {a.id for a in open_attempts})
        campaigns = {c.id: c.definition for c in await self.store.campaigns()}
        now = self.clock()
        for a in open_attempts:
            d = campaigns.get(a.campaign_id)
            if d is not None and (a.id in alive or f"{a.id}-2" in alive):
                contact = await self.store.contact(a.contact_id)
                state = "talking" if a.answered_at else "ringing_contact"
                self._follow(a, d.name, d.queue, contact.name if contact else "", state, now)
                continue
            await self._settle_lost(a, ends.get(a.id), now, "restart")

    async def _settle_lost(self, a: Attempt, end: QueueLogEnd | None, now: float, why: str) -> None:
        if end is not None:
            outcome = _outcome(
                a.mode,
                end.dialstatus,
                dropped=end.dropped,
                answered=end.dialstatus == "ANSWER",
                connected=end.dialstatus == "ANSWER" and not end.dropped,
            )
            await self._settle(
                a.id, outcome, end.at, "queue_log", end.dialstatus, end.answered_seconds
            )
        elif a.originated_at is None:
            await self._settle(a.id, Outcome.SKIPPED, now, why, reason="never dialled")
        else:
            await self._settle(
                a.id, Outcome.UNKNOWN, now, why, reason="no end reported by Asterisk"
            )

    async def sweep(self) -> None:
        """Attempts whose channel is gone without an end event (lost while the AMI session
        was down): settled from queue_log."""
        now = self.clock()
        gone = [
            lv for lv in self.live.values()
            if (lv.gone_at is not None and now - lv.gone_at > GONE_GRACE_S)
            or (lv.state != "preview" and lv.id not in self.model.channels
                and f"{lv.id}-2" not in self.model.channels and now - lv.started_at > 120)
        ]  # fmt: skip
        if not gone:
            return
        ends = parse_stddial(await self.queue_log(), {lv.id for lv in gone})
        for lv in gone:
            fresh = await self.store.attempt(lv.id)  # the in-memory copy predates its stamps
            await self._settle_lost(fresh or lv.attempt, ends.get(lv.id), now, "sweep")

    # ------------------------------------------------------------------ the tick
    async def tick(self) -> None:
        now = self.clock()
        for lv in self.live.values():  # a resync (Asterisk restarted) drops channels silently
            up = lv.id in self.model.channels or f"{lv.id}-2" in self.model.channels
            if up:
                lv.seen = True
            elif lv.seen and lv.gone_at is None:
                lv.gone_at = now
        if now - self._last_sweep > SWEEP_S:
            self._last_sweep = now
            await self.sweep()
            await self._read_owners(now)
        campaigns = await self.store.campaigns()
        if now - self._last_missed > MISSED_S:
            self._last_missed = now
            for c in campaigns:
                if c.definition.missed_queues:
                    await self.add_missed(c, now)
        for c in campaigns:
            await self._campaign_tick(c, now)
        for gone in set(self._cards) - {c.name for c in campaigns}:  # deleted
            del self._cards[gone]
            self.publish(ev.OutboundChanged("campaign", gone, None))

    def _agents(self, queue: str, now: float) -> tuple[list[str], list[str]]:
        """(logged in, free) devices of ``queue``: free = ready in Asterisk, not wrapping up
        a campaign call, not already holding an attempt or an offer."""
        busy = {lv.attempt.device for lv in self.live.values() if lv.attempt.device}
        logged, free = [], []
        for m in self.model.members.values():
            if m.queue != queue:
                continue
            logged.append(m.interface)
            if (
                m.interface not in busy
                and self._free_at.get(m.interface, 0.0) <= now
                and self._is_free(queue, m.interface, now)
            ):
                free.append(m.interface)
        free.sort(key=lambda d: self._free_at.get(d, 0.0))  # longest idle first
        return logged, free

    async def _campaign_tick(self, c: Campaign, now: float) -> None:
        d = c.definition
        at = _dt(now)
        logged, free = self._agents(d.queue, now)
        figures = await self.store.figures(d.name, day_start(d.schedule.timezone, at))
        status = campaign_status(
            d,
            paused=c.paused,
            contacts_left=figures.contacts_left,
            agents_logged_in=len(logged),
            now=at,
        )
        answers, drops = await self.store.drop_window(c.id, at - timedelta(seconds=d.drop_window))
        card: dict[str, Any] = {
            "name": d.name,
            "display_name": d.display_name,
            "queue": d.queue,
            "mode": d.mode,
            "status": status.status.value,
            "reason": status.reason,
            "paused_by": c.paused_by,
            "agents_logged_in": len(logged),
            "agents_free": len(free),
            "contacts_total": figures.contacts_total,
            "contacts_left": figures.contacts_left,
            "contacts_dialled": figures.contacts_dialled,
            "handled": figures.handled,
            "incomplete": figures.incomplete,
            "dropped": figures.dropped,
            "in_flight": figures.in_flight,
            "aht": figures.aht,
            "drop_rate": (drops / answers) if answers else None,
        }
        if self._cards.get(d.name) != card:  # pushed when a figure moves, not every tick
            self._cards[d.name] = card
            self.publish(
                ev.OutboundChanged("campaign", d.name, {**card, "updated_at": round(now, 1)})
            )
        offers = [
            lv for lv in self.live.values() if lv.campaign == d.name and lv.state == "preview"
        ]
        if status.status.value != "active":
            for lv in offers:  # paused or closed: offers go back to the list
                await self._settle(
                    lv.id, Outcome.SKIPPED, now, "dialer", reason=f"campaign {status.reason}"
                )
            return
        if d.mode == "preview":
            await self._preview_tick(c, free, offers, now)
        elif d.mode == "progressive":
            await self._dial_agents(
                c, free, now, mode="progressive", reason="progressive: a free agent"
            )
        else:
            await self._predictive_tick(c, free, now)

    # ------------------------------------------------------------------ predictive pacing
    async def _pacer(self, c: Campaign, now: float) -> Pacer:
        """The campaign's pacer; restored from its settled attempts after a (re)start or a
        change of its settings, so the drop window survives both."""
        settings = PacerSettings.of_campaign(c.definition)
        have = self._pacers.get(c.name)
        if have is not None and have[0] == settings:
            return have[1]
        since = Pacer.history_since(settings, now)
        rows = await self.store.finished_attempts(
            c.id,
            since=None if since is None else _dt(since),
            last=max(settings.answer_history, settings.handle_history),
        )
        wrap = self.model.wrapup.get(c.definition.queue, 0.0)
        history = [
            past
            for r in rows
            if r.mode == "predictive"
            and (
                past := PastAttempt.from_columns(
                    outcome=r.outcome,
                    originated_at=r.originated_at,
                    answered_at=r.answered_at,
                    ended_at=r.ended_at,
                    handle_seconds=None if r.talk_seconds is None else r.talk_seconds + wrap,
                )
            )
            is not None
        ]
        pacer = Pacer.restore(settings, history)
        self._pacers[c.name] = (settings, pacer)
        return pacer

    def _pace_answer(self, live: Live, at: float) -> None:
        pacer = self._pacers.get(live.campaign)
        if pacer is None or live.attempt.mode != "predictive" or live.paced:
            return
        live.paced = True
        pacer[1].attempt_ended(max(0.0, at - live.started_at), True)
        pacer[1].answer(at)

    def _pace_end(self, live: Live, outcome: Outcome, at: float, talk: float | None) -> None:
        pacer = self._pacers.get(live.campaign)
        if pacer is None or live.attempt.mode != "predictive":
            return
        if outcome in (Outcome.ANSWERED, Outcome.DROPPED) and not live.paced:
            self._pace_answer(live, live.answered_at or at)  # the answer's event was missed
        elif outcome in (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.FAILED) and not live.paced:
            live.paced = True
            pacer[1].attempt_ended(max(0.0, at - live.started_at), False)
        if outcome is Outcome.DROPPED and not live.dropped:  # answered, never connected
            pacer[1].drop(live.answered_at or at)
        if outcome is Outcome.ANSWERED and talk is not None:
            pacer[1].handle_time(talk + self.model.wrapup.get(live.queue, 0.0))

    async def _predictive_tick(self, c: Campaign, free: list[str], now: float) -> None:
        d = c.definition
        pacer = await self._pacer(c, now)
        mine = [lv for lv in self.live.values() if lv.campaign == d.name]
        ringing = [now - lv.started_at for lv in mine if not lv.answered]
        waiting = sum(1 for lv in mine if lv.answered and not lv.connected and not lv.dropped)
        busy = [
            now - m.since
            for m in self.model.members.values()
            if m.queue == d.queue and m.interface not in free
            and m.presence(now) in ("in_call", "wrapup", "ringing")
        ]  # fmt: skip
        decision = pacer.decide(now, len(free), busy, ringing, None, waiting=waiting)
        if decision.dial:
            reason = (
                f"predictive {decision.reason}: dial {decision.dial} (progressive"
                f" {decision.progressive}), E[answers] {decision.expected_answers:.2f},"
                f" E[drops] {decision.expected_drops:.3f}, allowed share"
                f" {decision.allowed_share:.3f}, E[free] {decision.expected_free:.2f},"
                f" E[drops over the cap] {decision.expected_excess:.1e}"
            )
            await self._dial_contacts(c, decision.dial, now, reason=reason)

    async def _due(self, c: Campaign, count: int, now: float) -> list[Contact]:
        d = c.definition
        at = _dt(now)
        contacts = await self.store.due_contacts(c.id, at, max(count * 5, 10))
        return [x for x in contacts if d.call_window.allows(x.timezone, at)][:count]

    async def _dial_agents(
        self, c: Campaign, free: list[str], now: float, *, mode: str, reason: str
    ) -> None:
        if not free:
            return
        for device, contact in zip(free, await self._due(c, len(free), now), strict=False):
            attempt = await self.store.begin_attempt(
                c.id, contact.id, mode=mode, agent=self._owner(device), device=device,
                decided_by="dialer", reason=reason,
            )  # fmt: skip
            if attempt is not None:
                await self._originate_agent_first(c, attempt, contact.name, now)

    async def _originate_agent_first(
        self,
        c: Campaign,
        attempt: Attempt,
        name: str,
        now: float,
        *,
        by: str = "dialer",
        reason: str = "",
    ) -> None:
        d = c.definition
        assert attempt.device is not None
        live = self._follow(attempt, d.name, d.queue, name, "ringing_agent", now)
        # Stamped before the Originate: an attempt without it was certainly never sent.
        await self.store.mark(attempt.id, "originated_at", _dt(now), by=by, reason=reason)
        try:
            await self.commands.originate_dial(
                attempt.device,
                AGENT_CONTEXT,
                dial_digits(attempt.number),
                attempt=attempt.id,
                caller_name=name,
                caller_number=dial_digits(attempt.number),
                variables=self._variables(d, attempt.id),
                timeout_s=d.agent_ring_timeout,
            )
        except Exception as exc:  # refused by Asterisk or the AMI session is down
            log.warning("dialer.originate_failed", attempt=attempt.id, error=str(exc))
            await self._settle(
                live.id, Outcome.FAILED, self.clock(), "originate", reason=str(exc)[:200]
            )
        self.decisions += 1

    async def _dial_contacts(self, c: Campaign, count: int, now: float, *, reason: str) -> None:
        d = c.definition
        for contact in await self._due(c, count, now):
            attempt = await self.store.begin_attempt(
                c.id, contact.id, mode="predictive", agent=None, device=None,
                decided_by="dialer", reason=reason,
            )  # fmt: skip
            if attempt is None:
                continue
            live = self._follow(attempt, d.name, d.queue, contact.name, "ringing_contact", now)
            await self.store.mark(attempt.id, "originated_at", _dt(now))
            digits = dial_digits(attempt.number)
            try:
                await self.commands.originate_dial(
                    f"Local/{digits}@{CONTACT_CONTEXT}",
                    CONNECT_CONTEXT,
                    "s",
                    attempt=attempt.id,
                    caller_name=d.display_name,
                    caller_number=dial_digits(d.caller_id) if d.caller_id else digits,
                    variables=self._variables(d, attempt.id),
                    timeout_s=d.ring_timeout + 5,
                )
            except Exception as exc:
                log.warning("dialer.originate_failed", attempt=attempt.id, error=str(exc))
                await self._settle(
                    live.id, Outcome.FAILED, self.clock(), "originate", reason=str(exc)[:200]
                )
            self.decisions += 1

    def _variables(self, d: CampaignDef, attempt_id: str) -> dict[str, str]:
        variables = {
            "STD_ATTEMPT": attempt_id,
            "STD_RING": str(d.ring_timeout),
            "STD_QUEUE": d.queue,
        }
        if d.caller_id:
            variables["STD_CALLERID"] = dial_digits(d.caller_id)
        if d.drop_message:
            variables["STD_DROP_MSG"] = str(d.drop_message)
        return variables

    # ------------------------------------------------------------------ preview
    async def _preview_tick(
        self, c: Campaign, free: list[str], offers: list[Live], now: float
    ) -> None:
        d = c.definition
        offered = {lv.attempt.device for lv in offers}
        for lv in offers:
            if not self._is_free(d.queue, lv.attempt.device or "", now):
                await self._settle(
                    lv.id, Outcome.SKIPPED, now, "dialer", reason="agent no longer free"
                )
            elif d.preview_timeout and now - lv.started_at >= d.preview_timeout:
                await self._dial_offer(c, lv, "dialer", "preview: dialled after the preview time")
        waiting = [dev for dev in free if dev not in offered]
        if any(self._owner(dev) is None for dev in waiting) and now - self._owners_at > 2.0:
            await self._read_owners(now)  # a new user's phone (read at most every 2 s)
        for device, contact in zip(waiting, await self._due(c, len(waiting), now), strict=False):
            attempt = await self.store.begin_attempt(
                c.id, contact.id, mode="preview", agent=self._owner(device), device=device,
                decided_by="dialer", reason="preview: offered to a free agent",
            )  # fmt: skip
            if attempt is not None:
                self._follow(attempt, d.name, d.queue, contact.name, "preview", now)

    def _is_free(self, queue: str, device: str, now: float) -> bool:
        """Ready in ``queue`` and its phone idle (whatever this engine holds for it)."""
        member = self.model.members.get(f"{queue}|{device}")
        return (
            member is not None
            and member.presence(now) == "ready"
            and self.model.devices.get(device, {}).get("state", "NOT_INUSE") == "NOT_INUSE"
        )

    async def _dial_offer(self, c: Campaign, lv: Live, actor: str, reason: str) -> None:
        self.live.pop(lv.id, None)
        await self._originate_agent_first(
            c, lv.attempt, lv.contact_name, self.clock(), by=actor, reason=reason
        )

    async def act(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """Command kind ``dialer``: ``preview_dial`` / ``preview_skip`` of the offer
        ``attempt`` by ``user`` (who must be the agent it is offered to)."""
        action = args.get("action")
        attempt_id = str(args.get("attempt", ""))
        user = str(args.get("user", ""))
        if action not in ("preview_dial", "preview_skip"):
            raise InvalidInput(f"action: unknown dialer action {action!r}")
        lv = self.live.get(attempt_id)
        if lv is None or lv.state != "preview":
            raise Conflict("attempt: this contact is no longer offered")
        owner = lv.attempt.agent or self._owner(lv.attempt.device or "")
        if owner is None:  # a user created since the directory was read
            await self._read_owners(self.clock())
            owner = self._owner(lv.attempt.device or "")
        if owner != user:
            raise Forbidden("attempt: offered to another agent")
        if action == "preview_skip":
            await self._settle(
                lv.id, Outcome.SKIPPED, self.clock(), f"user:{user}", reason="skipped by the agent"
            )
            return {"attempt": attempt_id, "state": "skipped"}
        campaign = await self.store.campaign(lv.campaign)
        await self._dial_offer(campaign, lv, f"user:{user}", "preview: dialled by the agent")
        return {"attempt": attempt_id, "state": "ringing_agent"}

    # ------------------------------------------------------------------ missed calls
    async def add_missed(self, c: Campaign, now: float) -> int:
        """SV-10's per-queue rule: the campaign's queues' missed callers become contacts
        (one per number while pending: duplicates are skipped)."""
        d = c.definition
        since = _dt(now - d.missed_max_age)
        missed = await self.store.missed_not_added(c.id, list(d.missed_queues), since)
        candidates: list[tuple[str, MissedCall]] = []
        for m in missed:
            try:
                candidates.append((normalise_number(m.number or "", d.default_region), m))
            except InvalidInput:
                continue
        touched = await self.store.contacts_touched(c.id, [n for n, _ in candidates])
        contacts = []
        for number, m in candidates:
            if number in touched:
                last = touched[number]
                # Open, or called back after this call was missed: it is covered (a caller
                # who gave up twice before the callback is called back once).
                if last is None or m.left_at is None or m.left_at <= last:
                    continue
            contacts.append(
                NewContact(
                    name=m.name or number,
                    number=number,
                    timezone=region_timezone(number, d.schedule.timezone),
                    source="missed",
                    queue=m.queue,
                    original_wait=m.wait,
                    left_queue_at=m.left_at,
                    missed_key=m.uniqueid,
                )
            )
        if not contacts:
            return 0
        try:
            result = await self.store.add_contacts("dialer", d.name, contacts)
        except Conflict:  # raced by a supervisor's hand: the next round adds the rest
            return 0
        return len(result.added)

    # ------------------------------------------------------------------ helpers
    async def _read_owners(self, now: float) -> None:
        self._owners = await self.directory()
        self._owners_at = now

    def _owner(self, device: str) -> str | None:
        owner = self._owners.get(device)
        return owner.get("username") if owner else None

    def _follow(
        self, a: Attempt, campaign: str, queue: str, name: str, state: str, now: float
    ) -> Live:
        live = Live(a, campaign, queue, name, state, now)
        self.live[a.id] = live
        if campaign:
            self._set_dial(live, state=state, device=a.device or "", since=now)
        return live

    def _set_dial(self, live: Live, *, state: str, device: str, since: float) -> None:
        live.state = state
        self.publish(
            ev.OutboundChanged(
                "dial",
                live.id,
                {
                    "id": live.id,
                    "campaign": live.campaign,
                    "queue": live.queue,
                    "mode": live.attempt.mode,
                    "contact_id": live.attempt.contact_id,
                    "contact_name": live.contact_name,
                    "number": live.attempt.number,
                    "agent": self._owner(device) or live.attempt.agent or "",
                    "device": device,
                    "state": state,
                    "started_at": live.started_at,
                    "since": since,
                },
            )
        )


def _outcome(
    mode: str, dialstatus: str, *, dropped: bool, answered: bool, connected: bool
) -> Outcome:
    if dropped:
        return Outcome.DROPPED
    if mode == "predictive" and answered and not connected:
        # The contact answered and no agent was connected: counted as a drop (the rules'
        # abandoned call), even when the contact hung up within the 2 s — the safe side.
        return Outcome.DROPPED
    return outcome_from_dialstatus(dialstatus)


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
