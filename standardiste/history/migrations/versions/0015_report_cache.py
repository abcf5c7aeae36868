"""Report units kept exact (issue 10, item 5): a report's figures for one closed local day of
one queue or agent, stored once computed (``report_units``), dropped by the writer in the
transaction that changes any row they were computed from; ``report_marks`` remembers which
spans each write touched (with the write's sequence number, ``report_seq``), so a unit
computed while a write landed is not stored stale.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "report_seq",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_report_seq"),
    )
    op.execute("INSERT INTO report_seq (id, seq) VALUES (1, 0)")
    op.create_table(
        "report_marks",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("lo", sa.Float(), nullable=False),
        sa.Column("hi", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_report_marks"),
    )
    op.create_index("ix_report_marks_seq", "report_marks", ["seq"])
    op.create_table(
        "report_units",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("day", sa.Text(), nullable=False),
        sa.Column("dep_lo", sa.Float(), nullable=False),
        sa.Column("hi", sa.Float(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "params", "key", "day", name="pk_report_units"),
    )
    op.create_index("ix_report_units_scope_key_hi", "report_units", ["scope", "key", "hi"])


def downgrade() -> None:
    op.drop_index("ix_report_units_scope_key_hi", table_name="report_units")
    op.drop_table("report_units")
    op.drop_index("ix_report_marks_seq", table_name="report_marks")
    op.drop_table("report_marks")
    op.drop_table("report_seq")
