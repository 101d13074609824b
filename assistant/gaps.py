"""Knowledge gaps: what customers ask that the help center does not answer, and a draft
article for each topic.

A customer message is a gap when any of three signals holds (each checked against the help
center as it is now, so an article added since closes the gap):

- ``low_score``: the best help-center match for the message scores under ``gap_threshold``
  (:meth:`assistant.knowledge.KnowledgeBase.coverage`);
- ``sources_dropped``: the agent dropped suggested sources and the approved reply links to
  none of the sources the draft kept;
- ``uncovered_reply``: the sentences the agent added to the draft before approving it (an
  explanation, not a greeting) mostly match no article: the agent knew something the help
  center does not say.

Gap messages, Korean and English together, are grouped by the clustering that finds systemic
issues in bulk runs (:mod:`assistant.bulk.clusters`). Each topic gets a draft article:
Markdown with front matter, written from the sentences of its approved replies (greetings,
sign-offs, and sentences naming the customer left out; e-mails, phones and card numbers
redacted), ready for a lead to edit and ingest.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from assistant import store as tables
from assistant.store import Store

SIGNALS = ("low_score", "sources_dropped", "uncovered_reply")
MAX_ANSWER_SENTENCES = 8
_COURTESY = re.compile(
    r"고객님|안녕하세요|감사합니다|감사드립니다|죄송|드림|상담원|^\s*(hi|hello|dear|thanks|thank you|"
    r"best|regards|sincerely|sorry)\b",
    re.I,
)
_URL = re.compile(r"https?://\S+")


@dataclass
class Question:
    """A customer message the help center had no good answer for."""

    draft_id: int
    text: str
    language: str
    score: float
    signals: list[str]
    at: datetime | None = None
    reply: str | None = None
    customer_name: str | None = field(default=None, repr=False)


@dataclass
class Gap:
    """A topic customers ask about with no article: its questions and a draft article."""

    id: str
    label: str
    questions: list[Question]
    article: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``gaps --json``."""
        return {
            "id": self.id,
            "label": self.label,
            "count": len(self.questions),
            "languages": dict(Counter(q.language for q in self.questions)),
            "signals": dict(Counter(s for q in self.questions for s in q.signals)),
            "questions": [
                {k: v for k, v in asdict(q).items() if k not in ("reply", "customer_name")}
                for q in self.questions
            ],
            "article": self.article,
        }


def _candidates(store: Store, limit: int) -> list[dict[str, Any]]:
    """Drafts with a customer message, newest first, with their approved text and customer."""
    d, dec, c = tables.drafts, tables.decisions, tables.customers
    stmt = (
        select(
            d.c.id,
            d.c.message,
            d.c.language,
            d.c.sources,
            d.c.trace,
            d.c.created_at,
            dec.c.final_text,
            dec.c.action,
            c.c.name.label("customer_name"),
        )  # fmt: skip
        .select_from(
            d.outerjoin(dec, dec.c.draft_id == d.c.id).outerjoin(c, c.c.id == d.c.customer_id)
        )
        .where(d.c.message != "")
        .order_by(d.c.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def signals_of(row: dict[str, Any], kb: Any, threshold: float) -> tuple[float, list[str]]:
    """The message's best match score and the gap signals that hold for one draft row."""
    score = kb.coverage(row["message"])
    found = ["low_score"] if score < threshold else []
    approved = row.get("action") in ("approved", "edited_approved") and row.get("final_text")
    if not approved:
        return score, found
    reply = str(row["final_text"])
    dropped = (row.get("trace") or {}).get("dropped") or []
    kept = [str(s.get("url") or "") for s in row.get("sources") or [] if s.get("url")]
    if dropped and not any(url in reply for url in kept):
        found.append("sources_dropped")
    drafted = set(explaining_sentences(str(row.get("output") or "")))
    added = [s for s in explaining_sentences(reply, row.get("customer_name")) if s not in drafted]
    uncovered = [s for s in added if kb.coverage(s) < threshold]
    if added and len(uncovered) * 2 >= len(added):
        found.append("uncovered_reply")
    return score, found


def questions(store: Store, kb: Any, threshold: float, *, limit: int = 2000) -> list[Question]:
    """Every gap message (one per distinct message text, its newest draft), newest first."""
    seen: set[str] = set()
    out = []
    for row in _candidates(store, limit):
        key = " ".join(str(row["message"]).split()).lower()
        if key in seen:
            continue
        seen.add(key)
        score, found = signals_of(row, kb, threshold)
        if not found:
            continue
        approved = row.get("action") in ("approved", "edited_approved")
        out.append(
            Question(
                draft_id=int(row["id"]),
                text=str(row["message"]),
                language=str(row["language"] or "ko"),
                score=score,
                signals=found,
                at=row["created_at"],
                reply=str(row["final_text"]) if approved and row.get("final_text") else None,
                customer_name=row.get("customer_name"),
            )
        )
    return out


def find(store: Store, kb: Any, settings: Any, *, limit: int = 2000) -> list[Gap]:
    """The knowledge gaps, largest topic first, each with its draft article."""
    from assistant.bulk.clusters import Item, cluster
    from assistant.knowledge.embeddings import get_embedder

    found = questions(store, kb, settings.gap_threshold, limit=limit)
    if not found:
        return []
    vectors = get_embedder(settings.embedding).documents([q.text for q in found])
    items = [Item(str(i), q.text, q.at) for i, q in enumerate(found)]
    base = _article_base(kb)
    gaps = []
    for group in cluster(items, vectors, min_size=1):
        members = [found[int(key)] for key in group.members]
        central = found[int(group.central)]
        gaps.append(
            Gap(
                group.id.replace("c", "g", 1),
                _redact(group.label),
                members,
                draft_article(group.id, central, members, base),
            )  # fmt: skip
        )
    return gaps


def _article_base(kb: Any) -> str:
    """The help center's article URL prefix (``https://help…/``), from its own articles."""
    for doc in kb.documents():
        url = str(doc.get("url") or "")
        for lang in ("ko", "en"):
            marker = f"/{lang}/articles/"
            if marker in url:
                return url.split(marker, 1)[0] + "/"
    return "https://help.example/"


def _redact(text: str) -> str:
    from assistant.llm.redact import KINDS

    for kind, pattern in KINDS:
        text = pattern.sub(f"[{kind}]", text)
    return text


def explaining_sentences(text: str, customer_name: str | None = None) -> list[str]:
    """The sentences of a reply that explain something: no greeting, apology or sign-off,
    none naming the customer, links left out; each once."""
    from assistant.text import sentences

    out: list[str] = []
    for _, _, sent in sentences(_URL.sub(" ", text)):
        s = " ".join(sent.split())
        named = bool(customer_name) and str(customer_name) in s
        if len(s) >= 8 and not _COURTESY.search(s) and not named and s not in out:
            out.append(s)
    return out


def answer_sentences(members: list[Question], lang: str) -> list[str]:
    """What the group's approved replies in ``lang`` explain, personal details redacted."""
    out: list[str] = []
    for q in members:
        if q.reply and q.language == lang:
            out += [_redact(s) for s in explaining_sentences(q.reply, q.customer_name)]
    return list(dict.fromkeys(out))[:MAX_ANSWER_SENTENCES]


def draft_article(gid: str, central: Question, members: list[Question], base: str) -> str:
    """A help-center article to start from: front matter, title, the answer so far."""
    lang = Counter(q.language for q in members).most_common(1)[0][0]
    central = (
        central if central.language == lang else next(q for q in members if q.language == lang)
    )
    slug = f"draft-{gid}-{central.draft_id}"
    title = _redact(" ".join(central.text.split())[:80])
    answer = answer_sentences(members, lang) or [
        "(아직 승인된 답변이 없습니다. 답변을 여기에 쓰세요.)"
        if lang == "ko"
        else "(No approved reply yet: write the answer here.)"
    ]
    heading = "답변" if lang == "ko" else "Answer"
    return (
        f"---\nid: {lang}/{slug}\ntitle: {_yaml_str(title)}\nurl: {base}{lang}/articles/{slug}\n"
        f"lang: {lang}\ntags: [draft]\n---\n# {title}\n\n## {heading}\n\n"
        + "\n".join(answer)
        + "\n"
    )


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
