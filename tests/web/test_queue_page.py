"""The queue detail page (QD-1..QD-3), ``/supervisor/queues/<name>``: who may open it, what
it is rendered with, both languages, escaping. (What it does in a browser, on the live
sandbox: tests/integration/browser/test_queue_detail_browser.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from web_helpers import Browser, Mirror, queue

from standardiste.accounts import Accounts
from standardiste.web.i18n import catalog

Login = Callable[[str], Awaitable[Browser]]


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


def heading(text: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", text, re.S)
    assert found, "no heading"
    return re.sub(r"\s+", " ", found.group(1)).strip()


async def test_a_supervisor_opens_a_queue_they_supervise(logged_in: Login) -> None:
    sue = await logged_in("sue")
    resp = await page(sue, "/supervisor/queues/sales")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    text = await resp.text()
    assert heading(text) == 'Queue Sales <span class="subtitle-inline">(sales)</span>'
    assert 'src="/static/js/queue.js"' in text
    assert 'id="live-status"' in text  # it follows the live feed
    assert "<script>" not in text  # the CSP forbids inline scripts
    data = page_data(text)
    assert data["queue"] == "sales"
    assert data["csrf"] == sue.csrf
    assert data["me"] == {"username": "sue", "devices": ["PJSIP/sup2001"]}
    # The users assigned to the queue with a phone, logged in or not (QD-3 logs them in).
    assert [a["username"] for a in data["roster"]] == ["alice", "carol"]
    assert data["roster"][0]["devices"] == ["PJSIP/agent1001", "PJSIP/desk1001"]
    assert "overview.view" in data["permissions"] and "agents.control" in data["permissions"]
    assert "lunch" in data["pauseReasons"]
    assert '<option value="lunch">Lunch</option>' in text
    # QD-1 tiles, QD-2 callers, QD-3 agents with their filter and the log-in form.
    for element_id in ("qd-handled", "qd-longest-wait", "qd-caller-rows", "qd-agent-rows",
                       "filter-logged-in", "filter-assigned", "qd-login-form"):  # fmt: skip
        assert f'id="{element_id}"' in text, element_id


async def test_the_overview_figures_are_in_the_supervisors_terms(logged_in: Login) -> None:
    """Labels come from the catalog (the tiles of the overview, reused)."""
    text = await (await page(await logged_in("sue"), "/supervisor/queues/sales")).text()
    en = catalog("en")
    for key in ("figure.handled", "figure.abandoned", "figure.timed_out", "figure.waiting",
                "figure.longest_wait", "sv.waiting_callers", "qd.filter_logged_in"):  # fmt: skip
        assert en[key] in text, key


async def test_who_may_open_which_queue(logged_in: Login) -> None:
    sue, sam, ada, alice = [await logged_in(n) for n in ("sue", "sam", "ada", "alice")]
    # sam supervises support; in sales he is only an agent.
    assert (await page(sam, "/supervisor/queues/support")).status == 200
    refused = await page(sam, "/supervisor/queues/sales")
    assert refused.status == 403
    text = await refused.text()
    assert "Access refused" in text and "You do not supervise the queue sales." in text
    assert 'src="/static/js/message.js"' in text  # sign out and the language menu work there
    assert 'id="live-status"' not in text
    # A name that does not exist gets the same answer: it does not say which queues exist.
    unknown = await page(sue, "/supervisor/queues/nowhere")
    assert unknown.status == 403
    assert "You do not supervise the queue nowhere." in await unknown.text()
    # An admin opens any queue; one that does not exist is not found.
    assert (await page(ada, "/supervisor/queues/support")).status == 200
    missing = await page(ada, "/supervisor/queues/nowhere")
    assert missing.status == 404
    assert "There is no queue nowhere." in await missing.text()
    assert (await page(ada, "/supervisor/queues/not%20a%20queue")).status == 404
    # An agent's role does not see the overview: refused, naming the permission.
    agent = await page(alice, "/supervisor/queues/sales")
    assert agent.status == 403
    permission = catalog("en")["perm.overview.view"]
    assert f"does not have the permission “{permission}”" in await agent.text()


async def test_a_queue_asterisk_runs_without_our_configuration(
    logged_in: Login, mirror: Mirror
) -> None:
    """A queue of queues.conf that Standardiste does not manage: seen live, shown by name."""
    await mirror.change("queue", "legacy", queue("legacy"))
    resp = await page(await logged_in("ada"), "/supervisor/queues/legacy")
    assert resp.status == 200
    assert heading(await resp.text()) == "Queue legacy"


async def test_a_permission_taken_in_the_matrix_closes_the_page(logged_in: Login) -> None:
    ada, sue = await logged_in("ada"), await logged_in("sue")
    matrix = await (await ada.get("/api/v1/admin/permissions")).json()
    held = [p for p in matrix["roles"]["supervisor"] if p != "overview.view"]
    resp = await ada.request("PUT", "/api/v1/admin/permissions/supervisor", {"permissions": held})
    assert resp.status == 200
    assert (await page(sue, "/supervisor/queues/sales")).status == 403


async def test_actions_show_with_the_permissions_that_allow_them(logged_in: Login) -> None:
    """Take and transfer need callers.transfer, listen/whisper/barge calls.spy (both come
    with their APIs); log in, pause, ... need agents.control."""
    ada, sue = await logged_in("ada"), await logged_in("sue")
    matrix = await (await ada.get("/api/v1/admin/permissions")).json()
    held = [p for p in matrix["roles"]["supervisor"] if p != "agents.control"]
    resp = await ada.request("PUT", "/api/v1/admin/permissions/supervisor", {"permissions": held})
    assert resp.status == 200
    text = await (await page(sue, "/supervisor/queues/sales")).text()
    assert 'id="qd-login-form"' not in text
    data = page_data(text)
    assert "agents.control" not in data["permissions"]
    admin_text = await (await page(ada, "/supervisor/queues/sales")).text()
    assert 'id="qd-login-form"' in admin_text
    granted = set(page_data(admin_text)["permissions"])
    assert ('id="transfer-dialog"' in admin_text) == ("callers.transfer" in granted)


async def test_the_log_in_comes_back_to_the_queue(browser: Callable[[], Browser]) -> None:
    b = browser()
    resp = await page(b, "/supervisor/queues/sales")
    assert resp.status == 303
    assert resp.headers["Location"] == "/login?next=/supervisor/queues/sales"
    assert (await b.login("sue")).status == 200
    back = await page(b, "/login?next=/supervisor/queues/sales")
    assert back.headers["Location"] == "/supervisor/queues/sales"
    # Not somewhere else, nor a path that only looks like a queue's.
    looks_like = ("/supervisor/queues/a/../../admin", "/supervisor/queues/")
    for elsewhere in ("//evil.example/x", *looks_like):
        resp = await page(b, f"/login?next={elsewhere}")
        assert resp.headers["Location"] == "/supervisor", elsewhere


async def test_the_page_in_french(logged_in: Login, accounts: Accounts) -> None:
    await accounts.update_user("sue", language="fr")
    sue = await logged_in("sue")
    text = await (await page(sue, "/supervisor/queues/sales", "en-US")).text()
    assert '<html lang="fr">' in text
    assert heading(text).startswith("File Sales")
    fr = catalog("fr")
    for key in ("sv.waiting_callers", "qd.filter_logged_in", "qd.filter_assigned", "qd.login_title",
                "qd.hold_time", "figure.longest_wait"):  # fmt: skip
        assert fr[key] in text, key
    refused = await (await page(sue, "/supervisor/queues/support")).text()
    assert "Vous ne supervisez pas la file support." in refused


async def test_data_on_the_page_is_escaped(logged_in: Login, accounts: Accounts) -> None:
    evil = "</script><script>alert(1)</script>"
    await accounts.update_user("alice", display_name=evil)
    await accounts.update_user("sue", display_name="Sue <b>&")
    text = await (await page(await logged_in("sue"), "/supervisor/queues/sales")).text()
    assert "Sue &lt;b&gt;&amp;" in text
    assert evil not in text  # neither in the markup nor breaking out of the JSON block
    assert page_data(text)["roster"][0]["display_name"] == evil
