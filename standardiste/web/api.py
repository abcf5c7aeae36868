"""The JSON API under ``/api/v1``: session, me (and my preferences), overview, agent actions.

Handlers are thin: who is asking (``current_user``), what they ask (``read_model``: the
route's documented model, :mod:`web.schemas`), whether they may (``web.permissions``), then
the use case, answered with ``respond`` (a documented model). Errors are raised, never built
here: the error middleware maps them to statuses. The routes, with what each reads and
answers, are registered from :mod:`web.routes`.
"""

from __future__ import annotations

from aiohttp import web

from standardiste.accounts import User
from standardiste.acd.names import display_name
from standardiste.agent_state import AgentRequest
from standardiste.errors import InvalidInput
from standardiste.permissions import Action, View, check_subscription, scope_of
from standardiste.web.appkeys import ACCOUNTS, CONFIG, DEPS, LIMITER, MIRROR
from standardiste.web.endpoint import (
    granted_to,
    read_model,
    read_query,
    require_permission,
    respond,
)
from standardiste.web.errors import Forbidden, InvalidCredentials, UnknownUser
from standardiste.web.figures import day_of
from standardiste.web.overview import overview
from standardiste.web.schemas import (
    AgentAction,
    AgentActionResult,
    LoginRequest,
    Me,
    Overview,
    OverviewQuery,
    PauseAction,
    Preferences,
    UserOut,
)
from standardiste.web.security import (
    csrf_token,
    current_user,
    end_session,
    scope_for,
    start_session,
)


# -------------------------------------------------------------------- session
async def login(request: web.Request) -> web.Response:
    body = await read_model(request, LoginRequest)
    username = body.username.strip().lower()
    password = body.password
    limiter = request.app[LIMITER]
    address = limiter.address(request)
    await limiter.attempt(username, address)  # counted before the check: no concurrent bypass
    user = await request.app[ACCOUNTS].authenticate(username, password)
    if user is None:
        raise InvalidCredentials("wrong user name or password")
    await limiter.succeeded(username, address)
    token = await start_session(request, user)
    return respond(request, await _me(request, user, token))


async def logout(request: web.Request) -> web.Response:
    await current_user(request)
    await end_session(request)
    return web.Response(status=204)


async def me(request: web.Request) -> web.Response:
    user = await current_user(request)
    return respond(request, await _me(request, user, await csrf_token(request)))


async def update_me(request: web.Request) -> web.Response:
    """My own UI language and time zone (BY-7). Session and CSRF: the middleware checks them."""
    user = await current_user(request)
    language, time_zone = (await read_model(request, Preferences)).changes()
    if language is not None or time_zone is not None:
        user = await request.app[ACCOUNTS].update_user(
            user.username, language=language, time_zone=time_zone
        )
    return respond(request, await _me(request, user, await csrf_token(request)))


async def _me(request: web.Request, user: User, token: str) -> Me:
    reasons = await request.app[CONFIG].pause_reasons()
    french = user.language == "fr"
    return Me(
        user=UserOut.of(user),
        csrf_token=token,
        pause_reasons=[r.code for r in reasons],
        pause_reason_labels={r.code: r.label_fr if french else r.label_en for r in reasons},
        permissions=sorted(await granted_to(request, user.role)),
    )


# -------------------------------------------------------------------- overview
async def get_overview(request: web.Request) -> web.Response:
    """SV-1..9 / AG-4: the live state this user may see, with queue figures."""
    user = await current_user(request)
    query = read_query(request, OverviewQuery)
    scope = await scope_for(request, user)
    only = check_subscription(scope, query.names())
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
        settings=await request.app[CONFIG].queue_settings(),
    )
    return respond(request, Overview.model_validate(body))


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
    if username != actor.username:
        await require_permission(request, actor.role, "agents.control")
    body = await read_model(request, PauseAction if action == "pause" else AgentAction)
    queues = body.queues
    reason = body.reason if isinstance(body, PauseAction) else ""
    if reason:
        codes = [r.code for r in await request.app[CONFIG].pause_reasons()]
        if reason not in codes:
            raise InvalidInput(f"pause reason {reason!r} is not one of: {', '.join(codes)}")
    target = actor if username == actor.username else await request.app[ACCOUNTS].get(username)
    if target is None:
        raise UnknownUser(f"no user {username!r}")
    device = _device(target, body.device)

    # The bridge decides the queues against its live model (one source of truth) and the
    # permission policy, runs the use case and answers through the command bus.
    request_ = AgentRequest(
        action=action,
        actor=actor_scope,
        target=scope_of(target),
        device=device,
        queues=None if queues is None else tuple(queues),
        reason=reason,
        member_name=_member_name(target),
    )
    done = await request.app[DEPS].agents.act(request_)
    forced = actor.username != target.username
    result = AgentActionResult(
        username=target.username,
        device=device,
        action=action,
        queues=done,
        by=actor.username,
        forced=forced,
    )
    return respond(request, result)


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
