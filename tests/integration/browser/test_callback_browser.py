"""Callback requests (BY-1) in the supervisors' pages, live, in a real browser: a sipp caller
asks for a callback in sales; the queue page (English) and the overview (French) list the
placeholder as a callback request with the customer's number, neither to be taken nor
transferred, and today's callback figures; once the agent answers it and the customer is
reached, the figure says so. Asterisk's side is the test's own AMI session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ami_raw import RawAMI
from playwright.async_api import expect
from test_callback_live import (  # noqa: F401
    DIGITS,
    ask_for_a_callback,
    callbacks_on,
    customer_phone,
    placeholders,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import (  # noqa: E402
    ALICE,
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
from standardiste.tools.sipp import AgentPhone

LIVE_TIMEOUT = 10_000  # ms


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_callback_request_shows_as_one_and_is_counted_apart(
    bridge: Bridge,
    ami: RawAMI,
    callbacks_on: None,  # noqa: F811
    site: Site,
    log_in: LogIn,
    shot: Shot,
    tmp_path: Path,
) -> None:
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"), member_name="Alice")
    await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
    sue = await log_in("sue")
    await sue.goto(f"{site.base}/supervisor/queues/sales")
    await expect(sue.locator("#live-status")).to_have_attribute(
        "data-state", "live", timeout=LIVE_TIMEOUT
    )
    solene = await log_in("solene", locale="fr-FR")

    request = await ask_for_a_callback(ami, tmp_path)
    assert [p["Uniqueid"] for p in await placeholders(ami)] == [f"cb-{request}"]
    row = sue.locator("#qd-caller-rows tr", has_text=DIGITS)
    await expect(row).to_have_attribute("data-type", "callback", timeout=LIVE_TIMEOUT)
    await expect(row).to_contain_text("Callback request")
    await expect(row).to_contain_text("the customer is called when an agent answers")
    await expect(row.get_by_role("button", name=f"Take the call from {DIGITS}")).to_be_disabled()
    await expect(
        row.get_by_role("button", name=f"Transfer the call from {DIGITS}")
    ).to_be_disabled()
    await expect(sue.locator("#qd-callbacks")).to_have_text("1")
    await shot(sue, "queue-page")
    french = solene.locator("#caller-rows tr", has_text=DIGITS)
    await expect(french).to_have_attribute("data-type", "callback", timeout=LIVE_TIMEOUT)
    await expect(french).to_contain_text("Demande de rappel")
    await expect(solene.locator("#sv-callbacks")).to_have_text("1")
    await shot(solene, "overview-fr")

    async with (
        AgentPhone("1001", 5071, answer_delay_s=0.5, log_dir=tmp_path),
        customer_phone(tmp_path, answer_delay_s=0.5, hangup_after_s=2.0) as customer,
    ):
        await bridge.agents.resume(ALICE, ["sales"], by=Actor("alice"))
        await customer.wait_outcome("LOCAL_BYE", timeout=20)
    await expect(row).to_have_count(0, timeout=LIVE_TIMEOUT)
    await expect(sue.locator("#qd-callbacks-hint")).to_contain_text(
        "1 called back", timeout=LIVE_TIMEOUT
    )
    await expect(solene.locator("#sv-callbacks-hint")).to_contain_text("1 rappelés")
    # Not an inbound call: nothing handled or abandoned.
    await expect(sue.locator("#qd-handled")).to_have_text("0")
    await expect(sue.locator("#qd-abandoned")).to_have_text("0")
    await shot(sue, "after")
