"""queue_log recovery: the read checkpoint per file, and member names to interfaces.

Revision ID: 0003_queue_log
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_queue_log"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "queue_log_checkpoints",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("head", sa.Text(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_queue_log_checkpoints"),
    )
    op.create_table(
        "queue_member_names",
        sa.Column("member_name", sa.Text(), nullable=False),
        sa.Column("interface", sa.Text(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("member_name", name="pk_queue_member_names"),
    )


def downgrade() -> None:
    op.drop_table("queue_member_names")
    op.drop_table("queue_log_checkpoints")
