"""Supervisor call control from the queue page, end to end: the browser's buttons, the web
API, the command bus, the bridge and the real Asterisk with sipp phones. A waiting caller
taken from the page rings the supervisor's phone and leaves the queue; listening to an
agent from the page makes Asterisk spy on the agent's exact channel, the row says who
listens and how, a mode switch and the end go through. Each step is checked on what
Asterisk reports (the test's own AMI session) and what the page shows."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ami_raw import RawAMI
from playwright.async_api import Locator, Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import (  # noqa: E402
    ALICE,
    PASSWORD,
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
from standardiste.tools.sipp import SPEECH, AgentPhone, place_call
from standardiste.web.appkeys import ACCOUNTS

LIVE_TIMEOUT = 10_000  # ms
SUP = "PJSIP/sup2001"


def caller_row(page: Page, number: str) -> Locator:
    return page.locator("#qd-caller-rows tr", has_text=number)


def agent_row(page: Page, name: str) -> Locator:
    return page.locator("#qd-agent-rows tr[data-agent]", has=page.locator("th", has_text=name))


async def waiting_in_asterisk(ami: RawAMI, number: str) -> bool:
    return any(
        e.get("Event") == "QueueEntry" and e.get("CallerIDNum") == number
        for e in await ami.action_list("QueueStatus", Queue="sales")
    )


async def test_take_a_caller_then_listen_and_whisper_from_the_queue_page(
    bridge: Bridge, ami: RawAMI, site: Site, log_in: LogIn, shot: Shot, tmp_path: Path
) -> None:
    await site.app[ACCOUNTS].create_user(
        "vera", PASSWORD, display_name="Vera", role="supervisor", devices=(SUP,),
        queues={"sales": "supervisor"},
    )  # fmt: skip
    # Alice is logged in but paused: a caller waits.
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"), member_name="Alice")
    await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
    page = await log_in("vera")
    await page.goto(f"{site.base}/supervisor/queues/sales")
    await expect(page.locator("#live-status")).to_have_attribute(
        "data-state", "live", timeout=LIVE_TIMEOUT
    )

    async with AgentPhone("2001", 5081, answer_delay_s=0.5, log_dir=tmp_path) as phone:
        caller = await place_call("5000", "0611000077", hangup_after_s=60, log_dir=tmp_path)
        try:
            waiting = caller_row(page, "0611000077")
            await expect(waiting).to_have_count(1, timeout=LIVE_TIMEOUT)
            assert await waiting_in_asterisk(ami, "0611000077")
            await waiting.get_by_role("button", name="Take the call from 0611000077").click()
            await phone.wait_outcome("ANSWERED", timeout=15)  # my phone has the caller
            await expect(waiting).to_have_count(0, timeout=LIVE_TIMEOUT)
            assert not await waiting_in_asterisk(ami, "0611000077")
            # Counted apart: transferred out, not abandoned.
            await expect(page.locator("#qd-transferred")).to_have_text("1", timeout=LIVE_TIMEOUT)
            await expect(page.locator("#qd-abandoned")).to_have_text("0")
            await shot(page, "1-taken")
        finally:
            await caller.close()
    today = bridge.model.queues["sales"].today
    assert (today.transferred, today.abandoned) == (1, 0)

    # Alice takes the next call; Vera listens from Alice's row, then whispers, then ends.
    await bridge.agents.resume(ALICE, ["sales"], by=Actor("alice"))
    async with AgentPhone("1001", 5071, answer_delay_s=0.5, talk=SPEECH, log_dir=tmp_path):
        caller = await place_call("5000", "0611000078", hangup_after_s=60, log_dir=tmp_path)
        try:
            alice = agent_row(page, "Alice")
            await expect(alice.locator(".badge")).to_have_text("In a call", timeout=LIVE_TIMEOUT)
            async with AgentPhone("2001", 5081, answer_delay_s=0.5, log_dir=tmp_path):
                mark = len(ami.messages)
                await alice.get_by_role("button", name="Listen: Alice").click()
                started = await ami.wait_event("ChanSpyStart", 15, mark)
                # Asterisk spies on Alice's exact channel, from Vera's phone.
                assert started["SpyeeChannel"].startswith(f"{ALICE}-")
                assert started["SpyerChannel"].startswith(f"{SUP}-")
                spying = alice.locator(".spying")
                await expect(spying).to_have_text(
                    re.compile(r"^You: listening"), timeout=LIVE_TIMEOUT
                )
                await alice.get_by_role("button", name="Whisper: Alice").click()
                await expect(spying).to_have_text(
                    re.compile(r"^You: whispering"), timeout=LIVE_TIMEOUT
                )
                [session] = bridge.model.spies.sessions.values()
                assert (session.supervisor, session.mode) == ("vera", "whisper")
                await shot(page, "2-whispering")
                await alice.get_by_role("button", name="Stop listening to Alice").click()
                await ami.wait_event("ChanSpyStop", 10, mark)
                await expect(spying).to_have_text("", timeout=LIVE_TIMEOUT)
        finally:
            await caller.close()


async def test_an_agents_direct_call_shows_on_their_row(
    bridge: Bridge, ami: RawAMI, site: Site, log_in: LogIn, shot: Shot, tmp_path: Path
) -> None:
    """QD-3's "other calls": a call to Alice's own number (not through a queue) shows with
    its number, direction and duration when her row is expanded."""
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"), member_name="Alice")
    page = await log_in("sue")
    await page.goto(f"{site.base}/supervisor/queues/sales")
    await expect(page.locator("#live-status")).to_have_attribute(
        "data-state", "live", timeout=LIVE_TIMEOUT
    )
    alice = agent_row(page, "Alice")
    expander = alice.get_by_role("button", name="Details: Alice")
    await expander.focus()
    await page.keyboard.press("Enter")
    details = page.locator(f"#{await expander.get_attribute('aria-controls')}")
    await expect(details).to_contain_text("No other call.")
    async with AgentPhone("1001", 5071, answer_delay_s=0.5, log_dir=tmp_path):
        # From the trunk straight to Alice's number (from-pstn _1XXX): a direct call.
        caller = await place_call("1001", "0611000079", hangup_after_s=6, log_dir=tmp_path)
        try:
            await expect(details).to_contain_text(
                re.compile(r"Direct call from 0611000079: talking for \d+:\d\d"),
                timeout=LIVE_TIMEOUT,
            )
            await shot(page, "direct-call")
            assert (await caller.wait_result(30)).ended_by == "local"  # the caller hung up
        finally:
            await caller.close()
        await expect(details).to_contain_text("No other call.", timeout=LIVE_TIMEOUT)
