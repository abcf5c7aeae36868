"""Outbound (issue 9): campaigns, their contacts, dial attempts (written before
their Originate), the append-only dial audit, do-not-call numbers, CSV imports and the
callback requests that keep a caller's place (BY-1).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept literal on purpose: a migration must not change when the models do.
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("caller_name", sa.Text(), server_default="", nullable=False),
        sa.Column("original_uniqueid", sa.Text(), nullable=False),
        sa.Column("joined_at", _TS, nullable=False),
        sa.Column("requested_at", _TS, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("placeholder_uniqueid", sa.Text(), nullable=True),
        sa.Column("agent", sa.Text(), nullable=True),
        sa.Column("answered_at", _TS, nullable=True),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
        sa.UniqueConstraint(
            "original_uniqueid", name=op.f("uq_callback_requests_original_uniqueid")
        ),
    )
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callback_requests_queue_status"), ["queue", "status"], unique=False
        )

    op.create_table(
        "campaigns",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("paused_by", sa.Text(), server_default="", nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    op.create_table(
        "dial_audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("attempt_id", sa.Text(), nullable=True),
        sa.Column("callback_id", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dial_audit")),
    )
    with op.batch_alter_table("dial_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dial_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dial_audit_attempt_id"), ["attempt_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_dial_audit_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "dnc_numbers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dnc_numbers")),
        sa.UniqueConstraint("number", "scope", name=op.f("uq_dnc_numbers_number_scope")),
    )
    op.create_table(
        "campaign_contacts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=True),
        sa.Column("original_wait", sa.Float(), nullable=True),
        sa.Column("left_queue_at", _TS, nullable=True),
        sa.Column("missed_key", sa.Text(), nullable=True),
        sa.Column("import_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_at", _TS, nullable=True),
        sa.Column("last_outcome", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_contacts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_contacts")),
        sa.UniqueConstraint(
            "campaign_id", "missed_key", name=op.f("uq_campaign_contacts_campaign_id_missed_key")
        ),
    )
    with op.batch_alter_table("campaign_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_contacts_campaign_id_status_next_at"),
            ["campaign_id", "status", "next_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_campaign_contacts_open_number",
            ["campaign_id", "number"],
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'dialing')"),
            postgresql_where=sa.text("status IN ('pending', 'dialing')"),
        )

    op.create_table(
        "contact_imports",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("total_rows", sa.Integer(), server_default="0", nullable=False),
        sa.Column("done_rows", sa.Integer(), server_default="0", nullable=False),
        sa.Column("imported", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("report", sa.Text(), server_default="[]", nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_contact_imports_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_imports")),
    )
    op.create_table(
        "dial_attempts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("agent", sa.Text(), nullable=True),
        sa.Column("device", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("originated_at", _TS, nullable=True),
        sa.Column("answered_at", _TS, nullable=True),
        sa.Column("connected_at", _TS, nullable=True),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("dialstatus", sa.Text(), nullable=True),
        sa.Column("settled_by", sa.Text(), nullable=True),
        sa.Column("talk_seconds", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_dial_attempts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["campaign_contacts.id"],
            name=op.f("fk_dial_attempts_contact_id_campaign_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dial_attempts")),
    )
    with op.batch_alter_table("dial_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dial_attempts_campaign_id_created_at"),
            ["campaign_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_dial_attempts_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dial_attempts_outcome"), ["outcome"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dial_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dial_attempts_outcome"))
        batch_op.drop_index(batch_op.f("ix_dial_attempts_contact_id"))
        batch_op.drop_index(batch_op.f("ix_dial_attempts_campaign_id_created_at"))

    op.drop_table("dial_attempts")
    op.drop_table("contact_imports")
    with op.batch_alter_table("campaign_contacts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_campaign_contacts_open_number",
            sqlite_where=sa.text("status IN ('pending', 'dialing')"),
            postgresql_where=sa.text("status IN ('pending', 'dialing')"),
        )
        batch_op.drop_index(batch_op.f("ix_campaign_contacts_campaign_id_status_next_at"))

    op.drop_table("campaign_contacts")
    op.drop_table("dnc_numbers")
    with op.batch_alter_table("dial_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dial_audit_campaign_id"))
        batch_op.drop_index(batch_op.f("ix_dial_audit_attempt_id"))
        batch_op.drop_index(batch_op.f("ix_dial_audit_at"))

    op.drop_table("dial_audit")
    op.drop_table("campaigns")
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_requests_queue_status"))

    op.drop_table("callback_requests")
