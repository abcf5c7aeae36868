"""A contacts CSV import (CD-5) on SQLite and PostgreSQL, as the web runs it: every row
checked, then the valid ones and the report written in one transaction — or nothing.

What a supervisor would notice if it broke: a row rejected without saying which line and
why, a number on a do-not-call list or already pending imported anyway, a failed import
that left half its contacts behind, an import that says "running" for ever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from standardiste.dialer.campaign import CampaignDef
from standardiste.history.migrate import upgrade
from standardiste.outbound.csv_import import read_table
from standardiste.outbound.imports import ImportStore, run_import
from standardiste.outbound.store import CampaignStore, NewContact
from standardiste.outbound.tables import ContactRow, ImportRow

CSV = (
    "Nom;Téléphone\n"
    "Jo Martin;06 12 34 56 01\n"
    "Bad;12\n"
    "Léa Petit;06 12 34 56 02\n"  # on the do-not-call list
    "Old friend;06 12 34 56 03\n"  # already pending in the campaign
    "Twice;+33612345601\n"
    "Zed;06 12 34 56 04\n"
).encode()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade(db_url)
    engine = create_async_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def store(engine: AsyncEngine) -> CampaignStore:
    s = CampaignStore(engine)
    await s.create("ann", CampaignDef.parse({"name": "winter", "queue": "sales"}))
    await s.add_dnc("ann", ["+33612345602"])
    await s.add_contacts(
        "ann", "winter", [NewContact("Old friend", "+33612345603", "Europe/Paris")]
    )
    return s


async def test_an_import_with_bad_rows_says_what_it_imported_and_why_each_row_was_not(
    engine: AsyncEngine, store: CampaignStore
) -> None:
    imports = ImportStore(engine)
    campaign = await store.campaign("winter")
    table = read_table(CSV)
    import_id = await imports.start(campaign, "list.csv", "sue", table.total)
    seen: list[int] = []

    async def checked(done: int) -> None:
        seen.append((await imports.get(import_id, campaign.id)).done_rows)  # type: ignore[union-attr]

    await run_import(store, imports, import_id, campaign, table, "sue", chunk=2, checked=checked)
    assert seen == [2, 4, 6]  # the progress a browser polls, chunk by chunk
    status = await imports.get(import_id, campaign.id)
    assert status is not None
    assert (status.status, status.phase, status.imported, status.rejected) == (
        "done", "done", 2, 4
    )  # fmt: skip
    assert [(r["line"], r["column"], r["reason"]) for r in status.report] == [
        (3, "Téléphone", "has the wrong length for its country"),
        (4, "Téléphone", "on a do-not-call list"),
        (5, "Téléphone", "already pending in this campaign"),
        (6, "Téléphone", "duplicate: the same number as line 2"),
    ]
    contacts = await store.contacts("winter")
    assert [(c.name, c.number, c.source) for c in contacts] == [
        ("Old friend", "+33612345603", "manual"),
        ("Jo Martin", "+33612345601", "csv"),
        ("Zed", "+33612345604", "csv"),
    ]


async def test_an_import_that_fails_midway_leaves_nothing_and_says_so(
    engine: AsyncEngine, store: CampaignStore
) -> None:
    imports = ImportStore(engine)
    campaign = await store.campaign("winter")
    table = read_table(CSV)
    import_id = await imports.start(campaign, "list.csv", "sue", table.total)

    async def deleted_meanwhile(done: int) -> None:
        if done == 2:
            await store.archive("ann", "winter")

    await run_import(
        store, imports, import_id, campaign, table, "sue", chunk=2, checked=deleted_meanwhile
    )
    status = await imports.get(import_id, campaign.id)
    assert status is not None and status.status == "failed" and status.imported == 0
    assert status.report[0]["line"] == 0
    assert status.report[0]["reason"].startswith("nothing was imported: campaign: no campaign")
    # The rows already found bad are still listed, after the reason.
    assert [r["line"] for r in status.report[1:]] == [3, 6]
    async with engine.connect() as conn:
        sources = (await conn.execute(select(ContactRow.source))).scalars().all()
    assert sources == ["manual"]


async def test_an_import_whose_process_died_reads_as_interrupted(
    engine: AsyncEngine, store: CampaignStore
) -> None:
    imports = ImportStore(engine)
    campaign = await store.campaign("winter")
    import_id = await imports.start(campaign, "list.csv", "sue", 6)
    await imports.progress(import_id, 2)
    assert (await imports.get(import_id, campaign.id)).phase == "checking"  # type: ignore[union-attr]
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    async with engine.begin() as conn:
        await conn.execute(update(ImportRow).values(updated_at=long_ago))
    status = await imports.get(import_id, campaign.id)
    assert status is not None and status.status == "failed"
    assert "nothing was imported" in status.report[0]["reason"]
    assert await imports.get(import_id, campaign.id + 1) is None  # another campaign's id
