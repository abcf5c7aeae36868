"""The JSON API under ``/api/v1``: session, me (and my preferences), overview, agent actions.

Handlers are thin: who is asking (``current_user``), what they ask (``web.inputs``), whether
they may (``web.permissions``), then the use case. Errors are raised, never built here: the
error middleware maps them to statuses.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from acd.names import display_name
from standardiste.agent_state import Actor
from standardiste.errors import InvalidInput
from web.accounts import MAX_PASSWORD, User
from web.appkeys import ACCOUNTS, DEPS, LIMITER, MIRROR
from web.errors import Forbidden, InvalidCredentials, UnknownUser
from web.figures import day_of
from web.i18n import is_time_zone
from web.inputs import optional_text, queue_list, read_body, text
from web.models import LANGUAGES
from web.overview import overview
from web.permissions import (
    Action,
    LiveFacts,
    View,
    action_queues,
    check_subscription,
    scope_of,
)
from web.security import (
    LOGIN_ROUTE,
    csrf_token,
    current_user,
    end_session,
    scope_for,
    start_session,
)


# -------------------------------------------------------------------- session
async def login(request: web.Request) -> web.Response:
    body = await read_body(request)
    username = text(body, "username", max_len=64).strip().lower()
    password = text(body, "password", max_len=MAX_PASSWORD)
    limiter = request.app[LIMITER]
    address = limiter.address(request)
    await limiter.attempt(username, address)  # counted before the check: no concurrent bypass
    user = await request.app[ACCOUNTS].authenticate(username, password)
    if user is None:
        raise InvalidCredentials("wrong user name or password")
    await limiter.succeeded(username, address)
    token = await start_session(request, user)
    return web.json_response(_me(request, user, token))


async def logout(request: web.Request) -> web.Response:
    await current_user(request)
    await end_session(request)
    return web.Response(status=204)


async def me(request: web.Request) -> web.Response:
    user = await current_user(request)
    return web.json_response(_me(request, user, await csrf_token(request)))


# The fields a user may change about themself: "timezone" as documented, "time_zone" too,
# as the User object spells it (a client may send back what it read).
_PREFERENCE_FIELDS = frozenset({"language", "timezone", "time_zone"})


async def update_me(request: web.Request) -> web.Response:
    """My own UI language and time zone (BY-7). Session and CSRF: the middleware checks them."""
    user = await current_user(request)
    body = await read_body(request)
    for name in sorted(body):
        if name not in _PREFERENCE_FIELDS:
            raise InvalidInput(f"field {name} cannot be changed here: only language, timezone")
    language = _language(body["language"]) if "language" in body else None
    zones = {name: _zone(name, body[name]) for name in ("timezone", "time_zone") if name in body}
    if len(set(zones.values())) > 1:
        raise InvalidInput("field timezone disagrees with field time_zone: send only one")
    time_zone = next(iter(zones.values()), None)
    if language is not None or time_zone is not None:
        user = await request.app[ACCOUNTS].update_user(
            user.username, language=language, time_zone=time_zone
        )
    return web.json_response(_me(request, user, await csrf_token(request)))


def _language(value: object) -> str:
    if not isinstance(value, str) or value not in LANGUAGES:
        raise InvalidInput(
            'field language must be "en", "fr" or "" (follow the browser\'s language)'
        )
    return value


def _zone(name: str, value: object) -> str:
    if not isinstance(value, str) or not is_time_zone(value):
        shown = repr(value[:64]) if isinstance(value, str) else "this value"
        raise InvalidInput(f"field {name}: {shown} is not an IANA time zone like Europe/Paris")
    return value


def _me(request: web.Request, user: User, token: str) -> dict[str, Any]:
    return {
        "user": user.public(),
        "csrf_token": token,
        "pause_reasons": list(request.app[DEPS].pause_reasons),
    }


# -------------------------------------------------------------------- overview
async def get_overview(request: web.Request) -> web.Response:
    """SV-1..9 / AG-4: the live state this user may see, with queue figures."""
    user = await current_user(request)
    scope = await scope_for(request, user)
    raw = request.query.get("queues")
    only = check_subscription(scope, [q for q in raw.split(",") if q] if raw is not None else None)
    deps = request.app[DEPS]
    snap = await request.app[MIRROR].snapshot()
    now = deps.clock()
    body = overview(
        View(scope, only),
        snap.state,
        seq=snap.seq,
        now=now,
        today=day_of(deps.settings.timezone)(now),
        directory=await request.app[ACCOUNTS].device_directory(),
    )
    return web.json_response(body)


# -------------------------------------------------------------------- agent actions
async def agent_login(request: web.Request) -> web.Response:
    return await _act(request, "login")


async def agent_logout(request: web.Request) -> web.Response:
    return await _act(request, "logout")


async def agent_pause(request: web.Request) -> web.Response:
    return await _act(request, "pause")


async def agent_resume(request: web.Request) -> web.Response:
    return await _act(request, "resume")


async def _act(request: web.Request, action: Action) -> web.Response:
    actor = await current_user(request)
    username = request.match_info["username"]
    actor_scope = scope_of(actor)
    if not (actor.is_admin or username == actor.username or actor_scope.supervised):
        # An agent acts on themself only; do not even say whether the user exists.
        raise Forbidden(f"you cannot act on {username}")
    body = await read_body(request)
    queues = queue_list(body)
    reason = text(body, "reason", max_len=64) if action == "pause" else ""
    target = actor if username == actor.username else await request.app[ACCOUNTS].get(username)
    if target is None:
        raise UnknownUser(f"no user {username!r}")
    device = _device(target, optional_text(body, "device", max_len=80))

    snap = await request.app[MIRROR].snapshot()
    members = snap.state.get("member", {}).values()
    live = LiveFacts(
        queues=frozenset(snap.state.get("queue", {})),
        member_of=frozenset(m["queue"] for m in members if m["interface"] == device),
        any_device_in=frozenset(m["queue"] for m in members if m["interface"] in target.devices),
    )
    planned = action_queues(actor_scope, scope_of(target), action, queues, live)
    # Acting on someone else is a supervisor's act: recorded as by=<actor>, a pause is forced.
    by = Actor(actor.username, supervisor=actor.username != target.username)
    agents = request.app[DEPS].agents
    if action == "login":
        done = await agents.log_in(device, planned, by=by, member_name=_member_name(target))
    elif action == "logout":
        done = await agents.log_out(device, planned, by=by)
    elif action == "pause":
        done = await agents.pause(device, reason, planned, by=by)
    else:
        done = await agents.resume(device, planned, by=by)
    return web.json_response(
        {
            "username": target.username,
            "device": device,
            "action": action,
            "queues": done,
            "by": actor.username,
            "forced": by.supervisor,
        }
    )


def _device(user: User, requested: str | None) -> str:
    if not user.devices:
        raise InvalidInput(f"{user.username} has no device to take calls on")
    if requested is None:
        return user.devices[0]
    if requested not in user.devices:
        raise InvalidInput(f"device {requested!r} is not one of {user.username}'s devices")
    return requested


def _member_name(user: User) -> str:
    """The name Asterisk shows for the member: sanitised, never refused (``acd.names``)."""
    return display_name(user.display_name)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/session", login, name=LOGIN_ROUTE)
    app.router.add_delete("/api/v1/session", logout, name="logout")
    app.router.add_get("/api/v1/me", me, name="me")
    app.router.add_patch("/api/v1/me", update_me, name="update_me")
    app.router.add_get("/api/v1/overview", get_overview, name="overview")
    app.router.add_post("/api/v1/agents/{username}/login", agent_login, name="agent_login")
    app.router.add_post("/api/v1/agents/{username}/logout", agent_logout, name="agent_logout")
    app.router.add_post("/api/v1/agents/{username}/pause", agent_pause, name="agent_pause")
    app.router.add_post("/api/v1/agents/{username}/resume", agent_resume, name="agent_resume")
