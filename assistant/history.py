"""Customer histories: import, read, note, promise, record messages, and the context for a reply.

A customer's record is what the agent should know before answering: who they are, what they
wrote before, what the team promised and whether it is late. ``context_for`` picks from it what
matters for one new message: the latest conversations, past conversations about the same thing
(BM25 over Korean morphemes and English words, with a small bilingual product vocabulary so a
Korean message also finds an English conversation), open and overdue promises, and the
customer's sentiment over time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, delete, insert, select, update

from assistant import store as tables
from assistant.errors import InputError
from assistant.events import Event
from assistant.models import (
    Conversation,
    Customer,
    CustomerContext,
    HistoryMessage,
    Note,
    Promise,
)
from assistant.store import Store

DEMO_CUSTOMERS = Path(__file__).parent / "data" / "demo_customers.jsonl"
PROMISE_STATUSES = ("open", "done", "cancelled")
ROLES = ("customer", "agent")
RECENT_LIMIT = 3
TREND_LIMIT = 30
RELATED_MIN_RATIO = 0.35
"""A related conversation must score at least this share of the best one's score."""

SentimentFn = Callable[[str], float]


def neutral_sentiment(text: str) -> float:
    """The default sentiment scorer: 0.0 for every text (pass ``triage.sentiment`` for real)."""
    return 0.0


@dataclass
class ImportReport:
    """What one JSONL import did: customers created or updated, and what the file held."""

    path: str
    customers: int = 0
    created: int = 0
    updated: int = 0
    conversations: int = 0
    messages: int = 0
    notes: int = 0
    promises: int = 0
    ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for ``--json`` output)."""
        return asdict(self)


# -- import ---------------------------------------------------------------------------------


def _friendly(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing":
        return "required"
    if kind.startswith("datetime"):
        return "invalid datetime"
    if kind.startswith("date"):
        return "invalid date"
    message = str(error.get("msg", "invalid value"))
    return message[:1].lower() + message[1:]


def _parse_line(raw: str, where: str) -> Customer:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg}, column {exc.colno})", where=where) from None
    except RecursionError:
        raise InputError("not valid JSON (nested too deeply)", where=where) from None
    if not isinstance(data, dict):
        raise InputError("each line must be one JSON object (a customer)", where=where)
    try:
        customer = Customer.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ())) or "customer"
        raise InputError(f"field {loc!r}: {_friendly(dict(err))}", where=where) from None
    if not customer.id.strip():
        raise InputError("field 'id': must not be empty", where=where)
    if not customer.name.strip():
        raise InputError("field 'name': must not be empty", where=where)
    for i, conv in enumerate(customer.conversations):
        if not conv.id.strip():
            raise InputError(f"field 'conversations.{i}.id': must not be empty", where=where)
    return customer


def read_jsonl(path: Path) -> list[tuple[int, Customer]]:
    """Validate a customer-history JSONL file: ``(line number, customer)`` for each line.

    Blank lines are skipped. The first bad line raises :class:`InputError` at ``path:line``
    naming the field; a customer or conversation id that appears twice is an error too.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read ({exc})", where=str(path)) from None
    out: list[tuple[int, Customer]] = []
    seen_customers: dict[str, int] = {}
    seen_conversations: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{lineno}"
        customer = _parse_line(raw, where)
        if customer.id in seen_customers:
            first = seen_customers[customer.id]
            raise InputError(f"customer {customer.id!r} already on line {first}", where=where)
        seen_customers[customer.id] = lineno
        for i, conv in enumerate(customer.conversations):
            if conv.id in seen_conversations:
                first = seen_conversations[conv.id]
                raise InputError(
                    f"field 'conversations.{i}.id': {conv.id!r} already on line {first}",
                    where=where,
                )
            seen_conversations[conv.id] = lineno
        out.append((lineno, customer))
    return out


def import_jsonl(store: Store, path: Path, *, actor: str = "import") -> ImportReport:
    """Import customer histories, one customer per line, all or nothing.

    Re-importing merges by id: the customer's fields are replaced, conversations are upserted
    by id with their messages replaced, notes and promises already present are kept once.
    Any bad line raises :class:`InputError` (``path:line``) and nothing from the file is stored.
    """
    parsed = read_jsonl(Path(path))
    report = ImportReport(path=str(path))
    with store.transaction() as conn:
        for lineno, customer in parsed:
            _upsert_customer(store, conn, customer, report, where=f"{path}:{lineno}")
        store.record_event(
            Event.CUSTOMERS_IMPORTED,
            actor=actor,
            payload={"path": str(path), "customers": report.customers, "ids": report.ids},
            conn=conn,
        )
    return report


PROFILE_FIELDS = ("id", "name", "email", "phone", "language", "plan", "since", "tags")
"""What a client may send about a customer with a request (``POST /v1/drafts`` ``customer``)."""


def save_profile(store: Store, profile: dict[str, Any], *, actor: str = "api") -> str:
    """Create or update one customer's profile (no history); their id. A bad field is an
    InputError naming ``customer.<field>``; notes, promises and conversations are kept."""
    from pydantic import ValidationError

    unknown = sorted(set(profile) - set(PROFILE_FIELDS))
    if unknown:
        raise InputError(
            f"not a profile field (use {', '.join(PROFILE_FIELDS)})", where=f"customer.{unknown[0]}"
        )
    t = tables.customers
    with store.transaction() as conn:
        row = conn.execute(select(t).where(t.c.id == profile.get("id"))).mappings().first()
        known = {k: row[k] for k in PROFILE_FIELDS} if row is not None else {}
        try:
            customer = Customer.model_validate({**known, **profile})
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err.get("loc", ()))
            raise InputError(str(err.get("msg", "invalid")), where=f"customer.{field}") from None
        values = customer.model_dump(include=set(PROFILE_FIELDS) - {"id"})
        if row is None:
            conn.execute(insert(t).values(id=customer.id, created_at=store.now(), **values))
        else:
            conn.execute(update(t).where(t.c.id == customer.id).values(**values))
        store.record_event(
            Event.CUSTOMERS_IMPORTED,
            actor=actor,
            payload={"path": "api", "customers": 1, "ids": [customer.id]},
            conn=conn,
        )
    return customer.id


def _upsert_customer(
    store: Store, conn: Connection, customer: Customer, report: ImportReport, where: str
) -> None:
    t = tables.customers
    now = store.now()
    values = dict(
        name=customer.name,
        email=customer.email,
        phone=customer.phone,
        language=customer.language,
        plan=customer.plan,
        since=customer.since,
        tags=list(customer.tags),
    )
    exists = conn.execute(select(t.c.id).where(t.c.id == customer.id)).first()
    if exists is None:
        conn.execute(insert(t).values(id=customer.id, created_at=now, **values))
        report.created += 1
    else:
        conn.execute(update(t).where(t.c.id == customer.id).values(**values))
        report.updated += 1
    report.customers += 1
    report.ids.append(customer.id)
    for i, conv in enumerate(customer.conversations):
        _upsert_conversation(store, conn, customer.id, conv, f"conversations.{i}", where)
        report.conversations += 1
        report.messages += len(conv.messages)
    _merge_notes(store, conn, customer.id, customer.notes)
    _merge_promises(store, conn, customer.id, customer.promises)
    report.notes += len(customer.notes)
    report.promises += len(customer.promises)


def _upsert_conversation(
    store: Store, conn: Connection, customer_id: str, conv: Conversation, field_: str, where: str
) -> None:
    t = tables.conversations
    owner = conn.execute(select(t.c.customer_id).where(t.c.id == conv.id)).first()
    if owner is not None and owner.customer_id != customer_id:
        raise InputError(
            f"field '{field_}.id': conversation {conv.id!r} belongs to {owner.customer_id!r}",
            where=where,
        )
    stamps = [m.at for m in conv.messages if m.at is not None]
    started = conv.started_at or (min(stamps) if stamps else store.now())
    values = dict(
        customer_id=customer_id,
        channel=conv.channel,
        subject=conv.subject,
        status=conv.status,
        started_at=started,
    )
    if owner is None:
        conn.execute(insert(t).values(id=conv.id, **values))
    else:
        conn.execute(update(t).where(t.c.id == conv.id).values(**values))
        conn.execute(delete(tables.messages).where(tables.messages.c.conversation_id == conv.id))
    rows = [
        dict(conversation_id=conv.id, role=m.role, text=m.text, at=m.at or started)
        for m in conv.messages
    ]
    if rows:
        conn.execute(insert(tables.messages), rows)


def _merge_notes(store: Store, conn: Connection, customer_id: str, items: list[Note]) -> None:
    t = tables.notes
    have = {
        (r.text, r.author)
        for r in conn.execute(select(t.c.text, t.c.author).where(t.c.customer_id == customer_id))
    }
    for note in items:
        key = (note.text, note.author)
        if key in have:
            continue
        have.add(key)
        created = note.created_at or store.now()
        conn.execute(
            insert(t).values(
                customer_id=customer_id, text=note.text, author=note.author, created_at=created
            )
        )


def _merge_promises(store: Store, conn: Connection, customer_id: str, items: list[Promise]) -> None:
    t = tables.promises
    rows = conn.execute(select(t.c.id, t.c.what, t.c.due).where(t.c.customer_id == customer_id))
    have = {(r.what, r.due): r.id for r in rows}
    for promise in items:
        key = (promise.what, promise.due)
        if key in have:
            conn.execute(update(t).where(t.c.id == have[key]).values(status=promise.status))
            continue
        result = conn.execute(
            insert(t).values(
                customer_id=customer_id,
                what=promise.what,
                due=promise.due,
                status=promise.status,
                created_at=promise.created_at or store.now(),
            )
        )
        have[key] = tables.inserted_id(result)


def load_demo_customers(store: Store) -> int:
    """Import the shipped Haru Notes demo customers (idempotent); how many there are."""
    return import_jsonl(store, DEMO_CUSTOMERS, actor="init").customers


# -- reading --------------------------------------------------------------------------------


def _customer_row_to_model(row: Any) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        language=row.language,
        plan=row.plan,
        since=row.since,
        tags=list(row.tags or []),
    )


def _promise(row: Any) -> Promise:
    return Promise(
        id=row.id, what=row.what, due=row.due, status=row.status, created_at=row.created_at
    )


def get_customer(store: Store, customer_id: str) -> Customer | None:
    """A customer with notes (oldest first), promises (by due date) and conversations
    (most recent activity first, messages in order), or None."""
    with store.engine.connect() as conn:
        row = conn.execute(
            select(tables.customers).where(tables.customers.c.id == customer_id)
        ).first()
        if row is None:
            return None
        customer = _customer_row_to_model(row)
        n = tables.notes
        customer.notes = [
            Note(text=r.text, author=r.author, created_at=r.created_at)
            for r in conn.execute(
                select(n).where(n.c.customer_id == customer_id).order_by(n.c.created_at, n.c.id)
            )
        ]
        p = tables.promises
        rows = conn.execute(select(p).where(p.c.customer_id == customer_id).order_by(p.c.id))
        customer.promises = sorted(
            (_promise(r) for r in rows), key=lambda x: (x.due is None, x.due or date.min)
        )
        customer.conversations = _conversations(conn, customer_id)
    return customer


def _conversations(conn: Connection, customer_id: str) -> list[Conversation]:
    c, m = tables.conversations, tables.messages
    convs = {
        r.id: Conversation(
            id=r.id,
            channel=r.channel,
            subject=r.subject,
            status=r.status,
            started_at=r.started_at,
        )
        for r in conn.execute(select(c).where(c.c.customer_id == customer_id))
    }
    rows = conn.execute(
        select(m)
        .join(c, c.c.id == m.c.conversation_id)
        .where(c.c.customer_id == customer_id)
        .order_by(m.c.at, m.c.id)
    )
    for r in rows:
        convs[r.conversation_id].messages.append(HistoryMessage(role=r.role, text=r.text, at=r.at))
    return sorted(convs.values(), key=_last_activity, reverse=True)


def _last_activity(conv: Conversation) -> datetime:
    stamps = [m.at for m in conv.messages if m.at is not None]
    if conv.started_at is not None:
        stamps.append(conv.started_at)
    return max(stamps) if stamps else datetime.min.replace(tzinfo=UTC)


def list_customers(store: Store) -> list[Customer]:
    """Every customer, by name, as a summary (no notes, promises or conversations)."""
    t = tables.customers
    with store.engine.connect() as conn:
        rows = conn.execute(select(t).order_by(t.c.name, t.c.id))
        return [_customer_row_to_model(r) for r in rows]


def _require_customer(conn: Connection, customer_id: str) -> None:
    t = tables.customers
    if conn.execute(select(t.c.id).where(t.c.id == customer_id)).first() is None:
        raise InputError(f"unknown customer {customer_id!r}", where="customer")


# -- writing --------------------------------------------------------------------------------


def add_note(store: Store, customer_id: str, text: str, author: str = "") -> Note:
    """Add a note to a customer's record; the stored note."""
    if not text.strip():
        raise InputError("a note needs text", where="note")
    note = Note(text=text.strip(), author=author, created_at=store.now())
    with store.transaction() as conn:
        _require_customer(conn, customer_id)
        conn.execute(insert(tables.notes).values(customer_id=customer_id, **note.model_dump()))
        store.record_event(
            Event.NOTE_ADDED, actor=author, payload={"customer_id": customer_id}, conn=conn
        )
    return note


def add_promise(
    store: Store, customer_id: str, what: str, due: date | None, *, author: str = ""
) -> Promise:
    """Record something the team promised the customer, and by when; the stored promise."""
    if not what.strip():
        raise InputError("a promise needs a description", where="promise")
    created = store.now()
    with store.transaction() as conn:
        _require_customer(conn, customer_id)
        result = conn.execute(
            insert(tables.promises).values(
                customer_id=customer_id,
                what=what.strip(),
                due=due,
                status="open",
                created_at=created,
            )
        )
        promise_id = tables.inserted_id(result)
        payload = {"customer_id": customer_id, "promise_id": promise_id}
        store.record_event(Event.PROMISE_ADDED, actor=author, payload=payload, conn=conn)
    return Promise(id=promise_id, what=what.strip(), due=due, status="open", created_at=created)


def set_promise_status(store: Store, promise_id: int, status: str, *, author: str = "") -> Promise:
    """Mark a promise open, done or cancelled; the updated promise."""
    if status not in PROMISE_STATUSES:
        raise InputError(f"must be one of {', '.join(PROMISE_STATUSES)}", where="status")
    t = tables.promises
    with store.transaction() as conn:
        result = conn.execute(update(t).where(t.c.id == promise_id).values(status=status))
        if result.rowcount != 1:
            raise InputError(f"unknown promise {promise_id}", where="promise")
        row = conn.execute(select(t).where(t.c.id == promise_id)).one()
        payload = {"customer_id": row.customer_id, "promise_id": promise_id, "status": status}
        store.record_event(Event.PROMISE_STATUS, actor=author, payload=payload, conn=conn)
    return _promise(row)


def record_message(
    store: Store,
    customer_id: str,
    conversation_id: str | None,
    role: str,
    text: str,
    channel: str,
    *,
    at: datetime | None = None,
) -> str:
    """Store one message; opens a new conversation when none is given (or the id is new).

    A customer message reopens the conversation. Returns the conversation id.
    """
    with store.transaction() as conn:
        conv_id, _ = add_message(
            store, conn, customer_id, conversation_id, role, text, channel, at=at
        )
    return conv_id


def add_message(
    store: Store,
    conn: Connection,
    customer_id: str,
    conversation_id: str | None,
    role: str,
    text: str,
    channel: str,
    *,
    at: datetime | None = None,
    reply_to: dict[str, Any] | None = None,
    subject: str | None = None,
) -> tuple[str, int]:
    """:func:`record_message` inside the caller's transaction; (conversation id, message id).

    ``reply_to`` (where approved replies go) and ``subject`` are set when the conversation is
    opened; a later ``reply_to`` replaces the old one (a channel may move a thread).
    """
    if role not in ROLES:
        raise InputError(f"must be one of {', '.join(ROLES)}", where="role")
    at = at or store.now()
    c = tables.conversations
    _require_customer(conn, customer_id)
    conv_id = conversation_id or f"conv_{uuid.uuid4().hex[:12]}"
    owner = conn.execute(select(c.c.customer_id).where(c.c.id == conv_id)).first()
    if owner is None:
        first_line = text.strip().splitlines()[0][:80] if text.strip() else ""
        conn.execute(
            insert(c).values(
                id=conv_id,
                customer_id=customer_id,
                channel=channel,
                subject=(subject or first_line)[:200],
                status="open",
                started_at=at,
                reply_to=reply_to,
            )
        )
    elif owner.customer_id != customer_id:
        raise InputError(
            f"conversation {conv_id!r} belongs to another customer", where="conversation"
        )
    else:
        changes: dict[str, Any] = {"status": "open"} if role == "customer" else {}
        if reply_to is not None:
            changes["reply_to"] = reply_to
        if changes:
            conn.execute(update(c).where(c.c.id == conv_id).values(**changes))
    result = conn.execute(
        insert(tables.messages).values(conversation_id=conv_id, role=role, text=text, at=at)
    )
    return conv_id, tables.inserted_id(result)


def last_customer_message_at(store: Store, conversation_id: str) -> datetime | None:
    """When the customer last wrote in a conversation (None: never)."""
    from sqlalchemy import func

    m = tables.messages
    with store.engine.connect() as conn:
        value = conn.execute(
            select(func.max(m.c.at)).where(
                m.c.conversation_id == conversation_id, m.c.role == "customer"
            )
        ).scalar()
        return tables.UTCDateTime().process_result_value(value, conn.dialect) if value else None


def record_history(
    store: Store,
    customer_id: str,
    conversation_id: str | None,
    items: list[tuple[str, str, datetime | None]],
    channel: str,
) -> str:
    """Store a conversation's earlier messages ``(role, text, at)`` in one transaction; a
    message already in the conversation (same role and text) is kept once, so a caller (the
    HTTP API) may send the whole history with every request. Opens the conversation when it
    is new; returns its id."""
    for i, (role, text, _at) in enumerate(items):
        if role not in ROLES:
            raise InputError(f"must be one of {', '.join(ROLES)}", where=f"history.{i}.role")
        if not text.strip():
            raise InputError("the message is empty", where=f"history.{i}.text")
    c, m = tables.conversations, tables.messages
    now = store.now()
    with store.transaction() as conn:
        _require_customer(conn, customer_id)
        conv_id = conversation_id or f"conv_{uuid.uuid4().hex[:12]}"
        owner = conn.execute(select(c.c.customer_id).where(c.c.id == conv_id)).first()
        if owner is None:
            first = next((t for _r, t, _a in items), "")
            stamps = [a for _r, _t, a in items if a is not None]
            conn.execute(
                insert(c).values(
                    id=conv_id,
                    customer_id=customer_id,
                    channel=channel,
                    subject=first.strip().splitlines()[0][:80] if first.strip() else "",
                    status="open",
                    started_at=min(stamps) if stamps else now,
                )
            )
        elif owner.customer_id != customer_id:
            raise InputError(
                f"conversation {conv_id!r} belongs to another customer", where="conversation_id"
            )
        have = conn.execute(select(m.c.role, m.c.text).where(m.c.conversation_id == conv_id))
        seen = {(r.role, r.text) for r in have}
        for role, text, at in items:
            if (role, text) in seen:
                continue
            seen.add((role, text))
            conn.execute(
                insert(m).values(conversation_id=conv_id, role=role, text=text, at=at or now)
            )
    return conv_id


# -- context for one message ----------------------------------------------------------------

# Product words a Korean and an English customer use for the same thing, folded to one token.
_CONCEPTS: dict[str, tuple[str, ...]] = {
    "#sync": ("동기화", "sync", "synced", "syncing"),
    "#refund": ("환불", "refund", "refunded"),
    "#charge": ("결제", "청구", "charge", "charged", "billed", "billing", "payment", "paid"),
    "#double": ("중복", "double", "twice", "duplicate"),
    "#subscription": ("구독", "요금제", "subscription", "renewal"),
    "#cancel": ("해지", "취소", "cancel", "cancellation", "unsubscribe"),
    "#login": ("로그인", "login", "log", "signin"),
    "#password": ("비밀", "password"),
    "#2fa": ("인증", "otp", "2fa", "verification"),
    "#attach": ("첨부", "attachment", "attach", "upload"),
    "#export": ("내보내기", "export", "exported"),
    "#import": ("가져오기", "import", "evernote", "notion"),
    "#trash": ("휴지통", "삭제", "trash", "delete", "deleted"),
    "#restore": ("복구", "복원", "restore", "recover"),
    "#locked": ("잠금", "암호화", "locked", "encrypted", "encryption"),
    "#share": ("공유", "협업", "share", "shared", "collaboration"),
    "#offline": ("오프라인", "offline"),
    "#device": ("기기", "디바이스", "device", "devices"),
    "#crash": ("충돌", "튕기다", "crash", "crashes", "crashing", "freeze"),
    "#history": ("버전", "version", "history"),
    "#team": ("팀", "관리자", "좌석", "team", "admin", "seat", "sso"),
    "#storage": ("용량", "storage", "quota"),
    "#clipper": ("클리퍼", "clipper"),
    "#receipt": ("영수증", "receipt", "invoice"),
}


@lru_cache(maxsize=1)
def _concept_of() -> dict[str, str]:
    """Each vocabulary word, normalised the way ``terms`` normalises text, to its concept."""
    from assistant.text import terms

    out: dict[str, str] = {}
    for concept, words in _CONCEPTS.items():
        for word in words:
            found = terms(word)
            out.setdefault(found[0] if len(found) == 1 else word, concept)
    return out


def _match_terms(text: str) -> list[str]:
    from assistant.text import terms

    out: list[str] = []
    for term in terms(text):
        out.append(term)
        concept = _concept_of().get(term)
        if concept is not None:
            out.append(concept)
    return out


def _conversation_text(conv: Conversation, skip: str) -> str:
    parts = [] if conv.subject and skip.startswith(conv.subject.strip()) else [conv.subject]
    parts += [m.text for m in conv.messages if m.text.strip() != skip]
    return "\n".join(p for p in parts if p)


def related_conversations(
    conversations: Iterable[Conversation], message: str, *, k: int = 3
) -> list[Conversation]:
    """The ``k`` conversations that talk most about what ``message`` talks about (BM25).

    A message identical to ``message`` (the one being answered, once recorded) does not count.
    Conversations that share no term with the message, or score under a third of the best
    match, are not returned.
    """
    from assistant.text import BM25Index

    convs = list(conversations)
    query = _match_terms(message)
    if not convs or not query or k < 1:
        return []
    index = BM25Index([_match_terms(_conversation_text(c, message.strip())) for c in convs])
    scored = [(float(score), i) for i, score in enumerate(index.scores(query)) if score > 0]
    scored.sort(key=lambda s: (-s[0], s[1]))
    floor = scored[0][0] * RELATED_MIN_RATIO if scored else 0.0
    return [convs[i] for score, i in scored[:k] if score >= floor]


def sentiment_trend(
    conversations: Iterable[Conversation], sentiment_fn: SentimentFn = neutral_sentiment
) -> list[tuple[str, float]]:
    """``(date, sentiment)`` for the customer's own messages, oldest first (the last 30)."""
    points = [
        (m.at, m.text)
        for conv in conversations
        for m in conv.messages
        if m.role == "customer" and m.at is not None
    ]
    points.sort(key=lambda p: p[0])
    return [
        (at.date().isoformat(), round(float(sentiment_fn(text)), 3))
        for at, text in points[-TREND_LIMIT:]
    ]


def context_for(
    store: Store,
    customer_id: str,
    message: str,
    *,
    now: datetime | None = None,
    related_k: int = 3,
    sentiment_fn: SentimentFn = neutral_sentiment,
) -> CustomerContext:
    """What the drafter and the agent should see about this customer for ``message``.

    ``recent``: up to 3 conversations, most recent activity first. ``related``: up to
    ``related_k`` conversations about the same thing (may overlap ``recent``).
    ``open_promises``: every open promise, soonest due first; ``overdue_promises``: the open
    ones due before today (``now``'s date; the store's clock by default).
    """
    customer = get_customer(store, customer_id)
    if customer is None:
        raise InputError(f"unknown customer {customer_id!r}", where="customer")
    today = (now or store.now()).date()
    open_promises = [p for p in customer.promises if p.status == "open"]
    open_promises.sort(key=lambda p: (p.due is None, p.due or today))
    overdue = [p for p in open_promises if p.due is not None and p.due < today]
    return CustomerContext(
        customer=customer,
        recent=customer.conversations[:RECENT_LIMIT],
        related=related_conversations(customer.conversations, message, k=related_k),
        open_promises=open_promises,
        overdue_promises=overdue,
        sentiment_trend=sentiment_trend(customer.conversations, sentiment_fn),
    )
