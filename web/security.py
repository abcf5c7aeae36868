"""Sessions, CSRF, origins and response headers.

Sessions are aiohttp-session's ``EncryptedCookieStorage``: the whole session is a Fernet
token (AES-128-CBC + HMAC-SHA256, with a timestamp checked against ``session_max_age``) in an
HttpOnly, SameSite=Lax cookie. The middleware and ``get_session`` are our own few lines
rather than aiohttp-session's, which store state on the request under plain string keys
(aiohttp 3.14 warns about those on every request). Nothing is stored server-side; a
session ends when its cookie expires, on logout, or when the user's password changes
(``credentials_version`` no longer matches) or the user is deleted (checked on every
request).

CSRF: each session holds a random token, returned by the log-in and ``GET /api/v1/me``.
Every request that changes state (any method but GET/HEAD/OPTIONS) must send it, as the
``X-CSRF-Token`` header (JavaScript) or the ``csrf_token`` form field (HTML forms), and, if
it has an ``Origin`` header, come from the app's own origin or an allowed one. The log-in
itself has no session yet: it is protected by the origin check, SameSite and its rate limit.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from pathlib import Path

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session import Session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from standardiste.config import ConfigError
from web.accounts import User
from web.appkeys import ACCOUNTS, SETTINGS
from web.body import read_form
from web.errors import JSON_PATH_PREFIXES, CsrfFailed, Forbidden, Handler, Unauthenticated
from web.permissions import Scope, scope_of
from web.settings import WebAppSettings

log = structlog.get_logger(__name__)

SESSION_USER = "user"
SESSION_CSRF = "csrf"
SESSION_VERSION = "cv"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
LOGIN_ROUTE = "login"  # route name of POST /api/v1/session
_USER = web.RequestKey("user", User)
_SESSION = web.RequestKey("session", Session)
_STORAGE = web.RequestKey("session_storage", EncryptedCookieStorage)

# No inline scripts or styles, nothing from elsewhere, never framed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# -------------------------------------------------------------------- session key
def session_fernet(web_settings: WebAppSettings) -> Fernet:
    """The Fernet of the session cookies: the configured key, or the key file's."""
    if web_settings.secret_key:
        return _fernet(web_settings.secret_key.encode(), "setting web.secret_key")
    return _fernet(_key_file(web_settings.secret_key_file), str(web_settings.secret_key_file))


def _fernet(key: bytes, source: str) -> Fernet:
    try:
        return Fernet(key)
    except ValueError:
        raise ConfigError(
            f"{source}: not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None


def _key_file(path: Path) -> bytes:
    """Read the key file, or create it (mode 0600) with a fresh key on first start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once cannot both write a key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("web.session_key_permissions_fixed", path=str(path), mode=oct(mode))
            path.chmod(0o600)
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
    log.info("web.session_key_created", path=str(path))
    return key


def cookie_storage(web_settings: WebAppSettings) -> EncryptedCookieStorage:
    return EncryptedCookieStorage(
        session_fernet(web_settings),
        cookie_name=web_settings.cookie_name,
        max_age=web_settings.session_max_age,
        httponly=True,
        samesite="Lax",
        secure=web_settings.cookie_secure,
        path="/",
    )


def session_middleware(storage: EncryptedCookieStorage) -> Middleware:
    """Loads the session on demand; writes the cookie back if the session changed."""

    @web.middleware
    async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
        request[_STORAGE] = storage
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # a redirect after a form post carries the cookie too
            await _save(request, exc)
            raise
        if isinstance(response, web.Response) and not response.prepared:
            await _save(request, response)  # not a websocket or a stream: headers still open
        return response

    return sessions


async def _save(request: web.Request, response: web.StreamResponse) -> None:
    session = request.get(_SESSION)
    if session is not None and session._changed:
        await request[_STORAGE].save_session(request, response, session)


async def get_session(request: web.Request) -> Session:
    """This request's session (empty and new when the cookie is missing, expired or forged)."""
    if _SESSION not in request:
        request[_SESSION] = await request[_STORAGE].load_session(request)
    return request[_SESSION]


async def new_session(request: web.Request) -> Session:
    """Replace this request's session with a fresh one (at log-in: no fixation)."""
    session = await request[_STORAGE].new_session()
    request[_SESSION] = session
    return session


# -------------------------------------------------------------------- the user
async def start_session(request: web.Request, user: User) -> str:
    """A fresh session for ``user`` (never reuse one opened before the log-in); its token."""
    session = await new_session(request)
    token = secrets.token_urlsafe(32)
    session[SESSION_USER] = user.username
    session[SESSION_CSRF] = token
    session[SESSION_VERSION] = user.credentials_version
    return token


async def end_session(request: web.Request) -> None:
    (await get_session(request)).invalidate()


async def csrf_token(request: web.Request) -> str:
    return str((await get_session(request)).get(SESSION_CSRF, ""))


async def current_user(request: web.Request) -> User:
    """The logged-in user, reloaded from the database (roles and queues are current)."""
    if _USER in request:
        return request[_USER]
    session = await get_session(request)
    username = session.get(SESSION_USER)
    if not isinstance(username, str):
        raise Unauthenticated("log in first")
    user = await request.app[ACCOUNTS].get(username)
    if user is None or not _same(session.get(SESSION_VERSION), user.credentials_version):
        raise Unauthenticated("your session has ended; log in again")
    request[_USER] = user
    return user


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
    return origin == own_origin(request) or origin in request.app[SETTINGS].allowed_origins


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
    session = await get_session(request)
    expected = session.get(SESSION_CSRF)
    if not isinstance(expected, str) or SESSION_USER not in session:
        raise Unauthenticated("log in first")
    if not _same(await _supplied_token(request), expected):
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
    "cookie_storage",
    "csrf_middleware",
    "csrf_token",
    "current_user",
    "end_session",
    "get_session",
    "new_session",
    "session_middleware",
    "scope_for",
    "security_headers",
    "start_session",
]
