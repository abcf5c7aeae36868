"""queue_log export, exits and callbacks (BY-6 on BY-1): what the history lacked to write
EXITEMPTY, EXITWITHKEY, WITHDRAW and a callback request's CALLBACK_* INFO lines.

queue_calls gains the queue_log event of an ``exited``/``transferred`` outcome and its own
field (the key pressed, the withdraw info); callback_requests the time the customer started
being called (CALLBACK_CALLING). All nullable: rows written before simply lack them.

Revision ID: 0013
Revises: 0012 (developed on 0011; 0012 is the reports permission's, set at merge)
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("queue_calls") as batch:
        batch.add_column(sa.Column("exit_event", sa.Text(), nullable=True))
        batch.add_column(sa.Column("exit_data", sa.Text(), nullable=True))
    with op.batch_alter_table("callback_requests") as batch:
        batch.add_column(sa.Column("calling_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callback_requests") as batch:
        batch.drop_column("calling_at")
    with op.batch_alter_table("queue_calls") as batch:
        batch.drop_column("exit_data")
        batch.drop_column("exit_event")
