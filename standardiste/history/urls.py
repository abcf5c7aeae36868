"""Database URLs: let operators write the URL they know, run on the async drivers."""

from __future__ import annotations

from sqlalchemy.engine import make_url

_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
}


def async_url(url: str) -> str:
    """``url`` with its driver swapped for the async one Standardiste uses.

    ``postgresql://...`` becomes ``postgresql+asyncpg://...`` and ``sqlite:///x.db``
    becomes ``sqlite+aiosqlite:///x.db``; URLs already naming an async driver are kept.
    """
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


__all__ = ["async_url"]
