"""The reports' permission (issue 10): who reads the queue and agent reports. Supervisors by
default (of their own queues only: the report APIs narrow it); an admin holds it anyway.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GRANTS = (("supervisor", "reports.view"),)


def upgrade() -> None:
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
