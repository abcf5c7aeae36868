"""Web accounts: users, their devices and their queues (with a per-queue role).

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept literal on purpose: a migration must not change when the models do.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="ck_users_role"),
        sa.CheckConstraint("language IN ('en', 'fr', '')", name="ck_users_language"),
    )
    op.create_table(
        "user_devices",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("interface", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_devices"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_user_devices_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("interface", name="uq_user_devices_interface"),
    )
    op.create_index("ix_user_devices_user_id", "user_devices", ["user_id"])
    op.create_table(
        "user_queues",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_queues"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_user_queues_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "queue", name="uq_user_queues_user_id_queue"),
        sa.CheckConstraint("role IN ('agent', 'supervisor')", name="ck_user_queues_role"),
    )
    op.create_index("ix_user_queues_queue", "user_queues", ["queue"])


def downgrade() -> None:
    op.drop_table("user_queues")
    op.drop_table("user_devices")
    op.drop_table("users")
