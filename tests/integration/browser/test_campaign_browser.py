"""The campaign pages in Chromium, against the live bridge, the real Asterisk, Redis and SQL
(SV-7, SV-10, AG-4, CD-1..CD-6, CF-4).

- A supervisor opens a campaign from its card on the overview, pauses and resumes it (the
  flag the dialer reads, in SQL), adds a contact, imports a CSV with bad rows: the progress,
  then the report names each rejected row's line, column and reason, and the good rows are
  contacts; the dialer's card and a call in flight show live; the Agents tab lists the
  queue's agents; a missed call of the queue is assigned to the campaign from its page.
- An admin creates a campaign in the form: a wrong setting is refused next to the form,
  which keeps what was typed; then it is stored as entered.
- An agent sees her campaign's card, logs in to it (Asterisk's QueueStatus shows her in its
  queue); the dialer offers her a contact (preview): its name and number, Call and Skip;
  she skips it by keyboard and the dialer offers the next; as a call rings her phone, the
  contact's name and number.
Every page is photographed in English and French into the test's tmp dir.

The cards are the bridge's dialer's, live; the agent's preview is offered by it and skipped
back to it. A call in flight in the other states (ringing, talking) is put in the live state
as the dialer puts it, through the model (OutboundChanged): ringing real phones through a
trunk is the dialer's own live tests' business.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from ami_raw import RawAMI
from live import eventually
from playwright.async_api import Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import (  # noqa: E402
    ALICE,
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

from standardiste.acd.events import OutboundChanged
from standardiste.acd.records import QueueCallEntered, QueueCallLeft
from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.dialer.campaign import CampaignDef
from standardiste.outbound.store import CampaignStore, NewContact
from standardiste.web.appkeys import ACCOUNTS

LIVE_TIMEOUT = 10_000  # ms
ATTEMPT = "5f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5"
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

BAD_ROWS = (
    "\ufeffNom;Téléphone;Fuseau horaire\r\n"
    "Ana Alves;06 12 34 56 11;\r\n"
    "Jo again;06 12 34 56 01;\r\n"  # Jo is already to call (added in the form)
    "Bad One;12;\r\n"
    "Ben Bos;+32 470 12 34 56;Europe/Brussels\r\n"
    "Ana twice;+33612345611;\r\n"
    "Nowhere;0612345612;Mars/Olympus\r\n"
)


def store_of(bridge: Bridge) -> CampaignStore:
    return CampaignStore(bridge.history.store.engine)


ALL_DAY = {"start": "00:00", "end": "00:00"}


async def winter(bridge: Bridge) -> CampaignStore:
    """A preview campaign through sales, open every day at every hour (whenever the test
    runs): its dialer only offers contacts to the agents logged in, never dials by itself;
    a skipped contact may be offered again at once."""
    store = store_of(bridge)
    settings = {
        "name": "winter",
        "display_name": "Winter sale",
        "queue": "sales",
        "mode": "preview",
        "schedule": {
            "timezone": "Europe/Paris",
            "hours": {d: [ALL_DAY] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        },
        "call_window": ALL_DAY,
        "retry": {"agent_no_answer_delay": 0},
    }
    await store.create("test", CampaignDef.parse(settings))
    return store


def dial(state: str, **values: Any) -> dict[str, Any]:
    now = time.time()
    base = {
        "id": ATTEMPT,
        "campaign": "winter",
        "queue": "sales",
        "mode": "progressive",
        "contact_id": 1,
        "contact_name": "Ana Alves",
        "number": "+33612345611",
        "agent": "alice",
        "device": ALICE,
        "state": state,
        "started_at": now - 3,
        "since": now,
    }
    return base | values


async def members(ami: RawAMI, queue: str) -> set[str]:
    return {
        m["Location"]
        for m in await ami.action_list("QueueStatus", Queue=queue)
        if m.get("Event") == "QueueMember"
    }


async def screenshots(page: Page, shots: Path, name: str) -> None:
    """One screenshot of the page, named by its language (playwright makes the folder)."""
    lang = await page.get_attribute("html", "lang")
    await page.screenshot(path=str(shots / f"{lang}-{name}.png"), full_page=True)


# -------------------------------------------------------------------- the supervisor
async def test_a_supervisor_runs_a_campaign_and_imports_a_csv_with_bad_rows(
    site: Site, bridge: Bridge, log_in: LogIn, shot: Shot, tmp_path: Path
) -> None:
    store = await winter(bridge)
    left = time.time() - 120
    await bridge.history.store.write(
        [
            QueueCallEntered("1700000500.7", "sales", "0611223344", "Nina", left - 45),
            QueueCallLeft("1700000500.7", "sales", "abandoned", 45.0, left),
        ]
    )
    page = await log_in("sue")
    # SV-7: the campaign's card on the overview; a click anywhere on it opens its page.
    cards = page.locator("#campaign-cards li", has=page.locator("h3", has_text="Winter sale"))
    await expect(cards.locator('[data-field="campaign_status"]')).to_have_text(
        "Inactive: no contact left to call"
    )
    await cards.locator("dl").click()
    await page.wait_for_url(f"{site.base}/supervisor/campaigns/winter")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

    # CD-1: pause and resume: the flag the dialer reads, in SQL.
    pause = page.locator("#cd-pause")
    await expect(pause).to_have_text("Pause the campaign")
    await pause.click()
    await expect(page.locator("#cd-status")).to_have_text("Paused")
    await expect(page.locator("#cd-reason")).to_have_text("Paused by sue")
    await expect(pause).to_have_text("Resume the campaign")
    assert (await store.campaign("winter")).paused
    await pause.click()
    await expect(pause).to_have_text("Pause the campaign")
    assert not (await store.campaign("winter")).paused

    # CD-5: a contact added by hand, by keyboard (Enter submits).
    await page.locator("#contact-name").fill("Jo Martin")
    await page.locator("#contact-number").fill("06 12 34 56 01")
    await page.locator("#contact-number").press("Enter")
    await expect(page.locator("#contacts-status-line")).to_have_text(
        "Jo Martin (+33612345601) was added."
    )
    await expect(page.locator("#contact-name")).to_be_focused()
    # A number that is not one: the API's reason next to the form, the field flagged.
    await page.locator("#contact-number").fill("12")
    await page.locator("#contact-add").click()
    await expect(page.locator("#contact-error")).to_contain_text("wrong length")
    await expect(page.locator("#contact-number")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#contact-number")).to_have_value("12")

    # CD-5: a CSV with bad rows: every rejected row with its line, column and reason.
    csv = tmp_path / "winter list.csv"
    csv.write_text(BAD_ROWS, encoding="utf-8")
    await page.locator("#import-file").set_input_files(csv)
    await page.get_by_role("button", name="Import", exact=True).click()
    summary = page.locator("#import-summary")
    await expect(summary).to_have_text(
        "winter list.csv: 2 contacts imported, 4 rows not imported (below, with the reason).",
        timeout=LIVE_TIMEOUT,
    )
    await expect(page.locator("#import-report-heading")).to_be_focused()
    await expect(page.locator("#import-bar")).to_have_attribute("value", "6")
    rows = page.locator("#import-error-rows tr")
    assert [await r.locator("th, td").all_inner_texts() for r in await rows.all()] == [
        ["3", "Téléphone", "06 12 34 56 01", "already to call in this campaign"],
        ["4", "Téléphone", "12", "the wrong length for its country"],
        ["6", "Téléphone", "+33612345611", "the same number as line 2"],
        ["7", "Fuseau horaire", "Mars/Olympus", "not a time zone (such as Europe/Paris)"],
    ]
    contacts = page.locator("#contact-rows tr")
    await expect(contacts).to_have_count(3)
    await expect(contacts.nth(1)).to_contain_text("Ana Alves")
    await expect(contacts.nth(2)).to_contain_text("+32470123456")
    await expect(contacts.nth(2)).to_contain_text("CSV import")
    in_sql = [(c.name, c.number, c.source) for c in await store.contacts("winter")]
    assert in_sql == [
        ("Jo Martin", "+33612345601", "manual"),
        ("Ana Alves", "+33612345611", "csv"),
        ("Ben Bos", "+32470123456", "csv"),
    ]

    # The dialer's card follows (its next tick), and a call in flight shows live.
    await expect(page.locator("#cd-left")).to_have_text("3", timeout=LIVE_TIMEOUT)
    await expect(page.locator("#cd-dialled-hint")).to_have_text("0% of 3")
    await expect(page.locator("#cd-status")).to_have_text("Inactive")
    await expect(page.locator("#cd-reason")).to_have_text("Inactive: no agent logged in")
    bridge.pump.apply_local(OutboundChanged("dial", ATTEMPT, dial("ringing_contact")))
    call = page.locator(f'#cd-dial-rows tr[data-attempt="{ATTEMPT}"]')
    await expect(call).to_contain_text("Ana Alves", timeout=LIVE_TIMEOUT)
    await expect(call).to_contain_text("Ringing the contact")
    await shot(page, "campaign")

    # CD-6: the Agents tab, by keyboard: the queue's agents, as on the queue's page.
    await page.locator("#tab-contacts").focus()
    await page.keyboard.press("ArrowRight")
    await expect(page.locator("#tab-agents")).to_have_attribute("aria-selected", "true")
    await expect(page.locator("#panel-agents")).to_be_visible()
    await expect(page.locator("#panel-contacts")).to_be_hidden()
    await page.locator("label[for=filter-assigned]").click()
    names = page.locator("#qd-agent-rows tr[data-agent] .name")
    await expect(names).to_have_text(["Alice", "Bob"])
    bridge.pump.apply_local(OutboundChanged("dial", ATTEMPT, None))

    # SV-10: the missed call, assigned to the campaign from the missed calls page.
    await page.goto(f"{site.base}/supervisor")
    await page.locator("#missed-link").click()
    await page.wait_for_url(f"{site.base}/supervisor/missed-calls")
    row = page.locator("#missed-rows tr", has_text="0611223344")
    await expect(row).to_contain_text("Nina")
    await expect(row).to_contain_text("Abandoned")
    await row.locator("input[type=checkbox]").focus()
    await page.keyboard.press("Space")
    await expect(page.locator("#assign-count")).to_have_text("1 selected")
    await page.locator("#assign-campaign").select_option("winter")
    await page.locator("#assign-submit").click()
    await expect(page.locator("#assign-status")).to_have_text(
        "1 calls added to winter; 0 not added."
    )
    await expect(row.locator("td").last).to_have_text("winter")
    nina = [c for c in await store.contacts("winter") if c.source == "missed"]
    assert [(c.name, c.number, c.queue, c.original_wait) for c in nina] == [
        ("Nina", "+33611223344", "sales", 45.0)
    ]


async def test_the_supervisor_pages_in_english_and_french(
    site: Site, bridge: Bridge, log_in: LogIn, tmp_path: Path
) -> None:
    store = await winter(bridge)
    await store.add_contacts(
        "test", "winter", [NewContact("Jo Martin", "+33612345601", "Europe/Paris", "csv")]
    )
    shots = tmp_path / "screenshots"
    # sue chose English, solène French (browser_support.PEOPLE).
    for lang, who, title in (("en", "sue", "Campaign Winter sale"),
                             ("fr", "solene", "Campagne Winter sale")):  # fmt: skip
        page = await log_in(who)
        assert await page.get_attribute("html", "lang") == lang
        await expect(page.locator("#campaign-cards li")).to_have_count(1)
        await screenshots(page, shots, "overview")
        await page.goto(f"{site.base}/supervisor/campaigns/winter")
        await expect(page.locator("#cd-heading")).to_contain_text(title)
        await expect(page.locator("#contact-rows tr")).to_have_count(1)
        await expect(page.locator("#cd-left")).to_have_text("1")
        await screenshots(page, shots, "campaign")
        await page.goto(f"{site.base}/supervisor/missed-calls")
        await expect(page.locator("#missed-empty")).to_be_visible()
        await screenshots(page, shots, "missed-calls")
        text = await page.evaluate("() => document.querySelector('main').textContent")
        assert not re.search(r"\b(cd|mc|campaign|contact|dial)\.[a-z_]+", text)
    assert len(list(shots.iterdir())) == 6


# -------------------------------------------------------------------- the admin
async def test_an_admin_creates_a_campaign_in_the_form(
    site: Site, bridge: Bridge, log_in: LogIn, shot: Shot, tmp_path: Path
) -> None:
    await site.app[ACCOUNTS].create_user("ada", PASSWORD, role="admin", display_name="Ada")
    shots = tmp_path / "screenshots"
    for locale in ("fr-FR", "en-US"):
        page = await log_in("ada", locale=locale)
        for path, name in (("/admin/campaigns", "campaigns"), ("/admin/dnc", "dnc"),
                           ("/admin/new-campaign", "new-campaign")):  # fmt: skip
            await page.goto(f"{site.base}{path}")
            await expect(page.locator("h1")).to_be_visible()
            await screenshots(page, shots, name)
    await page.locator("#c-name").fill("spring")
    await page.locator("#c-display_name").fill("Spring offers")
    await page.locator("#c-queue").select_option("sales")
    await page.locator("#c-mode").select_option("preview")
    await page.locator("#c-caller_id").fill("01 23 45 67 89")
    await page.locator('[name="schedule.hours.sat.0.start"]').fill("10:00")
    await page.locator('[name="schedule.hours.sat.0.end"]').fill("13:00")
    await page.locator("#c-schedule-closed").fill("2026-12-25\n2027-01-01")
    await page.locator("#c-retry-max_attempts").fill("4")
    await page.locator("#c-ring_timeout").fill("5")  # below the rules' 15 s
    await page.locator("label", has_text="support").click()  # missed calls of support join
    await page.locator("#campaign-save").click()
    error = page.locator("#campaign-error")
    await expect(error).to_contain_text("ring_timeout: a whole number between 15 and 120")
    await expect(page.locator("#c-ring_timeout")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#c-ring_timeout")).to_be_focused()
    await expect(page.locator("#c-display_name")).to_have_value("Spring offers")  # kept
    await page.locator("#c-ring_timeout").fill("30")
    await page.locator("#c-ring_timeout").press("Enter")
    await page.wait_for_url(f"{site.base}/admin/campaigns/spring")
    await expect(page.locator("#campaign-status")).to_have_text("The campaign was created.")
    await shot(page, "created")
    d = (await store_of(bridge).campaign("spring")).definition
    assert (d.display_name, d.queue, d.mode, d.caller_id, d.ring_timeout) == (
        "Spring offers", "sales", "preview", "+33123456789", 30
    )  # fmt: skip
    assert d.retry.max_attempts == 4 and d.missed_queues == ("support",)
    assert d.schedule.to_dict()["hours"]["sat"] == [{"start": "10:00", "end": "13:00"}]
    assert [x.isoformat() for x in d.schedule.closed] == ["2026-12-25", "2027-01-01"]
    assert d.drop_cap == 0.03  # the default, shown in percent
    await page.goto(f"{site.base}/admin/campaigns")
    await expect(page.locator("#campaign-rows tr")).to_have_count(1)
    await expect(page.locator("#campaign-rows tr")).to_contain_text("Spring offers")
    await screenshots(page, shots, "campaigns")
    assert len(list(shots.iterdir())) == 6


# -------------------------------------------------------------------- the agent
async def test_the_agent_logs_in_to_her_campaign_and_sees_the_contact_called_for_her(
    site: Site, bridge: Bridge, ami: RawAMI, log_in: LogIn, shot: Shot, tmp_path: Path
) -> None:
    store = await winter(bridge)
    await store.add_contacts(
        "test",
        "winter",
        [
            NewContact("Ana Alves", "+33612345611", "Europe/Paris", "csv"),
            NewContact("Ben Bos", "+32470123456", "Europe/Brussels", "csv"),
        ],
    )
    # The dialer offers a contact in the name of the device's user: it must know them
    # (users are created after the bridge started; it reads its directory every 10 s).
    assert bridge.dialer is not None
    dialer = bridge.dialer

    async def knows() -> bool:
        return dialer._owner(ALICE) == "alice" and dialer._owner(BOB) == "bob"

    await eventually(knows, bool, 15, "the dialer knows alice's and bob's phones")
    shots = tmp_path / "screenshots"
    page = await log_in("alice")
    item = page.locator("#my-campaign-cards li", has=page.locator("h3", has_text="Winter sale"))
    await expect(item.locator('[data-field="contacts_left"]')).to_have_text("2")
    await expect(item.locator('[data-field="pct_dialled"]')).to_have_text("0%")
    await expect(item.locator('[data-field="campaign_status"]')).to_have_text(
        "Inactive: no agent logged in"
    )
    await expect(item.locator('[data-field="my_status"]')).to_have_text("Logged out")
    panel = page.locator("#dial-panel")
    await expect(panel).to_be_hidden()

    # She logs in to the campaign (its queue), by keyboard: the dialer offers her a contact.
    toggle = item.get_by_role("button", name="Log in: campaign Winter sale")
    await toggle.focus()
    await page.keyboard.press("Enter")
    await eventually(lambda: members(ami, "sales"), lambda m: ALICE in m, 10, "alice in sales")
    await expect(item.locator('[data-field="campaign_status"]')).to_have_text(
        "Active", timeout=LIVE_TIMEOUT
    )
    await expect(page.locator("#dial-name")).to_have_text("Ana Alves", timeout=LIVE_TIMEOUT)
    await expect(page.locator("#dial-number")).to_have_text("+33612345611")
    await expect(page.locator("#dial-state")).to_have_text("Call or skip?")
    await expect(page.locator("#dial-announce")).to_have_text(
        "Contact to call: Ana Alves, +33612345611. Call or skip."
    )
    await expect(page.locator("#dial-call")).to_be_focused()  # ready for Enter
    await shot(page, "preview")
    await screenshots(page, shots, "agent")

    # Skip (Tab, Enter): the dialer takes it back and offers the next contact.
    await page.keyboard.press("Tab")
    await expect(page.locator("#dial-skip")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#dial-name")).to_have_text("Ben Bos", timeout=LIVE_TIMEOUT)
    ana = [a for a in await store.attempts("winter") if a.number == "+33612345611"]
    assert [(a.mode, a.agent, a.outcome, a.settled_by) for a in ana] == [
        ("preview", "alice", "skipped", "user:alice")
    ]

    # Logged out of the campaign: out of its queue, and the offer goes back.
    await item.get_by_role("button", name="Log out: campaign Winter sale").click()
    await eventually(
        lambda: members(ami, "sales"), lambda m: ALICE not in m, 10, "alice out of sales"
    )
    await expect(panel).to_be_hidden(timeout=LIVE_TIMEOUT)

    # A progressive call for her, as the dialer shows it: the contact as her phone rings.
    bridge.pump.apply_local(OutboundChanged("dial", ATTEMPT, dial("ringing_agent")))
    await expect(page.locator("#dial-name")).to_have_text("Ana Alves", timeout=LIVE_TIMEOUT)
    await expect(page.locator("#dial-state")).to_have_text("Your phone rings")
    await expect(page.locator("#dial-announce")).to_have_text(
        "Your phone rings for Ana Alves, +33612345611."
    )
    await expect(page.locator("#dial-preview")).to_be_hidden()
    await shot(page, "ringing")
    bridge.pump.apply_local(OutboundChanged("dial", ATTEMPT, None))
    await expect(panel).to_be_hidden(timeout=LIVE_TIMEOUT)

    # In French: bob leaves the language to his browser; logged in, he is offered a contact.
    french = await log_in("bob", locale="fr-FR")
    await bridge.agents.log_in(BOB, ["sales"], by=Actor("bob"))
    try:
        await expect(french.locator("#dial-state")).to_have_text(
            "Appeler ou passer\u00a0?", timeout=LIVE_TIMEOUT
        )
        await expect(french.locator("#dial-call")).to_have_text("Appeler")
        await screenshots(french, shots, "agent")
    finally:
        await bridge.agents.log_out(BOB, ["sales"], by=Actor("bob"))
    assert sorted(p.name for p in shots.iterdir()) == ["en-agent.png", "fr-agent.png"]
