"""The typed values that flow through the pipeline. Plain data: no I/O, no logic beyond shape."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

Language = Literal["ko", "en"]
Severity = Literal["error", "warning"]
SITUATIONS = ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8")


DraftStatus = Literal[
    "pending", "generating", "ready", "failed", "approved", "rejected", "stale", "sent"
]
DRAFT_STATUSES: tuple[str, ...] = get_args(DraftStatus)
IN_PROGRESS_STATUSES = ("pending", "generating", "ready")
"""Drafts not yet decided that a newer customer message turns stale."""
UNDECIDED_STATUSES = (*IN_PROGRESS_STATUSES, "stale")
"""Drafts waiting for a person (the inbox shows them)."""
DECIDED_STATUSES = ("approved", "rejected", "sent")
"""Drafts a person has decided (a decided draft cannot be decided again)."""


class Passage(BaseModel):
    """One chunk of a knowledge article, as stored in the index."""

    chunk_id: str
    doc_id: str
    title: str
    url: str
    lang: str
    text: str
    heading: str = ""
    tags: list[str] = Field(default_factory=list)


class SearchHit(BaseModel):
    """One knowledge document found for a query, with its best snippet."""

    doc_id: str
    title: str
    url: str
    score: float
    snippet: str
    lang: str = ""
    text: str = ""

    def contract(self) -> dict[str, Any]:
        """The JSON shape of ``search --json`` (DESIGN.md)."""
        return {k: getattr(self, k) for k in ("doc_id", "title", "url", "score", "snippet")}


class Triage(BaseModel):
    """What kind of message this is."""

    language: Language
    situations: list[str] = Field(default_factory=list)
    sentiment: float = 0.0
    urgency: Literal["high", "normal", "low"] = "normal"
    spam: bool = False

    def contract(self) -> dict[str, Any]:
        """The JSON shape of ``triage --json`` (DESIGN.md)."""
        return {
            "language": self.language,
            "situations": self.situations,
            "sentiment": self.sentiment,
            "urgency": self.urgency,
        }


class Finding(BaseModel):
    """One playbook finding on a draft: a rule id, where, why and how to fix it."""

    rule: str
    severity: Severity
    span: tuple[int, int] | None = None
    quote: str | None = None
    message: str
    fix: str


class CheckResult(BaseModel):
    """All findings on one text; ``ok`` is False when any finding is an error."""

    findings: list[Finding] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def contract(self) -> dict[str, Any]:
        """The JSON shape of ``check --json`` (DESIGN.md)."""
        return {
            "ok": self.ok,
            "findings": [
                {**f.model_dump(), "span": list(f.span) if f.span else None} for f in self.findings
            ],
        }


class Note(BaseModel):
    """An agent's note on a customer (the "chart")."""

    text: str
    author: str = ""
    created_at: datetime | None = None


class Promise(BaseModel):
    """Something the team told the customer it would do, and by when."""

    id: int | None = None
    what: str
    due: date | None = None
    status: Literal["open", "done", "cancelled"] = "open"
    created_at: datetime | None = None


class HistoryMessage(BaseModel):
    """One message of a past or current conversation."""

    role: Literal["customer", "agent"]
    text: str
    at: datetime | None = None


class Conversation(BaseModel):
    """A conversation with a customer on one channel."""

    id: str
    channel: str = "email"
    subject: str = ""
    status: Literal["open", "pending", "solved"] = "solved"
    started_at: datetime | None = None
    messages: list[HistoryMessage] = Field(default_factory=list)


class Customer(BaseModel):
    """A customer and everything the agent should know before replying."""

    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    language: Language = "ko"
    plan: str = ""
    since: date | None = None
    tags: list[str] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    promises: list[Promise] = Field(default_factory=list)
    conversations: list[Conversation] = Field(default_factory=list)


class CustomerContext(BaseModel):
    """What the drafter and the agent see about a customer for one new message."""

    customer: Customer
    recent: list[Conversation] = Field(default_factory=list)
    related: list[Conversation] = Field(default_factory=list)
    open_promises: list[Promise] = Field(default_factory=list)
    overdue_promises: list[Promise] = Field(default_factory=list)
    sentiment_trend: list[tuple[str, float]] = Field(default_factory=list)


class Generation(BaseModel):
    """What a model (or the offline drafter) returned for one prompt."""

    text: str
    model: str
    latency_ms: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    errors: list[str] = Field(default_factory=list)
    """One line per failed attempt before this answer (retries and fallbacks)."""
    redactions: int = 0
    """How many personal values were replaced by placeholders before the model saw the text."""
    cached: bool = False
    """True when the answer came from a response cache instead of a model call."""


class TraceAttempt(BaseModel):
    """One model answer of a draft and what the checker found in it."""

    output: str
    findings: list[dict[str, Any]] = Field(default_factory=list)
    model: str


class Trace(BaseModel):
    """The steps of one draft, in the order they ran (stored with the draft as JSON): what it
    was grounded in, each attempt, the template and messages as sent, the model's usage."""

    model_config = {"extra": "allow"}

    triage: dict[str, Any]
    retrieved: list[dict[str, Any]] = Field(default_factory=list)
    customer: str | None = None
    style: str | None = None
    dropped: list[str] = Field(default_factory=list)
    """Help-center documents the agent dropped before this draft was made."""
    attempts: list[TraceAttempt] = Field(default_factory=list)
    template: str | None = None
    messages: list[dict[str, str]] = Field(default_factory=list)
    usage: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class Draft(BaseModel):
    """A drafted reply with everything needed to explain it afterwards."""

    id: int | None = None
    draft: str
    language: Language
    situations: list[str]
    sentiment: float = 0.0
    urgency: str = "normal"
    channel: str = "email"
    customer_id: str | None = None
    sources: list[SearchHit] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    model: str
    prompt_version: str
    attempts: int = 1
    trace: dict[str, Any] = Field(default_factory=dict)

    def contract(self) -> dict[str, Any]:
        """The JSON shape of ``draft --json`` (DESIGN.md)."""
        return {
            "id": self.id,
            "draft": self.draft,
            "language": self.language,
            "situations": self.situations,
            "sources": [s.contract() for s in self.sources],
            "findings": CheckResult(findings=self.findings).contract()["findings"],
            "model": self.model,
            "prompt_version": self.prompt_version,
        }
