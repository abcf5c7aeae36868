"""The campaign store on SQLite and PostgreSQL: the transactions that make dialing safe.

What an operator would notice if they broke: a contact dialled twice, an attempt lost or
counted twice, a DNC number dialled, the same number twice in a campaign, a supervisor's
pause or agent change without an audit entry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from standardiste.dialer.campaign import CampaignDef
from standardiste.dialer.contacts import Outcome
from standardiste.errors import Conflict, UnknownCampaign
from standardiste.history.migrate import upgrade
from standardiste.outbound.store import CampaignStore, NewContact
from standardiste.pbx.store import ConfigStore


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade(db_url)
    engine = create_async_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def store(engine: AsyncEngine) -> CampaignStore:
    s = CampaignStore(engine)
    await s.create(
        "ann",
        CampaignDef.parse(
            {"name": "winter", "queue": "sales", "retry": {"max_attempts": 2, "busy_delay": 60}}
        ),
    )
    return s


def contact(number: str, name: str = "Jo") -> NewContact:
    return NewContact(name=name, number=number, timezone="Europe/Paris", source="csv")


async def test_a_campaign_and_its_pause_are_audited(
    engine: AsyncEngine, store: CampaignStore
) -> None:
    c = await store.set_paused("sue", "winter", True)
    assert c.paused and c.paused_by == "sue"
    with pytest.raises(Conflict):
        await store.create("ann", CampaignDef.parse({"name": "winter", "queue": "sales"}))
    with pytest.raises(UnknownCampaign):
        await store.campaign("summer")
    actions = [(e.actor, e.action) for e in await ConfigStore(engine).audit()]
    assert ("ann", "campaign.create") in actions
    assert ("sue", "campaign.pause") in actions
    assert any(
        e["event"] == "paused" and e["actor"] == "sue" for e in await store.audit_log("winter")
    )


async def test_one_open_contact_per_number_and_dnc_refused(store: CampaignStore) -> None:
    await store.add_dnc("ann", ["+33612345603"])
    result = await store.add_contacts(
        "ann",
        "winter",
        [
            contact("+33612345601"),
            contact("+33612345601"),
            contact("+33612345603"),
            contact("+33612345602"),
        ],
    )
    assert len(result.added) == 2
    assert result.duplicates == ["+33612345601"]
    assert result.dnc == ["+33612345603"]
    again = await store.add_contacts("ann", "winter", [contact("+33612345602")])
    assert again.added == [] and again.duplicates == ["+33612345602"]
    assert {c.number for c in await store.contacts("winter")} == {"+33612345601", "+33612345602"}


async def test_an_attempt_takes_its_contact_once_even_when_raced(store: CampaignStore) -> None:
    camp = await store.campaign("winter")
    [cid] = (await store.add_contacts("ann", "winter", [contact("+33612345601")])).added
    results = await asyncio.gather(
        *(
            store.begin_attempt(
                camp.id,
                cid,
                mode="progressive",
                agent="alice",
                device="PJSIP/a",
                decided_by="dialer",
                reason="progressive",
            )
            for _ in range(5)
        )
    )
    taken = [r for r in results if r is not None]
    assert len(taken) == 1
    assert [c.status for c in await store.contacts("winter")] == ["dialing"]
    assert await store.due_contacts(camp.id, datetime.now(UTC), 10) == []
    audit = await store.audit_log("winter")
    assert [e["event"] for e in audit].count("decided") == 1


async def test_settling_is_idempotent_and_follows_the_retry_rules(store: CampaignStore) -> None:
    camp = await store.campaign("winter")
    [cid] = (await store.add_contacts("ann", "winter", [contact("+33612345601")])).added
    t0 = datetime.now(UTC)
    a = await store.begin_attempt(
        camp.id,
        cid,
        mode="progressive",
        agent=None,
        device=None,
        decided_by="dialer",
        reason="progressive",
    )
    assert a is not None
    assert await store.settle(a.id, Outcome.BUSY, t0, settled_by="event", dialstatus="BUSY")
    assert not await store.settle(a.id, Outcome.ANSWERED, t0, settled_by="restart")
    [c] = await store.contacts("winter")
    assert (c.status, c.attempts, c.last_outcome) == ("pending", 1, "busy")
    assert c.next_at == t0 + timedelta(seconds=60)
    assert await store.due_contacts(camp.id, t0 + timedelta(seconds=59), 10) == []
    assert len(await store.due_contacts(camp.id, t0 + timedelta(seconds=60), 10)) == 1
    b = await store.begin_attempt(
        camp.id,
        cid,
        mode="progressive",
        agent=None,
        device=None,
        decided_by="dialer",
        reason="progressive",
    )
    assert b is not None
    await store.settle(b.id, Outcome.NO_ANSWER, t0, settled_by="event")
    [c] = await store.contacts("winter")
    assert (c.status, c.attempts) == ("exhausted", 2)  # max_attempts 2
    f = await store.figures("winter", t0 - timedelta(hours=1))
    assert (f.handled, f.incomplete, f.in_flight, f.contacts_dialled, f.contacts_left) == (
        0,
        2,
        0,
        1,
        0,
    )
    assert [e["event"] for e in reversed(await store.audit_log("winter"))][-4:] == [
        "decided",
        "ended",
        "decided",
        "ended",
    ]


async def test_a_number_put_on_dnc_after_import_is_not_dialled(store: CampaignStore) -> None:
    camp = await store.campaign("winter")
    [cid] = (await store.add_contacts("ann", "winter", [contact("+33612345601")])).added
    await store.add_dnc("ann", ["+33612345601"], scope="winter")
    assert (
        await store.begin_attempt(
            camp.id,
            cid,
            mode="progressive",
            agent=None,
            device=None,
            decided_by="dialer",
            reason="progressive",
        )
        is None
    )
    [c] = await store.contacts("winter")
    assert c.status == "dnc"


async def test_a_caller_missed_twice_before_the_callback_is_called_back_once(
    engine: AsyncEngine,
) -> None:
    """SV-10's per-queue rule: a caller who gives up twice is one contact; once called back,
    the misses before the callback are covered by it, a miss after it is a new contact."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from standardiste.history.models import QueueCall
    from standardiste.outbound.engine import DialerEngine

    store = CampaignStore(engine)
    await store.create(
        "ann",
        CampaignDef.parse({"name": "missed", "queue": "sales", "missed_queues": ["sales"]}),
    )
    camp = await store.campaign("missed")
    dialer = DialerEngine(store, None, None, None, None, None, None)  # type: ignore[arg-type]
    sessions = async_sessionmaker(engine)
    t0 = datetime.now(UTC) - timedelta(minutes=30)

    async def missed(uniqueid: str, at: datetime) -> None:
        async with sessions() as session, session.begin():
            session.add(
                QueueCall(
                    uniqueid=uniqueid, queue="sales", caller_number="0633333333",
                    entered_at=at - timedelta(seconds=20), completed_at=at, wait=20.0,
                    outcome="abandoned",
                )
            )  # fmt: skip

    await missed("m1", t0)
    assert await dialer.add_missed(camp, t0.timestamp() + 5) == 1
    await missed("m2", t0 + timedelta(minutes=1))  # gives up again while the contact waits
    assert await dialer.add_missed(camp, t0.timestamp() + 65) == 0
    [c] = await store.contacts("missed")
    attempt = await store.begin_attempt(
        camp.id, c.id, mode="progressive", agent="alice", device="PJSIP/a",
        decided_by="dialer", reason="progressive",
    )  # fmt: skip
    assert attempt is not None
    await store.settle(attempt.id, Outcome.ANSWERED, datetime.now(UTC), settled_by="event")
    assert [x.status for x in await store.contacts("missed")] == ["done"]
    # The callback covered both misses: nothing is added, the caller is not called again.
    assert await dialer.add_missed(camp, datetime.now(UTC).timestamp()) == 0
    assert len(await store.contacts("missed")) == 1
    # A miss after the callback is a new contact.
    await missed("m3", datetime.now(UTC) + timedelta(seconds=1))
    assert await dialer.add_missed(camp, datetime.now(UTC).timestamp() + 2) == 1
    assert sorted(x.status for x in await store.contacts("missed")) == ["done", "pending"]
