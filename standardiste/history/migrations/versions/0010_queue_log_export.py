"""queue_log export (BY-6): what the history lacked to write Asterisk's queue_log lines.

queue_calls gains the caller's join and leave positions, the answering member's channel
and ring time, app_queue's own wait figure at the end of the call and a transfer's
details; agent_events the member name and whether a login was paused; ring_no_answers
keeps each ring that was not answered (RINGNOANSWER). All nullable: rows written before
this revision simply lack them (the export writes what it has, see queue_log_export).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_QUEUE_CALL_COLUMNS = (
    ("position", sa.Integer()),
    ("left_position", sa.Integer()),
    ("agent_uniqueid", sa.Text()),
    ("ring_time", sa.Float()),
    ("completed_wait", sa.Float()),
    ("transfer", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("queue_calls") as batch:
        for name, type_ in _QUEUE_CALL_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("agent_events") as batch:
        batch.add_column(sa.Column("member_name", sa.Text(), nullable=True))
        batch.add_column(sa.Column("paused", sa.Boolean(), nullable=True))
    op.create_table(
        "ring_no_answers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("uniqueid", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("member_name", sa.Text(), nullable=False),
        sa.Column("ring_ms", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ring_no_answers"),
        sa.UniqueConstraint("key", name="uq_ring_no_answers_key"),
    )
    op.create_index("ix_ring_no_answers_at", "ring_no_answers", ["at"])
    op.create_index("ix_ring_no_answers_queue_at", "ring_no_answers", ["queue", "at"])


def downgrade() -> None:
    op.drop_index("ix_ring_no_answers_queue_at", table_name="ring_no_answers")
    op.drop_index("ix_ring_no_answers_at", table_name="ring_no_answers")
    op.drop_table("ring_no_answers")
    with op.batch_alter_table("agent_events") as batch:
        batch.drop_column("paused")
        batch.drop_column("member_name")
    with op.batch_alter_table("queue_calls") as batch:
        for name, _ in reversed(_QUEUE_CALL_COLUMNS):
            batch.drop_column(name)
