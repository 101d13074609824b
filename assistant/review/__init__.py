"""Human review: approve (with edits) or reject a draft, the outbox, and what reviews teach us.

Nothing reaches a customer without a person's approval. ``approve`` re-checks the final text
against the playbook, then in ONE transaction stores the decision (final text, reviewer, edit
distance from the model's output, seconds from draft to decision), marks the draft approved,
queues the text in the outbox and writes an audit event. Drafts are locked optimistically on
``drafts.version``: a reviewer who read an older version gets :class:`ConflictError`. A draft
whose customer wrote again after it was made is stale: approving it needs ``confirm_stale``.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from rapidfuzz.distance import Levenshtein
from sqlalchemy import Connection, func, insert, select, update

from assistant import accounts
from assistant import store as tables
from assistant.accounts import Actor
from assistant.errors import ApprovalBlocked, ConflictError, InputError, StaleDraftError
from assistant.events import Event
from assistant.models import DECIDED_STATUSES, IN_PROGRESS_STATUSES, CheckResult, Finding
from assistant.store import Store

Checker = Callable[[str, dict[str, Any]], CheckResult]
"""Checks a final text given the draft record it belongs to."""

EXPORT_FORMATS = ("csv", "jsonl")


class Decision(BaseModel):
    """A reviewer's decision on a draft."""

    id: int
    draft_id: int
    action: Literal["approved", "edited_approved", "rejected"]
    final_text: str | None = None
    reviewer: str
    reason: str | None = None
    override_reason: str | None = None
    edit_distance: int | None = None
    seconds_to_decide: float | None = None
    created_at: datetime
    findings: list[Finding] = []


class OutboxItem(BaseModel):
    """An approved reply waiting to be sent (or sent)."""

    id: int
    draft_id: int
    decision_id: int
    customer_id: str | None = None
    conversation_id: str | None = None
    channel: str
    text: str
    status: str
    created_at: datetime
    sent_at: datetime | None = None
    reviewer: str = ""
    destination: dict[str, Any] | None = None
    """Where a channel adapter sends it (None: by hand, copy or export)."""
    external_id: str | None = None
    attempts: int = 0
    error: str | None = None
    next_attempt_at: datetime | None = None

    @property
    def sends_itself(self) -> bool:
        """True when a channel adapter delivers this reply (a helpdesk, the mailbox)."""
        return bool(self.destination)


# -- checking ---------------------------------------------------------------------------------


def make_checker(
    store: Store, *, known_urls: set[str] | None = None, ui_lang: str = "ko"
) -> Checker:
    """The playbook checker for a draft record: its channel, language, message and customer;
    a draft the agent wrote in another language and had translated is also held to that
    original (rule T1, :func:`assistant.translate.consistency`)."""

    def check(text: str, draft: dict[str, Any]) -> CheckResult:
        from assistant import history, playbook, translate

        customer = (
            history.get_customer(store, draft["customer_id"]) if draft.get("customer_id") else None
        )
        result = playbook.check(
            text,
            channel=draft.get("channel") or "email",
            lang=draft.get("language") or None,
            customer_message=draft.get("message") or None,
            customer=customer,
            known_urls=known_urls,
            situations=list(draft.get("situations") or []),
            ui_lang=ui_lang,
            system_prompt=next(
                (
                    str(m.get("content") or "")
                    for m in draft.get("rendered_messages") or []
                    if isinstance(m, dict) and m.get("role") == "system"
                ),
                None,
            ),
        )
        result.findings += translate.consistency(store, draft, text, ui_lang)
        return result

    return check


# -- reading ----------------------------------------------------------------------------------


def _draft_row(conn: Connection, draft_id: int) -> dict[str, Any]:
    d = tables.drafts
    row = conn.execute(select(d).where(d.c.id == draft_id)).mappings().first()
    if row is None:
        raise InputError(f"no draft {draft_id}", where="draft")
    return dict(row)


def newer_customer_message(conn: Connection, draft: dict[str, Any]) -> datetime | None:
    """When the customer last wrote in the draft's conversation after the draft was made."""
    if not draft.get("conversation_id"):
        return None
    m = tables.messages
    latest = conn.execute(
        select(func.max(m.c.at)).where(
            m.c.conversation_id == draft["conversation_id"],
            m.c.role == "customer",
            m.c.at > draft["created_at"],
        )
    ).scalar()
    return tables.UTCDateTime().process_result_value(latest, conn.dialect) if latest else None


def is_stale(store: Store, draft_id: int) -> bool:
    """True when the draft is marked stale or its customer wrote again after it was made."""
    with store.engine.connect() as conn:
        draft = _draft_row(conn, draft_id)
        return draft["status"] == "stale" or newer_customer_message(conn, draft) is not None


def _check_version(draft: dict[str, Any], expected_version: int) -> None:
    if draft["version"] != expected_version:
        raise ConflictError(
            f"draft {draft['id']} changed meanwhile (version {draft['version']}, you read "
            f"{expected_version}); reload it and decide again",
            draft_id=draft["id"],
        )
    if draft["status"] in DECIDED_STATUSES:
        raise ConflictError(
            f"draft {draft['id']} is already {draft['status']}", draft_id=draft["id"]
        )


def _check_stale(conn: Connection, draft: dict[str, Any], confirm_stale: bool) -> None:
    if confirm_stale:
        return
    if draft["status"] == "stale" or newer_customer_message(conn, draft) is not None:
        raise StaleDraftError(
            f"the customer wrote again after draft {draft['id']} was made; read the new message, "
            "then redraft or confirm this reply still fits",
            draft_id=draft["id"],
        )


def _require(value: str | None, field: str, what: str) -> str:
    if value is None or not value.strip():
        raise InputError(f"{what} is required", where=field)
    return value.strip()


# -- deciding ---------------------------------------------------------------------------------


def approve(
    store: Store,
    draft_id: int,
    *,
    final_text: str,
    reviewer: Actor,
    expected_version: int,
    override_reason: str | None = None,
    checker: Checker | None = None,
    confirm_stale: bool = False,
) -> Decision:
    """Approve a draft with its final text as the signed-in ``reviewer``; queue it in the
    outbox. One transaction.

    Raises PermissionDenied (the role may not approve, or may not override the findings),
    InputError (empty text), ApprovalBlocked (error findings and no ``override_reason``),
    StaleDraftError (customer wrote again; pass ``confirm_stale``), ConflictError (someone else
    changed or decided the draft since ``expected_version``).
    """
    accounts.require(reviewer, "approve")
    text = _require(final_text, "final_text", "the reply text")
    override = override_reason.strip() if override_reason and override_reason.strip() else None
    draft = store.get_draft(draft_id)
    if draft is None:
        raise InputError(f"no draft {draft_id}", where="draft")
    result = (checker or make_checker(store))(text, draft)
    if not result.ok:
        rules = ", ".join(sorted({f.rule for f in result.errors}))
        if override is None:
            raise ApprovalBlocked(
                f"the reply still breaks the playbook ({rules}); fix it or give an override reason",
                findings=result.errors,
            )
        accounts.require(reviewer, "override")
    with store.transaction() as conn:
        current = _draft_row(conn, draft_id)
        _check_version(current, expected_version)
        _check_stale(conn, current, confirm_stale)
        decision = _store_decision(
            store, conn, current, text=text, reviewer=reviewer, override=override, result=result
        )
        _queue(store, conn, current, decision)
    return decision


def _set_status(conn: Connection, store: Store, draft: dict[str, Any], status: str) -> None:
    d = tables.drafts
    done = conn.execute(
        update(d)
        .where(d.c.id == draft["id"], d.c.version == draft["version"])
        .values(status=status, version=d.c.version + 1, updated_at=store.now())
    )
    if done.rowcount != 1:
        raise ConflictError(f"draft {draft['id']} changed meanwhile", draft_id=draft["id"])


def _store_decision(
    store: Store,
    conn: Connection,
    draft: dict[str, Any],
    *,
    text: str,
    reviewer: Actor,
    override: str | None,
    result: CheckResult,
) -> Decision:
    now = store.now()
    output = draft.get("output") or ""
    distance = int(Levenshtein.distance(output.strip(), text))
    values: dict[str, Any] = dict(
        draft_id=draft["id"],
        action="approved" if distance == 0 else "edited_approved",
        final_text=text,
        reviewer=reviewer.name,
        override_reason=override,
        edit_distance=distance,
        seconds_to_decide=round((now - draft["created_at"]).total_seconds(), 3),
        created_at=now,
    )
    payload = {
        "action": values["action"],
        "edit_distance": distance,
        "override_reason": override,
        "findings": [f.rule for f in result.findings],
        "via": reviewer.via,
    }
    decision_id = _record_decision(store, conn, draft, values, "approved", payload)
    return Decision(id=decision_id, findings=result.findings, **values)


def _record_decision(
    store: Store,
    conn: Connection,
    draft: dict[str, Any],
    values: dict[str, Any],
    status: str,
    payload: dict[str, Any],
) -> int:
    """Move the draft to ``status``, insert the decision row and its ``draft.<status>`` event
    (the payload gains the decision's id); return that id. Inside the caller's transaction."""
    _set_status(conn, store, draft, status)
    decision_id = tables.inserted_id(conn.execute(insert(tables.decisions).values(**values)))
    store.record_event(
        Event(f"draft.{status}"),
        draft_id=draft["id"],
        actor=values["reviewer"],
        payload={"decision_id": decision_id, **payload},
        conn=conn,
    )
    return decision_id


def _queue(store: Store, conn: Connection, draft: dict[str, Any], decision: Decision) -> None:
    """Queue the approved text; a conversation that came through a channel adapter gives the
    outbox row its destination (copied now, so the reply goes where the customer wrote from)."""
    destination = None
    if draft.get("conversation_id"):
        cv = tables.conversations
        destination = conn.execute(
            select(cv.c.reply_to).where(cv.c.id == draft["conversation_id"])
        ).scalar()
    conn.execute(
        insert(tables.outbox).values(
            draft_id=draft["id"],
            decision_id=decision.id,
            customer_id=draft.get("customer_id"),
            channel=draft.get("channel") or "email",
            text=decision.final_text or "",
            status="queued",
            created_at=decision.created_at,
            destination=destination,
            attempts=0,
        )
    )


def reject(
    store: Store, draft_id: int, *, reviewer: Actor, reason: str, expected_version: int
) -> Decision:
    """Reject a draft as the signed-in ``reviewer``; the reason is required (it steers the
    prompts). One transaction."""
    accounts.require(reviewer, "reject")
    why = _require(reason, "reason", "a reason for rejecting")
    who = reviewer.name
    with store.transaction() as conn:
        draft = _draft_row(conn, draft_id)
        _check_version(draft, expected_version)
        now = store.now()
        values: dict[str, Any] = dict(
            draft_id=draft_id,
            action="rejected",
            reviewer=who,
            reason=why,
            seconds_to_decide=round((now - draft["created_at"]).total_seconds(), 3),
            created_at=now,
        )
        payload = {"reason": why, "via": reviewer.via}
        decision_id = _record_decision(store, conn, draft, values, "rejected", payload)
    return Decision(id=decision_id, **values)


def mark_stale_for_conversation(
    store: Store, conversation_id: str, *, since: datetime | None = None, actor: str = ""
) -> list[int]:
    """Mark open drafts of a conversation made before ``since`` (default: now) stale; their ids.

    Call it when the customer writes again: those drafts answer an older message.
    """
    cutoff = since or store.now()
    d = tables.drafts
    with store.transaction() as conn:
        ids = [
            r.id
            for r in conn.execute(
                select(d.c.id).where(
                    d.c.conversation_id == conversation_id,
                    d.c.status.in_(IN_PROGRESS_STATUSES),
                    d.c.created_at < cutoff,
                )
            )
        ]
        if ids:
            conn.execute(
                update(d)
                .where(d.c.id.in_(ids))
                .values(status="stale", version=d.c.version + 1, updated_at=store.now())
            )
        for draft_id in ids:
            store.record_event(Event.DRAFT_STALE, draft_id=draft_id, actor=actor, conn=conn)
    return ids


# -- the outbox -------------------------------------------------------------------------------


def outbox(store: Store, *, status: str | None = None, limit: int = 500) -> list[OutboxItem]:
    """Approved replies, newest first; ``status`` "queued" or "sent" to filter."""
    o, d, dec = tables.outbox, tables.drafts, tables.decisions
    stmt = (
        select(o, d.c.conversation_id, dec.c.reviewer)
        .join(d, d.c.id == o.c.draft_id)
        .join(dec, dec.c.id == o.c.decision_id)
        .order_by(o.c.id.desc())
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(o.c.status == status)
    with store.engine.connect() as conn:
        return [OutboxItem(**dict(r)) for r in conn.execute(stmt).mappings()]


def mark_sent(store: Store, decision_id: int, *, actor: str = "") -> OutboxItem:
    """Mark the outbox entry of a decision sent by hand (copied or exported); the reply joins
    the customer's conversation."""
    o = tables.outbox
    with store.engine.connect() as conn:
        row = conn.execute(select(o.c.id).where(o.c.decision_id == decision_id)).first()
    if row is None:
        raise InputError(f"no outbox entry for decision {decision_id}", where="decision")
    record_sent(store, row.id, actor=actor)
    return next(i for i in outbox(store) if i.decision_id == decision_id)


def record_sent(
    store: Store,
    outbox_id: int,
    *,
    actor: str = "",
    external_id: str | None = None,
    allowed: tuple[str, ...] = ("queued", "retry", "failed", "uncertain"),
) -> None:
    """Record that the reply of one outbox entry reached the customer (by hand, or through a
    channel adapter whose message id is ``external_id``): the entry and its draft become
    ``sent``, a ``reply.sent`` event is written and the reply joins the conversation. Only from
    a status in ``allowed`` (a second recording is a ConflictError). One transaction."""
    o, d = tables.outbox, tables.drafts
    now = store.now()
    with store.transaction() as conn:
        row = conn.execute(select(o).where(o.c.id == outbox_id)).first()
        if row is None:
            raise InputError(f"no outbox entry {outbox_id}", where="outbox")
        if row.status == "sent":
            raise ConflictError(
                f"decision {row.decision_id} was already sent", draft_id=row.draft_id
            )
        if row.status not in allowed:
            raise ConflictError(f"outbox entry {outbox_id} is {row.status}", draft_id=row.draft_id)
        conn.execute(
            update(o)
            .where(o.c.id == row.id)
            .values(status="sent", sent_at=now, external_id=external_id, error=None)
        )
        conn.execute(
            update(d)
            .where(d.c.id == row.draft_id)
            .values(status="sent", version=d.c.version + 1, updated_at=now)
        )
        payload: dict[str, Any] = {"decision_id": row.decision_id, "outbox_id": row.id}
        if row.destination:
            payload.update(to=row.destination.get("source"), external_id=external_id)
        store.record_event(
            Event.REPLY_SENT, draft_id=row.draft_id, actor=actor, payload=payload, conn=conn
        )
    _record_reply(store, row.draft_id, row.text, now)


def _record_reply(store: Store, draft_id: int, text: str, at: datetime) -> None:
    draft = store.get_draft(draft_id)
    if draft and draft.get("customer_id") and draft.get("conversation_id"):
        from assistant import history

        history.record_message(
            store,
            draft["customer_id"],
            draft["conversation_id"],
            "agent",
            text,
            draft.get("channel") or "email",
            at=at,
        )


EXPORT_FIELDS = (
    "id",
    "draft_id",
    "decision_id",
    "customer_id",
    "conversation_id",
    "channel",
    "status",
    "reviewer",
    "created_at",
    "sent_at",
    "text",
)


def export_outbox(store: Store, fmt: str = "csv", *, status: str | None = None) -> str:
    """The outbox as CSV (header + one row per reply) or JSONL (one JSON object a line)."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown format {fmt!r} (use csv or jsonl)", where="format")
    rows = [
        {k: v for k, v in item.model_dump(mode="json").items() if k in EXPORT_FIELDS}
        for item in outbox(store, status=status)
    ]
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# -- analytics --------------------------------------------------------------------------------


def _summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "median": None}
    return {
        "mean": round(statistics.fmean(values), 2),
        "median": round(float(statistics.median(values)), 2),
    }


def _rates(actions: list[str]) -> dict[str, Any]:
    counts = Counter(actions)
    total = len(actions)
    as_is, edited, rejected = (
        counts["approved"],
        counts["edited_approved"],
        counts["rejected"],
    )
    share = (lambda n: round(n / total, 4)) if total else (lambda n: None)
    return {
        "decided": total,
        "approved_as_is": as_is,
        "edited": edited,
        "rejected": rejected,
        "rate_as_is": share(as_is),
        "rate_edited": share(edited),
        "rate_rejected": share(rejected),
        "acceptance_rate": share(as_is + edited),
    }


class AuditEntry(BaseModel):
    """One line of a draft's audit trail."""

    at: datetime
    kind: str
    actor: str
    via: str | None = None
    override_reason: str | None = None
    reason: str | None = None
    edit_distance: int | None = None
    findings: list[str] = []


def audit(store: Store, draft_id: int) -> list[AuditEntry]:
    """Who did what to a draft, in order: who asked for it and from which front end, who
    approved (and how much they edited), rejected, overrode which findings with what reason,
    and when it was sent."""
    entries = []
    for e in store.list_events(draft_id=draft_id):
        payload = e.get("payload") or {}
        entries.append(
            AuditEntry(
                at=e["at"],
                kind=e["kind"],
                actor=e["actor"] or "",
                via=payload.get("via"),
                override_reason=payload.get("override_reason"),
                reason=payload.get("reason"),
                edit_distance=payload.get("edit_distance"),
                findings=[str(r) for r in payload.get("findings") or []],
            )
        )
    return entries


def reviewers(store: Store) -> list[str]:
    """Everyone who has decided a draft, by name (Analytics filters by them)."""
    dec = tables.decisions
    with store.engine.connect() as conn:
        rows = conn.execute(select(dec.c.reviewer).distinct().order_by(dec.c.reviewer))
        return [str(r) for (r,) in rows if r]


def analytics(store: Store, *, reviewer: str | None = None) -> dict[str, Any]:
    """What reviews say: acceptance (as is / edited / rejected), edit distance, time to decide,
    findings by rule, reject reasons and overrides, overall and per prompt version × model;
    with ``reviewer``, only that agent's decisions."""
    d, dec = tables.drafts, tables.decisions
    stmt = select(dec, d.c.prompt_version, d.c.model).join(d, d.c.id == dec.c.draft_id)
    if reviewer:
        stmt = stmt.where(dec.c.reviewer == reviewer)
    with store.engine.connect() as conn:
        decided = [dict(r) for r in conn.execute(stmt).mappings()]
        all_drafts = [dict(r) for r in conn.execute(select(d.c.findings, d.c.status)).mappings()]
    edits = [float(r["edit_distance"]) for r in decided if r["edit_distance"] is not None]
    approved = [r for r in decided if r["action"] != "rejected"]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in decided:
        groups[(r["prompt_version"] or "", r["model"] or "")].append(r)
    return {
        "drafts": len(all_drafts),
        "drafts_by_status": dict(Counter(r["status"] for r in all_drafts)),
        **_rates([r["action"] for r in decided]),
        "edit_distance": _summary(edits),
        "seconds_to_approve": _summary(
            [float(r["seconds_to_decide"]) for r in approved if r["seconds_to_decide"] is not None]
        ),
        "overrides": sum(1 for r in decided if r["override_reason"]),
        "reject_reasons": dict(Counter(r["reason"] for r in decided if r["action"] == "rejected")),
        "findings_by_rule": dict(
            sorted(
                Counter(
                    f.get("rule")
                    for r in all_drafts
                    for f in (r["findings"] or [])
                    if f.get("rule")
                ).items()
            )
        ),
        "by_prompt_version": [
            {
                "prompt_version": version,
                "model": model,
                **_rates([r["action"] for r in rows]),
                "edit_distance": _summary(
                    [float(r["edit_distance"]) for r in rows if r["edit_distance"] is not None]
                ),
            }
            for (version, model), rows in sorted(groups.items())
        ],
    }
