"""translations: incoming messages shown in the agent's language, and replies translated for
the customer with both versions kept

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id")),
        sa.Column("customer_id", sa.String(100)),
        sa.Column("source_hash", sa.String(64), nullable=False),
        sa.Column("source_lang", sa.String(8), nullable=False),
        sa.Column("target_lang", sa.String(8), nullable=False),
        sa.Column("register", sa.String(8)),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("prompt_version", sa.String(100), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_translations_draft_id", "translations", ["draft_id"])
    op.create_index("ix_translations_customer_id", "translations", ["customer_id"])
    op.create_index("ix_translations_source_hash", "translations", ["source_hash"])


def downgrade() -> None:
    op.drop_table("translations")
