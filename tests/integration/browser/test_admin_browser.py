"""The admin section in Chromium, against the live bridge and the real Asterisk.

An admin creates a call queue in the browser (Asterisk reports it with its settings), then a
user with a phone chosen from those Asterisk reports, assigned to the queue as an agent; the
agent logs in from their page with the password the admin was shown once, and a sipp call
to the new number rings that agent's sipp phone. Errors (Asterisk's or the API's) show next
to the form, which keeps what was typed; the queue form works from the keyboard alone; every
admin page in English and French (screenshots in the test's tmp dir); a supervisor sees what
their role allows without edit controls, an agent is refused.

Each test starts from the demo configuration stored (``adopt``, so a new queue leaves sales
and support in Asterisk) and puts the demo's generated files back in the shared sandbox.
"""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ami_raw import RawAMI
from live import eventually, queue_params, route
from playwright.async_api import Browser, Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import (  # noqa: E402
    BOB,
    PASSWORD,
    LogIn,
    Site,
    chromium_fixture,  # noqa: F401
    log_in_fixture,  # noqa: F401
    shot_fixture,  # noqa: F401
    site_fixture,  # noqa: F401
)

from standardiste.composition import BridgeProcess as Bridge
from standardiste.tools import sandbox as sb
from standardiste.tools.demo_config import DEMO_QUEUES, demo_files
from standardiste.tools.sipp import AgentPhone, place_call
from standardiste.web.appkeys import ACCOUNTS

LIVE_TIMEOUT = 10_000  # ms
ZOE_PHONE = "PJSIP/agent1004"  # the demo phone no test user has: sipp UAS on port 5074
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
pytestmark = sqlite_only  # the store's SQL is the lead's live tests' (both dialects)


@pytest.fixture(name="admin_site")
async def admin_site_fixture(
    site: Site, bridge: Bridge, ami: RawAMI, sandbox: sb.SandboxInfo
) -> AsyncIterator[Site]:
    """The demo's queues stored as the configuration, and an admin, ada."""
    assert bridge.config is not None
    await bridge.config.store.adopt(DEMO_QUEUES, "test")
    await site.app[ACCOUNTS].create_user("ada", PASSWORD, role="admin", display_name="Ada")
    try:
        yield site
    finally:
        # Members of the queues a test created, then the demo's files back (a connection of
        # our own: the test's may be closed).
        client = await RawAMI.connect(sandbox.ami_host, sandbox.ami_port)
        try:
            for m in await client.action_list("QueueStatus"):
                if m.get("Event") == "QueueMember" and m["Queue"] not in ("sales", "support"):
                    await client.action("QueueRemove", Queue=m["Queue"], Interface=m["Location"])
            sb.install_generated(sandbox.root, demo_files().by_name())
            await client.action("QueueReload", Parameters="yes", Rules="yes", Members="no")
        finally:
            await client.close()


async def fill_queue_form(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = page.locator(f"#q-{name}")
        if await field.evaluate("el => el.tagName") == "SELECT":
            await field.select_option(value)
        else:
            await field.fill(value)


# -------------------------------------------------------------------- the whole path
async def test_admin_creates_a_queue_and_an_agent_whose_phone_it_rings(
    admin_site: Site, ami: RawAMI, log_in: LogIn, chromium: Browser, tmp_path: Path
) -> None:
    page = await log_in("ada")
    await page.get_by_role("link", name="Administration").click()
    await expect(page).to_have_url(f"{admin_site.base}/admin")
    await expect(page.locator("#sum-queues")).to_have_text("2", timeout=LIVE_TIMEOUT)
    await page.get_by_role("button", name="Check Asterisk against the configuration now").click()
    await expect(page.locator("#reconcile-result")).to_have_text(
        "Asterisk matches the configuration."
    )

    # A queue, with settings of each kind.
    await page.get_by_role("link", name="Call queues", exact=True).first.click()
    await page.get_by_role("link", name="New queue").click()
    await fill_queue_form(
        page,
        {
            "name": "billing",
            "display_name": "Billing",
            "extension": "5050",
            "strategy": "leastrecent",
            "timeout": "12",
            "wrapuptime": "3",
            "maxwait": "60",
            "servicelevel": "30",
            "weight": "7",
        },
    )
    await page.get_by_label("Callers leave when the last agent logs out").check()
    await page.get_by_role("button", name="Create the queue").click()
    await expect(page).to_have_url(f"{admin_site.base}/admin/queues/billing")
    await expect(page.locator("#queue-status")).to_have_text(
        "Created: Asterisk runs the new queue."
    )
    await expect(page.locator("h1")).to_have_text("Call queue Billing")
    await expect(page.locator("#q-weight")).to_have_value("7")

    # Asterisk has it, with its settings; the demo's queues are still there.
    params = (await queue_params(ami))["billing"]
    assert (params["Strategy"], params["Weight"], params["ServiceLevel"]) == (
        "leastrecent",
        "7",
        "30",
    )
    assert await route(ami, "5050") == "billing"
    assert {"sales", "support"} <= set(await queue_params(ami))

    # The list shows it.
    await page.get_by_role("link", name="Call queues", exact=True).first.click()
    row = page.locator('#queue-rows tr[data-queue="billing"]')
    await expect(row).to_contain_text("Billing")
    await expect(row).to_contain_text("5050")
    await expect(row).to_contain_text("Least recently called agent")

    # A user with a phone Asterisk reports, agent of the new queue; a password generated.
    await page.get_by_role("link", name="Users", exact=True).first.click()
    await page.get_by_role("link", name="New user").click()
    await page.get_by_label("User name").fill("zoe")
    await page.get_by_label("Display name").fill("Zoé Martin")
    devices = page.locator("#device-list")
    await expect(devices.locator("li")).not_to_have_count(0, timeout=LIVE_TIMEOUT)
    # alice's phone is hers: offered, not choosable.
    alice_phone = devices.locator('li[data-device="PJSIP/agent1001"]')
    await expect(alice_phone).to_contain_text("the phone of alice")
    await expect(alice_phone.locator("input")).to_be_disabled()
    await page.get_by_label(ZOE_PHONE, exact=True).check()
    await page.locator('select[data-queue="billing"]').select_option("agent")
    await page.get_by_role("button", name="Create the user").click()
    created = page.locator("#created")
    await expect(created).to_be_visible()
    await expect(page.locator("#created-heading")).to_be_focused()
    password = (await page.locator("#created-password").inner_text()).strip()
    assert len(password) >= 16
    zoe = await admin_site.app[ACCOUNTS].get("zoe")
    assert zoe is not None
    assert (zoe.devices, dict(zoe.queues), zoe.display_name) == (
        (ZOE_PHONE,),
        {"billing": "agent"},
        "Zoé Martin",
    )

    # Zoé logs in with that password and joins the queue from her workspace.
    context = await chromium.new_context(locale="en-US")
    try:
        agent = await context.new_page()
        await agent.goto(f"{admin_site.base}/login")
        await agent.fill("#username", "zoe")
        await agent.fill("#password", password)
        await agent.click("#login-submit")
        await expect(agent).to_have_url(f"{admin_site.base}/agent")
        await expect(agent.locator("#live-status")).to_have_attribute(
            "data-state", "live", timeout=LIVE_TIMEOUT
        )
        await agent.click("#login-btn")
        await expect(agent.locator("#my-status")).to_have_text("Ready", timeout=LIVE_TIMEOUT)

        # A call to the new number rings her sipp phone, and she talks to the caller.
        start = len(ami.messages)
        async with AgentPhone("1004", 5074, answer_delay_s=0.5, log_dir=tmp_path) as phone:
            caller = await place_call("5050", "0655550123", hangup_after_s=4, log_dir=tmp_path)
            try:
                connect = await ami.wait_event("AgentConnect", start=start, timeout=15)
                await expect(agent.locator("#my-call")).to_contain_text(
                    "In a call with 0655550123 (billing)", timeout=LIVE_TIMEOUT
                )
                assert (await caller.wait_result(30)).answered
            finally:
                await caller.close()
            assert phone.count("ANSWERED") == 1
        assert (connect["Queue"], connect["Interface"]) == ("billing", ZOE_PHONE)
        assert connect["CallerIDNum"] == "0655550123"
    finally:
        await context.close()

    # The queue's page lists her: assigned, and connected now.
    await page.goto(f"{admin_site.base}/admin/queues/billing")
    await expect(page.locator("#queue-agents")).to_have_text("zoe")
    connected = page.locator(f'#connected-rows tr[data-interface="{ZOE_PHONE}"]')
    await expect(connected).to_contain_text("zoe", timeout=LIVE_TIMEOUT)
    await expect(connected).to_contain_text("Assigned")
    # bob, not assigned to it, joins from his phone's feature code (here: the AMI): he takes
    # its calls without the agent workspace, marked temporary.
    await ami.action("QueueAdd", Queue="billing", Interface=BOB)
    await page.get_by_role("button", name="Refresh").click()
    bob = page.locator(f'#connected-rows tr[data-interface="{BOB}"]')
    await expect(bob).to_contain_text("bob", timeout=LIVE_TIMEOUT)
    await expect(bob).to_contain_text("Temporary")

    # Deleted, after a confirmation: gone from Asterisk and from the list.
    await page.get_by_role("button", name="Delete this queue…").click()
    await expect(page.get_by_role("button", name="Yes, delete it")).to_be_focused()
    await page.get_by_role("button", name="Yes, delete it").click()
    await expect(page).to_have_url(f"{admin_site.base}/admin/queues")
    await expect(page.locator("#queues-status")).to_have_text(
        "Queue billing was deleted from Asterisk and the configuration."
    )
    await expect(page.locator('#queue-rows tr[data-queue="billing"]')).to_have_count(0)
    assert "billing" not in await queue_params(ami)
    assert await route(ami, "5050") == ""


# -------------------------------------------------------------------- errors
async def test_errors_show_next_to_the_form_which_keeps_what_was_typed(
    admin_site: Site, bridge: Bridge, ami: RawAMI, log_in: LogIn, tmp_path: Path
) -> None:
    page = await log_in("ada")
    await page.goto(f"{admin_site.base}/admin/new-queue")
    error = page.locator("#queue-error")
    typed = {"name": "dup", "display_name": "Duplicate", "extension": "5000", "weight": "4"}
    await fill_queue_form(page, typed)

    # Refused by the API: the extension is sales's. The message is next to the form, the
    # field it names is flagged, and nothing typed is lost.
    await page.get_by_role("button", name="Create the queue").click()
    await expect(error).to_contain_text("This conflicts with the current state.")
    await expect(error).to_contain_text("extension 5000 is queue sales's")
    await expect(page.locator("#q-extension")).to_have_attribute("aria-invalid", "true")
    for name, value in typed.items():
        await expect(page.locator(f"#q-{name}")).to_have_value(value)
    assert "dup" not in await queue_params(ami)

    # Refused before it is sent: a number left empty; the field is focused.
    await page.locator("#q-extension").fill("5061")
    await page.locator("#q-timeout").fill("")
    await page.get_by_role("button", name="Create the queue").click()
    await expect(error).to_have_text("Agent ring time (seconds): enter a whole number.")
    await expect(page.locator("#q-timeout")).to_be_focused()
    await expect(page.locator("#q-extension")).not_to_have_attribute("aria-invalid", "true")

    # Asterisk's own refusal, from a bridge whose generated files Asterisk does not read (a
    # deployment that forgot the #tryinclude): Asterisk's report is shown, the form keeps
    # what was typed, and nothing is stored.
    assert bridge.config is not None
    applier = bridge.config
    where = applier._dir
    applier._dir = tmp_path / "not-read-by-asterisk"
    try:
        await page.locator("#q-timeout").fill("20")
        await page.locator("#q-name").fill("lost")
        await page.get_by_role("button", name="Create the queue").click()
        await expect(error).to_contain_text("The phone system refused the request.")
        await expect(error).to_contain_text("queue lost: Asterisk did not load it")
    finally:
        applier._dir = where
    await expect(page.locator("#q-name")).to_have_value("lost")
    await expect(page.locator("#q-timeout")).to_have_value("20")
    assert "lost" not in await queue_params(ami)
    assert [q.name for q in await applier.store.queues()] == ["sales", "support"]

    # On a queue's page, a change Asterisk takes is saved and shown as saved.
    await page.goto(f"{admin_site.base}/admin/queues/sales")
    await page.locator("#q-strategy").select_option("fewestcalls")
    await page.get_by_role("button", name="Save the queue").click()
    await expect(page.locator("#queue-status")).to_have_text(
        "Saved: Asterisk runs the queue with these settings."
    )
    assert (await queue_params(ami))["sales"]["Strategy"] == "fewestcalls"
    await page.get_by_role("button", name="Save the queue").click()
    await expect(page.locator("#queue-status")).to_have_text("Nothing was changed.")

    # Deleting a queue while a caller waits in it is refused, with the reason.
    caller = await place_call("5000", "0655550999", hangup_after_s=30, log_dir=tmp_path)
    try:
        await eventually(
            lambda: queue_params(ami), lambda p: p["sales"]["Calls"] == "1", 10, "caller waits"
        )
        await eventually(_waiting_in(bridge, "sales"), bool, 10, "the bridge sees the caller")
        await page.get_by_role("button", name="Delete this queue…").click()
        await page.get_by_role("button", name="Yes, delete it").click()
        await expect(page.locator("#delete-error")).to_contain_text(
            "1 caller(s) are waiting in queue sales: delete it when empty"
        )
        await expect(page.get_by_role("button", name="Delete this queue…")).to_be_focused()
        assert "sales" in await queue_params(ami)
    finally:
        await caller.stop()


def _waiting_in(bridge: Bridge, queue: str):  # type: ignore[no-untyped-def]
    async def probe() -> bool:
        return any(c.queue == queue for c in bridge.model.callers.values())

    return probe


# -------------------------------------------------------------------- the keyboard
async def test_the_queue_form_by_keyboard_alone(
    admin_site: Site, ami: RawAMI, log_in: LogIn
) -> None:
    page = await log_in("ada")
    await page.goto(f"{admin_site.base}/admin/new-queue")

    async def focused() -> str:
        return str(await page.evaluate("document.activeElement?.id ?? ''"))

    for _ in range(40):  # from the top of the page: the header, the section's links, the form
        await page.keyboard.press("Tab")
        if await focused() == "q-name":
            break
    assert await focused() == "q-name"
    # The focus is visible (app.css: a 3 px outline on :focus-visible).
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    await page.keyboard.type("kbd")
    for field, text in (("q-display_name", "By keyboard"), ("q-extension", "5070")):
        await page.keyboard.press("Tab")
        assert await focused() == field
        await page.keyboard.type(text)
    # Enter in a field submits the form (its submit button is the form's default).
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{admin_site.base}/admin/queues/kbd", timeout=LIVE_TIMEOUT)
    await expect(page.locator("h1")).to_have_text("Call queue By keyboard")
    assert await route(ami, "5070") == "kbd"


# -------------------------------------------------------------------- roles
async def test_a_supervisor_sees_without_edit_controls_and_an_agent_is_refused(
    admin_site: Site, log_in: LogIn
) -> None:
    sue = await log_in("sue")
    await sue.get_by_role("link", name="Administration").click()
    await expect(sue.locator("h1")).to_have_text("Administration summary")
    await expect(sue.locator("#sum-seats")).not_to_have_text("–", timeout=LIVE_TIMEOUT)
    await expect(sue.locator("#reconcile-btn")).to_have_count(0)
    nav = sue.get_by_role("navigation", name="Administration sections")
    # Campaigns and do-not-call lists: a supervisor sees and runs those of their queues.
    await expect(nav.get_by_role("link")).to_have_text(
        ["Summary", "Call queues", "Users", "Campaigns", "Do-not-call lists", "General settings"]
    )

    await nav.get_by_role("link", name="Call queues").click()
    await expect(sue.locator('#queue-rows tr[data-queue="sales"]')).to_be_visible()
    await expect(sue.get_by_role("link", name="New queue")).to_have_count(0)
    await sue.locator('#queue-rows tr[data-queue="sales"] a').click()
    await expect(sue.locator("#q-extension")).to_have_value("5000")
    await expect(sue.locator("#q-extension")).to_be_disabled()
    for name in ("Save the queue", "Delete this queue…"):
        await expect(sue.get_by_role("button", name=name)).to_have_count(0)

    await sue.goto(f"{admin_site.base}/admin/users/alice")
    await expect(sue.locator("#u-display_name")).to_be_disabled()
    await expect(sue.get_by_role("button", name="Save the user")).to_have_count(0)
    await expect(sue.locator("#user-permissions")).to_contain_text("Use the agent workspace")

    await sue.goto(f"{admin_site.base}/admin/general")
    await expect(sue.locator("#perms-table input").first).to_be_disabled()
    await expect(sue.get_by_role("button", name="Save the permissions")).to_have_count(0)
    await expect(sue.locator("#skill-form")).to_have_count(0)

    response = await sue.goto(f"{admin_site.base}/admin/audit")
    assert response is not None and response.status == 403
    await expect(sue.locator("h1")).to_have_text("Access refused")
    await expect(sue.locator("#admin-message")).to_contain_text("Read the configuration audit log")

    alice = await log_in("alice")
    await expect(alice.get_by_role("link", name="Administration")).to_have_count(0)
    for path in ("/admin", "/admin/queues", "/admin/users/alice"):
        response = await alice.goto(f"{admin_site.base}{path}")
        assert response is not None and response.status == 403, path
        await expect(alice.locator("h1")).to_have_text("Access refused")
    # The header still works there: she signs out.
    await alice.get_by_role("button", name="Sign out").click()
    await expect(alice).to_have_url(re.compile(r"/login$"))


# -------------------------------------------------------------------- both languages
# path -> (h1 in English, h1 in French, a French text the page's module writes after
# reading the API, where)
PAGES = {
    "/admin": (
        "Administration summary",
        "Synthèse de l’administration",
        "Standardiste gère les files",
        "#sum-managed",
    ),
    "/admin/queues": (
        "Call queues",
        "Files d’appels",
        "Tour de rôle, en retenant le dernier",
        '#queue-rows tr[data-queue="sales"]',
    ),
    "/admin/queues/sales": (
        "Call queue Sales",
        "File d’appels Sales",
        "Appelants en attente en ce moment",
        "#people-waiting",
    ),
    "/admin/new-queue": (
        "New call queue",
        "Nouvelle file d’appels",
        "Stratégie de sonnerie",
        'label[for="q-strategy"]',
    ),
    "/admin/users": ("Users", "Utilisateurs", "Actif", '#user-rows tr[data-user="alice"]'),
    "/admin/users/alice": (
        "User Alice",
        "Utilisateur Alice",
        "le téléphone de bob",
        '#device-list li[data-device="PJSIP/agent1002"]',
    ),
    "/admin/new-user": (
        "New user",
        "Nouvel utilisateur",
        "Générer un mot de passe",
        "#u-generate",
    ),
    "/admin/general": (
        "General settings",
        "Réglages généraux",
        "Proposé",
        '#reason-rows tr[data-reason="lunch"]',
    ),
    "/admin/audit": (
        "Audit log",
        "Journal des modifications",
        "File créée",
        '#audit-rows td[data-action="queue.create"]',
    ),
}


async def test_every_admin_page_in_english_and_french(
    admin_site: Site, log_in: LogIn, tmp_path: Path
) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    for lang, locale in (("en", "en-US"), ("fr", "fr-FR")):
        page = await log_in("ada", locale=locale)  # ada leaves the language to her browser
        for path, (h1_en, h1_fr, written, where) in PAGES.items():
            await page.goto(f"{admin_site.base}{path}")
            assert await page.get_attribute("html", "lang") == lang
            await expect(page.locator("h1")).to_have_text(h1_fr if lang == "fr" else h1_en)
            shown = page.locator(where).first
            await expect(shown).to_be_visible(timeout=LIVE_TIMEOUT)
            if lang == "fr":
                await expect(shown).to_contain_text(written)
            # No catalog key shown as itself, in what the server or the module wrote (a
            # permission's own name, in <code>, is meant to show).
            text = await page.evaluate(
                """() => {
                     const main = document.querySelector("main").cloneNode(true);
                     main.querySelectorAll("code").forEach((c) => c.remove());
                     return main.textContent;
                   }"""
            )
            assert not re.search(r"\b(admin|perm|role)\.[a-z_]+\.[a-z_.]+", text), path
            name = path.strip("/").replace("/", "-")
            await page.screenshot(path=str(shots / f"{lang}-{name}.png"), full_page=True)
    taken = sorted(p.name for p in shots.iterdir() if p.stat().st_size > 0)
    assert len(taken) == 2 * len(PAGES), taken


# -------------------------------------------------------------------- the audit log
async def test_the_audit_log_in_the_users_time_zone_with_older_entries_on_demand(
    admin_site: Site, bridge: Bridge, log_in: LogIn
) -> None:
    assert bridge.config is not None
    store = bridge.config.store
    for i in range(55):  # with the 2 of the demo's queues: two pages of 50
        await store.record("ada", "chat_tags.update", "chat_tags", [f"t{i}"], [f"t{i + 1}"])
    await admin_site.app[ACCOUNTS].update_user("ada", language="fr", time_zone="Asia/Tokyo")
    newest = (await store.audit(limit=1))[0]

    page = await log_in("ada")
    await page.goto(f"{admin_site.base}/admin/audit")
    rows = page.locator("#audit-rows tr")
    await expect(rows).to_have_count(50, timeout=LIVE_TIMEOUT)
    first = rows.first
    await expect(first.locator("td").nth(1)).to_have_text("ada")
    await expect(first.locator("td").nth(2)).to_have_text("Étiquettes de chat modifiées")
    await expect(first.locator(".diff")).to_have_text("Ajouté\u00a0: t55Retiré\u00a0: t54")
    # When: in ada's time zone (Tokyo), not the server's (UTC).
    local = newest.at.astimezone(ZoneInfo("Asia/Tokyo"))
    await expect(first.locator("time")).to_contain_text(local.strftime("%H:%M:%S"))
    assert newest.at.astimezone(UTC).strftime("%H:%M") != local.strftime("%H:%M")

    older = page.get_by_role("button", name="Afficher les entrées plus anciennes")
    await older.focus()
    await page.keyboard.press("Enter")
    await expect(rows).to_have_count(57, timeout=LIVE_TIMEOUT)
    await expect(rows.nth(50)).to_be_focused()  # the keyboard continues at the new entries
    await expect(older).to_be_hidden()
    await expect(page.locator("#audit-end")).to_have_text("C’est l’entrée la plus ancienne.")
    await expect(rows.last.locator("td").nth(2)).to_have_text("File créée")


# -------------------------------------------------------------------- general settings
async def test_general_settings_in_the_browser(
    admin_site: Site, bridge: Bridge, log_in: LogIn
) -> None:
    assert bridge.config is not None
    store = bridge.config.store
    sue = await log_in("sue")
    page = await log_in("ada")
    await page.goto(f"{admin_site.base}/admin/general")

    # The matrix: a permission taken from supervisors is refused to sue at once.
    box = page.locator(
        '#perms-table input[data-role="supervisor"][data-permission="admin.queues.view"]'
    )
    await expect(box).to_be_checked()
    await box.uncheck()
    await page.get_by_role("button", name="Save the permissions").click()
    await expect(page.locator("#perms-status")).to_have_text("The permissions were saved.")
    assert "admin.queues.view" not in (await store.matrix())["supervisor"]
    response = await sue.goto(f"{admin_site.base}/admin/queues")
    assert response is not None and response.status == 403

    # Skills: defined (Enter in the form), renamed, deleted after a second click.
    name = page.get_by_label("Code", exact=True)
    await name.fill("french")
    await page.locator("#skill-display").fill("French")
    await page.keyboard.press("Enter")
    row = page.locator('#skill-rows tr[data-skill="french"]')
    await expect(row).to_be_visible()
    await expect(name).to_be_focused()
    await expect(name).to_have_value("")
    await row.get_by_label("Display name of french").fill("Français")
    await row.get_by_role("button", name="Rename french").click()
    await expect(page.locator("#skills-status")).to_have_text("Skill french renamed.")
    await expect(row.locator("input")).to_have_value("Français")
    await name.fill("german")
    await page.get_by_role("button", name="Add the skill").click()
    delete = page.get_by_role("button", name="Delete german")
    await delete.click()
    await page.get_by_role("button", name="Really delete german?").click()
    await expect(page.locator('#skill-rows tr[data-skill="german"]')).to_have_count(0)
    assert await store.skills() == [{"name": "french", "display_name": "Français"}]

    # Pause reasons: created, relabelled, retired (kept, no longer offered).
    await page.locator("#reason-code").fill("coaching")
    await page.locator("#reason-en").fill("Coaching")
    await page.locator("#reason-fr").fill("Accompagnement")
    await page.get_by_role("button", name="Create the reason").click()
    reason = page.locator('#reason-rows tr[data-reason="coaching"]')
    await expect(reason).to_contain_text("Offered")
    await reason.get_by_label("Label of coaching in French").fill("Coaching individuel")
    status = page.locator("#reasons-status")
    await expect(status).to_have_text("Pause reason coaching created.")
    await reason.get_by_role("button", name="Save the labels of coaching").click()
    await expect(status).to_have_text("Labels of coaching saved.")
    await expect(reason.get_by_label("Label of coaching in French")).to_have_value(
        "Coaching individuel"
    )
    await reason.get_by_role("button", name="Retire coaching").click()
    await expect(status).to_have_text("coaching is retired: no longer offered.")
    await expect(reason).to_contain_text("Retired")
    await expect(reason.get_by_role("button", name="Offer coaching again")).to_be_focused()
    stored = {r.code: r for r in await store.pause_reasons()}["coaching"]
    assert (stored.label_fr, stored.active) == ("Coaching individuel", False)

    # Canned texts: added, changed, deleted.
    await page.locator("#text-title").fill("Greeting")
    await page.locator("#text-language").select_option("fr")
    await page.locator("#text-body").fill("Bonjour, que puis-je pour vous ?")
    await page.get_by_role("button", name="Save the text").click()
    text = page.locator("#text-rows tr", has_text="Greeting")
    await expect(text).to_contain_text("Bonjour, que puis-je pour vous ?")
    await text.get_by_role("button", name="Change Greeting").click()
    await expect(page.locator("#text-form-heading")).to_have_text("Change the canned text")
    await expect(page.locator("#text-title")).to_be_focused()
    await page.locator("#text-body").fill("Bonjour !")
    await page.get_by_role("button", name="Save the text").click()
    await expect(text.locator("td.body-text")).to_have_text("Bonjour !")
    await expect(page.locator("#text-form-heading")).to_have_text("Add a canned text")
    await text.get_by_role("button", name="Delete Greeting").click()
    await page.get_by_role("button", name="Really delete Greeting?").click()
    await expect(page.locator("#texts-empty")).to_be_visible()
    assert await store.canned_texts() == []

    # Chat tags: one per line, blanks and duplicates dropped.
    await page.get_by_label("Tags, one per line").fill("vip\ncomplaint\n\n vip ")
    await page.get_by_role("button", name="Save the tags").click()
    await expect(page.locator("#tags-status")).to_have_text("Saved: 2 tags.")
    await expect(page.locator("#tags-input")).to_have_value("complaint\nvip")
    assert await store.chat_tags() == ["complaint", "vip"]

    actions = [e.action for e in await store.audit(limit=30) if e.actor == "ada"]
    for action in ("permissions.update", "skill.create", "skill.update", "skill.delete",
                   "pause_reason.create", "pause_reason.update", "canned_text.create",
                   "canned_text.update", "canned_text.delete", "chat_tags.update"):  # fmt: skip
        assert action in actions, action


# -------------------------------------------------------------------- a user's page
async def test_editing_a_user(
    admin_site: Site, bridge: Bridge, log_in: LogIn, chromium: Browser
) -> None:
    assert bridge.config is not None
    store = bridge.config.store
    await store.save_skill("french", "French", "test")
    alice = await log_in("alice")
    page = await log_in("ada")
    await page.goto(f"{admin_site.base}/admin/users/alice")
    await expect(page.locator("#device-list li")).not_to_have_count(0, timeout=LIVE_TIMEOUT)

    # Name, a second phone, a second queue, a skill level: saved, the page shows it saved.
    await page.get_by_label("Display name").fill("Alice Durand")
    await page.get_by_label("PJSIP/agent1003", exact=True).check()
    await page.locator('select[data-queue="support"]').select_option("agent")
    await page.locator('select[data-skill="french"]').select_option("4")
    await page.get_by_role("button", name="Save the user").click()
    await expect(page.locator("#user-status")).to_have_text("Saved.")
    await expect(page.locator("h1")).to_have_text("User Alice Durand")
    user = await admin_site.app[ACCOUNTS].get("alice")
    assert user is not None
    assert user.display_name == "Alice Durand"
    assert user.devices == ("PJSIP/agent1001", "PJSIP/agent1003")  # the first stays default
    assert dict(user.queues) == {"sales": "agent", "support": "agent"}
    assert await store.user_skills("alice") == {"french": 4}
    await page.get_by_role("button", name="Save the user").click()
    await expect(page.locator("#user-status")).to_have_text("Nothing was changed.")

    # An agent cannot supervise: the API says so next to the form; the choice stays.
    await page.locator('select[data-queue="support"]').select_option("supervisor")
    await page.get_by_role("button", name="Save the user").click()
    await expect(page.locator("#user-error")).to_contain_text("an agent cannot supervise")
    await expect(page.locator('select[data-queue="support"]')).to_have_value("supervisor")
    # Made a supervisor in the same save: taken, and her effective permissions follow.
    await page.get_by_label("Role", exact=True).select_option("supervisor")
    await page.get_by_role("button", name="Save the user").click()
    await expect(page.locator("#user-status")).to_have_text("Saved.")
    await expect(page.locator("#user-error")).to_be_hidden()
    await expect(page.locator("#user-permissions")).to_contain_text(
        "Log in, log out, pause and resume the agents of one’s queues"
    )

    # A generated new password ends her open sessions; she signs in with it.
    await page.get_by_role("button", name="Generate a password").click()
    password = await page.locator("#u-password").input_value()
    assert len(password) == 20
    await expect(page.locator("#u-password")).to_have_attribute("type", "text")
    await page.get_by_role("button", name="Save the user").click()
    await expect(page.locator("#user-status")).to_have_text("Saved.")
    await expect(page.locator("#u-password")).to_have_value("")
    await expect(alice).to_have_url(re.compile(r"/login$"), timeout=LIVE_TIMEOUT)
    context = await chromium.new_context(locale="en-US")
    try:
        again = await context.new_page()
        await again.goto(f"{admin_site.base}/login")
        await again.fill("#username", "alice")
        await again.fill("#password", password)
        await again.click("#login-submit")
        await expect(again).to_have_url(f"{admin_site.base}/supervisor")
    finally:
        await context.close()

    # Disabled: she can no longer sign in.
    await page.get_by_label("Account disabled").check()
    await page.get_by_role("button", name="Save the user").click()
    await expect(page.locator("#user-status")).to_have_text(
        "Saved: the account is disabled and their sessions have ended."
    )
    user = await admin_site.app[ACCOUNTS].get("alice")
    assert user is not None and user.disabled
