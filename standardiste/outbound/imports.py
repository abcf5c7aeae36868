"""A contacts CSV import (CD-5), as it runs: all rows checked first, then the valid ones
inserted in one transaction, with the report in the same one.

Nothing is ever half-imported without saying so:
- phase 1 checks every row (:class:`~standardiste.outbound.csv_import.RowChecker`, in a
  thread, a chunk at a time) and writes the progress (``done_rows`` of ``total_rows``);
- phase 2 inserts the valid rows through :meth:`CampaignStore.add_contacts` — one
  transaction, DNC and numbers already pending refused there — and writes the import's
  status ``done``, how many were imported and every rejected row (line, column, reason) in
  that same transaction;
- any failure leaves the status ``failed`` with the reason, and nothing inserted; an import
  whose process died (no progress for :data:`STALLED_AFTER`) reads as failed too, since its
  transaction never committed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from standardiste.errors import StandardisteError
from standardiste.outbound.csv_import import ContactRow, RowChecker, RowError, Table
from standardiste.outbound.store import AddResult, Campaign, CampaignStore, NewContact
from standardiste.outbound.tables import ImportRow

log = structlog.get_logger(__name__)

CHUNK = 1000  # rows checked between two progress writes (~60 ms of phonenumbers)
STALLED_AFTER = timedelta(minutes=2)
RUNNING, DONE, FAILED = "running", "done", "failed"
REPORT_MAX = 5000  # rejected rows kept in the report (the count is always exact)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ImportStatus:
    id: int
    campaign_id: int
    filename: str
    by: str
    status: str  # running | done | failed
    total_rows: int
    done_rows: int  # rows checked (phase 1); all of them: inserting (phase 2)
    imported: int
    rejected: int
    report: list[dict[str, Any]]  # rejected rows; a failure: its reason first (line 0)
    started_at: datetime
    finished_at: datetime | None

    @property
    def phase(self) -> str:
        """checking | saving | done | failed."""
        if self.status != RUNNING:
            return self.status
        return "saving" if self.done_rows >= self.total_rows else "checking"


def _status(row: ImportRow) -> ImportStatus:
    return ImportStatus(
        row.id,
        row.campaign_id,
        row.filename,
        row.by,
        row.status,
        row.total_rows,
        row.done_rows,
        row.imported,
        row.rejected,
        json.loads(row.report or "[]"),
        row.started_at,
        row.finished_at,
    )


class ImportStore:
    """The ``contact_imports`` rows: progress and reports."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def start(self, campaign: Campaign, filename: str, by: str, total_rows: int) -> int:
        now = _now()
        async with self._sessions() as session:
            row = ImportRow(
                campaign_id=campaign.id,
                filename=filename[:200],
                by=by,
                status=RUNNING,
                total_rows=total_rows,
                done_rows=0,
                imported=0,
                rejected=0,
                report="[]",
                started_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.commit()
            return row.id

    async def progress(self, import_id: int, done_rows: int) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(ImportRow)
                .where(ImportRow.id == import_id, ImportRow.status == RUNNING)
                .values(done_rows=done_rows, updated_at=_now())
            )
            await session.commit()

    async def get(self, import_id: int, campaign_id: int) -> ImportStatus | None:
        """The import (of that campaign); one that stopped moving is marked failed."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(ImportRow).where(
                    ImportRow.id == import_id, ImportRow.campaign_id == campaign_id
                )
            )
            if row is None:
                return None
            moved = row.updated_at or row.started_at
            if row.status == RUNNING and _now() - moved > STALLED_AFTER:
                await self._fail(
                    session,
                    import_id,
                    "interrupted: the import stopped (the web process ended); nothing was imported",
                )
                await session.commit()
                await session.refresh(row)
            return _status(row)

    async def latest(self, campaign_id: int, limit: int = 10) -> list[ImportStatus]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ImportRow)
                .where(ImportRow.campaign_id == campaign_id)
                .order_by(ImportRow.id.desc())
                .limit(limit)
            )
            return [_status(r) for r in rows]

    async def fail(self, import_id: int, reason: str, errors: Sequence[RowError] = ()) -> None:
        async with self._sessions() as session:
            await self._fail(session, import_id, reason, errors)
            await session.commit()

    async def _fail(
        self, session: AsyncSession, import_id: int, reason: str, errors: Sequence[RowError] = ()
    ) -> None:
        report = [
            RowError(0, "", "", reason, code="failed").to_dict(),
            *(e.to_dict() for e in errors),
        ]
        await session.execute(
            update(ImportRow)
            .where(ImportRow.id == import_id, ImportRow.status == RUNNING)
            .values(
                status=FAILED,
                imported=0,
                report=json.dumps(report[:REPORT_MAX]),
                finished_at=_now(),
                updated_at=_now(),
            )
        )


async def run_import(
    store: CampaignStore,
    imports: ImportStore,
    import_id: int,
    campaign: Campaign,
    table: Table,
    actor: str,
    *,
    chunk: int = CHUNK,
    checked: Callable[[int], Awaitable[None]] | None = None,
) -> None:
    """Runs the import ``import_id`` to its end: done (the report says what was imported and
    every rejected row) or failed (nothing imported, the report says why)."""
    definition = campaign.definition
    checker = RowChecker(
        table.columns,
        region=definition.default_region,
        fallback_timezone=definition.schedule.timezone,
    )
    good: list[ContactRow] = []
    bad: list[RowError] = []
    try:
        for start in range(0, table.total, chunk):
            part = table.rows[start : start + chunk]
            ok, rejected = await asyncio.to_thread(checker.check_many, part)
            good += ok
            bad += rejected
            done = min(start + chunk, table.total)
            await imports.progress(import_id, done)
            if checked is not None:  # a test's hook between two chunks
                await checked(done)
        await _insert(store, imports, import_id, campaign, table, actor, good, bad)
    except asyncio.CancelledError:
        await imports.fail(import_id, "interrupted: the web process stopped; nothing was imported")
        raise
    except StandardisteError as exc:
        await imports.fail(import_id, f"nothing was imported: {exc.message}", bad)
    except Exception as exc:
        log.exception("import.failed", import_id=import_id, campaign=campaign.name)
        reason = f"nothing was imported: an error occurred ({type(exc).__name__})"
        await imports.fail(import_id, reason)


async def _insert(
    store: CampaignStore,
    imports: ImportStore,
    import_id: int,
    campaign: Campaign,
    table: Table,
    actor: str,
    good: list[ContactRow],
    bad: list[RowError],
) -> None:
    column = table.columns.label("number")
    row_of = {c.number: c for c in good}
    contacts = [NewContact(c.name, c.number, c.timezone, source="csv") for c in good]

    async def report(session: AsyncSession, result: AddResult) -> None:
        refused = [
            RowError(row_of[n].line, column, "number", reason, row_of[n].raw, code=code)
            for numbers, reason, code in (
                (result.dnc, "on a do-not-call list", "dnc"),
                (result.duplicates, "already pending in this campaign", "pending"),
            )
            for n in numbers
        ]
        errors = sorted(bad + refused, key=lambda e: e.line)
        done = await session.execute(
            update(ImportRow)
            .where(ImportRow.id == import_id, ImportRow.status == RUNNING)
            .values(
                status=DONE,
                done_rows=table.total,
                imported=len(result.added),
                rejected=len(errors),
                report=json.dumps([e.to_dict() for e in errors[:REPORT_MAX]]),
                finished_at=_now(),
                updated_at=_now(),
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            # Marked failed meanwhile (judged interrupted): its contacts must not land.
            raise StandardisteError("the import was marked interrupted before it finished")

    await store.add_contacts(actor, campaign.name, contacts, import_id=import_id, then=report)


__all__ = ["DONE", "FAILED", "RUNNING", "ImportStatus", "ImportStore", "run_import"]
