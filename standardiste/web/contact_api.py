"""A campaign's contacts (CD-5): the list, one added or removed, a CSV imported in the
background with its progress and report; missed calls listed and assigned to a campaign
(SV-10); the do-not-call lists.

Numbers are normalised to E.164 in the campaign's region before anything else
(``dialer.contacts``); the store refuses a number already pending in the campaign and a
number on a do-not-call list, in the same transaction as the insert, and each refusal comes
back with its reason (line and column for a file).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import BodyPartReader, web

from standardiste.accounts import User
from standardiste.dialer.contacts import (
    InvalidNumber,
    normalise_number,
    region_timezone,
    timezone_name,
)
from standardiste.dialer.retry import OPEN
from standardiste.errors import Conflict, Forbidden, InvalidInput
from standardiste.outbound.csv_import import MAX_BYTES, parse_numbers, read_table
from standardiste.outbound.imports import ImportStatus
from standardiste.outbound.store import GLOBAL, Campaign, Contact, NewContact
from standardiste.web.appkeys import CAMPAIGNS, DEPS, IMPORT_RUNNER, IMPORTS
from standardiste.web.body import DECODE_ERRORS
from standardiste.web.campaign_api import campaign_for, campaigns_of, known_queues, supervises
from standardiste.web.campaign_schemas import (
    AssignMissed,
    AssignReport,
    ContactIn,
    ContactOut,
    Contacts,
    ContactsQuery,
    DncAdd,
    DncAdded,
    DncImport,
    DncNumberOut,
    DncNumbers,
    DncQuery,
    ImportOut,
    ImportUpload,
    MissedCallOut,
    MissedCalls,
    MissedQuery,
    Refused,
    RowErrorOut,
)
from standardiste.web.endpoint import read_model, read_query, read_upload, respond
from standardiste.web.errors import NotFound, PayloadTooLarge
from standardiste.web.security import current_user

MULTIPART = "multipart/form-data"


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


def _contact_out(c: Contact) -> ContactOut:
    return ContactOut(
        id=c.id,
        name=c.name,
        number=c.number,
        timezone=c.timezone,
        source=c.source,
        status=c.status,  # type: ignore[arg-type]
        attempts=c.attempts,
        next_at=_iso(c.next_at),
        last_outcome=c.last_outcome,
        queue=c.queue,
        original_wait=c.original_wait,
        left_queue_at=_iso(c.left_queue_at),
        created_at=_iso(c.created_at) or "",
    )


def _number(raw: str, campaign: Campaign) -> str:
    return normalise_number(raw, campaign.definition.default_region)


# -------------------------------------------------------------------- contacts
async def list_contacts(request: web.Request) -> web.Response:
    user = await current_user(request)
    query = read_query(request, ContactsQuery)
    campaign = await campaign_for(request, user, request.match_info["name"])
    store = request.app[CAMPAIGNS]
    statuses: list[str] | None
    if query.status == "all":
        statuses = None
    elif query.status == "open":
        statuses = sorted(s.value for s in OPEN)
    else:
        statuses = [query.status]
    contacts = await store.contacts(
        campaign.name, statuses=statuses, limit=query.limit, offset=query.offset
    )
    counts = (await store.figures(campaign.name, datetime.now(UTC))).by_status
    total = sum(n for s, n in counts.items() if statuses is None or s in statuses)
    return respond(
        request,
        Contacts(contacts=[_contact_out(c) for c in contacts], total=total, counts=counts),
    )


async def add_contact(request: web.Request) -> web.Response:
    user = await current_user(request)
    body = await read_model(request, ContactIn)
    campaign = await campaign_for(request, user, request.match_info["name"])
    number = _number(body.number, campaign)
    zone = (
        timezone_name(body.timezone)
        if body.timezone
        else region_timezone(number, campaign.definition.schedule.timezone)
    )
    store = request.app[CAMPAIGNS]
    result = await store.add_contacts(
        user.username,
        campaign.name,
        [NewContact(body.name.strip(), number, zone, source="manual")],
    )
    if result.dnc:
        raise Conflict(f"number: {number} is on a do-not-call list")
    if result.duplicates:
        raise Conflict(f"number: {number} is already pending in this campaign")
    added = await store.contact(result.added[0])
    assert added is not None
    return respond(request, _contact_out(added), 201)


async def remove_contact(request: web.Request) -> web.Response:
    user = await current_user(request)
    campaign = await campaign_for(request, user, request.match_info["name"])
    raw = request.match_info["contact_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput(f"contact id {raw!r} is not a number")
    await request.app[CAMPAIGNS].remove_contact(user.username, campaign.name, int(raw))
    return web.Response(status=204)


# -------------------------------------------------------------------- CSV imports
async def read_file(request: web.Request, default_name: str) -> tuple[bytes, str]:
    """The uploaded file: the body itself, or the file part of a multipart form (which
    then needs the X-CSRF-Token header: the form is not read for its token)."""
    if request.content_type != MULTIPART:
        return await read_upload(request, MAX_BYTES), default_name
    if request.content_length is not None and request.content_length > MAX_BYTES + 65536:
        raise PayloadTooLarge(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.filename is None:
                continue  # a plain field
            data = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                data += chunk
                if len(data) > MAX_BYTES:
                    raise PayloadTooLarge(
                        f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB"
                    )
            return bytes(data), part.filename or default_name
    except DECODE_ERRORS:
        raise InvalidInput("the body is not a well-formed multipart form") from None
    raise InvalidInput("file: the form holds no file")


def import_out(status: ImportStatus) -> ImportOut:
    return ImportOut(
        id=status.id,
        filename=status.filename,
        by=status.by,
        status=status.status,  # type: ignore[arg-type]
        phase=status.phase,  # type: ignore[arg-type]
        total_rows=status.total_rows,
        done_rows=status.done_rows,
        imported=status.imported,
        rejected=status.rejected,
        errors=[RowErrorOut.model_validate(e) for e in status.report],
        started_at=_iso(status.started_at) or "",
        finished_at=_iso(status.finished_at),
    )


async def upload_import(request: web.Request) -> web.Response:
    user = await current_user(request)
    query = read_query(request, ImportUpload)
    campaign = await campaign_for(request, user, request.match_info["name"])
    data, filename = await read_file(request, query.filename or "contacts.csv")
    table = await asyncio.to_thread(read_table, data)  # what is wrong with the file: 400 now
    import_id = await request.app[IMPORT_RUNNER].start(
        campaign, table, query.filename or filename, user.username
    )
    status = await request.app[IMPORTS].get(import_id, campaign.id)
    assert status is not None
    return respond(request, import_out(status), 202)


async def get_import(request: web.Request) -> web.Response:
    user = await current_user(request)
    campaign = await campaign_for(request, user, request.match_info["name"])
    raw = request.match_info["import_id"]
    status = (
        await request.app[IMPORTS].get(int(raw), campaign.id)
        if raw.isdigit() and len(raw) <= 18
        else None
    )
    if status is None:
        raise NotFound(f"no import {raw!r} in campaign {campaign.name!r}")
    return respond(request, import_out(status))


# -------------------------------------------------------------------- missed calls (SV-10)
async def _missed_queues(request: web.Request, user: User, only: str | None) -> list[str]:
    if user.is_admin:
        queues = await known_queues(request)
    else:
        queues = {q for q, role in user.queues.items() if role == "supervisor"}
    if only is not None:
        if only not in queues:
            raise Forbidden(f"queue {only!r}: not one of the queues you supervise")
        return [only]
    return sorted(queues)


async def list_missed(request: web.Request) -> web.Response:
    user = await current_user(request)
    query = read_query(request, MissedQuery)
    queues = await _missed_queues(request, user, query.queue)
    since = datetime.fromtimestamp(request.app[DEPS].clock(), UTC) - timedelta(hours=query.hours)
    calls = await request.app[CAMPAIGNS].missed_calls(
        queues, since=since, sort=query.sort, descending=query.order == "desc", limit=query.limit
    )
    campaigns = [c.name for c in await campaigns_of(request, user)]
    return respond(
        request,
        MissedCalls(
            calls=[
                MissedCallOut(
                    id=m.uniqueid,
                    queue=m.queue,
                    number=m.number or "",
                    name=m.name or "",
                    entered_at=_iso(m.entered_at),
                    left_at=_iso(m.left_at),
                    wait=m.wait,
                    outcome=m.outcome,  # type: ignore[arg-type]
                    campaign=m.campaign,
                )
                for m in calls
            ],
            campaigns=campaigns,
        ),
    )


async def assign_missed(request: web.Request) -> web.Response:
    """Each missed call becomes a pending contact of the campaign, once: one contact per
    number while it is pending; each call that does not is listed with its reason."""
    user = await current_user(request)
    body = await read_model(request, AssignMissed)
    campaign = await campaign_for(request, user, body.campaign)
    store = request.app[CAMPAIGNS]
    ids = list(dict.fromkeys(body.calls))
    refused: list[Refused] = []

    def refuse(uid: str, number: str, code: str, reason: str) -> None:
        refused.append(Refused(call=uid, number=number, reason=reason, code=code))  # type: ignore[arg-type]

    held = await store.assigned_missed(campaign.name, ids)
    contacts: list[tuple[str, NewContact]] = []
    numbers: set[str] = set()
    for uid in ids:
        missed = await store.missed_call(uid)
        if missed is None:
            refuse(uid, "", "not_missed", "not a missed call")
            continue
        if not (user.is_admin or user.queues.get(missed.queue) == "supervisor"):
            refuse(uid, "", "not_yours", "not a call of your queues")
            continue
        raw = missed.number or ""
        if uid in held:
            refuse(uid, raw, "already_assigned", "already assigned to it")
            continue
        try:
            number = _number(raw, campaign)
        except InvalidNumber as exc:
            if raw.strip():
                refuse(uid, raw, "bad_number", exc.message)
            else:
                refuse(uid, raw, "no_number", "no caller number")
            continue
        if number in numbers:
            refuse(uid, number, "twice", "the same number twice")
            continue
        numbers.add(number)
        zone = region_timezone(number, campaign.definition.schedule.timezone)
        contacts.append(
            (
                uid,
                NewContact(
                    name=missed.name or "",
                    number=number,
                    timezone=zone,
                    source="missed",
                    queue=missed.queue,
                    original_wait=missed.wait,
                    left_queue_at=missed.left_at,
                    missed_key=uid,
                ),
            )
        )
    result = await store.add_contacts(user.username, campaign.name, [c for _, c in contacts])
    why = {n: ("on a do-not-call list", "dnc") for n in result.dnc}
    why |= {n: ("already pending in this campaign", "pending") for n in result.duplicates}
    added = []
    for uid, contact in contacts:
        if contact.number in why:
            reason, code = why[contact.number]
            refuse(uid, contact.number, code, reason)
        else:
            added.append(uid)
    return respond(request, AssignReport(campaign=campaign.name, added=added, refused=refused))


# -------------------------------------------------------------------- do-not-call
async def _scopes(request: web.Request, user: User) -> list[str]:
    """Where ``user`` may list and add numbers: everywhere, and their campaigns."""
    return [GLOBAL, *(c.name for c in await campaigns_of(request, user))]


async def _check_scope(request: web.Request, user: User, scope: str) -> None:
    if scope != GLOBAL:
        await campaign_for(request, user, scope)  # exists, and theirs


async def list_dnc(request: web.Request) -> web.Response:
    user = await current_user(request)
    query = read_query(request, DncQuery)
    scopes = await _scopes(request, user)
    if query.scope is not None:
        await _check_scope(request, user, query.scope)
    numbers = await request.app[CAMPAIGNS].dnc_numbers(scope=query.scope, limit=query.limit)
    allowed = set(scopes)
    return respond(
        request,
        DncNumbers(
            numbers=[
                DncNumberOut(number=n, scope=s, added_at=_iso(at) or "")
                for n, s, at in numbers
                if user.is_admin or s in allowed
            ],
            scopes=scopes,
        ),
    )


async def add_dnc(request: web.Request) -> web.Response:
    user = await current_user(request)
    body = await read_model(request, DncAdd)
    await _check_scope(request, user, body.scope)
    listed = []
    for i, raw in enumerate(body.numbers):
        try:
            listed.append(normalise_number(raw, body.region))
        except InvalidNumber as exc:
            raise InvalidInput(f"numbers[{i}]: {exc.message.removeprefix('number: ')}") from None
    added = await request.app[CAMPAIGNS].add_dnc(
        user.username, listed, scope=body.scope, source="manual"
    )
    listed = list(dict.fromkeys(listed))
    return respond(request, DncAdded(added=added, listed=listed, errors=[]))


async def import_dnc(request: web.Request) -> web.Response:
    user = await current_user(request)
    query = read_query(request, DncImport)
    await _check_scope(request, user, query.scope)
    data, _ = await read_file(request, "dnc.csv")
    good, bad = await asyncio.to_thread(parse_numbers, data, region=query.region)
    listed = [n for _, n in good]
    added = await request.app[CAMPAIGNS].add_dnc(
        user.username, listed, scope=query.scope, source="import"
    )
    errors: list[Any] = [RowErrorOut.model_validate(e.to_dict()) for e in bad]
    return respond(request, DncAdded(added=added, listed=listed, errors=errors))


__all__ = [
    "add_contact",
    "add_dnc",
    "assign_missed",
    "get_import",
    "import_dnc",
    "list_contacts",
    "list_dnc",
    "list_missed",
    "remove_contact",
    "supervises",
    "upload_import",
]
