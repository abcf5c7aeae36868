"""queue_log export, exits and callbacks (BY-6 on BY-1): what the history lacked to write
EXITEMPTY, EXITWITHKEY, WITHDRAW and a callback request's CALLBACK_* INFO lines.

queue_calls gains the queue_log event of an ``exited``/``transferred`` outcome and its own
field (the key pressed, the withdraw info); callback_requests the time the customer started
being called (CALLBACK_CALLING); callback_passages keeps a callback placeholder's passage
through its queue (the cb-<id> lines: ENTERQUEUE, CONNECT, COMPLETE*, ...), the columns of
queue_calls, apart from the inbound calls. All nullable: rows written before lack them.

Revision ID: 0013
Revises: 0012 (developed on 0011; rechained on 0012 when merging main)
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Kept literal on purpose: a migration must not change when the models do.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("queue_calls") as batch:
        batch.add_column(sa.Column("exit_event", sa.Text(), nullable=True))
        batch.add_column(sa.Column("exit_data", sa.Text(), nullable=True))
    with op.batch_alter_table("callback_requests") as batch:
        batch.add_column(sa.Column("calling_at", _TS, nullable=True))
    op.create_table(
        "callback_passages",
        sa.Column("id", _ID, nullable=False),
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
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("left_position", sa.Integer(), nullable=True),
        sa.Column("agent_uniqueid", sa.Text(), nullable=True),
        sa.Column("ring_time", sa.Float(), nullable=True),
        sa.Column("completed_wait", sa.Float(), nullable=True),
        sa.Column("transfer", sa.Text(), nullable=True),
        sa.Column("exit_event", sa.Text(), nullable=True),
        sa.Column("exit_data", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_callback_passages"),
        sa.UniqueConstraint("uniqueid", "queue", name="uq_callback_passages_uniqueid_queue"),
    )
    for column in ("entered_at", "answered_at", "completed_at"):
        op.create_index(f"ix_callback_passages_{column}", "callback_passages", [column])


def downgrade() -> None:
    for column in ("completed_at", "answered_at", "entered_at"):
        op.drop_index(f"ix_callback_passages_{column}", table_name="callback_passages")
    op.drop_table("callback_passages")
    with op.batch_alter_table("callback_requests") as batch:
        batch.drop_column("calling_at")
    with op.batch_alter_table("queue_calls") as batch:
        batch.drop_column("exit_data")
        batch.drop_column("exit_event")
