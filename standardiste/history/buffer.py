"""A bounded, crash-safe, append-only spool of history records on local disk.

Format: JSON lines (one ``Record.to_dict()`` per line) in a data file, plus a small
``<name>.head`` file holding how far the file has been consumed. Why JSON lines rather
than a SQLite file:

* an operator can read, grep and replay it with ordinary tools (``jq``) when the database
  has been down for a while, which is exactly when someone will look at it;
* an append is one ``write`` + ``fsync``; there is no second database engine to go wrong
  while the first one is down;
* a crash can only tear the *end* of the file (records are never rewritten in place), and
  a torn tail is easy to detect (no final newline, or not JSON) and drop with a warning,
  keeping everything before it.

Acknowledging (``ack``) does not rewrite the file: it moves the head offset, written
atomically (temp file, ``fsync``, ``rename``). The head file also names the data file's
inode, so if a crash happens between compacting the data file and recording the new head
the mismatch is detected and the whole (already compacted) file is replayed, instead of
skipping records. Consumed bytes are reclaimed when the spool empties (truncate) or when
they outweigh the pending ones (compaction into a fresh file), so disk use stays within
``max_bytes`` and the copying is amortised O(1) per byte.

At-least-once, not exactly-once: a crash between a database commit and ``ack`` replays
those records, which the idempotent history writer absorbs.

The class is synchronous (blocking file I/O) and thread-safe, so an asyncio caller can
run its methods in a worker thread without blocking the event loop on ``fsync``. An
exclusive ``flock`` on ``<name>.lock`` keeps two processes from sharing one spool.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import structlog

from standardiste.acd.records import Record, record_from_dict

log = structlog.get_logger(__name__)

_COPY_CHUNK = 1 << 20
# Below this many consumed bytes, compaction is not worth a rewrite.
_MIN_COMPACT_BYTES = 1 << 20


class BufferFull(Exception):
    """The spool has no room for these records; they were NOT stored.

    Carries the refused records so the caller can log each of them in full.
    """

    def __init__(self, records: Sequence[Record], *, needed: int, max_bytes: int) -> None:
        self.records: tuple[Record, ...] = tuple(records)
        self.needed = needed
        self.max_bytes = max_bytes
        super().__init__(
            f"history disk buffer full: {len(self.records)} record(s) need {needed} bytes, "
            f"limit is {max_bytes} bytes"
        )


def _encode(record: Record) -> bytes:
    # ensure_ascii: no raw newlines or odd encodings can ever end up inside a line.
    return json.dumps(record.to_dict(), separators=(",", ":")).encode("ascii") + b"\n"


def _decode(line: bytes) -> Record:
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return record_from_dict(data)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DiskBuffer:
    """FIFO spool of records: ``append`` at the tail, ``peek`` + ``ack`` at the head."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._head_path = self.path.with_name(self.path.name + ".head")
        self._compact_path = self.path.with_name(self.path.name + ".compact")
        self._lock = threading.Lock()
        # (start, end) byte offsets of each pending record, oldest first.
        self._entries: deque[tuple[int, int]] = deque()
        self._head = 0
        self._end = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = self._take_process_lock()
        try:
            self._compact_path.unlink(missing_ok=True)  # left by a crash mid-compaction
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._recover()
        except BaseException:
            os.close(self._lock_fd)
            raise

    # -- public API -----------------------------------------------------------------------

    def append(self, records: Sequence[Record]) -> None:
        """Durably add ``records`` at the tail (all or none).

        Raises :class:`BufferFull` if they do not fit; ``OSError`` if the disk fails, in
        which case nothing was added.
        """
        if not records:
            return
        lines = [_encode(record) for record in records]
        data = b"".join(lines)
        with self._lock:
            self._check_open()
            if self._end + len(data) > self.max_bytes and self._head > 0:
                self._compact()
            if self._end + len(data) > self.max_bytes:
                raise BufferFull(records, needed=len(data), max_bytes=self.max_bytes)
            start = self._end
            try:
                written = os.pwrite(self._fd, data, start)
                if written != len(data):
                    raise OSError(f"short write to {self.path}: {written} of {len(data)} bytes")
                os.fsync(self._fd)
            except OSError:
                # Do not leave a partial line for the next append to glue onto.
                os.ftruncate(self._fd, start)
                raise
            for line in lines:
                self._entries.append((start, start + len(line)))
                start += len(line)
            self._end = start

    def peek(self, n: int) -> list[Record]:
        """The ``n`` oldest pending records (fewer if fewer are pending), not removed."""
        with self._lock:
            self._check_open()
            selected = list(itertools.islice(self._entries, max(n, 0)))
            if not selected:
                return []
            base = selected[0][0]
            data = os.pread(self._fd, selected[-1][1] - base, base)
        return [_decode(data[start - base : end - base]) for start, end in selected]

    def ack(self, n: int) -> None:
        """Drop the ``n`` oldest pending records (they have been written elsewhere)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        with self._lock:
            self._check_open()
            if n > len(self._entries):
                raise ValueError(f"cannot ack {n} records, only {len(self._entries)} pending")
            if n == 0:
                return
            for _ in range(n):
                _, head = self._entries.popleft()
            if not self._entries:
                # Drained: reclaim everything. Truncate first: if we crash before the head
                # is rewritten, a head past the end of an empty file is harmless.
                os.ftruncate(self._fd, 0)
                os.fsync(self._fd)
                self._end = 0
                self._set_head(0)
            elif head >= _MIN_COMPACT_BYTES and head >= self._end - head:
                self._set_head(head)
                self._compact()
            else:
                self._set_head(head)

    # __len__ and size_bytes read without the lock on purpose: an event loop polls them
    # for readiness and must not wait behind an fsync or a compaction in a worker thread.
    # Each read is atomic under the GIL; a momentarily stale value is fine for both uses.

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes of the pending records (what ``max_bytes`` bounds)."""
        return self._end - self._head

    def close(self) -> None:
        with self._lock:
            if self._fd < 0:
                return
            os.close(self._fd)
            os.close(self._lock_fd)
            self._fd = -1

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._fd < 0:
            raise ValueError(f"history disk buffer {self.path} is closed")

    def _take_process_lock(self) -> int:
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeError(
                f"history disk buffer {self.path} is in use by another process"
            ) from None
        return fd

    def _inode(self) -> int:
        return os.fstat(self._fd).st_ino

    def _read_head(self, size: int) -> int:
        """The persisted head offset, or 0 when it cannot be trusted (replay is safe)."""
        try:
            text = self._head_path.read_text(encoding="ascii")
        except FileNotFoundError:
            return 0
        try:
            inode_text, offset_text = text.split()
            inode, offset = int(inode_text), int(offset_text)
        except ValueError:
            log.warning(
                "history buffer head file unreadable, replaying from the start",
                path=str(self._head_path),
                content=text[:200],
            )
            return 0
        if inode != self._inode():
            # The data file was replaced (compaction finished, head not yet rewritten).
            return 0
        if offset > size:
            if size:
                log.warning(
                    "history buffer head past end of file, replaying from the start",
                    path=str(self.path),
                    head=offset,
                    size=size,
                )
            return 0
        if offset > 0 and os.pread(self._fd, 1, offset - 1) != b"\n":
            log.warning(
                "history buffer head not at a record boundary, replaying from the start",
                path=str(self.path),
                head=offset,
            )
            return 0
        return offset

    def _set_head(self, offset: int) -> None:
        tmp = self._head_path.with_name(self._head_path.name + ".tmp")
        with open(tmp, "w", encoding="ascii") as f:
            f.write(f"{self._inode()} {offset}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._head_path)
        _fsync_dir(self.path.parent)
        self._head = offset

    def _lines(self, start: int) -> Iterator[tuple[int, bytes]]:
        with open(self.path, "rb") as f:
            f.seek(start)
            offset = start
            for line in f:
                yield offset, line
                offset += len(line)

    def _recover(self) -> None:
        """Rebuild the index of pending records; drop a torn tail, skip corrupt lines."""
        size = os.fstat(self._fd).st_size
        head = self._read_head(size)
        end = head
        for offset, line in self._lines(head):
            if not line.endswith(b"\n"):
                log.warning(
                    "history buffer: dropping torn last record (partial write before a crash)",
                    path=str(self.path),
                    offset=offset,
                    content=line.decode("latin-1"),
                )
                os.ftruncate(self._fd, offset)
                os.fsync(self._fd)
                break
            try:
                _decode(line)
            except (ValueError, TypeError) as exc:
                log.error(
                    "history buffer: skipping unreadable record",
                    path=str(self.path),
                    offset=offset,
                    error=str(exc),
                    content=line.decode("latin-1"),
                )
            else:
                self._entries.append((offset, offset + len(line)))
            end = offset + len(line)
        self._end = end
        if not self._entries and end > 0:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
            self._end = 0
            head = 0
        self._set_head(head)
        if self._entries:
            log.info(
                "history buffer holds records from a previous run",
                path=str(self.path),
                records=len(self._entries),
                bytes=self._end - head,
            )

    def _compact(self) -> None:
        """Copy the pending bytes into a fresh file and swap it in (see module doc)."""
        pending = self._end - self._head
        with open(self._compact_path, "wb") as out:
            offset = self._head
            while offset < self._end:
                chunk = os.pread(self._fd, min(_COPY_CHUNK, self._end - offset), offset)
                if not chunk:
                    raise OSError(f"{self.path} shrank during compaction")
                out.write(chunk)
                offset += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(self._compact_path, self.path)
        _fsync_dir(self.path.parent)
        old_fd, shift = self._fd, self._head
        self._fd = os.open(self.path, os.O_RDWR)
        os.close(old_fd)
        self._entries = deque((s - shift, e - shift) for s, e in self._entries)
        self._end = pending
        self._set_head(0)


__all__ = ["BufferFull", "DiskBuffer"]
