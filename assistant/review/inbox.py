"""The agent's inbox: open conversations, most urgent and newest first, with triage badges.

Each open or pending conversation is one item: who wrote, on which channel, the last message
the customer sent (triaged: language, situations, sentiment, urgency), whether the customer is
waiting for our answer, whether the team owes them an overdue promise, and the latest draft.
Messages pasted without a customer become drafts only; their open drafts are items too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from assistant import store as tables
from assistant.models import UNDECIDED_STATUSES, Triage
from assistant.store import Store

URGENCY_RANK = {"high": 0, "normal": 1, "low": 2}
OPEN_CONVERSATION = ("open", "pending")


class InboxItem(BaseModel):
    """One conversation (or anonymous message) waiting for the agent."""

    key: str
    customer_id: str | None = None
    customer_name: str = ""
    conversation_id: str | None = None
    channel: str = "email"
    subject: str = ""
    status: str = "open"
    message: str = ""
    last_at: datetime | None = None
    awaiting_reply: bool = False
    triage: Triage | None = None
    overdue_promises: int = 0
    open_promises: int = 0
    draft_id: int | None = None
    draft_status: str | None = None
    flags: list[str] = Field(default_factory=list)


def _when(value: datetime | None) -> datetime:
    return value or datetime.min.replace(tzinfo=UTC)


def _conversation_items(store: Store, today: date) -> list[InboxItem]:
    c, m, cu, p = tables.conversations, tables.messages, tables.customers, tables.promises
    with store.engine.connect() as conn:
        convs = conn.execute(
            select(c, cu.c.name)
            .join(cu, cu.c.id == c.c.customer_id)
            .where(c.c.status.in_(OPEN_CONVERSATION))
        ).all()
        ids = [r.id for r in convs]
        msgs = conn.execute(
            select(m).where(m.c.conversation_id.in_(ids)).order_by(m.c.at, m.c.id)
        ).all()
        promises = conn.execute(select(p).where(p.c.status == "open")).all()
    last: dict[str, Any] = {}
    last_customer: dict[str, Any] = {}
    for msg in msgs:
        last[msg.conversation_id] = msg
        if msg.role == "customer":
            last_customer[msg.conversation_id] = msg
    items = []
    for conv in convs:
        mine = [x for x in promises if x.customer_id == conv.customer_id]
        latest, asked = last.get(conv.id), last_customer.get(conv.id)
        items.append(
            InboxItem(
                key=f"conv:{conv.id}",
                customer_id=conv.customer_id,
                customer_name=conv.name,
                conversation_id=conv.id,
                channel=conv.channel,
                subject=conv.subject,
                status=conv.status,
                message=asked.text if asked else "",
                last_at=latest.at if latest else conv.started_at,
                awaiting_reply=bool(latest and latest.role == "customer"),
                open_promises=len(mine),
                overdue_promises=sum(1 for x in mine if x.due is not None and x.due < today),
            )
        )
    return items


def _anonymous_items(store: Store) -> list[InboxItem]:
    d = tables.drafts
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(d)
            .where(d.c.customer_id.is_(None), d.c.status.in_(UNDECIDED_STATUSES))
            .order_by(d.c.id.desc())
            .limit(50)
        ).all()
    return [
        InboxItem(
            key=f"draft:{r.id}",
            channel=r.channel,
            subject=(r.message or "").strip().splitlines()[0][:80] if r.message else "",
            message=r.message or "",
            last_at=r.created_at,
            awaiting_reply=True,
            draft_id=r.id,
            draft_status=r.status,
        )
        for r in rows
    ]


def _latest_drafts(store: Store) -> dict[str, tuple[int, str]]:
    d = tables.drafts
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(d.c.id, d.c.conversation_id, d.c.status)
            .where(d.c.conversation_id.is_not(None))
            .order_by(d.c.id)
        ).all()
    return {r.conversation_id: (r.id, r.status) for r in rows}


def inbox(
    store: Store,
    *,
    now: datetime | None = None,
    triage_fn: Callable[[str], Triage] | None = None,
) -> list[InboxItem]:
    """Open conversations and anonymous drafts: customers waiting first, then the most urgent,
    then the newest. Flags: ``overdue`` (a promise to this customer is late), ``waiting``
    (the customer wrote last), ``stale`` (the latest draft answers an older message)."""
    if triage_fn is None:
        from assistant.triage import triage as default_triage

        triage_fn = default_triage
    today = (now or store.now()).date()
    items = _conversation_items(store, today) + _anonymous_items(store)
    drafts = _latest_drafts(store)
    for item in items:
        if item.message.strip():
            item.triage = triage_fn(item.message)
        if item.conversation_id in drafts:
            item.draft_id, item.draft_status = drafts[item.conversation_id]
        item.flags = [
            flag
            for flag, on in (
                ("waiting", item.awaiting_reply),
                ("overdue", item.overdue_promises > 0),
                ("stale", item.draft_status == "stale"),
            )
            if on
        ]
    items.sort(key=lambda i: -_when(i.last_at).timestamp())
    items.sort(
        key=lambda i: (
            not i.awaiting_reply,
            URGENCY_RANK.get(i.triage.urgency if i.triage else "normal", 1),
        )
    )
    return items
