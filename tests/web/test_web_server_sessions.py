"""Server-side sessions: logging out, disabling an account or changing its password ends the
session everywhere — copied cookies stop working and open websockets are closed (4001)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis
from web_helpers import PASSWORD, Browser, error_code, next_json

from standardiste.config import Settings
from standardiste.redis_keys import RedisKeys
from standardiste.web import user_admin
from standardiste.web.live import CLOSE_SESSION_ENDED
from standardiste.web.sessions import SessionStore, session_id

Login = Callable[[str], Awaitable[Browser]]


def _cookie(b: Browser) -> str:
    [cookie] = list(b.http.cookie_jar)
    return f"{cookie.key}={cookie.value}"


async def _closed_for_session_end(ws: aiohttp.ClientWebSocketResponse) -> None:
    """The next frame is the close of an ended session (changes may come first)."""
    while True:
        msg = await ws.receive(timeout=5)
        if msg.type is aiohttp.WSMsgType.TEXT:
            continue
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
        # The code the server's close frame carries (what a browser's CloseEvent reports). The
        # server may drop the TCP connection right after its frame (aiohttp 3.14 does when its
        # reader saw the close first): the client's own ws.close_code then says 1006.
        code = msg.data if msg.type is aiohttp.WSMsgType.CLOSE else ws.close_code
        assert code == CLOSE_SESSION_ENDED, (msg, ws.close_code)
        return


def _admin_settings(tmp_path: Path, keys: RedisKeys) -> Settings:
    """What ``standardiste user ...`` would be configured with: the app's database and Redis."""
    base = Settings()
    return replace(
        base,
        database=replace(base.database, url=f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}"),
        redis=replace(base.redis, prefix=keys.prefix),
    )


async def test_a_copied_cookie_is_worthless_after_logout(
    logged_in: Login, browser: Callable[[], Browser]
) -> None:
    b = await logged_in("alice")
    copied = _cookie(b)
    thief = browser()
    assert (await thief.request("GET", "/api/v1/me", headers={"Cookie": copied})).status == 200
    assert (await b.request("DELETE", "/api/v1/session")).status == 204
    # Before: the encrypted cookie stayed valid for 12 hours.
    resp = await thief.request("GET", "/api/v1/me", headers={"Cookie": copied})
    assert await error_code(resp) == (401, "unauthenticated")


async def test_the_cookie_holds_only_a_random_id(
    logged_in: Login, redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    b = await logged_in("sue")
    [cookie] = list(b.http.cookie_jar)
    assert "sue" not in cookie.value and len(cookie.value) >= 40
    record = await redis_client.hgetall(keys.web_session(session_id(cookie.value)))
    assert record[b"user"] == b"sue" and record[b"csrf"].decode() == b.csrf
    assert float(record[b"expires"]) - float(record[b"created"]) == 12 * 3600
    assert 12 * 3600 - 5 <= await redis_client.ttl(keys.web_session(session_id(cookie.value)))
    assert await redis_client.smembers(keys.web_user_sessions("sue")) == {
        session_id(cookie.value).encode()
    }


async def test_logout_closes_that_sessions_websocket_only(logged_in: Login) -> None:
    b = await logged_in("sue")
    other = await logged_in("sue")  # sue on a second computer
    ws = await b.live()
    ws_other = await other.live()
    assert (await next_json(ws))["type"] == "snapshot"
    assert (await next_json(ws_other))["type"] == "snapshot"
    assert (await b.request("DELETE", "/api/v1/session")).status == 204
    await _closed_for_session_end(ws)  # before: it kept streaming
    await ws_other.send_json({"type": "subscribe", "queues": None})
    assert (await next_json(ws_other))["type"] == "snapshot"
    await ws_other.close()


async def test_disabling_a_user_ends_all_their_sessions_and_websockets(
    logged_in: Login, browser: Callable[[], Browser], tmp_path: Path, keys: RedisKeys
) -> None:
    first, second = await logged_in("bob"), await logged_in("bob")
    ws1, ws2 = await first.live(), await second.live()
    for ws in (ws1, ws2):
        assert (await next_json(ws))["type"] == "snapshot"
    done = await user_admin.set_disabled(_admin_settings(tmp_path, keys), "bob", True)
    assert done.sessions_ended == 2
    await _closed_for_session_end(ws1)
    await _closed_for_session_end(ws2)
    for b in (first, second):
        assert await error_code(await b.get("/api/v1/me")) == (401, "unauthenticated")
    assert await error_code(await browser().login("bob")) == (401, "invalid_credentials")
    await user_admin.set_disabled(_admin_settings(tmp_path, keys), "bob", False)
    assert (await browser().login("bob")).status == 200


async def test_a_new_password_ends_all_sessions_and_websockets(
    logged_in: Login, browser: Callable[[], Browser], tmp_path: Path, keys: RedisKeys
) -> None:
    b = await logged_in("carol")
    ws = await b.live()
    assert (await next_json(ws))["type"] == "snapshot"
    done = await user_admin.set_password(_admin_settings(tmp_path, keys), "carol", None)
    assert done.sessions_ended == 1 and done.generated_password
    await _closed_for_session_end(ws)
    assert await error_code(await b.get("/api/v1/me")) == (401, "unauthenticated")
    assert (await browser().login("carol", PASSWORD)).status == 401
    assert (await browser().login("carol", done.generated_password)).status == 200


async def test_sessions_ended_by_another_process_close_websockets_here(
    logged_in: Login, redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    ws = await (await logged_in("alice")).live()
    assert (await next_json(ws))["type"] == "snapshot"
    # Another web process (its own Redis connection) ends alice's sessions.
    elsewhere = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        assert await SessionStore(elsewhere, keys, max_age=3600).end_user("alice") == 1
    finally:
        await elsewhere.aclose()
    await _closed_for_session_end(ws)


async def test_the_session_is_rechecked_on_subscribe(
    logged_in: Login, redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    b = await logged_in("sue")
    ws = await b.live()
    assert (await next_json(ws))["type"] == "snapshot"
    # The session vanishes without an announcement (e.g. expired in Redis).
    [cookie] = list(b.http.cookie_jar)
    await redis_client.delete(keys.web_session(session_id(cookie.value)))
    await ws.send_json({"type": "subscribe", "queues": ["sales"]})
    await _closed_for_session_end(ws)
