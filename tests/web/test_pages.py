"""The server-rendered pages: who gets which page, language, escaping, the data handed to
the page modules, and the UI's history endpoints. (What the pages then do in a browser is
tests/integration/browser/.)"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from web_helpers import Browser, Mirror

from standardiste.accounts import Accounts


@pytest.fixture
async def site(
    make_app: Callable[[], web.Application], accounts: Accounts, mirror: Mirror
) -> AsyncIterator[TestServer]:
    app = make_app()
    async with TestServer(app) as srv:
        yield srv


@pytest.fixture
async def visitor(site: TestServer) -> AsyncIterator[Callable[[], Browser]]:
    opened: list[Browser] = []

    def new() -> Browser:
        b = Browser(site)
        opened.append(b)
        return b

    yield new
    for b in opened:
        await b.close()


async def page(b: Browser, path: str, lang: str | None = None) -> aiohttp.ClientResponse:
    headers = {"Accept-Language": lang} if lang else {}
    resp = await b.http.get(b.base + path, headers=headers, allow_redirects=False)
    await resp.read()
    return resp


def page_data(text: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', text, re.S)
    assert found, "no page data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


async def test_anonymous_visitors_are_sent_to_the_login_page(
    visitor: Callable[[], Browser],
) -> None:
    b = visitor()
    for path in ("/", "/supervisor", "/agent"):
        resp = await page(b, path)
        assert resp.status == 303
        assert resp.headers["Location"].startswith("/login")
    login = await page(b, "/login")
    assert login.status == 200
    text = await login.text()
    assert '<html lang="en">' in text
    assert 'id="login-form"' in text and 'autocomplete="current-password"' in text
    assert "script-src 'self'" in login.headers["Content-Security-Policy"]
    assert login.headers["Cache-Control"] == "no-store"


async def test_the_login_page_speaks_the_browsers_language(visitor: Callable[[], Browser]) -> None:
    text = await (await page(visitor(), "/login", "fr-FR,fr;q=0.9,en;q=0.5")).text()
    assert '<html lang="fr">' in text
    assert "Mot de passe" in text and "Se connecter" in text
    assert page_data(text)["strings"]["login.failed"].startswith("Nom d’utilisateur")


async def test_each_role_lands_on_its_page(visitor: Callable[[], Browser]) -> None:
    for username, home in (("sue", "/supervisor"), ("ada", "/supervisor"), ("alice", "/agent")):
        b = visitor()
        assert (await b.login(username)).status == 200
        resp = await page(b, "/")
        assert resp.headers["Location"] == home, username
        assert (await page(b, home)).status == 200
    alice = visitor()
    await alice.login("alice")
    assert (await page(alice, "/supervisor")).headers["Location"] == "/agent"
    sue = visitor()
    await sue.login("sue")
    assert (await page(sue, "/agent")).headers["Location"] == "/supervisor"
    assert (await page(sue, "/login")).headers["Location"] == "/supervisor"


async def test_supervisor_page_carries_its_roster_and_token(visitor: Callable[[], Browser]) -> None:
    b = visitor()
    await b.login("sue")
    text = await (await page(b, "/supervisor")).text()
    data = page_data(text)
    assert data["csrf"] == b.csrf
    assert data["lang"] == "en" and data["timeZone"] == "UTC"
    # sue supervises sales: its agents with a phone, logged in or not.
    assert [a["username"] for a in data["roster"]] == ["alice", "carol"]
    assert data["roster"][0]["devices"] == ["PJSIP/agent1001", "PJSIP/desk1001"]
    assert data["roster"][1]["queues"] == ["sales"]  # not support: sue does not see it
    assert "lunch" in data["pauseReasons"]
    assert '<option value="lunch">Lunch</option>' in text
    assert 'src="/static/js/supervisor.js"' in text
    assert "<script>" not in text  # the CSP forbids inline scripts: there must be none


async def test_supervisor_page_lists_calls_of_the_queues_they_supervise(
    visitor: Callable[[], Browser],
) -> None:
    sue, sam, ada = visitor(), visitor(), visitor()
    for b, name in ((sue, "sue"), (sam, "sam"), (ada, "ada")):
        await b.login(name)
    text = await (await page(sue, "/supervisor")).text()
    data = page_data(text)
    assert data["callQueues"] == ["sales"]
    # The calls' day picker opens on the contact center's today (UTC here).
    assert data["today"] == datetime.now(UTC).date().isoformat()
    assert f'<input type="date" id="calls-date" name="date" value="{data["today"]}">' in text
    assert "Recent calls and recordings" in text
    # sam supervises support and is only an agent in sales: support only.
    assert page_data(await (await page(sam, "/supervisor")).text())["callQueues"] == ["support"]
    # An admin: every queue of the live feed (the page module fills them in).
    assert page_data(await (await page(ada, "/supervisor")).text())["callQueues"] is None
    french = await (await page(sue, "/supervisor", "fr")).text()
    assert "Appels récents et enregistrements" in french


async def test_agent_page_in_the_users_own_language(
    visitor: Callable[[], Browser], accounts: Accounts
) -> None:
    await accounts.update_user("alice", language="fr", time_zone="Europe/Paris")
    b = visitor()
    await b.login("alice")
    text = await (await page(b, "/agent", "en-US")).text()
    assert '<html lang="fr">' in text
    assert "Mon espace" in text and "Cette semaine" in text
    data = page_data(text)
    assert data["timeZone"] == "Europe/Paris"
    assert data["me"] == {
        "username": "alice",
        "devices": ["PJSIP/agent1001", "PJSIP/desk1001"],
        "queues": ["sales"],
    }
    week = data["activity"]["week"]
    assert len(week) == 7 and all(d["queue_answered"] == 0 for d in week)
    # Week rows are labelled on the server, Monday first, in French.
    labels = re.findall(r'<th scope="row">(\w+\. \d\d/\d\d)</th>', text)
    assert [label.split()[0] for label in labels] == [
        "lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.",
    ]  # fmt: skip


async def test_agent_page_offers_the_canned_messages_to_a_role_that_may_play_them(
    visitor: Callable[[], Browser],
) -> None:
    b = visitor()
    await b.login("alice")
    text = await (await page(b, "/agent")).text()
    assert 'id="canned-list"' in text and 'id="canned-stop"' in text
    assert page_data(text)["canned"] == [
        {"id": 1, "name": "Hold on", "language": "en", "seconds": 2.0}
    ]
    admin = visitor()
    await admin.login("ada")
    resp = await admin.request(
        "PUT", "/api/v1/admin/permissions/agent", {"permissions": ["live.view", "workspace.use"]}
    )
    assert resp.status == 200
    text = await (await page(b, "/agent")).text()
    assert 'id="canned"' not in text and page_data(text)["canned"] is None


async def test_data_in_pages_is_escaped(visitor: Callable[[], Browser], accounts: Accounts) -> None:
    evil = "</script><script>alert(1)</script>"
    await accounts.update_user("sue", display_name="Sue <b>&")
    await accounts.update_user("alice", display_name=evil)
    b = visitor()
    await b.login("sue")
    text = await (await page(b, "/supervisor")).text()
    assert "Sue &lt;b&gt;&amp;" in text
    assert evil not in text  # neither in the markup nor breaking out of the JSON block
    assert page_data(text)["roster"][0]["display_name"] == evil


async def test_history_endpoints(visitor: Callable[[], Browser]) -> None:
    b = visitor()
    assert (await page(b, "/api/v1/me/activity")).status == 401
    await b.login("alice")
    resp = await page(b, "/api/v1/me/activity")
    assert resp.status == 200
    body = await resp.json()
    assert set(body) >= {"today", "yesterday", "last_week", "week", "handleTimes"}
    times = await page(b, "/api/v1/handle-times")
    assert (await times.json()) == {"handleTimes": {}}


async def test_static_modules_are_served(visitor: Callable[[], Browser]) -> None:
    b = visitor()
    for path in ("/static/app.css", "/static/js/live.js", "/static/js/supervisor.js"):
        resp = await page(b, path)
        assert resp.status == 200, path
    assert "javascript" in (await page(b, "/static/js/live.js")).headers["Content-Type"]
