"""SQL tables of the call history.

The history is a *projection* of the records in :mod:`acd.records`: each table row can be
rebuilt from records alone, so the writer can upsert idempotently and replay a disk buffer
without creating duplicates. Text columns are unbounded on purpose: a ``VARCHAR(n)``
overflow would make one odd caller name a poison record that blocks the history.

Timestamps are timezone-aware UTC everywhere in Python. PostgreSQL stores them as
``timestamptz``; SQLite has no timestamp type, so they are stored as naive UTC text in
SQLAlchemy's fixed-width format, which sorts chronologically (``min``/``max`` and range
filters work on it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Deterministic constraint and index names, so Alembic migrations can refer to them and
# both dialects end up with the same names.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only makes ``INTEGER PRIMARY KEY`` an auto-incrementing rowid alias.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always a timezone-aware UTC ``datetime`` on the Python side.

    Naive datetimes are refused on the way in: a naive value is ambiguous (local time? UTC?)
    and a silent guess would shift reports by hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: history timestamps must be tz-aware")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite stores text; keep it naive UTC so the strings sort chronologically.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        str: Text(),
        float: Float(),
        bool: Boolean(),
    }


QUEUE_OUTCOMES = ("answered", "abandoned", "timed_out", "exited", "transferred")
AGENT_ACTIONS = ("login", "logout", "pause", "resume")
SPY_EVENTS = ("start", "mode", "end")
SPY_MODES = ("listen", "whisper", "barge")
CANNED_EVENTS = ("start", "end")
CALL_DIRECTIONS = ("inbound", "outbound")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class _Passage:
    """The columns of a passage through a queue (an inbound call's, a callback
    placeholder's): one set of merge rules (:mod:`standardiste.history.writer`) fills both."""

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    uniqueid: Mapped[str]
    queue: Mapped[str]
    caller_number: Mapped[str | None]
    caller_name: Mapped[str | None]
    entered_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    agent: Mapped[str | None]
    member_name: Mapped[str | None]
    wait: Mapped[float | None]
    outcome: Mapped[str | None]
    talk: Mapped[float | None]
    hold: Mapped[float | None]
    ended_by: Mapped[str | None]
    completed_at: Mapped[datetime | None]
    # What the queue_log export needs beyond the figures above (migration 0010): the
    # position the caller joined at and left at, the answering member's channel and ring
    # time, app_queue's own wait figure at the end of the call, and a transfer's details.
    position: Mapped[int | None]
    left_position: Mapped[int | None]
    agent_uniqueid: Mapped[str | None]
    ring_time: Mapped[float | None]
    completed_wait: Mapped[float | None]
    transfer: Mapped[str | None]
    # Migration 0013: the queue_log event of an ``exited``/``transferred`` outcome
    # (EXITEMPTY, EXITWITHKEY, WITHDRAW; NULL when not known, e.g. a resync's guess) and its
    # own field (the key pressed, the withdraw info).
    exit_event: Mapped[str | None]
    exit_data: Mapped[str | None]


class QueueCall(_Passage, Base):
    """One caller's passage through one queue, merged from the queue call records.

    Columns are filled by different records (entered / answered / left / completed) that
    may arrive in any order; see :mod:`standardiste.history.writer` for the merge rules.
    ``outcome`` is NULL while the caller is still waiting. ``completed_at`` is when the
    caller's story in this queue ended: the hang-up after an answered call, or the moment
    an unanswered caller left the queue.
    """

    __tablename__ = "queue_calls"

    __table_args__ = (
        UniqueConstraint("uniqueid", "queue"),
        CheckConstraint(_in("outcome", QUEUE_OUTCOMES), name="outcome"),
        Index(None, "queue", "entered_at"),
        Index(None, "agent", "entered_at"),
        # today_counts() and "calls that ended in a period" reports.
        Index(None, "answered_at"),
        Index(None, "completed_at"),
    )


class CallbackPassage(_Passage, Base):
    """A callback request's placeholder passing through its queue (BY-1; uniqueid
    ``cb-<request id>``), from the same records as :class:`QueueCall` (migration 0013).

    Kept apart from ``queue_calls``: a placeholder is not an inbound call, and no call
    report counts it; the queue_log export writes its lines (ENTERQUEUE, CONNECT, ...) as
    app_queue did. A request placed again (after a hang-up) reuses the row, like an inbound
    caller queued twice in the same queue.
    """

    __tablename__ = "callback_passages"

    __table_args__ = (
        UniqueConstraint("uniqueid", "queue"),
        Index(None, "entered_at"),
        Index(None, "answered_at"),
        Index(None, "completed_at"),
    )


class AgentEventRow(Base):
    """An agent's login, logout, pause or resume in a queue (insert-only)."""

    __tablename__ = "agent_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(unique=True)
    agent: Mapped[str]
    queue: Mapped[str]
    action: Mapped[str]
    reason: Mapped[str]
    by: Mapped[str]
    forced: Mapped[bool]
    at: Mapped[datetime]
    member_name: Mapped[str | None]  # migration 0010 (queue_log's agent column)
    paused: Mapped[bool | None]  # login: added paused (migration 0010)

    __table_args__ = (
        CheckConstraint(_in("action", AGENT_ACTIONS), name="action"),
        Index(None, "agent", "at"),
        Index(None, "queue", "at"),
    )


class RingNoAnswerRow(Base):
    """A member rang for a queued caller and did not answer (insert-only; queue_log's
    RINGNOANSWER)."""

    __tablename__ = "ring_no_answers"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(unique=True)
    uniqueid: Mapped[str]
    queue: Mapped[str]
    agent: Mapped[str]
    member_name: Mapped[str]
    ring_ms: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]

    __table_args__ = (
        Index(None, "at"),
        Index(None, "queue", "at"),
    )


AGENT_STATES = (
    "ready",
    "ringing",
    "talking",
    "hold",
    "wrapup",
    "paused",
    "unavailable",
    "logged_out",
)


class AgentStateRow(Base):
    """An agent (a device, across their queues) entered a state (``acd.agent_states``):
    one row per transition. An interval is a row and the agent's next one (ordered by ``at``,
    then ``id``), whose ``at`` the writer copies into the row's ``ended_at``."""

    __tablename__ = "agent_states"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(unique=True)
    agent: Mapped[str]
    at: Mapped[datetime]
    state: Mapped[str]
    reason: Mapped[str]
    queue: Mapped[str]
    # The next transition's ``at`` (migration 0014), kept by the writer; NULL: the latest.
    ended_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(_in("state", AGENT_STATES), name="state"),
        Index(None, "agent", "at"),
        Index(None, "at"),
        Index(
            "ix_agent_states_wrapup_at",
            "at",
            postgresql_where=text("state = 'wrapup'"),
            sqlite_where=text("state = 'wrapup'"),
        ),
    )


class SpyLogRow(Base):
    """The audit of supervisors' listen / whisper / barge sessions: start, each mode change,
    end (insert-only; ``key`` makes a replayed record a no-op)."""

    __tablename__ = "spy_log"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(unique=True)
    session: Mapped[str]
    event: Mapped[str]
    supervisor: Mapped[str]
    device: Mapped[str]
    agent: Mapped[str]
    target_channel: Mapped[str]
    queue: Mapped[str]
    mode: Mapped[str]
    at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(_in("event", SPY_EVENTS), name="event"),
        CheckConstraint(_in("mode", SPY_MODES), name="mode"),
        Index(None, "at"),
        Index(None, "session"),
    )


class CannedLogRow(Base):
    """The audit of canned audio messages played into calls: start and end, who played
    it, into whose call, who stopped it (insert-only; ``key`` makes a replay a no-op)."""

    __tablename__ = "canned_log"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(unique=True)
    session: Mapped[str]
    event: Mapped[str]
    message: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str]
    by: Mapped[str]
    agent: Mapped[str]
    target_channel: Mapped[str]
    queue: Mapped[str]
    stopped_by: Mapped[str]
    at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(_in("event", CANNED_EVENTS), name="event"),
        Index(None, "at"),
        Index(None, "session"),
    )


class DeviceCallRow(Base):
    """A call on an agent's device that did not come through a queue (insert-only)."""

    __tablename__ = "device_calls"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    uniqueid: Mapped[str] = mapped_column(unique=True)
    device: Mapped[str]
    direction: Mapped[str]
    peer_number: Mapped[str]
    answered: Mapped[bool]
    talk: Mapped[float]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(_in("direction", CALL_DIRECTIONS), name="direction"),
        Index(None, "device", "started_at"),
    )


class QueueLogCheckpoint(Base):
    """How far the queue_log recovery has read a file (one row per file path).

    ``inode`` and ``head`` (a digest of the file's first line) tell a rotated or truncated
    file from the one read before: then it is read again from the start. ``line`` counts
    the lines before ``offset``, so a bad line is logged with its real line number.
    """

    __tablename__ = "queue_log_checkpoints"

    source: Mapped[str] = mapped_column(primary_key=True)
    inode: Mapped[int] = mapped_column(BigInteger)
    head: Mapped[str]
    offset: Mapped[int] = mapped_column(BigInteger)
    line: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class QueueMemberName(Base):
    """A queue member's name and its interface, as last seen live.

    queue_log names members by their name only; the history keys agents by interface. The
    bridge keeps this table from its model so that a restart can resolve the names of
    lines written while it was down.
    """

    __tablename__ = "queue_member_names"

    member_name: Mapped[str] = mapped_column(primary_key=True)
    interface: Mapped[str]
    updated_at: Mapped[datetime]


class ReportSeq(Base):
    """One row: the sequence number of the last history write that touched report units."""

    __tablename__ = "report_seq"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class ReportMark(Base):
    """A span [lo, hi) (epoch s) of one queue's or agent's history that a write changed,
    with the write's ``seq`` (:mod:`standardiste.history.report_units`); kept an hour."""

    __tablename__ = "report_marks"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    scope: Mapped[str]  # queue | agent
    key: Mapped[str]
    lo: Mapped[float]
    hi: Mapped[float]
    at: Mapped[float]  # when written (epoch s)


class ReportUnit(Base):
    """A report's figures for one closed local day of one queue or agent (``data``, JSON),
    computed from the history as of ``seq``; dropped by any write into [dep_lo, hi)."""

    __tablename__ = "report_units"

    kind: Mapped[str] = mapped_column(primary_key=True)  # queue_day | agent_day
    params: Mapped[str] = mapped_column(primary_key=True)  # what else the figures depend on
    key: Mapped[str] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(primary_key=True)  # local date, ISO
    scope: Mapped[str]
    dep_lo: Mapped[float]
    hi: Mapped[float]
    seq: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[str]

    __table_args__ = (Index(None, "scope", "key", "hi"),)


__all__ = [
    "AgentEventRow",
    "AgentStateRow",
    "Base",
    "DeviceCallRow",
    "QueueCall",
    "QueueLogCheckpoint",
    "QueueMemberName",
    "ReportMark",
    "ReportSeq",
    "ReportUnit",
    "RingNoAnswerRow",
    "UTCDateTime",
]
