"""Fill the history's gaps from Asterisk's queue_log: after a bridge restart, and while running.

Why: the live path records what the bridge *sees* over AMI. While the bridge is down (a
crash, a deploy) or its AMI session is (a network cut), calls still happen; Asterisk writes
them to queue_log. This reads that file from a checkpoint kept in the SQL database and
writes what the history lacks through the same idempotent store, so nothing is lost and
nothing is counted twice:

* records built from queue_log carry the same keys as the live ones (:mod:`.queue_log`);
* a record is written only where the live path left a gap ("fill only"): a call step the
  history has not got, or has only as a resync's guess (``exited``, ``ended_by =
  unknown``, answered at resync time). Live values, which are more precise (sub-second
  times, caller names, hold time), are never overwritten;
* agent events, keyed on a timestamp queue_log has to the second only, are matched by a
  time window of :data:`AGENT_EVENT_WINDOW` seconds.

The checkpoint is the byte offset after the last line read, with the file's inode and a
digest of its first line: a rotated or truncated file is read again from its start (and
the rest of the rotated file, ``<path>.1``, first, if it still has the checkpoint's inode).
Without a checkpoint, only lines from ``since()`` on (the start of today) are taken.

Lines naming a member whose interface is not known yet (a member who logged in while the
bridge was down) are *deferred* at start-up: the checkpoint stays before them until the
bridge has learnt the names from Asterisk (``final=True``), then they are written with the
name in place of the interface if still unknown.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from standardiste.acd.callbacks import OUTCOME_UNKNOWN, callback_of
from standardiste.acd.day import start_of_day
from standardiste.acd.records import (
    AgentEvent,
    CallbackProgress,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
    Record,
    RingNoAnswer,
)
from standardiste.config import Settings
from standardiste.history.models import (
    AgentEventRow,
    CallbackPassage,
    QueueCall,
    QueueLogCheckpoint,
    QueueMemberName,
    RingNoAnswerRow,
)
from standardiste.history.queue_log import BadLine, UnknownAgent, parse_line, records_of
from standardiste.history.writer import HistoryStore
from standardiste.outbound.tables import CallbackRow

log = structlog.get_logger(__name__)

# queue_log's time is whole seconds, the live event time is Asterisk's event timestamp: an
# agent event within this many seconds with the same agent, queue and action is the same.
AGENT_EVENT_WINDOW = 2.0
# A live answer later than queue_log's CONNECT by more than this was a resync's guess.
ANSWER_SLACK = 1.0
CHUNK_BYTES = 1 << 20
RESEED_TRIES = 20
_IN_CHUNK = 500  # ids per IN (...) query
_CallStep = QueueCallEntered | QueueCallAnswered | QueueCallLeft | QueueCallCompleted


@dataclass(slots=True)
class RecoveryReport:
    """What one pass did (logged, and returned for tests and figures)."""

    lines: int = 0
    records: int = 0
    filled: int = 0  # records written because the history lacked them
    bad: int = 0
    deferred: int = 0  # lines waiting for a member name
    unresolved: int = 0  # lines written with a member name in place of an interface
    unknown_names: set[str] = field(default_factory=set)
    files: list[str] = field(default_factory=list)

    def add(self, other: RecoveryReport) -> None:
        self.lines += other.lines
        self.records += other.records
        self.filled += other.filled
        self.bad += other.bad
        self.deferred += other.deferred
        self.unresolved += other.unresolved
        self.unknown_names |= other.unknown_names
        self.files += other.files


@dataclass(frozen=True, slots=True)
class _Checkpoint:
    inode: int
    head: str
    offset: int
    line: int


def _head(path: Path) -> str:
    """A digest of the file's first complete line ("" while it has none)."""
    with path.open("rb") as f:
        first = f.readline(4096)
    if not first.endswith(b"\n"):
        return ""
    return hashlib.sha256(first).hexdigest()[:32]


def _read_lines(path: Path, offset: int, limit: int) -> tuple[list[bytes], int, int]:
    """Complete lines from ``offset``, at most about ``limit`` bytes: (lines, new offset, inode).

    A last line without its newline is being written: it is left for the next pass.
    """
    with path.open("rb") as f:
        inode = os.fstat(f.fileno()).st_ino
        f.seek(offset)
        data = f.read(limit)
        if len(data) == limit:
            data += f.readline()  # finish the line the limit cut
    end = data.rfind(b"\n") + 1
    lines = data[:end].split(b"\n")[:-1]
    return lines, offset + end, inode


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


class QueueLogRecovery:
    """Reads one queue_log file into the history store, from a checkpoint, filling gaps."""

    def __init__(
        self,
        path: Path,
        store: HistoryStore,
        *,
        since: Callable[[], float],
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.path = path
        self._store = store
        self._since = since
        self._chunk = chunk_bytes
        self._names: dict[str, str] = {}
        self._names_loaded = False
        self._missing_logged = False
        dialect = store.engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    # -- member names --------------------------------------------------------------------

    async def remember_members(self, names: Mapping[str, str]) -> None:
        """Keep member name → interface pairs the bridge saw (written when they change)."""
        await self._load_names()
        changed = {n: i for n, i in names.items() if n and self._names.get(n) != i}
        if not changed:
            return
        now = datetime.now(UTC)
        stmt = self._insert(QueueMemberName)
        stmt = stmt.on_conflict_do_update(
            index_elements=["member_name"],
            set_={"interface": stmt.excluded.interface, "updated_at": stmt.excluded.updated_at},
        )
        rows = [{"member_name": n, "interface": i, "updated_at": now} for n, i in changed.items()]
        async with self._store.engine.begin() as conn:
            await conn.execute(stmt, rows)
        self._names.update(changed)

    async def _load_names(self) -> None:
        if self._names_loaded:
            return
        async with self._store.engine.connect() as conn:
            rows = (
                await conn.execute(select(QueueMemberName.member_name, QueueMemberName.interface))
            ).all()
        self._names = {name: interface for name, interface in rows} | self._names
        self._names_loaded = True

    # -- one pass ------------------------------------------------------------------------

    async def catch_up(
        self, members: Mapping[str, str] | None = None, *, final: bool = False
    ) -> RecoveryReport:
        """Read what was appended since the checkpoint and write what the history lacks.

        ``members``: member names the bridge knows now (its model). ``final``: write lines
        whose member is still unknown instead of waiting for the name.
        """
        await self._load_names()
        names = {**self._names, **(members or {})}
        report = RecoveryReport()
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            if not self._missing_logged:
                log.warning("queue_log.missing", path=str(self.path))
                self._missing_logged = True
            return report
        self._missing_logged = False
        head = await asyncio.to_thread(_head, self.path)
        checkpoint = await self._load_checkpoint()
        min_time = 0.0
        if checkpoint is None:
            start, line, min_time = 0, 0, self._since()
        elif (
            checkpoint.inode == stat.st_ino
            and checkpoint.head in (head, "")
            and stat.st_size >= checkpoint.offset
        ):
            start, line = checkpoint.offset, checkpoint.line
        else:
            rotated = self.path.with_name(self.path.name + ".1")
            if rotated.exists() and rotated.stat().st_ino == checkpoint.inode:
                # The rest of the file Asterisk was writing when we last read it.
                report.add(
                    await self._read(rotated, checkpoint.offset, checkpoint.line, 0.0, names, True)
                )
            log.info("queue_log.rotated", path=str(self.path), reading_from="start")
            start, line = 0, 0
        report.add(await self._read(self.path, start, line, min_time, names, final, head))
        if report.bad or report.filled or report.deferred or report.unresolved:
            log.info(
                "queue_log.recovered",
                path=str(self.path),
                lines=report.lines,
                records=report.records,
                filled=report.filled,
                bad=report.bad,
                deferred=report.deferred,
                unresolved=report.unresolved,
                unknown_members=sorted(report.unknown_names)[:20],
            )
        return report

    async def _read(
        self,
        path: Path,
        offset: int,
        line_no: int,
        min_time: float,
        names: Mapping[str, str],
        final: bool,
        head: str = "",
    ) -> RecoveryReport:
        report = RecoveryReport(files=[str(path)])
        deferred_at: tuple[int, int] | None = None  # (offset, line) of the first deferred line
        while True:
            lines, end, inode = await asyncio.to_thread(_read_lines, path, offset, self._chunk)
            if not lines:
                break
            records: list[Record] = []
            position = offset
            for raw in lines:
                line_no += 1
                line_start, position = position, position + len(raw) + 1
                report.lines += 1
                found = self._records(raw, line_no, min_time, names, final, report, path)
                if found is None:
                    report.deferred += 1
                    if deferred_at is None:
                        deferred_at = (line_start, line_no - 1)
                    continue
                records.extend(found)
            report.records += len(records)
            report.filled += await self._fill(records)
            offset = end
            if path == self.path:  # not for the rest of a rotated file
                saved = deferred_at or (offset, line_no)
                digest = head or await asyncio.to_thread(_head, path)
                await self._save_checkpoint(_Checkpoint(inode, digest, *saved))
        return report

    def _records(
        self,
        raw: bytes,
        line_no: int,
        min_time: float,
        names: Mapping[str, str],
        final: bool,
        report: RecoveryReport,
        path: Path,
    ) -> list[Record] | None:
        """The records of one line; None if it waits for a member name."""
        text = raw.decode("utf-8", errors="replace")
        try:
            parsed = parse_line(text)
            if parsed.at < min_time:
                return []
            try:
                return records_of(parsed, names.get)
            except UnknownAgent as exc:
                if not final:
                    return None
                report.unresolved += 1  # logged once per pass, with the names
                report.unknown_names.add(exc.name)
                return records_of(parsed, lambda name: name)
        except BadLine as exc:
            report.bad += 1
            log.warning("queue_log.bad_line", file=str(path), line=line_no, error=str(exc))
            return []

    # -- fill only -------------------------------------------------------------------------

    async def _fill(self, records: Sequence[Record]) -> int:
        """Write the records the history lacks; how many."""
        if not records:
            return 0
        calls = [r for r in records if isinstance(r, _CallStep)]
        agents = [r for r in records if isinstance(r, AgentEvent)]
        # A ring's key is exact on both sides (its ring time in ms): insert-or-ignore.
        rings: list[Record] = [r for r in records if isinstance(r, RingNoAnswer)]
        missing = await self._missing_call_steps(calls) + await self._missing_agent_events(agents)
        missing += await self._missing_rings(rings)
        missing += await self._missing_callback_steps(
            [r for r in records if isinstance(r, CallbackProgress)]
        )
        if missing:
            await self._store.write(missing)
        return len(missing)

    async def _missing_call_steps(self, records: Sequence[_CallStep]) -> list[Record]:
        rows: dict[tuple[str, str], Any] = {}
        placeholders = {r.uniqueid for r in records if callback_of(r.uniqueid) is not None}
        calls = {r.uniqueid for r in records} - placeholders
        async with self._store.engine.connect() as conn:
            for table, ids in (
                (QueueCall.__table__, sorted(calls)),
                (CallbackPassage.__table__, sorted(placeholders)),
            ):
                await self._rows_of(conn, table, ids, rows)
        missing: list[Record] = []
        for record in records:
            row = rows.get((record.uniqueid, record.queue))
            if row is None or _lacks(row, record):
                missing.append(record)
        return missing

    @staticmethod
    async def _rows_of(conn: Any, table: Any, ids: list[str], rows: dict[Any, Any]) -> None:
        qc = table.c
        if ids:
            for i in range(0, len(ids), _IN_CHUNK):
                result = await conn.execute(
                    select(
                        qc.uniqueid,
                        qc.queue,
                        qc.entered_at,
                        qc.answered_at,
                        qc.outcome,
                        qc.ended_by,
                        qc.transfer,
                        qc.exit_event,
                    ).where(qc.uniqueid.in_(ids[i : i + _IN_CHUNK]))
                )
                for found in result:
                    rows[found.uniqueid, found.queue] = found

    async def _missing_callback_steps(self, records: Sequence[CallbackProgress]) -> list[Record]:
        """A callback request's steps its row lacks (or has only as the bridge's guess)."""
        if not records:
            return []
        c = CallbackRow.__table__.c
        ids = sorted({r.request for r in records})
        rows: dict[str, Any] = {}
        async with self._store.engine.connect() as conn:
            for i in range(0, len(ids), _IN_CHUNK):
                result = await conn.execute(
                    select(c.id, c.calling_at, c.answered_at, c.ended_at, c.detail).where(
                        c.id.in_(ids[i : i + _IN_CHUNK])
                    )
                )
                rows.update({row.id: row for row in result})
        missing: list[Record] = []
        for record in records:
            row = rows.get(record.request)
            if row is None:
                continue  # no such request here: nothing to update
            if record.ended:
                lacks = row.ended_at is None or row.detail == OUTCOME_UNKNOWN
            elif record.status == "calling":
                lacks = row.calling_at is None
            else:
                lacks = row.answered_at is None
            if lacks:
                missing.append(record)
        return missing

    async def _missing_rings(self, records: Sequence[Record]) -> list[Record]:
        if not records:
            return []
        rk = RingNoAnswerRow.__table__.c
        keys = sorted({r.key for r in records})
        known: set[str] = set()
        async with self._store.engine.connect() as conn:
            for i in range(0, len(keys), _IN_CHUNK):
                result = await conn.execute(
                    select(rk.key).where(rk.key.in_(keys[i : i + _IN_CHUNK]))
                )
                known.update(key for (key,) in result)
        return [r for r in records if r.key not in known]

    async def _missing_agent_events(self, records: Sequence[AgentEvent]) -> list[Record]:
        if not records:
            return []
        ae = AgentEventRow.__table__.c
        agents = sorted({r.agent for r in records})
        low = _ts(min(r.at for r in records) - AGENT_EVENT_WINDOW)
        high = _ts(max(r.at for r in records) + AGENT_EVENT_WINDOW)
        async with self._store.engine.connect() as conn:
            result = await conn.execute(
                select(ae.agent, ae.queue, ae.action, ae.at).where(
                    ae.agent.in_(agents), ae.at >= low, ae.at <= high
                )
            )
            seen: dict[tuple[str, str, str], list[float]] = {}
            for agent, queue, action, at in result:
                seen.setdefault((agent, queue, action), []).append(at.timestamp())
        missing: list[Record] = []
        last: dict[tuple[str, str], tuple[str, str]] = {}
        for record in records:
            where = (record.agent, record.queue)
            # Asterisk logs a PAUSE per request, the live model records changes only.
            repeat = record.action in ("pause", "resume") and last.get(where) == (
                record.action,
                record.reason,
            )
            last[where] = (record.action, record.reason)
            if repeat:
                continue
            # One row answers for one line only: a login, logout and login again within
            # the window are two logins.
            times = seen.get((record.agent, record.queue, record.action), [])
            match = next((t for t in times if abs(t - record.at) <= AGENT_EVENT_WINDOW), None)
            if match is None:
                missing.append(record)
            else:
                times.remove(match)
        return missing

    # -- checkpoint ------------------------------------------------------------------------

    async def _load_checkpoint(self) -> _Checkpoint | None:
        c = QueueLogCheckpoint.__table__.c
        async with self._store.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(c.inode, c.head, c.offset, c.line).where(c.source == str(self.path))
                )
            ).first()
        return None if row is None else _Checkpoint(row.inode, row.head, row.offset, row.line)

    async def _save_checkpoint(self, checkpoint: _Checkpoint) -> None:
        values = {
            "source": str(self.path),
            "inode": checkpoint.inode,
            "head": checkpoint.head,
            "offset": checkpoint.offset,
            "line": checkpoint.line,
            "updated_at": datetime.now(UTC),
        }
        stmt = self._insert(QueueLogCheckpoint).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["source"], set_={k: v for k, v in values.items() if k != "source"}
        )
        async with self._store.engine.begin() as conn:
            await conn.execute(stmt)

    # -- while running ---------------------------------------------------------------------

    async def follow(
        self,
        *,
        synced: asyncio.Event,
        member_names: Callable[[], Mapping[str, str]],
        reseed: Callable[[], Awaitable[bool]],
        interval: float,
    ) -> None:
        """Every ``interval`` s once the bridge knows Asterisk's members: a pass, then, when
        it filled gaps (an AMI outage, the start-up race), today's counters re-read."""
        await synced.wait()
        owed = False  # counters to re-read: the history gained calls the model did not count
        while True:
            try:
                names = dict(member_names())
                await self.remember_members(names)
                report = await self.catch_up(names, final=True)
                owed = owed or report.filled > 0
                for _ in range(RESEED_TRIES if owed else 0):
                    if await reseed():
                        owed = False
                        break
                    # Records on their way to the database: the read would miss them.
                    await asyncio.sleep(random.uniform(0.02, 0.2))
            except Exception as exc:  # the database or the file may be away: next time
                log.warning("queue_log.pass_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(interval)


def queue_log_path(settings: Settings) -> Path:
    """The setting, else the sandbox root's queue_log."""
    configured = settings.asterisk.queue_log_path
    if configured is not None:
        return configured
    return settings.sandbox.root / "var/log/asterisk/queue_log"


def start_of_today(timezone: str) -> Callable[[], float]:
    def since() -> float:
        return start_of_day(timezone, time.time())

    return since


async def recover_queue_log(
    settings: Settings,
    store: HistoryStore,
    *,
    synced: asyncio.Event,
    member_names: Callable[[], Mapping[str, str]],
    reseed: Callable[[], Awaitable[bool]],
) -> Callable[[], Coroutine[Any, Any, None]] | None:
    """The bridge's start-up hook: one pass now (before today's counters are seeded from
    the history), and the coroutine that keeps following the file (None when disabled).

    A failing pass does not stop the bridge: the live path matters more; the next pass
    (or start) catches up from the same checkpoint.
    """
    if not settings.asterisk.queue_log_enabled:
        return None
    recovery = QueueLogRecovery(
        queue_log_path(settings), store, since=start_of_today(settings.timezone)
    )
    try:
        await recovery.catch_up()
    except Exception as exc:
        log.warning("queue_log.pass_failed", error=f"{type(exc).__name__}: {exc}")

    def follow() -> Coroutine[Any, Any, None]:
        return recovery.follow(
            synced=synced,
            member_names=member_names,
            reseed=reseed,
            interval=settings.asterisk.queue_log_interval,
        )

    return follow


def _lacks(row: Any, record: Record) -> bool:
    """True if the history row lacks the fact ``record`` brings (or has only a guess)."""
    match record:
        case QueueCallEntered():
            return row.entered_at is None
        case QueueCallAnswered():
            return row.answered_at is None or (
                row.answered_at.timestamp() > record.at + ANSWER_SLACK
            )
        case QueueCallLeft():
            # An exit's event and key/info: the live path misses them when the dialplan's
            # user event did not arrive (a bridge away), a resync only guesses "exited".
            if row.answered_at is not None or row.exit_event:
                return False
            return row.outcome in (None, "exited") or bool(record.event)
        case QueueCallCompleted():
            # A transfer's details only queue_log has (AMI's AgentComplete lacks them).
            return row.ended_by in (None, "unknown") or bool(record.transfer and not row.transfer)
    return True


def member_names(members: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Name → interface from (name, interface) pairs; members named by their interface,
    or without a name, are left out (queue_log then shows the interface itself)."""
    return {name: interface for name, interface in members if name and name != interface}


__all__ = [
    "AGENT_EVENT_WINDOW",
    "QueueLogRecovery",
    "RecoveryReport",
    "member_names",
    "queue_log_path",
    "recover_queue_log",
]
