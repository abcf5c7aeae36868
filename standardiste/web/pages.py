"""The server-rendered pages: log in, the supervisor's overview and a queue's detail, the
agent's workspace (the admin section's are :mod:`web.admin_pages`).

Pages render the frame, the labels and what only the server knows (the user, the roster of
agents, the history figures, dates in the user's time zone) and hand the rest to small ES
modules in ``web/static/js/`` that follow the live feed. The data a module needs is embedded
as ``<script type="application/json">`` (data, not code: the CSP forbids inline scripts).

``setup_pages(app)`` adds the templates, the pages and ``/static/`` to an app built by
:func:`web.app.init_app` (the UI's read-only JSON endpoints, :mod:`web.ui_data`, are
registered with the API's, from :mod:`web.routes`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from standardiste.accounts import User
from standardiste.acd.names import SLUG_RE, is_queue
from standardiste.errors import StandardisteError, UnknownQueue
from standardiste.history.activity import local_today
from standardiste.permissions import scope_of
from standardiste.web import ui_data
from standardiste.web.admin_nav import admin_home, is_admin_path
from standardiste.web.appkeys import ACCOUNTS, CANNED, CONFIG, DEPS, MIRROR
from standardiste.web.campaign_api import cards_for, cards_of_queues
from standardiste.web.endpoint import granted_to
from standardiste.web.i18n import Translator, catalog, choose_language, translator, zone_choices
from standardiste.web.security import csrf_token, current_user

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOGIN_PATH = "/login"
QUEUE_PAGE = "/supervisor/queues/"
CAMPAIGN_PATH = "/supervisor/campaigns/"  # web.campaign_pages
REPORT_PATHS = ("/reports/queues", "/reports/agents", "/reports/definitions")  # web.report_pages


# -------------------------------------------------------------------- who sees which page
def is_supervisor(user: User) -> bool:
    return user.is_admin or bool(scope_of(user).supervised)


def is_agent(user: User) -> bool:
    return user.is_admin or bool(scope_of(user).assigned)


def home_of(user: User) -> str:
    return "/supervisor" if is_supervisor(user) else "/agent"


async def _user_or_none(request: web.Request) -> User | None:
    try:
        return await current_user(request)
    except StandardisteError:  # not logged in, or the session ended
        return None


async def user_or_login(request: web.Request) -> User:
    user = await _user_or_none(request)
    if user is None:
        raise web.HTTPSeeOther(f"{LOGIN_PATH}?next={request.rel_url.path}")
    return user


def page_translator(request: web.Request, user: User | None) -> Translator:
    settings = request.app[DEPS].settings
    lang = choose_language(user.language if user else None, request.headers.get("Accept-Language"))
    return translator(lang, user.time_zone if user else "", settings.timezone)


async def render(
    request: web.Request,
    template: str,
    t: Translator,
    user: User | None,
    data: Mapping[str, Any],
    **context: Any,
) -> web.Response:
    """A page with its translator, navigation and the JSON its module reads. ``live``
    (default True): the page follows the live feed (its status shows in the header)."""
    permissions = await granted_to(request, user.role) if user else frozenset[str]()
    page_data = {
        "lang": t.lang,
        "timeZone": str(t.tz),
        "strings": dict(catalog(t.lang)),
        **data,
    }
    response = aiohttp_jinja2.render_template(
        template,
        request,
        {
            "t": t,
            "user": user,
            "is_supervisor": bool(user and is_supervisor(user)),
            "is_agent": bool(user and is_agent(user)),
            # The admin section, for a role that may see any of it.
            "admin_home": admin_home(permissions),
            # The reports (issue 10), for a role that may read them.
            "can_report": "reports.view" in permissions,
            "live": True,
            "page_data": page_data,
            "path": request.path,
            # The header's language and time zone menu (BY-7): the user's own choices.
            "my_language": user.language if user else "",
            "time_zones": zone_choices(str(t.tz)) if user else [],
            **context,
        },
    )
    # Pages carry the CSRF token and personal data: never cached, never stored.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


# -------------------------------------------------------------------- handlers
async def index(request: web.Request) -> web.StreamResponse:
    user = await _user_or_none(request)
    raise web.HTTPSeeOther(home_of(user) if user else LOGIN_PATH)


async def login_page(request: web.Request) -> web.StreamResponse:
    user = await _user_or_none(request)
    next_path = _safe_next(request.query.get("next", ""))
    if user is not None:
        raise web.HTTPSeeOther(next_path or home_of(user))
    t = page_translator(request, None)
    return await render(request, "login.html", t, None, {"next": next_path}, live=False)


async def _reasons(request: web.Request, lang: str) -> list[tuple[str, str]]:
    """The active pause reasons (admin-edited): code and label in ``lang``."""
    return [
        (r.code, r.label_fr if lang == "fr" else r.label_en)
        for r in await request.app[CONFIG].pause_reasons()
    ]


def _safe_next(value: str) -> str:
    """Only our own pages: an open redirect to another site would help phishing."""
    if value in ("/supervisor", "/agent") or is_admin_path(value):
        return value
    if value.startswith(QUEUE_PAGE) and is_queue(value.removeprefix(QUEUE_PAGE)):
        return value
    if value == "/supervisor/missed-calls" or value in REPORT_PATHS:
        return value
    if value.startswith(CAMPAIGN_PATH) and SLUG_RE.fullmatch(value.removeprefix(CAMPAIGN_PATH)):
        return value
    return ""


async def supervisor_page(request: web.Request) -> web.StreamResponse:
    user = await user_or_login(request)
    if not is_supervisor(user):
        raise web.HTTPSeeOther("/agent")
    t = page_translator(request, user)
    roster = await ui_data.roster(request.app[ACCOUNTS], user)
    reasons = await _reasons(request, t.lang)
    permissions = await granted_to(request, user.role)
    data = {
        "csrf": await csrf_token(request),
        # The devices: listening in rings the supervisor's own phone (spy.js).
        "me": {"username": user.username, "devices": list(user.devices)},
        "permissions": sorted(permissions),
        "pauseReasons": [code for code, _ in reasons],
        "roster": roster,
        "handleTimes": await ui_data.handle_times_for(request, user),
        # The queues whose calls (and recordings) the user may list: those they supervise;
        # an admin's are every queue of the live feed (null).
        "callQueues": None if user.is_admin else sorted(scope_of(user).supervised),
        # The calls' days are the contact center's.
        "today": local_today(request.app[DEPS].settings.timezone).isoformat(),
        # SV-7: the cards of the campaigns the user may open (the live feed's replace them).
        "campaigns": (await cards_for(request, user) if "campaigns.view" in permissions else {}),
    }
    return await render(
        request, "supervisor.html", t, user, data, reasons=reasons, can=permissions.__contains__
    )


async def message_page(
    request: web.Request, t: Translator, user: User, status: int, title: str, text: str
) -> web.Response:
    """A page that only says something: access refused (403), nothing there (404)."""
    data = {"csrf": await csrf_token(request)}
    response = await render(
        request,
        "message.html",
        t,
        user,
        data,
        title=title,
        text=text,
        home=home_of(user),
        live=False,
    )
    response.set_status(status)
    return response


async def _queue_title(request: web.Request, name: str) -> str | None:
    """The queue's display name; None when neither the configuration nor Asterisk (a queue
    of queues.conf that Standardiste does not manage) knows it."""
    try:
        return (await request.app[CONFIG].store.queue(name)).display_name or name
    except UnknownQueue:
        pass
    live = (await request.app[MIRROR].snapshot()).state.get("queue", {})
    return name if name in live else None


async def queue_page(request: web.Request) -> web.StreamResponse:
    """QD-1..QD-3: one queue, for a user whose role sees the overview and who supervises it
    (an admin: any queue). The same 403 for a queue they do not supervise and for a name
    that does not exist: the answer does not tell which queues exist."""
    user = await user_or_login(request)
    t = page_translator(request, user)
    name = request.match_info["name"]
    permissions = await granted_to(request, user.role)
    if "overview.view" not in permissions:
        text = t(
            "qd.denied.permission",
            role=t(f"role.{user.role}"),
            permission=t("perm.overview.view"),
        )
        return await message_page(request, t, user, 403, t("qd.denied.title"), text)
    if not (user.is_admin or name in scope_of(user).supervised):
        text = t("qd.denied.queue", queue=name)
        return await message_page(request, t, user, 403, t("qd.denied.title"), text)
    title = await _queue_title(request, name) if is_queue(name) else None
    if title is None:
        text = t("qd.missing.text", queue=name)
        return await message_page(request, t, user, 404, t("qd.missing.title"), text)
    reasons = await _reasons(request, t.lang)
    roster = [a for a in await ui_data.roster(request.app[ACCOUNTS], user) if name in a["queues"]]
    times = await ui_data.handle_times_for(request, user)
    data = {
        "csrf": await csrf_token(request),
        "me": {"username": user.username, "devices": list(user.devices)},
        "queue": name,
        "permissions": sorted(permissions),
        "pauseReasons": [code for code, _ in reasons],
        # The users assigned to the queue as agents, logged in or not (QD-3 logs them in).
        "roster": roster,
        "handleTimes": {name: times[name]} if name in times else {},
    }
    return await render(
        request,
        "queue.html",
        t,
        user,
        data,
        reasons=reasons,
        queue=name,
        queue_title=title,
        can=permissions.__contains__,
    )


async def agent_page(request: web.Request) -> web.StreamResponse:
    user = await user_or_login(request)
    if not is_agent(user):
        raise web.HTTPSeeOther("/supervisor")
    t = page_translator(request, user)
    reasons = await _reasons(request, t.lang)
    activity = await ui_data.activity_for(request, user, t.tz, now=time.time())
    # The canned audio messages (AG-3) for a role that may play them, else None.
    canned = (
        [
            {"id": m.id, "name": m.name, "language": m.language, "seconds": m.seconds}
            for m in await request.app[CANNED].messages()
        ]
        if "canned.play" in await granted_to(request, user.role)
        else None
    )
    data = {
        "csrf": await csrf_token(request),
        "me": {
            "username": user.username,
            "devices": list(user.devices),
            "queues": sorted(scope_of(user).assigned),
        },
        "pauseReasons": [code for code, _ in reasons],
        "activity": activity,
        "canned": canned,
        # AG-4: the campaigns of my queues (the live feed's cards replace these).
        "campaigns": await cards_of_queues(request, set(scope_of(user).assigned)),
    }
    return await render(
        request,
        "agent.html",
        t,
        user,
        data,
        canned=canned,
        reasons=reasons,
        queues=sorted(scope_of(user).assigned),
        activity=activity,
        week_labels=ui_data.week_labels(activity, t),
    )


# -------------------------------------------------------------------- wiring
def setup_pages(app: web.Application) -> None:
    """Templates, pages and static files, on an app from init_app."""
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined,  # a typo in a template fails the test, not the page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app.router.add_get("/", index, name="index")
    app.router.add_get(LOGIN_PATH, login_page, name="login_page")
    app.router.add_get("/supervisor", supervisor_page, name="supervisor_page")
    app.router.add_get(QUEUE_PAGE + "{name}", queue_page, name="queue_page")
    app.router.add_get("/agent", agent_page, name="agent_page")
    app.router.add_static("/static/", STATIC, name="static", append_version=False)


__all__ = [
    "home_of",
    "message_page",
    "is_agent",
    "is_supervisor",
    "page_translator",
    "render",
    "setup_pages",
    "user_or_login",
]
