"""The callback service (BY-1) without Asterisk: the real model, the real SQL store
(SQLite), the real history writer; the AMI side records what would be sent.

What an operator relies on: a callback is offered from the expected wait, refused with a
reason (audited) when the number cannot be called, placed once, placed again when its
placeholder is lost, settled when its time ran out, and never dialled twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from standardiste.acd import events as ev
from standardiste.acd.model import ContactCenter
from standardiste.acd.records import CallbackProgress
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.callback_store import CallbackStore
from standardiste.callbacks import CallbackService, Refused
from standardiste.history.migrate import upgrade
from standardiste.history.writer import HistoryStore
from standardiste.outbound.tables import DialAuditRow, DncRow
from standardiste.pbx.definitions import QueueDef

T0 = 1_795_000_000.0
SALES = QueueDef.from_mapping(
    {"name": "sales", "extension": "5000", "callback": True, "callback_threshold": 600,
     "callback_expiry": 300}
)  # fmt: skip
SUPPORT = QueueDef.from_mapping({"name": "support", "extension": "5001"})


class Recorder:
    """Stands in for the AMI connection: what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []

    async def send(
        self, name: str, headers: Mapping[str, str], *, timeout: float = 10.0,
        idempotent: bool = True,
    ) -> object:  # fmt: skip
        self.sent.append((name, dict(headers)))
        return None

    def originated(self) -> list[dict[str, str]]:
        return [h for n, h in self.sent if n == "Originate"]


@dataclass
class Setup:
    service: CallbackService
    store: CallbackStore
    history: HistoryStore
    model: ContactCenter
    ami: Recorder
    clock: list[float]

    async def audit(self) -> list[tuple[str, str]]:
        sessions = async_sessionmaker(self.history.engine)
        async with sessions() as session:
            rows = (await session.scalars(select(DialAuditRow).order_by(DialAuditRow.id))).all()
            return [(r.event, r.reason) for r in rows]


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'h.sqlite3'}"
    await upgrade(url)
    history = HistoryStore(url)
    store = CallbackStore(history.engine)
    model = ContactCenter(wrapup={"sales": 5.0})
    ami = Recorder()
    clock = [T0]
    queues = {"sales": SALES, "support": SUPPORT}

    async def queue_def(name: str) -> QueueDef | None:
        return queues.get(name)

    async def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
        return predicate()

    service = CallbackService(
        store,
        AmiCommands(ami),
        model,
        queue_def,
        default_region="FR",
        synced=lambda: True,
        apply=model.apply,
        wait_for=wait_for,
        clock=lambda: clock[0],
    )
    try:
        yield Setup(service, store, history, model, ami, clock)
    finally:
        await history.aclose()


def _member(iface: str, paused: bool = False) -> ev.MemberAdded:
    return ev.MemberAdded(
        ev.MemberState("sales", iface, iface, iface, True, paused, "", 1, False, 0, 0.0, T0)
    )


def _caller(uid: str, pos: int) -> ev.CallerJoined:
    return ev.CallerJoined("sales", uid, f"PJSIP/pstn-{uid}", "0611", "", pos, T0)


async def test_offered_when_the_expected_wait_reaches_the_threshold(setup: Setup) -> None:
    m = setup.model
    for e in (_member("PJSIP/agent1001"), _member("PJSIP/agent1002", paused=True)):
        m.apply(e)
    for i in (1, 2):
        m.apply(_caller(f"1.{i}", i))
    offer = await setup.service.offer("sales")
    # Third in line, one agent taking calls, 180 s per call (no recent call) + 5 s wrap-up.
    assert (offer.position, offer.agents, offer.expected_wait) == (3, 1, 555.0)
    assert not offer.offered  # under the 600 s threshold
    m.apply(_caller("1.3", 3))
    assert (await setup.service.offer("sales")).offered  # 4 x 185 = 740 s
    with pytest.raises(Refused) as refused:
        await setup.service.offer("support")
    assert refused.value.reason == "callbacks_off"
    # Not to a caller who could not be called back: they would press the key for nothing.
    assert (await setup.service.offer("sales", "0612345678")).offered
    with pytest.raises(Refused) as refused:
        await setup.service.offer("sales", "anonymous")
    assert refused.value.reason == "invalid_number"


async def test_a_request_is_stored_audited_and_placed_at_the_callers_position(
    setup: Setup,
) -> None:
    made = await setup.service.request(
        queue="sales", uniqueid="1795000000.7", caller_number="0612345678",
        caller_name="O'Brien\x07", position=4,
    )  # fmt: skip
    assert (made.number, made.position, made.status, made.caller_name) == (
        "+33612345678", 4, "waiting", "O'Brien",
    )  # fmt: skip
    assert (made.expires_at - made.requested_at).total_seconds() == 300
    [originate] = setup.ami.originated()
    assert originate["OtherChannelId"] == f"cb-{made.id}"
    assert "STD_CB_POSITION=4,STD_CB_TIMEOUT=300" in originate["Variable"]
    # The same call asking again: the same request, no second placeholder while it lives.
    setup.model.apply(
        ev.ChannelCreated(f"cb-{made.id}", f"cbh-{made.id}", "Local/x;2", "", "", "", "", T0)
    )
    again = await setup.service.request(
        queue="sales", uniqueid="1795000000.7", caller_number="0612345678",
        caller_name="", position=4,
    )  # fmt: skip
    assert again.id == made.id and len(setup.ami.originated()) == 1
    assert await setup.audit() == [("callback_requested", "caller_key")]


@pytest.mark.parametrize(
    ("queue", "number", "reason"),
    [
        ("sales", "anonymous", "invalid_number"),
        ("sales", "0099", "invalid_number"),
        ("sales", "+33 6 99 99 99 99", "dnc"),
        ("support", "0612345678", "callbacks_off"),
        ("sales,x", "0612345678", "unknown_queue"),
    ],
)
async def test_a_request_that_cannot_be_called_back_is_refused_and_audited(
    setup: Setup, queue: str, number: str, reason: str
) -> None:
    sessions = async_sessionmaker(setup.history.engine)
    async with sessions.begin() as session:
        session.add(
            DncRow(number="+33699999999", scope="*", source="manual", added_by="sue",
                   added_at=datetime.now(UTC))
        )  # fmt: skip
    with pytest.raises(Refused) as refused:
        await setup.service.request(
            queue=queue, uniqueid="1.2", caller_number=number, caller_name="", position=1
        )
    assert refused.value.reason == reason
    assert setup.ami.originated() == []
    assert await setup.audit() == [("callback_refused", reason)]


async def test_reconcile_places_a_lost_placeholder_again_then_adopts_it(setup: Setup) -> None:
    made = await setup.service.request(
        queue="sales", uniqueid="1.3", caller_number="0612345678", caller_name="", position=2
    )
    # Just placed, not in the model yet: no second Originate within the grace.
    await setup.service.reconcile()
    assert len(setup.ami.originated()) == 1
    # Lost (never showed, or hung up): placed again, at its position, for the time left.
    setup.clock[0] += 60
    report = await setup.service.reconcile()
    assert report.placed == 1
    again = setup.ami.originated()[-1]
    assert again["ChannelId"] == f"cbh-{made.id}"  # Asterisk refuses it while one lives
    assert "STD_CB_POSITION=2,STD_CB_TIMEOUT=240" in again["Variable"]
    setup.model.apply(
        ev.CallerJoined("sales", f"cb-{made.id}", "Local/x;2", "336", "Callback", 2, T0 + 61)
    )
    setup.clock[0] += 60
    report = await setup.service.reconcile()
    assert (report.adopted, report.placed) == (1, 0)
    assert len(setup.ami.originated()) == 2
    assert [e for e, _ in await setup.audit()] == ["callback_requested", "callback_placed_again"]


async def test_reconcile_settles_what_it_must_never_dial_again(setup: Setup) -> None:
    expired = await setup.service.request(
        queue="sales", uniqueid="1.4", caller_number="0612345678", caller_name="", position=1
    )
    answered = await setup.service.request(
        queue="sales", uniqueid="1.5", caller_number="0687654321", caller_name="", position=2
    )
    # The agent had answered the second one; then the bridge lost sight of it.
    await setup.history.write(
        [CallbackProgress(answered.id, "sales", "calling", False, "", "", T0 + 10)]
    )
    setup.clock[0] += 400  # past both expiries, no placeholder alive
    report = await setup.service.reconcile()
    assert (report.expired, report.settled, report.placed) == (1, 1, 0)
    assert len(setup.ami.originated()) == 2  # nothing dialled again
    assert (await setup.store.get(expired.id)).status == "expired"  # type: ignore[union-attr]
    guessed = await setup.store.get(answered.id)
    assert guessed is not None and (guessed.status, guessed.detail) == (
        "failed", "outcome_unknown",
    )  # fmt: skip
    # The expiry is counted and written to queue_log for queue_log readers.
    assert setup.model.queues["sales"].today.callbacks_expired == 1
    [log] = [h for n, h in setup.ami.sent if n == "QueueLog"]
    assert (log["Event"], log["Message"]) == ("INFO", f"CALLBACK_EXPIRED|{expired.id}")
    # The real end, reported late (from the history's buffer): it replaces the guess.
    await setup.history.write(
        [CallbackProgress(answered.id, "sales", "connected", True, "", "ANSWER", T0 + 90)]
    )
    fact = await setup.store.get(answered.id)
    assert fact is not None and (fact.status, fact.detail) == ("connected", "ANSWER")
    # Nothing is open any more: later passes do nothing.
    assert not await setup.service.reconcile()


async def test_a_placeholder_waiting_for_no_waiting_request_is_hung_up(setup: Setup) -> None:
    made = await setup.service.request(
        queue="sales", uniqueid="1.6", caller_number="0612345678", caller_name="", position=1
    )
    stranger = "f" * 32
    for request in (made.id, stranger):
        setup.model.apply(
            ev.CallerJoined(
                "sales", f"cb-{request}", f"Local/{request}@standardiste-callback-place-1;2",
                "336", "Callback", 1, T0,
            )
        )  # fmt: skip
    # Its own request waits: kept. A placeholder no request knows: hung up.
    report = await setup.service.reconcile()
    assert (report.adopted, report.orphans) == (1, 1)
    hung = [h["Channel"] for n, h in setup.ami.sent if n == "Hangup"]
    assert hung == [f"Local/{stranger}@standardiste-callback-place-1;2"]
    # The request expired meanwhile (its end reported): its placeholder goes too.
    await setup.history.write(
        [CallbackProgress(made.id, "sales", "expired", True, "", "TIMEOUT", T0 + 5)]
    )
    setup.model.apply(ev.CallerLeft("sales", f"cb-{stranger}", T0 + 6))
    report = await setup.service.reconcile()
    assert report.orphans == 1
    assert [h["Channel"] for n, h in setup.ami.sent if n == "Hangup"][-1].startswith(
        f"Local/{made.id}@"
    )
    assert [e for e, _ in await setup.audit()][-2:] == [
        "callback_orphan_ended",
        "callback_orphan_ended",
    ]
