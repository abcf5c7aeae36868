"""Bring a history database to the current schema (``standardiste db upgrade``).

Alembic's commands are synchronous and its async recipe calls ``asyncio.run``, which cannot
run inside the application's event loop. So :func:`upgrade` opens the async engine itself
and hands Alembic the underlying connection through ``run_sync`` (Alembic's documented
"connection sharing" recipe); ``migrations/env.py`` picks it up from
``config.attributes["connection"]``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from standardiste.history.urls import async_url

VERSION_TABLE = "alembic_version_history"
"""Alembic's version table for this schema; named so other histories can share the DB."""

_HERE = Path(__file__).resolve().parent


def alembic_config() -> Config:
    """The Alembic configuration of the history schema, wherever the package is installed."""
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE / "migrations").replace("%", "%%"))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _make_sqlite_directory(url: str) -> None:
    """A fresh install has no ``var/`` yet; SQLite would fail with "unable to open"."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` (SQLite file or PostgreSQL) to ``revision``.

    Runs in one transaction where the database allows transactional DDL (PostgreSQL), so a
    failed migration leaves the schema as it was.
    """
    url = async_url(url)
    _make_sqlite_directory(url)
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


async def current_revision(url: str) -> str | None:
    """The schema revision of the database at ``url`` (None if never migrated)."""
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        raise RuntimeError("history migrations are missing from the package")
    return head


__all__ = [
    "VERSION_TABLE",
    "alembic_config",
    "current_revision",
    "head_revision",
    "upgrade",
]
