"""The one place where error codes become HTTP statuses.

Handlers and the modules they call raise :class:`~standardiste.errors.StandardisteError`
subclasses (domain errors, and the web's own below); :func:`error_middleware` turns each into
``{"error": {"code": ..., "message": ...}}`` with the status of its code. aiohttp's own
HTTP errors (no route, wrong method, body too large) get the same shape on API paths.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError

from standardiste.errors import (
    AsteriskRefused,
    CallGone,
    CommandExpired,
    CommandTimeout,
    Conflict,
    Forbidden,
    InternalError,
    InvalidInput,
    NotConfirmed,
    PbxUnavailable,
    StandardisteError,
    UnknownAgent,
    UnknownCampaign,
    UnknownMessage,
    UnknownQueue,
    UnknownUser,
)

# Domain errors (standardiste.errors) the web used to define; re-exported for its modules.
__all__ = ["Conflict", "Forbidden", "UnknownUser"]

log = structlog.get_logger(__name__)


class Unauthenticated(StandardisteError):
    code = "unauthenticated"


class InvalidCredentials(StandardisteError):
    code = "invalid_credentials"


class CsrfFailed(StandardisteError):
    code = "csrf_failed"


class NotFound(StandardisteError):
    code = "not_found"


class UnsupportedMediaType(StandardisteError):
    code = "unsupported_media_type"


class PayloadTooLarge(StandardisteError):
    """A file body over its route's own limit (aiohttp's client_max_size: the same code)."""

    code = "payload_too_large"


class RateLimited(StandardisteError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(StandardisteError):
    code = "unavailable"


# Every error class, by class: a subclass not listed here takes its nearest listed base's
# status, and tests/web/test_web_errors.py fails when a class defined anywhere is not
# listed (a new error must be given its status on purpose).
STATUS_BY_CLASS: dict[type[StandardisteError], int] = {
    StandardisteError: 500,
    InternalError: 500,
    InvalidInput: 400,
    Unauthenticated: 401,
    InvalidCredentials: 401,
    Forbidden: 403,
    CsrfFailed: 403,
    NotFound: 404,
    UnknownUser: 404,
    UnknownQueue: 404,
    UnknownCampaign: 404,
    UnknownAgent: 404,
    UnknownMessage: 404,
    Conflict: 409,
    AsteriskRefused: 409,  # Asterisk said no to this request in the current state
    CallGone: 409,  # the caller / call / session is no longer there
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    RateLimited: 429,
    PbxUnavailable: 503,
    Unavailable: 503,
    NotConfirmed: 504,  # sent, but Asterisk's confirming events never came
    CommandTimeout: 504,  # the bridge did not answer in time
    CommandExpired: 504,  # the bridge took it after its deadline: not executed
}

# Codes that have no class (aiohttp's own HTTP errors on API paths).
_STATUS_BY_BARE_CODE = {"method_not_allowed": 405}

STATUS_BY_CODE: dict[str, int] = {
    **{cls.code: status for cls, status in STATUS_BY_CLASS.items()},
    **_STATUS_BY_BARE_CODE,
}


def status_of_error(exc: StandardisteError) -> int:
    """The status of ``exc``'s class (or nearest listed base). A bare StandardisteError is
    one rebuilt from a code this process has no class for (command bus): by its code."""
    if type(exc) is StandardisteError:
        return status_of(exc.code)
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_CLASS:
            return STATUS_BY_CLASS[cls]
    return 500  # pragma: no cover - StandardisteError itself is listed


# aiohttp's HTTP exceptions on API paths, by status.
_CODE_BY_STATUS = {
    400: "invalid_input",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}

JSON_PATH_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics")


def status_of(code: str) -> int:
    return STATUS_BY_CODE.get(code, 500)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(error_body(code, message), status=status_of(code), headers=headers)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RateLimited as exc:
        return error_response(exc.code, exc.message, {"Retry-After": str(exc.retry_after)})
    except StandardisteError as exc:
        return web.json_response(error_body(exc.code, exc.message), status=status_of_error(exc))
    except web.HTTPException as exc:
        if not request.path.startswith(JSON_PATH_PREFIXES) or exc.status < 400:
            raise
        code = _CODE_BY_STATUS.get(exc.status, "internal_error")
        return error_response(code, exc.reason)
    except (RedisError, OperationalError, DBAPIError, OSError) as exc:
        # A backing service is down: say so, do not leak its message.
        log.warning("web.backend_unavailable", path=request.path, error=str(exc))
        return error_response("unavailable", "a backing service is unavailable, try again")
    except Exception:
        log.exception("web.unhandled_error", path=request.path, method=request.method)
        return error_response("internal_error", "internal error")
