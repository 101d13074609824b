"""Sending approved replies through their channel exactly once (the outbox pattern).

An outbox entry whose conversation came through a channel adapter carries a ``destination``.
:func:`send_one` records the send **before** it talks to the channel (``sending``, the time, one
more attempt: a compare-and-set on the attempt count, so of two processes only one wins the
entry) and **after** (``sent`` with the channel's id, through :func:`assistant.review.record_sent`).

When a process dies between the two, the entry stays ``sending``. After ``send_lease`` seconds
another process takes it over, and first asks the channel whether the reply arrived
(:meth:`~assistant.channels.Adapter.find_sent`): found, it is recorded sent without a second
send; not found, it is sent; the channel cannot tell, it becomes ``uncertain`` and waits for a
person. A send the channel refused is ``retry`` (tried again later by itself, with a growing
pause) or ``failed`` (a person retries it from the Outbox); the reply stays approved either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update

from assistant import store as tables
from assistant.channels import Adapter, CannotTell, SendError
from assistant.errors import ConflictError, InputError
from assistant.events import Event

if TYPE_CHECKING:
    from assistant.accounts import Actor
    from assistant.config import Settings
    from assistant.store import Store

OUTBOX_STATUSES = ("queued", "sending", "retry", "unconfirmed", "failed", "uncertain", "sent")
"""An outbox entry's states: ``unconfirmed`` is a ``retry`` whose last request got no answer
(the next try looks the reply up at the channel first)."""
BACKOFF_S = (5, 30, 120, 600, 1800)
"""Pauses before the next automatic try, by the number of tries so far (then the last one)."""
MAX_TRIES = 8
"""Automatic tries before a send that keeps failing waits for a person."""


@dataclass
class SendResult:
    """What one call of :func:`send_one` did."""

    outbox_id: int
    status: str
    external_id: str | None = None
    error: str | None = None
    recovered: bool = False
    """True when the reply was found at the channel after a cut-off send (not sent again)."""
    to: str = ""
    """The channel (its adapter's ``source``)."""


def due(
    store: Store, sources: set[str], *, lease_s: float, limit: int = 50
) -> list[tuple[int, str]]:
    """Outbox entries a channel adapter should send now, oldest first: (id, channel source)."""
    o, now = tables.outbox, store.now()
    stale = now - timedelta(seconds=lease_s)
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(o.c.id, o.c.destination)
            .where(
                or_(
                    o.c.status == "queued",
                    o.c.status.in_(("retry", "unconfirmed"))
                    & or_(o.c.next_attempt_at.is_(None), o.c.next_attempt_at <= now),
                    (o.c.status == "sending") & (o.c.claimed_at <= stale),
                ),
                o.c.destination.is_not(None),
            )
            .order_by(o.c.id)
            .limit(limit)
        ).all()
    found = [(r.id, str((r.destination or {}).get("source", ""))) for r in rows]
    return [(outbox_id, source) for outbox_id, source in found if source in sources]


def send_due(store: Store, adapters: dict[str, Adapter], *, lease_s: float) -> list[SendResult]:
    """Send every due entry whose channel is configured; what happened to each."""
    return [
        send_one(store, outbox_id, adapters[source], lease_s=lease_s)
        for outbox_id, source in due(store, set(adapters), lease_s=lease_s)
    ]


def send_one(store: Store, outbox_id: int, adapter: Adapter, *, lease_s: float) -> SendResult:
    """Send one approved reply through ``adapter``, exactly once (see the module's docstring)."""
    row = _row(store, outbox_id)
    if row["status"] == "sent":
        return SendResult(outbox_id, "sent", row["external_id"])
    cut_off = row["status"] in ("sending", "unconfirmed")
    if not _claim(store, row, lease_s):
        return SendResult(outbox_id, _row(store, outbox_id)["status"])
    destination = dict(row["destination"] or {})
    if cut_off:
        since = (row["claimed_at"] or row["created_at"]) - timedelta(seconds=5)
        try:
            found = adapter.find_sent(destination, row["text"], since)
        except CannotTell as exc:
            return _uncertain(store, row, str(exc))
        if found is not None:
            return _sent(store, row, found, recovered=True)
    try:
        external_id = adapter.send_reply(destination, row["text"])
    except SendError as exc:
        return _refused(store, row, exc)
    return _sent(store, row, external_id)


def _row(store: Store, outbox_id: int) -> dict[str, Any]:
    o = tables.outbox
    with store.engine.connect() as conn:
        row = conn.execute(select(o).where(o.c.id == outbox_id)).mappings().first()
    if row is None:
        raise InputError(f"no outbox entry {outbox_id}", where="outbox")
    return dict(row)


def _claim(store: Store, row: dict[str, Any], lease_s: float) -> bool:
    """Record the send before it happens; False when another process holds or took the entry."""
    o, now = tables.outbox, store.now()
    if row["status"] == "sending":
        if row["claimed_at"] and row["claimed_at"] > now - timedelta(seconds=lease_s):
            return False
    elif row["status"] not in ("queued", "retry", "unconfirmed"):
        return False
    with store.transaction() as conn:
        done = conn.execute(
            update(o)
            .where(
                o.c.id == row["id"], o.c.attempts == row["attempts"], o.c.status == row["status"]
            )
            .values(status="sending", claimed_at=now, attempts=o.c.attempts + 1)
        )
    return done.rowcount == 1


def _sent(store: Store, row: dict[str, Any], external_id: str | None, **kw: Any) -> SendResult:
    from assistant import review

    source = (row["destination"] or {}).get("source", "")
    review.record_sent(
        store, row["id"], actor=source, external_id=external_id, allowed=("sending",)
    )
    return SendResult(row["id"], "sent", external_id, **kw)


def _refused(store: Store, row: dict[str, Any], exc: SendError) -> SendResult:
    tries = row["attempts"] + 1
    again = exc.retry and tries < MAX_TRIES
    pause = BACKOFF_S[min(tries - 1, len(BACKOFF_S) - 1)]
    status = ("unconfirmed" if exc.maybe_sent else "retry") if again else "failed"
    if not again and exc.maybe_sent:
        status = "uncertain"
    values: dict[str, Any] = dict(status=status, error=str(exc)[:1000])
    values["next_attempt_at"] = store.now() + timedelta(seconds=pause) if again else None
    _finish(store, row, values, Event.REPLY_SEND_FAILED, retry=again)
    return SendResult(row["id"], values["status"], error=values["error"])


def _uncertain(store: Store, row: dict[str, Any], why: str) -> SendResult:
    error = f"the send was cut off and the channel cannot tell whether it arrived: {why}"
    _finish(store, row, dict(status="uncertain", error=error), Event.REPLY_SEND_UNCERTAIN)
    return SendResult(row["id"], "uncertain", error=error)


def _finish(
    store: Store, row: dict[str, Any], values: dict[str, Any], kind: Event, **extra: Any
) -> None:
    o = tables.outbox
    with store.transaction() as conn:
        conn.execute(update(o).where(o.c.id == row["id"], o.c.status == "sending").values(**values))
        store.record_event(
            kind,
            draft_id=row["draft_id"],
            actor=(row["destination"] or {}).get("source", ""),
            payload={
                "outbox_id": row["id"],
                "to": (row["destination"] or {}).get("source"),
                "error": values.get("error"),
                "attempts": row["attempts"] + 1,
                **extra,
            },
            conn=conn,
        )


def retry(store: Store, outbox_id: int, actor: Actor, *, at: datetime | None = None) -> None:
    """A person asks for a failed or uncertain send to be tried again (the next send loop picks
    it up). An ``uncertain`` one is sent without asking the channel again: the person checked."""
    from assistant import accounts

    who = accounts.require(actor, "approve")
    o = tables.outbox
    with store.transaction() as conn:
        row = conn.execute(select(o).where(o.c.id == outbox_id)).first()
        if row is None:
            raise InputError(f"no outbox entry {outbox_id}", where="outbox")
        if row.status not in ("failed", "uncertain", "retry"):
            raise ConflictError(
                f"outbox entry {outbox_id} is {row.status}, nothing to retry", draft_id=row.draft_id
            )
        conn.execute(
            update(o)
            .where(o.c.id == outbox_id)
            .values(status="retry", next_attempt_at=at or store.now())
        )
        store.record_event(
            Event.REPLY_RETRY,
            draft_id=row.draft_id,
            actor=who.name,
            payload={"outbox_id": outbox_id, "was": row.status, "via": who.via},
            conn=conn,
        )


def send_now(store: Store, settings: Settings, decision_id: int) -> SendResult | None:
    """Right after an approval: send the reply through its channel if this process has that
    channel configured (else the ``serve`` loop sends it); None for a reply sent by hand."""
    from assistant.channels import configured

    o = tables.outbox
    with store.engine.connect() as conn:
        row = conn.execute(
            select(o.c.id, o.c.destination).where(o.c.decision_id == decision_id)
        ).first()
    if row is None or not row.destination:
        return None
    adapter = configured(settings).get(row.destination.get("source", ""))
    if adapter is None:
        return SendResult(row.id, "queued", to=row.destination.get("source", ""))
    result = send_one(store, row.id, adapter, lease_s=settings.send_lease)
    result.to = adapter.source
    return result
