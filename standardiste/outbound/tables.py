"""SQL tables of outbound dialing, on the history's metadata (same database, same migrations:
``history/migrations/versions/0008_outbound.py``).

A campaign's settings are one JSON document (:class:`~standardiste.dialer.campaign.CampaignDef`)
beside the columns that are looked up. Attempts are written *before* their Originate and
carry their id into Asterisk; the dial audit is append-only (no code updates or deletes it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from standardiste.history.models import Base, BigIntId, UTCDateTime

# The contact statuses that hold a number "pending" in a campaign: one contact per number.
OPEN_WHERE = text("status IN ('pending', 'dialing')")


class CampaignRow(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(unique=True)  # slug, never changes
    # The campaign's Asterisk queue: its agents are the users assigned to that queue (CF-2),
    # they log in to the campaign by logging in to the queue.
    queue: Mapped[str] = mapped_column(Text)
    settings: Mapped[str] = mapped_column(Text)  # CampaignDef as JSON
    paused: Mapped[bool] = mapped_column(Boolean, server_default=false())
    paused_by: Mapped[str] = mapped_column(Text, server_default="")
    archived: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactRow(Base):
    __tablename__ = "campaign_contacts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(Text)
    number: Mapped[str] = mapped_column(Text)  # E.164
    timezone: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)  # csv | missed | manual
    queue: Mapped[str | None] = mapped_column(Text)  # missed: the queue they left
    original_wait: Mapped[float | None] = mapped_column(Float)  # missed: s waited
    left_queue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    missed_key: Mapped[str | None] = mapped_column(Text)  # missed: the queue call's uniqueid
    import_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text)  # dialer.retry.ContactStatus
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(None, "campaign_id", "status", "next_at"),
        Index(
            "uq_campaign_contacts_open_number",
            "campaign_id",
            "number",
            unique=True,
            sqlite_where=OPEN_WHERE,
            postgresql_where=OPEN_WHERE,
        ),
        UniqueConstraint("campaign_id", "missed_key"),
    )


class AttemptRow(Base):
    """One dial. ``id`` (32 hex) is written before the Originate and rides into Asterisk as
    the channel variable ``STD_ATTEMPT`` and in the originated channel's uniqueid."""

    __tablename__ = "dial_attempts"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("campaign_contacts.id", ondelete="CASCADE")
    )
    number: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(Text)
    agent: Mapped[str | None] = mapped_column(Text)  # user name (agent-first, preview)
    device: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(Text)  # "dialer" or "user:<name>"
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    originated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by the contact
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # to an agent
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(Text)  # None while in flight
    dialstatus: Mapped[str | None] = mapped_column(Text)
    settled_by: Mapped[str | None] = mapped_column(Text)  # event | queue_log | restart
    talk_seconds: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        Index(None, "campaign_id", "created_at"),
        Index(None, "contact_id"),
        Index(None, "outcome"),
    )


class DialAuditRow(Base):
    """Append-only: every dial decision and what became of it (who or what, when, why)."""

    __tablename__ = "dial_audit"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(Text)  # dialer | user:<name> | callback | pbx
    event: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    contact_id: Mapped[int | None] = mapped_column(BigInteger)
    attempt_id: Mapped[str | None] = mapped_column(Text)
    callback_id: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON

    __table_args__ = (Index(None, "at"), Index(None, "attempt_id"), Index(None, "campaign_id"))


class DncRow(Base):
    """A do-not-call number: ``scope`` is ``*`` (every campaign) or a campaign's name."""

    __tablename__ = "dnc_numbers"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(Text)  # E.164
    scope: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)  # import | manual | contact request
    added_by: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("number", "scope"),)


class ImportRow(Base):
    """A CSV import: its progress and its report (every rejected row with line, column,
    reason)."""

    __tablename__ = "contact_imports"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    filename: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # running | done | failed
    total_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    done_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    imported: Mapped[int] = mapped_column(Integer, server_default="0")
    rejected: Mapped[int] = mapped_column(Integer, server_default="0")
    report: Mapped[str] = mapped_column(Text, server_default="[]")  # JSON list of row errors
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Its last progress (0009): a running import that stopped moving was interrupted.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallbackRow(Base):
    """BY-1: a waiting caller who asked to be called back, keeping their place in line."""

    __tablename__ = "callback_requests"

    id: Mapped[str] = mapped_column(Text, primary_key=True)  # 32 hex
    queue: Mapped[str] = mapped_column(Text)
    number: Mapped[str] = mapped_column(Text)  # E.164
    caller_name: Mapped[str] = mapped_column(Text, server_default="")
    original_uniqueid: Mapped[str] = mapped_column(Text)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(Text)
    placeholder_uniqueid: Mapped[str | None] = mapped_column(Text)
    agent: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str] = mapped_column(Text, server_default="")
    # When the customer started being called (queue_log's CALLBACK_CALLING; migration 0013).
    calling_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(None, "queue", "status"),
        UniqueConstraint("original_uniqueid"),
    )
