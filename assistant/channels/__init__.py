"""Channel adapters: the doors where conversations live (a helpdesk, the mailbox).

Every adapter does the same three things behind one small interface (:class:`Adapter`):

1. **receive**: turn the channel's event into an :class:`Inbound` message, which
   :func:`receive` records once (``inbound``, keyed by the channel's own id), maps to a customer
   and a conversation (``external_refs``) and adds to the conversation's history;
2. **post a note**: :func:`draft_inbound` drafts the message through the one drafting core and
   hands the draft to :meth:`Adapter.post_note` (a helpdesk's private note; the mailbox has none);
3. **send a reply**: after a person approves, :mod:`assistant.channels.delivery` sends the
   outbox entry exactly once through :meth:`Adapter.send_reply`.

Adapters know their channel's wire format and nothing else; the store, the pipeline and the review
path are the core's. Chatwoot is :mod:`assistant.channels.chatwoot`; a Zendesk or Freshdesk
adapter is one more module of the same shape (README: "Another helpdesk").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from assistant import store as tables
from assistant.events import Event

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.pipeline import Deps
    from assistant.store import Store

INBOUND_STATUSES = (
    "received", "drafting", "drafted", "noting", "noted", "superseded", "skipped", "failed",
)  # fmt: skip
"""``received`` (recorded, no draft yet), ``drafting`` (a process is drafting it), ``drafted``
(draft made, note not yet posted), ``noting`` (a process is posting the note),
``noted`` (note posted, or none needed), ``superseded`` (a newer message came first),
``skipped`` (never drafted: outgoing, private, automated), ``failed`` (gave up)."""
MAX_ATTEMPTS = 5
"""Tries at drafting or posting the note before an inbound message is ``failed``."""


class SendError(Exception):
    """A channel refused or could not take a message. ``retry``: worth trying again by itself
    (a timeout, a 429 or 5xx); otherwise a person must look (a 4xx: bad token, gone thread).
    ``maybe_sent``: the request may have reached the channel (no answer came), so the next try
    looks the message up before sending again."""

    def __init__(self, message: str, *, retry: bool, maybe_sent: bool = False) -> None:
        self.retry = retry
        self.maybe_sent = maybe_sent
        super().__init__(message)


class CannotTell(Exception):
    """The channel cannot say whether a message sent before a crash arrived."""


class Adapter(Protocol):
    """One channel. ``destination`` is the conversation's ``reply_to`` (its ``source`` is the
    adapter's ``source``)."""

    source: str

    def post_note(self, destination: dict[str, Any], text: str) -> str | None:
        """Show a draft to the agents in the channel (a private note); its id, or None when the
        channel has no notes. Raises :class:`SendError`."""
        ...

    def send_reply(self, destination: dict[str, Any], text: str) -> str:
        """Send an approved reply to the customer; the channel's id for it. Raises
        :class:`SendError`."""
        ...

    def find_sent(self, destination: dict[str, Any], text: str, since: datetime) -> str | None:
        """After a send was cut off: the id of this reply if it reached the channel after
        ``since``, None if it did not. Raises :class:`CannotTell`."""
        ...


@dataclass
class Contact:
    """Who wrote, as the channel knows them."""

    external_id: str | None = None
    name: str = ""
    email: str | None = None
    phone: str | None = None


@dataclass
class Inbound:
    """One message a channel delivered."""

    source: str
    key: str
    """The channel's own id of this message (a replay carries the same key)."""
    contact: Contact
    thread: str
    """The channel's id of the conversation."""
    reply_to: dict[str, Any]
    """Where a reply to this conversation goes (stored on the conversation)."""
    text: str
    channel: str = "chat"
    subject: str | None = None
    at: datetime | None = None
    language: str | None = None
    extra_refs: list[str] = field(default_factory=list)
    """Further thread ids that name this conversation (a mail's Message-ID)."""


@dataclass
class Received:
    """What :func:`receive` made of a message."""

    inbound_id: int
    customer_id: str
    conversation_id: str
    stale: list[int] = field(default_factory=list)
    """Drafts of the conversation the new message made stale."""


def receive(store: Store, msg: Inbound) -> Received | None:
    """Record one delivered message: None when it was seen before (the same ``source`` and
    ``key``), else its customer, conversation and the drafts it made stale. One transaction."""
    from assistant import history, review
    from assistant.text import detect_language

    now = store.now()
    try:
        with store.transaction() as conn:
            inbound_id = tables.inserted_id(
                conn.execute(
                    insert(tables.inbound).values(
                        source=msg.source, key=msg.key[:400], status="received",
                        attempts=0, received_at=now, updated_at=now,
                    )
                )
            )  # fmt: skip
            language = msg.language or detect_language(msg.text)
            customer_id = _customer_for(store, conn, msg, language)
            conv_id = _conversation_for(conn, msg)
            conv_id, message_id = history.add_message(
                store, conn, customer_id, conv_id, "customer", msg.text, msg.channel,
                at=msg.at or now, reply_to=msg.reply_to, subject=msg.subject,
            )  # fmt: skip
            for ref in [msg.thread, *msg.extra_refs]:
                remember(store, conn, msg.source, "conversation", ref, conv_id)
            conn.execute(
                update(tables.inbound)
                .where(tables.inbound.c.id == inbound_id)
                .values(customer_id=customer_id, conversation_id=conv_id, message_id=message_id)
            )
    except IntegrityError:
        if seen(store, msg.source, msg.key):
            return None
        raise
    stale = review.mark_stale_for_conversation(store, conv_id, since=now, actor=msg.source)
    return Received(inbound_id, customer_id, conv_id, stale)


def skip(store: Store, source: str, key: str, reason: str) -> bool:
    """Record a delivered message that gets no draft (outgoing, private, automated), once;
    False when it was seen before."""
    now = store.now()
    try:
        with store.transaction() as conn:
            conn.execute(
                insert(tables.inbound).values(
                    source=source, key=key[:400], status="skipped", reason=reason,
                    attempts=0, received_at=now, updated_at=now,
                )
            )  # fmt: skip
            store.record_event(
                Event.INBOUND_SKIPPED, actor=source,
                payload={"source": source, "reason": reason}, conn=conn,
            )  # fmt: skip
    except IntegrityError:
        return False
    return True


def seen(store: Store, source: str, key: str) -> bool:
    """True when this channel message was recorded before."""
    i = tables.inbound
    with store.engine.connect() as conn:
        found = conn.execute(
            select(i.c.id).where(i.c.source == source, i.c.key == key[:400])
        ).first()
    return found is not None


def lookup(conn: Connection, source: str, kind: str, external_id: str) -> str | None:
    """The local id a channel's id maps to, or None."""
    r = tables.external_refs
    return conn.execute(
        select(r.c.local_id).where(
            r.c.source == source, r.c.kind == kind, r.c.external_id == external_id[:400]
        )
    ).scalar()


def remember(
    store: Store, conn: Connection, source: str, kind: str, external_id: str, local_id: str
) -> None:
    """Map a channel's id to a local id (kept when already mapped)."""
    if lookup(conn, source, kind, external_id) is None:
        conn.execute(
            insert(tables.external_refs).values(
                source=source, kind=kind, external_id=external_id[:400], local_id=local_id,
                created_at=store.now(),
            )
        )  # fmt: skip


def _customer_for(store: Store, conn: Connection, msg: Inbound, language: str) -> str:
    """The customer who wrote: mapped by the channel's contact id, else by e-mail, else new."""
    c, who = tables.customers, msg.contact
    if who.external_id:
        known = lookup(conn, msg.source, "contact", who.external_id)
        if known and conn.execute(select(c.c.id).where(c.c.id == known)).first():
            return known
    found = None
    if who.email:
        address = who.email.strip().lower()
        found = conn.execute(
            select(c.c.id).where(func.lower(c.c.email) == address).order_by(c.c.id).limit(1)
        ).scalar()
    if found is None:
        found = _new_customer_id(msg)
        conn.execute(
            insert(c).values(
                id=found, name=who.name.strip() or (who.email or found), email=who.email,
                phone=who.phone, language=language, plan="", tags=[msg.source],
                created_at=store.now(),
            )
        )  # fmt: skip
    if who.external_id:
        remember(store, conn, msg.source, "contact", who.external_id, found)
    return str(found)


def _new_customer_id(msg: Inbound) -> str:
    base = msg.contact.external_id or uuid.uuid4().hex[:12]
    return f"{msg.source[:8]}_{base}"[:100]


def _conversation_for(conn: Connection, msg: Inbound) -> str:
    """The local conversation this message belongs to (its thread, or an earlier message it
    refers to), or a new id."""
    for ref in [msg.thread, *msg.extra_refs]:
        found = lookup(conn, msg.source, "conversation", ref)
        if found is not None:
            return found
    return f"{msg.source[:8]}_{uuid.uuid4().hex[:12]}"


# -- drafting what came in ----------------------------------------------------------------------


def note_text(record: dict[str, Any], *, ui_lang: str = "ko") -> str:
    """The private note a helpdesk shows its agents for a stored draft: the draft, its sources
    and findings, and what approving does. Plain text (the helpdesk renders it)."""
    from assistant.models import Finding, SearchHit

    ko, draft_id = ui_lang == "ko", record["id"]
    sources = [SearchHit.model_validate(s) for s in record.get("sources") or []]
    findings = [Finding.model_validate(f) for f in record.get("findings") or []]
    lines = [
        f"[reply-assistant] 답변 초안 #{draft_id}: 검토 후 승인하면 고객에게 보냅니다"
        if ko
        else f"[reply-assistant] Draft #{draft_id}: approve it to send it to the customer",
        "",
        (record.get("output") or "").strip(),
        "",
    ]
    if sources:
        lines.append("출처:" if ko else "Sources:")
        lines += [f"- {s.title} {s.url}".rstrip() for s in sources]
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity != "error"]
    if errors or warnings:
        lines.append("검토 결과:" if ko else "Playbook findings:")
        lines += [f"- {f.rule} ({f.severity}): {f.message}" for f in [*errors, *warnings]]
    else:
        lines.append("검토 결과: 문제 없음" if ko else "Playbook findings: none")
    return "\n".join(lines).strip()


def pending_inbound(store: Store, *, limit: int = 20) -> list[dict[str, Any]]:
    """Messages waiting for their draft or their note, oldest first; one that failed waits
    5 s, 10 s, 20 s, ... before its next try."""
    i, now = tables.inbound, store.now()
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(i)
            .where(
                i.c.status.in_(("received", "drafted", "drafting", "noting")),
                i.c.attempts < MAX_ATTEMPTS,
            )
            .order_by(i.c.id)
            .limit(limit)
        ).mappings()
        found = [dict(r) for r in rows]
    return [
        r
        for r in found
        if _stage(store, r) is not None
        and (
            not r["attempts"]
            or (now - r["updated_at"]).total_seconds() >= 5 * 2 ** (r["attempts"] - 1)
        )
    ]


WORKING = {"received": "drafting", "drafted": "noting"}
"""The status a message has while one process drafts it or posts its note (its claim)."""
WORK_LEASE_S = 300
"""Seconds after which a claim whose process died is taken over by another."""


def draft_inbound(deps: Deps, inbound_id: int, adapter: Adapter | None) -> str:
    """Take one recorded message a step further: draft it (``drafted``), then post the draft as
    a note (``noted``). Each step is claimed first (``drafting``/``noting``, a compare-and-set),
    so of several ``serve`` processes only one drafts a message. A message a newer one overtook
    is ``superseded``; a failure is counted and retried by a later call until
    :data:`MAX_ATTEMPTS`. Returns the new status."""
    store = deps.store
    row = _inbound_row(store, inbound_id)
    stage = _stage(store, row)
    if stage is None:
        return str(row["status"])
    if _overtaken(store, row):
        return _set_inbound(store, inbound_id, "superseded", reason="a newer message came in")
    if not _claim_inbound(store, row, WORKING[stage]):
        return str(_inbound_row(store, inbound_id)["status"])
    try:
        if stage == "received":
            _draft_step(deps, row)
            _set_inbound(store, inbound_id, "noting")
            row = _inbound_row(store, inbound_id)
        return _post_note(deps, row, adapter)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        back = "drafted" if _inbound_row(store, inbound_id)["draft_id"] else "received"
        failed = row["attempts"] + 1 >= MAX_ATTEMPTS
        i = tables.inbound
        with store.transaction() as conn:
            conn.execute(
                update(i)
                .where(i.c.id == inbound_id)
                .values(
                    status="failed" if failed else back, attempts=i.c.attempts + 1,
                    reason=str(exc)[:500], updated_at=store.now(),
                )
            )  # fmt: skip
        return "failed" if failed else back


def _stage(store: Store, row: dict[str, Any]) -> str | None:
    """The step a message is waiting for (received: its draft; drafted: its note), counting a
    claim whose process died as not taken; None when nothing is left to do or it is taken."""
    status = str(row["status"])
    if status in WORKING:
        return status
    for waiting, working in WORKING.items():
        if status == working:
            age = (store.now() - row["updated_at"]).total_seconds()
            return waiting if age >= WORK_LEASE_S else None
    return None


def _claim_inbound(store: Store, row: dict[str, Any], working: str) -> bool:
    i = tables.inbound
    with store.transaction() as conn:
        done = conn.execute(
            update(i)
            .where(i.c.id == row["id"], i.c.status == row["status"])
            .where(i.c.updated_at == row["updated_at"])
            .values(status=working, updated_at=store.now())
        )
    return done.rowcount == 1


def _draft_step(deps: Deps, row: dict[str, Any]) -> None:
    from assistant.pipeline import DraftRequest, draft_reply

    req = DraftRequest(
        message=_message_text(deps.store, row["message_id"]),
        channel=_channel_of(deps.store, row),
        customer_id=row["customer_id"],
        conversation_id=row["conversation_id"],
        author=row["source"],
        via=row["source"],
    )
    draft = draft_reply(deps, req)
    _set_inbound(deps.store, row["id"], "drafted", draft_id=draft.id)


def _post_note(deps: Deps, row: dict[str, Any], adapter: Adapter | None) -> str:
    store = deps.store
    record = store.get_draft(row["draft_id"]) if row["draft_id"] else None
    destination = _reply_to(store, row["conversation_id"])
    if adapter is None or record is None or not destination:
        return _set_inbound(store, row["id"], "noted")
    text = note_text(record, ui_lang=deps.settings.ui_language)
    note_id = adapter.post_note(destination, text)
    if note_id is not None:  # a mailbox has no notes: the draft waits in the workspace
        store.record_event(
            Event.NOTE_POSTED, draft_id=record["id"], actor=row["source"],
            payload={"to": adapter.source, "external_id": note_id},
        )  # fmt: skip
    return _set_inbound(store, row["id"], "noted")


def _inbound_row(store: Store, inbound_id: int) -> dict[str, Any]:
    i = tables.inbound
    with store.engine.connect() as conn:
        row = conn.execute(select(i).where(i.c.id == inbound_id)).mappings().first()
    if row is None:
        raise KeyError(f"no inbound message {inbound_id}")
    return dict(row)


def _set_inbound(store: Store, inbound_id: int, status: str, **values: Any) -> str:
    i = tables.inbound
    with store.transaction() as conn:
        conn.execute(
            update(i).where(i.c.id == inbound_id).values(
                status=status, updated_at=store.now(), **values
            )
        )  # fmt: skip
    return status


def _overtaken(store: Store, row: dict[str, Any]) -> bool:
    """True when a later message of the same conversation was received."""
    i = tables.inbound
    with store.engine.connect() as conn:
        later = conn.execute(
            select(i.c.id).where(
                i.c.conversation_id == row["conversation_id"],
                i.c.id > row["id"],
                i.c.status != "skipped",
            )
        ).first()
    return later is not None


def _message_text(store: Store, message_id: int | None) -> str:
    m = tables.messages
    with store.engine.connect() as conn:
        text = conn.execute(select(m.c.text).where(m.c.id == message_id)).scalar()
    if text is None:
        raise KeyError("the message was erased")
    return str(text)


def _channel_of(store: Store, row: dict[str, Any]) -> str:
    cv = tables.conversations
    with store.engine.connect() as conn:
        channel = conn.execute(
            select(cv.c.channel).where(cv.c.id == row["conversation_id"])
        ).scalar()
    return str(channel or "chat")


def _reply_to(store: Store, conversation_id: str | None) -> dict[str, Any] | None:
    cv = tables.conversations
    with store.engine.connect() as conn:
        value = conn.execute(select(cv.c.reply_to).where(cv.c.id == conversation_id)).scalar()
    return dict(value) if value else None


def configured(settings: Settings) -> dict[str, Adapter]:
    """The adapters these settings configure, by ``source``."""
    found: dict[str, Adapter] = {}
    if settings.chatwoot_url and settings.chatwoot_token:
        from assistant.channels.chatwoot import ChatwootAdapter

        adapter = ChatwootAdapter(settings.chatwoot_url, settings.chatwoot_token.get_secret_value())
        found[adapter.source] = adapter
    if settings.smtp_url:
        from assistant.channels.mail import MailAdapter

        mail = MailAdapter(settings)
        found[mail.source] = mail
    return found
