"""Sessions, CSRF, origins and response headers.

Sessions are server-side (:mod:`web.sessions`, in Redis): the HttpOnly, SameSite=Lax cookie
holds only a random token. A session ends when it expires (``session_max_age`` after the
log-in), on log-out (the record is deleted: a copied cookie is worth nothing afterwards),
and, everywhere at once, when the account is disabled or its password changes
(``SessionStore.end_user``). Each request also checks that the user still exists, is not
disabled and has the credentials version of the log-in.

CSRF: each session holds a random token, returned by the log-in and ``GET /api/v1/me``.
Every request that changes state (any method but GET/HEAD/OPTIONS) must send it, as the
``X-CSRF-Token`` header (JavaScript) or the ``csrf_token`` form field (HTML forms), and, if
it has an ``Origin`` header, come from the app's own origin or an allowed one. The log-in
itself has no session yet: it is protected by the origin check, SameSite and its rate limit.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from standardiste.accounts import User
from standardiste.config import WebSettings
from standardiste.permissions import Scope, scope_of
from standardiste.web.appkeys import ACCOUNTS, SESSIONS, SETTINGS
from standardiste.web.body import read_form
from standardiste.web.errors import (
    JSON_PATH_PREFIXES,
    CsrfFailed,
    Forbidden,
    Handler,
    Unauthenticated,
)
from standardiste.web.sessions import SessionRecord

log = structlog.get_logger(__name__)

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
LOGIN_ROUTE = "login"  # route name of POST /api/v1/session
_USER = web.RequestKey("user", User)


@dataclass
class _RequestSession:
    """This request's session, loaded once; what the response must do to the cookie."""

    loaded: bool = False
    record: SessionRecord | None = None
    new_token: str | None = None  # set the cookie
    ended: bool = False  # delete the cookie


_STATE = web.RequestKey("session_state", _RequestSession)

# No inline scripts or styles, nothing from elsewhere, never framed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# -------------------------------------------------------------------- the cookie
def session_middleware(settings: WebSettings) -> Middleware:
    """Sets or deletes the session cookie when the handler started or ended a session."""

    @web.middleware
    async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
        request[_STATE] = _RequestSession()
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # a redirect after a form post carries the cookie too
            _write_cookie(request, exc, settings)
            raise
        if isinstance(response, web.Response) and not response.prepared:
            _write_cookie(request, response, settings)  # not a websocket: headers still open
        return response

    return sessions


def _write_cookie(
    request: web.Request, response: web.StreamResponse, settings: WebSettings
) -> None:
    state = request[_STATE]
    if state.new_token is not None:
        response.set_cookie(
            settings.cookie_name,
            state.new_token,
            max_age=settings.session_max_age,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=settings.cookie_secure,
        )
    elif state.ended:
        response.del_cookie(settings.cookie_name, path="/")


async def get_session(request: web.Request) -> SessionRecord | None:
    """This request's session; None when the cookie is missing, unknown, ended or expired."""
    state = request[_STATE]
    if not state.loaded:
        token = request.cookies.get(request.app[SETTINGS].cookie_name, "")
        state.record = await request.app[SESSIONS].load(token)
        state.loaded = True
    return state.record


# -------------------------------------------------------------------- the user
async def start_session(request: web.Request, user: User) -> str:
    """A fresh session for ``user`` (never reuse one opened before the log-in); its token."""
    token, record = await request.app[SESSIONS].create(user.username, user.credentials_version)
    state = request[_STATE]
    state.loaded, state.record, state.new_token = True, record, token
    return record.csrf


async def end_session(request: web.Request) -> None:
    """Log-out: the session is deleted server-side (its websockets close) and the cookie."""
    record = await get_session(request)
    if record is not None:
        await request.app[SESSIONS].end(record)
    state = request[_STATE]
    state.record, state.new_token, state.ended = None, None, True


async def csrf_token(request: web.Request) -> str:
    record = await get_session(request)
    return record.csrf if record is not None else ""


async def current_user(request: web.Request) -> User:
    """The logged-in user, reloaded from the database (roles and queues are current)."""
    if _USER in request:
        return request[_USER]
    record = await get_session(request)
    if record is None:
        raise Unauthenticated("log in first")
    user = await request.app[ACCOUNTS].get(record.username)
    if not session_valid_for(record, user):
        raise Unauthenticated("your session has ended; log in again")
    assert user is not None  # session_valid_for checked it
    request[_USER] = user
    return user


def session_valid_for(record: SessionRecord, user: User | None) -> bool:
    """The account still exists, is enabled and has the password of the log-in."""
    return (
        user is not None
        and not user.disabled
        and _same(record.credentials_version, user.credentials_version)
    )


async def scope_for(request: web.Request, user: User) -> Scope:
    """What ``user`` may see, including the device states of the agents they supervise."""
    supervised = [q for q, role in user.queues.items() if role == "supervisor"]
    watched = await request.app[ACCOUNTS].agent_devices(supervised)
    return scope_of(user, watched)


def _same(supplied: object, expected: str) -> bool:
    return isinstance(supplied, str) and hmac.compare_digest(supplied.encode(), expected.encode())


# -------------------------------------------------------------------- origins
def own_origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def origin_allowed(request: web.Request, origin: str | None) -> bool:
    if origin is None:
        return False
    return origin == own_origin(request) or origin in request.app[SETTINGS].origins


def check_origin(request: web.Request) -> None:
    """For the websocket: browsers always send Origin, so a missing one is refused too."""
    if not origin_allowed(request, request.headers.get("Origin")):
        raise Forbidden("this origin may not open the live feed")


# -------------------------------------------------------------------- middleware
@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in SAFE_METHODS or request.match_info.http_exception is not None:
        return await handler(request)
    origin = request.headers.get("Origin")
    if origin is not None and not origin_allowed(request, origin):
        raise CsrfFailed("cross-origin request refused")
    if request.match_info.route.name == LOGIN_ROUTE:
        return await handler(request)
    record = await get_session(request)
    if record is None:
        raise Unauthenticated("log in first")
    if not _same(await _supplied_token(request), record.csrf):
        raise CsrfFailed("missing or wrong CSRF token")
    return await handler(request)


async def _supplied_token(request: web.Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    if request.content_type in FORM_TYPES:
        value = (await read_form(request)).get(CSRF_FIELD)  # cached: the handler reads it too
        return value if isinstance(value, str) else None
    return None


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: on every response, errors and the websocket handshake included."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.path.startswith(JSON_PATH_PREFIXES):
        headers["Cache-Control"] = "no-store"


__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "check_origin",
    "csrf_middleware",
    "csrf_token",
    "current_user",
    "end_session",
    "get_session",
    "session_middleware",
    "scope_for",
    "security_headers",
    "session_valid_for",
    "start_session",
]
