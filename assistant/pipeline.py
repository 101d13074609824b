"""The pipeline: triage → retrieve → compose prompt → generate → check → (regenerate once) → record.

``draft_reply`` drafts and records one reply (the workspace, the CLI, the API). The drafting
core under it, :func:`generate_and_check` (and :func:`agenerate_and_check` for the bulk and
eval runners, which draft many at once), is the one place that runs generate → check →
regenerate on errors; the model is any :class:`assistant.llm.drafters.DraftModel` (a litellm
model, the offline drafter, a mock), so no caller branches on which one answers. Dependencies (settings, records store, knowledge base, clock) come in through
:class:`Deps`; every step is a function of plain data, and every draft is stored before
the model is called and updated after, with a trace that explains it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from assistant.config import CHANNELS, STYLES, Settings
from assistant.errors import InputError, ModelError
from assistant.events import Event
from assistant.models import (
    CheckResult,
    CustomerContext,
    Draft,
    Finding,
    Generation,
    SearchHit,
    Trace,
    TraceAttempt,
    Triage,
)

if TYPE_CHECKING:
    from assistant.knowledge import KnowledgeBase
    from assistant.llm.drafters import DraftModel, Prompt
    from assistant.llm.offline import OfflineRequest
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
    """Who asked for the draft (the signed-in account's name)."""
    via: str = "cli"
    """The front end the request came from (workspace, cli, api, bulk, eval)."""


@dataclass
class Grounding:
    """What a draft is grounded in: the triage, the customer's history and the sources."""

    triage: Triage
    context: CustomerContext | None
    sources: list[SearchHit]


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
    """Knowledge hits for the message, as a reply in ``language`` links them (each article in
    that language where it exists, see :meth:`KnowledgeBase.in_language`): pins first, drops
    removed."""
    k = deps.settings.top_k
    found = deps.kb.search(req.message, k=k + len(req.dropped), lang=language)
    found = deps.kb.in_language(found, language)
    pinned = [deps.kb.get(doc_id) for doc_id in req.pinned if doc_id not in req.dropped]
    hits = deps.kb.translated([h for h in pinned if h is not None], language)
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
        register=deps.settings.ko_register_for(req.channel),
    )
    return f"{name}@{version}", messages


def offline_request(deps: Deps, req: DraftRequest, g: Grounding) -> OfflineRequest:
    """The structured request the template drafter composes from."""
    from assistant.llm.offline import OfflineRequest

    agent, company = _names(deps.settings, g.triage.language)
    return OfflineRequest(
        message=req.message,
        language=g.triage.language,
        channel=req.channel,
        situations=g.triage.situations,
        sources=g.sources,
        customer=g.context.customer if g.context else None,
        overdue=g.context.overdue_promises if g.context else [],
        agent_name=agent,
        company=company,
        today=deps.clock().date(),
        register=deps.settings.ko_register_for(req.channel),
    )


def prompt_for(
    deps: Deps, model: DraftModel, req: DraftRequest, g: Grounding, feedback: list[Finding]
) -> Prompt:
    """What ``model`` is given for one attempt: rendered messages, or the structured request."""
    from assistant import playbook
    from assistant.llm.drafters import OFFLINE_TEMPLATE, Prompt

    if model.renders_prompt:
        ref, messages = prompt_messages(deps, req, g.triage, g.context, g.sources, feedback)
        return Prompt(ref, req.channel, messages=messages)
    limit = playbook.channel_limit(req.channel)
    fits = (lambda text: playbook.count_chars(text, req.channel) <= limit) if limit else None
    return Prompt(OFFLINE_TEMPLATE, req.channel, request=offline_request(deps, req, g), fits=fits)


def new_trace(req: DraftRequest, g: Grounding) -> Trace:
    """The start of a draft's trace: what it was grounded in."""
    return Trace(
        triage=g.triage.model_dump(),
        retrieved=[{"doc_id": s.doc_id, "score": s.score} for s in g.sources],
        customer=req.customer_id,
        style=req.style,
        dropped=list(req.dropped),
    )


def _attempts(
    deps: Deps,
    model: DraftModel,
    req: DraftRequest,
    g: Grounding,
    trace: Trace,
    regenerate: bool,
) -> Generator[Prompt, Generation, Draft]:
    """The drafting core: yields each prompt, receives the model's answer, checks it; when the
    checker finds errors and the model can learn from them, asks once more with them."""
    from assistant import llm

    feedback: list[Finding] = []
    for attempt in (1, 2):
        prompt = prompt_for(deps, model, req, g, feedback)
        gen = yield prompt
        system = prompt.messages[0]["content"] if prompt.messages else None
        result = run_checks(deps, gen.text, req, g.triage, g.context, system)
        trace.attempts.append(
            TraceAttempt(
                output=gen.text,
                findings=[f.model_dump() for f in result.findings],
                model=gen.model,
            )
        )
        if result.ok or not (regenerate and model.learns_from_feedback) or attempt == 2:
            break
        feedback = result.errors
    trace.template = prompt.template
    trace.messages = llm.messages_for_record(prompt.messages, deps.settings)
    trace.usage = gen.model_dump(exclude={"text"})
    return Draft(
        draft=gen.text,
        language=g.triage.language,
        situations=g.triage.situations,
        sentiment=g.triage.sentiment,
        urgency=g.triage.urgency,
        channel=req.channel,
        customer_id=req.customer_id,
        sources=g.sources,
        findings=result.findings,
        model=gen.model,
        prompt_version=prompt.template,
        attempts=len(trace.attempts),
        trace=trace.model_dump(),
    )


def generate_and_check(
    deps: Deps,
    model: DraftModel,
    req: DraftRequest,
    g: Grounding,
    trace: Trace,
    *,
    on_token: Callable[[str], None] | None = None,
    on_restart: Callable[[], None] | None = None,
    regenerate: bool = True,
) -> Draft:
    """Generate → check → regenerate on errors, streaming to ``on_token``. Raises ModelError."""
    steps = _attempts(deps, model, req, g, trace, regenerate)
    prompt = next(steps)
    while True:
        gen = model.generate(prompt, on_token=on_token, on_restart=on_restart)
        try:
            prompt = steps.send(gen)
        except StopIteration as done:
            return done.value
        if on_restart:  # the streamed first answer is replaced by the second
            on_restart()


async def agenerate_and_check(
    deps: Deps,
    model: DraftModel,
    req: DraftRequest,
    g: Grounding,
    trace: Trace,
    *,
    call: Callable[[Prompt], Awaitable[Generation]] | None = None,
    regenerate: bool = True,
) -> Draft:
    """The async form of :func:`generate_and_check` (bulk and eval runs); ``call`` asks the
    model (default ``model.agenerate``), e.g. while holding a concurrency slot."""
    ask = call or model.agenerate
    steps = _attempts(deps, model, req, g, trace, regenerate)
    prompt = next(steps)
    while True:
        gen = await ask(prompt)
        try:
            prompt = steps.send(gen)
        except StopIteration as done:
            return done.value


def draft_reply(
    deps: Deps,
    req: DraftRequest,
    *,
    on_token: Callable[[str], None] | None = None,
    on_restart: Callable[[], None] | None = None,
    llm_extra: dict[str, Any] | None = None,
    model: DraftModel | None = None,
) -> Draft:
    """Draft, check and record a reply. Raises InputError (bad request) or ModelError (model failed).

    The record is created before the model is called; a model failure leaves it ``failed``
    with the error, and the raised ModelError carries its id. ``on_restart`` is called when
    streamed text must be discarded (a cut stream retried, or a regeneration after findings).
    ``model`` defaults to the one the settings name (``llm_extra`` goes to litellm).
    """
    from assistant.llm.drafters import model_for

    started = time.perf_counter()
    g = ground(deps, req)
    draft_id = _create_record(deps, req, g)
    trace = new_trace(req, g)
    deps.store.update_draft(draft_id, status="generating")
    try:
        draft = generate_and_check(
            deps,
            model or model_for(deps.settings, **(llm_extra or {})),
            req,
            g,
            trace,
            on_token=on_token,
            on_restart=on_restart,
        )
    except ModelError as exc:
        trace.error = str(exc)
        deps.store.update_draft(draft_id, status="failed", error=str(exc), trace=trace.model_dump())
        deps.store.record_event(Event.DRAFT_FAILED, draft_id=draft_id, payload={"error": str(exc)})
        raise ModelError(str(exc), draft_id=draft_id) from None
    draft.trace["pipeline_ms"] = round((time.perf_counter() - started) * 1000, 1)
    draft.id = draft_id
    _save(deps, draft)
    return draft


def ground(deps: Deps, req: DraftRequest, tri: Triage | None = None) -> Grounding:
    """Validate the request, then triage it (unless ``tri`` is given), read the customer's
    history and retrieve the sources; the triage's ``language`` becomes the reply's
    (:func:`reply_language`)."""
    from assistant import history, triage

    validate(req)
    if req.customer_id and history.get_customer(deps.store, req.customer_id) is None:
        raise InputError(f"unknown customer {req.customer_id!r}", where="customer")
    tri = tri or triage.triage(req.message)
    ctx = customer_context(deps, req)
    tri = tri.model_copy(update={"language": reply_language(ctx, tri.language)})
    return Grounding(tri, ctx, retrieve(deps, req, tri.language))


def reply_language(ctx: CustomerContext | None, message_language: str) -> str:
    """The language a reply is written in: the customer's stored language, else the message's
    (a Korean message with English words in it is Korean, see :func:`assistant.text.detect_language`)."""
    return ctx.customer.language if ctx is not None else message_language


def record_draft(deps: Deps, req: DraftRequest, draft: Draft) -> int:
    """Store a draft made outside :func:`draft_reply` (a bulk or eval run); returns its id."""
    tri = Triage.model_validate(
        {
            "language": draft.language,
            "situations": draft.situations,
            "sentiment": draft.sentiment,
            "urgency": draft.urgency,
        }
    )
    g = Grounding(tri, None, draft.sources)
    draft.id = _create_record(deps, req, g)
    _save(deps, draft)
    return draft.id


def _create_record(deps: Deps, req: DraftRequest, g: Grounding) -> int:
    draft_id = deps.store.create_draft(
        customer_id=req.customer_id,
        conversation_id=req.conversation_id,
        channel=req.channel,
        message=req.message,
        language=g.triage.language,
        situations=g.triage.situations,
        sentiment=g.triage.sentiment,
        urgency=g.triage.urgency,
        model=deps.settings.model,
        sources=[s.model_dump() for s in g.sources],
    )
    deps.store.record_event(
        Event.DRAFT_CREATED,
        draft_id=draft_id,
        actor=req.author or req.via,
        payload={"via": req.via, "model": deps.settings.model},
    )
    return draft_id


def finished_fields(draft: Draft) -> dict[str, Any]:
    """The record fields of a finished draft: ready, its text, findings, model, usage, trace."""
    usage = draft.trace.get("usage", {})
    return dict(
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


def _save(deps: Deps, draft: Draft) -> None:
    assert draft.id is not None
    deps.store.update_draft(draft.id, **finished_fields(draft))
