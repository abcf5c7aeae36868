"""The log-in limiter under truly concurrent requests, per account, per address, and
X-Forwarded-For believed only from trusted proxies."""

from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import make_mocked_request
from web_helpers import PASSWORD, Browser, Knobs

from standardiste.config import ConfigError, Settings, load
from standardiste.redis_keys import RedisKeys
from standardiste.web.ratelimit import LoginLimiter

LOCAL_PROXY = ipaddress.ip_network("127.0.0.1/32")


@pytest.fixture
def knobs(knobs: Knobs) -> Knobs:
    # The test client connects from 127.0.0.1: trusted here, as a reverse proxy would be.
    return replace(knobs, web=replace(knobs.web, trusted_proxies=str(LOCAL_PROXY)))


async def _login(b: Browser, username: str, password: str, client: str | None = None) -> int:
    headers = {"X-Forwarded-For": client} if client else None
    resp = await b.request(
        "POST", "/api/v1/session", {"username": username, "password": password}, headers=headers
    )
    return resp.status


async def test_thirty_concurrent_wrong_passwords_are_not_all_checked(
    browser: Callable[[], Browser],
) -> None:
    browsers = [browser() for _ in range(30)]  # 30 connections, all in flight at once
    statuses = await asyncio.gather(
        *(_login(b, "sue", f"guess {i}") for i, b in enumerate(browsers))
    )
    # Before: 30 x 401 (the limiter read the count before any failure was written).
    assert Counter(statuses) == {401: 5, 429: 25}
    assert await _login(browser(), "sue", PASSWORD) == 429


async def test_a_right_password_among_29_wrong_ones_once_the_limit_is_hit(
    browser: Callable[[], Browser],
) -> None:
    passwords = [f"guess {i}" for i in range(29)]
    passwords.insert(17, PASSWORD)
    statuses = await asyncio.gather(*(_login(browser(), "sue", p) for p in passwords))
    # Only five attempts reach the password check, whichever they are; the others wait.
    assert sum(1 for s in statuses if s != 429) == 5
    assert statuses.count(200) <= 1


async def test_many_addresses_cannot_brute_force_one_account(
    browser: Callable[[], Browser],
) -> None:
    b = browser()
    for i in range(20):  # 20 addresses, one guess each: the per-address pair limit never hits
        assert await _login(b, "sue", "guess", client=f"198.51.100.{i}") == 401
    assert await _login(b, "sue", PASSWORD, client="203.0.113.9") == 429  # the account's limit
    assert await _login(b, "alice", PASSWORD, client="203.0.113.9") == 200  # others are fine


async def test_one_address_behind_nat_does_not_lock_everyone_out(
    browser: Callable[[], Browser],
) -> None:
    b = browser()
    office = "192.0.2.10"
    for _ in range(5):
        assert await _login(b, "sue", "guess", client=office) == 401
    assert await _login(b, "sue", PASSWORD, client=office) == 429
    # Colleagues behind the same address still log in.
    for username in ("alice", "bob", "carol"):
        assert await _login(browser(), username, PASSWORD, client=office) == 200


async def test_one_address_cannot_spray_every_account(browser: Callable[[], Browser]) -> None:
    b = browser()
    for i in range(50):
        assert await _login(b, f"user{i}", "guess", client="192.0.2.66") == 401
    assert await _login(b, "alice", PASSWORD, client="192.0.2.66") == 429
    assert await _login(b, "alice", PASSWORD, client="192.0.2.67") == 200


async def test_success_refunds_only_its_own_attempt(
    browser: Callable[[], Browser], redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    b = browser()
    for _ in range(3):
        await _login(b, "sue", "guess", client="192.0.2.1")
    assert await _login(b, "sue", PASSWORD, client="192.0.2.1") == 200
    assert await redis_client.get(keys.login_failures("sue", "192.0.2.1")) is None
    assert int(await redis_client.get(keys.login_failures_account("sue"))) == 3
    assert int(await redis_client.get(keys.login_failures_address("192.0.2.1"))) == 3


def _limiter(trusted: tuple[str, ...]) -> LoginLimiter:
    nets = tuple(ipaddress.ip_network(t) for t in trusted)
    return LoginLimiter(
        aioredis.Redis(), RedisKeys(), max_failures=5, window=300, trusted_proxies=nets
    )


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("203.0.113.5", "1.2.3.4", (), "203.0.113.5"),  # not a proxy: header ignored
        ("10.0.0.2", "1.2.3.4", ("10.0.0.0/8",), "1.2.3.4"),
        # The client's own "1.2.3.4" is left of what the proxy appended: not believed.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", ("10.0.0.0/8",), "198.51.100.7"),
        # Two trusted proxies in a row.
        ("10.0.0.2", "198.51.100.7, 10.0.0.3", ("10.0.0.0/8",), "198.51.100.7"),
        ("10.0.0.2", "not-an-ip", ("10.0.0.0/8",), "10.0.0.2"),
        ("10.0.0.2", None, ("10.0.0.0/8",), "10.0.0.2"),
        ("2001:db8::2", "2001:db8:1::9", ("2001:db8::/64",), "2001:db8:1::9"),
    ],
)
async def test_the_client_address(
    peer: str, forwarded: str | None, trusted: tuple[str, ...], client: str
) -> None:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = make_mocked_request("POST", "/api/v1/session", headers=headers)
    request = request.clone(remote=peer)
    limiter = _limiter(trusted)
    assert limiter.address(request) == client
    await limiter._redis.aclose()


def test_trusted_proxies_setting_is_typed_and_checked() -> None:
    env = {"STANDARDISTE_WEB_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"}
    web = load(env=env).web
    assert web.proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.7/32"),
    )
    with pytest.raises(ConfigError, match="web.trusted_proxies.*'10.0.0.0/33'"):
        load(env={"STANDARDISTE_WEB_TRUSTED_PROXIES": "10.0.0.0/33"})
    assert Settings().web.proxies == ()
