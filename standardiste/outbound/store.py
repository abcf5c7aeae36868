"""Campaigns, contacts, do-not-call numbers, attempts and the dial audit in SQL.

The rules that make dialing safe live here as transactions:
- an attempt is inserted, its contact moved ``pending -> dialing`` by a conditional UPDATE and
  its "decided" audit row written in ONE transaction, *before* the Originate: two dialers (or
  a restarted one) cannot both take the same contact;
- settling an attempt is idempotent (``WHERE outcome IS NULL``): the event, the queue_log
  recovery and the restart sweep may all report the same end, only the first counts;
- one open contact per number per campaign (a partial unique index), DNC checked when a
  contact is added and again when it is dialled;
- the dial audit is append-only: nothing here updates or deletes it.
Configuration changes (create, update, pause) are also written to ``config_audit``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from standardiste.accounts import commit_or_conflict
from standardiste.dialer.campaign import CampaignDef
from standardiste.dialer.contacts import Outcome, is_e164
from standardiste.dialer.retry import ContactStatus, Progress, after_attempt
from standardiste.errors import Conflict, InvalidInput, UnknownCampaign
from standardiste.history import report_units
from standardiste.history.models import QueueCall
from standardiste.history.report_units import AGENT, ALL
from standardiste.outbound.tables import (
    AttemptRow,
    CampaignRow,
    ContactRow,
    DialAuditRow,
    DncRow,
)
from standardiste.pbx.store import audit_row

GLOBAL = "*"  # DNC scope: every campaign


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    definition: CampaignDef
    paused: bool
    paused_by: str

    @property
    def name(self) -> str:
        return self.definition.name


@dataclass(frozen=True, slots=True)
class NewContact:
    name: str
    number: str  # E.164, already normalised
    timezone: str
    source: str = "manual"
    queue: str | None = None
    original_wait: float | None = None
    left_queue_at: datetime | None = None
    missed_key: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    campaign_id: int
    name: str
    number: str
    timezone: str
    source: str
    status: str
    attempts: int
    next_at: datetime | None
    last_outcome: str | None
    queue: str | None
    original_wait: float | None
    left_queue_at: datetime | None
    created_at: datetime


@dataclass(slots=True)
class AddResult:
    added: list[int] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # numbers already open
    dnc: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Attempt:
    id: str
    campaign_id: int
    contact_id: int
    number: str
    mode: str
    agent: str | None
    device: str | None
    decided_by: str
    reason: str
    created_at: datetime
    originated_at: datetime | None
    answered_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    settled_by: str | None
    talk_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class MissedCall:
    uniqueid: str
    queue: str
    number: str | None
    name: str | None
    entered_at: datetime | None
    left_at: datetime | None
    wait: float | None
    outcome: str
    campaign: str | None  # the campaign it was assigned to (pending there), if any


@dataclass(frozen=True, slots=True)
class CampaignFigures:
    """CD-2..CD-4 for one day: calls handled (answered) + incomplete, contacts dialled vs
    not yet, average handle time of answered calls, drops; and the contacts' totals."""

    handled: int
    incomplete: int
    dropped: int
    in_flight: int
    aht: float | None
    contacts_total: int
    contacts_dialled: int
    contacts_left: int  # pending or dialing
    by_status: dict[str, int]


def new_attempt_id() -> str:
    return secrets.token_hex(16)


def _now() -> datetime:
    return datetime.now(UTC)


def _contact(r: ContactRow) -> Contact:
    return Contact(
        r.id,
        r.campaign_id,
        r.name,
        r.number,
        r.timezone,
        r.source,
        r.status,
        r.attempts,
        r.next_at,
        r.last_outcome,
        r.queue,
        r.original_wait,
        r.left_queue_at,
        r.created_at,
    )


def _attempt(r: AttemptRow) -> Attempt:
    return Attempt(
        r.id,
        r.campaign_id,
        r.contact_id,
        r.number,
        r.mode,
        r.agent,
        r.device,
        r.decided_by,
        r.reason,
        r.created_at,
        r.originated_at,
        r.answered_at,
        r.connected_at,
        r.ended_at,
        r.outcome,
        r.settled_by,
        r.talk_seconds,
    )


def audit(
    actor: str,
    event: str,
    reason: str,
    *,
    campaign_id: int | None = None,
    contact_id: int | None = None,
    attempt_id: str | None = None,
    callback_id: str | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> DialAuditRow:
    """A dial-audit row, to add to the session of what it records."""
    return DialAuditRow(
        at=at or _now(),
        actor=actor,
        event=event,
        reason=reason,
        campaign_id=campaign_id,
        contact_id=contact_id,
        attempt_id=attempt_id,
        callback_id=callback_id,
        detail=json.dumps(detail, sort_keys=True, default=str),
    )


class CampaignStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    # ------------------------------------------------------------------ campaigns
    def _campaign(self, row: CampaignRow) -> Campaign:
        return Campaign(
            row.id, CampaignDef.parse(json.loads(row.settings)), row.paused, row.paused_by
        )

    async def campaigns(self, *, archived: bool = False) -> list[Campaign]:
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    select(CampaignRow)
                    .where(CampaignRow.archived == archived)
                    .order_by(CampaignRow.name)
                )
            )
            return [self._campaign(r) for r in rows]

    async def campaign(self, name: str) -> Campaign:
        async with self._sessions() as session:
            row = await self._row(session, name)
            return self._campaign(row)

    async def _row(self, session: AsyncSession, name: str) -> CampaignRow:
        row = await session.scalar(
            select(CampaignRow).where(CampaignRow.name == name, CampaignRow.archived.is_(False))
        )
        if row is None:
            raise UnknownCampaign(f"campaign: no campaign named {name!r}")
        return row

    async def create(self, actor: str, definition: CampaignDef) -> Campaign:
        now = _now()
        async with self._sessions() as session:
            row = CampaignRow(
                name=definition.name,
                queue=definition.queue,
                settings=json.dumps(definition.to_dict(), sort_keys=True),
                paused=False,
                paused_by="",
                archived=False,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.add(
                audit_row(actor, "campaign.create", definition.name, None, definition.to_dict())
            )
            await commit_or_conflict(session, f"name: a campaign named {definition.name!r} exists")
            return self._campaign(row)

    async def update(self, actor: str, definition: CampaignDef) -> Campaign:
        async with self._sessions() as session:
            row = await self._row(session, definition.name)
            before = json.loads(row.settings)
            moved = row.queue != definition.queue
            row.settings = json.dumps(definition.to_dict(), sort_keys=True)
            row.queue = definition.queue
            row.updated_at = _now()
            session.add(
                audit_row(actor, "campaign.update", definition.name, before, definition.to_dict())
            )
            if moved:  # its calls count in another queue in every agent report
                await session.flush()
                await report_units.mark(await session.connection(), [(AGENT, ALL, 0.0, 4e9)])
            await session.commit()
            return self._campaign(row)

    async def archive(self, actor: str, name: str) -> None:
        async with self._sessions() as session:
            row = await self._row(session, name)
            row.archived = True
            row.name = f"{name}~{row.id}"  # frees the name; history keeps the id
            session.add(audit_row(actor, "campaign.delete", name, json.loads(row.settings), None))
            await session.commit()

    async def set_paused(self, actor: str, name: str, paused: bool) -> Campaign:
        async with self._sessions() as session:
            row = await self._row(session, name)
            before = row.paused
            row.paused = paused
            row.paused_by = actor if paused else ""
            row.updated_at = _now()
            session.add(
                audit_row(
                    actor, "campaign.pause" if paused else "campaign.resume", name, before, paused
                )
            )
            session.add(
                audit(actor, "paused" if paused else "resumed", "supervisor", campaign_id=row.id)
            )
            await session.commit()
            return self._campaign(row)

    # ------------------------------------------------------------------ DNC
    async def add_dnc(
        self, actor: str, numbers: Iterable[str], *, scope: str = GLOBAL, source: str = "manual"
    ) -> int:
        """Adds the numbers (E.164) not already listed in ``scope``; returns how many. Open
        contacts with these numbers in the scope's campaigns become ``dnc``."""
        wanted = sorted({n for n in numbers})
        bad = [n for n in wanted if not is_e164(n)]
        if bad:
            raise InvalidInput(f"number: {bad[0]!r} is not E.164")
        async with self._sessions() as session:
            have = set(
                await session.scalars(
                    select(DncRow.number).where(DncRow.scope == scope, DncRow.number.in_(wanted))
                )
            )
            now = _now()
            fresh = [n for n in wanted if n not in have]
            for n in fresh:
                session.add(
                    DncRow(number=n, scope=scope, source=source, added_by=actor, added_at=now)
                )
            query = update(ContactRow).where(
                ContactRow.number.in_(fresh), ContactRow.status == ContactStatus.PENDING.value
            )
            if scope != GLOBAL:
                query = query.where(
                    ContactRow.campaign_id.in_(
                        select(CampaignRow.id).where(CampaignRow.name == scope)
                    )
                )
            await session.execute(
                query.values(status=ContactStatus.DNC.value, updated_at=now),
                execution_options={"synchronize_session": False},
            )
            if fresh:
                session.add(audit(actor, "dnc_added", source, count=len(fresh), scope=scope))
            await session.commit()
            return len(fresh)

    async def dnc_numbers(
        self, scope: str | None = None, limit: int = 500
    ) -> list[tuple[str, str, datetime]]:
        query = select(DncRow).order_by(DncRow.added_at.desc()).limit(limit)
        if scope is not None:
            query = query.where(DncRow.scope == scope)
        async with self._sessions() as session:
            return [(r.number, r.scope, r.added_at) for r in await session.scalars(query)]

    async def dnc_hits(self, numbers: Iterable[str], campaign: str) -> set[str]:
        wanted = list(set(numbers))
        if not wanted:
            return set()
        async with self._sessions() as session:
            return set(
                await session.scalars(
                    select(DncRow.number).where(
                        DncRow.number.in_(wanted), DncRow.scope.in_([GLOBAL, campaign])
                    )
                )
            )

    # ------------------------------------------------------------------ contacts
    async def add_contacts(
        self,
        actor: str,
        campaign: str,
        contacts: Sequence[NewContact],
        *,
        import_id: int | None = None,
        then: Callable[[AsyncSession, AddResult], Awaitable[None]] | None = None,
    ) -> AddResult:
        """Adds the contacts; a number already open in the campaign (or twice in the batch) is
        a duplicate, a DNC number is refused. All or nothing: one transaction, which ``then``
        joins (a CSV import's report is written with its contacts, or not at all)."""
        result = AddResult()
        async with self._sessions() as session:
            row = await self._row(session, campaign)
            numbers = [c.number for c in contacts]
            hits = await self.dnc_hits(numbers, campaign)
            open_numbers = (
                set(
                    await session.scalars(
                        select(ContactRow.number).where(
                            ContactRow.campaign_id == row.id,
                            ContactRow.number.in_(numbers),
                            ContactRow.status.in_(
                                [s.value for s in (ContactStatus.PENDING, ContactStatus.DIALING)]
                            ),
                        )
                    )
                )
                if numbers
                else set()
            )
            now = _now()
            rows: list[ContactRow] = []
            for c in contacts:
                if c.number in hits:
                    result.dnc.append(c.number)
                    continue
                if c.number in open_numbers:
                    result.duplicates.append(c.number)
                    continue
                open_numbers.add(c.number)
                r = ContactRow(
                    campaign_id=row.id,
                    name=c.name,
                    number=c.number,
                    timezone=c.timezone,
                    source=c.source,
                    queue=c.queue,
                    original_wait=c.original_wait,
                    left_queue_at=c.left_queue_at,
                    missed_key=c.missed_key,
                    import_id=import_id,
                    status=ContactStatus.PENDING.value,
                    attempts=0,
                    next_at=None,
                    created_at=now,
                    updated_at=now,
                )
                session.add(r)
                rows.append(r)
            if rows:
                session.add(
                    audit(
                        actor,
                        "contacts_added",
                        contacts[0].source,
                        campaign_id=row.id,
                        count=len(rows),
                    )
                )
            if then is not None:
                try:
                    await session.flush()  # the rows' ids, and a clash found now
                except IntegrityError:
                    await session.rollback()
                    raise Conflict("number: already pending in this campaign") from None
                result.added = [r.id for r in rows]
                await then(session, result)
            await commit_or_conflict(session, "number: already pending in this campaign")
            result.added = [r.id for r in rows]
            return result

    async def contacts(
        self,
        campaign: str,
        *,
        statuses: Sequence[str] | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Contact]:
        async with self._sessions() as session:
            row = await self._row(session, campaign)
            query = (
                select(ContactRow)
                .where(ContactRow.campaign_id == row.id)
                .order_by(ContactRow.id)
                .limit(limit)
                .offset(offset)
            )
            if statuses:
                query = query.where(ContactRow.status.in_(list(statuses)))
            return [_contact(r) for r in await session.scalars(query)]

    async def contact(self, contact_id: int) -> Contact | None:
        async with self._sessions() as session:
            r = await session.get(ContactRow, contact_id)
            return None if r is None else _contact(r)

    async def remove_contact(self, actor: str, campaign: str, contact_id: int) -> None:
        async with self._sessions() as session:
            row = await self._row(session, campaign)
            done = await session.execute(
                update(ContactRow)
                .where(
                    ContactRow.id == contact_id,
                    ContactRow.campaign_id == row.id,
                    ContactRow.status == ContactStatus.PENDING.value,
                )
                .values(status=ContactStatus.REMOVED.value, updated_at=_now())
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict("contact: not pending in this campaign (dialling, done or gone)")
            session.add(
                audit(
                    actor,
                    "contact_removed",
                    "supervisor",
                    campaign_id=row.id,
                    contact_id=contact_id,
                )
            )
            await session.commit()

    # ------------------------------------------------------------------ missed calls (SV-10)
    async def missed_calls(
        self,
        queues: Sequence[str],
        *,
        since: datetime,
        sort: str = "left_at",
        descending: bool = True,
        limit: int = 200,
    ) -> list[MissedCall]:
        """Abandoned and timed-out callers of ``queues`` since ``since``, with the campaign
        each is pending in (if assigned)."""
        order = {
            "left_at": QueueCall.completed_at,
            "wait": QueueCall.wait,
            "queue": QueueCall.queue,
            "number": QueueCall.caller_number,
        }.get(sort)
        if order is None:
            raise InvalidInput("sort: one of left_at, wait, queue, number")
        query = (
            select(QueueCall, CampaignRow.name)
            .outerjoin(
                ContactRow,
                and_(
                    ContactRow.missed_key == QueueCall.uniqueid,
                    ContactRow.status.in_(
                        [ContactStatus.PENDING.value, ContactStatus.DIALING.value]
                    ),
                ),
            )
            .outerjoin(CampaignRow, CampaignRow.id == ContactRow.campaign_id)
            .where(
                QueueCall.queue.in_(list(queues)),
                QueueCall.outcome.in_(["abandoned", "timed_out"]),
                QueueCall.completed_at >= since,
            )
            .order_by(order.desc() if descending else order.asc(), QueueCall.id.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            return [
                MissedCall(
                    q.uniqueid,
                    q.queue,
                    q.caller_number,
                    q.caller_name,
                    q.entered_at,
                    q.completed_at,
                    q.wait,
                    q.outcome or "",
                    name,
                )
                for q, name in await session.execute(query)
            ]

    async def assigned_missed(self, campaign: str, keys: Sequence[str]) -> set[str]:
        """Those of the missed calls ``keys`` that ``campaign`` already holds a contact for
        (pending or not: a missed call joins a campaign once)."""
        if not keys:
            return set()
        async with self._sessions() as session:
            row = await self._row(session, campaign)
            return set(
                await session.scalars(
                    select(ContactRow.missed_key).where(
                        ContactRow.campaign_id == row.id, ContactRow.missed_key.in_(list(keys))
                    )
                )
            )

    async def missed_not_added(
        self, campaign_id: int, queues: Sequence[str], since: datetime, limit: int = 500
    ) -> list[MissedCall]:
        """Missed calls of ``queues`` since ``since`` that are no contact of the campaign
        yet, and whose number has no open contact there (the per-queue rule's input)."""
        already = select(ContactRow.missed_key).where(
            ContactRow.campaign_id == campaign_id, ContactRow.missed_key.is_not(None)
        )
        open_numbers = select(ContactRow.number).where(
            ContactRow.campaign_id == campaign_id,
            ContactRow.status.in_([ContactStatus.PENDING.value, ContactStatus.DIALING.value]),
        )
        query = (
            select(QueueCall)
            .where(
                QueueCall.queue.in_(list(queues)),
                QueueCall.outcome.in_(["abandoned", "timed_out"]),
                QueueCall.completed_at >= since,
                QueueCall.caller_number.is_not(None),
                QueueCall.uniqueid.not_in(already),
            )
            .order_by(QueueCall.completed_at.desc())  # the newest first: never starved
            .limit(limit)
        )
        async with self._sessions() as session:
            numbers = set(await session.scalars(open_numbers))
            out: list[MissedCall] = []
            seen: set[str] = set()
            for q in await session.scalars(query):
                key = (q.caller_number or "").lstrip("+")
                if q.caller_number in numbers or key in seen or f"+{key}" in numbers:
                    continue
                seen.add(key)
                out.append(
                    MissedCall(q.uniqueid, q.queue, q.caller_number, q.caller_name,
                               q.entered_at, q.completed_at, q.wait, q.outcome or "", None)
                )  # fmt: skip
            return out

    async def contacts_touched(
        self, campaign_id: int, numbers: Sequence[str]
    ) -> dict[str, datetime | None]:
        """For each of ``numbers`` (E.164) that the campaign holds a contact for: when the
        latest such contact was last touched (called back, closed), or None while one is
        still open. A missed call that ended before that is covered by it."""
        if not numbers:
            return {}
        open_statuses = [ContactStatus.PENDING.value, ContactStatus.DIALING.value]
        out: dict[str, datetime | None] = {}
        async with self._sessions() as session:
            rows = await session.execute(
                select(ContactRow.number, ContactRow.status, ContactRow.updated_at).where(
                    ContactRow.campaign_id == campaign_id,
                    ContactRow.number.in_(sorted(set(numbers))),
                )
            )
            for number, status, updated_at in rows:
                if status in open_statuses:
                    out[number] = None
                elif number not in out or ((seen := out[number]) is not None and updated_at > seen):
                    out[number] = updated_at
        return out

    async def missed_call(self, uniqueid: str) -> MissedCall | None:
        async with self._sessions() as session:
            q = await session.scalar(
                select(QueueCall)
                .where(
                    QueueCall.uniqueid == uniqueid,
                    QueueCall.outcome.in_(["abandoned", "timed_out"]),
                )
                .limit(1)
            )
            if q is None:
                return None
            return MissedCall(
                q.uniqueid,
                q.queue,
                q.caller_number,
                q.caller_name,
                q.entered_at,
                q.completed_at,
                q.wait,
                q.outcome or "",
                None,
            )

    # ------------------------------------------------------------------ attempts
    async def due_contacts(self, campaign_id: int, now: datetime, limit: int) -> list[Contact]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ContactRow)
                .where(
                    ContactRow.campaign_id == campaign_id,
                    ContactRow.status == ContactStatus.PENDING.value,
                    or_(ContactRow.next_at.is_(None), ContactRow.next_at <= now),
                )
                .order_by(ContactRow.next_at.is_not(None), ContactRow.next_at, ContactRow.id)
                .limit(limit)
            )
            return [_contact(r) for r in rows]

    async def begin_attempt(
        self,
        campaign_id: int,
        contact_id: int,
        *,
        mode: str,
        agent: str | None,
        device: str | None,
        decided_by: str,
        reason: str,
        attempt_id: str | None = None,
    ) -> Attempt | None:
        """Writes the attempt and takes the contact (pending -> dialing) in one transaction,
        before anything is dialled. None if the contact was no longer pending (taken by
        another attempt, removed, DNC) or its number is on a DNC list now."""
        now = _now()
        async with self._sessions() as session:
            contact = await session.get(ContactRow, contact_id)
            campaign = await session.get(CampaignRow, campaign_id)
            if contact is None or campaign is None:
                return None
            hit = await session.scalar(
                select(DncRow.id).where(
                    DncRow.number == contact.number, DncRow.scope.in_([GLOBAL, campaign.name])
                )
            )
            if hit is not None:
                await session.execute(
                    update(ContactRow)
                    .where(
                        ContactRow.id == contact_id,
                        ContactRow.status == ContactStatus.PENDING.value,
                    )
                    .values(status=ContactStatus.DNC.value, updated_at=now)
                )
                session.add(
                    audit(
                        decided_by, "skipped", "dnc", campaign_id=campaign_id, contact_id=contact_id
                    )
                )
                await session.commit()
                return None
            taken = await session.execute(
                update(ContactRow)
                .where(
                    ContactRow.id == contact_id, ContactRow.status == ContactStatus.PENDING.value
                )
                .values(status=ContactStatus.DIALING.value, updated_at=now)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                await session.rollback()
                return None
            row = AttemptRow(
                id=attempt_id or new_attempt_id(),
                campaign_id=campaign_id,
                contact_id=contact_id,
                number=contact.number,
                mode=mode,
                agent=agent,
                device=device,
                decided_by=decided_by,
                reason=reason,
                created_at=now,
            )
            session.add(row)
            session.add(
                audit(
                    decided_by,
                    "decided",
                    reason,
                    campaign_id=campaign_id,
                    contact_id=contact_id,
                    attempt_id=row.id,
                    at=now,
                    number=contact.number,
                    mode=mode,
                    agent=agent,
                    device=device,
                )
            )
            await session.commit()
            return _attempt(row)

    async def mark(self, attempt_id: str, field_name: str, at: datetime, **detail: Any) -> bool:
        """Stamps ``originated_at``, ``answered_at`` or ``connected_at`` once; audits it."""
        if field_name not in ("originated_at", "answered_at", "connected_at"):
            raise ValueError(field_name)
        column = getattr(AttemptRow, field_name)
        async with self._sessions() as session:
            done = await session.execute(
                update(AttemptRow)
                .where(AttemptRow.id == attempt_id, column.is_(None), AttemptRow.outcome.is_(None))
                .values({field_name: at})
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            row = await session.get(AttemptRow, attempt_id)
            assert row is not None
            session.add(
                audit(
                    detail.pop("by", "pbx"),
                    field_name.removesuffix("_at"),
                    detail.pop("reason", ""),
                    campaign_id=row.campaign_id,
                    contact_id=row.contact_id,
                    attempt_id=attempt_id,
                    at=at,
                    **detail,
                )
            )
            await _touch_reports(session, row)
            await session.commit()
            return True

    async def settle(
        self,
        attempt_id: str,
        outcome: Outcome,
        at: datetime,
        *,
        settled_by: str,
        dialstatus: str | None = None,
        talk_seconds: float | None = None,
        reason: str = "",
    ) -> bool:
        """Ends an attempt once (idempotent) and moves its contact on by the campaign's retry
        rules. Returns False when it was already settled."""
        async with self._sessions() as session:
            done = await session.execute(
                update(AttemptRow)
                .where(AttemptRow.id == attempt_id, AttemptRow.outcome.is_(None))
                .values(
                    outcome=outcome.value,
                    ended_at=at,
                    settled_by=settled_by,
                    dialstatus=dialstatus,
                    talk_seconds=talk_seconds,
                )
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                await session.rollback()
                return False
            attempt = await session.get(AttemptRow, attempt_id)
            assert attempt is not None
            contact = await session.get(ContactRow, attempt.contact_id)
            campaign = await session.get(CampaignRow, attempt.campaign_id)
            assert contact is not None and campaign is not None
            rules = CampaignDef.parse(json.loads(campaign.settings)).retry
            if contact.status == ContactStatus.DIALING.value:
                p = after_attempt(
                    Progress(ContactStatus.PENDING, contact.attempts, contact.next_at, None),
                    outcome,
                    at,
                    rules,
                )
                contact.status = p.status.value
                contact.attempts = p.attempts
                contact.next_at = p.next_at
                contact.last_outcome = outcome.value
                contact.updated_at = _now()
            session.add(
                audit(
                    settled_by if settled_by != "event" else "pbx",
                    "ended",
                    reason or outcome.value,
                    campaign_id=attempt.campaign_id,
                    contact_id=attempt.contact_id,
                    attempt_id=attempt_id,
                    at=at,
                    outcome=outcome.value,
                    dialstatus=dialstatus,
                    settled_by=settled_by,
                )
            )
            await _touch_reports(session, attempt)
            await session.commit()
            return True

    async def open_attempts(self) -> list[Attempt]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AttemptRow)
                .where(AttemptRow.outcome.is_(None))
                .order_by(AttemptRow.created_at)
            )
            return [_attempt(r) for r in rows]

    async def finished_attempts(
        self, campaign_id: int, *, since: datetime | None, last: int
    ) -> list[Attempt]:
        """The campaign's settled attempts ended since ``since`` (None: all), and at least
        its ``last`` most recent ones: what a predictive pacer is restored from."""
        base = select(AttemptRow).where(
            AttemptRow.campaign_id == campaign_id, AttemptRow.outcome.is_not(None)
        )
        async with self._sessions() as session:
            rows = {
                r.id: r
                for r in await session.scalars(
                    base.order_by(AttemptRow.ended_at.desc()).limit(last)
                )
            }
            if since is not None:
                rows |= {
                    r.id: r for r in await session.scalars(base.where(AttemptRow.ended_at >= since))
                }
            elif rows:
                rows |= {r.id: r for r in await session.scalars(base)}
            return sorted(
                (_attempt(r) for r in rows.values()), key=lambda a: a.ended_at or a.created_at
            )

    async def attempt(self, attempt_id: str) -> Attempt | None:
        async with self._sessions() as session:
            r = await session.get(AttemptRow, attempt_id)
            return None if r is None else _attempt(r)

    async def attempts(self, campaign: str, *, limit: int = 200) -> list[Attempt]:
        async with self._sessions() as session:
            row = await self._row(session, campaign)
            rows = await session.scalars(
                select(AttemptRow)
                .where(AttemptRow.campaign_id == row.id)
                .order_by(AttemptRow.created_at.desc())
                .limit(limit)
            )
            return [_attempt(r) for r in rows]

    async def audit_log(
        self, campaign: str | None = None, *, limit: int = 200
    ) -> list[dict[str, Any]]:
        query = select(DialAuditRow).order_by(DialAuditRow.id.desc()).limit(limit)
        async with self._sessions() as session:
            if campaign is not None:
                row = await self._row(session, campaign)
                query = query.where(DialAuditRow.campaign_id == row.id)
            return [
                {
                    "id": r.id,
                    "at": r.at,
                    "actor": r.actor,
                    "event": r.event,
                    "reason": r.reason,
                    "campaign_id": r.campaign_id,
                    "contact_id": r.contact_id,
                    "attempt_id": r.attempt_id,
                    "callback_id": r.callback_id,
                    "detail": json.loads(r.detail or "{}"),
                }
                for r in await session.scalars(query)
            ]

    async def drop_window(self, campaign_id: int, since: datetime) -> tuple[int, int]:
        """(live answers, drops) of the campaign's attempts ended since ``since``."""
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(
                        func.count().filter(AttemptRow.outcome.in_(["answered", "dropped"])),
                        func.count().filter(AttemptRow.outcome == "dropped"),
                    ).where(AttemptRow.campaign_id == campaign_id, AttemptRow.ended_at >= since)
                )
            ).one()
            return int(row[0]), int(row[1])

    async def figures(self, campaign: str, since: datetime) -> CampaignFigures:
        async with self._sessions() as session:
            row = await self._row(session, campaign)
            a = (
                await session.execute(
                    select(
                        func.count().filter(AttemptRow.outcome == "answered"),
                        func.count().filter(
                            AttemptRow.outcome.in_(["no_answer", "busy", "failed"])
                        ),
                        func.count().filter(AttemptRow.outcome == "dropped"),
                        func.count().filter(AttemptRow.outcome.is_(None)),
                        func.avg(case((AttemptRow.outcome == "answered", AttemptRow.talk_seconds))),
                    ).where(AttemptRow.campaign_id == row.id, AttemptRow.created_at >= since)
                )
            ).one()
            by_status = {
                status: int(n)
                for status, n in await session.execute(
                    select(ContactRow.status, func.count())
                    .where(ContactRow.campaign_id == row.id)
                    .group_by(ContactRow.status)
                )
            }
            dialled = int(
                await session.scalar(
                    select(func.count()).where(
                        ContactRow.campaign_id == row.id, ContactRow.attempts > 0
                    )
                )
                or 0
            )
            return CampaignFigures(
                handled=int(a[0]),
                incomplete=int(a[1]),
                dropped=int(a[2]),
                in_flight=int(a[3]),
                aht=None if a[4] is None else float(a[4]),
                contacts_total=sum(by_status.values()),
                contacts_dialled=dialled,
                contacts_left=by_status.get("pending", 0) + by_status.get("dialing", 0),
                by_status=by_status,
            )


def day_start(tz_name: str, now: datetime) -> datetime:
    """Midnight of ``now``'s day in ``tz_name``, in UTC: "today" for a campaign's figures."""
    local = now.astimezone(ZoneInfo(tz_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


async def _touch_reports(session: AsyncSession, attempt: AttemptRow) -> None:
    """A connected attempt is an agent's campaign call: their report units over it go
    (:mod:`standardiste.history.report_units`), last in the transaction."""
    if attempt.device and attempt.connected_at is not None:
        at = attempt.connected_at.timestamp()
        await report_units.mark(await session.connection(), [(AGENT, attempt.device, at, at)])


__all__ = [
    "GLOBAL",
    "AddResult",
    "Attempt",
    "Campaign",
    "CampaignFigures",
    "CampaignStore",
    "Contact",
    "MissedCall",
    "NewContact",
    "UnknownCampaign",
    "audit",
    "day_start",
    "new_attempt_id",
]
