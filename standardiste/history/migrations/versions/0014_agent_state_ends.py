"""Each agent state row holds its own end (issue 10, item 5): ``ended_at``, the ``at`` of the
agent's next transition (ordered by ``at``, then ``id``: what ``LEAD(at)`` gave), NULL for an
agent's latest. Kept by the history writer in the transaction that writes the next one, so a
report reads an interval from one row, without sorting the range by agent. Filled here for
the rows already written; a partial index for the wrap-ups (after-call work).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)

_FILL = """
UPDATE agent_states SET ended_at = n.next_at
FROM (SELECT id, lead(at) OVER (PARTITION BY agent ORDER BY at, id) AS next_at
      FROM agent_states) AS n
WHERE agent_states.id = n.id AND n.next_at IS NOT NULL
"""


def upgrade() -> None:
    op.add_column("agent_states", sa.Column("ended_at", _TS, nullable=True))
    op.execute(_FILL)
    op.create_index(
        "ix_agent_states_wrapup_at",
        "agent_states",
        ["at"],
        postgresql_where=sa.text("state = 'wrapup'"),
        sqlite_where=sa.text("state = 'wrapup'"),
    )


def downgrade() -> None:
    op.drop_index("ix_agent_states_wrapup_at", table_name="agent_states")
    with op.batch_alter_table("agent_states") as batch:
        batch.drop_column("ended_at")
