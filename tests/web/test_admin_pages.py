"""The admin section's pages (/admin/...) and who may use them: each page as each role (ada
admin, sue supervisor, alice agent), the edit controls only for the roles that may edit, the
API's refusals per role for every admin route, a permission taken from a role in the matrix
refused on the next request, and both languages. (What the pages do in a browser is
tests/integration/browser/test_admin_browser.py.)"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import fields
from pathlib import Path

import aiohttp
import pytest
from test_web_openapi import CALLS
from web_helpers import Browser

from standardiste.accounts import Accounts
from standardiste.pbx.definitions import STRATEGIES, QueueDef
from standardiste.pbx.store import ConfigStore
from standardiste.role_permissions import PERMISSIONS, granted
from standardiste.web.admin_pages import QUEUE_FORM
from standardiste.web.admin_routes import ADMIN_ROUTES
from standardiste.web.endpoint import Route
from standardiste.web.i18n import catalog

Login = Callable[[str], Awaitable[Browser]]

# path -> the permission needed to see the page, the section it belongs to
PAGES = {
    "/admin": ("admin.summary", "/admin"),
    "/admin/queues": ("admin.queues.view", "/admin/queues"),
    "/admin/queues/sales": ("admin.queues.view", "/admin/queues"),
    "/admin/new-queue": ("admin.queues.edit", "/admin/queues"),
    "/admin/users": ("admin.users.view", "/admin/users"),
    "/admin/users/alice": ("admin.users.view", "/admin/users"),
    "/admin/new-user": ("admin.users.edit", "/admin/users"),
    "/admin/campaigns": ("campaigns.view", "/admin/campaigns"),
    "/admin/campaigns/winter": ("campaigns.view", "/admin/campaigns"),
    "/admin/new-campaign": ("campaigns.manage", "/admin/campaigns"),
    "/admin/dnc": ("dnc.manage", "/admin/dnc"),
    "/admin/general": ("admin.summary", "/admin/general"),
    "/admin/audit": ("admin.audit.view", "/admin/audit"),
}
ROLE_OF = {"ada": "admin", "sue": "supervisor", "alice": "agent"}


async def page(b: Browser, path: str, lang: str | None = None) -> aiohttp.ClientResponse:
    headers = {"Accept-Language": lang} if lang else {}
    resp = await b.http.get(b.base + path, headers=headers, allow_redirects=False)
    await resp.read()
    return resp


def markup(text: str) -> str:
    """The page without its JSON data block (which holds the whole catalog, keys included)."""
    return re.sub(
        r'<script type="application/json" id="page-data">.*?</script>', "", text, flags=re.S
    )


def untranslated(text: str) -> list[str]:
    """Catalog keys shown as themselves (a missing translation); a permission's own name in
    <code> is meant to show."""
    text = re.sub(r"<code[^>]*>.*?</code>", "", text, flags=re.S)
    return re.findall(r">\s*((?:admin|perm|role)\.[a-z_.]+)\s*<", text)


def has_id(text: str, element_id: str) -> bool:
    return f'id="{element_id}"' in text


# -------------------------------------------------------------------- who sees which page
@pytest.mark.parametrize("username", ["ada", "sue", "alice"])
async def test_each_page_as_each_role(
    logged_in: Login, configuration: ConfigStore, username: str
) -> None:
    b = await logged_in(username)
    held = granted(ROLE_OF[username], await configuration.matrix())
    for path, (permission, section) in PAGES.items():
        resp = await page(b, path)
        text = markup(await resp.text())
        if permission in held:
            assert resp.status == 200, (username, path)
            assert 'aria-label="Administration sections"' in text
            assert "Access refused" not in text
            assert resp.headers["Cache-Control"] == "no-store"
            assert 'id="live-status"' not in text  # no live feed on the admin pages
            # The section of the page is marked in the admin navigation.
            main = text.split("<main")[1]
            assert re.findall(r'<a href="([^"]+)" aria-current="page">', main) == [section]
        else:
            assert resp.status == 403, (username, path)
            assert "Access refused" in text
            assert 'src="/static/js/admin_message.js"' in text  # the header works there too
            assert 'id="live-status"' not in text
            assert f"“{catalog('en')[f'perm.{permission}']}”" in text, (username, path)
        assert "<script>" not in text  # the CSP forbids inline scripts


async def test_anonymous_visitors_log_in_first_and_come_back(
    browser: Callable[[], Browser],
) -> None:
    b = browser()
    for path in PAGES:
        resp = await page(b, path)
        assert resp.status == 303
        assert resp.headers["Location"] == f"/login?next={path}"
    await b.login("ada")
    # The login page sends a logged-in user where they were going (our own pages only).
    resp = await page(b, "/login?next=/admin/queues/sales")
    assert resp.headers["Location"] == "/admin/queues/sales"
    for elsewhere in ("//evil.example/admin", "/admin/../../x", "https://evil.example/"):
        resp = await page(b, f"/login?next={elsewhere}")
        assert resp.headers["Location"] == "/supervisor", elsewhere


async def test_the_header_links_to_the_admin_section(logged_in: Login) -> None:
    link = re.compile(r'<a href="([^"]*)" id="nav-admin"')
    for username, target in (("ada", "/admin"), ("sue", "/admin"), ("alice", None)):
        b = await logged_in(username)
        home = "/agent" if username == "alice" else "/supervisor"
        found = link.search(await (await page(b, home)).text())
        assert (found.group(1) if found else None) == target, username
    # A supervisor whose role no longer sees the summary is linked to what it still sees.
    ada = await logged_in("ada")
    resp = await ada.request(
        "PUT",
        "/api/v1/admin/permissions/supervisor",
        {"permissions": ["live.view", "overview.view", "admin.users.view"]},
    )
    assert resp.status == 200
    sue = await logged_in("sue")
    found = link.search(await (await page(sue, "/supervisor")).text())
    assert found and found.group(1) == "/admin/users"


async def test_unknown_queue_and_user_pages_say_so(logged_in: Login) -> None:
    ada = await logged_in("ada")
    resp = await page(ada, "/admin/queues/nosuch")
    assert resp.status == 404
    assert "There is no call queue nosuch in the configuration." in await resp.text()
    resp = await page(ada, "/admin/users/nosuch", "fr")
    assert resp.status == 404
    assert "Aucun utilisateur nosuch." in await resp.text()


# -------------------------------------------------------------------- what each role may do
async def test_edit_controls_only_for_roles_that_may_edit(logged_in: Login) -> None:
    ada, sue = await logged_in("ada"), await logged_in("sue")
    queue_a = await (await page(ada, "/admin/queues/sales")).text()
    queue_s = await (await page(sue, "/admin/queues/sales")).text()
    for control in ("queue-save", "queue-delete", "delete-yes"):
        assert has_id(queue_a, control) and not has_id(queue_s, control), control
    # The supervisor sees the settings, read-only.
    assert "<fieldset disabled>" in queue_s and "<fieldset disabled>" not in queue_a
    assert 'id="q-extension"' in queue_s and 'value="5000"' in queue_s

    list_a = await (await page(ada, "/admin/queues")).text()
    list_s = await (await page(sue, "/admin/queues")).text()
    assert has_id(list_a, "new-queue") and not has_id(list_s, "new-queue")

    user_a = await (await page(ada, "/admin/users/alice")).text()
    user_s = await (await page(sue, "/admin/users/alice")).text()
    for control in ("user-save", "u-password", "u-generate"):
        assert has_id(user_a, control) and not has_id(user_s, control), control
    users_a = await (await page(ada, "/admin/users")).text()
    assert has_id(users_a, "new-user")
    assert not has_id(await (await page(sue, "/admin/users")).text(), "new-user")

    general_a = await (await page(ada, "/admin/general")).text()
    general_s = await (await page(sue, "/admin/general")).text()
    for control in (
        "perms-save", "skill-form", "reason-form", "text-form", "audio-form", "tags-save"
    ):  # fmt: skip
        assert has_id(general_a, control) and not has_id(general_s, control), control
    # The matrix: the admin column always checked and read-only; the others editable by ada.
    box = re.compile(r'<input type="checkbox" id="perm-(\w+)-\d+"[^>]*?>', re.S)
    for role, tag in ((m.group(1), m.group(0)) for m in box.finditer(general_a)):
        assert ("disabled" in tag) == (role == "admin"), tag
        if role == "admin":
            assert "checked" in tag
    assert all("disabled" in m.group(0) for m in box.finditer(general_s))


async def test_the_matrix_and_the_user_page_show_the_stored_permissions(
    logged_in: Login, configuration: ConfigStore
) -> None:
    ada = await logged_in("ada")
    text = await (await page(ada, "/admin/general")).text()
    matrix = await configuration.matrix()
    rows = re.findall(r'<tr data-permission="([\w.]+)">(.*?)</tr>', text, re.S)
    assert [p for p, _ in rows] == list(PERMISSIONS)
    for permission, row in rows:
        for role in ("supervisor", "agent"):
            tag = re.search(rf'<input type="checkbox"[^>]*data-role="{role}"[^>]*>', row, re.S)
            assert tag is not None
            assert ("checked" in tag.group(0)) == (permission in matrix[role]), (role, permission)
    # A user's page lists what their role allows, by the permission's description.
    alice = await (await page(ada, "/admin/users/alice")).text()
    listed = re.findall(r'<li data-permission="([\w.]+)">', alice)
    assert listed == sorted(matrix["agent"])
    assert "Use the agent workspace (log in and out, pause, resume)" in alice


async def test_the_queue_form_has_every_setting_with_a_label_and_help(logged_in: Login) -> None:
    settings = {f.name for f in fields(QueueDef)} - {"name"}
    in_form = {f.name for _, group in QUEUE_FORM for f in group}
    assert in_form == settings
    ada = await logged_in("ada")
    for lang in ("en", "fr"):
        strings = catalog(lang)
        text = markup(await (await page(ada, "/admin/new-queue", lang)).text())
        names = set(re.findall(r'<(?:input|select)[^>]* name="(\w+)"', text))
        # The user's form in the header is not the queue's.
        assert names - {"language", "timezone"} == settings | {"name"}
        for name in settings | {"name"}:
            assert f'for="q-{name}"' in text, name  # a label for every input
            help_text = strings[f"admin.queue.help.{name}"]
            assert f'<p class="help" id="q-{name}-help">{_html(help_text)}</p>' in text, name
        for strategy in STRATEGIES:
            assert _html(strings[f"admin.strategy.{strategy}"]) in text
        # No catalog key shows as itself (a missing translation).
        assert not untranslated(text)
    # A new queue starts from QueueDef's defaults.
    text = await (await page(ada, "/admin/new-queue")).text()
    assert re.search(r'name="timeout"[^>]*value="15"', text)
    assert re.search(r'<option value="rrmemory" selected>', text)


def _html(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


async def test_pages_in_french(logged_in: Login, accounts: Accounts) -> None:
    await accounts.update_user("ada", language="fr")
    ada = await logged_in("ada")
    expected = {
        "/admin": "Synthèse de l’administration",
        "/admin/queues": "Files d’appels",
        "/admin/queues/sales": "Stratégie de sonnerie",
        "/admin/new-queue": "Nouvelle file d’appels",
        "/admin/users": "Nouvel utilisateur",
        "/admin/users/alice": "Droits effectifs",
        "/admin/new-user": "Générer un mot de passe",
        "/admin/general": "Droits de chaque rôle",
        "/admin/audit": "Journal des modifications",
        "/admin/campaigns": "Nouvelle campagne",
        "/admin/campaigns/winter": "Tentatives par numéro",
        "/admin/new-campaign": "Créer la campagne",
        "/admin/dnc": "Importer la liste",
    }
    assert set(expected) == set(PAGES)
    for path, words in expected.items():
        text = markup(await (await page(ada, path, "en-US")).text())
        assert '<html lang="fr">' in text and words in text, path
        assert not untranslated(text), path


async def test_user_data_on_the_pages_is_escaped(logged_in: Login, accounts: Accounts) -> None:
    evil = "</script><img src=x onerror=alert(1)>"
    await accounts.update_user("alice", display_name=evil)
    ada = await logged_in("ada")
    text = await (await page(ada, "/admin/users/alice")).text()
    assert evil not in text
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in text


async def test_the_user_page_offers_every_queue_and_skill(
    logged_in: Login, configuration: ConfigStore
) -> None:
    await configuration.set_user_skills("carol", {"french": 4}, "test")
    ada = await logged_in("ada")
    text = await (await page(ada, "/admin/users/carol")).text()
    queues = dict(re.findall(r'data-queue="(\w+)" class="queue-role">(.*?)</select>', text, re.S))
    assert set(queues) == {"sales", "support"}
    assert all('<option value="agent" selected>' in options for options in queues.values())
    skills = dict(re.findall(r'data-skill="(\w+)" class="skill-level">(.*?)</select>', text, re.S))
    assert set(skills) == {"french", "german"}
    assert '<option value="4" selected>' in skills["french"]
    assert '<option value="" selected>' in skills["german"]


# -------------------------------------------------------------------- the API, per role
@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda r: r.name)
async def test_each_admin_route_refuses_the_roles_without_its_permission(
    logged_in: Login, configuration: ConfigStore, route: Route
) -> None:
    assert route.permission is not None
    call = CALLS[route.name]
    path = (call.path or route.path) + call.query
    matrix = await configuration.matrix()
    # The agent and the supervisor first (a refusal changes nothing), the admin last.
    for username in ("alice", "sue", "ada"):
        b = await logged_in(username)
        resp = await b.request(route.method, path, call.body)
        if route.permission in granted(ROLE_OF[username], matrix):
            assert resp.status == call.status, (username, await resp.text())
        else:
            assert resp.status == 403, (username, resp.status)
            assert (await resp.json())["error"]["code"] == "forbidden"


async def test_queues_api_by_role(logged_in: Login) -> None:
    alice, sue, ada = [await logged_in(u) for u in ("alice", "sue", "ada")]
    new = {"name": "billing", "extension": "5002"}
    assert (await alice.get("/api/v1/admin/queues")).status == 403
    assert (await sue.get("/api/v1/admin/queues")).status == 200
    assert (await sue.post("/api/v1/admin/queues", new)).status == 403
    created = await ada.post("/api/v1/admin/queues", new)
    assert created.status == 201
    assert (await created.json())["settings"]["extension"] == "5002"


async def test_an_admin_sets_the_queues_service_level_and_short_abandon(
    logged_in: Login,
) -> None:
    ada = await logged_in("ada")
    created = await ada.post("/api/v1/admin/queues", {"name": "billing", "extension": "5002"})
    got = (await created.json())["settings"]
    assert (got["sl_variant"], got["sl_target"], got["short_abandon"]) == (1, 80, 5)
    changes = {"sl_variant": 4, "sl_target": 90, "short_abandon": 0, "servicelevel": 30}
    resp = await ada.request("PATCH", "/api/v1/admin/queues/billing", changes)
    assert resp.status == 200, await resp.text()
    assert {k: (await resp.json())["settings"][k] for k in changes} == changes
    for bad in ({"sl_variant": 0}, {"sl_target": 101}, {"short_abandon": -1}):
        refused = await ada.request("PATCH", "/api/v1/admin/queues/billing", bad)
        assert refused.status == 400, bad
    text = await (await page(ada, "/admin/queues/billing")).text()
    assert '<option value="4" selected>' in text


async def test_a_permission_taken_in_the_matrix_is_refused_on_the_next_request(
    logged_in: Login, configuration: ConfigStore
) -> None:
    ada, sue = await logged_in("ada"), await logged_in("sue")
    assert (await sue.get("/api/v1/admin/queues")).status == 200
    assert (await page(sue, "/admin/queues")).status == 200
    matrix = await configuration.matrix()
    kept = sorted(matrix["supervisor"] - {"admin.queues.view"})
    resp = await ada.request("PUT", "/api/v1/admin/permissions/supervisor", {"permissions": kept})
    assert resp.status == 200
    assert "admin.queues.view" not in (await resp.json())["roles"]["supervisor"]
    # Sue's very next request, with the session she already had.
    refused = await sue.get("/api/v1/admin/queues")
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "forbidden"
    assert (await page(sue, "/admin/queues")).status == 403
    assert "/admin/queues" not in (await (await page(sue, "/admin")).text())  # not in the nav
    # And given back.
    given = sorted(matrix["supervisor"])
    resp = await ada.request("PUT", "/api/v1/admin/permissions/supervisor", {"permissions": given})
    assert resp.status == 200
    assert (await sue.get("/api/v1/admin/queues")).status == 200
    entries = await configuration.audit(action="permissions.update")
    assert [(e.actor, e.subject) for e in entries] == [("ada", "supervisor")] * 2


# -------------------------------------------------------------------- the catalogs
def test_every_label_the_admin_modules_build_exists_in_both_languages() -> None:
    """Keys the pages and modules build from a value (not seen by test_i18n's scan)."""
    actions = {
        "queue.create", "queue.update", "queue.delete", "user.create", "user.update",
        "user.skills", "skill.create", "skill.update", "skill.delete", "pause_reason.create",
        "pause_reason.update", "permissions.update", "canned_text.create",
        "canned_text.update", "canned_text.delete", "chat_tags.update", "config.reconcile",
        "recording.play", "canned_audio.create", "canned_audio.update", "canned_audio.delete",
        "campaign.create", "campaign.update", "campaign.delete", "campaign.pause",
        "campaign.resume",
    }  # fmt: skip
    keys = (
        [f"perm.{p}" for p in PERMISSIONS]
        + [f"role.{r}" for r in ("admin", "supervisor", "agent")]
        + [f"admin.strategy.{s}" for s in STRATEGIES]
        + [f"admin.level.{n}" for n in range(1, 6)]
        + [f"admin.queue.{kind}.{f.name}" for _, g in QUEUE_FORM for f in g
           for kind in ("field", "help")]
        + [f"admin.audit.actions.{a}" for a in actions]
        + [f"admin.user.queue_role.{r}" for r in ("none", "supervisor")]
        + [f"admin.device.state.{s}" for s in ("NOT_INUSE", "INUSE", "UNAVAILABLE", "UNKNOWN")]
    )  # fmt: skip
    for lang in ("en", "fr"):
        missing = [k for k in keys if k not in catalog(lang)]
        assert missing == [], lang
    # Every action the store records is listed above (a new one needs its label).
    package = Path(__file__).resolve().parents[2] / "standardiste"
    source = "\n".join(
        (package / p).read_text(encoding="utf-8")
        for p in (
            "pbx/store.py",
            "web/admin_api.py",
            "pbx/applier.py",
            "web/recordings.py",
            "pbx/canned_audio.py",
            "outbound/store.py",
        )  # fmt: skip
    )
    verbs = "create|update|delete|skills|reconcile|play|pause|resume"
    recorded = set(re.findall(rf'"([a-z_]+\.(?:{verbs}))"', source))
    assert recorded - set(PERMISSIONS) <= actions, recorded - actions
