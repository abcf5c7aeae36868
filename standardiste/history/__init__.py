"""SQL call history: schema, migrations, idempotent writer, disk buffer and the sink.

The bridge hands :class:`acd.records.Record` objects to a :class:`HistorySink`, which
writes them through a :class:`HistoryStore` and spools them to a :class:`DiskBuffer`
while the database is unavailable. :func:`upgrade` brings a database to the current
schema (``standardiste db upgrade``).
"""

from standardiste.history.buffer import BufferFull, DiskBuffer
from standardiste.history.migrate import current_revision, head_revision, upgrade
from standardiste.history.sink import HistorySink
from standardiste.history.urls import async_url
from standardiste.history.writer import HistoryStore, QueueCounts

__all__ = [
    "BufferFull",
    "DiskBuffer",
    "HistorySink",
    "HistoryStore",
    "QueueCounts",
    "async_url",
    "current_revision",
    "head_revision",
    "upgrade",
]
