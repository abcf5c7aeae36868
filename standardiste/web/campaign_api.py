"""Campaigns (SV-7, CD-1..CD-4, CF-4): list, detail with the card, create / change / delete,
pause / resume; and the agent's preview Call / Skip (AG-4), forwarded to the bridge's dialer.

A campaign dials through its queue, so who may see or run it follows the queue: an admin
any; a supervisor those whose queue they supervise (an unknown name answers the same 403 as
another's, so names do not leak); an agent only through the live cards of their queues.
Pause and resume are a flag in SQL the dialer reads every tick: nothing to send.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from standardiste.accounts import User
from standardiste.acd.state import Entity
from standardiste.dialer.campaign import CampaignDef, campaign_status
from standardiste.errors import (
    CallGone,
    Forbidden,
    InvalidInput,
    UnknownCampaign,
)
from standardiste.outbound.store import Campaign, day_start
from standardiste.web.appkeys import CAMPAIGNS, CONFIG, DEPS, MIRROR
from standardiste.web.campaign_schemas import (
    CampaignCreate,
    CampaignOut,
    Campaigns,
    CampaignSettings,
    CampaignSettingsIn,
    Paused,
    PreviewAction,
    PreviewDone,
)
from standardiste.web.endpoint import granted_to, read_model, respond
from standardiste.web.errors import Unavailable
from standardiste.web.schemas import CampaignCard
from standardiste.web.security import current_user

State = Mapping[Entity, Mapping[str, Mapping[str, Any]]]


# -------------------------------------------------------------------- who may
def supervises(user: User, campaign: Campaign) -> bool:
    return user.is_admin or user.queues.get(campaign.definition.queue) == "supervisor"


async def campaign_for(request: web.Request, user: User, name: str) -> Campaign:
    """The campaign ``name``, if ``user`` supervises its queue (an admin: any)."""
    try:
        campaign = await request.app[CAMPAIGNS].campaign(name)
    except UnknownCampaign:
        if user.is_admin:
            raise
        campaign = None
    if campaign is None or not supervises(user, campaign):
        raise Forbidden(f"campaign {name!r}: not a campaign of a queue you supervise")
    return campaign


async def campaigns_of(request: web.Request, user: User) -> list[Campaign]:
    return [c for c in await request.app[CAMPAIGNS].campaigns() if supervises(user, c)]


async def known_queues(request: web.Request) -> set[str]:
    """The queues a campaign may dial through: the configuration's and Asterisk's."""
    stored = {q.name for q in await request.app[CONFIG].store.queues()}
    return stored | set((await request.app[MIRROR].snapshot()).state.get("queue", {}))


# -------------------------------------------------------------------- the card
def _now(request: web.Request) -> float:
    return request.app[DEPS].clock()


async def card_of(request: web.Request, campaign: Campaign, state: State) -> CampaignCard:
    """The dialer's live card; until the dialer publishes one, the same figures from SQL."""
    live = state.get("campaign", {}).get(campaign.name)
    now = _now(request)
    at = datetime.fromtimestamp(now, UTC)
    d = campaign.definition
    if live is not None:
        card = CampaignCard.model_validate(live)
        if campaign.paused == (card.status == "paused"):
            return card
        # Paused or resumed since the dialer's last tick: the flag in SQL is the truth.
        status = campaign_status(
            d,
            paused=campaign.paused,
            contacts_left=card.contacts_left,
            agents_logged_in=card.agents_logged_in,
            now=at,
        )
        return card.model_copy(
            update={
                "status": status.status.value,
                "reason": status.reason,
                "paused_by": campaign.paused_by,
            }
        )
    figures = await request.app[CAMPAIGNS].figures(
        campaign.name,
        day_start(d.schedule.timezone, at),  # "today" as the dialer's card
    )
    members = [m for m in state.get("member", {}).values() if m.get("queue") == d.queue]
    free = [m for m in members if not m.get("paused") and not m.get("in_call")]
    status = campaign_status(
        d,
        paused=campaign.paused,
        contacts_left=figures.contacts_left,
        agents_logged_in=len(members),
        now=at,
    )
    return CampaignCard(
        name=campaign.name,
        display_name=d.display_name,
        queue=d.queue,
        mode=d.mode,  # type: ignore[arg-type]
        status=status.status.value,
        reason=status.reason,
        paused_by=campaign.paused_by,
        agents_logged_in=len(members),
        agents_free=len(free),
        contacts_total=figures.contacts_total,
        contacts_left=figures.contacts_left,
        contacts_dialled=figures.contacts_dialled,
        handled=figures.handled,
        incomplete=figures.incomplete,
        dropped=figures.dropped,
        in_flight=figures.in_flight,
        aht=figures.aht,
        drop_rate=None,
        updated_at=now,
    )


async def campaign_out(
    request: web.Request, user: User, campaign: Campaign, state: State | None = None
) -> CampaignOut:
    if state is None:
        state = (await request.app[MIRROR].snapshot()).state
    permissions = await granted_to(request, user.role)
    return CampaignOut(
        settings=CampaignSettings.model_validate(campaign.definition.to_dict()),
        paused=campaign.paused,
        paused_by=campaign.paused_by,
        card=await card_of(request, campaign, state),
        can_control="campaigns.control" in permissions and supervises(user, campaign),
    )


async def cards_for(request: web.Request, user: User) -> dict[str, dict[str, Any]]:
    """The cards of the campaigns ``user`` may open (the pages start from them)."""
    state = (await request.app[MIRROR].snapshot()).state
    return {
        c.name: (await card_of(request, c, state)).model_dump()
        for c in await campaigns_of(request, user)
    }


async def cards_of_queues(request: web.Request, queues: set[str]) -> dict[str, dict[str, Any]]:
    """The cards of the campaigns dialling through ``queues`` (an agent's, AG-4)."""
    state = (await request.app[MIRROR].snapshot()).state
    return {
        c.name: (await card_of(request, c, state)).model_dump()
        for c in await request.app[CAMPAIGNS].campaigns()
        if c.definition.queue in queues
    }


# -------------------------------------------------------------------- handlers
async def list_campaigns(request: web.Request) -> web.Response:
    user = await current_user(request)
    state = (await request.app[MIRROR].snapshot()).state
    out = [await campaign_out(request, user, c, state) for c in await campaigns_of(request, user)]
    return respond(request, Campaigns(campaigns=out))


async def get_campaign(request: web.Request) -> web.Response:
    user = await current_user(request)
    campaign = await campaign_for(request, user, request.match_info["name"])
    return respond(request, await campaign_out(request, user, campaign))


async def _definition(
    request: web.Request, user: User, name: str, body: CampaignSettingsIn
) -> CampaignDef:
    data = body.model_dump(exclude_none=True, exclude={"name"})
    definition = CampaignDef.parse({**data, "name": name})
    queues = await known_queues(request)
    if definition.queue not in queues:
        raise InvalidInput(f"queue: no queue named {definition.queue!r}")
    unknown = [q for q in definition.missed_queues if q not in queues]
    if unknown:
        raise InvalidInput(f"missed_queues: no queue named {unknown[0]!r}")
    if not (user.is_admin or user.queues.get(definition.queue) == "supervisor"):
        raise Forbidden(f"queue: you do not supervise {definition.queue!r}")
    return definition


async def create_campaign(request: web.Request) -> web.Response:
    user = await current_user(request)
    body = await read_model(request, CampaignCreate)
    definition = await _definition(request, user, body.name, body)
    campaign = await request.app[CAMPAIGNS].create(user.username, definition)
    return respond(request, await campaign_out(request, user, campaign), 201)


async def update_campaign(request: web.Request) -> web.Response:
    user = await current_user(request)
    body = await read_model(request, CampaignSettingsIn)
    current = await campaign_for(request, user, request.match_info["name"])
    definition = await _definition(request, user, current.name, body)
    campaign = await request.app[CAMPAIGNS].update(user.username, definition)
    return respond(request, await campaign_out(request, user, campaign))


async def delete_campaign(request: web.Request) -> web.Response:
    user = await current_user(request)
    campaign = await campaign_for(request, user, request.match_info["name"])
    await request.app[CAMPAIGNS].archive(user.username, campaign.name)
    return web.Response(status=204)


async def _set_paused(request: web.Request, paused: bool) -> web.Response:
    user = await current_user(request)
    campaign = await campaign_for(request, user, request.match_info["name"])
    done = await request.app[CAMPAIGNS].set_paused(user.username, campaign.name, paused)
    return respond(request, Paused(name=done.name, paused=done.paused, paused_by=done.paused_by))


async def pause_campaign(request: web.Request) -> web.Response:
    return await _set_paused(request, True)


async def resume_campaign(request: web.Request) -> web.Response:
    return await _set_paused(request, False)


# -------------------------------------------------------------------- preview (AG-4)
async def _preview(request: web.Request, action: str) -> web.Response:
    user = await current_user(request)
    body = await read_model(request, PreviewAction)
    name = request.match_info["name"]
    dial = (await request.app[MIRROR].snapshot()).state.get("dial", {}).get(body.attempt)
    if dial is None or dial.get("campaign") != name:
        raise CallGone(f"attempt {body.attempt!r}: no such contact offered in campaign {name!r}")
    mine = dial.get("agent") == user.username or dial.get("device") in user.devices
    if not mine:
        raise Forbidden("this contact is offered to another agent")
    if dial.get("state") != "preview":
        raise CallGone(f"attempt {body.attempt!r}: no longer waiting for your decision")
    commands = request.app[DEPS].dialer
    if commands is None:
        raise Unavailable("the dialer is not available (no bridge)")
    await commands.run(
        {"action": action, "campaign": name, "attempt": body.attempt, "user": user.username},
        actor=user.username,
    )
    return respond(request, PreviewDone(attempt=body.attempt, action=action))  # type: ignore[arg-type]


async def preview_dial(request: web.Request) -> web.Response:
    return await _preview(request, "preview_dial")


async def preview_skip(request: web.Request) -> web.Response:
    return await _preview(request, "preview_skip")
