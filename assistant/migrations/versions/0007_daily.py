"""daily tools: team macros and their uses, and the CSAT/CES surveys sent with approved replies

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "macros",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("checked_at", _utc(), nullable=False),
    )
    op.create_table(
        "macro_uses",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "macro_id",
            sa.Integer(),
            sa.ForeignKey("macros.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id")),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("text_after", sa.Text(), nullable=False),
        sa.Column("used_at", _utc(), nullable=False),
    )
    op.create_index("ix_macro_uses_macro_id", "macro_uses", ["macro_id"])
    op.create_index("ix_macro_uses_draft_id", "macro_uses", ["draft_id"])
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("prompt_version", sa.String(100)),
        sa.Column("model", sa.String(200)),
        sa.Column("overridden", sa.JSON(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.Column("answered_at", _utc()),
        sa.Column("score", sa.Integer()),
    )
    op.create_index("ix_surveys_draft_id", "surveys", ["draft_id"])


def downgrade() -> None:
    op.drop_table("surveys")
    op.drop_table("macro_uses")
    op.drop_table("macros")
