"""The admin's configuration: queues, skills, pause reasons, role permissions, canned texts,
chat tags, its audit log and flags (standardiste/pbx/tables.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept literal on purpose: a migration must not change when the models do.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)

# The pause reasons the product shipped with before they were configurable (their codes are
# in the history already) and the permissions each role had.
_REASONS = (
    ("break", "Break", "Pause"),
    ("lunch", "Lunch", "Déjeuner"),
    ("training", "Training", "Formation"),
    ("meeting", "Meeting", "Réunion"),
    ("admin", "Admin work", "Tâches administratives"),
    ("after-call", "After-call work", "Post-appel"),
)
_SUPERVISOR = (
    "live.view",
    "workspace.use",
    "overview.view",
    "agents.control",
    "recordings.play",
    "admin.summary",
    "admin.queues.view",
    "admin.users.view",
)
_AGENT = ("live.view", "workspace.use")


def upgrade() -> None:
    op.create_table(
        "queue_configs",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("extension", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_queue_configs"),
        sa.UniqueConstraint("name", name="uq_queue_configs_name"),
        sa.UniqueConstraint("extension", name="uq_queue_configs_extension"),
    )
    op.create_table(
        "skills",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_skills"),
        sa.UniqueConstraint("name", name="uq_skills_name"),
    )
    op.create_table(
        "user_skills",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("skill", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_skills"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_user_skills_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["skill"], ["skills.name"], name="fk_user_skills_skill_skills", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "skill", name="uq_user_skills_user_id_skill"),
    )
    op.create_index("ix_user_skills_skill", "user_skills", ["skill"])
    reasons = op.create_table(
        "pause_reasons",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("label_en", sa.Text(), nullable=False),
        sa.Column("label_fr", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pause_reasons"),
        sa.UniqueConstraint("code", name="uq_pause_reasons_code"),
    )
    permissions = op.create_table(
        "role_permissions",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("permission", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_role_permissions"),
        sa.UniqueConstraint("role", "permission", name="uq_role_permissions_role_permission"),
    )
    op.create_table(
        "canned_texts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_canned_texts"),
        sa.UniqueConstraint("title", name="uq_canned_texts_title"),
    )
    op.create_table(
        "chat_tags",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chat_tags"),
        sa.UniqueConstraint("name", name="uq_chat_tags_name"),
    )
    op.create_table(
        "config_audit",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_config_audit"),
    )
    op.create_index("ix_config_audit_at", "config_audit", ["at"])
    op.create_table(
        "config_meta",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_config_meta"),
    )
    op.bulk_insert(
        reasons,
        [
            {"code": c, "label_en": en, "label_fr": fr, "active": True, "position": i}
            for i, (c, en, fr) in enumerate(_REASONS)
        ],
    )
    op.bulk_insert(
        permissions,
        [{"role": "supervisor", "permission": p} for p in _SUPERVISOR]
        + [{"role": "agent", "permission": p} for p in _AGENT],
    )


def downgrade() -> None:
    for table in (
        "config_meta",
        "config_audit",
        "chat_tags",
        "canned_texts",
        "role_permissions",
        "pause_reasons",
        "user_skills",
        "skills",
        "queue_configs",
    ):
        op.drop_table(table)
