"""Log in, log out, who am I: sessions, CSRF, rate limiting, headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from web_helpers import PASSWORD, PEOPLE, Browser, error_code

from standardiste.accounts import Accounts
from standardiste.redis_keys import RedisKeys

Login = Callable[[str], Awaitable[Browser]]


async def test_login_opens_a_session_with_a_csrf_token(browser: Callable[[], Browser]) -> None:
    b = browser()
    resp = await b.login("sue")
    assert resp.status == 200
    body = await resp.json()
    assert body["user"]["username"] == "sue"
    assert body["user"]["queues"] == [{"name": "sales", "role": "supervisor"}]
    assert len(body["csrf_token"]) >= 32
    assert "lunch" in body["pause_reasons"]
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "sue" not in cookie  # encrypted, not just signed

    me = await b.get("/api/v1/me")
    assert me.status == 200
    assert (await me.json())["csrf_token"] == body["csrf_token"]


async def test_user_name_is_case_insensitive(browser: Callable[[], Browser]) -> None:
    assert (await browser().login("  Sue ")).status == 200


async def test_wrong_password_and_unknown_user_look_the_same(
    browser: Callable[[], Browser],
) -> None:
    b = browser()
    wrong = await b.login("sue", "not the password")
    unknown = await b.login("nobody", "not the password")
    assert await error_code(wrong) == (401, "invalid_credentials")
    assert await error_code(unknown) == (401, "invalid_credentials")
    assert (await wrong.json()) == (await unknown.json())
    assert (await b.get("/api/v1/me")).status == 401


async def test_login_input_errors(browser: Callable[[], Browser]) -> None:
    b = browser()
    for body in ({"username": "sue"}, {"password": PASSWORD}, {"username": 3, "password": "x"}):
        assert await error_code(await b.post("/api/v1/session", body)) == (400, "invalid_input")
    assert await error_code(await b.post("/api/v1/session", ["sue", PASSWORD])) == (
        400,
        "invalid_input",
    )
    bad_json = await b.post(
        "/api/v1/session", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert await error_code(bad_json) == (400, "invalid_input")
    text = await b.post("/api/v1/session", data=b"sue", headers={"Content-Type": "text/plain"})
    assert await error_code(text) == (415, "unsupported_media_type")
    huge = await b.post("/api/v1/session", {"username": "sue", "password": "x" * 200_000})
    assert await error_code(huge) == (413, "payload_too_large")


async def test_login_with_an_html_form(browser: Callable[[], Browser]) -> None:
    b = browser()
    resp = await b.post("/api/v1/session", data={"username": "sue", "password": PASSWORD})
    assert resp.status == 200


async def test_login_rate_limit_per_user_and_address(
    browser: Callable[[], Browser], redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    b = browser()
    for _ in range(5):
        assert (await b.login("sue", "guess")).status == 401
    limited = await b.login("sue")  # even the right password, while the window lasts
    assert await error_code(limited) == (429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 300
    # Counted per user name (and address): another user is not locked out by it.
    assert (await browser().login("alice")).status == 200
    # The count lives in Redis under the key RedisKeys names, with the window as TTL.
    key = keys.login_failures("sue", "127.0.0.1")
    assert int(await redis_client.get(key)) == 5
    assert 0 < await redis_client.ttl(key) <= 300
    await redis_client.delete(key)  # the window passes
    assert (await b.login("sue")).status == 200


async def test_success_clears_the_failures(
    browser: Callable[[], Browser], redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    b = browser()
    for _ in range(4):
        await b.login("sue", "guess")
    assert (await b.login("sue")).status == 200
    assert await redis_client.get(keys.login_failures("sue", "127.0.0.1")) is None


async def test_logout_ends_the_session(logged_in: Login) -> None:
    b = await logged_in("alice")
    resp = await b.request("DELETE", "/api/v1/session")
    assert resp.status == 204
    assert await error_code(await b.get("/api/v1/me")) == (401, "unauthenticated")


async def test_logout_needs_a_session_and_the_token(
    logged_in: Login, browser: Callable[[], Browser]
) -> None:
    assert await error_code(await browser().request("DELETE", "/api/v1/session")) == (
        401,
        "unauthenticated",
    )
    b = await logged_in("alice")
    bad = await b.request("DELETE", "/api/v1/session", csrf="forged")
    assert await error_code(bad) == (403, "csrf_failed")
    missing = await b.request("DELETE", "/api/v1/session", csrf="")
    assert await error_code(missing) == (403, "csrf_failed")
    assert (await b.get("/api/v1/me")).status == 200


async def test_me_without_a_session(browser: Callable[[], Browser]) -> None:
    assert await error_code(await browser().get("/api/v1/me")) == (401, "unauthenticated")


async def test_a_tampered_cookie_is_no_session(
    logged_in: Login, browser: Callable[[], Browser]
) -> None:
    b = await logged_in("sue")
    [cookie] = list(b.http.cookie_jar)
    assert cookie.key == "standardiste_session"
    other = browser()
    ok = await other.request(
        "GET", "/api/v1/me", headers={"Cookie": f"{cookie.key}={cookie.value}"}
    )
    assert ok.status == 200  # the cookie alone is the session...
    forged = cookie.value[:-6] + ("AAAAAA" if not cookie.value.endswith("AAAAAA") else "BBBBBB")
    resp = await other.request("GET", "/api/v1/me", headers={"Cookie": f"{cookie.key}={forged}"})
    assert await error_code(resp) == (401, "unauthenticated")  # ...and cannot be altered


async def test_a_password_change_ends_older_sessions(logged_in: Login, accounts: Accounts) -> (
    None
):  # fmt: skip
    b = await logged_in("bob")
    await accounts.update_user("bob", password="another long password")
    assert await error_code(await b.get("/api/v1/me")) == (401, "unauthenticated")


async def test_a_deleted_user_loses_their_session(logged_in: Login, accounts: Accounts) -> None:
    b = await logged_in("bob")
    await accounts.delete_user("bob")
    assert await error_code(await b.get("/api/v1/me")) == (401, "unauthenticated")


async def test_cross_origin_requests_are_refused(logged_in: Login) -> None:
    b = await logged_in("alice")
    resp = await b.post(
        "/api/v1/agents/alice/resume", {}, headers={"Origin": "https://evil.example"}
    )
    assert await error_code(resp) == (403, "csrf_failed")
    login = await b.request(
        "POST",
        "/api/v1/session",
        {"username": "alice", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert await error_code(login) == (403, "csrf_failed")


async def test_security_headers(browser: Callable[[], Browser]) -> None:
    b = browser()
    for resp in (await b.get("/api/v1/me"), await b.get("/healthz"), await b.get("/nope")):
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    api = await b.get("/api/v1/me")
    assert api.headers["Cache-Control"] == "no-store"
    assert api.headers["Content-Type"].startswith("application/json")


async def test_unknown_api_paths_and_methods_answer_json(browser: Callable[[], Browser]) -> None:
    b = browser()
    assert await error_code(await b.get("/api/v1/nope")) == (404, "not_found")
    assert await error_code(await b.request("PUT", "/api/v1/me")) == (405, "method_not_allowed")


@pytest.mark.parametrize("username", sorted(PEOPLE))
async def test_me_for_each_role(logged_in: Login, username: str) -> None:
    role, devices, queues = PEOPLE[username]
    body = await (await (await logged_in(username)).get("/api/v1/me")).json()
    assert body["user"]["role"] == role
    assert body["user"]["devices"] == list(devices)
    assert {q["name"]: q["role"] for q in body["user"]["queues"]} == queues
