"""channels: where replies go (conversations.reply_to, outbox send state), channel ids, inbound

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("conversations", sa.Column("reply_to", sa.JSON()))
    op.add_column("outbox", sa.Column("destination", sa.JSON()))
    op.add_column("outbox", sa.Column("external_id", sa.String(200)))
    op.add_column("outbox", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("outbox", sa.Column("claimed_at", _utc()))
    op.add_column("outbox", sa.Column("next_attempt_at", _utc()))
    op.create_table(
        "external_refs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("external_id", sa.String(400), nullable=False),
        sa.Column("local_id", sa.String(100), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.UniqueConstraint("source", "kind", "external_id", name="uq_external_refs"),
    )
    op.create_index("ix_external_refs_local_id", "external_refs", ["local_id"])
    op.create_table(
        "inbound",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("customer_id", sa.String(100)),
        sa.Column("conversation_id", sa.String(100)),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="SET NULL")),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id")),
        sa.Column("reason", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.UniqueConstraint("source", "key", name="uq_inbound_source_key"),
    )
    op.create_index("ix_inbound_customer_id", "inbound", ["customer_id"])
    op.create_index("ix_inbound_status", "inbound", ["status"])


def downgrade() -> None:
    op.drop_table("inbound")
    op.drop_table("external_refs")
    with op.batch_alter_table("outbox") as batch:
        for name in ("next_attempt_at", "claimed_at", "attempts", "external_id", "destination"):
            batch.drop_column(name)
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("reply_to")
