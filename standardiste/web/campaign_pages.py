"""The supervisor's campaign pages: a campaign's detail (CD-1..CD-6,
``/supervisor/campaigns/<name>``) and the missed calls to assign (SV-10,
``/supervisor/missed-calls``). Their modules (``campaign.js``, ``missed.js``) follow the
live feed and read and write through the campaign API (:mod:`web.campaign_routes`)."""

from __future__ import annotations

from aiohttp import web

from standardiste.accounts import User
from standardiste.errors import Forbidden, UnknownCampaign
from standardiste.web import ui_data
from standardiste.web.appkeys import ACCOUNTS, CONFIG
from standardiste.web.campaign_api import campaign_for, campaign_out, campaigns_of, known_queues
from standardiste.web.endpoint import granted_to
from standardiste.web.i18n import Translator
from standardiste.web.pages import message_page, page_translator, render, user_or_login
from standardiste.web.security import csrf_token

CAMPAIGN_PAGE = "/supervisor/campaigns/"
MISSED_PAGE = "/supervisor/missed-calls"


async def _denied(request: web.Request, t: Translator, user: User, permission: str) -> web.Response:
    text = t(
        "qd.denied.permission", role=t(f"role.{user.role}"), permission=t(f"perm.{permission}")
    )
    return await message_page(request, t, user, 403, t("qd.denied.title"), text)


async def campaign_page(request: web.Request) -> web.StreamResponse:
    """A campaign of a queue the user supervises (an admin: any); the same 403 for another's
    and for a name that does not exist."""
    user = await user_or_login(request)
    t = page_translator(request, user)
    permissions = await granted_to(request, user.role)
    if "campaigns.view" not in permissions:
        return await _denied(request, t, user, "campaigns.view")
    name = request.match_info["name"]
    try:
        campaign = await campaign_for(request, user, name)
    except Forbidden:
        text = t("cd.denied", campaign=name)
        return await message_page(request, t, user, 403, t("qd.denied.title"), text)
    except UnknownCampaign:
        text = t("cd.missing", campaign=name)
        return await message_page(request, t, user, 404, t("cd.missing_title"), text)
    out = await campaign_out(request, user, campaign)
    queue = campaign.definition.queue
    reasons = [
        (r.code, r.label_fr if t.lang == "fr" else r.label_en)
        for r in await request.app[CONFIG].pause_reasons()
    ]
    roster = [a for a in await ui_data.roster(request.app[ACCOUNTS], user) if queue in a["queues"]]
    data = {
        "csrf": await csrf_token(request),
        "me": {"username": user.username, "devices": list(user.devices)},
        "campaign": campaign.name,
        "queue": queue,
        "permissions": sorted(permissions),
        "pauseReasons": [code for code, _ in reasons],
        "roster": roster,  # CD-6: the queue's agents, logged in or not
        "card": out.card.model_dump(),
        "canControl": out.can_control,
    }
    return await render(
        request,
        "campaign.html",
        t,
        user,
        data,
        settings=out.settings,
        card=out.card,
        paused=out.paused,
        can_control=out.can_control,
        reasons=reasons,
        can=permissions.__contains__,
    )


async def missed_page(request: web.Request) -> web.StreamResponse:
    user = await user_or_login(request)
    t = page_translator(request, user)
    permissions = await granted_to(request, user.role)
    if "campaigns.view" not in permissions:
        return await _denied(request, t, user, "campaigns.view")
    queues = (
        sorted(await known_queues(request))
        if user.is_admin
        else sorted(q for q, r in user.queues.items() if r == "supervisor")
    )
    campaigns = [
        {"name": c.name, "display_name": c.definition.display_name}
        for c in await campaigns_of(request, user)
    ]
    data = {
        "csrf": await csrf_token(request),
        "permissions": sorted(permissions),
        "queues": queues,
    }
    return await render(
        request,
        "missed.html",
        t,
        user,
        data,
        queues=queues,
        campaigns=campaigns,
        can=permissions.__contains__,
    )


def setup_campaign_pages(app: web.Application) -> None:
    app.router.add_get(CAMPAIGN_PAGE + "{name}", campaign_page, name="campaign_page")
    app.router.add_get(MISSED_PAGE, missed_page, name="missed_page")


__all__ = ["CAMPAIGN_PAGE", "MISSED_PAGE", "setup_campaign_pages"]
