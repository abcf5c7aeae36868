"""The queue_log recovery against real databases (SQLite and PostgreSQL) and a real file:
fill only what the history lacks, checkpoint, rotation, truncation, bad lines, names."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from structlog.testing import capture_logs

from standardiste.acd.records import AgentEvent, QueueCallAnswered, QueueCallEntered, QueueCallLeft
from standardiste.history import HistoryStore, QueueCounts
from standardiste.history.models import AgentEventRow, QueueCall
from standardiste.history.recovery import QueueLogRecovery

RECORDED = Path(__file__).parents[1] / "transcripts" / "queue_log.txt"
NAMES = {
    "Alice": "PJSIP/agent1001",
    "Bob": "PJSIP/agent1002",
    "alice": "PJSIP/agent1001",
    "bruno": "PJSIP/agent1002",
    "chloe": "PJSIP/agent1003",
    "david": "PJSIP/agent1004",
}
NOW = float(int(time.time()))


def shifted(lines: list[str], end: float = NOW) -> list[str]:
    """The recorded lines moved in time so that the last one is at ``end`` (today)."""
    last = int(lines[-1].split("|", 1)[0])
    out = []
    for line in lines:
        epoch, rest = line.split("|", 1)
        out.append(f"{int(epoch) - last + int(end)}|{rest}")
    return out


def expected_counts(lines: list[str]) -> dict[str, QueueCounts]:
    c: Counter[tuple[str, str]] = Counter((x.split("|")[2], x.split("|")[4]) for x in lines)
    queues = {q for q, _ in c}
    counts = {
        q: QueueCounts(c[q, "CONNECT"], c[q, "ABANDON"], c[q, "EXITWITHTIMEOUT"]) for q in queues
    }
    return {q: n for q, n in counts.items() if n != QueueCounts()}


def recovery(path: Path, store: HistoryStore) -> QueueLogRecovery:
    return QueueLogRecovery(path, store, since=lambda: NOW - 6 * 3600)


async def rows(store: HistoryStore, table: Any) -> list[dict[str, Any]]:
    async with store.engine.connect() as conn:
        result = await conn.execute(select(*table.__table__.c).order_by(table.__table__.c.id))
        return [dict(r._mapping) for r in result]


def write(path: Path, lines: list[str], mode: str = "w") -> None:
    with path.open(mode) as f:
        f.writelines(line + "\n" for line in lines)


async def test_a_fresh_history_gets_every_call_once_and_a_restart_reads_nothing(
    store: HistoryStore, tmp_path: Path
) -> None:
    lines = shifted(RECORDED.read_text().splitlines())
    path = tmp_path / "queue_log"
    # Yesterday's lines are not today's business on a first read.
    write(path, ["1000000000|old.1|sales|NONE|ENTERQUEUE||0600|1", *lines])
    since = NOW - 6 * 3600
    first = await recovery(path, store).catch_up(NAMES)
    assert first.bad == 0 and first.deferred == 0
    calls = await rows(store, QueueCall)
    assert len(calls) == sum(1 for x in lines if "|ENTERQUEUE|" in x)
    assert len({(c["uniqueid"], c["queue"]) for c in calls}) == len(calls)
    assert await store.today_counts(datetime.fromtimestamp(since, UTC)) == expected_counts(lines)
    agent_rows = len(await rows(store, AgentEventRow))
    # Every pass and every new process: nothing more.
    before = (calls, agent_rows)
    assert (await recovery(path, store).catch_up(NAMES)).lines == 0
    again = recovery(path, store)
    write(path, [], "a")
    assert (await again.catch_up(NAMES)).filled == 0
    assert (await rows(store, QueueCall), len(await rows(store, AgentEventRow))) == before


async def test_what_the_live_path_recorded_is_kept_and_only_gaps_are_filled(
    store: HistoryStore, tmp_path: Path
) -> None:
    t = NOW - 100
    # Live: call c1 entered and answered (sub-second times, the caller's name); a resync
    # thought c2 "exited" after the bridge lost sight of it; Alice paused at t+0.4.
    await store.write(
        [
            QueueCallEntered("c1", "sales", "0611", "Jeanne Dupont", t + 0.25),
            QueueCallAnswered("c1", "sales", "PJSIP/agent1001", "Alice", 3.0, t + 3.25),
            QueueCallEntered("c2", "sales", "0622", "Paul", t + 1.5),
            QueueCallLeft("c2", "sales", "exited", 40.0, t + 41.5),
            AgentEvent("PJSIP/agent1001", "sales", "pause", "lunch", "sue", True, t + 20.4),
        ]
    )
    path = tmp_path / "queue_log"
    write(
        path,
        [
            f"{int(t)}|c1|sales|NONE|ENTERQUEUE||0611|1",
            f"{int(t) + 1}|c2|sales|NONE|ENTERQUEUE||0622|2",
            f"{int(t) + 3}|c1|sales|Alice|CONNECT|3|c1.9|3",
            f"{int(t) + 9}|c2|sales|NONE|ABANDON|1|2|8",
            f"{int(t) + 20}|NONE|sales|Alice|PAUSE|lunch",
            f"{int(t) + 21}|NONE|sales|Alice|PAUSE|lunch",  # a repeated request
            f"{int(t) + 30}|c1|sales|Alice|COMPLETEAGENT|3|27|1",
            f"{int(t) + 31}|NONE|sales|Alice|UNPAUSE|",
            f"{int(t) + 31}|NONE|sales|Alice|PAUSE|lunch",  # a new pause, a second later
        ],
    )
    report = await recovery(path, store).catch_up(NAMES)
    assert report.filled == 4  # c2's abandon, c1's completion, the resume, the new pause
    calls = {c["uniqueid"]: c for c in await rows(store, QueueCall)}
    assert calls["c1"]["caller_name"] == "Jeanne Dupont"
    assert calls["c1"]["entered_at"].timestamp() == t + 0.25
    assert (calls["c1"]["ended_by"], calls["c1"]["talk"]) == ("agent", 27.0)
    assert (calls["c2"]["outcome"], calls["c2"]["wait"]) == ("abandoned", 8.0)
    events = [(e["action"], e["by"]) for e in await rows(store, AgentEventRow)]
    assert events == [("pause", "sue"), ("resume", "pbx"), ("pause", "pbx")]
    # Read again from the start (a copy has no checkpoint): every line finds its row.
    copy = tmp_path / "queue_log.copy"
    copy.write_bytes(path.read_bytes())
    assert (await recovery(copy, store).catch_up(NAMES)).filled == 0


async def test_checkpoint_follows_appends_rotation_and_truncation(
    store: HistoryStore, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    t = int(NOW) - 500
    write(path, [f"{t}|r1|sales|NONE|ENTERQUEUE||0601|1"])
    rec = recovery(path, store)
    assert (await rec.catch_up(NAMES)).filled == 1
    # A line being written (no newline yet) waits for its end.
    with path.open("a") as f:
        f.write(f"{t + 1}|r1|sales|NONE|ABAN")
    assert (await rec.catch_up(NAMES)).lines == 0
    with path.open("a") as f:
        f.write("DON|1|1|1\n")
        f.write(f"{t + 2}|r2|sales|NONE|ENTERQUEUE||0602|1\n")
    assert (await rec.catch_up(NAMES)).filled == 2
    # Rotation: more lines reach the old file after our last read, then a new file starts.
    write(path, [f"{t + 3}|r2|sales|NONE|EXITWITHTIMEOUT|1|1|1"], "a")
    os.rename(path, tmp_path / "queue_log.1")
    write(path, [f"{t + 4}|r3|sales|NONE|ENTERQUEUE||0603|1"])
    report = await rec.catch_up(NAMES)
    assert report.filled == 2 and len(report.files) == 2
    # Truncated in place (copytruncate), then written again: read from the start.
    with path.open("r+") as f:
        f.truncate(0)
    write(path, [f"{t + 5}|r4|support|NONE|ENTERQUEUE||0604|1"], "a")
    assert (await rec.catch_up(NAMES)).filled == 1
    outcomes = {c["uniqueid"]: c["outcome"] for c in await rows(store, QueueCall)}
    assert outcomes == {"r1": "abandoned", "r2": "timed_out", "r3": None, "r4": None}


async def test_bad_lines_are_skipped_counted_and_logged_with_their_number(
    store: HistoryStore, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    t = int(NOW) - 50
    path.write_bytes(
        f"{t}|b1|sales|NONE|ENTERQUEUE||0601|1\n".encode()
        + b"\xff\xfe garbage\n"
        + f"{t + 1}|b1|sales|Alice|CONNECT|soon|x|1\n".encode()
        + f"{t + 2}|b1|sales|NONE|ABANDON|1|1|2\n".encode()
    )
    with capture_logs() as logs:
        report = await recovery(path, store).catch_up(NAMES)
    assert (report.lines, report.bad, report.filled) == (4, 2, 2)
    bad = [e for e in logs if e["event"] == "queue_log.bad_line"]
    assert [e["line"] for e in bad] == [2, 3]


async def test_lines_of_an_unknown_member_wait_for_the_name(
    store: HistoryStore, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    t = int(NOW) - 50
    write(
        path,
        [
            f"{t}|u1|sales|NONE|ENTERQUEUE||0601|1",
            f"{t + 2}|u1|sales|Carol|CONNECT|2|u1.1|2",
            f"{t + 9}|u1|sales|Carol|COMPLETECALLER|2|7|1",
        ],
    )
    rec = recovery(path, store)
    report = await rec.catch_up(NAMES)  # at start-up: Carol is not known yet
    assert (report.filled, report.deferred) == (1, 2)
    report = await rec.catch_up({**NAMES, "Carol": "PJSIP/agent1009"}, final=True)
    assert report.filled == 2
    [call] = await rows(store, QueueCall)
    assert (call["agent"], call["member_name"], call["outcome"]) == (
        "PJSIP/agent1009",
        "Carol",
        "answered",
    )
    # The name is kept for the next start.
    await rec.remember_members({"Carol": "PJSIP/agent1009"})
    write(path, [f"{t + 20}|u2|sales|Carol|CONNECT|1|u2.1|1"], "a")
    assert (await recovery(path, store).catch_up()).deferred == 0
