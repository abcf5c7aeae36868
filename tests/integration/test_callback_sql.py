"""Callback requests (BY-1) in both SQL dialects: stored once per call, moved forward only by
the history's records in any order, settled by the bridge, counted for today's figures."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from standardiste.acd.records import CallbackProgress
from standardiste.callback_store import CallbackRequest, CallbackStore
from standardiste.history.migrate import upgrade
from standardiste.history.writer import HistoryStore

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
T = NOW.timestamp()


def request(n: int) -> CallbackRequest:
    return CallbackRequest(
        id=f"{n:032x}",
        queue="sales",
        number=f"+3361234567{n}",
        caller_name="",
        original_uniqueid=f"1795000000.{n}",
        joined_at=NOW - timedelta(minutes=2),
        requested_at=NOW + timedelta(seconds=n),
        position=n,
        expires_at=NOW + timedelta(hours=1),
        status="waiting",
    )


async def test_requests_move_forward_whatever_the_order_of_the_records(db_url: str) -> None:
    await upgrade(db_url)
    history = HistoryStore(db_url)
    store = CallbackStore(history.engine)
    try:
        first, created = await store.create(request(1))
        assert created and (await store.create(request(1)))[1] is False  # one per call
        await store.create(request(2))
        await store.create(request(3))
        steps = [
            CallbackProgress(first.id, "sales", "calling", False, "", "", T + 10),
            CallbackProgress(first.id, "sales", "connecting", False, "PJSIP/agent1001", "", T + 10),
            CallbackProgress(first.id, "sales", "connected", False, "", "", T + 12),
            CallbackProgress(first.id, "sales", "connected", True, "", "ANSWER", T + 40),
        ]
        random.Random(7).shuffle(steps)
        for step in steps:  # one record per write: any order, each one replayed twice
            await history.write([step])
            await history.write([step])
        done = await store.get(first.id)
        assert done is not None
        assert (done.status, done.agent, done.detail) == ("connected", "PJSIP/agent1001", "ANSWER")
        assert (done.answered_at, done.ended_at) == (
            NOW + timedelta(seconds=12),
            NOW + timedelta(seconds=40),
        )
        # The second expired in the queue; the third is settled by the bridge as a guess,
        # which the fact reported later replaces.
        await history.write(
            [CallbackProgress(f"{2:032x}", "sales", "expired", True, "", "TIMEOUT", T + 3600)]
        )
        third = await store.get(f"{3:032x}")
        assert third is not None
        assert await store.settle(third, "failed", "ended_unseen", NOW, guess=True)
        assert not await store.settle(third, "expired", "no_placeholder", NOW)  # moved on
        await history.write(
            [CallbackProgress(third.id, "sales", "no_answer", True, "", "NOANSWER", T + 60)]
        )
        settled = await store.get(third.id)
        assert settled is not None and (settled.status, settled.detail) == ("no_answer", "NOANSWER")
        assert settled.ended_at == NOW + timedelta(seconds=60)  # the fact's, not the guess's
        assert await store.open_requests() == []
        counts = await store.today_counts(NOW - timedelta(hours=1))
        assert counts["sales"].as_tuple() == (3, 1, 1, 1)
    finally:
        await history.aclose()
