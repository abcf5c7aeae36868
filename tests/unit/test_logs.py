"""Unhandled errors are logged with their type and traceback (standardiste.logs)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from standardiste.logs import configure
from standardiste.web.errors import error_middleware


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def _fail() -> None:
    {}["missing"]  # noqa: B018 - the error under test


def test_a_logged_exception_carries_its_type_and_traceback() -> None:
    out = io.StringIO()  # not a terminal: JSON lines, as in production
    configure("info", stream=out)
    log = structlog.get_logger("test")
    try:
        _fail()
    except KeyError:
        log.exception("web.unhandled_error", path="/api/v1/me")
    [line] = out.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["event"] == "web.unhandled_error" and entry["level"] == "error"
    assert entry["exc_type"] == "KeyError"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert "in _fail" in entry["exception"] and "KeyError: 'missing'" in entry["exception"]


async def test_an_unhandled_error_in_a_web_handler_is_logged_with_its_traceback() -> None:
    out = io.StringIO()
    configure("info", stream=out)

    async def broken(request: web.Request) -> web.StreamResponse:
        raise ZeroDivisionError("boom")

    response = await error_middleware(make_mocked_request("GET", "/api/v1/me"), broken)
    assert response.status == 500
    entry = json.loads(out.getvalue().splitlines()[-1])
    assert entry["exc_type"] == "ZeroDivisionError"
    assert "raise ZeroDivisionError" in entry["exception"]


def test_other_events_are_unchanged() -> None:
    out = io.StringIO()
    configure("info", stream=out)
    structlog.get_logger("test").info("bridge.started", queues=2)
    entry = json.loads(out.getvalue())
    assert entry["queues"] == 2 and "exc_type" not in entry and "exception" not in entry
