"""Initial call-history schema: queue_calls, agent_events, device_calls.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept literal on purpose: a migration must not change when the models do.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "queue_calls",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("uniqueid", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("caller_number", sa.Text(), nullable=True),
        sa.Column("caller_name", sa.Text(), nullable=True),
        sa.Column("entered_at", _TS, nullable=True),
        sa.Column("answered_at", _TS, nullable=True),
        sa.Column("agent", sa.Text(), nullable=True),
        sa.Column("member_name", sa.Text(), nullable=True),
        sa.Column("wait", sa.Float(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("talk", sa.Float(), nullable=True),
        sa.Column("hold", sa.Float(), nullable=True),
        sa.Column("ended_by", sa.Text(), nullable=True),
        sa.Column("completed_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_queue_calls"),
        sa.UniqueConstraint("uniqueid", "queue", name="uq_queue_calls_uniqueid_queue"),
        sa.CheckConstraint(
            "outcome IN ('answered', 'abandoned', 'timed_out', 'exited')",
            name="ck_queue_calls_outcome",
        ),
    )
    op.create_index("ix_queue_calls_queue_entered_at", "queue_calls", ["queue", "entered_at"])
    op.create_index("ix_queue_calls_agent_entered_at", "queue_calls", ["agent", "entered_at"])
    op.create_index("ix_queue_calls_answered_at", "queue_calls", ["answered_at"])
    op.create_index("ix_queue_calls_completed_at", "queue_calls", ["completed_at"])

    op.create_table(
        "agent_events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agent_events"),
        sa.UniqueConstraint("key", name="uq_agent_events_key"),
        sa.CheckConstraint(
            "action IN ('login', 'logout', 'pause', 'resume')", name="ck_agent_events_action"
        ),
    )
    op.create_index("ix_agent_events_agent_at", "agent_events", ["agent", "at"])
    op.create_index("ix_agent_events_queue_at", "agent_events", ["queue", "at"])

    op.create_table(
        "device_calls",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("uniqueid", sa.Text(), nullable=False),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False),
        sa.Column("peer_number", sa.Text(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("talk", sa.Float(), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_device_calls"),
        sa.UniqueConstraint("uniqueid", name="uq_device_calls_uniqueid"),
        sa.CheckConstraint(
            "direction IN ('inbound', 'outbound')", name="ck_device_calls_direction"
        ),
    )
    op.create_index("ix_device_calls_device_started_at", "device_calls", ["device", "started_at"])


def downgrade() -> None:
    op.drop_table("device_calls")
    op.drop_table("agent_events")
    op.drop_table("queue_calls")
