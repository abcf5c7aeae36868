"""Supervisors' call control (SV-9, QD-2, QD-3): listen / whisper / barge on an agent's call,
take or transfer a waiting caller. Handlers check who asks and resolve users to devices;
the bridge (:mod:`standardiste.call_control`, through the command bus) checks the rest
against its live model, acts on Asterisk and answers once the events confirmed it."""

from __future__ import annotations

from aiohttp import web

from standardiste.accounts import User
from standardiste.call_control import CallRequest
from standardiste.errors import InvalidInput
from standardiste.permissions import scope_of
from standardiste.web.appkeys import ACCOUNTS, DEPS
from standardiste.web.call_schemas import (
    CallerWithdrawn,
    SpyEnded,
    SpyModeChange,
    SpyModeChanged,
    SpyStart,
    SpyStarted,
    TakeCaller,
    TransferCaller,
)
from standardiste.web.endpoint import read_model, respond
from standardiste.web.errors import Forbidden, Unavailable, UnknownUser
from standardiste.web.security import current_user


async def agent_spy(request: web.Request) -> web.Response:
    actor = await current_user(request)
    body = await read_model(request, SpyStart)
    target = await _user(request, request.match_info["username"])
    scope = scope_of(actor)
    if not (actor.is_admin or scope.supervised):
        raise Forbidden("only a supervisor of the agent's queue may listen to their calls")
    result = await _run(
        request,
        CallRequest(
            op="spy",
            actor=scope,
            mode=body.mode,
            device=_own_device(actor, body.device),
            target=scope_of(target),
            call=body.call or "",
        ),
    )
    return respond(request, SpyStarted.model_validate(result))


async def spy_mode(request: web.Request) -> web.Response:
    actor = await current_user(request)
    body = await read_model(request, SpyModeChange)
    result = await _run(
        request,
        CallRequest(
            op="spy_mode", actor=scope_of(actor), mode=body.mode, session=_session(request)
        ),
    )
    return respond(request, SpyModeChanged.model_validate(result))


async def spy_stop(request: web.Request) -> web.Response:
    actor = await current_user(request)
    result = await _run(
        request, CallRequest(op="spy_stop", actor=scope_of(actor), session=_session(request))
    )
    return respond(request, SpyEnded.model_validate(result))


async def caller_take(request: web.Request) -> web.Response:
    actor = await current_user(request)
    body = await read_model(request, TakeCaller)
    result = await _run(
        request,
        CallRequest(
            op="take",
            actor=scope_of(actor),
            device=_own_device(actor, body.device),
            queue=request.match_info["queue"],
            caller=request.match_info["caller"],
        ),
    )
    return respond(request, CallerWithdrawn.model_validate(result))


async def caller_transfer(request: web.Request) -> web.Response:
    actor = await current_user(request)
    body = await read_model(request, TransferCaller)
    if (body.username is None) == (body.extension is None):
        raise InvalidInput("transfer to whom: give either username or extension")
    target = await _user(request, body.username) if body.username else None
    result = await _run(
        request,
        CallRequest(
            op="transfer",
            actor=scope_of(actor),
            target=scope_of(target) if target else None,
            target_device=_device_of(target, body.device) if target else "",
            extension=body.extension or "",
            queue=request.match_info["queue"],
            caller=request.match_info["caller"],
        ),
    )
    return respond(request, CallerWithdrawn.model_validate(result))


async def _run(request: web.Request, call: CallRequest) -> dict[str, object]:
    commands = request.app[DEPS].calls
    if commands is None:
        raise Unavailable("call control is not available (no bridge)")
    return await commands.act(call)


async def _user(request: web.Request, username: str) -> User:
    user = await request.app[ACCOUNTS].get(username)
    if user is None:
        raise UnknownUser(f"no user {username!r}")
    return user


def _session(request: web.Request) -> str:
    session = request.match_info["session"]
    if not session.replace(".", "", 1).isdigit() or len(session) > 32:
        raise InvalidInput(f"session {session!r}: a session id is digits.digits")
    return session


def _own_device(user: User, requested: str | None) -> str:
    """The actor's device that rings: the one asked for (theirs), or their only one."""
    if requested is None:
        if len(user.devices) != 1:
            raise InvalidInput(
                "device: choose which of your devices rings"
                if user.devices
                else "you have no device: an admin links your phone to your user first"
            )
        return user.devices[0]
    if requested not in user.devices:
        raise InvalidInput(f"device {requested!r} is not one of your devices")
    return requested


def _device_of(user: User, requested: str | None) -> str:
    if not user.devices:
        raise InvalidInput(f"{user.username} has no device to take calls on")
    if requested is None:
        return user.devices[0]
    if requested not in user.devices:
        raise InvalidInput(f"device {requested!r} is not one of {user.username}'s devices")
    return requested
