"""The agent performance report (AN-2) and an agent's state timeline, as JSON.

Who sees whom (the route needs ``reports.view``): an admin every agent; a supervisor the
agents of the queues they supervise (their users' devices), and only those queues; an agent
themself (their own devices), in their own queues. Asking for anyone or any queue beyond
that is a 403, never a silently smaller answer.
"""

from __future__ import annotations

import zoneinfo

from aiohttp import web

from standardiste.accounts import User
from standardiste.errors import InvalidInput
from standardiste.history.agent_report import (
    MAX_TIMELINE_DAYS,
    ReportFilters,
    agent_report,
    agent_timeline,
    parse_hours,
)
from standardiste.permissions import Scope
from standardiste.web.appkeys import ACCOUNTS, DEPS
from standardiste.web.endpoint import read_query, respond
from standardiste.web.errors import Forbidden
from standardiste.web.report_schemas import (
    AgentReport,
    AgentReportQuery,
    AgentTimeline,
    ReportFiltersOut,
    TimelineQuery,
)
from standardiste.web.security import current_user, scope_for

MAX_REPORT_DAYS = 366 * 2


def _names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def _tz(request: web.Request, given: str) -> str:
    tz = given or request.app[DEPS].settings.timezone
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"tz: {tz[:60]!r} is not an IANA time zone") from None
    return tz


def _allowed(user: User, scope: Scope) -> frozenset[str] | None:
    """The agents (devices) the user may report on; None: everyone."""
    if scope.admin:
        return None
    if scope.supervised:
        return scope.watched_devices | frozenset(user.devices)
    return frozenset(user.devices)


def _check(user: User, scope: Scope, filters: ReportFilters) -> frozenset[str] | None:
    allowed = _allowed(user, scope)
    if not scope.admin:
        mine = scope.supervised or scope.linked
        foreign = [q for q in filters.queues if q not in mine]
        if foreign:
            raise Forbidden(f"you cannot see the reports of queue {foreign[0]}")
    if allowed is not None:
        foreign = [a for a in filters.agents if a not in allowed]
        if foreign:
            raise Forbidden(f"you cannot see the report of agent {foreign[0]}")
    return allowed


async def agents_report(request: web.Request) -> web.Response:
    user = await current_user(request)
    query = read_query(request, AgentReportQuery)
    if query.to < query.from_:
        raise InvalidInput("to: on or after from")
    if (query.to - query.from_).days >= MAX_REPORT_DAYS:
        raise InvalidInput(f"from, to: at most {MAX_REPORT_DAYS} days")
    try:
        hours = parse_hours(query.hours) if query.hours else None
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    filters = ReportFilters(
        start=query.from_,
        end=query.to,
        tz=_tz(request, query.tz),
        queues=_names(query.queues),
        agents=_names(query.agents),
        hours=hours,
    )
    scope = await scope_for(request, user)
    allowed = _check(user, scope, filters)
    if not scope.admin and not filters.queues and scope.supervised:
        # A supervisor's report covers their queues: their calls and their agents.
        filters = ReportFilters(
            filters.start,
            filters.end,
            filters.tz,
            tuple(sorted(scope.supervised)),
            filters.agents,
            filters.hours,
        )
    deps = request.app[DEPS]
    directory = await request.app[ACCOUNTS].device_directory()
    body = await agent_report(
        deps.engine, filters, allowed=allowed, now=deps.clock(), directory=directory
    )
    echo = ReportFiltersOut.model_validate(
        {
            "queues": list(_names(query.queues)),
            "from": query.from_.isoformat(),
            "to": query.to.isoformat(),
            "tz": filters.tz,
            "hours": query.hours or None,
            "agents": list(filters.agents),
        }
    )
    return respond(request, AgentReport.model_validate({"filters": echo, **body}))


async def agent_timeline_route(request: web.Request) -> web.Response:
    user = await current_user(request)
    agent = request.match_info["agent"]
    query = read_query(request, TimelineQuery)
    if query.to < query.from_:
        raise InvalidInput("to: on or after from")
    if (query.to - query.from_).days >= MAX_TIMELINE_DAYS:
        raise InvalidInput(f"from, to: at most {MAX_TIMELINE_DAYS} days")
    filters = ReportFilters(query.from_, query.to, _tz(request, query.tz), agents=(agent,))
    _check(user, await scope_for(request, user), filters)
    deps = request.app[DEPS]
    intervals = await agent_timeline(deps.engine, agent, filters, deps.clock())
    body = AgentTimeline.model_validate({"agent": agent, "tz": filters.tz, "intervals": intervals})
    return respond(request, body)
