"""Malformed bodies and websocket messages get a 4xx with the JSON error body, never a 500."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from web_helpers import PASSWORD, Browser, error_code, next_json

Login = Callable[[str], Awaitable[Browser]]

NESTED = b"[" * 50_000  # under the 64 KiB body limit, far past json's recursion limit


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", NESTED),  # RecursionError
        ("application/json", b'{"a":' * 10_000),  # nested objects too
        ("application/json; charset=no-such-charset", b"{}"),  # LookupError
        ("application/json; charset=utf-16", b'{"username": "sue"}'),  # not what it says
        ("application/json", b'{"username": "\xff\xfe"}'),  # not UTF-8
        ("multipart/form-data", b"username=sue"),  # no boundary: ValueError
        ("multipart/form-data; boundary=zz", b"not multipart at all"),
        ("multipart/form-data; boundary=zz", b"--zz\r\n\r\nno name\r\n--zz--\r\n"),
        ("application/x-www-form-urlencoded; charset=no-such-charset", b"username=sue"),
        ("application/x-www-form-urlencoded", b"\xff\xfe=1"),
    ],
)
async def test_a_malformed_login_body_is_a_400(
    browser: Callable[[], Browser], content_type: str, body: bytes
) -> None:
    resp = await browser().post(
        "/api/v1/session", data=body, headers={"Content-Type": content_type}
    )
    assert await error_code(resp) == (400, "invalid_input")


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", b'["alice", "' + PASSWORD.encode() + b'"]', (400, "invalid_input")),
        ("application/json", b"42", (400, "invalid_input")),
        ("application/json", b"null", (400, "invalid_input")),
        ("text/plain", b"username=sue", (415, "unsupported_media_type")),
        ("application/xml", b"<a/>", (415, "unsupported_media_type")),
        (
            "application/json",
            b'{"username": "' + b"x" * 100_000 + b'"}',
            (413, "payload_too_large"),
        ),
    ],
)
async def test_bodies_of_the_wrong_shape_kind_or_size(
    browser: Callable[[], Browser], content_type: str, body: bytes, expected: tuple[int, str]
) -> None:
    resp = await browser().post(
        "/api/v1/session", data=body, headers={"Content-Type": content_type}
    )
    assert await error_code(resp) == expected


async def test_a_malformed_form_on_a_state_changing_request_is_a_400(logged_in: Login) -> None:
    # Without the CSRF header, the CSRF check reads the form field first: that read too.
    b = await logged_in("alice")
    for content_type, body in (
        ("multipart/form-data", b"x"),
        ("application/x-www-form-urlencoded; charset=no-such-charset", b"csrf_token=x"),
    ):
        resp = await b.post(
            "/api/v1/agents/alice/resume",
            csrf="",
            data=body,
            headers={"Content-Type": content_type},
        )
        assert await error_code(resp) == (400, "invalid_input")
    nested = await b.post(
        "/api/v1/agents/alice/resume", data=NESTED, headers={"Content-Type": "application/json"}
    )
    assert await error_code(nested) == (400, "invalid_input")
    assert (await b.get("/api/v1/me")).status == 200  # the session is unharmed


async def test_a_websocket_message_of_nested_brackets_gets_an_error(logged_in: Login) -> None:
    ws = await (await logged_in("sue")).live()
    assert (await next_json(ws))["type"] == "snapshot"
    await ws.send_str("[" * 4000)  # under the 4 KiB message limit
    assert await next_json(ws) == {
        "type": "error",
        "error": {"code": "invalid_input", "message": "unknown message"},
    }
    await ws.send_str('{"type": "subscribe", "queues": ' + "[" * 2000 + "]" * 2000 + "}")
    assert (await next_json(ws))["type"] == "error"
    # The connection is still served.
    await ws.send_json({"type": "subscribe", "queues": ["sales"]})
    assert (await next_json(ws))["type"] == "snapshot"
    await ws.close()


async def test_an_oversized_websocket_message_closes_with_a_clear_code(logged_in: Login) -> None:
    ws = await (await logged_in("sue")).live()
    assert (await next_json(ws))["type"] == "snapshot"
    await ws.send_str("[" * 10_000)  # over the 4 KiB limit
    msg = await ws.receive(timeout=5)
    assert msg.type.name in {"CLOSE", "CLOSED"}
    assert ws.close_code == 1009  # "message too big"
