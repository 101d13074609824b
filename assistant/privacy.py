"""Customers' personal data: erasure on request, retention, and backups of the data dir.

- :func:`forget_customer` erases one customer (Korea's PIPA, the GDPR's right to erasure): the
  profile and its history go, and every piece of their text is blanked from drafts, decisions,
  the outbox, audit payloads, the eval cache and bulk output files, while the rows' numbers
  (status, timestamps, edit distance, findings' rule ids) stay so analytics stays right. One
  anonymised ``customer.forgotten`` event records who did it and how much was removed.
- :func:`purge_expired` does the same to conversations older than ``retention_days`` that are
  closed and have no undecided draft, keeping the customer's profile.
- :func:`backup` and :func:`restore` copy the embedded stores (SQLite records, Chroma folder)
  consistently while the app runs, through SQLite's online backup API.

After erasing, the SQLite files are checkpointed and vacuumed so the deleted pages are gone from
the database file and its write-ahead log, not just unlinked from the b-tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import ColumnElement

from assistant import accounts
from assistant import store as tables
from assistant.errors import InputError
from assistant.events import Event
from assistant.models import UNDECIDED_STATUSES

if TYPE_CHECKING:
    from assistant.accounts import Actor
    from assistant.config import Settings
    from assistant.store import Store

FORGOTTEN = "[forgotten]"
"""What replaces a piece of personal text where a value must stay (an override reason)."""
MIN_NEEDLE = 2
"""Strings shorter than this are never searched for (they would match everywhere)."""
SQLITE_SUFFIXES = ("-wal", "-shm", "-journal")
MANIFEST = "manifest.json"


@dataclass
class Erasure:
    """What an erasure (forget or retention) removed or blanked, counted."""

    customers: int = 0
    conversations: int = 0
    messages: int = 0
    notes: int = 0
    promises: int = 0
    drafts: int = 0
    decisions: int = 0
    outbox: int = 0
    events: int = 0
    bulk_posts: int = 0
    cache_entries: int = 0
    file_lines: int = 0
    files: list[str] = field(default_factory=list)
    """Data-dir files rewritten (relative paths)."""
    compacted: list[str] = field(default_factory=list)
    """SQLite files checkpointed and vacuumed."""
    still_found: list[str] = field(default_factory=list)
    """Data-dir files that still hold one of the customer's strings after the erasure (should be
    empty; a running process may hold a write-ahead log open)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def counts(self) -> dict[str, int]:
        """The numbers only (what the audit event keeps)."""
        return {k: v for k, v in asdict(self).items() if isinstance(v, int)}


# -- scrubbing text ---------------------------------------------------------------------------


def _needles(values: Iterable[str | None]) -> list[str]:
    found = {v.strip() for v in values if v and len(v.strip()) >= MIN_NEEDLE}
    return sorted(found, key=len, reverse=True)


def _contains(text: str, needles: list[str]) -> bool:
    return any(n in text for n in needles)


def scrub(value: Any, needles: list[str], *, drop: frozenset[str] = frozenset()) -> Any:
    """``value`` (JSON data) with every string holding one of ``needles`` replaced by
    :data:`FORGOTTEN`; list items equal to one of ``drop`` are left out."""
    if isinstance(value, str):
        return FORGOTTEN if _contains(value, needles) else value
    if isinstance(value, list):
        return [
            scrub(v, needles, drop=drop) for v in value if not (isinstance(v, str) and v in drop)
        ]
    if isinstance(value, dict):
        return {k: scrub(v, needles, drop=drop) for k, v in value.items()}
    return value


def _blank_findings(findings: Any) -> Any:
    """Findings keep their rule, severity and span; their quotes and texts go."""
    if not isinstance(findings, list):
        return findings
    kept = []
    for f in findings:
        if isinstance(f, dict):
            kept.append(
                {
                    "rule": f.get("rule"),
                    "severity": f.get("severity"),
                    "span": f.get("span"),
                    "quote": None,
                    "message": "",
                    "fix": "",
                }
            )
    return kept


def _blank_trace(trace: Any) -> dict[str, Any]:
    """A trace keeps its numbers (usage, timings), nothing of the text."""
    if not isinstance(trace, dict):
        return {"forgotten": True}
    kept: dict[str, Any] = {"forgotten": True}
    if isinstance(trace.get("usage"), dict):
        kept["usage"] = {
            k: v for k, v in trace["usage"].items() if isinstance(v, (int, float)) or v is None
        }
    if isinstance(trace.get("pipeline_ms"), (int, float)):
        kept["pipeline_ms"] = trace["pipeline_ms"]
    return kept


def _blank_sources(sources: Any, needles: list[str]) -> Any:
    """Sources are help-center passages: kept, unless a snippet quotes the customer."""
    if not isinstance(sources, list):
        return sources
    return [scrub(s, needles) for s in sources]


def _erase_drafts(
    conn: Connection, draft_ids: list[int], needles: list[str], report: Erasure
) -> list[str]:
    """Blank the customer text of these drafts, their decisions and outbox rows; the texts
    removed (to look for in caches and files)."""
    if not draft_ids:
        return []
    d, dec, out, bp = tables.drafts, tables.decisions, tables.outbox, tables.bulk_posts
    texts: list[str] = []
    rows = conn.execute(select(d).where(d.c.id.in_(draft_ids))).mappings().all()
    for row in rows:
        texts += [row["message"] or "", row["output"] or ""]
    needles = _needles([*needles, *texts])
    for row in rows:
        conn.execute(
            update(d)
            .where(d.c.id == row["id"])
            .values(
                customer_id=None,
                conversation_id=None,
                message="",
                output="" if row["output"] is not None else None,
                rendered_messages=[],
                trace=_blank_trace(row["trace"]),
                sources=_blank_sources(row["sources"], needles),
                findings=_blank_findings(row["findings"]),
                error=FORGOTTEN
                if row["error"] and _contains(row["error"], needles)
                else row["error"],
            )
        )
    report.drafts += len(rows)
    for drow in conn.execute(select(dec).where(dec.c.draft_id.in_(draft_ids))).mappings().all():
        texts.append(drow["final_text"] or "")
        reason = drow["reason"]
        conn.execute(
            update(dec)
            .where(dec.c.id == drow["id"])
            .values(
                final_text="" if drow["final_text"] is not None else None,
                override_reason=FORGOTTEN if drow["override_reason"] else None,
                reason=FORGOTTEN if reason and _contains(reason, needles) else reason,
            )
        )
        report.decisions += 1
    for orow in conn.execute(select(out).where(out.c.draft_id.in_(draft_ids))).mappings().all():
        texts.append(orow["text"] or "")
        conn.execute(update(out).where(out.c.id == orow["id"]).values(text="", customer_id=None))
        report.outbox += 1
    uses = tables.macro_uses  # the editor text right after a macro went in
    conn.execute(update(uses).where(uses.c.draft_id.in_(draft_ids)).values(text_after=""))
    messages = [row["message"] or "" for row in rows]
    texts += _erase_translations(conn, draft_ids=draft_ids, messages=messages)
    for prow in conn.execute(select(bp).where(bp.c.draft_id.in_(draft_ids))).mappings().all():
        conn.execute(
            update(bp)
            .where(bp.c.id == prow["id"])
            .values(record=scrub(prow["record"], _needles([*needles, *texts])), edited_text=None)
        )
        report.bulk_posts += 1
    return [t for t in texts if t]


def _erase_translations(
    conn: Connection,
    *,
    draft_ids: Iterable[int] = (),
    messages: Iterable[str] = (),
    customer_id: str | None = None,
) -> list[str]:
    """Delete the machine translations of these drafts, of these message texts and of the
    customer's messages; the texts deleted (to look for elsewhere)."""
    t = tables.translations
    hashes = [hashlib.sha256(m.encode("utf-8")).hexdigest() for m in messages if m]
    draft_ids = list(draft_ids)
    where: list[ColumnElement[bool]] = [t.c.draft_id.in_(draft_ids)] if draft_ids else []
    where += [t.c.source_hash.in_(hashes)] if hashes else []
    where += [t.c.customer_id == customer_id] if customer_id else []
    if not where:
        return []
    cond = or_(*where)
    rows = conn.execute(select(t.c.source_text, t.c.text).where(cond)).all()
    conn.execute(delete(t).where(cond))
    return [text for row in rows for text in (row.source_text, row.text) if text]


def _scrub_events(
    conn: Connection, needles: list[str], draft_ids: list[int], drop: frozenset[str]
) -> int:
    """Scrub the customer's strings from every audit payload; the count changed."""
    e = tables.events
    changed = 0
    ids = set(draft_ids)
    for row in conn.execute(select(e.c.id, e.c.draft_id, e.c.payload)).all():
        payload = row.payload
        if not payload:
            continue
        new = scrub(payload, needles, drop=drop)
        if row.draft_id in ids and isinstance(new, dict) and new.get("override_reason"):
            new["override_reason"] = FORGOTTEN
        if new != payload:
            conn.execute(update(e).where(e.c.id == row.id).values(payload=new))
            changed += 1
    return changed


def _secure_delete(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete=ON")


def _customer_drafts(conn: Connection, customer_id: str, conversation_ids: list[str]) -> list[int]:
    d = tables.drafts
    where = d.c.customer_id == customer_id
    if conversation_ids:
        where = where | d.c.conversation_id.in_(conversation_ids)
    return [int(r.id) for r in conn.execute(select(d.c.id).where(where))]


def _salted_hash(value: str) -> dict[str, str]:
    salt = secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()
    return {"salt": salt, "sha256": digest}


def _erase_channel_rows(conn: Connection, customer_id: str, conv_ids: list[str]) -> None:
    """Forget what a channel delivered for the customer and how its ids map to ours."""
    i, r = tables.inbound, tables.external_refs
    conn.execute(delete(i).where(i.c.customer_id == customer_id))
    if conv_ids:
        conn.execute(delete(i).where(i.c.conversation_id.in_(conv_ids)))
    conn.execute(delete(r).where(r.c.local_id.in_([customer_id, *conv_ids])))


def _erase_customer_rows(
    conn: Connection, customer_id: str, report: Erasure
) -> tuple[list[str], list[int]]:
    """Delete one customer and their history inside ``conn``; (needles, draft ids)."""
    c, cv, m = tables.customers, tables.conversations, tables.messages
    n, p = tables.notes, tables.promises
    person = conn.execute(select(c).where(c.c.id == customer_id)).mappings().first()
    if person is None:
        raise InputError(f"unknown customer {customer_id!r}", where="customer")
    conv_rows = conn.execute(select(cv).where(cv.c.customer_id == customer_id)).mappings().all()
    conv_ids = [r["id"] for r in conv_rows]
    msg_texts = (
        [r.text for r in conn.execute(select(m.c.text).where(m.c.conversation_id.in_(conv_ids)))]
        if conv_ids
        else []
    )
    note_texts = [
        r.text for r in conn.execute(select(n.c.text).where(n.c.customer_id == customer_id))
    ]
    promise_texts = [
        r.what for r in conn.execute(select(p.c.what).where(p.c.customer_id == customer_id))
    ]
    needles = _needles(
        [
            customer_id,
            person["name"],
            person["email"],
            person["phone"],
            *msg_texts,
            *note_texts,
            *promise_texts,
            *[r["subject"] for r in conv_rows],
        ]
    )
    draft_ids = _customer_drafts(conn, customer_id, conv_ids)
    _erase_channel_rows(conn, customer_id, conv_ids)
    needles = _needles(
        [*needles, *_erase_translations(conn, messages=msg_texts, customer_id=customer_id)]
    )
    if conv_ids:
        report.messages += conn.execute(delete(m).where(m.c.conversation_id.in_(conv_ids))).rowcount
    report.notes += conn.execute(delete(n).where(n.c.customer_id == customer_id)).rowcount
    report.promises += conn.execute(delete(p).where(p.c.customer_id == customer_id)).rowcount
    report.conversations += conn.execute(delete(cv).where(cv.c.customer_id == customer_id)).rowcount
    report.customers += conn.execute(delete(c).where(c.c.id == customer_id)).rowcount
    return needles, draft_ids


def forget_customer(
    store: Store, customer_id: str, actor: Actor | None, *, settings: Settings | None = None
) -> Erasure:
    """Erase one customer's personal data (admins only; :class:`PermissionDenied` otherwise).

    In one transaction: the profile, conversations, messages, notes and promises are deleted;
    the customer's drafts, decisions and outbox rows lose every piece of customer text and the
    customer id, keeping their numbers; the customer's id, name, e-mail and texts are scrubbed
    from audit payloads; one ``customer.forgotten`` event (actor: the admin; payload: counts and
    a salted hash of the id) is recorded. With ``settings`` the data dir's caches and bulk files
    are cleaned too and the SQLite files compacted. An unknown id is an :class:`InputError`.
    """
    who = accounts.require(actor, "forget")
    report = Erasure()
    with store.transaction() as conn:
        _secure_delete(conn)
        needles, draft_ids = _erase_customer_rows(conn, customer_id, report)
        texts = _erase_drafts(conn, draft_ids, needles, report)
        needles = _needles([*needles, *texts])
        report.events = _scrub_events(conn, needles, draft_ids, frozenset({customer_id}))
        store.record_event(
            Event.CUSTOMER_FORGOTTEN,
            actor=who.name,
            payload={"customer": _salted_hash(customer_id), "via": who.via, **report.counts()},
            conn=conn,
        )
    if settings is not None:
        _clean_data_dir(store, settings, needles, report, evals_customer=customer_id)
    return report


# -- retention ----------------------------------------------------------------------------------


def purge_expired(
    store: Store,
    retention_days: int | None,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Erasure:
    """Erase the customer text of conversations whose last message is older than
    ``retention_days`` and that are closed (not ``open``) with no undecided draft, the way
    :func:`forget_customer` does, keeping the customer's profile, notes and promises; decided
    drafts of no conversation older than that lose their text too. None keeps everything."""
    report = Erasure()
    if retention_days is None:
        return report
    if retention_days < 0:
        raise InputError("must be 0 or more", where="setting retention_days")
    cutoff = (now or store.now()) - timedelta(days=retention_days)
    cv, m, d = tables.conversations, tables.messages, tables.drafts
    last = (
        select(m.c.conversation_id, func.max(m.c.at).label("last"))
        .group_by(m.c.conversation_id)
        .subquery()
    )
    with store.transaction() as conn:
        _secure_delete(conn)
        rows = conn.execute(
            select(cv.c.id, cv.c.subject, cv.c.status, cv.c.started_at, last.c.last).outerjoin(
                last, last.c.conversation_id == cv.c.id
            )
        ).all()
        busy = {
            r.conversation_id
            for r in conn.execute(
                select(d.c.conversation_id).where(
                    d.c.status.in_(UNDECIDED_STATUSES), d.c.conversation_id.is_not(None)
                )
            )
        }
        expired = [
            r
            for r in rows
            if r.status != "open" and r.id not in busy and (r.last or r.started_at) < cutoff
        ]
        ids = [r.id for r in expired]
        needles: list[str] = []
        draft_ids: list[int] = []
        if ids:
            texts = [
                r.text for r in conn.execute(select(m.c.text).where(m.c.conversation_id.in_(ids)))
            ]
            texts += _erase_translations(conn, messages=texts)
            needles = _needles([*texts, *(r.subject for r in expired)])
            draft_ids = [
                int(r.id) for r in conn.execute(select(d.c.id).where(d.c.conversation_id.in_(ids)))
            ]
            report.messages = conn.execute(delete(m).where(m.c.conversation_id.in_(ids))).rowcount
            conn.execute(update(cv).where(cv.c.id.in_(ids)).values(subject=""))
            report.conversations = len(ids)
        loose = conn.execute(
            select(d.c.id).where(
                d.c.conversation_id.is_(None),
                d.c.status.not_in(UNDECIDED_STATUSES),
                d.c.updated_at < cutoff,
                d.c.message != "",
            )
        ).all()
        draft_ids += [int(r.id) for r in loose]
        texts = _erase_drafts(conn, draft_ids, needles, report)
        needles = _needles([*needles, *texts])
        if needles:
            report.events = _scrub_events(conn, needles, draft_ids, frozenset())
        if report.conversations or report.drafts:
            store.record_event(
                Event.RETENTION_PURGED,
                actor="system",
                payload={"retention_days": retention_days, **report.counts()},
                conn=conn,
            )
    if settings is not None and needles:
        _clean_data_dir(store, settings, needles, report)
    return report


# -- the data dir: caches, bulk files, compaction ----------------------------------------------


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def compact_sqlite(path: Path) -> bool:
    """Checkpoint the write-ahead log into ``path``, VACUUM it (freed pages are rewritten, not
    left in the file) and truncate the log; False if another connection kept the log busy."""
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        db.execute("PRAGMA secure_delete=ON")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
        busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.close()
    return not (busy and busy[0])


def _clean_cache(path: Path, needles: list[str]) -> int:
    db = sqlite3.connect(path, timeout=30)
    try:
        rows = db.execute("SELECT key, text FROM responses").fetchall()
        gone = [key for key, text in rows if _contains(str(text), needles)]
        db.executemany("DELETE FROM responses WHERE key = ?", [(k,) for k in gone])
        db.commit()
    except sqlite3.DatabaseError:
        return 0
    finally:
        db.close()
    return len(gone)


def _clean_text_file(path: Path, needles: list[str]) -> int:
    """Drop every line of ``path`` holding one of ``needles`` (atomically); the count."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return 0
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if not _contains(line, needles)]
    if len(kept) == len(lines):
        return 0
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(kept), encoding="utf-8")
    os.replace(tmp, path)
    return len(lines) - len(kept)


def _still_found(root: Path, needles: list[str]) -> list[str]:
    encoded = [n.encode("utf-8") for n in needles]
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            blob = path.read_bytes()
        except OSError:
            continue
        if any(n in blob for n in encoded):
            found.append(str(path.relative_to(root)))
    return found


def _clean_data_dir(
    store: Store,
    settings: Settings,
    needles: list[str],
    report: Erasure,
    *,
    evals_customer: str | None = None,
) -> None:
    root = Path(settings.data_dir)
    evals_db = root / "evals.db"
    if evals_customer is not None and evals_db.is_file():
        from assistant.store import Store as _Store

        own = _Store(f"sqlite:///{evals_db}")
        try:
            with own.transaction() as conn:
                _secure_delete(conn)
                exists = conn.execute(
                    select(tables.customers.c.id).where(tables.customers.c.id == evals_customer)
                ).first()
                if exists is not None:
                    more, ids = _erase_customer_rows(conn, evals_customer, Erasure())
                    needles = _needles(
                        [*needles, *more, *_erase_drafts(conn, ids, more, Erasure())]
                    )
        finally:
            own.dispose()
    cache = root / "eval-cache.sqlite"
    if cache.is_file():
        report.cache_entries += _clean_cache(cache, needles)
    bulk = root / "bulk"
    if bulk.is_dir():
        for path in sorted(p for p in bulk.rglob("*") if p.is_file()):
            dropped = _clean_text_file(path, needles)
            if dropped:
                report.file_lines += dropped
                report.files.append(str(path.relative_to(root)))
    store.dispose()
    for db in (_sqlite_path(store.url), evals_db, cache):
        if db is not None and db.is_file():
            compact_sqlite(db)
            report.compacted.append(
                str(db.relative_to(root)) if db.is_relative_to(root) else str(db)
            )
    if root.is_dir():
        report.still_found = _still_found(root, [n for n in needles if len(n) >= 3])


# -- backup and restore ---------------------------------------------------------------------------


@dataclass
class BackupReport:
    """What a backup copied (its manifest) and what it could not."""

    path: str
    manifest: dict[str, Any]
    not_copied: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sqlite_copy(src: Path, dest: Path) -> None:
    """A consistent copy of a live SQLite database through the online backup API."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _stat(paths: list[Path]) -> list[tuple[str, int, int]]:
    out = []
    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        out.append((str(p), st.st_size, st.st_mtime_ns))
    return out


def _copy_plain(files: list[Path], src_root: Path, dest_root: Path, attempts: int = 5) -> None:
    """Copy plain files, again while one changed during the copy (a concurrent writer)."""
    for _ in range(attempts):
        before = _stat(files)
        for f in files:
            target = dest_root / f.relative_to(src_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(f, target)
            except FileNotFoundError:
                continue
        if _stat(files) == before:
            return


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _skip(path: Path) -> bool:
    return path.name.endswith(SQLITE_SUFFIXES) or path.name.startswith(".")


def backup(settings: Settings, dest: Path, *, store: Store | None = None) -> BackupReport:
    """Copy the data dir's records and index to ``dest`` (a new or empty folder) while the app
    runs: every SQLite file through the online backup API, the Chroma folder's other files
    first and its ``chroma.sqlite3`` after them (Chroma replays its log over older segment
    files), the rest copied; into a temporary folder that is moved into place at the end, with a
    ``manifest.json`` (created_at, files with sizes and SHA-256, the records' revision).

    A PostgreSQL database or a Chroma server is not copied: ``not_copied`` says so (use
    ``pg_dump`` and the Chroma server's own persistence folder).
    """
    from assistant.store import Store, utcnow

    root = Path(settings.data_dir)
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError("the backup folder exists and is not empty", where=str(dest))
    if not root.is_dir():
        raise InputError("no data here: run `reply-assistant init` first", where=str(root))
    not_copied = []
    if settings.database_url and _sqlite_path(settings.database_url) is None:
        not_copied.append("records: ASSISTANT_DATABASE_URL is not SQLite; back it up with pg_dump")
    if settings.chroma_url:
        not_copied.append(
            "knowledge index: ASSISTANT_CHROMA_URL is a Chroma server; back up the server's "
            "persistence folder (or re-ingest the help center)"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        files = [p for p in sorted(root.rglob("*")) if p.is_file() and not _skip(p)]
        databases = [p for p in files if _is_sqlite(p)]
        plain = [p for p in files if p not in databases]
        chroma = root / "chroma"
        if settings.chroma_url:
            plain = [p for p in plain if not p.is_relative_to(chroma)]
            databases = [p for p in databases if not p.is_relative_to(chroma)]
        _copy_plain(plain, root, tmp)
        # the records and the Chroma log after the segment files they must not be older than
        for db in sorted(databases, key=lambda p: p.is_relative_to(chroma)):
            _sqlite_copy(db, tmp / db.relative_to(root))
        revision = None
        records = _sqlite_path(settings.db_url)
        if records is not None and (tmp / records.name).is_file():
            copy = Store(f"sqlite:///{tmp / records.name}")
            try:
                applied = copy.applied_migrations()
            finally:
                copy.dispose()
            revision = applied[-1] if applied else None
            for suffix in SQLITE_SUFFIXES:
                (tmp / f"{records.name}{suffix}").unlink(missing_ok=True)
        elif store is not None:
            applied = store.applied_migrations()
            revision = applied[-1] if applied else None
        manifest = {
            "created_at": utcnow().isoformat(),
            "revision": revision,
            "files": [
                {"path": str(p.relative_to(tmp)), "bytes": p.stat().st_size, "sha256": _sha256(p)}
                for p in sorted(tmp.rglob("*"))
                if p.is_file()
            ],
            "not_copied": not_copied,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        if dest.exists():
            dest.rmdir()
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BackupReport(path=str(dest), manifest=manifest, not_copied=not_copied)


def read_manifest(src: Path) -> dict[str, Any]:
    """A backup's manifest, its files checked against their sizes and hashes."""
    path = Path(src) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("not a backup (no manifest.json)", where=str(src)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", where=str(path)) from None
    for entry in manifest.get("files", []):
        f = Path(src) / entry["path"]
        if not f.is_file() or f.stat().st_size != entry["bytes"] or _sha256(f) != entry["sha256"]:
            raise InputError("missing or changed since the backup", where=str(f))
    return dict(manifest)


def restore(src: Path, data_dir: Path, *, force: bool = False) -> dict[str, Any]:
    """Restore a backup into ``data_dir`` (new or empty; with ``force`` an existing one is
    replaced); the manifest. The copy goes to a temporary folder moved into place at the end."""
    src, data_dir = Path(src), Path(data_dir)
    manifest = read_manifest(src)
    occupied = data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir()))
    if occupied and not force:
        raise InputError(
            "the data dir is not empty; restore into a new one, or pass --force to replace it",
            where=str(data_dir),
        )
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restore.", dir=data_dir.parent))
    try:
        for entry in manifest["files"]:
            target = tmp / entry["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / entry["path"], target)
        shutil.copy2(src / MANIFEST, tmp / "restored-from.json")
        old = None
        if data_dir.exists():
            old = data_dir.with_name(f".{data_dir.name}.old-{secrets.token_hex(4)}")
            os.replace(data_dir, old)
        os.replace(tmp, data_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest
