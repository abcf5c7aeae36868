"""DiskBuffer: FIFO order, ack, the size bound, crash leftovers and reopening."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from standardiste.acd.records import (
    AgentEvent,
    DeviceCall,
    QueueCallAnswered,
    QueueCallEntered,
    Record,
    RingNoAnswer,
)
from standardiste.history import buffer as buffer_module
from standardiste.history.buffer import BufferFull, DiskBuffer


def event(i: int) -> AgentEvent:
    return AgentEvent(
        agent=f"PJSIP/agent{1000 + i % 7}",
        queue="sales",
        action="pause",
        reason=f"break {i}",
        by="pbx",
        forced=False,
        at=1_700_000_000.0 + i,
    )


def events(start: int, stop: int) -> list[Record]:
    return [event(i) for i in range(start, stop)]


def line_size(record: Record) -> int:
    return len(buffer_module._encode(record))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "spool" / "history.jsonl"


@pytest.fixture
def buf(path: Path) -> Iterator[DiskBuffer]:
    with DiskBuffer(path, max_bytes=1_000_000) as b:
        yield b


def test_fifo_order_across_appends(buf: DiskBuffer) -> None:
    mixed: list[Record] = [
        QueueCallEntered("1700000000.1", "sales", "0601020304", "Alice", 1_700_000_000.5),
        DeviceCall("1700000000.2", "PJSIP/agent1001", "outbound", "0102", True, 12.5, 1.0, 2.0),
    ]
    buf.append(events(0, 3))
    buf.append(mixed)
    buf.append(events(3, 5))
    assert len(buf) == 7
    assert buf.peek(100) == events(0, 3) + mixed + events(3, 5)
    assert buf.peek(2) == events(0, 2)
    assert buf.peek(0) == []


def test_ack_drops_oldest_first(buf: DiskBuffer) -> None:
    buf.append(events(0, 5))
    buf.ack(2)
    assert len(buf) == 3
    assert buf.peek(10) == events(2, 5)
    buf.ack(0)
    assert buf.peek(10) == events(2, 5)
    with pytest.raises(ValueError):
        buf.ack(4)
    buf.ack(3)
    assert len(buf) == 0
    assert buf.peek(10) == []
    assert buf.size_bytes == 0
    assert buf.path.stat().st_size == 0, "a drained spool gives its disk space back"


def test_size_bytes_counts_pending_records(buf: DiskBuffer) -> None:
    records = events(0, 4)
    buf.append(records)
    assert buf.size_bytes == sum(line_size(r) for r in records)
    buf.ack(1)
    assert buf.size_bytes == sum(line_size(r) for r in records[1:])


def test_bound_refuses_whole_batch_and_keeps_what_it_has(path: Path) -> None:
    size = line_size(event(0))
    with DiskBuffer(path, max_bytes=size * 5) as buf:
        buf.append(events(0, 4))
        with pytest.raises(BufferFull) as refused:
            buf.append(events(4, 6))  # 2 records, room for 1: all or nothing
        assert refused.value.records == tuple(events(4, 6))
        assert len(buf) == 4
        buf.append(events(4, 5))  # exactly fills it
        with pytest.raises(BufferFull):
            buf.append(events(5, 6))
        # Acknowledged records free their room (the file is compacted to make space).
        buf.ack(2)
        buf.append(events(5, 7))
        assert buf.peek(100) == events(2, 7)
        assert path.stat().st_size <= size * 5
    with DiskBuffer(path, max_bytes=size * 5) as reopened:
        assert reopened.peek(100) == events(2, 7)


def test_survives_reopen(path: Path) -> None:
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        buf.append(events(0, 6))
        buf.ack(2)
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        assert len(buf) == 4
        assert buf.peek(100) == events(2, 6)
        buf.append(events(6, 8))
        buf.ack(1)
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        assert buf.peek(100) == events(3, 8)


def test_torn_last_line_is_dropped_with_a_warning(path: Path) -> None:
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        buf.append(events(0, 3))
    torn = buffer_module._encode(event(3))[:25]
    with path.open("ab") as f:
        f.write(torn)  # a crash in the middle of an append

    with capture_logs() as logs, DiskBuffer(path, max_bytes=1_000_000) as buf:
        assert buf.peek(100) == events(0, 3)
        buf.append(events(4, 5))  # must not glue onto the torn bytes
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert len(warnings) == 1
    assert "torn" in warnings[0]["event"]
    assert warnings[0]["content"] == torn.decode()

    with capture_logs() as logs, DiskBuffer(path, max_bytes=1_000_000) as buf:
        assert buf.peek(100) == events(0, 3) + events(4, 5)
    assert not [e for e in logs if e["log_level"] in ("warning", "error")]


def test_torn_only_line(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"kind":"agent_ev')
    with capture_logs() as logs, DiskBuffer(path, max_bytes=1_000_000) as buf:
        assert len(buf) == 0
        buf.append(events(0, 1))
        assert buf.peek(5) == events(0, 1)
    assert any("torn" in e["event"] for e in logs)


def test_corrupt_line_in_the_middle_is_skipped_and_logged(path: Path) -> None:
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        buf.append(events(0, 2))
    with path.open("ab") as f:
        f.write(b'{"kind":"no_such_record","x":1}\n')
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        buf.append(events(2, 3))
    with capture_logs() as logs, DiskBuffer(path, max_bytes=1_000_000) as buf:
        assert buf.peek(10) == events(0, 3)
        buf.ack(2)  # acking past the bad line works too
        assert buf.peek(10) == events(2, 3)
    errors = [e for e in logs if e["log_level"] == "error"]
    assert len(errors) == 1
    assert "no_such_record" in errors[0]["content"]


def test_untrustworthy_head_replays_rather_than_skips(path: Path) -> None:
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        buf.append(events(0, 3))
        buf.ack(1)
    head_path = path.with_name(path.name + ".head")
    inode, _ = head_path.read_text().split()
    head_path.write_text(f"{inode} 5\n")  # not at a record boundary
    with capture_logs() as logs, DiskBuffer(path, max_bytes=1_000_000) as buf:
        # Replaying an acknowledged record is harmless (writes are idempotent); losing
        # one is not.
        assert buf.peek(10) == events(0, 3)
    assert any("boundary" in e["event"] for e in logs)


def test_compaction_and_a_crash_before_the_new_head_is_saved(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(buffer_module, "_MIN_COMPACT_BYTES", 0)
    head_path = path.with_name(path.name + ".head")
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        buf.append(events(0, 10))
        full_size = path.stat().st_size
        buf.ack(3)  # consumed < pending: just moves the head
        assert path.stat().st_size == full_size
        stale_head = head_path.read_bytes()
        buf.ack(3)  # consumed >= pending: compacts
        assert path.stat().st_size == sum(line_size(r) for r in events(6, 10))
        assert buf.peek(100) == events(6, 10)
        buf.append(events(10, 11))
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        assert buf.peek(100) == events(6, 11)

    # Crash between swapping in the compacted file and saving its head: the head still
    # names the old file (other inode) and an offset that would skip records.
    head_path.write_bytes(stale_head)
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        assert buf.peek(100) == events(6, 11)


def test_leftover_compaction_file_is_ignored(path: Path) -> None:
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        buf.append(events(0, 2))
    shutil.copy(path, path.with_name(path.name + ".compact"))
    with DiskBuffer(path, max_bytes=1_000_000) as buf:
        assert buf.peek(10) == events(0, 2)
    assert not path.with_name(path.name + ".compact").exists()


def test_one_process_at_a_time(path: Path) -> None:
    with DiskBuffer(path, max_bytes=1_000_000):
        with pytest.raises(RuntimeError, match="in use"):
            DiskBuffer(path, max_bytes=1_000_000)
    with DiskBuffer(path, max_bytes=1_000_000):
        pass


def test_failed_append_leaves_no_partial_line(
    buf: DiskBuffer, monkeypatch: pytest.MonkeyPatch
) -> None:
    buf.append(events(0, 1))

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        buf.append(events(1, 3))
    monkeypatch.undo()
    assert len(buf) == 1
    buf.append(events(3, 4))
    assert buf.peek(10) == [event(0), event(3)]


def test_records_buffered_before_the_queue_log_fields_still_read() -> None:
    """A buffer written by the previous version (no positions, member names, ...) is read
    after an upgrade: the new fields take their defaults (not known)."""
    old = (
        b'{"uniqueid":"1.1","queue":"sales","agent":"PJSIP/agent1001","member_name":"Alice",'
        b'"wait":4.0,"at":1700000004.0,"kind":"queue_call_answered"}\n'
    )
    answered = buffer_module._decode(old)
    assert isinstance(answered, QueueCallAnswered)
    assert (answered.agent_uniqueid, answered.ring_time) == ("", None)
    old = (
        b'{"agent":"PJSIP/agent1001","queue":"sales","action":"login","reason":"","by":"pbx",'
        b'"forced":false,"at":1700000000.0,"kind":"agent_event"}\n'
    )
    login = buffer_module._decode(old)
    assert isinstance(login, AgentEvent) and (login.member_name, login.paused) == ("", False)
    # And the new fields make the round trip.
    ring = RingNoAnswer("1.1", "sales", "PJSIP/agent1002", "Bob", 15000, 1_700_000_020.0)
    assert buffer_module._decode(buffer_module._encode(ring)) == ring
