"""CSAT and CES surveys sent with approved replies: unguessable, expiring, one answer each.

:func:`create` makes the link for an approved draft: a ``secrets.token_urlsafe`` token of
which only the SHA-256 hex is stored, an expiry (``survey_days``), the customer's language,
and a copy of what answers are broken down by (the approving agent, the draft's prompt
version and model, the error findings the agent overrode). :func:`lookup` and :func:`answer`
serve the page of ``reply-assistant serve`` (``GET /s/{token}``); a forged, reused or expired
token is refused with :class:`SurveyRefused`. :func:`analytics` gives CSAT and CES over time
and by prompt version, model, agent and overridden finding.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import desc, insert, select, update

from assistant import store as tables
from assistant.errors import InputError
from assistant.events import Event
from assistant.store import Store

Kind = Literal["csat", "ces"]
SCALES: dict[str, int] = {"csat": 5, "ces": 7}
"""The highest answer of each kind (the lowest is 1)."""
TOKEN_BYTES = 24
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class SurveyRefused(Exception):
    """A survey token that cannot be answered: ``reason`` is unknown, answered or expired."""

    def __init__(self, reason: Literal["unknown", "answered", "expired"], lang: str = "ko") -> None:
        self.reason = reason
        self.lang = lang
        super().__init__(f"survey link {reason}")


@dataclass
class Survey:
    """What the survey page may show: the question's kind and language, nothing else."""

    id: int
    kind: Kind
    lang: str
    expires_at: datetime


def token_hash(token: str) -> str:
    """The SHA-256 hex of a token: the only form a token is stored in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _overridden(store: Store, draft_id: int, override_reason: str | None) -> list[str]:
    """The error rules the approving agent overrode (none without an override reason)."""
    from assistant.playbook import RULES

    if not override_reason:
        return []
    approved = [e for e in store.list_events(draft_id=draft_id, kind=Event.DRAFT_APPROVED)]
    rules = (approved[-1].get("payload") or {}).get("findings") or [] if approved else []
    return sorted({r for r in rules if r in RULES and RULES[r].severity == "error"})


def create(
    store: Store, draft_id: int, *, kind: str = "csat", days: int = 14, actor: str = ""
) -> tuple[str, Survey]:
    """A new survey for an approved draft; the token (shown once) and the survey."""
    if kind not in SCALES:
        raise InputError(f"kind must be csat or ces, not {kind!r}", where="kind")
    d, dec = tables.drafts, tables.decisions
    with store.engine.connect() as conn:
        draft = conn.execute(select(d).where(d.c.id == draft_id)).mappings().first()
        decision = (
            conn.execute(
                select(dec).where(dec.c.draft_id == draft_id).order_by(desc(dec.c.id)).limit(1)
            )
            .mappings()
            .first()
        )
    if draft is None:
        raise InputError(f"no draft {draft_id}", where="draft")
    if draft["status"] != "approved" or decision is None or decision["action"] == "rejected":
        raise InputError(f"draft {draft_id} is not approved: no survey for it", where="draft")
    token, now = secrets.token_urlsafe(TOKEN_BYTES), store.now()
    values = dict(
        token_hash=token_hash(token), draft_id=draft_id, kind=kind,
        lang=_language(store, draft), agent=decision["reviewer"] or "",
        prompt_version=draft["prompt_version"], model=draft["model"],
        overridden=_overridden(store, draft_id, decision["override_reason"]),
        created_at=now, expires_at=now + timedelta(days=days),
    )  # fmt: skip
    with store.transaction() as conn:
        survey_id = tables.inserted_id(conn.execute(insert(tables.surveys).values(**values)))
        store.record_event(Event.SURVEY_CREATED, draft_id=draft_id, actor=actor,
                           payload={"survey_id": survey_id, "kind": kind}, conn=conn)  # fmt: skip
    return token, Survey(survey_id, kind, values["lang"], values["expires_at"])  # type: ignore[arg-type]


def _language(store: Store, draft: Any) -> str:
    """The customer's language: their profile's, else the draft's."""
    from assistant import history

    customer = history.get_customer(store, draft["customer_id"]) if draft["customer_id"] else None
    lang = customer.language if customer else draft["language"]
    return lang if lang in ("ko", "en") else "ko"


def _row(store: Store, token: str) -> Any:
    if not _TOKEN.match(token or ""):
        raise SurveyRefused("unknown")
    s = tables.surveys
    with store.engine.connect() as conn:
        row = conn.execute(select(s).where(s.c.token_hash == token_hash(token))).first()
    if row is None:
        raise SurveyRefused("unknown")
    return row


def lookup(store: Store, token: str) -> Survey:
    """The survey a token opens; :class:`SurveyRefused` if forged, answered or expired."""
    row = _row(store, token)
    if row.answered_at is not None:
        raise SurveyRefused("answered", row.lang)
    if row.expires_at <= store.now():
        raise SurveyRefused("expired", row.lang)
    return Survey(row.id, row.kind, row.lang, row.expires_at)


def answer(store: Store, token: str, score: int) -> Survey:
    """Store the one answer of a token (atomically: a second answer is refused)."""
    survey = lookup(store, token)
    if not 1 <= score <= SCALES[survey.kind]:
        raise InputError(f"score must be 1 to {SCALES[survey.kind]}", where="score")
    s, now = tables.surveys, store.now()
    with store.transaction() as conn:
        done = conn.execute(
            update(s)
            .where(s.c.id == survey.id, s.c.answered_at.is_(None), s.c.expires_at > now)
            .values(score=score, answered_at=now)
        ).rowcount
        if done != 1:
            raise SurveyRefused("answered", survey.lang)
        draft_id = conn.execute(select(s.c.draft_id).where(s.c.id == survey.id)).scalar_one()
        store.record_event(Event.SURVEY_ANSWERED, draft_id=draft_id, actor="customer",
                           payload={"survey_id": survey.id, "kind": survey.kind}, conn=conn)  # fmt: skip
    return survey


def _stats(scores: list[int], kind: str) -> dict[str, Any]:
    good = 4 if kind == "csat" else 5
    return {
        "answers": len(scores),
        "mean": round(statistics.fmean(scores), 2) if scores else None,
        "satisfied": round(sum(s >= good for s in scores) / len(scores), 3) if scores else None,
    }


def analytics(store: Store, kind: str = "csat") -> dict[str, Any]:
    """Answers of one kind: overall, by ISO week, and by prompt version, model, agent and
    overridden finding ("none" for replies approved without an override)."""
    s = tables.surveys
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(s).where(s.c.kind == kind, s.c.score.is_not(None)).order_by(s.c.answered_at)
        ).all()
    sent = _sent(store, kind)
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        groups["week"][_week(r.answered_at)].append(r.score)
        groups["prompt_version"][r.prompt_version or "-"].append(r.score)
        groups["model"][r.model or "-"].append(r.score)
        groups["agent"][r.agent or "-"].append(r.score)
        for rule in r.overridden or ["none"]:
            groups["overridden"][rule].append(r.score)
    out: dict[str, Any] = {"kind": kind, "sent": sent, **_stats([r.score for r in rows], kind)}
    for by in ("week", "prompt_version", "model", "agent", "overridden"):
        out[f"by_{by}"] = [{by: k, **_stats(v, kind)} for k, v in sorted(groups[by].items())]
    return out


def _sent(store: Store, kind: str) -> int:
    from sqlalchemy import func

    s = tables.surveys
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(s.c.kind == kind)).scalar_one())


def _week(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"
