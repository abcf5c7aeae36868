"""The queue detail page (QD-1..QD-3) in a real browser, on the live sandbox: opened from the
overview's queue card, a real sipp caller waiting in it, its agents grouped or A to Z, a user
logged in, paused and logged out from it — each action checked against what Asterisk itself
reports (QueueStatus through the test's own AMI session), never against our own model.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ami_raw import RawAMI
from live import eventually
from playwright.async_api import Locator, Page, Route, expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Fixtures live in browser_support (not a conftest.py: see there); importing them is what
# makes them apply to this module.
from browser_support import (  # noqa: E402
    BOB,
    PASSWORD,
    LogIn,
    Shot,
    Site,
    chromium_fixture,  # noqa: F401
    log_in_fixture,  # noqa: F401
    shot_fixture,  # noqa: F401
    site_fixture,  # noqa: F401
)

from standardiste.acd.state import Change
from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.tools.sipp import AgentPhone, place_call
from standardiste.web.appkeys import ACCOUNTS

LIVE_TIMEOUT = 10_000  # ms: a change must reach the page well within this
DURATION = re.compile(r"^\d+:\d\d$")


async def members(ami: RawAMI, queue: str) -> dict[str, tuple[str, str]]:
    """Asterisk's members of ``queue``: interface -> (Paused, PausedReason)."""
    return {
        m["Location"]: (m.get("Paused", ""), m.get("PausedReason", ""))
        for m in await ami.action_list("QueueStatus", Queue=queue)
        if m.get("Event") == "QueueMember"
    }


async def open_queue(page: Page, site: Site, queue: str) -> None:
    """From the overview, a click on the queue's card (not on its link: anywhere on it)."""
    card = page.locator("#queue-cards li", has=page.locator("h3", has_text=queue))
    await card.locator("dl").click()
    await page.wait_for_url(f"{site.base}/supervisor/queues/{queue}")
    await expect(page.locator("#live-status")).to_have_attribute(
        "data-state", "live", timeout=LIVE_TIMEOUT
    )


def agent_row(page: Page, name: str) -> Locator:
    return page.locator("#qd-agent-rows tr[data-agent]", has=page.locator("th", has_text=name))


def caller_row(page: Page, number: str) -> Locator:
    return page.locator("#qd-caller-rows tr", has_text=number)


async def count(items: list[Any]) -> int:
    return len(items)


async def test_supervisor_follows_a_queue_and_logs_an_agent_in(
    bridge: Bridge, ami: RawAMI, site: Site, log_in: LogIn, shot: Shot, tmp_path: Path
) -> None:
    # Bob's phone answers after 3 s and hangs up after 15 s of talk: time to look at the call.
    bob_phone = AgentPhone("1002", 5072, answer_delay_s=3.0, hangup_after_s=15, log_dir=tmp_path)
    async with bob_phone as phone:
        page = await log_in("sue")
        await open_queue(page, site, "sales")
        # The sandbox's queues are Asterisk's (none stored here): shown by their names.
        await expect(page.locator("h1")).to_have_text("Queue sales")
        await expect(page).to_have_title(re.compile("^Queue sales"))

        # Nobody is logged in: a real caller waits in line, the figures count them.
        caller = await place_call("5000", "0611000031", hangup_after_s=60, log_dir=tmp_path)
        try:
            waiting = caller_row(page, "0611000031")
            await expect(waiting).to_have_count(1, timeout=LIVE_TIMEOUT)
            await expect(waiting.locator("td").nth(1)).to_have_text("In line")
            await expect(waiting.locator("td").nth(3)).to_have_text(DURATION)
            await expect(page.locator("#qd-waiting")).to_have_text("1")
            await expect(page.locator("#qd-longest-wait-hint")).to_have_text("0611000031")
            await expect(page.locator("#qd-agents-empty")).to_have_text(
                "No agent is logged in to this queue."
            )
            await shot(page, "1-caller-waiting")

            # Everyone assigned, A to Z, logged out, each phone's state as a dot.
            await page.get_by_label("Everyone assigned, A to Z").check()
            rows = page.locator("#qd-agent-rows tr[data-agent] th .name")
            await expect(rows).to_have_text(["Alice", "Bob"])
            bob = agent_row(page, "Bob")
            await expect(bob.locator(".badge")).to_have_text("Logged out")
            await expect(bob.locator(".dot")).to_have_attribute(
                "aria-label", "PJSIP/agent1002: available", timeout=LIVE_TIMEOUT
            )
            await shot(page, "2-everyone-assigned")

            # Log Bob in from the page, choosing his phone: Asterisk has him in sales.
            await page.get_by_label("User", exact=True).select_option("bob")
            await expect(page.get_by_label("Phone", exact=True)).to_have_value(BOB)
            await page.get_by_role("button", name="Log in", exact=True).click()
            await expect(page.locator("#qd-agents-status")).to_have_text(
                f"Bob is logged in with {BOB}.", timeout=LIVE_TIMEOUT
            )
            await eventually(lambda: members(ami, "sales"), lambda m: BOB in m, 5, "Bob in")

            # The caller rings Bob's phone, then Bob talks to them.
            await expect(waiting.locator("td").nth(1)).to_have_text(
                "Ringing Bob", timeout=LIVE_TIMEOUT
            )
            await shot(page, "3-ringing")
            await expect(waiting).to_have_count(0, timeout=LIVE_TIMEOUT)
            await page.get_by_label("Logged in to this queue, by state").check()
            await expect(page.locator("#qd-agent-rows tr.group")).to_have_text(["In a call: 1"])
            await expect(bob.locator(".badge")).to_have_text("In a call")
            await expect(bob.locator("td").nth(2)).to_have_text("0611000031")
            talk = bob.locator("td").nth(4)
            await expect(talk).to_have_text(DURATION)
            await expect(talk).to_have_attribute("data-running", "")  # bold: talking
            await expect(bob.locator("td").nth(3)).not_to_have_attribute("data-running", "")
            await expect(page.locator("#qd-connected")).to_have_text("1")
            # Today's service level, against the queue's target, in words and colour.
            level = page.locator("#qd-service-level")
            await expect(level).to_contain_text("target", timeout=LIVE_TIMEOUT)
            await expect(level).to_have_attribute("data-sl", re.compile("^(ok|near|below)$"))
            await expect(page.locator("#qd-service-level-hint")).to_contain_text("answered within")

            # The details, by keyboard: the call, the phones, no other call.
            expander = bob.get_by_role("button", name="Details: Bob")
            await expander.focus()
            await page.keyboard.press("Enter")
            await expect(expander).to_have_attribute("aria-expanded", "true")
            details = page.locator(f"#{await expander.get_attribute('aria-controls')}")
            await expect(details).to_be_visible()
            await expect(details).to_contain_text("In a call with 0611000031, who waited")
            await expect(details).to_contain_text(f"{BOB}: in use for")
            await expect(details).to_contain_text("No other call.")
            await shot(page, "4-in-a-call")
            await page.keyboard.press("Space")
            await expect(details).to_be_hidden()
            assert phone.count("ANSWERED") == 1
            assert (await caller.wait_result(60)).answered  # Bob hung up
        finally:
            await caller.close()

        # The call ended: Bob takes calls again; pause him with a reason, then log him out.
        await expect(bob.locator("td").nth(2)).to_have_text("", timeout=LIVE_TIMEOUT)
        await expect(bob.locator(".badge")).not_to_have_text("In a call")
        await bob.get_by_label("Pause reason for Bob").select_option("lunch")
        await bob.get_by_role("button", name="Pause: Bob").click()
        await expect(bob.locator(".badge")).to_have_text("Paused", timeout=LIVE_TIMEOUT)
        await expect(bob.locator(".detail")).to_have_text("Lunch · forced by a supervisor")
        await expect(page.locator("#qd-agent-rows tr.group")).to_have_text(["Paused: 1"])
        await expect(page.locator("#qd-paused-hint")).to_have_text("Bob")
        assert (await members(ami, "sales"))[BOB] == ("1", "lunch")
        await shot(page, "5-paused")

        await bob.get_by_role("button", name="Resume: Bob").click()
        await expect(bob.locator(".badge")).to_have_text(
            re.compile("^(Ready|Wrap-up)$"), timeout=LIVE_TIMEOUT
        )
        assert (await members(ami, "sales"))[BOB][0] == "0"
        await bob.get_by_role("button", name="Log out: Bob").click()
        await expect(page.locator("#qd-agents-empty")).to_be_visible(timeout=LIVE_TIMEOUT)
        await eventually(lambda: members(ami, "sales"), lambda m: BOB not in m, 5, "Bob out")
        await shot(page, "6-logged-out")


async def test_the_queue_page_in_french(
    bridge: Bridge, ami: RawAMI, site: Site, log_in: LogIn, shot: Shot, tmp_path: Path
) -> None:
    # Solène chose French; her browser asks for English: her choice wins.
    page = await log_in("solene", locale="en-US")
    await open_queue(page, site, "support")
    assert await page.get_attribute("html", "lang") == "fr"
    await expect(page.locator("h1")).to_have_text("File support")
    await expect(page.locator("#live-status")).to_have_text("En direct")

    # Bob's phone rings and rings: it answers long after this test.
    async with AgentPhone("1002", 5072, answer_delay_s=120, log_dir=tmp_path):
        caller = await place_call("5001", "0611000032", hangup_after_s=30, log_dir=tmp_path)
        try:
            waiting = caller_row(page, "0611000032")
            await expect(waiting).to_have_count(1, timeout=LIVE_TIMEOUT)
            await expect(waiting.locator("td").nth(1)).to_have_text("En file")
            await expect(page.locator("#qd-callers-heading")).to_have_text(
                "Appelants en attente de réponse"
            )
            await expect(page.locator("#qd-agents-empty")).to_have_text(
                "Aucun agent n’est connecté à cette file."
            )

            # Only Bob is assigned to support; one phone: the row's button logs him in.
            await page.get_by_label("Tous les affectés, de A à Z").check()
            bob = agent_row(page, "Bob")
            await expect(page.locator("#qd-agent-rows tr[data-agent]")).to_have_count(1)
            await expect(bob.locator(".badge")).to_have_text("Déconnecté")
            await bob.get_by_role("button", name="Connecter : Bob", exact=True).click()
            await eventually(lambda: members(ami, "support"), lambda m: BOB in m, 5, "Bob in")

            # The caller rings Bob's phone: both say so.
            await expect(waiting.locator("td").nth(1)).to_have_text(
                "Sonne chez Bob", timeout=LIVE_TIMEOUT
            )
            await page.get_by_label("Connectés à cette file, par état").check()
            await expect(bob.locator(".badge")).to_have_text("Sonnerie")
            await expect(page.locator("#qd-agent-rows tr.group")).to_have_text(
                ["Sonnerie\u00a0: 1"]
            )
            await shot(page, "1-support-fr")

            # Logged out from the page: Asterisk no longer has him; the caller still waits.
            await bob.get_by_role("button", name="Déconnecter : Bob").click()
            await eventually(lambda: members(ami, "support"), lambda m: BOB not in m, 5, "Bob out")
            await expect(page.locator("#qd-agents-empty")).to_be_visible(timeout=LIVE_TIMEOUT)
            await expect(waiting).to_have_count(1)

            # The caller's line is cut (Asterisk hangs it up): gone from the page.
            (entry,) = [
                e
                for e in await ami.action_list("QueueStatus", Queue="support")
                if e.get("Event") == "QueueEntry" and e.get("CallerIDNum") == "0611000032"
            ]
            await ami.action("Hangup", Channel=entry["Channel"])
            await expect(waiting).to_have_count(0, timeout=LIVE_TIMEOUT)
        finally:
            await caller.close()
    await expect(page.locator("#qd-callers-empty")).to_have_text("Personne n’attend.")
    await shot(page, "2-caller-gone")


async def test_overview_agent_rows_expand_per_queue_and_conversation(
    bridge: Bridge, ami: RawAMI, log_in: LogIn, shot: Shot, tmp_path: Path
) -> None:
    """SV-9: paused in sales but ready in support, Bob shows as ready; his row opens on his
    state in each queue, then on his conversation."""
    async with AgentPhone("1002", 5072, answer_delay_s=1.0, hangup_after_s=15, log_dir=tmp_path):
        await bridge.agents.log_in(BOB, ["sales", "support"], by=Actor("bob"), member_name="Bob")
        await bridge.agents.pause(BOB, "lunch", ["sales"], by=Actor("sue", supervisor=True))
        assert (await members(ami, "sales"))[BOB] == ("1", "lunch")
        page = await log_in("sue")
        bob = page.locator("#agent-rows tr[data-agent]", has=page.locator("th", has_text="Bob"))
        await expect(bob.locator(".badge")).to_have_text("Ready", timeout=LIVE_TIMEOUT)
        await expect(bob.locator(".detail")).to_have_text("")  # the pause is sales', not his

        expander = bob.get_by_role("button", name="Details: Bob")
        await expect(expander).to_have_attribute("aria-expanded", "false")
        await expander.focus()
        await page.keyboard.press("Space")
        await expect(expander).to_have_attribute("aria-expanded", "true")
        details = page.locator(f"#{await expander.get_attribute('aria-controls')}")
        await expect(details.locator("li")).to_have_text(
            [
                re.compile(r"^sales: Paused · Lunch · forced by a supervisor, \d+:\d\d$"),
                re.compile(r"^support: Ready, \d+:\d\d$"),
                "No conversation.",
            ]
        )
        await shot(page, "1-expanded")

        # A call to support: Bob talks to the caller, the row says so, collapsed or open.
        caller = await place_call("5001", "0611000033", hangup_after_s=60, log_dir=tmp_path)
        try:
            await expect(bob.locator(".badge")).to_have_text("In a call", timeout=LIVE_TIMEOUT)
            await expect(details.locator("li").last).to_have_text(
                re.compile(r"^0611000033 \(support\): waited \d+:\d\d, talking \d+:\d\d$")
            )
            await shot(page, "2-in-a-call")
            # Closed again by keyboard (Enter): the details are hidden.
            await expander.focus()
            await page.keyboard.press("Enter")
            await expect(details).to_be_hidden()
            assert (await caller.wait_result(60)).answered  # Bob's phone hung up
        finally:
            await caller.close()


# The APIs of these actions (take, transfer, listen/whisper/barge: web/call_routes.py) are
# tested end to end from the page in test_call_control_browser.py; here the browser's requests
# are answered by the test, which checks what the page sends and how it shows each answer
# (errors included) without needing Asterisk to produce them.
CALL_API = re.compile(
    r"/api/v1/(queues/[^/]+/callers/[^/]+/(take|transfer)|agents/[^/]+/spy|spy/[^/]+(/mode)?)$"
)
SUP_PHONES = ("PJSIP/sup2001", "PJSIP/sup2002")


async def test_take_transfer_and_listen_send_what_their_apis_document(
    bridge: Bridge,
    ami: RawAMI,
    site: Site,
    log_in: LogIn,
    shot: Shot,
    tmp_path: Path,
) -> None:
    await site.app[ACCOUNTS].create_user(
        "ada", PASSWORD, display_name="Ada", role="admin", devices=SUP_PHONES
    )
    page = await log_in("ada")
    sent: list[tuple[str, str, Any]] = []
    replies: list[tuple[int, dict[str, Any] | None]] = []

    async def answer(route: Route) -> None:
        request = route.request
        assert request.headers.get("x-csrf-token"), "state-changing requests carry the token"
        sent.append((request.method, urlparse(request.url).path, request.post_data_json))
        status, body = replies.pop(0)
        if body is None:
            await route.fulfill(status=status)
        else:
            await route.fulfill(
                status=status, content_type="application/json", body=json.dumps(body)
            )

    await page.route(CALL_API, answer)
    await page.goto(f"{site.base}/supervisor/queues/sales")
    # Two phones: the one chosen is remembered for the page.
    await page.get_by_label("My phone").select_option(SUP_PHONES[1])
    await page.reload()
    await expect(page.get_by_label("My phone")).to_have_value(SUP_PHONES[1])

    caller = await place_call("5000", "0611000034", hangup_after_s=60, log_dir=tmp_path)
    try:
        waiting = caller_row(page, "0611000034")
        await expect(waiting).to_have_count(1, timeout=LIVE_TIMEOUT)
        (entry,) = [
            e
            for e in await ami.action_list("QueueStatus", Queue="sales")
            if e.get("Event") == "QueueEntry" and e.get("CallerIDNum") == "0611000034"
        ]
        uniqueid = entry["Uniqueid"]
        callers = f"/api/v1/queues/sales/callers/{uniqueid}"

        # Take: on my chosen phone; the API's refusal is shown with its message.
        replies.append((409, {"error": {"code": "conflict", "message": "the caller left"}}))
        await waiting.get_by_role("button", name="Take the call from 0611000034").click()
        await expect(page.locator("#notice")).to_have_text(
            "This conflicts with the current state. (the caller left)"
        )
        assert sent.pop() == ("POST", f"{callers}/take", {"device": SUP_PHONES[1]})

        # Transfer to an extension: digits only, checked before anything is sent.
        transfer = waiting.get_by_role("button", name="Transfer the call from 0611000034")
        await transfer.click()
        dialog = page.get_by_role("dialog", name="Transfer the call from 0611000034")
        await expect(dialog).to_be_visible()
        await dialog.get_by_role("textbox", name="Extension").fill("12a")
        await dialog.get_by_role("button", name="Transfer").click()
        await expect(dialog.locator("#transfer-error")).to_have_text(
            "Type the extension: digits only."
        )
        await expect(dialog.get_by_role("textbox", name="Extension")).to_be_focused()
        assert sent == []
        await dialog.get_by_role("textbox", name="Extension").fill("2001")
        await shot(page, "1-transfer-dialog")
        replies.append((200, {}))
        await dialog.get_by_role("button", name="Transfer").click()
        await expect(dialog).to_be_hidden()
        await expect(page.locator("#qd-status")).to_have_text(
            "The call from 0611000034 was transferred to 2001."
        )
        assert sent.pop() == ("POST", f"{callers}/transfer", {"extension": "2001"})

        # Transfer to an agent of the queue: refused, the dialog says why and stays open;
        # Escape closes it and the focus is back on the button.
        await transfer.click()
        await dialog.get_by_label("An agent of this queue").check()
        await dialog.get_by_label("Agent to transfer to").select_option("bob")
        replies.append((404, {"error": {"code": "not_found", "message": "no such caller"}}))
        await dialog.get_by_role("button", name="Transfer").click()
        await expect(dialog.locator("#transfer-error")).to_have_text("Not found. (no such caller)")
        assert sent.pop() == ("POST", f"{callers}/transfer", {"username": "bob"})
        await page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()
        await expect(transfer).to_be_focused()

        # Bob answers the caller; listening in on him asks for my phone and his call.
        async with AgentPhone("1002", 5072, answer_delay_s=0.5, log_dir=tmp_path):
            await bridge.agents.log_in(BOB, ["sales"], by=Actor("bob"), member_name="Bob")
            bob = agent_row(page, "Bob")
            await expect(bob.locator(".badge")).to_have_text("In a call", timeout=LIVE_TIMEOUT)
            replies.append((200, {"id": "s-ada"}))
            await bob.get_by_role("button", name="Listen: Bob").click()
            await expect(page.locator("#qd-agents-status")).to_have_text(
                "Your phone rings: answer it to join Bob’s call."
            )
            assert sent.pop() == (
                "POST",
                "/api/v1/agents/bob/spy",
                {"mode": "listen", "device": SUP_PHONES[1], "call": uniqueid},
            )

            # The sessions as the bridge publishes them (live "spy" entities): mine, which
            # I can switch and end, and another supervisor's, which I only see.
            def session(sid: str, supervisor: str, device: str, mode: str) -> dict[str, Any]:
                now = time.time()
                return {
                    "uniqueid": sid, "channel": f"{device}-0000abcd", "device": device,
                    "supervisor": supervisor, "agent": BOB, "target_channel": f"{BOB}-00001",
                    "target_uniqueid": "1.1", "queue": "sales", "mode": mode,
                    "started_at": now, "mode_since": now,
                }  # fmt: skip

            bridge.mirror.submit(
                [
                    Change("spy", "s-ada", session("s-ada", "ada", SUP_PHONES[1], "listen")),
                    Change("spy", "s-sue", session("s-sue", "sue", "PJSIP/sup3001", "whisper")),
                ]
            )
            await expect(bob.locator(".spying")).to_have_text(
                re.compile(r"^You: listening, \d+:\d\d · sue: whispering, \d+:\d\d$"),
                timeout=LIVE_TIMEOUT,
            )
            listen = bob.get_by_role("button", name="Listen: Bob")
            await expect(listen).to_have_attribute("aria-pressed", "true")
            await shot(page, "2-listening")
            replies.append((200, {}))
            await bob.get_by_role("button", name="Whisper: Bob").click()
            await eventually(lambda: count(sent), lambda n: n == 1, 5, "mode sent")
            assert sent.pop() == ("POST", "/api/v1/spy/s-ada/mode", {"mode": "whisper"})
            replies.append((204, None))
            await bob.get_by_role("button", name="Stop listening to Bob").click()
            await eventually(lambda: count(sent), lambda n: n == 1, 5, "end sent")
            assert sent.pop() == ("DELETE", "/api/v1/spy/s-ada", None)

            # The sessions end: the row says nobody listens, and the buttons start again.
            bridge.mirror.submit([Change("spy", "s-ada", None), Change("spy", "s-sue", None)])
            await expect(bob.locator(".spying")).to_have_text("", timeout=LIVE_TIMEOUT)
            await expect(listen).to_have_attribute("aria-pressed", "false")
            await expect(bob.get_by_role("button", name="Stop listening to Bob")).to_be_hidden()
    finally:
        await caller.close()
    assert replies == []
