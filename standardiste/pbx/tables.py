"""SQL tables of the admin's configuration, on the history's metadata (same database, same
migrations: ``history/migrations/versions/0005_pbx_config.py``).

Queue settings are one JSON document per queue (``settings``) beside the columns that are
looked up or must be unique (name, extension): a new setting needs no migration, and the
document is validated by :class:`~standardiste.pbx.definitions.QueueDef` on the way in and out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from standardiste.history.models import Base, BigIntId, UTCDateTime


class QueueConfigRow(Base):
    __tablename__ = "queue_configs"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(unique=True)  # Asterisk's queue name, never changes
    extension: Mapped[str] = mapped_column(unique=True)
    settings: Mapped[str] = mapped_column(Text)  # QueueDef as JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SkillRow(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(unique=True)
    display_name: Mapped[str]


class UserSkillRow(Base):
    __tablename__ = "user_skills"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="CASCADE"))
    skill: Mapped[str] = mapped_column(ForeignKey("skills.name", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("user_id", "skill"), Index(None, "skill"))


class PauseReasonRow(Base):
    """A pause reason. Retired (``active`` false) rather than deleted: history keeps its code."""

    __tablename__ = "pause_reasons"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(unique=True)
    label_en: Mapped[str]
    label_fr: Mapped[str]
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    position: Mapped[int] = mapped_column(Integer, default=0)


class RolePermissionRow(Base):
    """One granted permission of one role (the editable matrix; admin holds them all)."""

    __tablename__ = "role_permissions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    role: Mapped[str]
    permission: Mapped[str]

    __table_args__ = (UniqueConstraint("role", "permission"),)


class CannedTextRow(Base):
    """A canned text for the chat issue: stored and edited here, used there."""

    __tablename__ = "canned_texts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(unique=True)
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str]


class CannedAudioRow(Base):
    """A canned audio message (AG-3) as Asterisk plays it: 8 kHz mono 16-bit WAV, converted
    from the admin's upload (``pbx.sound``). The bridge writes it where Asterisk finds it
    (``pbx.canned_audio``); ``sha256`` tells it whether the file there is this one."""

    __tablename__ = "canned_audio"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(unique=True)
    language: Mapped[str]
    audio: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str]
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChatTagRow(Base):
    __tablename__ = "chat_tags"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(unique=True)


class ConfigAuditRow(Base):
    """Every configuration change: who, when, what, before and after (JSON, null if none)."""

    __tablename__ = "config_audit"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str]
    action: Mapped[str]  # e.g. "queue.create", "user.update"
    subject: Mapped[str]  # what changed, e.g. the queue or user name
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index(None, "at"),)


class ConfigMetaRow(Base):
    """Flags of the configuration itself, e.g. ``queues_managed``: the bridge manages the
    generated queue files only once an admin (or the demo) stored a queue configuration."""

    __tablename__ = "config_meta"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[str]
