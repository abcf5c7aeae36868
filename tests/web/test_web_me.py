"""PATCH /api/v1/me: each user chooses their own UI language and time zone (BY-7)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from web_helpers import PEOPLE, Browser, error_code

from standardiste.accounts import Accounts

Login = Callable[[str], Awaitable[Browser]]


async def patch_me(b: Browser, body: Any, **kw: Any) -> Any:
    return await b.request("PATCH", "/api/v1/me", body, **kw)


async def render(b: Browser, path: str, accept_language: str) -> str:
    resp = await b.http.get(
        b.base + path, headers={"Accept-Language": accept_language}, allow_redirects=False
    )
    assert resp.status == 200, path
    return await resp.text()


def page_data(text: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', text, re.S)
    assert found, "no page data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def home(username: str) -> str:
    role, _, queues = PEOPLE[username]
    return "/supervisor" if role == "admin" or "supervisor" in queues.values() else "/agent"


@pytest.mark.parametrize("username", sorted(PEOPLE))
async def test_each_role_chooses_their_own_language_and_zone(
    logged_in: Login, accounts: Accounts, username: str
) -> None:
    b = await logged_in(username)
    before = await render(b, home(username), "en-US")
    assert '<html lang="en">' in before and 'id="prefs-form"' in before

    resp = await patch_me(b, {"language": "fr", "timezone": "Europe/Paris"})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["user"]["username"] == username
    assert (body["user"]["language"], body["user"]["time_zone"]) == ("fr", "Europe/Paris")
    assert body["csrf_token"] == b.csrf  # the same session goes on

    me = await (await b.get("/api/v1/me")).json()
    assert (me["user"]["language"], me["user"]["time_zone"]) == ("fr", "Europe/Paris")
    stored = await accounts.get(username)
    assert stored is not None and stored.language == "fr"
    # Only their own account changed.
    others = [u for u in await accounts.list() if u.username != username]
    assert all((u.language, u.time_zone) == ("", "") for u in others)

    # The next page is in French and Paris time, whatever the browser asks for.
    text = await render(b, home(username), "en-US")
    assert '<html lang="fr">' in text and "Fermer la session" in text
    assert "Langue / Language" in text
    data = page_data(text)
    assert (data["lang"], data["timeZone"]) == ("fr", "Europe/Paris")
    assert data["strings"]["nav.logout"] == "Fermer la session"
    # The menu shows the choices made: French selected, Paris first and selected.
    assert '<option value="fr" lang="fr" selected>Français</option>' in text
    assert re.search(r'<select id="pref-timezone" name="timezone">\s*<option selected>'
                     r"Europe/Paris</option>", text)  # fmt: skip

    # Back to the browser's language: one field alone, the zone stays.
    resp = await patch_me(b, {"language": ""})
    assert resp.status == 200
    assert ((await resp.json())["user"]["language"], stored.time_zone) == ("", "Europe/Paris")
    assert '<html lang="en">' in await render(b, home(username), "en-US")
    assert '<html lang="fr">' in await render(b, home(username), "fr-FR,fr;q=0.9")


async def test_time_zone_alone_and_as_user_spells_it(logged_in: Login) -> None:
    b = await logged_in("alice")
    resp = await patch_me(b, {"timezone": "America/New_York"})
    assert (await resp.json())["user"]["time_zone"] == "America/New_York"
    resp = await patch_me(b, {"time_zone": "Asia/Tokyo"})
    assert (await resp.json())["user"]["time_zone"] == "Asia/Tokyo"
    assert (await resp.json())["user"]["language"] == ""
    assert page_data(await render(b, "/agent", "en"))["timeZone"] == "Asia/Tokyo"
    # Nothing to change is no error: the body of GET /api/v1/me.
    resp = await patch_me(b, {})
    assert resp.status == 200 and (await resp.json())["user"]["time_zone"] == "Asia/Tokyo"


async def test_no_session_is_401(browser: Callable[[], Browser]) -> None:
    resp = await patch_me(browser(), {"language": "fr"})
    assert await error_code(resp) == (401, "unauthenticated")


async def test_a_missing_or_wrong_csrf_token_is_403(logged_in: Login, accounts: Accounts) -> None:
    b = await logged_in("alice")
    assert await error_code(await patch_me(b, {"language": "fr"}, csrf="forged")) == (
        403,
        "csrf_failed",
    )
    assert await error_code(await patch_me(b, {"language": "fr"}, csrf="")) == (
        403,
        "csrf_failed",
    )
    cross = await patch_me(b, {"language": "fr"}, headers={"Origin": "https://evil.example"})
    assert await error_code(cross) == (403, "csrf_failed")
    user = await accounts.get("alice")
    assert user is not None and user.language == ""  # nothing changed


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "de"}, "language"),
        ({"language": "EN"}, "language"),
        ({"language": "fr-FR"}, "language"),
        ({"language": None}, "language"),
        ({"language": ["fr"]}, "language"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": "europe/paris"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": "localtime"}, "timezone"),
        ({"timezone": 1}, "timezone"),
        ({"time_zone": "Nowhere"}, "time_zone"),
        ({"language": "fr", "timezone": "Nowhere"}, "timezone"),
        ({"role": "admin"}, "role"),
        ({"timezone": "Europe/Paris", "time_zone": "UTC"}, "timezone"),
    ],
)
async def test_bad_values_are_400_naming_the_field(
    logged_in: Login, accounts: Accounts, body: dict[str, Any], field: str
) -> None:
    b = await logged_in("bob")
    resp = await patch_me(b, body)
    assert await error_code(resp) == (400, "invalid_input")
    assert f"field {field}" in (await resp.json())["error"]["message"]
    user = await accounts.get("bob")
    assert user is not None
    assert (user.language, user.time_zone, user.role) == ("", "", "agent")  # nothing changed


async def test_bodies_that_are_not_a_json_object(logged_in: Login) -> None:
    b = await logged_in("bob")
    assert await error_code(await patch_me(b, ["fr"])) == (400, "invalid_input")
    text = await b.request(
        "PATCH", "/api/v1/me", data=b"fr", headers={"Content-Type": "text/plain"}
    )
    assert await error_code(text) == (415, "unsupported_media_type")
