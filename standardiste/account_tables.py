"""SQL tables of the web accounts, on the history's metadata (same database, same migrations).

Migration: ``standardiste/history/migrations/versions/0002_accounts.py``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from standardiste.history.models import Base, BigIntId

ROLES = ("agent", "supervisor", "admin")
QUEUE_ROLES = ("agent", "supervisor")
LANGUAGES = ("en", "fr", "")  # "" = the browser's language


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(unique=True)
    display_name: Mapped[str]
    email: Mapped[str]
    password_hash: Mapped[str]
    role: Mapped[str]
    language: Mapped[str]
    time_zone: Mapped[str]  # "" = the contact center's
    # Cannot log in; set by ``standardiste user disable`` (migration 0003).
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    devices: Mapped[list[UserDevice]] = relationship(
        order_by="UserDevice.position", lazy="selectin", cascade="all, delete-orphan"
    )
    queues: Mapped[list[UserQueue]] = relationship(
        order_by="UserQueue.queue", lazy="selectin", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
    )


class UserDevice(Base):
    """A SIP interface the user takes calls on; position 0 is the default one."""

    __tablename__ = "user_devices"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="CASCADE"))
    # One owner per device: member rows are attributed to users through it.
    interface: Mapped[str] = mapped_column(unique=True)
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index(None, "user_id"),)


class UserQueue(Base):
    """The user's role in one queue: agent (takes its calls) or supervisor (sees it all)."""

    __tablename__ = "user_queues"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="CASCADE"))
    queue: Mapped[str]
    role: Mapped[str]

    __table_args__ = (
        UniqueConstraint("user_id", "queue"),
        CheckConstraint(_in("role", QUEUE_ROLES), name="role"),
        Index(None, "queue"),
    )
