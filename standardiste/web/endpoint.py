"""A documented route: what it reads, what it answers, who may call it.

:class:`Route` is one entry of the registry (:mod:`web.routes`). :func:`add_routes` is the
only way the JSON routes reach the app, and it registers each one bound to its entry, so:

- the session a route documents is checked before its handler runs (401 first);
- a handler reads its body or query with :func:`read_model` / :func:`read_query`, which
  refuse a model other than the one documented, and validate with it (400 naming the field);
- a handler answers with :func:`respond`, which refuses a model or status not documented,
  and serialises the model (the response is what the document says it is).

A mismatch is a bug of this code, not of the client: it raises ``RuntimeError`` (500), and
the contract tests (tests/web/test_web_openapi.py) call every route, so it cannot ship.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel

from standardiste.role_permissions import PERMISSIONS, granted, require
from standardiste.web.appkeys import CONFIG
from standardiste.web.errors import Handler, PayloadTooLarge, UnsupportedMediaType
from standardiste.web.inputs import read_body
from standardiste.web.schemas import validate
from standardiste.web.security import current_user

M = TypeVar("M", bound=BaseModel)

# public: anyone; session: a logged-in user; csrf: a logged-in user and the session's CSRF
# token (web.security.csrf_middleware checks it on every state-changing method); metrics:
# the bearer token of web.metrics_token, or a loopback client when it is unset.
Auth = Literal["public", "session", "csrf", "metrics"]

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
PATH_PARAM_RE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Reply:
    """One documented answer: a status, and the model of its JSON body (None: no body, or
    not JSON: ``media_type`` says what)."""

    status: int
    description: str
    model: type[BaseModel] | None = None
    media_type: str = JSON


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    name: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    summary: str
    auth: Auth
    replies: tuple[Reply, ...]
    description: str = ""
    body: type[BaseModel] | None = None  # a JSON object or a form
    body_required: bool = False
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()  # beyond those implied by auth, body and query
    # Extensions of the operation object (x-...): the websocket's messages.
    extensions: tuple[tuple[str, type[BaseModel]], ...] = ()
    # The permission of the role matrix (standardiste.role_permissions) the caller's role must
    # hold, checked before the handler runs (403 forbidden); None: any logged-in user.
    permission: str | None = None
    # A body that is a file, not fields (media types, e.g. ("audio/*",)): the handler reads
    # it itself, with its own size limit (read_upload).
    raw_body: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.raw_body and self.body is not None:
            raise ValueError(f"route {self.name}: a body is either a model or a file")
        if self.permission is not None and self.permission not in PERMISSIONS:
            raise ValueError(f"route {self.name}: unknown permission {self.permission!r}")
        if self.permission is not None and self.auth not in ("session", "csrf"):
            raise ValueError(f"route {self.name}: a permission needs a logged-in user")

    @property
    def path_params(self) -> list[str]:
        return PATH_PARAM_RE.findall(self.path)

    @property
    def error_statuses(self) -> list[int]:
        implied: set[int] = set(self.errors)
        if self.auth in ("session", "csrf"):
            implied.add(401)
        if (
            self.auth in ("csrf", "metrics")
            or self.method not in ("GET", "HEAD")
            or self.permission is not None
        ):
            implied.add(403)  # CSRF token or Origin (every state-changing request), token
        if self.body is not None or self.raw_body:
            implied |= {400, 413, 415}
        if self.query is not None:
            implied.add(400)
        return sorted(implied)


ROUTE = web.RequestKey("documented_route", Route)
ROUTES = web.AppKey("documented_routes", tuple[Route, ...])


def add_routes(app: web.Application, routes: Iterable[Route]) -> None:
    """Register ``routes`` on ``app``; ``app[ROUTES]`` is then what the document describes."""
    routes = tuple(routes)
    for route in routes:
        if route.method == "GET":  # with HEAD, as add_get gives (health checks use it)
            app.router.add_get(route.path, _bound(route), name=route.name)
        else:
            app.router.add_route(route.method, route.path, _bound(route), name=route.name)
    app[ROUTES] = app.get(ROUTES, ()) + routes


def _bound(route: Route) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        request[ROUTE] = route
        if route.auth in ("session", "csrf"):
            user = await current_user(request)  # raises Unauthenticated (401)
            if route.permission is not None:
                await require_permission(request, user.role, route.permission)
        return await route.handler(request)

    handler.__name__ = handler.__qualname__ = getattr(route.handler, "__name__", route.name)
    return handler


async def require_permission(request: web.Request, role: str, permission: str) -> None:
    """403 unless ``role`` holds ``permission`` in the current matrix."""
    require(role, await request.app[CONFIG].matrix(), permission)


async def granted_to(request: web.Request, role: str) -> frozenset[str]:
    return granted(role, await request.app[CONFIG].matrix())


async def read_model(request: web.Request, model: type[M]) -> M:
    """The body (JSON object or form, via ``web.inputs.read_body``) as ``model``."""
    route = request[ROUTE]
    if model is not route.body:
        raise RuntimeError(f"route {route.name} reads {model.__name__}, documents {route.body}")
    return validate(model, await read_body(request))


def read_query(request: web.Request, model: type[M]) -> M:
    """The query string as ``model`` (the first value of a repeated parameter)."""
    route = request[ROUTE]
    if model is not route.query:
        raise RuntimeError(f"route {route.name} reads {model.__name__}, documents {route.query}")
    return validate(model, {k: v for k, v in reversed(list(request.query.items()))})


async def read_upload(request: web.Request, max_bytes: int) -> bytes:
    """The body of a route that documents a file body (``raw_body``), at most ``max_bytes``
    (413 beyond: read as a stream, so the app's small ``client_max_size`` does not apply)."""
    route = request[ROUTE]
    if not route.raw_body:
        raise RuntimeError(f"route {route.name} reads a file body it does not document")
    media = request.content_type
    if not any(media == m or (m[-1] == "*" and media.startswith(m[:-1])) for m in route.raw_body):
        raise UnsupportedMediaType(f"send the file as the body: {', '.join(route.raw_body)}")
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def respond(request: web.Request, value: BaseModel, status: int = 200) -> web.Response:
    """``value`` as the JSON body, if the route documents it for ``status``."""
    route = request[ROUTE]
    if not any(r.status == status and r.model is type(value) for r in route.replies):
        raise RuntimeError(f"route {route.name} answers {type(value).__name__} {status}")
    return web.Response(text=value.model_dump_json(), status=status, content_type=JSON)


__all__ = [
    "ROUTE",
    "ROUTES",
    "Auth",
    "Reply",
    "Route",
    "add_routes",
    "granted_to",
    "read_model",
    "require_permission",
    "read_query",
    "read_upload",
    "respond",
]
