"""structlog set-up: one line of key=value per event, or JSON when not on a terminal.

An error logged with ``log.exception(...)`` (or ``exc_info=True``) carries the exception's
type (``exc_type``) and its whole traceback (``exception``) in both forms: without them, an
unhandled error in production is a line that says only that something failed.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger


def _exception_type(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """``exc_type``: the exception's qualified class name, searchable without parsing."""
    exc_info = event.get("exc_info")
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and exc_info[0] is not None:
        kind = exc_info[0]
        event["exc_type"] = f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins.")
        event["exc_info"] = exc_info
    return event


def configure(level: str = "info", stream: TextIO | None = None) -> None:
    out = stream if stream is not None else sys.stderr
    numeric = getattr(logging, level.upper(), logging.INFO)
    # Third-party loggers (aiohttp's access and server errors): the stdlib formatter already
    # appends tracebacks.
    logging.basicConfig(level=numeric, stream=out, format="%(message)s")
    # Alembic announces each of its plugins at INFO on every start: noise, not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(numeric, logging.WARNING))
    renderer: structlog.typing.Processor
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _exception_type,
    ]
    if out.isatty():
        renderer = structlog.dev.ConsoleRenderer(colors=False)  # prints the traceback itself
    else:
        processors.append(structlog.processors.format_exc_info)  # "exception": the traceback
        renderer = structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=True,
    )
