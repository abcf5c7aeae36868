"""What the pages show besides the live feed: the roster of agents, history figures.

- ``GET /api/v1/me/activity`` — AG-5 (today beside yesterday and the same day last week),
  AG-6 (this week, Monday first) and AG-4's average handle time of the user's queues. Days
  are the user's own (their time zone); handle times are on the contact center's day, the
  day of the live counters they sit beside.
- ``GET /api/v1/handle-times`` — SV-6's average call duration today, per visible queue.

The pages embed the same data when they render (the endpoints answer it through the models
of :mod:`web.schemas`, registered in :mod:`web.routes`); their modules fetch it again when one of
the calls they show ends (the history has a new row then).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import date, timedelta, tzinfo
from typing import Any

from aiohttp import web

from standardiste.accounts import Accounts, User
from standardiste.history.activity import (
    DayActivity,
    compared_day,
    days_activity,
    handle_times,
    local_today,
)
from standardiste.permissions import scope_of
from standardiste.web.appkeys import DEPS
from standardiste.web.endpoint import respond
from standardiste.web.i18n import Translator, zone
from standardiste.web.schemas import Activity, HandleTimes
from standardiste.web.security import current_user


async def roster(accounts: Accounts, viewer: User) -> list[dict[str, Any]]:
    """The agents of the queues ``viewer`` supervises (everyone's for an admin), logged in
    or not: a supervisor logs in an agent who is not in the live feed yet (SV-9)."""
    scope = scope_of(viewer)
    agents = []
    for user in await accounts.list():
        agent_queues = sorted(q for q, r in user.queues.items() if r == "agent")
        if not scope.admin:
            agent_queues = [q for q in agent_queues if q in scope.supervised]
        if not agent_queues or not user.devices:
            continue
        agents.append(
            {
                "username": user.username,
                "display_name": user.display_name,
                "devices": list(user.devices),
                "queues": agent_queues,
            }
        )
    return agents


def _visible_queues(user: User) -> list[str] | None:
    scope = scope_of(user)
    return None if scope.admin else sorted(scope.linked)


def _center_today(request: web.Request) -> tuple[date, str]:
    tz = request.app[DEPS].settings.timezone
    return local_today(tz), tz


async def handle_times_for(request: web.Request, user: User) -> dict[str, dict[str, Any]]:
    day, tz = _center_today(request)
    times = await handle_times(request.app[DEPS].engine, day, tz, _visible_queues(user))
    return {
        q: {"completed": h.completed, "average_s": round(h.average_s, 1)} for q, h in times.items()
    }


def _counts(activity: DayActivity) -> dict[str, Any]:
    data = asdict(activity)
    data["day"] = activity.day.isoformat()
    return data


async def activity_for(
    request: web.Request, user: User, tz: tzinfo, *, now: float
) -> dict[str, Any]:
    """AG-4's handle times, AG-5 and AG-6 for ``user`` (one query per table for all days)."""
    engine = request.app[DEPS].engine
    today = local_today(tz)
    monday = today - timedelta(days=today.weekday())
    week = [monday + timedelta(days=i) for i in range(7)]
    others = [compared_day(today, "yesterday"), compared_day(today, "last_week")]
    days = list(dict.fromkeys([today, *others, *week]))
    by_day = {a.day: a for a in await days_activity(engine, user.devices, days, tz)}
    center_day, center_tz = _center_today(request)
    queues = sorted(scope_of(user).assigned)
    times = await handle_times(engine, center_day, center_tz, queues)
    return {
        "generated_at": now,
        "today": _counts(by_day[today]),
        "yesterday": _counts(by_day[others[0]]),
        "last_week": _counts(by_day[others[1]]),
        "week": [_counts(by_day[d]) for d in week],
        "handleTimes": {
            q: {"completed": h.completed, "average_s": round(h.average_s, 1)}
            for q, h in times.items()
        },
    }


def week_labels(activity: dict[str, Any], t: Translator) -> list[str]:
    """AG-6's row headers, formatted on the server in the user's language."""
    return [t.short_date(date.fromisoformat(day["day"])) for day in activity["week"]]


# -------------------------------------------------------------------- endpoints
async def my_activity(request: web.Request) -> web.Response:
    user = await current_user(request)
    tz = zone(user.time_zone, request.app[DEPS].settings.timezone)
    activity = await activity_for(request, user, tz, now=time.time())
    return respond(request, Activity.model_validate(activity))


async def visible_handle_times(request: web.Request) -> web.Response:
    user = await current_user(request)
    times = await handle_times_for(request, user)
    return respond(request, HandleTimes.model_validate({"handleTimes": times}))


__all__ = [
    "activity_for",
    "handle_times_for",
    "my_activity",
    "roster",
    "visible_handle_times",
    "week_labels",
]
