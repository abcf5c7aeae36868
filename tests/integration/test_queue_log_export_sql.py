"""The queue_log export against real databases (SQLite and PostgreSQL): a history rebuilt
from a queue_log Asterisk wrote (tests/transcripts/queue_log.txt, by the recovery) is
exported back to the same lines, whatever the window the export reads at a time, and
narrowed to the queues asked for."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import insert

from standardiste.acd.records import (
    CallbackProgress,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
)
from standardiste.history import HistoryStore
from standardiste.history.queue_log_export import export_lines
from standardiste.history.recovery import QueueLogRecovery
from standardiste.outbound.tables import CallbackRow

RECORDED = Path(__file__).parents[1] / "transcripts" / "queue_log.txt"
NAMES = {
    "Alice": "PJSIP/agent1001",
    "Bob": "PJSIP/agent1002",
    "alice": "PJSIP/agent1001",
    "bruno": "PJSIP/agent1002",
    "chloe": "PJSIP/agent1003",
    "david": "PJSIP/agent1004",
}
EXPORTED = {
    "ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT",
    "RINGNOANSWER", "ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE",
}  # fmt: skip
NOW = int(time.time())


def shifted(lines: list[str]) -> list[str]:
    """The recorded lines moved so that the last one is now (the recovery reads today's)."""
    last = int(lines[-1].split("|", 1)[0])
    return [f"{int(e) - last + NOW}|{rest}" for e, rest in (x.split("|", 1) for x in lines)]


def expected(lines: list[str]) -> list[str]:
    """Asterisk's lines the export writes again: its events, without the repeated pause
    requests (module notes of queue_log_export)."""
    out = []
    last: dict[tuple[str, str], tuple[str, str]] = {}
    for line in lines:
        _, _, queue, agent, event, *data = line.split("|")
        if event not in EXPORTED:
            continue
        if event in ("ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE"):
            now = (event, "|".join(data))
            if event in ("PAUSE", "UNPAUSE") and last.get((agent, queue)) == now:
                continue
            last[agent, queue] = now
        out.append(line)
    return out


def by_second(lines: list[str]) -> dict[str, list[str]]:
    """Lines of one second, in any order: Asterisk's order of lines of different calls
    within a second is not a fact the history holds."""
    seconds: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        seconds[line.split("|", 1)[0]].append(line)
    return {s: sorted(x) for s, x in seconds.items()}


async def export(
    store: HistoryStore, queues: list[str] | None = None, window: dt.timedelta | None = None
) -> list[str]:
    start = dt.datetime.fromtimestamp(NOW - 86400, dt.UTC)
    end = dt.datetime.fromtimestamp(NOW + 1, dt.UTC)
    options = {} if window is None else {"window": window}
    chunks = [c async for c in export_lines(store.engine, start, end, queues, **options)]
    return "".join(chunks).splitlines()


async def test_a_history_recovered_from_queue_log_exports_the_same_lines(
    store: HistoryStore, tmp_path: Path
) -> None:
    lines = shifted(RECORDED.read_text().splitlines())
    path = tmp_path / "queue_log"
    path.write_text("".join(f"{x}\n" for x in lines))
    report = await QueueLogRecovery(path, store, since=lambda: NOW - 3600).catch_up(NAMES)
    assert report.bad == 0
    want = expected(lines)
    got = await export(store)
    assert by_second(got) == by_second(want)
    epochs = [int(x.split("|", 1)[0]) for x in got]
    assert epochs == sorted(epochs)
    # Each call's own lines in Asterisk's order.
    for callid in {x.split("|")[1] for x in want if x.split("|")[1] not in ("NONE", "MANAGER")}:
        assert [x for x in got if x.split("|")[1] == callid] == [
            x for x in want if x.split("|")[1] == callid
        ]
    # Read a few seconds at a time: nothing lost or doubled at the windows' edges.
    assert await export(store, window=dt.timedelta(seconds=7)) == got
    # One queue.
    support = await export(store, ["support"])
    assert support == [x for x in got if x.split("|")[2] == "support"] and support


async def test_a_transfer_gets_its_details_from_queue_log_and_is_exported_as_written(
    store: HistoryStore, tmp_path: Path
) -> None:
    t = NOW - 60
    # The live path: AgentComplete said "transfer", nothing about how.
    await store.write(
        [
            QueueCallEntered("x1", "sales", "0611", "Jo", t + 0.2, 1),
            QueueCallAnswered("x1", "sales", "PJSIP/agent1001", "Alice", 3, t + 3.2, "x1.1", 2),
            QueueCallCompleted("x1", "sales", "PJSIP/agent1001", 20, 0, "transfer", t + 23.2, 3),
        ]
    )
    assert not [x for x in await export(store) if "TRANSFER" in x]  # not known how yet
    blind = f"{t + 23}|x1|sales|Alice|BLINDTRANSFER|2001|from-internal|3|20|1"
    path = tmp_path / "queue_log"
    path.write_text(
        f"{t}|x1|sales|NONE|ENTERQUEUE||0611|1\n{t + 3}|x1|sales|Alice|CONNECT|3|x1.1|2\n{blind}\n"
    )
    report = await QueueLogRecovery(path, store, since=lambda: NOW - 3600).catch_up(NAMES)
    assert report.filled == 1  # the transfer's details only
    assert await export(store) == [
        f"{t}|x1|sales|NONE|ENTERQUEUE||0611|1",
        f"{t + 3}|x1|sales|Alice|CONNECT|3|x1.1|2",
        blind,
    ]


async def test_exits_are_exported_with_their_event_key_and_info(
    store: HistoryStore, tmp_path: Path
) -> None:
    t = NOW - 60
    await store.write(
        [
            # The live path: the dialplan's QueueExit said EXITWITHKEY and the key.
            QueueCallEntered("k1", "sales", "0611", "Jo", t + 0.2, 2),
            QueueCallLeft("k1", "sales", "exited", 12, t + 12.2, 1, "EXITWITHKEY", "5"),
            # A resync's guess (the bridge was away): "exited", no event.
            QueueCallEntered("e1", "sales", "0622", "Al", t + 1.2, 1),
            QueueCallLeft("e1", "sales", "exited", 3, t + 4.2),
            # A withdraw whose user event the bridge missed.
            QueueCallEntered("w1", "sales", "0633", "Ed", t + 2.2, 1),
            QueueCallLeft("w1", "sales", "transferred", 8, t + 10.2, 1),
        ]
    )
    key = f"{t + 12}|k1|sales|NONE|EXITWITHKEY|5|1|2|12"
    assert key in await export(store)
    assert not [x for x in await export(store) if "|e1|" in x and "EXIT" in x]  # a guess
    empty = f"{t + 4}|e1|sales|NONE|EXITEMPTY|1|1|3"
    withdraw = f"{t + 10}|w1|sales|NONE|WITHDRAW|1|1|8|ext:2001"
    path = tmp_path / "queue_log"
    path.write_text(
        f"{t}|k1|sales|NONE|ENTERQUEUE||0611|2\n{t + 1}|e1|sales|NONE|ENTERQUEUE||0622|1\n"
        f"{t + 2}|w1|sales|NONE|ENTERQUEUE||0633|1\n{empty}\n{withdraw}\n{key}\n"
    )
    report = await QueueLogRecovery(path, store, since=lambda: NOW - 3600).catch_up(NAMES)
    assert report.bad == 0
    assert await export(store) == [
        f"{t}|k1|sales|NONE|ENTERQUEUE||0611|2",
        f"{t + 1}|e1|sales|NONE|ENTERQUEUE||0622|1",
        f"{t + 2}|w1|sales|NONE|ENTERQUEUE||0633|1",
        empty,
        withdraw,
        key,
    ]


REQUEST = "641f1422433440a796f127ab9bdbc491"
PLACEHOLDER = f"cb-{REQUEST}"


def callback_log(t: int, original: str) -> list[str]:
    """A callback as Asterisk logged it (tests/transcripts/callback.md): the caller
    presses the key, the placeholder waits, an agent answers, the customer too."""
    return [
        f"{t}|{original}|sales|NONE|ENTERQUEUE||0612345670|1",
        f"{t + 4}|{original}|sales|NONE|EXITWITHKEY|5|1|1|4",
        f"{t + 4}|{original}|sales|NONE|INFO|CALLBACK_REQUESTED|{REQUEST}|1",
        f"{t + 4}|{PLACEHOLDER}|sales|NONE|ENTERQUEUE||33612345670|1",
        f"{t + 8}|{PLACEHOLDER}|sales|NONE|INFO|CALLBACK_CALLING|{REQUEST}",
        f"{t + 8}|{PLACEHOLDER}|sales|Alice|CONNECT|4|{original}.7|1",
        f"{t + 9}|{PLACEHOLDER}|sales|NONE|INFO|CALLBACK_CONNECTED|{REQUEST}",
        f"{t + 12}|{PLACEHOLDER}|sales|NONE|INFO|CALLBACK_END|{REQUEST}|ANSWER",
        f"{t + 12}|{PLACEHOLDER}|sales|Alice|COMPLETECALLER|4|4|1",
    ]


def same_lines(got: list[str], want: list[str]) -> bool:
    """The same lines, each second's in any order across calls (module notes), each
    call's in Asterisk's order."""
    calls = {x.split("|")[1] for x in want}
    return by_second(got) == by_second(want) and all(
        [x for x in got if x.split("|")[1] == c] == [x for x in want if x.split("|")[1] == c]
        for c in calls
    )


async def requested(store: HistoryStore, original: str, at: float) -> None:
    """The request row the callback service writes when the caller asks."""
    when = dt.datetime.fromtimestamp(at, dt.UTC)
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(CallbackRow).values(
                id=REQUEST,
                queue="sales",
                number="+33612345670",
                original_uniqueid=original,
                joined_at=when,
                requested_at=when,
                position=1,
                expires_at=when + dt.timedelta(hours=1),
                status="waiting",
            )
        )


async def test_a_callback_recovered_from_queue_log_is_exported_as_asterisk_wrote_it(
    store: HistoryStore, tmp_path: Path
) -> None:
    t = NOW - 60
    lines = callback_log(t, "c1")
    await requested(store, "c1", t + 4.4)
    path = tmp_path / "queue_log"
    path.write_text("".join(f"{x}\n" for x in lines))
    report = await QueueLogRecovery(path, store, since=lambda: NOW - 3600).catch_up(NAMES)
    assert report.bad == 0
    got = await export(store)
    assert same_lines(got, lines), "\n".join(got)
    # The placeholder is not an inbound call: the queue's counts do not see it.
    # (the original caller's exit is not a handled, abandoned or timed-out call either).
    assert await store.today_counts(dt.datetime.fromtimestamp(t - 1, dt.UTC)) == {}
    # Read again: nothing doubled.
    await QueueLogRecovery(path, store, since=lambda: NOW - 3600).catch_up(NAMES)
    assert await export(store, window=dt.timedelta(seconds=5)) == got


async def test_a_callback_recorded_live_is_exported_as_asterisk_wrote_it(
    store: HistoryStore,
) -> None:
    t = NOW - 60
    await requested(store, "c2", t + 4.4)
    alice = "PJSIP/agent1001"
    await store.write(
        [
            QueueCallEntered("c2", "sales", "0612345670", "Jo", t + 0.2, 1),
            QueueCallLeft("c2", "sales", "exited", 4, t + 4.3, 1, "EXITWITHKEY", "5"),
            QueueCallEntered(PLACEHOLDER, "sales", "33612345670", "Callback", t + 4.6, 1),
            CallbackProgress(REQUEST, "sales", "calling", False, "", "", t + 8.1),
            QueueCallAnswered(PLACEHOLDER, "sales", alice, "Alice", 4, t + 8.2, "c2.7", None),
            CallbackProgress(REQUEST, "sales", "connecting", False, alice, "", t + 8.2),
            CallbackProgress(REQUEST, "sales", "connected", False, "", "", t + 9.3),
            CallbackProgress(REQUEST, "sales", "connected", True, "", "ANSWER", t + 12.1),
            QueueCallCompleted(PLACEHOLDER, "sales", alice, 4, 0, "caller", t + 12.2, 4),
        ]
    )
    want = callback_log(t, "c2")
    # app_queue's ring time of the CONNECT: the live AgentConnect's RingTime (None here).
    want[5] = want[5].removesuffix("|1") + "|"
    got = await export(store)
    assert same_lines(got, want), "\n".join(got)
