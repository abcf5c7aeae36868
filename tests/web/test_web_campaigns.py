"""The campaign API (SV-7, SV-10, AG-4, CD-1..CD-5, CF-4) and the do-not-call lists: who may
see and run which campaign (its queue decides), what a bad request is told, a CSV import
with bad rows and its report, missed calls assigned once, a preview's Call and Skip handed
to the bridge. The campaigns (conftest.add_campaigns): winter dials through sales (sue
supervises it), help through support (sam supervises it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from web_helpers import (
    MISSED,
    PREVIEW,
    Browser,
    FakeDialer,
    Mirror,
    error_code,
    preview_dial,
    until,
)

from standardiste.errors import CommandTimeout
from standardiste.outbound.store import CampaignStore
from standardiste.pbx.store import ConfigStore

Login = Callable[[str], Awaitable[Browser]]
C = "/api/v1/campaigns"
ASSIGN = "/api/v1/missed-calls/assign"


async def names(resp: aiohttp.ClientResponse) -> list[str]:
    assert resp.status == 200, await resp.text()
    return [c["settings"]["name"] for c in (await resp.json())["campaigns"]]


async def message(resp: aiohttp.ClientResponse) -> str:
    text: str = (await resp.json())["error"]["message"]
    return text


# -------------------------------------------------------------------- who sees what
async def test_each_supervisor_sees_the_campaigns_of_their_queues_with_their_cards(
    logged_in: Login,
) -> None:
    assert await names(await (await logged_in("sue")).get(C)) == ["winter"]
    assert await names(await (await logged_in("sam")).get(C)) == ["help"]
    ada = await logged_in("ada")
    resp = await ada.get(C)
    assert await names(resp) == ["help", "winter"]
    cards = {c["settings"]["name"]: c["card"] for c in (await resp.json())["campaigns"]}
    # winter's card is the dialer's (the live mirror); help has none yet: read from SQL.
    assert cards["winter"]["contacts_left"] == 7 and cards["winter"]["aht"] == 95.0
    help_card = cards["help"]
    assert (help_card["status"], help_card["reason"]) == ("inactive", "no_contacts")
    assert (help_card["agents_logged_in"], help_card["contacts_total"]) == (2, 0)
    # Agents see their campaigns' cards in the live state only (AG-4), not this API.
    assert (await error_code(await (await logged_in("alice")).get(C)))[0] == 403


async def test_a_campaign_of_another_queue_is_refused_the_same_as_one_that_does_not_exist(
    logged_in: Login,
) -> None:
    sue = await logged_in("sue")
    resp = await sue.get(f"{C}/winter")
    assert resp.status == 200
    body = await resp.json()
    assert body["settings"]["queue"] == "sales" and body["can_control"] is True
    for name in ("help", "nothing"):
        assert await error_code(await sue.get(f"{C}/{name}")) == (403, "forbidden")
        assert await error_code(await sue.post(f"{C}/{name}/pause")) == (403, "forbidden")
    ada = await logged_in("ada")
    assert await error_code(await ada.get(f"{C}/nothing")) == (404, "unknown_campaign")


# -------------------------------------------------------------------- CF-4 settings
async def test_an_admin_creates_changes_and_deletes_a_campaign(
    logged_in: Login, configuration: ConfigStore
) -> None:
    ada = await logged_in("ada")
    settings: dict[str, Any] = {
        "name": "spring",
        "display_name": "Spring offers",
        "queue": "sales",
        "mode": "preview",
        "caller_id": "01 23 45 67 89",
        "schedule": {
            "timezone": "Europe/Paris",
            "hours": {"mon": [{"start": "09:00", "end": "12:00"}]},
            "closed": ["2024-05-01"],
        },
        "call_window": {"start": "10:00", "end": "19:00"},
        "retry": {"max_attempts": 4, "busy_delay": 300},
        "ring_timeout": 30,
        "missed_queues": ["sales", "support"],
    }
    resp = await ada.post(C, settings)
    assert resp.status == 201, await resp.text()
    created = (await resp.json())["settings"]
    assert created["caller_id"] == "+33123456789"  # normalised
    assert created["schedule"]["hours"]["tue"] == []  # a day left out is closed
    assert created["retry"]["max_attempts"] == 4 and created["retry"]["no_answer_delay"] == 3600
    assert (await error_code(await ada.post(C, settings)))[0] == 409  # the name is taken
    resp = await ada.request("PUT", f"{C}/spring", {**settings, "ring_timeout": 45})
    assert resp.status == 200 and (await resp.json())["settings"]["ring_timeout"] == 45
    assert (await ada.request("DELETE", f"{C}/spring")).status == 204
    assert await error_code(await ada.get(f"{C}/spring")) == (404, "unknown_campaign")
    actions = [e.action for e in await configuration.audit(limit=3)]
    assert actions == ["campaign.delete", "campaign.update", "campaign.create"]


async def test_each_wrong_setting_is_a_400_naming_it(logged_in: Login) -> None:
    ada = await logged_in("ada")
    base = {"name": "spring", "queue": "sales"}
    for change, named in (
        ({"ring_timeout": 5}, "ring_timeout: a whole number between 15 and 120"),
        ({"queue": "billing"}, "queue: no queue named 'billing'"),
        ({"missed_queues": ["nope"]}, "missed_queues: no queue named 'nope'"),
        ({"mode": "robot"}, "field mode must be"),
        ({"name": "Spring!"}, "field name: 'Spring!' is not of the expected form"),
        ({"caller_id": "12"}, "caller_id: "),
        ({"drop_cap": 0.2}, "drop_cap: a share between 0 and 0.03"),
        ({"schedule": {"hours": {"mon": [{"start": "18:00", "end": "09:00"}]}}},
         "schedule.hours.mon[0]: end must be after start"),
        ({"schedule": {"timezone": "Mars/Base"}}, "schedule.timezone: unknown time zone"),
        ({"call_window": {"start": "9h", "end": "20:00"}}, "call_window.start: a time HH:MM"),
        ({"retry": {"max_attempts": 0}}, "retry.max_attempts: a whole number between 1 and 20"),
        ({"schedule": 12}, "field schedule"),
    ):  # fmt: skip
        resp = await ada.post(C, {**base, **change})
        assert await error_code(resp) == (400, "invalid_input"), change
        assert (await message(resp)).startswith(named), (change, await message(resp))


async def test_settings_are_the_admins_and_pausing_the_queues_supervisors(
    logged_in: Login, configuration: ConfigStore
) -> None:
    sue = await logged_in("sue")
    assert (await error_code(await sue.post(C, {"name": "x", "queue": "sales"})))[0] == 403
    assert (await error_code(await sue.request("DELETE", f"{C}/winter")))[0] == 403
    resp = await sue.post(f"{C}/winter/pause")
    assert resp.status == 200
    assert await resp.json() == {"name": "winter", "paused": True, "paused_by": "sue"}
    body = await (await sue.get(f"{C}/winter")).json()
    # The dialer's card (active) is behind the flag until its next tick: the flag wins.
    assert body["paused"] is True
    assert (body["card"]["status"], body["card"]["paused_by"]) == ("paused", "sue")
    summary = await (await (await logged_in("ada")).get("/api/v1/admin/summary")).json()
    assert summary["campaigns"] == {"active": 1, "paused": 1}  # CF-1
    resp = await sue.post(f"{C}/winter/resume")
    assert (await resp.json())["paused"] is False
    [resume, pause] = await configuration.audit(limit=2)
    assert [(e.actor, e.action) for e in (pause, resume)] == [
        ("sue", "campaign.pause"), ("sue", "campaign.resume")
    ]  # fmt: skip
    sam = await logged_in("sam")  # supervisor of support, agent of sales
    assert (await error_code(await sam.post(f"{C}/winter/pause")))[0] == 403
    alice = await logged_in("alice")
    assert (await error_code(await alice.post(f"{C}/winter/pause")))[0] == 403


# -------------------------------------------------------------------- CD-5 contacts
async def test_contacts_listed_by_status_added_and_removed(logged_in: Login) -> None:
    sue = await logged_in("sue")
    resp = await sue.get(f"{C}/winter/contacts")
    body = await resp.json()
    assert [c["name"] for c in body["contacts"]] == ["Jo Martin", "Léa Petit", ""]
    assert body["total"] == 3 and body["counts"] == {"pending": 3}
    resp = await sue.get(f"{C}/winter/contacts?limit=1&offset=1")
    assert [c["name"] for c in (await resp.json())["contacts"]] == ["Léa Petit"]
    resp = await sue.post(
        f"{C}/winter/contacts", {"name": "<b>Zoé</b>", "number": "06 12 34 56 09"}
    )
    assert resp.status == 201, await resp.text()
    zoe = await resp.json()
    assert (zoe["number"], zoe["timezone"], zoe["source"]) == (
        "+33612345609", "Europe/Paris", "manual"
    )  # fmt: skip
    resp = await sue.post(f"{C}/winter/contacts", {"number": "+33 6 12 34 56 09"})
    assert await error_code(resp) == (409, "conflict")
    assert "already pending" in await message(resp)
    resp = await sue.post(f"{C}/winter/contacts", {"number": "12"})
    assert await error_code(resp) == (400, "invalid_input")
    assert (await message(resp)).startswith("number: ")
    resp = await sue.post(f"{C}/winter/contacts", {"number": "0612345610", "timezone": "Nowhere"})
    assert (await message(resp)).startswith("timezone: ")
    assert (await sue.request("DELETE", f"{C}/winter/contacts/{zoe['id']}")).status == 204
    again = await sue.request("DELETE", f"{C}/winter/contacts/{zoe['id']}")
    assert await error_code(again) == (409, "conflict")
    resp = await sue.get(f"{C}/winter/contacts?status=removed")
    assert [c["id"] for c in (await resp.json())["contacts"]] == [zoe["id"]]
    resp = await sue.get(f"{C}/winter/contacts?status=ringing&limit=0")
    assert (await error_code(resp))[0] == 400
    alice = await logged_in("alice")
    assert (await error_code(await alice.get(f"{C}/winter/contacts")))[0] == 403


async def test_a_number_on_a_do_not_call_list_is_refused(logged_in: Login) -> None:
    sue = await logged_in("sue")
    resp = await sue.post("/api/v1/dnc", {"numbers": ["06 99 88 77 66"], "scope": "winter"})
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"added": 1, "listed": ["+33699887766"], "errors": []}
    resp = await sue.post(f"{C}/winter/contacts", {"number": "0699887766"})
    assert await error_code(resp) == (409, "conflict")
    assert "do-not-call" in await message(resp)


# -------------------------------------------------------------------- CD-5 CSV import
BAD_ROWS_CSV = (
    "\ufeffNom;Téléphone;Fuseau horaire\r\n"
    "Ana Alves;06 12 34 56 11;\r\n"
    "Jo Martin again;0612345601;\r\n"  # pending already (conftest)
    "Bad One;12;\r\n"
    "Ben Bos;+32 470 12 34 56;Europe/Brussels\r\n"
    "Ana twice;+33612345611;\r\n"
    "Nowhere;0612345612;Mars/Olympus\r\n"
    "No number;;\r\n"
    "Dee Dnc;0699887766;\r\n"
).encode()


async def import_file(
    b: Browser, data: bytes, *, campaign: str = "winter", media: str = "text/csv"
) -> aiohttp.ClientResponse:
    return await b.request(
        "POST",
        f"{C}/{campaign}/imports?filename=list.csv",
        data=data,
        headers={"Content-Type": media},
    )


async def finished(b: Browser, campaign: str, import_id: int) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def done() -> bool:
        resp = await b.get(f"{C}/{campaign}/imports/{import_id}")
        assert resp.status == 200, await resp.text()
        seen.update(await resp.json())
        return seen["status"] != "running"

    await until(done, what="the import finished")
    return seen


async def test_a_csv_with_bad_rows_imports_the_good_ones_and_reports_every_other(
    logged_in: Login,
) -> None:
    sue = await logged_in("sue")
    await sue.post("/api/v1/dnc", {"numbers": ["0699887766"]})
    resp = await import_file(sue, BAD_ROWS_CSV)
    assert resp.status == 202, await resp.text()
    started = await resp.json()
    assert (started["filename"], started["by"], started["total_rows"]) == ("list.csv", "sue", 8)
    report = await finished(sue, "winter", started["id"])
    assert (report["status"], report["imported"], report["rejected"]) == ("done", 2, 6)
    assert [(e["line"], e["column"], e["reason"]) for e in report["errors"]] == [
        (3, "Téléphone", "already pending in this campaign"),
        (4, "Téléphone", "has the wrong length for its country"),
        (6, "Téléphone", "duplicate: the same number as line 2"),
        (7, "Fuseau horaire", "not a time zone (such as Europe/Paris)"),
        (8, "Téléphone", "no phone number"),
        (9, "Téléphone", "on a do-not-call list"),
    ]
    resp = await sue.get(f"{C}/winter/contacts")
    added = [(c["name"], c["number"], c["timezone"]) for c in (await resp.json())["contacts"]]
    assert added[3:] == [
        ("Ana Alves", "+33612345611", "Europe/Paris"),
        ("Ben Bos", "+32470123456", "Europe/Brussels"),
    ]


async def test_a_file_that_cannot_be_read_is_refused_at_once_naming_the_line(
    logged_in: Login,
) -> None:
    sue = await logged_in("sue")
    for data, named in (
        (b"Nom;Adresse\nJo;Paris\n", "file: line 1 names the columns (Nom, Adresse)"),
        ("number\n0612345601\nL\u00e9a".encode("cp1252"), "file: line 3 is not UTF-8"),
        (b"", "file: the file is empty"),
    ):
        resp = await import_file(sue, data)
        assert await error_code(resp) == (400, "invalid_input")
        assert (await message(resp)).startswith(named), await message(resp)
    resp = await import_file(sue, b"number\n0612345601\n", media="image/png")
    assert (await error_code(resp))[0] == 415
    alice = await logged_in("alice")
    assert (await error_code(await import_file(alice, b"number\n0612345699\n")))[0] == 403


async def test_a_csv_sent_in_a_multipart_form(logged_in: Login) -> None:
    sue = await logged_in("sue")
    form = aiohttp.FormData()
    form.add_field("file", b"phone,name\n0612345698,Mo\n", filename="mo.csv",
                   content_type="text/csv")  # fmt: skip
    resp = await sue.request("POST", f"{C}/winter/imports", data=form)
    assert resp.status == 202, await resp.text()
    started = await resp.json()
    assert started["filename"] == "mo.csv"
    report = await finished(sue, "winter", started["id"])
    assert (report["imported"], report["errors"]) == (1, [])
    other = await sue.get(f"{C}/winter/imports/{started['id'] + 100}")
    assert (await error_code(other))[0] == 404


# -------------------------------------------------------------------- SV-10 missed calls
@pytest.mark.usefixtures("missed_calls")
async def test_missed_calls_of_ones_queues_sorted(logged_in: Login) -> None:
    sam = await logged_in("sam")  # supervisor of support
    resp = await sam.get("/api/v1/missed-calls")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert [c["id"] for c in body["calls"]] == [MISSED[1], MISSED[0]]  # the latest first
    assert body["campaigns"] == ["help"]
    first = body["calls"][1]
    assert (first["number"], first["name"], first["outcome"], first["wait"]) == (
        "0611223344", "Nina", "abandoned", 40.0
    )  # fmt: skip
    resp = await sam.get("/api/v1/missed-calls?sort=wait&order=desc")
    assert [c["id"] for c in (await resp.json())["calls"]] == [MISSED[1], MISSED[0]]
    resp = await sam.get("/api/v1/missed-calls?sort=wait&order=asc")
    assert [c["id"] for c in (await resp.json())["calls"]] == [MISSED[0], MISSED[1]]
    sue = await logged_in("sue")
    resp = await sue.get("/api/v1/missed-calls")
    assert [c["id"] for c in (await resp.json())["calls"]] == [MISSED[2]]
    assert (await error_code(await sue.get("/api/v1/missed-calls?queue=support")))[0] == 403
    assert (await error_code(await sue.get("/api/v1/missed-calls?sort=name")))[0] == 400
    assert (await error_code(await (await logged_in("bob")).get("/api/v1/missed-calls")))[0] == 403


@pytest.mark.usefixtures("missed_calls")
async def test_missed_calls_join_a_campaign_once_each_refusal_with_its_reason(
    logged_in: Login, mirror: Mirror
) -> None:
    sam = await logged_in("sam")
    body = {"campaign": "help", "calls": [MISSED[0], MISSED[1], MISSED[2], "1.2"]}
    resp = await sam.post("/api/v1/missed-calls/assign", body)
    assert resp.status == 200, await resp.text()
    report = await resp.json()
    assert report["added"] == [MISSED[0], MISSED[1]]
    assert {r["call"]: (r["code"], r["reason"]) for r in report["refused"]} == {
        MISSED[2]: ("not_yours", "not a call of your queues"),
        "1.2": ("not_missed", "not a missed call"),
    }
    resp = await sam.get("/api/v1/missed-calls")
    assert {c["id"]: c["campaign"] for c in (await resp.json())["calls"]} == {
        MISSED[0]: "help", MISSED[1]: "help"
    }  # fmt: skip
    resp = await sam.get(f"{C}/help/contacts")
    contacts = (await resp.json())["contacts"]
    nina = contacts[0]
    assert (nina["name"], nina["number"], nina["source"], nina["queue"]) == (
        "Nina", "+33611223344", "missed", "support"
    )  # fmt: skip
    assert nina["original_wait"] == 40.0 and nina["left_queue_at"] is not None
    # Again: each is in the campaign already.
    resp = await sam.post("/api/v1/missed-calls/assign", {"campaign": "help", "calls": [MISSED[0]]})
    assert (await resp.json())["refused"] == [
        {
            "call": MISSED[0],
            "number": "0611223344",
            "reason": "already assigned to it",
            "code": "already_assigned",
        }
    ]
    # Sue may not put her calls into sam's campaign, nor alice into any.
    sue = await logged_in("sue")
    resp = await sue.post("/api/v1/missed-calls/assign", {"campaign": "help", "calls": [MISSED[2]]})
    assert (await error_code(resp))[0] == 403
    alice = await logged_in("alice")
    resp = await alice.post(ASSIGN, {"campaign": "winter", "calls": [MISSED[2]]})
    assert (await error_code(resp))[0] == 403
    resp = await sue.post("/api/v1/missed-calls/assign", {"campaign": "winter", "calls": []})
    assert (await message(resp)).startswith("field calls")


@pytest.mark.usefixtures("missed_calls")
async def test_a_missed_number_on_a_do_not_call_list_is_not_added(
    logged_in: Login, engine: Any
) -> None:
    await CampaignStore(engine).add_dnc("test", ["+33611223366"])
    sue = await logged_in("sue")
    resp = await sue.post(ASSIGN, {"campaign": "winter", "calls": [MISSED[2]]})
    assert (await resp.json())["refused"] == [
        {
            "call": MISSED[2],
            "number": "+33611223366",
            "reason": "on a do-not-call list",
            "code": "dnc",
        }
    ]


# -------------------------------------------------------------------- do-not-call lists
async def test_do_not_call_lists_added_imported_and_listed_by_scope(logged_in: Login) -> None:
    sue = await logged_in("sue")
    resp = await sue.post("/api/v1/dnc", {"numbers": ["0612345601", "nonsense"]})
    assert await error_code(resp) == (400, "invalid_input")
    assert (await message(resp)).startswith("numbers[1]: ")
    resp = await sue.post("/api/v1/dnc", {"numbers": ["0612345601"], "scope": "help"})
    assert (await error_code(resp))[0] == 403  # sam's campaign
    resp = await sue.request(
        "POST",
        "/api/v1/dnc/import?scope=winter",
        data="numéro\n06 12 34 56 02\nabc\n06 12 34 56 02\n".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert (body["added"], body["listed"]) == (1, ["+33612345602"])
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(3, "numéro")]
    # The pending contact with that number is taken off the campaign.
    resp = await sue.get(f"{C}/winter/contacts?status=dnc")
    assert [c["name"] for c in (await resp.json())["contacts"]] == ["Léa Petit"]
    sam = await logged_in("sam")
    resp = await sam.post("/api/v1/dnc", {"numbers": ["+33611111199"], "scope": "help"})
    assert resp.status == 200, await resp.text()
    resp = await sue.get("/api/v1/dnc")
    body = await resp.json()
    assert [(n["number"], n["scope"]) for n in body["numbers"]] == [("+33612345602", "winter")]
    assert body["scopes"] == ["*", "winter"]
    resp = await (await logged_in("ada")).get("/api/v1/dnc")
    assert len((await resp.json())["numbers"]) == 2
    alice = await logged_in("alice")
    assert (await error_code(await alice.get("/api/v1/dnc")))[0] == 403


# -------------------------------------------------------------------- AG-4 preview
async def test_a_preview_is_called_or_skipped_by_the_agent_it_is_offered_to(
    logged_in: Login, mirror: Mirror, dialer: FakeDialer
) -> None:
    await mirror.change("dial", PREVIEW, preview_dial())
    alice = await logged_in("alice")
    resp = await alice.post(f"{C}/winter/dial", {"attempt": PREVIEW})
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"attempt": PREVIEW, "action": "preview_dial"}
    resp = await alice.post(f"{C}/winter/skip", {"attempt": PREVIEW})
    assert (await resp.json())["action"] == "preview_skip"
    assert dialer.requests == [
        ({"action": "preview_dial", "campaign": "winter", "attempt": PREVIEW, "user": "alice"},
         "alice"),
        ({"action": "preview_skip", "campaign": "winter", "attempt": PREVIEW, "user": "alice"},
         "alice"),
    ]  # fmt: skip
    dialer.requests.clear()
    carol = await logged_in("carol")  # an agent of sales too: not hers
    assert (await error_code(await carol.post(f"{C}/winter/dial", {"attempt": PREVIEW})))[0] == 403
    resp = await alice.post(f"{C}/help/dial", {"attempt": PREVIEW})  # another campaign's
    assert await error_code(resp) == (409, "call_gone")
    resp = await alice.post(f"{C}/winter/dial", {"attempt": "a1"})  # ringing, not a preview
    assert await error_code(resp) == (409, "call_gone")
    resp = await alice.post(f"{C}/winter/dial", {"attempt": "../x"})
    assert (await message(resp)).startswith("field attempt")
    assert dialer.requests == []
    dialer.fail_with = CommandTimeout("the bridge did not answer in time")
    resp = await alice.post(f"{C}/winter/dial", {"attempt": PREVIEW})
    assert await error_code(resp) == (504, "command_timeout")
