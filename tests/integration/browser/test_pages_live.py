"""What supervisors and agents see and do in the browser, checked against Asterisk itself.

Each step is asserted on the page (what a person would notice) and, for actions, on what
Asterisk reports through the test's own AMI session (QueueStatus), never on our own model.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ami_raw import RawAMI
from live import eventually
from playwright.async_api import Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Fixtures live in browser_support (not a conftest.py: see there); importing them is what
# makes them apply to this module.
from browser_support import (  # noqa: E402
    ALICE,
    BOB,
    LogIn,
    Shot,
    Site,
    chromium_fixture,  # noqa: F401
    log_in_fixture,  # noqa: F401
    shot_fixture,  # noqa: F401
    site_fixture,  # noqa: F401
)

from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.tools.sipp import AgentPhone, place_call
from standardiste.web.appkeys import ACCOUNTS, HUB

LIVE_TIMEOUT = 10_000  # ms: a change must reach the page well within this


async def members(ami: RawAMI, queue: str) -> dict[str, tuple[str, str]]:
    """Asterisk's members of ``queue``: interface -> (Paused, PausedReason)."""
    return {
        m["Location"]: (m.get("Paused", ""), m.get("PausedReason", ""))
        for m in await ami.action_list("QueueStatus", Queue=queue)
        if m.get("Event") == "QueueMember"
    }


def agent_row(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("#agent-rows tr", has=page.locator("th", has_text=name))


async def test_supervisor_sees_a_caller_wait_then_get_answered(
    bridge: Bridge, ami: RawAMI, log_in: LogIn, shot: Shot, tmp_path: Path
) -> None:
    async with AgentPhone("1001", 5071, answer_delay_s=3.0, log_dir=tmp_path) as phone:
        await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"), member_name="Alice")
        page = await log_in("sue")
        alice = agent_row(page, "Alice")
        await expect(alice.locator(".badge")).to_have_text("Ready", timeout=LIVE_TIMEOUT)
        handled_before = int(await page.locator("#sv-handled").inner_text())
        await shot(page, "1-before-call")

        caller = await place_call("5000", "0611000001", hangup_after_s=8, log_dir=tmp_path)
        try:
            # Assertions name this caller and this agent: they hold even if something else
            # happens on the same Asterisk meanwhile.
            waiting = page.locator("#caller-rows tr", has_text="0611000001")
            await expect(waiting).to_have_count(1, timeout=LIVE_TIMEOUT)
            await expect(waiting).to_contain_text("sales")
            await expect(waiting.locator("td").last).to_have_text("Ringing Alice")
            await shot(page, "2-caller-waiting")

            # Alice's phone answers: the caller leaves the line and is talking to Alice.
            await expect(waiting).to_have_count(0, timeout=LIVE_TIMEOUT)
            await expect(alice.locator(".badge")).to_have_text("In a call")
            await expect(alice.locator("td").nth(2)).to_have_text("0611000001")
            await shot(page, "3-call-answered")
            assert phone.count("ANSWERED") == 1

            result = await caller.wait_result(30)
            assert result.answered
        finally:
            await caller.close()
        # The call ended: Alice is free again and the call counts as handled today.
        await expect(alice.locator("td").nth(2)).to_have_text("", timeout=LIVE_TIMEOUT)
        await expect(alice.locator(".badge")).not_to_have_text("In a call")
        handled_after = int(await page.locator("#sv-handled").inner_text())
        assert handled_after >= handled_before + 1
        await shot(page, "4-call-ended")


async def test_supervisor_pauses_an_agent_with_a_reason(
    bridge: Bridge, ami: RawAMI, log_in: LogIn, shot: Shot
) -> None:
    await bridge.agents.log_in(BOB, ["sales", "support"], by=Actor("bob"), member_name="Bob")
    page = await log_in("sue")
    bob = agent_row(page, "Bob")
    await expect(bob.locator(".badge")).to_have_text("Ready", timeout=LIVE_TIMEOUT)

    await bob.locator("select").select_option("lunch")
    await bob.get_by_role("button", name="Pause: Bob").click()
    await expect(bob.locator(".badge")).to_have_text("Paused", timeout=LIVE_TIMEOUT)
    await expect(bob.locator(".detail")).to_have_text("Lunch · forced by a supervisor")
    await expect(page.locator("#sv-paused-hint")).to_contain_text("Bob")
    await shot(page, "1-paused")

    for queue in ("sales", "support"):
        assert (await members(ami, queue))[BOB] == ("1", "lunch"), queue

    # And back: resumed in Asterisk too.
    await bob.get_by_role("button", name="Resume: Bob").click()
    await expect(bob.locator(".badge")).to_have_text("Ready", timeout=LIVE_TIMEOUT)
    assert (await members(ami, "sales"))[BOB][0] == "0"
    await shot(page, "2-resumed")


async def test_agent_logs_in_pauses_and_resumes(ami: RawAMI, log_in: LogIn, shot: Shot) -> None:
    page = await log_in("alice")
    status = page.locator("#my-status")
    await expect(status).to_have_text("Logged out")
    await shot(page, "1-logged-out")

    await page.click("#login-btn")
    await expect(status).to_have_text("Ready", timeout=LIVE_TIMEOUT)
    await expect(page.locator("#my-queue-cards li", has_text="sales")).to_contain_text("Ready")
    assert (await members(ami, "sales")).get(ALICE) == ("0", "")
    await shot(page, "2-logged-in")

    await page.select_option("#pause-reason", "break")
    await page.click("#pause-btn")
    await expect(status).to_have_text("Paused · Break", timeout=LIVE_TIMEOUT)
    assert (await members(ami, "sales"))[ALICE] == ("1", "break")
    await shot(page, "3-paused")

    await page.click("#resume-btn")
    await expect(status).to_have_text("Ready", timeout=LIVE_TIMEOUT)
    assert (await members(ami, "sales"))[ALICE] == ("0", "")
    await shot(page, "4-resumed")

    await page.click("#logout-btn")
    await expect(status).to_have_text("Logged out", timeout=LIVE_TIMEOUT)
    await eventually(lambda: members(ami, "sales"), lambda m: ALICE not in m, 5, "logged out")
    await shot(page, "5-logged-out-again")


async def test_french_interface(bridge: Bridge, log_in: LogIn, shot: Shot) -> None:
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"), member_name="Alice")
    # Solène chose French; her browser asks for English: her choice wins.
    page = await log_in("solene", locale="en-US")
    assert await page.get_attribute("html", "lang") == "fr"
    await expect(page.locator("h1")).to_have_text("Vue en temps réel")
    await expect(page.locator("#live-status")).to_have_text("En direct")
    await expect(page.locator("#sv-agents-heading")).to_have_text("Agents")
    await expect(page.locator("#sv-callers-heading")).to_have_text(
        "Appelants en attente de réponse"
    )
    alice = agent_row(page, "Alice")
    await expect(alice.locator(".badge")).to_have_text("Disponible", timeout=LIVE_TIMEOUT)
    await expect(alice.get_by_role("button", name="Mettre en pause : Alice")).to_be_visible()
    await expect(alice.locator("select option[value=lunch]")).to_have_text("Déjeuner")
    await page.click("#queue-view")
    await expect(page.locator("#queue-table")).to_be_visible()
    await expect(page.locator("#queue-table thead")).to_contain_text("Durée moyenne d’appel")
    await shot(page, "1-supervisor-fr")

    # Bob left the language to his browser, which asks for French.
    agent = await log_in("bob", locale="fr-FR")
    await expect(agent.locator("h1")).to_have_text("Mon espace")
    await expect(agent.locator("#my-status")).to_have_text("Déconnecté")
    await expect(agent.locator("#week-table tbody th").first).to_have_text(
        re.compile(r"^lun\. \d\d/\d\d$")
    )
    await shot(agent, "2-agent-fr")


async def test_agent_chooses_french_then_the_browsers_language(
    site: Site, log_in: LogIn, shot: Shot
) -> None:
    # Bob left the language to his browser, which asks for English.
    page = await log_in("bob", locale="en-US")
    await expect(page.locator("h1")).to_have_text("My workspace")
    prefs = page.locator("#prefs summary")
    await expect(prefs).to_have_text("Language / Langue · Time zone")

    # By keyboard: the menu takes the focus, Enter opens it.
    await prefs.focus()
    await page.keyboard.press("Enter")
    language = page.get_by_label("Language / Langue")
    await expect(language).to_be_visible()
    await expect(language).to_have_value("")  # "Browser default"
    await language.select_option(label="Français")
    await page.get_by_label("Time zone").select_option("Europe/Paris")
    await shot(page, "1-menu-en")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Save and reload").click()

    # Reloaded: rendered in French, the live feed back, the choices kept.
    await expect(page.locator("h1")).to_have_text("Mon espace")
    assert await page.get_attribute("html", "lang") == "fr"
    await expect(page.locator("#live-status")).to_have_text("En direct", timeout=LIVE_TIMEOUT)
    await expect(page.locator("#my-status")).to_have_text("Déconnecté")
    await expect(page.get_by_role("button", name="Fermer la session")).to_be_visible()
    await expect(page.locator("#prefs summary")).to_have_text("Langue / Language · Fuseau horaire")
    await expect(page.locator("#pref-language")).to_have_value("fr")
    await expect(page.locator("#pref-timezone")).to_have_value("Europe/Paris")
    bob = await site.app[ACCOUNTS].get("bob")
    assert bob is not None and (bob.language, bob.time_zone) == ("fr", "Europe/Paris")
    await shot(page, "2-french")

    # And back to the browser's language: English again, the time zone kept.
    await page.locator("#prefs summary").click()
    await page.get_by_label("Langue / Language").select_option(label="Langue du navigateur")
    await shot(page, "3-menu-fr")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Enregistrer et recharger").click()
    await expect(page.locator("h1")).to_have_text("My workspace")
    assert await page.get_attribute("html", "lang") == "en"
    await expect(page.locator("#live-status")).to_have_text("Live", timeout=LIVE_TIMEOUT)
    await expect(page.locator("#pref-language")).to_have_value("")
    bob = await site.app[ACCOUNTS].get("bob")
    assert bob is not None and (bob.language, bob.time_zone) == ("", "Europe/Paris")
    await shot(page, "4-browser-default")


async def test_agent_sees_their_call_then_todays_count(
    bridge: Bridge, log_in: LogIn, shot: Shot, tmp_path: Path
) -> None:
    async with AgentPhone("1001", 5071, answer_delay_s=0.5, log_dir=tmp_path):
        page = await log_in("alice")
        today = page.locator('#today-cards [data-kind="queue_answered"] [data-today]')
        await expect(today).to_have_text("0")
        await page.click("#login-btn")
        await expect(page.locator("#my-status")).to_have_text("Ready", timeout=LIVE_TIMEOUT)

        caller = await place_call("5000", "0611000002", hangup_after_s=4, log_dir=tmp_path)
        try:
            await expect(page.locator("#my-call")).to_contain_text(
                "In a call with 0611000002 (sales)", timeout=LIVE_TIMEOUT
            )
            await expect(page.locator("#my-status")).to_have_text("In a call")
            await shot(page, "1-in-a-call")
            assert (await caller.wait_result(30)).answered
        finally:
            await caller.close()
        # The history has the call: AG-5's card and AG-6's row for today count it.
        await expect(page.locator("#my-call")).to_be_hidden(timeout=LIVE_TIMEOUT)
        await expect(today).to_have_text("1", timeout=LIVE_TIMEOUT)
        await expect(
            page.locator('#week-table tr[aria-current="date"] [data-kind="queue_answered"]')
        ).to_have_text("1")
        await page.check("#against-last-week")
        await expect(
            page.locator('#today-cards [data-kind="queue_answered"] [data-other-label]')
        ).to_have_text("Same day last week")
        await shot(page, "2-after-the-call")


async def test_pages_recover_from_a_dropped_feed_and_a_resync(
    bridge: Bridge, site: Site, log_in: LogIn, shot: Shot
) -> None:
    page = await log_in("sue")
    status = page.locator("#live-status")

    # The server drops every websocket: the page reconnects and takes a fresh snapshot.
    await site.app[HUB].close_all()
    await expect(status).to_have_attribute("data-state", "live", timeout=LIVE_TIMEOUT)
    await bridge.agents.log_in(BOB, ["support"], by=Actor("bob"), member_name="Bob")
    await expect(agent_row(page, "Bob").locator(".badge")).to_have_text(
        "Ready", timeout=LIVE_TIMEOUT
    )

    # A client too slow to keep up is told to resync: same outcome, nothing missed.
    hub = site.app[HUB]
    await eventually(lambda: _count(hub.clients), lambda n: n == 1, 5, "page reconnected")
    (client,) = hub.clients
    while client.offer('{"type":"noop"}'):
        pass  # fill its buffer without yielding: the pump cannot drain it meanwhile
    await bridge.agents.pause(BOB, "meeting", by=Actor("sue", supervisor=True))
    await expect(agent_row(page, "Bob").locator(".badge")).to_have_text(
        "Paused", timeout=LIVE_TIMEOUT
    )
    await expect(status).to_have_attribute("data-state", "live")
    await shot(page, "after-resync")


async def _count(items: object) -> int:
    return len(items)  # type: ignore[arg-type]
