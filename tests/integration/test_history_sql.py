"""The SQL history against real databases: SQLite (a temp file) and PostgreSQL.

PostgreSQL is required, not optional: the shared server on 127.0.0.1:5432 (user
``postgres``, trust auth) for the dialect tests, and the PostgreSQL 15 binaries for the
outage test, which runs its own throwaway cluster so it can really kill it. When either
is missing these tests FAIL with a message saying so; they never skip.
(``STANDARDISTE_TEST_PG_HOST``/``_PORT`` and ``STANDARDISTE_PG_BIN`` point elsewhere.)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, delete, func, select
from structlog.testing import capture_logs

from standardiste.acd.records import (
    AgentEvent,
    DeviceCall,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
    Record,
)
from standardiste.history import (
    DiskBuffer,
    HistorySink,
    HistoryStore,
    QueueCounts,
    current_revision,
    head_revision,
    upgrade,
)
from standardiste.history.migrate import VERSION_TABLE
from standardiste.history.models import AgentEventRow, Base, DeviceCallRow, QueueCall

pytestmark = pytest.mark.integration

from conftest import PG_BIN, PG_USER  # noqa: E402
from ports import free_port  # noqa: E402

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


# -- databases --------------------------------------------------------------------------


async def table_rows(store: HistoryStore, table: Any) -> list[dict[str, Any]]:
    async with store.engine.connect() as conn:
        result = await conn.execute(select(*table.__table__.c).order_by(table.__table__.c.id))
        return [dict(row._mapping) for row in result]


async def row_count(store: HistoryStore, table: Any) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.scalar(select(func.count()).select_from(table))) or 0)


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


# -- record factories -------------------------------------------------------------------


def answered_call(uid: str, queue: str = "sales", t: float = T0) -> list[Record]:
    return [
        QueueCallEntered(uid, queue, "0601020304", "Alice Martin", t, 2),
        QueueCallAnswered(uid, queue, "PJSIP/agent1001", "Bob", 12.5, t + 12.5, f"{uid}9", 4),
        QueueCallCompleted(uid, queue, "PJSIP/agent1001", 95.25, 10.0, "caller", t + 107.75, 13.0),
    ]


def left_call(uid: str, outcome: Any, queue: str = "sales", t: float = T0) -> list[Record]:
    return [
        QueueCallEntered(uid, queue, "0700000000", "", t),
        QueueCallLeft(uid, queue, outcome, 30.0, t + 30.0, 1),
    ]


def agent_event(i: int) -> AgentEvent:
    return AgentEvent(
        f"PJSIP/agent{1000 + i % 5}", "sales", "pause", f"r{i}", "pbx", i % 2 == 0, T0 + i
    )


def device_call(uid: str, t: float = T0) -> DeviceCall:
    return DeviceCall(uid, "PJSIP/agent1001", "outbound", "0102030405", True, 42.0, t, t + 50)


QUEUE_CALL_FIELDS = [c.name for c in QueueCall.__table__.c if c.name not in ("id", "uniqueid")]


def call_state(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in QUEUE_CALL_FIELDS}


# -- migrations -------------------------------------------------------------------------


async def test_migrations_apply_and_match_the_models(db_url: str) -> None:
    assert await current_revision(db_url) is None
    await upgrade(db_url)
    assert await current_revision(db_url) == head_revision()
    await upgrade(db_url)  # a second run is a no-op

    def diff(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        return list(compare_metadata(context, Base.metadata))

    history = HistoryStore(db_url)
    try:
        async with history.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await history.aclose()


# -- idempotence and convergence ---------------------------------------------------------


async def test_writing_the_same_records_twice_changes_nothing(store: HistoryStore) -> None:
    records: list[Record] = [
        *answered_call("1700000000.1"),
        *left_call("1700000000.2", "abandoned"),
        *left_call("1700000000.3", "timed_out", queue="support"),
        *(agent_event(i) for i in range(4)),
        device_call("1700000000.9"),
    ]
    await store.write(records)
    first = (
        await table_rows(store, QueueCall),
        await table_rows(store, AgentEventRow),
        await table_rows(store, DeviceCallRow),
    )
    await store.write(records)
    await store.write(records + records[::-1])  # duplicates inside one batch too
    for record in records:
        await store.write([record])
    again = (
        await table_rows(store, QueueCall),
        await table_rows(store, AgentEventRow),
        await table_rows(store, DeviceCallRow),
    )
    assert again == first
    assert [len(rows) for rows in again] == [3, 4, 1]

    calls = {row["uniqueid"]: row for row in again[0]}
    answered = calls["1700000000.1"]
    assert call_state(answered) == {
        "queue": "sales",
        "caller_number": "0601020304",
        "caller_name": "Alice Martin",
        "entered_at": utc(T0),
        "answered_at": utc(T0 + 12.5),
        "agent": "PJSIP/agent1001",
        "member_name": "Bob",
        "wait": 12.5,
        "outcome": "answered",
        "talk": 95.25,
        "hold": 10.0,
        "ended_by": "caller",
        "completed_at": utc(T0 + 107.75),
        # What the queue_log export reads.
        "position": 2,
        "left_position": None,
        "agent_uniqueid": "1700000000.19",
        "ring_time": 4.0,
        "completed_wait": 13.0,
        "transfer": None,
        "exit_event": None,
        "exit_data": None,
    }
    assert answered["entered_at"].tzinfo is UTC
    assert calls["1700000000.2"]["outcome"] == "abandoned"
    assert calls["1700000000.2"]["completed_at"] == utc(T0 + 30)
    assert (calls["1700000000.2"]["position"], calls["1700000000.2"]["left_position"]) == (None, 1)
    assert calls["1700000000.3"]["queue"] == "support"

    event = again[1][0]
    assert (event["key"], event["forced"], event["at"]) == (agent_event(0).key, True, utc(T0))
    device = again[2][0]
    assert (device["answered"], device["talk"], device["ended_at"]) == (True, 42.0, utc(T0 + 50))


def _with_uid(record: Record, uid: str) -> Record:
    data = record.to_dict()
    data.pop("kind")
    data["uniqueid"] = uid
    return type(record)(**data)


async def test_out_of_order_records_converge(store: HistoryStore) -> None:
    # Besides the normal entered/answered/completed, a contradictory "left" record (the
    # model after a restart thinking the caller hung up in queue): the answer must win
    # whatever the order, and so must the completion's end time.
    answered_story: list[Record] = [
        *answered_call("x"),
        QueueCallLeft("x", "sales", "abandoned", 99.0, T0 + 99.0),
    ]
    # And a waiting caller that left twice, differently (a timeout seen twice after a
    # replay with different figures): still one deterministic row.
    left_story: list[Record] = [
        *left_call("y", "abandoned"),
        QueueCallLeft("y", "sales", "timed_out", 31.0, T0 + 31.0),
    ]
    states: list[dict[str, Any]] = []
    for story in (answered_story, left_story):
        results = []
        for n, order in enumerate(itertools.permutations(story)):
            uid = f"story{len(states)}-order{n}"
            for record in order:  # one transaction per record, as across restarts
                await store.write([_with_uid(record, uid)])
            results.append(uid)
        # Whole story in one transaction, reversed, with a repeat.
        await store.write([_with_uid(r, "batch") for r in story[::-1] + story[:1]])
        rows = {row["uniqueid"]: call_state(row) for row in await table_rows(store, QueueCall)}
        reference = rows["batch"]
        for uid in results:
            assert rows[uid] == reference, f"order {uid} diverged"
        states.append(reference)
        async with store.engine.begin() as conn:
            await conn.execute(delete(QueueCall))

    answered, left = states
    assert answered["outcome"] == "answered"
    assert answered["wait"] == 12.5
    assert answered["agent"] == "PJSIP/agent1001"
    assert answered["completed_at"] == utc(T0 + 107.75)
    assert answered["ended_by"] == "caller"
    assert left["outcome"] in ("abandoned", "timed_out")
    assert left["entered_at"] == utc(T0)
    assert left["answered_at"] is None


async def test_a_caller_back_from_a_declined_callback_offer_ends_as_they_end(
    store: HistoryStore,
) -> None:
    """A caller who pressed the callback offer's key (EXITWITHKEY) and declined comes back
    into the queue under the same uniqueid: one row, whose outcome is how the passage
    ended (here they gave up: abandoned, so the missed calls count them), in any order."""
    story: list[Record] = [
        QueueCallEntered("r", "sales", "0601", "Ana", T0),
        QueueCallLeft("r", "sales", "exited", 4.0, T0 + 4.0, 1, "EXITWITHKEY", "5"),
        QueueCallEntered("r", "sales", "0601", "Ana", T0 + 4.0),
        QueueCallLeft("r", "sales", "abandoned", 4.0, T0 + 4.0, 1),
    ]
    for n, order in enumerate(itertools.permutations(story)):
        for record in order:
            await store.write([_with_uid(record, f"r{n}")])
    rows = await table_rows(store, QueueCall)
    assert len(rows) == 24
    assert {(row["outcome"], row["exit_event"]) for row in rows} == {("abandoned", None)}


async def test_guesses_give_way_to_facts_in_any_order(store: HistoryStore) -> None:
    # What a resync writes for calls it could not see end (a caller gone: "exited"; a call
    # gone: ended "unknown"; a caller found bridged: answered "now"), against the facts
    # queue_log gives later: the facts win, with their own durations, whatever the order.
    stories: dict[str, list[Record]] = {
        "left": [
            *left_call("g", "exited", t=T0),  # the resync's guess: wait 30
            QueueCallLeft("g", "sales", "abandoned", 4.0, T0 + 4.0),  # queue_log's ABANDON
            QueueCallLeft("g", "sales", "exited", 50.0, T0 + 50.0),  # a later resync's guess
        ],
        # An exit whose queue_log event is known (the callback key) is a fact too.
        "key": [
            *left_call("g", "exited", t=T0),  # the resync's guess: wait 30
            QueueCallLeft("g", "sales", "exited", 12.0, T0 + 12.0, 2, "EXITWITHKEY", "5"),
            QueueCallLeft("g", "sales", "exited", 50.0, T0 + 50.0),  # a later resync's guess
        ],
        # ... but weaker than an answer, which drops it.
        "key_then_answer": [
            QueueCallLeft("g", "sales", "exited", 12.0, T0 + 12.0, 2, "EXITWITHKEY", "5"),
            QueueCallAnswered("g", "sales", "PJSIP/agent1001", "Bob", 7.0, T0 + 7.0),
        ],
        "answered": [
            QueueCallEntered("g", "sales", "0601", "", T0),
            QueueCallAnswered("g", "sales", "PJSIP/agent1001", "Bob", 60.0, T0 + 60.0),  # guess
            QueueCallAnswered("g", "sales", "PJSIP/agent1001", "Bob", 7.0, T0 + 7.0),  # CONNECT
            QueueCallCompleted("g", "sales", "PJSIP/agent1001", 90.0, 0.0, "unknown", T0 + 150),
            QueueCallCompleted("g", "sales", "PJSIP/agent1001", 20.0, 0.0, "agent", T0 + 27),
        ],
    }
    states = {}
    for name, story in stories.items():
        for n, order in enumerate(itertools.permutations(story)):
            for record in order:
                await store.write([_with_uid(record, f"{name}-{n}")])
        rows = [call_state(r) for r in await table_rows(store, QueueCall)]
        assert all(row == rows[0] for row in rows), f"{name}: the order changed the result"
        states[name] = rows[0]
        async with store.engine.begin() as conn:
            await conn.execute(delete(QueueCall))
    key = states["key"]
    assert (key["outcome"], key["wait"], key["completed_at"]) == ("exited", 12.0, utc(T0 + 12))
    assert (key["exit_event"], key["exit_data"], key["left_position"]) == ("EXITWITHKEY", "5", 2)
    later = states["key_then_answer"]
    assert (later["outcome"], later["exit_event"], later["exit_data"]) == ("answered", None, None)
    left, answered = states["left"], states["answered"]
    assert (left["outcome"], left["wait"], left["completed_at"]) == ("abandoned", 4.0, utc(T0 + 4))
    assert (answered["outcome"], answered["wait"]) == ("answered", 7.0)
    assert answered["answered_at"] == utc(T0 + 7)
    assert (answered["ended_by"], answered["talk"]) == ("agent", 20.0)
    assert answered["completed_at"] == utc(T0 + 27)


async def test_today_counts(store: HistoryStore) -> None:
    since = datetime(2023, 11, 15, 0, 0, tzinfo=UTC)
    before, after = since.timestamp() - 3600, since.timestamp() + 3600
    records: list[Record] = [
        *answered_call("a1", "sales", t=before),  # answered yesterday: not counted
        *answered_call("a2", "sales", t=after),
        *answered_call("a3", "sales", t=after + 60),
        # Entered 5 s before midnight, answered after it: counts today, like a live counter.
        *answered_call("a4", "support", t=since.timestamp() - 5),
        *left_call("l1", "abandoned", "sales", t=after),
        *left_call("l2", "abandoned", "sales", t=before),  # yesterday
        *left_call("l3", "timed_out", "support", t=after),
        *left_call("l4", "exited", "support", t=after),  # neither abandoned nor timed out
        QueueCallEntered("w1", "billing", "0611", "", after),  # still waiting
        # Answered, not yet completed.
        QueueCallEntered("p1", "billing", "0612", "", after),
        QueueCallAnswered("p1", "billing", "PJSIP/agent1002", "Eve", 3.0, after + 3),
    ]
    await store.write(records)
    assert await store.today_counts(since) == {
        "sales": QueueCounts(handled=2, abandoned=1, timed_out=0),
        "support": QueueCounts(handled=1, abandoned=0, timed_out=1),
        "billing": QueueCounts(handled=1, abandoned=0, timed_out=0),
    }
    paris = since.astimezone(timezone(timedelta(hours=1)))
    assert await store.today_counts(paris) == await store.today_counts(since)
    assert await store.today_counts(since + timedelta(days=1)) == {}
    with pytest.raises(ValueError, match="naive"):
        await store.today_counts(since.replace(tzinfo=None))


async def test_sink_isolates_a_record_the_database_rejects(
    store: HistoryStore, tmp_path: Path
) -> None:
    good = [agent_event(1), device_call("d1")]
    bad = QueueCallLeft("z", "sales", "vanished", 1.0, T0)  # type: ignore[arg-type]
    sink = HistorySink(store, DiskBuffer(tmp_path / "spool.jsonl", 1_000_000), retry_initial=0.01)
    async with sink:
        with capture_logs() as logs:
            sink.submit([good[0], bad, good[1]])
            await sink.flushed(10)
        sink.submit([agent_event(2)])  # write-through again afterwards
        await sink.flushed(10)
        assert sink.healthy and sink.buffered == 0
    assert await row_count(store, AgentEventRow) == 2
    assert await row_count(store, DeviceCallRow) == 1
    assert await row_count(store, QueueCall) == 0
    dropped = [e for e in logs if e["log_level"] == "error"]
    assert [e["record"] for e in dropped] == [bad.to_dict()]


# Nothing listens on port 1: connection refused, like a database host that is down.
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"


async def test_sink_spools_while_unreachable_and_a_later_run_drains(
    store: HistoryStore, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    first = [agent_event(i) for i in range(5)]
    unreachable = HistoryStore(UNREACHABLE)
    try:
        sink = HistorySink(unreachable, DiskBuffer(spool, 1_000_000), retry_initial=0.01)
        async with sink:
            for record in first:
                sink.submit([record])  # must neither raise nor block
            assert sink.buffered == 5
        # Closing gave the write a moment, saw the database down, kept everything on disk.
        assert not sink.healthy
    finally:
        await unreachable.aclose()
    with DiskBuffer(spool, 1_000_000) as buffer:
        assert buffer.peek(10) == first

    later = agent_event(5)
    async with HistorySink(store, DiskBuffer(spool, 1_000_000)) as sink:
        sink.submit([later])  # queued behind the leftovers, not around them
        await sink.flushed(10)
        assert sink.healthy and sink.buffered == 0
    rows = await table_rows(store, AgentEventRow)
    assert [row["key"] for row in rows] == [r.key for r in [*first, later]]


async def test_sink_logs_in_full_every_record_it_cannot_keep(tmp_path: Path) -> None:
    unreachable = HistoryStore(UNREACHABLE)
    kept, refused = [agent_event(1)], [agent_event(2), agent_event(3)]
    room = len(json.dumps(kept[0].to_dict(), separators=(",", ":"))) + 1
    try:
        sink = HistorySink(unreachable, DiskBuffer(tmp_path / "spool.jsonl", room))
        with capture_logs() as logs:
            async with sink:
                sink.submit(kept)
                sink.submit(refused)
            sink.submit([agent_event(4)])  # after close
    finally:
        await unreachable.aclose()
    with DiskBuffer(tmp_path / "spool.jsonl", room) as buffer:
        assert buffer.peek(10) == kept
    dropped = [e for e in logs if e["log_level"] == "error"]
    assert [e["record"] for e in dropped] == [r.to_dict() for r in [*refused, agent_event(4)]]
    assert ["buffer full" in e["event"] for e in dropped] == [True, True, False]


# -- a real outage ------------------------------------------------------------------------


@dataclass
class PrivatePostgres:
    """A throwaway PostgreSQL cluster we are allowed to kill."""

    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def command(self, tool: str, *args: str) -> list[str]:
        cmd = [str(PG_BIN / tool), *args]
        # initdb and postgres refuse to run as root.
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd

    async def run(self, tool: str, *args: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            *self.command(tool, *args),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await proc.communicate()
        if proc.returncode != 0:
            log = (
                (self.root / "server.log").read_text()
                if (self.root / "server.log").exists()
                else ""
            )
            pytest.fail(f"{tool} {' '.join(args)} failed:\n{output.decode()}\n{log}")

    async def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} -c fsync=off"
        )
        await self.run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data),
            "-l", str(self.root / "server.log"), "-o", options,
        )  # fmt: skip

    async def stop(self, mode: str = "immediate") -> None:
        await self.run("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self.data))


@pytest.fixture
async def private_pg() -> AsyncIterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"the outage test needs PostgreSQL binaries in {PG_BIN} (initdb, pg_ctl)")
    # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="standardiste-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = PrivatePostgres(root, free_port())
    try:
        await cluster.run(
            "initdb", "-D", str(cluster.data), "-U", PG_USER, "--auth=trust",
            "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        await cluster.start()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            await cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def _outage_records(n_calls: int) -> Iterator[list[Record]]:
    """Batches the bridge could submit: a call's steps interleaved with agent events."""
    for i in range(n_calls):
        uid = f"{T0 + i:.1f}"
        entered, answered, completed = answered_call(uid, t=T0 + i)
        yield [entered, agent_event(i)]
        yield [answered]
        yield [completed, device_call(f"dev-{i}", t=T0 + i)]


async def test_records_survive_a_real_postgres_outage(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    await upgrade(private_pg.url)
    store = HistoryStore(private_pg.url)
    batches = list(_outage_records(60))
    submitted: list[Record] = [r for batch in batches for r in batch]
    total = len(batches)
    going_down, went_down, coming_back = total // 4, total // 2, 3 * total // 4

    halfway = asyncio.Event()
    stopped = asyncio.Event()
    during_outage = asyncio.Event()
    restarted = asyncio.Event()
    seen_down: list[tuple[bool, int]] = []

    async def bridge(sink: HistorySink) -> None:
        for i, batch in enumerate(batches):
            if i == going_down:
                halfway.set()  # the server is stopped while we keep submitting
            if i == went_down:
                await stopped.wait()  # make sure some batches come strictly after
            if i == coming_back:
                seen_down.append((sink.healthy, sink.buffered))
                during_outage.set()
                await restarted.wait()  # ... and some strictly after the restart
            sink.submit(batch)
            await asyncio.sleep(0.002)  # pacing, so the outage lands mid-stream

    sink = HistorySink(
        store,
        DiskBuffer(tmp_path / "spool.jsonl", max_bytes=10_000_000),
        write_timeout=5,
        retry_initial=0.05,
        retry_max=0.5,
    )
    with capture_logs() as logs:
        async with sink:
            producer = asyncio.create_task(bridge(sink))
            await asyncio.wait_for(halfway.wait(), 30)
            await private_pg.stop("immediate")
            stopped.set()
            await asyncio.wait_for(during_outage.wait(), 30)
            await private_pg.start()
            restarted.set()
            await asyncio.wait_for(producer, 60)
            await sink.flushed(60)
            assert sink.healthy
            assert sink.buffered == 0

    healthy_during_outage, buffered_during_outage = seen_down[0]
    assert not healthy_during_outage
    assert buffered_during_outage > 0
    assert any(e["event"].startswith("history database unavailable") for e in logs)
    assert not [e for e in logs if e["log_level"] == "error"]

    try:
        events = await table_rows(store, AgentEventRow)
        devices = await table_rows(store, DeviceCallRow)
        calls = await table_rows(store, QueueCall)
    finally:
        await store.aclose()
    expected_events = sorted(r.key for r in submitted if isinstance(r, AgentEvent))
    expected_devices = sorted(r.key for r in submitted if isinstance(r, DeviceCall))
    assert sorted(e["key"] for e in events) == expected_events
    assert sorted(d["uniqueid"] for d in devices) == expected_devices
    assert len(calls) == 60
    for row in calls:  # every step of every call merged into its row exactly once
        assert row["outcome"] == "answered"
        assert row["entered_at"] is not None
        assert row["ended_by"] == "caller"

    with DiskBuffer(tmp_path / "spool.jsonl", max_bytes=10_000_000) as reopened:
        assert len(reopened) == 0
