"""The admin section's pages (``/admin/...``): the summary (CF-1), call queues (CF-2), users
(CF-5), campaigns (CF-4) and the do-not-call lists, general settings (CF-6) and the
configuration audit log.

A page is seen by a user whose role holds its view permission in the role matrix (the one
its JSON API needs, :mod:`web.admin_routes`); otherwise a 403 page says which permission is
missing. Edit controls are rendered only for the roles that hold the edit permission (the
API refuses the others anyway). Each page renders the frame, the forms with their labels
and help, and hands the rest to its module (``static/js/admin_*.js``), which reads and
writes through ``/api/v1/admin/``: what a page shows is what the API answers.

Create forms have their own paths (``/admin/new-queue``, ``/admin/new-user``,
``/admin/new-campaign``): under ``/admin/queues/`` a queue may be named ``new``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from aiohttp import web

from standardiste.account_tables import ROLES
from standardiste.accounts import User
from standardiste.dialer.campaign import MODES, CampaignDef
from standardiste.dialer.retry import RetryRules
from standardiste.dialer.schedule import DAYS
from standardiste.errors import Forbidden, UnknownCampaign, UnknownQueue
from standardiste.outbound.store import Campaign
from standardiste.pbx.definitions import STRATEGIES, QueueDef
from standardiste.pbx.skills import MAX_LEVEL, MIN_LEVEL
from standardiste.role_permissions import EDITABLE_ROLES, PERMISSIONS, granted
from standardiste.web.admin_nav import ADMIN, SECTIONS, Section, admin_home
from standardiste.web.appkeys import ACCOUNTS, CANNED, CONFIG, MIRROR
from standardiste.web.campaign_api import campaign_for, campaigns_of
from standardiste.web.endpoint import granted_to
from standardiste.web.i18n import Translator, zone_choices
from standardiste.web.pages import page_translator, render, user_or_login
from standardiste.web.security import csrf_token


# -------------------------------------------------------------------- the queue form
@dataclass(frozen=True, slots=True)
class QueueField:
    """One setting of the queue form: its input and the range QueueDef accepts."""

    name: str
    kind: str  # text | digits | number | bool | strategy | skill | level | key | sl_variant
    low: int = 0
    high: int = 0


# In the order of the form, by fieldset (legend key -> fields). The ranges are QueueDef's.
QUEUE_FORM: tuple[tuple[str, tuple[QueueField, ...]], ...] = (
    (
        "admin.queue.group.identity",
        (QueueField("display_name", "text"), QueueField("extension", "digits")),
    ),
    (
        "admin.queue.group.ringing",
        (
            QueueField("strategy", "strategy"),
            QueueField("timeout", "number", 1, 600),
            QueueField("retry", "number", 0, 600),
            QueueField("wrapuptime", "number", 0, 3600),
            QueueField("weight", "number", 0, 1000),
        ),
    ),
    (
        "admin.queue.group.callers",
        (
            QueueField("maxwait", "number", 1, 86400),
            QueueField("joinempty", "bool"),
            QueueField("leavewhenempty", "bool"),
            QueueField("announce_position", "bool"),
            QueueField("announce_holdtime", "bool"),
            QueueField("announce_frequency", "number", 0, 3600),
        ),
    ),
    (
        "admin.queue.group.service_level",
        (
            QueueField("servicelevel", "number", 1, 3600),
            QueueField("sl_variant", "sl_variant", 1, 4),
            QueueField("sl_target", "number", 1, 100),
            QueueField("short_abandon", "number", 0, 600),
        ),
    ),
    (
        "admin.queue.group.skills",
        (
            QueueField("skill", "skill"),
            QueueField("skill_min_level", "level", MIN_LEVEL, MAX_LEVEL),
            QueueField("widen_after", "number", 0, 86400),
        ),
    ),
    ("admin.queue.group.recording", (QueueField("record", "bool"),)),
    (
        "admin.queue.group.callback",
        (
            QueueField("callback", "bool"),
            QueueField("callback_key", "key"),
            QueueField("callback_threshold", "number", 0, 86400),
            QueueField("callback_expiry", "number", 10, 86400),
        ),
    ),
)
# A new queue's form starts from QueueDef's defaults (tests/web/test_admin_pages.py holds the
# form to every setting of QueueDef).
QUEUE_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(QueueDef) if f.name not in ("name", "display_name")
} | {"display_name": "", "extension": ""}


# -------------------------------------------------------------------- rendering
@dataclass(frozen=True, slots=True)
class Viewer:
    """The user of an admin page and what their role may do."""

    user: User
    permissions: frozenset[str]
    t: Translator

    def can(self, permission: str) -> bool:
        return permission in self.permissions


async def _viewer(request: web.Request) -> Viewer:
    user = await user_or_login(request)
    return Viewer(user, await granted_to(request, user.role), page_translator(request, user))


async def _message(
    request: web.Request, who: Viewer, status: int, title: str, text: str
) -> web.Response:
    """A page that only says something: access refused (403), nothing there (404)."""
    response = await render(
        request,
        "admin_message.html",
        who.t,
        who.user,
        _data(who, await csrf_token(request)),
        sections=_sections(who),
        title=title,
        text=text,
        home=admin_home(who.permissions),
        live=False,
    )
    response.set_status(status)
    return response


async def _denied(request: web.Request, who: Viewer, permission: str) -> web.Response:
    t = who.t
    return await _message(
        request,
        who,
        403,
        t("admin.denied.title"),
        t(
            "admin.denied.text",
            role=t(f"role.{who.user.role}"),
            permission=t(f"perm.{permission}"),
        ),
    )


def _sections(who: Viewer) -> list[Section]:
    return [s for s in SECTIONS if who.can(s.permission)]


def _data(who: Viewer, csrf: str, **extra: Any) -> dict[str, Any]:
    return {
        "csrf": csrf,
        "me": {"username": who.user.username},
        "permissions": sorted(who.permissions),
        **extra,
    }


async def _page(
    request: web.Request,
    who: Viewer,
    template: str,
    data: Mapping[str, Any] | None = None,
    **context: Any,
) -> web.Response:
    return await render(
        request,
        template,
        who.t,
        who.user,
        _data(who, await csrf_token(request), **(data or {})),
        sections=_sections(who),
        can=who.can,
        live=False,
        **context,
    )


async def _skills(request: web.Request) -> list[dict[str, str]]:
    return await request.app[CONFIG].store.skills()


async def _queue_names(request: web.Request, *more: str) -> list[str]:
    """Every queue a user may be assigned to: the configuration's and those Asterisk runs
    (a PBX whose queues Standardiste does not manage yet)."""
    stored = {q.name for q in await request.app[CONFIG].store.queues()}
    live = set((await request.app[MIRROR].snapshot()).state.get("queue", {}))
    return sorted(stored | live | set(more))


# -------------------------------------------------------------------- handlers
async def summary_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("admin.summary"):
        return await _denied(request, who, "admin.summary")
    return await _page(request, who, "admin_summary.html")


async def queues_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("admin.queues.view"):
        return await _denied(request, who, "admin.queues.view")
    return await _page(request, who, "admin_queues.html")


async def _queue_form(
    request: web.Request, who: Viewer, queue: QueueDef | None
) -> web.StreamResponse:
    skills = await _skills(request)
    values = QUEUE_DEFAULTS if queue is None else queue.to_dict()
    return await _page(
        request,
        who,
        "admin_queue.html",
        {"queue": None if queue is None else queue.name, "defaults": QUEUE_DEFAULTS},
        queue=queue,
        form=QUEUE_FORM,
        values=values,
        strategies=STRATEGIES,
        skills=skills,
        levels=range(MIN_LEVEL, MAX_LEVEL + 1),
    )


async def new_queue_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("admin.queues.edit"):
        return await _denied(request, who, "admin.queues.edit")
    return await _queue_form(request, who, None)


async def queue_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("admin.queues.view"):
        return await _denied(request, who, "admin.queues.view")
    name = request.match_info["name"]
    try:
        queue = await request.app[CONFIG].store.queue(name)
    except UnknownQueue:
        t = who.t
        return await _message(
            request, who, 404, t("admin.missing.title"), t("admin.queue.missing", name=name)
        )
    return await _queue_form(request, who, queue)


async def users_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("admin.users.view"):
        return await _denied(request, who, "admin.users.view")
    return await _page(request, who, "admin_users.html")


async def _user_form(request: web.Request, who: Viewer, user: User | None) -> web.StreamResponse:
    store = request.app[CONFIG].store
    skills = await _skills(request)
    queues = await _queue_names(request, *(user.queues if user else ()))
    matrix = await request.app[CONFIG].matrix()
    return await _page(
        request,
        who,
        "admin_user.html",
        {
            "username": None if user is None else user.username,
            "devices": [] if user is None else list(user.devices),
        },
        subject=user,
        queues=queues,
        skills=skills,
        levels_of={} if user is None else await store.user_skills(user.username),
        levels=range(MIN_LEVEL, MAX_LEVEL + 1),
        roles=ROLES,
        subject_permissions=[] if user is None else sorted(granted(user.role, matrix)),
    )


async def new_user_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("admin.users.edit"):
        return await _denied(request, who, "admin.users.edit")
    return await _user_form(request, who, None)


async def user_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("admin.users.view"):
        return await _denied(request, who, "admin.users.view")
    username = request.match_info["username"]
    user = await request.app[ACCOUNTS].get(username)
    if user is None:
        t = who.t
        return await _message(
            request, who, 404, t("admin.missing.title"), t("admin.user.missing", name=username)
        )
    return await _user_form(request, who, user)


async def general_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("admin.summary"):
        return await _denied(request, who, "admin.summary")
    config = request.app[CONFIG]
    return await _page(
        request,
        who,
        "admin_general.html",
        permission_names=list(PERMISSIONS),
        roles=("admin", *EDITABLE_ROLES),
        matrix=await config.matrix(),
        tags=await config.store.chat_tags(),
    )


async def audit_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("admin.audit.view"):
        return await _denied(request, who, "admin.audit.view")
    return await _page(request, who, "admin_audit.html")


# -------------------------------------------------------------------- campaigns (CF-4)
# A new campaign's form starts from CampaignDef's defaults.
CAMPAIGN_DEFAULTS: dict[str, Any] = {
    k: v
    for k, v in CampaignDef.parse({"name": "new", "queue": "new"}).to_dict().items()
    if k not in ("name", "queue")
} | {"display_name": ""}
RETRY_FIELDS = tuple(RetryRules.__dataclass_fields__)
SPANS_PER_DAY = 2


async def campaigns_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("campaigns.view"):
        return await _denied(request, who, "campaigns.view")
    return await _page(request, who, "admin_campaigns.html")


async def _campaign_form(
    request: web.Request, who: Viewer, campaign: Campaign | None
) -> web.StreamResponse:
    values = CAMPAIGN_DEFAULTS if campaign is None else campaign.definition.to_dict()
    current_zone = str(values["schedule"]["timezone"])
    return await _page(
        request,
        who,
        "admin_campaign.html",
        {"campaign": None if campaign is None else campaign.name},
        campaign=campaign,
        values=values,
        queues=await _queue_names(request, *([] if campaign is None else [values["queue"]])),
        modes=MODES,
        days=DAYS,
        spans=range(SPANS_PER_DAY),
        retry_fields=RETRY_FIELDS,
        zones=zone_choices(current_zone),
        messages=await request.app[CANNED].messages(),
    )


async def new_campaign_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("campaigns.manage"):
        return await _denied(request, who, "campaigns.manage")
    return await _campaign_form(request, who, None)


async def campaign_settings_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("campaigns.view"):
        return await _denied(request, who, "campaigns.view")
    name = request.match_info["name"]
    t = who.t
    try:
        campaign = await campaign_for(request, who.user, name)
    except (UnknownCampaign, Forbidden):
        return await _message(
            request, who, 404, t("admin.missing.title"), t("admin.campaign.missing", name=name)
        )
    return await _campaign_form(request, who, campaign)


async def dnc_page(request: web.Request) -> web.StreamResponse:
    who = await _viewer(request)
    if not who.can("dnc.manage"):
        return await _denied(request, who, "dnc.manage")
    scopes = [c.name for c in await campaigns_of(request, who.user)]
    return await _page(request, who, "admin_dnc.html", scopes=scopes)


def setup_admin_pages(app: web.Application) -> None:
    app.router.add_get(ADMIN, summary_page, name="admin_summary_page")
    app.router.add_get(f"{ADMIN}/queues", queues_page, name="admin_queues_page")
    app.router.add_get(f"{ADMIN}/new-queue", new_queue_page, name="admin_new_queue_page")
    app.router.add_get(f"{ADMIN}/queues/{{name}}", queue_page, name="admin_queue_page")
    app.router.add_get(f"{ADMIN}/users", users_page, name="admin_users_page")
    app.router.add_get(f"{ADMIN}/new-user", new_user_page, name="admin_new_user_page")
    app.router.add_get(f"{ADMIN}/users/{{username}}", user_page, name="admin_user_page")
    app.router.add_get(f"{ADMIN}/campaigns", campaigns_page, name="admin_campaigns_page")
    app.router.add_get(f"{ADMIN}/new-campaign", new_campaign_page, name="admin_new_campaign_page")
    app.router.add_get(
        f"{ADMIN}/campaigns/{{name}}", campaign_settings_page, name="admin_campaign_page"
    )
    app.router.add_get(f"{ADMIN}/dnc", dnc_page, name="admin_dnc_page")
    app.router.add_get(f"{ADMIN}/general", general_page, name="admin_general_page")
    app.router.add_get(f"{ADMIN}/audit", audit_page, name="admin_audit_page")


__all__ = ["QUEUE_FORM", "setup_admin_pages"]
