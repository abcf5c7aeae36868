"""Queue call recordings: where each one is, which call it belongs to, when it goes.

Asterisk writes them, not us: for a queue whose configuration says ``record``, the dialplan
(``[standardiste-record]`` in ``standardiste-extensions.conf``) starts MixMonitor on the
agent's channel once connected, into ``<recordings dir>/standardiste/<call id>.wav``, where
the call id is the caller channel's uniqueid: the history's key of the call
(``queue_calls.uniqueid``). So a call has a recording exactly when that file exists: the web
asks the file system, nothing has to record the fact.

The bridge deletes recordings older than ``asterisk.recording_retention_days``
(:func:`purge_every`, supervised in the composition root); the web serves them to who may
play them (``web.recordings``).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog

from standardiste.errors import InvalidInput

log = structlog.get_logger(__name__)

FOLDER = "standardiste"  # inside Asterisk's monitor directory: the dialplan's MixMonitor path
SUFFIX = ".wav"
DAY = 86_400.0
# Asterisk's uniqueid ("<epoch>.<sequence>", no system name: asterisk.conf leaves it unset).
CALL_ID_RE = re.compile(r"[0-9]{1,20}\.[0-9]{1,10}")


def is_call_id(value: str) -> bool:
    return CALL_ID_RE.fullmatch(value) is not None


def folder(recordings_dir: Path) -> Path:
    return recordings_dir / FOLDER


def path_of(recordings_dir: Path, call_id: str) -> Path:
    """Where the recording of ``call_id`` is, if there is one; InvalidInput for a string
    that is not a call id (nothing else ever becomes part of a path)."""
    if not is_call_id(call_id):
        raise InvalidInput(f"{call_id[:40]!r} is not a call id (digits.digits)")
    return folder(recordings_dir) / f"{call_id}{SUFFIX}"


def find(recordings_dir: Path, call_id: str) -> Path | None:
    """The recording of ``call_id``, or None when the call was not recorded (or the file
    was deleted by the retention)."""
    path = path_of(recordings_dir, call_id)
    return path if path.is_file() else None


@dataclass(frozen=True, slots=True)
class Stored:
    """One recording on disk; ``modified``: when Asterisk last wrote it (the call's end)."""

    call_id: str
    path: Path
    modified: float


def stored(recordings_dir: Path) -> list[Stored]:
    """Every recording in the folder; other files there are not ours and are ignored."""
    try:
        entries = list(os.scandir(folder(recordings_dir)))
    except FileNotFoundError:  # nothing recorded yet: Asterisk creates it with the first
        return []
    found = []
    for entry in entries:
        call_id = entry.name.removesuffix(SUFFIX)
        if entry.name.endswith(SUFFIX) and is_call_id(call_id):
            try:
                if entry.is_file(follow_symlinks=False):
                    found.append(Stored(call_id, Path(entry.path), entry.stat().st_mtime))
            except FileNotFoundError:  # deleted meanwhile
                continue
    return found


def expired(recordings: Iterable[Stored], *, now: float, retention_days: int) -> list[Stored]:
    """The recordings to delete at ``now``: last written more than ``retention_days`` ago
    (0: none, recordings are kept forever). A recording still being written was modified
    moments ago, so it is never chosen."""
    if retention_days <= 0:
        return []
    cutoff = now - retention_days * DAY
    return sorted((r for r in recordings if r.modified < cutoff), key=lambda r: r.modified)


def purge(recordings_dir: Path, *, retention_days: int, now: float) -> list[Stored]:
    """Delete the expired recordings; returns those deleted."""
    deleted = []
    for recording in expired(stored(recordings_dir), now=now, retention_days=retention_days):
        try:
            recording.path.unlink(missing_ok=True)
        except OSError as exc:  # e.g. a read-only mount: said, and tried again next time
            log.warning("recordings.not_deleted", path=str(recording.path), error=str(exc))
            continue
        deleted.append(recording)
    return deleted


async def purge_every(
    recordings_dir: Path,
    *,
    retention_days: int,
    interval: float = 3600.0,
    clock: Callable[[], float] = time.time,
) -> None:
    """Delete expired recordings now, then every ``interval`` seconds (a supervised task)."""
    while True:
        deleted = await asyncio.to_thread(
            purge, recordings_dir, retention_days=retention_days, now=clock()
        )
        if deleted:
            log.info("recordings.deleted", count=len(deleted), retention_days=retention_days)
        await asyncio.sleep(interval)


__all__ = [
    "CALL_ID_RE",
    "FOLDER",
    "Stored",
    "expired",
    "find",
    "folder",
    "is_call_id",
    "path_of",
    "purge",
    "purge_every",
    "stored",
]
