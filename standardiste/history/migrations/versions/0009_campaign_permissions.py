"""The campaign screens' permissions (issue 9): who sees campaigns, who runs them (pause,
contacts, CSV imports, missed calls assigned), who configures them (CF-4), who keeps the
do-not-call lists; and when a CSV import last moved (an import whose web process died is
reported as interrupted, nothing imported, rather than running forever).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Who gets the new permissions by default (an admin holds them all anyway). Agents see their
# campaigns' cards through the live state (live.view) and dial through workspace.use.
_GRANTS = (
    ("supervisor", "campaigns.view"),
    ("supervisor", "campaigns.control"),
    ("supervisor", "dnc.manage"),
)


def upgrade() -> None:
    with op.batch_alter_table("contact_imports") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
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
    with op.batch_alter_table("contact_imports") as batch:
        batch.drop_column("updated_at")
