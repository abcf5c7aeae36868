"""The queue callers' report (AN-1) and the list behind its missed calls, in the web process.

Who sees what: the route needs ``reports.view`` (supervisors and admins by default); an admin
reports on any queue, anyone else on the queues they supervise — an agent given the
permission still sees no queue (403): the agents' own figures are the agent report's.
The SQL runs on the web's engine; the Python aggregation in a thread (asyncio.to_thread), so
a year's report never holds up this process's event loop (and never runs on the bridge).
"""

from __future__ import annotations

import asyncio
import zoneinfo

from aiohttp import web

from standardiste.acd.metrics import QueueSettings
from standardiste.acd.names import is_interface, is_queue
from standardiste.errors import Forbidden, InvalidInput
from standardiste.history import queue_report_units
from standardiste.history.queue_report import (
    MAX_DAYS,
    MISSED_PER_PAGE,
    ReportQuery,
    build_report,
    callback_counts,
    campaign_rows,
    missed_calls,
)
from standardiste.permissions import Scope
from standardiste.web.appkeys import ACCOUNTS, CONFIG, DEPS, MIRROR
from standardiste.web.endpoint import read_query, respond
from standardiste.web.figures import settings_for
from standardiste.web.queue_report_schemas import (
    MissedCallOut,
    MissedCalls,
    MissedQuery,
    QueueReport,
    QueueReportQuery,
)
from standardiste.web.security import current_user, scope_for


def _names(raw: str | None) -> list[str]:
    return sorted({part.strip() for part in (raw or "").split(",") if part.strip()})


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"tz: {name!r} is not an IANA time zone") from None
    return name


def _hours(raw: str | None) -> tuple[int, int] | None:
    if raw is None:
        return None
    start, end = (int(x) for x in raw.split("-"))
    if not 0 <= start < end <= 24:
        raise InvalidInput(f"hours: start-end with 0 <= start < end <= 24, got {raw!r}")
    return start, end


def _queues(scope: Scope, asked: list[str]) -> tuple[str, ...] | None:
    """The queues reported: those asked for, all within the user's scope (else 403)."""
    for name in asked:
        if not is_queue(name):
            raise InvalidInput(f"queues: {name!r} is not a queue name")
    if scope.admin:
        return tuple(asked) if asked else None
    if not scope.supervised:
        raise Forbidden("reports cover the queues you supervise: you supervise none")
    outside = sorted(set(asked) - scope.supervised)
    if outside:
        raise Forbidden(f"you do not supervise the queue(s) {', '.join(outside)}")
    return tuple(asked) if asked else tuple(sorted(scope.supervised))


async def _agents(request: web.Request, asked: list[str]) -> tuple[str, ...]:
    """Devices: an interface as given, a user name as its devices."""
    devices: set[str] = set()
    for name in asked:
        if "/" in name:
            if not is_interface(name):
                raise InvalidInput(f"agents: {name!r} is not a device")
            devices.add(name)
            continue
        user = await request.app[ACCOUNTS].get(name)
        if user is None:
            raise InvalidInput(f"agents: no user {name!r}")
        devices.update(user.devices)
    return tuple(sorted(devices))


async def _report_query(request: web.Request, query: QueueReportQuery) -> ReportQuery:
    user = await current_user(request)
    scope = await scope_for(request, user)
    if query.to < query.from_:
        raise InvalidInput("to: before from")
    if (query.to - query.from_).days + 1 > MAX_DAYS:
        raise InvalidInput(f"from, to: at most {MAX_DAYS} days")
    return ReportQuery(
        first=query.from_,
        last=query.to,
        tz=_zone(query.tz or request.app[DEPS].settings.timezone),
        queues=_queues(scope, _names(query.queues)),
        hours=_hours(query.hours),
        agents=await _agents(request, _names(query.agents)),
    )


async def _settings(request: web.Request) -> dict[str, QueueSettings]:
    """Each queue's metric settings: the admin's, else those the live cards use."""
    configured = await request.app[CONFIG].queue_settings()
    snap = await request.app[MIRROR].snapshot()
    live = snap.state.get("queue", {})
    return {
        name: settings_for(live.get(name, {}), configured.get(name))
        for name in set(configured) | set(live)
    }


def _filters(q: ReportQuery, queues: list[str]) -> dict[str, object]:
    return {
        "queues": queues,
        "from": q.first.isoformat(),
        "to": q.last.isoformat(),
        "tz": q.tz,
        "hours": list(q.hours) if q.hours else None,
        "agents": list(q.agents),
    }


async def queue_report(request: web.Request) -> web.Response:
    """``GET /api/v1/reports/queues``."""
    q = await _report_query(request, read_query(request, QueueReportQuery))
    engine = request.app[DEPS].engine
    settings = await _settings(request)
    rows, wrapups = await queue_report_units.rows_and_acw(engine, q, settings)
    queues = list(q.queues) if q.queues is not None else sorted({r[0] for r in rows})
    body = await asyncio.to_thread(build_report, rows, q, settings, queues=queues, wrapups=wrapups)
    body["filters"] = _filters(q, sorted(set(queues) | {r[0] for r in rows}))
    body["callbacks"] = await callback_counts(engine, q)
    body["campaigns"] = await campaign_rows(engine, q)
    return respond(request, QueueReport.model_validate(body))


async def missed_list(request: web.Request) -> web.Response:
    """``GET /api/v1/reports/queues/missed``: the calls behind the missed figure."""
    query = read_query(request, MissedQuery)
    q = await _report_query(request, query)
    if query.day is not None:
        if not q.first <= query.day <= q.last:
            raise InvalidInput("day: outside from..to")
        q = ReportQuery(query.day, query.day, q.tz, q.queues, q.hours, q.agents)
    calls, total = await missed_calls(request.app[DEPS].engine, q, page=query.page)
    body = MissedCalls(
        calls=[
            MissedCallOut(
                queue=c.queue,
                caller_number=c.caller_number,
                caller_name=c.caller_name,
                entered_at=c.entered_at,
                wait=None if c.wait is None else round(c.wait, 1),
                outcome=c.outcome,
            )
            for c in calls
        ],
        total=total,
        page=query.page,
        per_page=MISSED_PER_PAGE,
    )
    return respond(request, body)


__all__ = ["missed_list", "queue_report"]
