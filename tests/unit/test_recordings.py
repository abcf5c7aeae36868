"""Recordings on disk: which string may name one, which ones the retention deletes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from standardiste.errors import InvalidInput
from standardiste.recordings import (
    DAY,
    Stored,
    expired,
    find,
    is_call_id,
    path_of,
    purge,
    purge_every,
    stored,
)

NOW = 1_800_000_000.0


@pytest.mark.parametrize("value", ["1699999940.17", "1.0", "12345678901234567890.1234567890"])
def test_call_ids_are_asterisk_uniqueids(value: str) -> None:
    assert is_call_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1699999940",
        ".17",
        "1699999940.",
        "1.2.3",
        "1699999940.17.wav",
        "../1699999940.17",
        "1699999940.17/..",
        "1699999940.17\n",
        "host-1699999940.17",
        "١٦٩٩.١",  # digits of another script: \d would take them, the allow-list does not
        "1" * 21 + ".1",
        "1." + "1" * 11,
    ],
)
def test_anything_else_is_not(value: str, tmp_path: Path) -> None:
    assert not is_call_id(value)
    with pytest.raises(InvalidInput):
        path_of(tmp_path, value)


def test_a_recording_is_named_by_its_call(tmp_path: Path) -> None:
    assert path_of(tmp_path, "1699999940.17") == tmp_path / "standardiste/1699999940.17.wav"
    assert find(tmp_path, "1699999940.17") is None
    make(tmp_path, "1699999940.17", age_days=0)
    assert find(tmp_path, "1699999940.17") == tmp_path / "standardiste/1699999940.17.wav"


# -------------------------------------------------------------------- retention
def rec(call_id: str, age_days: float) -> Stored:
    return Stored(call_id, Path(f"/x/{call_id}.wav"), NOW - age_days * DAY)


def test_retention_keeps_what_is_younger_than_the_limit() -> None:
    recordings = [rec("1.1", 91), rec("2.2", 90.01), rec("3.3", 89.99), rec("4.4", 0)]
    chosen = expired(recordings, now=NOW, retention_days=90)
    assert [r.call_id for r in chosen] == ["1.1", "2.2"]  # the oldest first


def test_retention_zero_keeps_everything() -> None:
    assert expired([rec("1.1", 10_000)], now=NOW, retention_days=0) == []


def make(root: Path, call_id: str, *, age_days: float, name: str | None = None) -> Path:
    path = root / "standardiste" / (name or f"{call_id}.wav")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")
    when = NOW - age_days * DAY
    os.utime(path, (when, when))
    return path


def test_purge_deletes_old_recordings_and_nothing_else(tmp_path: Path) -> None:
    old = make(tmp_path, "1.1", age_days=100)
    young = make(tmp_path, "2.2", age_days=5)
    not_ours = make(tmp_path, "", age_days=400, name="notes.txt")
    odd = make(tmp_path, "", age_days=400, name="1.1.wav.bak")
    (tmp_path / "standardiste" / "9.9.wav").mkdir()  # a directory named like one
    os.utime(tmp_path / "standardiste" / "9.9.wav", (NOW - 400 * DAY, NOW - 400 * DAY))
    assert sorted(r.call_id for r in stored(tmp_path)) == ["1.1", "2.2"]

    deleted = purge(tmp_path, retention_days=30, now=NOW)

    assert [r.call_id for r in deleted] == ["1.1"]
    assert not old.exists()
    assert young.exists() and not_ours.exists() and odd.exists()
    assert purge(tmp_path, retention_days=30, now=NOW) == []  # nothing left to do


def test_purge_of_a_folder_asterisk_has_not_created_yet(tmp_path: Path) -> None:
    assert purge(tmp_path / "monitor", retention_days=30, now=NOW) == []


async def test_the_bridge_task_purges_at_once_then_again_and_again(tmp_path: Path) -> None:
    old = make(tmp_path, "1.1", age_days=100)
    passes: list[float] = []
    second_pass = asyncio.Event()

    def clock() -> float:  # read once per pass
        passes.append(NOW)
        if len(passes) == 2:
            second_pass.set()
        return NOW

    task = asyncio.create_task(purge_every(tmp_path, retention_days=30, interval=0.01, clock=clock))
    try:
        await asyncio.wait_for(second_pass.wait(), 5)
        assert not old.exists()
        assert not task.done()  # a pass deletes, then the task waits for the next one
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
