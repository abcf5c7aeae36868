"""The campaign pages as each role sees them: a campaign's page (CD-1..CD-6) for the
supervisors of its queue only, the missed calls (SV-10), the overview's campaign cards
(SV-7), the agent's workspace ready for a campaign's call (AG-4), the CF-4 form with every
setting labelled and explained, in English and French. (What they do in a browser:
tests/integration/browser/test_campaign_browser.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from web_helpers import Browser

from standardiste.dialer.campaign import CampaignDef
from standardiste.web.i18n import catalog

Login = Callable[[str], Awaitable[Browser]]
_KEY = re.compile(
    r">\s*((?:cd|mc|dnc|campaign|contact|dial|import|figure|ag|sv|admin|perm|role)\.[a-z0-9_.]+)\s*<"
)


async def page(b: Browser, path: str, lang: str = "en") -> aiohttp.ClientResponse:
    resp = await b.http.get(b.base + path, headers={"Accept-Language": lang},
                            allow_redirects=False)  # fmt: skip
    await resp.read()
    return resp


def markup(text: str) -> str:
    """The page without its JSON data block (it holds the catalog, keys included)."""
    return re.sub(r'<script type="application/json" id="page-data">.*?</script>', "", text,
                  flags=re.S)  # fmt: skip


def data_of(text: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', text, re.S)
    assert found
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def untranslated(text: str) -> list[str]:
    return _KEY.findall(re.sub(r"<code[^>]*>.*?</code>", "", markup(text), flags=re.S))


async def test_a_campaigns_page_for_the_supervisors_of_its_queue(logged_in: Login) -> None:
    sue = await logged_in("sue")
    for lang in ("en", "fr"):
        resp = await page(sue, "/supervisor/campaigns/winter", lang)
        assert resp.status == 200
        text = await resp.text()
        assert untranslated(text) == []
        strings = catalog(lang)
        for key in ("cd.pause", "cd.tab_contacts", "cd.tab_agents", "cd.import_title",
                    "cd.active_calls", "figure.calls_made"):  # fmt: skip
            assert strings[key].replace("’", "&#39;")[:12] in text or strings[key][:12] in text
        data = data_of(text)
        assert (data["campaign"], data["queue"], data["canControl"]) == ("winter", "sales", True)
        assert data["card"]["contacts_left"] == 7  # the live card
        # CD-6: the queue's agents section, as on the queue's page.
        assert 'id="qd-agent-rows"' in text and 'id="qd-login-form"' in text
        assert [a["username"] for a in data["roster"]] == ["alice", "carol"]
        assert "<script>" not in text
    sam = await logged_in("sam")  # supervisor of support, not of sales
    for name in ("winter", "nothing"):
        resp = await page(sam, f"/supervisor/campaigns/{name}")
        assert resp.status == 403
    alice = await logged_in("alice")
    resp = await page(alice, "/supervisor/campaigns/winter")
    assert resp.status == 403 and "campaigns" in await resp.text()
    ada = await logged_in("ada")
    assert (await page(ada, "/supervisor/campaigns/nothing")).status == 404


async def test_the_missed_calls_page(logged_in: Login) -> None:
    for username, queues in (("sue", ["sales"]), ("ada", ["sales", "support"])):
        b = await logged_in(username)
        for lang in ("en", "fr"):
            resp = await page(b, "/supervisor/missed-calls", lang)
            assert resp.status == 200
            text = await resp.text()
            assert untranslated(text) == []
            assert data_of(text)["queues"] == queues
            assert 'id="assign-form"' in text and 'id="select-all"' in text
    resp = await page(await logged_in("bob"), "/supervisor/missed-calls")
    assert resp.status == 403


async def test_pages_open_after_the_log_in(browser: Callable[[], Browser]) -> None:
    b = browser()
    for path in ("/supervisor/campaigns/winter", "/supervisor/missed-calls"):
        resp = await page(b, path)
        assert resp.headers["Location"] == f"/login?next={path}"
        await b.login("sue")
        resp = await page(b, f"/login?next={path}")
        assert resp.headers["Location"] == path
        await b.request("DELETE", "/api/v1/session")


async def test_the_overview_has_the_campaign_cards_and_the_workspace_the_call(
    logged_in: Login,
) -> None:
    sue = await logged_in("sue")
    text = await (await page(sue, "/supervisor")).text()
    assert 'id="campaign-cards"' in text and 'href="/supervisor/missed-calls"' in text
    assert list(data_of(text)["campaigns"]) == ["winter"]
    sam = await logged_in("sam")
    assert list(data_of(await (await page(sam, "/supervisor")).text())["campaigns"]) == ["help"]
    alice = await logged_in("alice")
    for lang in ("en", "fr"):
        text = await (await page(alice, "/agent", lang)).text()
        assert untranslated(text) == []
        assert 'id="dial-panel"' in text and 'id="dial-call"' in text
        assert 'id="my-campaign-cards"' in text
        # AG-4: the campaigns of her queue (sales), to log in and out of.
        assert list(data_of(text)["campaigns"]) == ["winter"]


def _settings(values: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in values.items():
        if isinstance(value, dict) and key != "hours":
            out |= _settings(value, f"{prefix}{key}.")
        else:
            out.add(f"{prefix}{key}")
    return out


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_the_campaign_form_has_every_setting_labelled_and_explained(
    logged_in: Login, lang: str
) -> None:
    every = _settings(CampaignDef.parse({"name": "x", "queue": "sales"}).to_dict())
    ada = await logged_in("ada")
    text = markup(await (await page(ada, "/admin/new-campaign", lang)).text())
    assert untranslated(text) == []
    names = set(re.findall(r'<(?:input|select|textarea)[^>]* name="([\w.]+)"', text))
    hours = {n for n in names if n.startswith("schedule.hours.")}
    assert len(hours) == 7 * 2 * 2  # two spans a day, start and end
    assert (names - hours) - {"language", "timezone"} == (every - {"schedule.hours"}) | {"name"}
    for name in every - {"schedule.hours", "call_window.start", "call_window.end"}:
        tag = re.search(rf'<(?:input|select|textarea)[^>]* name="{re.escape(name)}"[^>]*>', text)
        assert tag, name
        if name != "missed_queues":
            assert re.search(r'id="([^"]+)"', tag.group(0)), name
    # Every setting's help is its own sentence (no key shown as itself, checked above).
    assert text.count('class="help"') >= 20
    # The defaults of a new campaign: CampaignDef's; the drop cap in percent.
    assert re.search(r'name="drop_cap"[^>]*value="3"', text)
    assert re.search(r'name="retry.max_attempts"[^>]*value="3"', text)
    assert re.search(r'name="schedule.hours.mon.0.start"[^>]*value="09:00"', text)
    sue = await logged_in("sue")
    text = await (await page(sue, "/admin/campaigns/winter", lang)).text()
    assert "<fieldset disabled>" in text and 'id="campaign-save"' not in text  # read-only
    assert (await page(sue, "/admin/campaigns/help", lang)).status == 404  # sam's
