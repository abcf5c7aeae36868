"""The report pages (issue 10, AN-1, AN-2, AN-4): queue callers (``/reports/queues``), agent
performance (``/reports/agents``) and the metric definitions (``/reports/definitions``).

The server renders the frame, the filter form (the queues and agents the user may report
on, their time zone) and the labels; ``report_queues.js`` / ``report_agents.js`` /
``report_definitions.js`` read the report API (``/api/v1/reports/...``), draw the charts
(Chart.js, ``static/vendor/``) and the tables under them, and export each table as CSV. The
figures themselves are the API's: the pages compute nothing but their presentation.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from standardiste.accounts import User
from standardiste.history.activity import local_today
from standardiste.permissions import scope_of
from standardiste.web import ui_data
from standardiste.web.appkeys import ACCOUNTS, CONFIG, DEPS
from standardiste.web.campaign_api import known_queues
from standardiste.web.endpoint import granted_to
from standardiste.web.i18n import Translator
from standardiste.web.pages import message_page, page_translator, render, user_or_login
from standardiste.web.security import csrf_token

REPORTS_PAGE = "/reports/"
PERMISSION = "reports.view"
# Every metric the reports show, in the order the definitions page lists them; each has
# ``metric.<key>`` (its name) and ``metric.<key>.formula`` in both catalogs.
METRICS = (
    "offered", "handled", "abandoned", "short_abandoned", "timed_out", "transferred",
    "exited", "service_level", "abandon_rate", "asa", "aht", "longest_wait", "talk", "hold",
    "acw", "occupancy", "utilisation", "drop_rate", "list_penetration",
)  # fmt: skip
# The agent states of AN-2, in the order the charts stack them (unavailable: logged in, the
# phone unreachable).
AGENT_STATES = (
    "ready", "ringing", "talking", "hold", "wrapup", "paused", "unavailable", "logged_out",
)  # fmt: skip
TIMELINE_DAYS = 31  # the timeline API's longest range
CALL_TYPES = ("queue", "direct_in", "direct_out", "campaign")
SL_VARIANTS = (1, 2, 3, 4)


async def _denied(request: web.Request, t: Translator, user: User) -> web.Response:
    text = t(
        "qd.denied.permission", role=t(f"role.{user.role}"), permission=t(f"perm.{PERMISSION}")
    )
    return await message_page(request, t, user, 403, t("qd.denied.title"), text)


async def _report_queues(request: web.Request, user: User) -> list[str]:
    """The queues ``user`` may report on: those they supervise (an admin: every queue)."""
    if user.is_admin:
        return sorted(await known_queues(request))
    return sorted(scope_of(user).supervised)


async def _page(request: web.Request, template: str, kind: str) -> web.StreamResponse:
    user = await user_or_login(request)
    t = page_translator(request, user)
    permissions = await granted_to(request, user.role)
    if PERMISSION not in permissions:
        return await _denied(request, t, user)
    queues = await _report_queues(request, user)
    # The agents to filter by: the member interfaces the history knows them by.
    agents = [
        {"device": device, "name": a["display_name"] or a["username"], "username": a["username"]}
        for a in await ui_data.roster(request.app[ACCOUNTS], user)
        for device in a["devices"]
    ]
    today = local_today(t.tz).isoformat()
    reasons = {
        r.code: r.label_fr if t.lang == "fr" else r.label_en
        for r in await request.app[CONFIG].pause_reasons()
    }
    data: dict[str, Any] = {
        "csrf": await csrf_token(request),
        "report": kind,
        "queues": queues,
        "agents": agents,
        "today": today,
        "metrics": list(METRICS),
        "agentStates": list(AGENT_STATES),
        "callTypes": list(CALL_TYPES),
        "timelineDays": TIMELINE_DAYS,
        "pauseReasons": reasons,  # code -> label, for "paused (lunch)"
        "permissions": sorted(permissions),
    }
    return await render(
        request,
        template,
        t,
        user,
        data,
        live=False,
        queues=queues,
        agents=agents,
        today=today,
        metrics=METRICS,
        agent_states=AGENT_STATES,
        call_types=CALL_TYPES,
        sl_variants=SL_VARIANTS,
        can=permissions.__contains__,
        center_zone=request.app[DEPS].settings.timezone,  # the queue_log export's days
    )


async def queues_report(request: web.Request) -> web.StreamResponse:
    """AN-1: the callers of one or more queues."""
    return await _page(request, "report_queues.html", "queues")


async def agents_report(request: web.Request) -> web.StreamResponse:
    """AN-2: how the agents spent their time, their calls and handle times."""
    return await _page(request, "report_agents.html", "agents")


async def definitions_page(request: web.Request) -> web.StreamResponse:
    """AN-4: every metric with its formula, and the settings in force per queue."""
    return await _page(request, "report_definitions.html", "definitions")


def setup_report_pages(app: web.Application) -> None:
    app.router.add_get(REPORTS_PAGE + "queues", queues_report, name="report_queues_page")
    app.router.add_get(REPORTS_PAGE + "agents", agents_report, name="report_agents_page")
    app.router.add_get(REPORTS_PAGE + "definitions", definitions_page, name="report_defs_page")


__all__ = ["METRICS", "PERMISSION", "REPORTS_PAGE", "setup_report_pages"]
