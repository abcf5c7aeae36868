"""Canned audio messages (issue 8, AG-3): the messages admins upload (converted for
Asterisk) and the audit of each one played into a call.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept literal on purpose: a migration must not change when the models do.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "canned_audio",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("audio", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_canned_audio"),
        sa.UniqueConstraint("name", name="uq_canned_audio_name"),
    )
    op.create_table(
        "canned_log",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("session", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("message", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("target_channel", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("stopped_by", sa.Text(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_canned_log"),
        sa.UniqueConstraint("key", name="uq_canned_log_key"),
        sa.CheckConstraint("event IN ('start', 'end')", name="ck_canned_log_event"),
    )
    op.create_index("ix_canned_log_at", "canned_log", ["at"])
    op.create_index("ix_canned_log_session", "canned_log", ["session"])


def downgrade() -> None:
    op.drop_index("ix_canned_log_session", "canned_log")
    op.drop_index("ix_canned_log_at", "canned_log")
    op.drop_table("canned_log")
    op.drop_table("canned_audio")
