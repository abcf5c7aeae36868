"""Supervisor call control (issue 8): the spy sessions' audit, the "transferred" outcome of
a queue call, canned audio messages, and the permissions that go with them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept literal on purpose: a migration must not change when the models do.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)
_OLD_OUTCOMES = "outcome IN ('answered', 'abandoned', 'timed_out', 'exited')"
_NEW_OUTCOMES = "outcome IN ('answered', 'abandoned', 'timed_out', 'exited', 'transferred')"
# Who gets the new permissions by default (an admin holds them all anyway).
_GRANTS = (
    ("supervisor", "calls.spy"),
    ("supervisor", "callers.transfer"),
    ("supervisor", "canned.play"),
    ("agent", "canned.play"),
)


def upgrade() -> None:
    with op.batch_alter_table("queue_calls") as batch:  # SQLite: a copy of the table
        batch.drop_constraint("ck_queue_calls_outcome", type_="check")
        batch.create_check_constraint("ck_queue_calls_outcome", _NEW_OUTCOMES)
    op.create_table(
        "spy_log",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("session", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("supervisor", sa.Text(), nullable=False),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("target_channel", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_spy_log"),
        sa.UniqueConstraint("key", name="uq_spy_log_key"),
        sa.CheckConstraint("event IN ('start', 'mode', 'end')", name="ck_spy_log_event"),
        sa.CheckConstraint("mode IN ('listen', 'whisper', 'barge')", name="ck_spy_log_mode"),
    )
    op.create_index("ix_spy_log_at", "spy_log", ["at"])
    op.create_index("ix_spy_log_session", "spy_log", ["session"])
    permissions = sa.table("role_permissions", sa.column("role"), sa.column("permission"))
    op.bulk_insert(permissions, [{"role": r, "permission": p} for r, p in _GRANTS])


def downgrade() -> None:
    permissions = sa.table("role_permissions", sa.column("role"), sa.column("permission"))
    for role, permission in _GRANTS:
        op.execute(
            permissions.delete().where(
                (permissions.c.role == role) & (permissions.c.permission == permission)
            )
        )
    op.drop_index("ix_spy_log_session", "spy_log")
    op.drop_index("ix_spy_log_at", "spy_log")
    op.drop_table("spy_log")
    op.execute("DELETE FROM queue_calls WHERE outcome = 'transferred'")
    with op.batch_alter_table("queue_calls") as batch:
        batch.drop_constraint("ck_queue_calls_outcome", type_="check")
        batch.create_check_constraint("ck_queue_calls_outcome", _OLD_OUTCOMES)
