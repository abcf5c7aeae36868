"""Agent state history (issue 10, AN-2): one row per transition of an agent's state.

Revision ID: 0011
Revises: 0010 (developed on 0009; 0010 is the queue_log export's, set at merge)
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept literal on purpose: a migration must not change when the models do.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)
_STATES = "'ready', 'ringing', 'talking', 'hold', 'wrapup', 'paused', 'unavailable', 'logged_out'"


def upgrade() -> None:
    op.create_table(
        "agent_states",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agent_states"),
        sa.UniqueConstraint("key", name="uq_agent_states_key"),
        sa.CheckConstraint(f"state IN ({_STATES})", name="ck_agent_states_state"),
    )
    op.create_index("ix_agent_states_agent_at", "agent_states", ["agent", "at"])
    op.create_index("ix_agent_states_at", "agent_states", ["at"])


def downgrade() -> None:
    op.drop_index("ix_agent_states_at", table_name="agent_states")
    op.drop_index("ix_agent_states_agent_at", table_name="agent_states")
    op.drop_table("agent_states")
