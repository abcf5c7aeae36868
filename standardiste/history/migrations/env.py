"""Alembic environment of the call-history schema.

Two ways in:

* programmatic (the application, ``standardiste.history.migrate.upgrade``): the caller
  already holds a connection of its async engine and passes it in
  ``config.attributes["connection"]``; we run on it, inside its transaction, and touch
  neither logging nor the event loop;
* the ``alembic`` command line (developers): the URL comes from ``-x url=...`` or the
  ``sqlalchemy.url`` option and we open our own async engine.

The version table is named for this package so that other parts of Standardiste can keep
their own Alembic histories in the same database.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

import standardiste.account_tables  # noqa: F401  - the accounts tables live on the same metadata
import standardiste.outbound.tables  # noqa: F401  - and outbound dialing
import standardiste.pbx.tables  # noqa: F401  - and the admin's configuration
from standardiste.history.migrate import VERSION_TABLE
from standardiste.history.models import Base
from standardiste.history.urls import async_url

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("no database URL: pass -x url=... or set sqlalchemy.url")
    return async_url(url)


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    shared = config.attributes.get("connection")
    if shared is not None:
        do_run_migrations(shared)
    else:
        asyncio.run(run_async_migrations())
