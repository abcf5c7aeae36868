"""A progressive (agent-first) campaign on the real Asterisk, with sipp contacts that answer,
never answer or are busy, and a sipp agent: every contact inside its window is reached,
exactly once per attempt, retried as the campaign's rules say; DNC numbers and contacts
outside their call window are never dialled. "Dialled" is counted on what Asterisk did (each
Local channel into the dial-out route, from the AMI), not on the product's own records.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ami_raw import RawAMI
from live import eventually, sql_rows
from sqlalchemy.ext.asyncio import create_async_engine

from standardiste.accounts import Accounts
from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.dialer.campaign import CampaignDef
from standardiste.outbound.store import CampaignStore, NewContact
from standardiste.tools.sipp import AgentPhone, BusyPhone

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ALICE = "PJSIP/agent1001"
# The demo's dial-out route (config/asterisk/extensions.conf) by the number's last digit:
ANSWERS_1, ANSWERS_2 = "+33612345601", "+33612345611"  # 127.0.0.2:5090 answers
NEVER = "+33612345607"  # :5091 never answers
BUSY = "+33612345608"  # :5092 is busy
DNC = "+33612345602"  # would answer, but is on the do-not-call list
ALWAYS = {
    d: [{"start": "00:00", "end": "00:00"}]
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def window_around_now() -> tuple[dict[str, str], str]:
    """A two-hour call window around now in Paris, and a time zone where it is closed now."""
    paris = datetime.now(ZoneInfo("Europe/Paris"))
    start = (paris - timedelta(hours=1)).strftime("%H:00")
    end = (paris + timedelta(hours=1)).strftime("%H:00")
    if end <= start:  # around midnight: keep it simple
        start, end = "00:00", "00:00"
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata", "America/New_York"):
        local = datetime.now(ZoneInfo(zone)).strftime("%H:%M")
        if end != "00:00" and not start <= local < end:
            return {"start": start, "end": end}, zone
    pytest.skip("no time zone outside the window right now")


def dialled(ami: RawAMI) -> Counter[str]:
    """Numbers Asterisk dialled through the dial-out route, as the AMI reported them."""
    return Counter(
        m["Channel"].split("/", 1)[1].split("@", 1)[0]
        for m in ami.messages
        if m.get("Event") == "Newchannel"
        and "@standardiste-dial-out" in m.get("Channel", "")
        and m["Channel"].endswith(";1")
    )


@sqlite_only
async def test_a_progressive_campaign_reaches_every_contact_once_per_attempt(
    bridge: Bridge, ami: RawAMI, tmp_path: Path
) -> None:
    engine = create_async_engine(bridge.settings.database.url)
    try:
        await Accounts(engine).create_user(
            "alice", "pw-alice-123456", devices=[ALICE], queues={"sales": "agent"}
        )
        store = CampaignStore(engine)
        window, elsewhere = window_around_now()
        campaign = CampaignDef.parse(
            {
                "name": "winter",
                "queue": "sales",
                "mode": "progressive",
                "schedule": {"timezone": "Europe/Paris", "hours": ALWAYS},
                "call_window": window,
                "ring_timeout": 15,
                "agent_ring_timeout": 10,
                "retry": {"max_attempts": 2, "no_answer_delay": 2, "busy_delay": 2},
            }
        )
        await store.create("ann", campaign)
        result = await store.add_contacts(
            "ann",
            "winter",
            [
                NewContact("Ann Swer", ANSWERS_1, "Europe/Paris", "csv"),
                NewContact("Al Sosweres", ANSWERS_2, "Europe/Paris", "csv"),
                NewContact("Nev Er", NEVER, "Europe/Paris", "csv"),
                NewContact("Bu Sy", BUSY, "Europe/Paris", "csv"),
                NewContact("Do Not", DNC, "Europe/Paris", "csv"),
                NewContact("Far Away", "+33612345621", elsewhere, "csv"),
            ],
        )
        assert len(result.added) == 6
        await store.add_dnc("ann", [DNC], scope="winter")  # after the import: checked again

        async with (
            AgentPhone("contacts", 5090, answer_delay_s=1.0, hangup_after_s=2, host="127.0.0.2",
                       log_dir=tmp_path) as answering,
            AgentPhone("never", 5091, answer_delay_s=600, host="127.0.0.2", log_dir=tmp_path),
            BusyPhone("busy", 5092, host="127.0.0.2", log_dir=tmp_path) as busy,
            AgentPhone("1001", 5071, answer_delay_s=0.5, log_dir=tmp_path) as alice,
        ):  # fmt: skip
            await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))

            async def settled() -> list[dict[str, object]]:
                return await sql_rows(
                    bridge.settings.database.url,
                    "select number, status, attempts from campaign_contacts order by number",
                )

            def finished(rows: list[dict[str, object]]) -> bool:
                return all(r["status"] not in ("pending", "dialing") for r in rows
                           if r["number"] != "+33612345621")  # fmt: skip

            rows = await eventually(settled, finished, 150, "every contact reached or exhausted")
            await answering.wait_outcome("ANSWERED", count=2, timeout=5)
            assert busy.count("BUSY") == 2
            assert alice.count("ANSWERED") == 6  # the agent's phone rang first each time

        # What Asterisk dialled: each reachable contact once per attempt, retries as the
        # rules say (2 attempts), never the DNC number nor the contact outside its window.
        assert dialled(ami) == Counter(
            {ANSWERS_1[1:]: 1, ANSWERS_2[1:]: 1, NEVER[1:]: 2, BUSY[1:]: 2}
        )
        by_number = {r["number"]: (r["status"], r["attempts"]) for r in rows}
        assert by_number == {
            ANSWERS_1: ("done", 1),
            ANSWERS_2: ("done", 1),
            NEVER: ("exhausted", 2),
            BUSY: ("exhausted", 2),
            DNC: ("dnc", 0),
            "+33612345621": ("pending", 0),
        }
        attempts = await sql_rows(
            bridge.settings.database.url,
            "select number, outcome, settled_by, agent, device from dial_attempts",
        )
        assert Counter((a["number"], a["outcome"]) for a in attempts) == Counter(
            {(ANSWERS_1, "answered"): 1, (ANSWERS_2, "answered"): 1,
             (NEVER, "no_answer"): 2, (BUSY, "busy"): 2}
        )  # fmt: skip
        assert {(a["agent"], a["device"], a["settled_by"]) for a in attempts} == {
            ("alice", ALICE, "event")
        }
        # The append-only audit: each dial decided (who, why) and ended.
        audit = await sql_rows(
            bridge.settings.database.url,
            "select event, actor, reason from dial_audit where attempt_id is not null",
        )
        events = Counter(a["event"] for a in audit)
        assert events["decided"] == events["ended"] == 6
        assert {a["actor"] for a in audit if a["event"] == "decided"} == {"dialer"}
        # The live card (SV-7) says the same.
        card = bridge.model.outbound["campaign"]["winter"]
        assert (card["handled"], card["incomplete"], card["contacts_left"]) == (2, 4, 1)
        assert card["status"] == "active" and bridge.model.outbound["dial"] == {}
    finally:
        await engine.dispose()


@sqlite_only
async def test_missed_callers_fill_the_campaign_and_are_called_back(
    bridge: Bridge, ami: RawAMI, tmp_path: Path
) -> None:
    """SV-10's per-queue rule: a caller who gives up in sales becomes a contact of the
    campaign (once, whatever how often they call) and is called back, agent first."""
    from standardiste.tools.sipp import place_call

    engine = create_async_engine(bridge.settings.database.url)
    try:
        store = CampaignStore(engine)
        await store.create(
            "ann",
            CampaignDef.parse(
                {
                    "name": "missed",
                    "queue": "sales",
                    "schedule": {"timezone": "Europe/Paris", "hours": ALWAYS},
                    "call_window": {"start": "00:00", "end": "00:00"},
                    "missed_queues": ["sales"],
                    "ring_timeout": 15,
                }
            ),
        )
        # Alice is logged in but paused: callers wait, give up, and are missed twice.
        await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
        await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
        for _ in range(2):
            async with await place_call("5000", "0633333333", 2, log_dir=tmp_path) as caller:
                await caller.wait()
        async with await place_call("5000", "0644444443", 2, log_dir=tmp_path) as caller:
            await caller.wait()

        async def contacts() -> list[dict[str, object]]:
            return await sql_rows(
                bridge.settings.database.url,
                "select number, source, queue, original_wait, status from campaign_contacts",
            )

        rows = await eventually(contacts, lambda r: len(r) == 2, 30, "two missed callers added")
        assert {(r["number"], r["source"], r["queue"]) for r in rows} == {
            ("+33633333333", "missed", "sales"),
            ("+33644444443", "missed", "sales"),
        }
        assert all(float(r["original_wait"] or 0) > 0 for r in rows)  # their wait is kept
        async with (
            AgentPhone("contacts", 5090, answer_delay_s=0.5, hangup_after_s=1, host="127.0.0.2",
                       log_dir=tmp_path) as answering,
            AgentPhone("1001", 5071, answer_delay_s=0.3, log_dir=tmp_path),
        ):  # fmt: skip
            await bridge.agents.resume(ALICE, by=Actor("alice"))
            await eventually(
                contacts, lambda r: {x["status"] for x in r} == {"done"}, 60, "both called back"
            )
            assert answering.count("ANSWERED") == 2
        assert dialled(ami) == Counter({"33633333333": 1, "33644444443": 1})
    finally:
        await engine.dispose()


@sqlite_only
async def test_predictive_connects_an_answered_contact_or_drops_it_with_the_message(
    bridge: Bridge, ami: RawAMI, tmp_path: Path
) -> None:
    """Contact first: an answered contact reaches a free agent through the campaign's queue;
    one answered when no agent is free hears the recorded message within 2 s, counts as a
    drop, and their number is locked out (72 h) instead of redialled."""
    engine = create_async_engine(bridge.settings.database.url)
    try:
        store = CampaignStore(engine)
        await store.create(
            "ann",
            CampaignDef.parse(
                {
                    "name": "blitz",
                    "queue": "sales",
                    "mode": "predictive",
                    "schedule": {"timezone": "Europe/Paris", "hours": ALWAYS},
                    "call_window": {"start": "00:00", "end": "00:00"},
                    "ring_timeout": 15,
                }
            ),
        )
        await store.add_contacts(
            "ann", "blitz", [NewContact("First", ANSWERS_1, "Europe/Paris", "csv")]
        )

        async def attempts() -> list[dict[str, object]]:
            return await sql_rows(
                bridge.settings.database.url,
                "select number, outcome, answered_at, connected_at from dial_attempts",
            )

        async with (
            AgentPhone("contacts", 5090, answer_delay_s=3.0, hangup_after_s=3, host="127.0.0.2",
                       log_dir=tmp_path) as contact,
            AgentPhone("1001", 5071, answer_delay_s=0.2, log_dir=tmp_path) as alice,
        ):  # fmt: skip
            await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
            # The contact rings first; the agent goes on a break before they answer.
            await eventually(lambda: _ringing(ami), bool, 15, "the contact's phone rings")
            await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
            rows = await eventually(attempts, lambda r: bool(r and r[0]["outcome"]), 30, "the end")
            assert rows[0]["outcome"] == "dropped" and rows[0]["answered_at"] is not None
            assert alice.count("RINGING") == 0  # no agent was ever offered the call
            [c] = await sql_rows(
                bridge.settings.database.url,
                "select status, attempts, next_at from campaign_contacts",
            )
            assert (c["status"], c["attempts"]) == ("pending", 1)
            assert str(c["next_at"]) > str(datetime.now(UTC) + timedelta(hours=71))[:19]
            # The second contact: the agent is back; the answered contact reaches her.
            await store.add_contacts(
                "ann", "blitz", [NewContact("Second", ANSWERS_2, "Europe/Paris", "csv")]
            )
            await bridge.agents.resume(ALICE, by=Actor("alice"))
            rows = await eventually(
                attempts, lambda r: len(r) == 2 and all(x["outcome"] for x in r), 40, "second"
            )
            second = next(r for r in rows if r["number"] == ANSWERS_2)
            assert second["outcome"] == "answered" and second["connected_at"] is not None
            await alice.wait_outcome("ANSWERED", timeout=5)
            assert contact.count("ANSWERED") == 2
        audit = await store.audit_log("blitz")
        assert [a["reason"] for a in audit if a["event"] == "ended"] == ["answered", "dropped"]
    finally:
        await engine.dispose()


async def _ringing(ami: RawAMI) -> bool:
    listed = await ami.action_list("CoreShowChannels")
    return any("@standardiste-dial-out" in c.get("Channel", "") for c in listed)


@sqlite_only
async def test_preview_offers_the_contact_to_the_agent_who_dials_or_skips_it(
    bridge: Bridge, ami: RawAMI, tmp_path: Path
) -> None:
    from standardiste.errors import Forbidden

    engine = create_async_engine(bridge.settings.database.url)
    try:
        await Accounts(engine).create_user(
            "alice", "pw-alice-123456", devices=[ALICE], queues={"sales": "agent"}
        )
        store = CampaignStore(engine)
        await store.create(
            "ann",
            CampaignDef.parse(
                {
                    "name": "look",
                    "queue": "sales",
                    "mode": "preview",
                    "schedule": {"timezone": "Europe/Paris", "hours": ALWAYS},
                    "call_window": {"start": "00:00", "end": "00:00"},
                    "retry": {"agent_no_answer_delay": 3600},
                }
            ),
        )
        await store.add_contacts(
            "ann", "look", [NewContact("Jo Martin", ANSWERS_1, "Europe/Paris", "csv")]
        )
        assert bridge.dialer is not None
        dialer = bridge.dialer

        def offer() -> dict[str, object] | None:
            dials = list(bridge.model.outbound["dial"].values())
            return dials[0] if dials and dials[0]["state"] == "preview" else None

        async with (
            AgentPhone("contacts", 5090, answer_delay_s=0.5, hangup_after_s=1, host="127.0.0.2",
                       log_dir=tmp_path) as contact,
            AgentPhone("1001", 5071, answer_delay_s=0.3, log_dir=tmp_path) as alice,
        ):  # fmt: skip
            await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
            first = await eventually(_async(offer), bool, 15, "an offer to alice")
            assert first is not None
            assert (first["contact_name"], first["number"], first["device"], first["agent"]) == (
                "Jo Martin", ANSWERS_1, ALICE, "alice",
            )  # fmt: skip
            assert not dialled(ami) and alice.count("RINGING") == 0  # nothing dialled yet
            with pytest.raises(Forbidden):
                await dialer.act({"action": "preview_dial", "attempt": first["id"], "user": "bob"})
            await dialer.act({"action": "preview_skip", "attempt": first["id"], "user": "alice"})
            [c] = await store.contacts("look")
            assert (c.status, c.attempts, c.last_outcome) == ("pending", 0, "skipped")
            # Skipped contacts wait (the agent-no-answer delay): put it back to be offered.
            await sql_exec(
                bridge.settings.database.url, "update campaign_contacts set next_at = null"
            )
            second = await eventually(_async(offer), bool, 15, "offered again")
            assert second is not None and second["id"] != first["id"]
            await dialer.act({"action": "preview_dial", "attempt": second["id"], "user": "alice"})
            await contact.wait_outcome("ANSWERED", timeout=15)
            await eventually(
                lambda: store.contacts("look"), lambda r: r[0].status == "done", 20, "done"
            )
        assert dialled(ami) == Counter({ANSWERS_1[1:]: 1})
        originated = [a for a in await store.audit_log("look") if a["event"] == "originated"]
        assert [(a["actor"], a["reason"]) for a in originated] == [
            ("user:alice", "preview: dialled by the agent")
        ]
    finally:
        await engine.dispose()


def _async(fn):  # type: ignore[no-untyped-def]
    async def call():  # type: ignore[no-untyped-def]
        return fn()

    return call


async def sql_exec(url: str, statement: str) -> None:
    from sqlalchemy import text

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()
