"""initial: the records schema of release 0.1

Customers and their history (conversations, messages, notes, promises), drafts, decisions, the
outbox and the audit events, exactly as release 0.1 created them with its own migrations
m001..m004; such a database is stamped at this revision instead of running it.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

CUSTOMER_HISTORY = ("conversations", "notes", "promises")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _customer_fk() -> sa.Column[str]:
    return sa.Column(
        "customer_id",
        sa.String(100),
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    _customer_records()
    _drafts()
    _decisions_and_outbox()
    _events()


def _customer_records() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text()),
        sa.Column("phone", sa.Text()),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("plan", sa.String(40), nullable=False),
        sa.Column("since", sa.Date()),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(100), primary_key=True),
        _customer_fk(),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.String(100),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
    )
    op.create_index("ix_messages_conversation_id", "messages", ["conversation_id"])
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _customer_fk(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_table(
        "promises",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _customer_fk(),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("due", sa.Date()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    for table in CUSTOMER_HISTORY:
        op.create_index(f"ix_{table}_customer_id", table, ["customer_id"])


def _drafts() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("customer_id", sa.String(100)),
        sa.Column("conversation_id", sa.String(100)),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("situations", sa.JSON()),
        sa.Column("sentiment", sa.Float()),
        sa.Column("urgency", sa.String(20)),
        sa.Column("model", sa.String(200)),
        sa.Column("prompt_version", sa.String(100)),
        sa.Column("sources", sa.JSON()),
        sa.Column("rendered_messages", sa.JSON()),
        sa.Column("output", sa.Text()),
        sa.Column("findings", sa.JSON()),
        sa.Column("error", sa.Text()),
        sa.Column("latency_ms", sa.Float()),
        sa.Column("prompt_tokens", sa.Integer()),
        sa.Column("completion_tokens", sa.Integer()),
        sa.Column("cost_usd", sa.Float()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("trace", sa.JSON()),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_drafts_customer_id", "drafts", ["customer_id"])
    op.create_index("ix_drafts_status", "drafts", ["status"])


def _decisions_and_outbox() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("final_text", sa.Text()),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("override_reason", sa.Text()),
        sa.Column("edit_distance", sa.Integer()),
        sa.Column("seconds_to_decide", sa.Float()),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_decisions_draft_id", "decisions", ["draft_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id"), nullable=False),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decisions.id"), nullable=False),
        sa.Column("customer_id", sa.String(100)),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("sent_at", _utc()),
        sa.Column("error", sa.Text()),
    )
    op.create_index("ix_outbox_draft_id", "outbox", ["draft_id"])


def _events() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("draft_id", sa.Integer()),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON()),
    )
    op.create_index("ix_events_kind", "events", ["kind"])
    op.create_index("ix_events_draft_id", "events", ["draft_id"])


def downgrade() -> None:
    for table in ("events", "outbox", "decisions", "drafts", "messages", *CUSTOMER_HISTORY):
        op.drop_table(table)
    op.drop_table("customers")
