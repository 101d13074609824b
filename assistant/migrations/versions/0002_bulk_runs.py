"""bulk runs: runs and their posts in the records store

A bulk run (named by its output path) and one row per finished post; a drafted post points at
its reply in ``drafts``, which the one review path decides.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bulk_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text(), nullable=False, unique=True),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("model", sa.String(200)),
        sa.Column("issues", sa.JSON()),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
    )
    op.create_table(
        "bulk_posts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("bulk_runs.id"), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("line", sa.Integer()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id")),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("edited_text", sa.Text()),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.UniqueConstraint("run_id", "key", name="uq_bulk_posts_run_key"),
    )


def downgrade() -> None:
    op.drop_table("bulk_posts")
    op.drop_table("bulk_runs")
