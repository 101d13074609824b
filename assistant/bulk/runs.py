"""Bulk runs in the records store: the run, its posts, and the drafts they got.

A run is a row of ``bulk_runs`` named by its output path; each finished post is a row of
``bulk_posts`` holding its output record. A drafted post's reply is an ordinary draft in the
``drafts`` table (channel = the post's platform), so approving or rejecting it goes through
:mod:`assistant.review`, the one review path: re-checked, audited, queued in the outbox and
counted in analytics like any other reply. Each post is committed as it finishes, so a crash
loses only the posts in flight, and a rerun skips what is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from assistant import store as tables
from assistant.errors import InputError

if TYPE_CHECKING:
    from assistant.models import Draft
    from assistant.pipeline import Deps
    from assistant.store import Store

REVIEW_FIELDS = frozenset({"decision", "final", "edited", "version", "decided_at", "rules"})
"""Fields :func:`records` adds to a post's output record (not part of the output line)."""

DECIDED = {"approved": "approved", "sent": "approved", "rejected": "rejected"}
"""Draft status → the bulk review decision it means (anything else is pending)."""


def open_run(store: Store, name: str, *, input: str = "", model: str | None = None) -> int:
    """The id of the run called ``name``, created if new."""
    r = tables.bulk_runs
    with store.transaction() as conn:
        found = conn.execute(select(r.c.id).where(r.c.name == name)).scalar()
        if found is not None:
            conn.execute(
                update(r).where(r.c.id == found).values(updated_at=store.now(), model=model)
            )
            return int(found)
        now = store.now()
        values = dict(name=name, input=input, model=model, created_at=now, updated_at=now)
        return tables.inserted_id(conn.execute(insert(r).values(**values)))


def find_run(store: Store, name: str) -> int | None:
    """The id of the run called ``name``, or None."""
    r = tables.bulk_runs
    with store.engine.connect() as conn:
        found = conn.execute(select(r.c.id).where(r.c.name == name)).scalar()
    return int(found) if found is not None else None


def list_runs(store: Store) -> list[dict[str, Any]]:
    """Every run (id, name, input, model, created_at, updated_at, posts), newest first."""
    r, p = tables.bulk_runs, tables.bulk_posts
    with store.engine.connect() as conn:
        runs = [dict(x) for x in conn.execute(select(r).order_by(r.c.updated_at.desc())).mappings()]
        for run in runs:
            run["posts"] = len(conn.execute(select(p.c.id).where(p.c.run_id == run["id"])).all())
    return runs


def set_issues(store: Store, run_id: int, issues: list[dict[str, Any]]) -> None:
    """Remember the input file's problems (bad rows) for the run's summary."""
    with store.transaction() as conn:
        conn.execute(
            update(tables.bulk_runs).where(tables.bulk_runs.c.id == run_id).values(issues=issues)
        )


def statuses(store: Store, run_id: int) -> dict[str, str]:
    """``{post key: status}`` of the posts stored for a run."""
    p = tables.bulk_posts
    with store.engine.connect() as conn:
        rows = conn.execute(select(p.c.key, p.c.status).where(p.c.run_id == run_id))
        return {str(k): str(s) for k, s in rows}


def save_post(
    deps: Deps,
    run_id: int,
    record: dict[str, Any],
    draft: Draft | None,
    *,
    claim: str | None = None,
) -> int | None:
    """Store one finished post and, for a drafted one, its reply as a draft, in one transaction
    (the draft row, its ``draft.created`` event and the post's row commit together or not at
    all). Without ``claim`` an earlier try of the post is replaced. With ``claim`` (a status such
    as ``queued``) the post's row is updated only while it still has that status: when another
    worker stored the post first, nothing is written and :class:`AlreadyStored` is raised.
    Returns the draft's id, if any."""
    p = tables.bulk_posts
    key = str(record["key"])
    with deps.store.transaction() as conn:
        draft_id = _insert_draft(deps, conn, record, draft) if draft is not None else None
        record = {**record, "draft_id": draft_id}
        values = dict(
            line=record.get("line"),
            status=str(record.get("status")),
            draft_id=draft_id,
            record=record,
            edited_text=None,
            updated_at=deps.store.now(),
        )
        if claim is None:
            conn.execute(delete(p).where(p.c.run_id == run_id, p.c.key == key))
            conn.execute(insert(p).values(run_id=run_id, key=key, **values))
        else:
            mine = p.c.run_id == run_id, p.c.key == key, p.c.status == claim
            if conn.execute(update(p).where(*mine).values(**values)).rowcount != 1:
                raise AlreadyStored(key)  # rolls the draft back with it
    return draft_id


class AlreadyStored(Exception):
    """The post was stored by someone else first (see :func:`save_post`'s ``claim``)."""


def _insert_draft(deps: Deps, conn: Connection, record: dict[str, Any], draft: Draft) -> int:
    """Insert a bulk post's reply as a ``ready`` draft (and its audit event) inside ``conn``."""
    from assistant.events import Event
    from assistant.pipeline import finished_fields

    draft.trace["bulk"] = {"post": record.get("key"), "id": record.get("id")}
    now = deps.store.now()
    values = dict(
        finished_fields(draft),
        channel=draft.channel,
        message=str(record.get("text") or ""),
        language=draft.language,
        situations=draft.situations,
        sentiment=draft.sentiment,
        urgency=draft.urgency,
        model=draft.model or deps.settings.model,
        sources=[s.model_dump() for s in draft.sources],
        created_at=now,
        updated_at=now,
        version=1,
    )
    draft_id = tables.inserted_id(conn.execute(insert(tables.drafts).values(**values)))
    draft.id = draft_id
    payload = {"via": "bulk", "model": deps.settings.model}
    deps.store.record_event(
        Event.DRAFT_CREATED, draft_id=draft_id, actor="bulk", payload=payload, conn=conn
    )
    return draft_id


def records(store: Store, run_id: int) -> list[dict[str, Any]]:
    """The run's output records in input order, each with its review state: ``decision``
    (pending/approved/rejected), ``final`` (the approved text, else the saved edit, else the
    draft), ``edited``, ``draft_id``, ``version`` (of the draft, for optimistic locking)."""
    p, d, dec = tables.bulk_posts, tables.drafts, tables.decisions
    stmt = (
        select(p.c.record, p.c.edited_text, d.c.status, d.c.version, d.c.id)
        .select_from(p.outerjoin(d, p.c.draft_id == d.c.id))
        .where(p.c.run_id == run_id)
        .order_by(p.c.line, p.c.id)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).all()
        finals = _final_texts(conn, [r.id for r in rows if r.id is not None], dec)
    out = []
    for rec, edited_text, status, version, draft_id in rows:
        r = dict(rec)
        approved_text, decided_at = finals.get(draft_id, (None, None))
        final = approved_text or edited_text or r.get("draft")
        r.update(
            decision=DECIDED.get(str(status), "pending"),
            final=final,
            edited=bool(final is not None and final != r.get("draft")),
            draft_id=draft_id,
            version=version,
            decided_at=decided_at.isoformat(timespec="seconds") if decided_at else None,
            rules=sorted({str(f.get("rule")) for f in r.get("findings") or []}),
        )
        out.append(r)
    return out


def _final_texts(
    conn: Connection, draft_ids: list[int], dec: Any
) -> dict[int | None, tuple[str | None, datetime | None]]:
    """Draft id → (approved text or None for a rejection, when it was decided)."""
    if not draft_ids:
        return {}
    rows = conn.execute(
        select(dec.c.draft_id, dec.c.final_text, dec.c.created_at)
        .where(dec.c.draft_id.in_(draft_ids))
        .order_by(dec.c.id)
    )
    return {int(r.draft_id): (r.final_text, r.created_at) for r in rows}


def save_edit(store: Store, run_id: int, key: str, text: str) -> None:
    """Keep an edited reply for a post without deciding it."""
    p = tables.bulk_posts
    with store.transaction() as conn:
        done = conn.execute(
            update(p)
            .where(p.c.run_id == run_id, p.c.key == key)
            .values(edited_text=text, updated_at=store.now())
        )
    if done.rowcount != 1:
        raise InputError(f"no post {key!r} in this run", where="key")


def issues(store: Store, run_id: int) -> list[dict[str, Any]]:
    """The input file's problems recorded for the run."""
    r = tables.bulk_runs
    with store.engine.connect() as conn:
        found = conn.execute(select(r.c.issues).where(r.c.id == run_id)).scalar()
    return list(found or [])
