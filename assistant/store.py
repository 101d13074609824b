"""Records: customers, drafts, decisions, the outbox and the audit trail, through SQLAlchemy.

One schema for SQLite (the default file in the data dir) and PostgreSQL (any SQLAlchemy URL):
portable column types only, JSON through ``sqlalchemy.JSON`` and every timestamp stored in UTC.
The tables below show the schema after the newest Alembic revision (``assistant/migrations``);
a schema change is a new revision file, a released one is never edited.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import CursorResult, Dialect, make_url
from sqlalchemy.pool import StaticPool

from assistant import migrations
from assistant.errors import ConflictError

if TYPE_CHECKING:
    from assistant.config import Settings

from assistant.events import EVENT_KINDS, Event
from assistant.models import DRAFT_STATUSES

DECISION_ACTIONS = ("approved", "rejected", "edited_approved")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    Naive values are taken to be UTC already. SQLite keeps the UTC wall time; PostgreSQL keeps a
    ``timestamptz``. Either way the value that comes back is an aware ``datetime`` in UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text),
    Column("phone", Text),
    Column("language", String(8), nullable=False, default="ko"),
    Column("plan", String(40), nullable=False, default=""),
    Column("since", Date),
    Column("tags", JSON, nullable=False, default=list),
    Column("created_at", UTCDateTime(), nullable=False),
)


def _customer_fk() -> Column[Any]:
    """The owning customer of a history row; rows go with their customer."""
    return Column(
        "customer_id",
        String(100),
        ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


conversations = Table(
    "conversations",
    metadata,
    Column("id", String(100), primary_key=True),
    _customer_fk(),
    Column("channel", String(40), nullable=False, default="email"),
    Column("subject", Text, nullable=False, default=""),
    Column("status", String(20), nullable=False, default="solved"),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("reply_to", JSON),
)
"""``reply_to``: where an approved reply to this conversation goes, for a conversation that came
through a channel adapter (``{"source": "chatwoot", "account_id", "conversation_id"}``, or the
mail thread's addresses and ids); None for one that came by file or the workspace."""

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "conversation_id",
        String(100),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("role", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)

notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _customer_fk(),
    Column("text", Text, nullable=False),
    Column("author", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
)

promises = Table(
    "promises",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _customer_fk(),
    Column("what", Text, nullable=False),
    Column("due", Date),
    Column("status", String(20), nullable=False, default="open"),
    Column("created_at", UTCDateTime(), nullable=False),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("status", String(20), nullable=False, default="pending"),
    Column("customer_id", String(100), index=True),
    Column("conversation_id", String(100)),
    Column("channel", String(40), nullable=False, default="email"),
    Column("message", Text, nullable=False, default=""),
    Column("language", String(8)),
    Column("situations", JSON),
    Column("sentiment", Float),
    Column("urgency", String(20)),
    Column("model", String(200)),
    Column("prompt_version", String(100)),
    Column("sources", JSON),
    Column("rendered_messages", JSON),
    Column("output", Text),
    Column("findings", JSON),
    Column("error", Text),
    Column("latency_ms", Float),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("cost_usd", Float),
    Column("attempts", Integer, nullable=False, default=0),
    Column("trace", JSON),
    Column("version", Integer, nullable=False, default=1),
    Index("ix_drafts_status", "status"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False, index=True),
    Column("action", String(20), nullable=False),
    Column("final_text", Text),
    Column("reviewer", Text, nullable=False, default=""),
    Column("reason", Text),
    Column("override_reason", Text),
    Column("edit_distance", Integer),
    Column("seconds_to_decide", Float),
    Column("created_at", UTCDateTime(), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False, index=True),
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False),
    Column("customer_id", String(100)),
    Column("channel", String(40), nullable=False, default="email"),
    Column("text", Text, nullable=False),
    Column("status", String(20), nullable=False, default="queued"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("error", Text),
    Column("destination", JSON),
    Column("external_id", String(200)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claimed_at", UTCDateTime()),
    Column("next_attempt_at", UTCDateTime()),
)
"""Approved replies. ``destination`` is the conversation's ``reply_to`` copied at approval (None:
sent by hand, copy or export); a send through a channel adapter is recorded before
(``sending``, ``claimed_at``, ``attempts``) and after (``sent`` with the adapter's
``external_id``, or ``retry``/``failed`` with the error), see :mod:`assistant.channels.delivery`."""

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("kind", String(60), nullable=False, index=True),
    Column("draft_id", Integer, index=True),
    Column("actor", Text, nullable=False, default=""),
    Column("payload", JSON),
)

bulk_runs = Table(
    "bulk_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("input", Text, nullable=False, default=""),
    Column("model", String(200)),
    Column("issues", JSON),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
"""One bulk run: ``name`` is what identifies it for a rerun (its output path)."""

bulk_posts = Table(
    "bulk_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("bulk_runs.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("line", Integer),
    Column("status", String(20), nullable=False),
    Column("draft_id", Integer, ForeignKey("drafts.id")),
    Column("record", JSON, nullable=False),
    Column("edited_text", Text),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("run_id", "key", name="uq_bulk_posts_run_key"),
)
"""One post of a run: its output record (status drafted/skipped/invalid/failed), the draft it
got (reviewed through the drafts' one review path) and an edit saved but not yet decided."""

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text),
    Column("email", String(320), unique=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
"""Accounts (``assistant.accounts``); ``password_hash`` is argon2, None for identity-provider-only
accounts."""

sign_ins = Table(
    "sign_ins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, index=True),
    Column("ok", Boolean, nullable=False),
    Column("via", String(20), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)
"""Every sign-in attempt (for the lockout after repeated failures)."""

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", Text, nullable=False, default=""),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime()),
    Column("revoked", Boolean, nullable=False, default=False),
)
"""HTTP API tokens (``assistant.accounts.create_token``): only the SHA-256 hex of a token is
kept; the token itself is shown once."""

api_idempotency = Table(
    "api_idempotency",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "key", name="uq_api_idempotency_user_key"),
)
"""``Idempotency-Key`` of a ``POST /v1/drafts``: the same key from the same account gets the
same draft; ``request_hash`` (SHA-256 of the request body) tells a retry from a different
request that reuses the key."""


external_refs = Table(
    "external_refs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("external_id", String(400), nullable=False),
    Column("local_id", String(100), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("source", "kind", "external_id", name="uq_external_refs"),
)
"""What a channel's own ids map to here: a Chatwoot contact to a customer, a Chatwoot conversation
or a mail thread's Message-ID to a conversation (``kind``: contact, conversation, message)."""

inbound = Table(
    "inbound",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("key", String(400), nullable=False),
    Column("status", String(20), nullable=False),
    Column("customer_id", String(100), index=True),
    Column("conversation_id", String(100)),
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="SET NULL")),
    Column("draft_id", Integer, ForeignKey("drafts.id")),
    Column("reason", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("source", "key", name="uq_inbound_source_key"),
    Index("ix_inbound_status", "status"),
)
"""Every message a channel delivered, recorded once (``key``: the helpdesk's message id, the
mailbox's UIDVALIDITY and UID): ``received`` until its draft is made (``drafted``), or
``skipped``/``ignored`` with the ``reason``, or ``failed`` (retried)."""


mail_cursors = Table(
    "mail_cursors",
    metadata,
    Column("mailbox", String(400), primary_key=True),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("last_uid", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
"""How far ``mail sync`` has read a mailbox (``user@host:port/folder``): every message up to
``last_uid`` of this ``uidvalidity`` is recorded in ``inbound`` (a new UIDVALIDITY starts over;
the Message-ID keeps a message from being imported twice)."""
macros = Table(
    "macros",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("lang", String(8), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False, default="ok"),
    Column("findings", JSON, nullable=False, default=list),
    Column("created_by", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("checked_at", UTCDateTime(), nullable=False),
)
"""Team macros (``assistant.macros``): a jinja2 body checked by the playbook when saved and
after every help-center change; ``status`` "flagged" with its ``findings`` when a re-check
found a problem (an article gone, a link no longer in the help center)."""

macro_uses = Table(
    "macro_uses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "macro_id",
        Integer,
        ForeignKey("macros.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("draft_id", Integer, ForeignKey("drafts.id"), index=True),
    Column("agent", Text, nullable=False, default=""),
    Column("text_after", Text, nullable=False, default=""),
    Column("used_at", UTCDateTime(), nullable=False),
)
"""A macro inserted into a draft's editor: the editor text right after the insertion, so the
edits made after it can be measured against the approved text."""

surveys = Table(
    "surveys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("draft_id", Integer, ForeignKey("drafts.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("agent", Text, nullable=False, default=""),
    Column("prompt_version", String(100)),
    Column("model", String(200)),
    Column("overridden", JSON, nullable=False, default=list),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("answered_at", UTCDateTime()),
    Column("score", Integer),
)
"""A one-question survey (CSAT 1-5 or CES 1-7) sent with an approved reply
(``assistant.surveys``): only the SHA-256 hex of its link's token is kept; one answer per
token, before ``expires_at``; the draft's agent, prompt version, model and overridden rules
are copied so that answers can be broken down by them."""


translations = Table(
    "translations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("draft_id", Integer, ForeignKey("drafts.id"), index=True),
    Column("customer_id", String(100), index=True),
    Column("source_hash", String(64), nullable=False, index=True),
    Column("source_lang", String(8), nullable=False),
    Column("target_lang", String(8), nullable=False),
    Column("register", String(8)),
    Column("source_text", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("model", String(200), nullable=False),
    Column("prompt_version", String(100), nullable=False),
    Column("findings", JSON, nullable=False, default=list),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_by", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
)
"""Machine translations (``assistant.translate``): an incoming ``message`` shown in the agent's
language (cached by ``source_hash`` of the text, target language and model), or a ``reply`` the
agent wrote in their language and had translated for the customer: both versions are kept, with
the consistency findings (rule T1) of the translation; the latest ``active`` one of a draft is
what the draft's checks compare the customer version with."""


DRAFT_FIELDS = frozenset(c.name for c in drafts.columns) - {"id", "created_at", "updated_at"}


class StaleVersionError(ConflictError):
    """A draft changed since it was read (optimistic locking): reload it and try again."""

    def __init__(self, draft_id: int, expected: int, found: int | None) -> None:
        self.expected = expected
        self.found = found
        super().__init__(
            f"draft {draft_id} is at version {found}, not {expected}: it changed meanwhile",
            draft_id=draft_id,
        )


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key of the row an ``insert`` just added."""
    key = result.inserted_primary_key
    if not key or key[0] is None:
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: safe against crashes, fsync at checkpoints
    cursor.close()


def _switch_to_wal(cursor: Any, wait_s: float = 10.0) -> None:
    """``PRAGMA journal_mode=WAL``, retried while the file is locked.

    On a new database file the switch writes the header; when several processes open the file at
    once their lock upgrades can deadlock, and SQLite answers "database is locked" at once instead
    of waiting out the busy timeout. Once the file is in WAL mode the pragma takes no lock.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "")
    conn.exec_driver_sql(f"BEGIN {mode}".strip())


def make_folder(url: str) -> None:
    """Create the folder of a SQLite file URL (other URLs: nothing to do)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and real transactions (DDL too)."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "future": True}
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
        return engine
    if parsed.database in (None, "", ":memory:"):
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        kwargs.update(connect_args={"check_same_thread": False, "timeout": 10})
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


class Store:
    """The records database. Pass the store in; nothing else opens the database."""

    def __init__(self, url: str, *, clock: Callable[[], datetime] | None = None) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self.clock: Callable[[], datetime] = clock or utcnow

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """The store at ``settings.db_url``, its data dir created and its migrations applied."""
        url = settings.db_url
        make_folder(url)
        store = cls(url)
        store.migrate()
        return store

    def now(self) -> datetime:
        """The store's clock (UTC, aware)."""
        return self.clock()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        """Close every pooled connection (tests, and before a process forks)."""
        self.engine.dispose()

    # -- migrations -----------------------------------------------------------------------

    def applied_migrations(self) -> list[str]:
        """The Alembic revisions this database has, oldest first (empty before the first)."""
        with self.engine.connect() as conn:
            at = migrations.current(conn)
        return migrations.revisions(at) if at is not None else []

    def migrate(self) -> list[str]:
        """Upgrade the schema to the newest revision (a 0.1 database is taken over first); the
        revisions that ran, oldest first. Safe when several processes open the database at once."""
        return migrations.upgrade(self.engine)

    # -- drafts ---------------------------------------------------------------------------

    def create_draft(self, **fields: Any) -> int:
        """Store a new draft (status ``pending`` unless given) before any model is called; its id."""
        values = self._draft_values(fields)
        values.setdefault("status", "pending")
        now = self.now()
        values.update(created_at=now, updated_at=now, version=1)
        with self.transaction() as conn:
            result = conn.execute(insert(drafts).values(**values))
            draft_id = inserted_id(result)
        return draft_id

    def update_draft(
        self, draft_id: int, *, expected_version: int | None = None, **fields: Any
    ) -> None:
        """Change a draft's fields; bumps ``updated_at`` and ``version``.

        With ``expected_version`` the update only happens if nobody changed the draft since
        it was read at that version; otherwise :class:`StaleVersionError`. An unknown id is a
        ``KeyError``.
        """
        values = self._draft_values(fields)
        values.update(updated_at=self.now(), version=drafts.c.version + 1)
        stmt = update(drafts).where(drafts.c.id == draft_id)
        if expected_version is not None:
            stmt = stmt.where(drafts.c.version == expected_version)
        with self.transaction() as conn:
            result = conn.execute(stmt.values(**values))
            if result.rowcount == 1:
                return
            found = conn.execute(select(drafts.c.version).where(drafts.c.id == draft_id)).first()
        if found is None:
            raise KeyError(f"no draft {draft_id}")
        raise StaleVersionError(draft_id, expected_version or 0, found.version)

    def get_draft(self, draft_id: int) -> dict[str, Any] | None:
        """One draft record as a dict of its columns, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(drafts).where(drafts.c.id == draft_id)).mappings().first()
        return dict(row) if row is not None else None

    def list_drafts(
        self, *, status: str | None = None, customer_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Drafts, newest first, optionally only one status or one customer's."""
        stmt = select(drafts).order_by(drafts.c.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(drafts.c.status == status)
        if customer_id is not None:
            stmt = stmt.where(drafts.c.customer_id == customer_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    @staticmethod
    def _draft_values(fields: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(fields) - DRAFT_FIELDS - {"version"})
        if unknown or "version" in fields:
            bad = unknown[0] if unknown else "version"
            raise TypeError(f"not a settable draft field: {bad!r}")
        status = fields.get("status")
        if status is not None and status not in DRAFT_STATUSES:
            raise ValueError(f"unknown draft status {status!r}; one of {', '.join(DRAFT_STATUSES)}")
        return dict(fields)

    # -- audit ----------------------------------------------------------------------------

    def record_event(
        self,
        kind: Event | str,
        *,
        draft_id: int | None = None,
        actor: str = "",
        payload: dict[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Append one audit event (a kind declared in :mod:`assistant.events`); inside
        ``conn``'s transaction when one is given."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"undeclared event kind {kind!r} (see assistant.events)")
        values = dict(
            at=self.now(), kind=str(kind), draft_id=draft_id, actor=actor, payload=payload or {}
        )
        if conn is not None:
            conn.execute(insert(events).values(**values))
            return
        with self.transaction() as own:
            own.execute(insert(events).values(**values))

    def list_events(
        self, *, draft_id: int | None = None, kind: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Audit events in the order they happened, optionally for one draft or one kind."""
        stmt = select(events).order_by(events.c.id).limit(limit)
        if draft_id is not None:
            stmt = stmt.where(events.c.draft_id == draft_id)
        if kind is not None:
            stmt = stmt.where(events.c.kind == kind)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]
