"""Web accounts on both SQL dialects: the 0002 migration, users, devices, queues, passwords."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from standardiste.account_tables import UserDevice, UserQueue
from standardiste.accounts import Accounts
from standardiste.errors import InvalidInput
from standardiste.history.migrate import VERSION_TABLE, current_revision, head_revision, upgrade
from standardiste.history.models import Base
from standardiste.web.errors import Conflict, UnknownUser

HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
PASSWORD = "a long enough password"
ACCOUNT_TABLES = {"users", "user_devices", "user_queues"}


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade(db_url)
    engine = create_async_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def accounts(engine: AsyncEngine) -> Accounts:
    return Accounts(engine, HASHER)


def _account_diffs(conn: Connection) -> list[object]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
    )
    diffs = compare_metadata(context, Base.metadata)

    def table_of(diff: object) -> str | None:
        item = diff[0] if isinstance(diff, list) else diff
        for part in item if isinstance(item, tuple) else ():
            if isinstance(part, str) and part in ACCOUNT_TABLES:
                return part  # ("modify_nullable", schema, table_name, column_name, ...)
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if table is not None:
                return str(table.name)
            if name in ACCOUNT_TABLES:
                return str(name)
        return None

    return [d for d in diffs if table_of(d) in ACCOUNT_TABLES]


async def test_migration_matches_the_models(db_url: str, engine: AsyncEngine) -> None:
    assert await current_revision(db_url) == head_revision()
    async with engine.connect() as conn:
        assert await conn.run_sync(_account_diffs) == []


async def test_users_devices_and_queues(accounts: Accounts) -> None:
    sue = await accounts.create_user(
        "sue", PASSWORD, display_name="Sue S.", email="sue@example.org", role="supervisor",
        language="fr", time_zone="Europe/Paris", devices=["PJSIP/sup2001"],
        queues={"sales": "supervisor", "support": "agent"},
    )  # fmt: skip
    assert sue.public() == {
        "username": "sue",
        "display_name": "Sue S.",
        "email": "sue@example.org",
        "role": "supervisor",
        "language": "fr",
        "time_zone": "Europe/Paris",
        "devices": ["PJSIP/sup2001"],
        "queues": [{"name": "sales", "role": "supervisor"}, {"name": "support", "role": "agent"}],
    }
    await accounts.create_user("alice", PASSWORD, devices=["PJSIP/a1", "PJSIP/a2"],
                               queues={"sales": "agent"})  # fmt: skip
    alice = await accounts.set_devices("alice", ["PJSIP/a2", "PJSIP/a1"])
    assert alice.devices == ("PJSIP/a2", "PJSIP/a1")  # the first is the default
    assert (await accounts.get("alice")) == alice
    assert alice.display_name == "alice"
    assert await accounts.device_directory() == {
        "PJSIP/sup2001": {"username": "sue", "display_name": "Sue S."},
        "PJSIP/a1": {"username": "alice", "display_name": "alice"},
        "PJSIP/a2": {"username": "alice", "display_name": "alice"},
    }
    assert await accounts.agent_devices(["sales"]) == {"PJSIP/a1", "PJSIP/a2"}
    assert await accounts.agent_devices(["support"]) == {"PJSIP/sup2001"}
    assert await accounts.agent_devices([]) == frozenset()
    sue = await accounts.set_queues("sue", {"support": "supervisor"})
    assert sue.queues == {"support": "supervisor"}
    assert [u.username for u in await accounts.list()] == ["alice", "sue"]


async def test_conflicts(accounts: Accounts) -> None:
    await accounts.create_user("alice", PASSWORD, devices=["PJSIP/a1"])
    with pytest.raises(Conflict):
        await accounts.create_user("alice", PASSWORD)
    with pytest.raises(Conflict):  # a device has one owner
        await accounts.create_user("bob", PASSWORD, devices=["PJSIP/a1"])
    await accounts.create_user("bob", PASSWORD)
    with pytest.raises(Conflict):
        await accounts.set_devices("bob", ["PJSIP/a1"])
    assert (await accounts.get("bob")).devices == ()  # type: ignore[union-attr]
    with pytest.raises(UnknownUser):
        await accounts.set_queues("nobody", {})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"username": "Bad Name"}, "user name"),
        ({"password": "short"}, "password"),
        ({"role": "root"}, "role"),
        ({"language": "de"}, "language"),
        ({"time_zone": "Mars/Olympus"}, "time zone"),
        ({"email": "not an address"}, "e-mail"),
        ({"devices": ["PJSIP/x,1)"]}, "device"),
        ({"devices": ["PJSIP/a", "PJSIP/a"]}, "twice"),
        ({"queues": {"sales": "boss"}}, "role in queue"),
        ({"queues": {"sales": "supervisor"}}, "cannot supervise"),
        ({"queues": {"sa les": "agent"}}, "queue name"),
        ({"display_name": "x\ny"}, "display name"),
    ],
)
async def test_bad_values_are_refused(
    accounts: Accounts, kwargs: dict[str, object], match: str
) -> None:
    values: dict[str, object] = {"username": "zed", "password": PASSWORD, **kwargs}
    with pytest.raises(InvalidInput, match=match):
        await accounts.create_user(**values)  # type: ignore[arg-type]
    assert await accounts.list() == []


async def test_demoting_a_supervisor_of_a_queue_is_refused(accounts: Accounts) -> None:
    await accounts.create_user("sue", PASSWORD, role="supervisor", queues={"sales": "supervisor"})
    with pytest.raises(InvalidInput, match="cannot supervise"):
        await accounts.update_user("sue", role="agent")
    assert (await accounts.get("sue")).role == "supervisor"  # type: ignore[union-attr]


async def test_authenticate(accounts: Accounts) -> None:
    created = await accounts.create_user("bob", PASSWORD)
    assert await accounts.authenticate("bob", PASSWORD) == created
    assert await accounts.authenticate(" BOB ", PASSWORD) == created
    assert await accounts.authenticate("bob", PASSWORD + "!") is None
    assert await accounts.authenticate("nobody", PASSWORD) is None
    changed = await accounts.update_user("bob", password="another long password")
    assert changed.credentials_version != created.credentials_version
    assert await accounts.authenticate("bob", PASSWORD) is None
    assert await accounts.authenticate("bob", "another long password") == changed


async def test_stronger_parameters_rehash_at_the_next_login(engine: AsyncEngine) -> None:
    weak = Accounts(engine, HASHER)
    created = await weak.create_user("bob", PASSWORD)
    stronger = Accounts(engine, PasswordHasher(time_cost=2, memory_cost=128, parallelism=1))
    user = await stronger.authenticate("bob", PASSWORD)
    assert user is not None and user.credentials_version != created.credentials_version
    assert await stronger.authenticate("bob", PASSWORD) == user  # no second rehash


async def test_deleting_a_user_deletes_their_links(accounts: Accounts, engine: AsyncEngine) -> (
    None
):  # fmt: skip
    await accounts.create_user("bob", PASSWORD, devices=["PJSIP/b"], queues={"x": "agent"})
    await accounts.delete_user("bob")
    async with engine.connect() as conn:
        for table in (UserDevice, UserQueue):
            assert await conn.scalar(select(func.count()).select_from(table)) == 0
    # The device is free again.
    await accounts.create_user("carol", PASSWORD, devices=["PJSIP/b"])
