"""The pipeline: triage → retrieve → compose prompt → generate → check → (regenerate once) → record.

``draft_reply`` is the one entry point the UI, the CLI, the bulk runner and the eval runner
share. Dependencies (settings, records store, knowledge base, clock) come in through
:class:`Deps`; every step is a function of plain data, and every draft is stored before
the model is called and updated after, with a trace that explains it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from assistant.config import CHANNELS, STYLES, Settings
from assistant.errors import InputError, ModelError
from assistant.models import (
    CheckResult,
    CustomerContext,
    Draft,
    Finding,
    Generation,
    SearchHit,
    Triage,
)

if TYPE_CHECKING:
    from assistant.knowledge import KnowledgeBase
    from assistant.store import Store

DRAFT_TEMPLATE = "draft_reply"


@dataclass
class Deps:
    """What the pipeline needs from the outside world, built once per process."""

    settings: Settings
    store: Store
    kb: KnowledgeBase
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @classmethod
    def from_settings(cls, settings: Settings) -> Deps:
        from assistant.knowledge import KnowledgeBase
        from assistant.store import Store

        return cls(
            settings=settings, store=Store.from_settings(settings), kb=KnowledgeBase(settings)
        )


@dataclass
class DraftRequest:
    """One request for a draft."""

    message: str
    channel: str = "email"
    customer_id: str | None = None
    conversation_id: str | None = None
    style: str | None = None
    prompt_version: str | None = None
    pinned: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    author: str | None = None


def validate(req: DraftRequest) -> None:
    """Reject bad requests with a one-line error naming the field."""
    if not req.message or not req.message.strip():
        raise InputError("the customer message is empty", where="message")
    if req.channel not in CHANNELS:
        raise InputError(
            f"unknown channel {req.channel!r} (use {', '.join(CHANNELS)})", where="channel"
        )
    if req.style and req.style not in STYLES:
        raise InputError(f"unknown style {req.style!r} (use {', '.join(STYLES)})", where="style")


def retrieve(deps: Deps, req: DraftRequest, language: str) -> list[SearchHit]:
    """Knowledge hits for the message (the customer's language preferred): pins first, drops removed."""
    k = deps.settings.top_k
    found = deps.kb.search(req.message, k=k + len(req.dropped), lang=language)
    pinned = [deps.kb.get(doc_id) for doc_id in req.pinned if doc_id not in req.dropped]
    hits = [h for h in pinned if h is not None]
    seen = {h.doc_id for h in hits} | set(req.dropped)
    hits += [h for h in found if h.doc_id not in seen]
    return hits[: max(k, len(req.pinned))]


def customer_context(deps: Deps, req: DraftRequest) -> CustomerContext | None:
    """The customer's history for this message (None for an anonymous message)."""
    if not req.customer_id:
        return None
    from assistant import history, triage

    return history.context_for(
        deps.store, req.customer_id, req.message, now=deps.clock(), sentiment_fn=triage.sentiment
    )


def history_text(ctx: CustomerContext | None, language: str) -> str:
    """A compact, dated summary of the customer's history for the prompt."""
    if ctx is None:
        return ""
    lines = [f"Note: {n.text}" for n in ctx.customer.notes[-5:]]
    for p in ctx.open_promises:
        overdue = " (OVERDUE)" if p in ctx.overdue_promises else ""
        lines.append(f"Open promise: {p.what} — due {p.due}{overdue}")
    for conv in (ctx.recent + [c for c in ctx.related if c not in ctx.recent])[:5]:
        started = conv.started_at.date().isoformat() if conv.started_at else "?"
        lines.append(f"Conversation {started} [{conv.channel}] {conv.subject}:")
        for m in conv.messages[-4:]:
            lines.append(f"  {m.role}: {m.text[:300]}")
    return "\n".join(lines)


def run_checks(
    deps: Deps,
    text: str,
    req: DraftRequest,
    tri: Triage,
    ctx: CustomerContext | None,
    system: str | None,
) -> CheckResult:
    """The playbook checker with everything it needs to know about this draft."""
    from assistant import playbook

    return playbook.check(
        text,
        channel=req.channel,
        lang=tri.language,
        customer_message=req.message,
        customer=ctx.customer if ctx else None,
        known_urls=deps.kb.known_urls(),
        situations=tri.situations,
        ui_lang=deps.settings.ui_language,
        system_prompt=system,
    )


def _names(settings: Settings, language: str) -> tuple[str, str]:
    if language == "ko":
        return settings.agent_name_ko, settings.company_ko
    return settings.agent_name, settings.company


def prompt_messages(
    deps: Deps,
    req: DraftRequest,
    tri: Triage,
    ctx: CustomerContext | None,
    sources: list[SearchHit],
    feedback: list[Finding],
) -> tuple[str, list[dict[str, str]]]:
    """The rendered chat messages for a model, and the template ref used."""
    from assistant import playbook, prompts

    name, version = prompts.parse_ref(req.prompt_version or DRAFT_TEMPLATE)
    agent, company = _names(deps.settings, tri.language)
    messages = prompts.render(
        name,
        version,
        message=req.message,
        language=tri.language,
        channel=req.channel,
        char_limit=playbook.channel_limit(req.channel),
        customer=ctx.customer.model_dump() if ctx else None,
        history=history_text(ctx, tri.language),
        sources=[s.model_dump() for s in sources],
        situations=tri.situations,
        required=playbook.required_moves(tri.situations, req.channel),
        style=req.style,
        feedback=[f.model_dump() for f in feedback],
        today=deps.clock().date().isoformat(),
        agent_name=agent,
        company=company,
    )
    return f"{name}@{version}", messages


def generate_offline(
    deps: Deps,
    req: DraftRequest,
    tri: Triage,
    ctx: CustomerContext | None,
    sources: list[SearchHit],
) -> Generation:
    """The template drafter: the longest variant that fits the channel."""
    from assistant import playbook
    from assistant.llm import offline

    agent, company = _names(deps.settings, tri.language)
    limit = playbook.channel_limit(req.channel)
    request = offline.OfflineRequest(
        message=req.message,
        language=tri.language,
        channel=req.channel,
        situations=tri.situations,
        sources=sources,
        customer=ctx.customer if ctx else None,
        overdue=ctx.overdue_promises if ctx else [],
        agent_name=agent,
        company=company,
        today=deps.clock().date(),
    )
    fits = (lambda text: playbook.count_chars(text, req.channel) <= limit) if limit else None
    return offline.compose(request, fits)


def draft_reply(
    deps: Deps,
    req: DraftRequest,
    *,
    on_token: Callable[[str], None] | None = None,
    on_restart: Callable[[], None] | None = None,
    llm_extra: dict[str, Any] | None = None,
) -> Draft:
    """Draft, check and record a reply. Raises InputError (bad request) or ModelError (model failed).

    The record is created before the model is called; a model failure leaves it ``failed``
    with the error, and the raised ModelError carries its id. ``on_restart`` is called when
    streamed text must be discarded (a cut stream retried, or a regeneration after findings).
    """
    validate(req)
    started = time.perf_counter()
    from assistant import history, triage

    if req.customer_id and history.get_customer(deps.store, req.customer_id) is None:
        raise InputError(f"unknown customer {req.customer_id!r}", where="customer")
    tri = triage.triage(req.message)
    ctx = customer_context(deps, req)
    sources = retrieve(deps, req, tri.language)
    draft_id = deps.store.create_draft(
        customer_id=req.customer_id,
        conversation_id=req.conversation_id,
        channel=req.channel,
        message=req.message,
        language=tri.language,
        situations=tri.situations,
        sentiment=tri.sentiment,
        urgency=tri.urgency,
        model=deps.settings.model,
        sources=[s.model_dump() for s in sources],
    )
    trace: dict[str, Any] = {
        "triage": tri.model_dump(),
        "retrieved": [{"doc_id": s.doc_id, "score": s.score} for s in sources],
        "customer": req.customer_id,
        "style": req.style,
        "attempts": [],
    }
    deps.store.update_draft(draft_id, status="generating")
    try:
        streams = (on_token, on_restart)
        draft = _generate_and_check(deps, req, tri, ctx, sources, trace, streams, llm_extra or {})
    except ModelError as exc:
        trace["error"] = str(exc)
        deps.store.update_draft(draft_id, status="failed", error=str(exc), trace=trace)
        deps.store.record_event("draft.failed", draft_id=draft_id, payload={"error": str(exc)})
        raise ModelError(str(exc), draft_id=draft_id) from None
    trace["pipeline_ms"] = round((time.perf_counter() - started) * 1000, 1)
    draft.id = draft_id
    draft.customer_id = req.customer_id
    draft.sentiment, draft.urgency = tri.sentiment, tri.urgency
    _save(deps, draft)
    return draft


def _generate_and_check(
    deps: Deps,
    req: DraftRequest,
    tri: Triage,
    ctx: CustomerContext | None,
    sources: list[SearchHit],
    trace: dict[str, Any],
    streams: tuple[Callable[[str], None] | None, Callable[[], None] | None],
    llm_extra: dict[str, Any],
) -> Draft:
    """Generate; if the checker finds errors, feed them back to the model once."""
    from assistant import llm

    feedback: list[Finding] = []
    messages: list[dict[str, str]] = []
    ref = "offline_reply@v1"
    gen: Generation | None = None
    result = CheckResult()
    on_token, on_restart = streams
    for attempt in (1, 2):
        if attempt == 2 and on_restart:
            on_restart()
        if deps.settings.is_offline:
            gen = generate_offline(deps, req, tri, ctx, sources)
            if on_token:
                on_token(gen.text)
        else:
            ref, messages = prompt_messages(deps, req, tri, ctx, sources, feedback)
            gen = llm.complete(
                messages, deps.settings, on_token=on_token, on_restart=on_restart, **llm_extra
            )
        system = messages[0]["content"] if messages else None
        result = run_checks(deps, gen.text, req, tri, ctx, system)
        trace["attempts"].append(
            {
                "output": gen.text,
                "findings": [f.model_dump() for f in result.findings],
                "model": gen.model,
            }
        )
        if result.ok or deps.settings.is_offline or attempt == 2:
            break
        feedback = result.errors
    assert gen is not None
    trace.update(template=ref, messages=llm.messages_for_record(messages, deps.settings))
    return Draft(
        draft=gen.text,
        language=tri.language,
        situations=tri.situations,
        channel=req.channel,
        sources=sources,
        findings=result.findings,
        model=gen.model,
        prompt_version=ref,
        attempts=len(trace["attempts"]),
        trace={**trace, "usage": gen.model_dump(exclude={"text"})},
    )


def _save(deps: Deps, draft: Draft) -> None:
    assert draft.id is not None
    usage = draft.trace.get("usage", {})
    deps.store.update_draft(
        draft.id,
        status="ready",
        output=draft.draft,
        findings=[f.model_dump() for f in draft.findings],
        model=draft.model,
        prompt_version=draft.prompt_version,
        rendered_messages=draft.trace.get("messages", []),
        latency_ms=usage.get("latency_ms"),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        cost_usd=usage.get("cost_usd"),
        attempts=draft.attempts,
        trace=draft.trace,
    )
    deps.store.record_event("draft.ready", draft_id=draft.id, payload={"model": draft.model})
