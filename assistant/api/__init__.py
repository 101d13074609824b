"""The HTTP API (``reply-assistant serve``): FastAPI over the same core as the CLI and the
workspace.

The app only parses requests, asks the core and shapes JSON; drafting goes through
:func:`assistant.pipeline.draft_reply`, decisions through :mod:`assistant.review` (which checks
the roles), so the API refuses what every front end refuses. :class:`~assistant.pipeline.Deps`
is built once per process, so the models stay loaded between requests. Every ``/v1`` route
needs ``Authorization: Bearer <token>`` (``reply-assistant tokens create``); errors are JSON
``{"error", "where"}`` (see :mod:`assistant.api.errors`). Route handlers are plain functions:
FastAPI runs them in its thread pool, so a long draft does not block other requests.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from assistant import store as tables
from assistant.accounts import Actor, actor_for_token
from assistant.api.errors import (
    MAX_BODY,
    ApiError,
    BodyLimit,
    CatchAll,
    install_error_handlers,
)
from assistant.models import CheckResult, Finding, SearchHit

if TYPE_CHECKING:
    from assistant.pipeline import Deps

MAX_KEY = 200
"""The longest ``Idempotency-Key`` accepted."""
CREATED_KEYS = (
    "id",
    "draft",
    "language",
    "situations",
    "sources",
    "findings",
    "model",
    "prompt_version",
    "status",
    "version",
)
"""The keys of a ``POST /v1/drafts`` answer (a replayed one too)."""


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HistoryMessage(Body):
    role: str = Field(description="customer or agent")
    text: str
    at: datetime | None = None


class DraftIn(Body):
    message: str = Field(description="The customer's message.")
    customer_id: str | None = None
    conversation_id: str | None = None
    channel: str = "email"
    history: list[HistoryMessage] | None = Field(
        default=None,
        description="Earlier messages of the conversation (needs customer_id); each is stored "
        "once in the customer's history.",
    )
    customer: dict[str, Any] | None = Field(
        default=None,
        description="The customer's profile (id, name, email, phone, language, plan, since, "
        "tags): created, or updated with the fields given; its id is customer_id when that is "
        "left out.",
    )
    style: str | None = Field(default=None, description="warmer, concise or formal.")
    prompt_version: str | None = Field(
        default=None, description="A prompt template version, e.g. draft_reply@v2."
    )


class ApproveIn(Body):
    text: str
    override_reason: str | None = None
    confirm_stale: bool = False


class RejectIn(Body):
    reason: str


class CheckIn(Body):
    text: str
    channel: str = "email"
    lang: str | None = None
    customer_message: str | None = None
    customer_id: str | None = None


class TriageIn(Body):
    message: str


# -- shapes -----------------------------------------------------------------------------------


def draft_view(row: dict[str, Any]) -> dict[str, Any]:
    """A stored draft in the shape of ``POST /v1/drafts`` (the CLI's ``draft --json`` plus its
    status, version and what it answered)."""
    sources = [SearchHit.model_validate(s).contract() for s in row.get("sources") or []]
    findings = [Finding.model_validate(f) for f in row.get("findings") or []]
    return {
        "id": row["id"],
        "draft": row.get("output") or "",
        "language": row.get("language"),
        "situations": list(row.get("situations") or []),
        "sources": sources,
        "findings": CheckResult(findings=findings).contract()["findings"],
        "model": row.get("model"),
        "prompt_version": row.get("prompt_version"),
        "status": row["status"],
        "version": row["version"],
        "message": row.get("message"),
        "customer_id": row.get("customer_id"),
        "conversation_id": row.get("conversation_id"),
        "channel": row.get("channel"),
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


def _version(if_match: str | None) -> int:
    """The draft version an ``If-Match`` header names (``3``, ``"3"`` or ``W/"3"``)."""
    if if_match is None or not if_match.strip():
        raise ApiError(400, "send the draft's version in If-Match", where="If-Match")
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ApiError(400, f"not a draft version: {if_match!r}", where="If-Match")
    return int(value)


def signed_in(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    """The account behind ``Authorization: Bearer <token>``; 401 without a valid one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "send Authorization: Bearer <token> (reply-assistant tokens create)",
            where="Authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )
    actor = actor_for_token(request.app.state.deps.store, token.strip())
    if actor is None:
        raise ApiError(
            401,
            "unknown or revoked token, or a disabled account",
            where="Authorization",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return actor


Who = Annotated[Actor, Depends(signed_in)]


# -- the app ----------------------------------------------------------------------------------


def create_app(deps: Deps, *, max_body: int = MAX_BODY, background: bool = True) -> FastAPI:
    """The API over ``deps`` (built once by the caller and shared by every request).

    With ``background`` the channels' loop (:class:`~assistant.channels.worker.Dispatcher`)
    runs while the app serves: it drafts what webhooks delivered and sends approved replies.
    """
    from assistant import channels, history, playbook, review
    from assistant import triage as triage_mod
    from assistant.api.hooks import hooks
    from assistant.channels.worker import Dispatcher
    from assistant.config import CHANNELS
    from assistant.errors import InputError
    from assistant.pipeline import DraftRequest, draft_reply, validate

    dispatcher = Dispatcher(deps, channels.configured(deps.settings)) if background else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if dispatcher is not None:
            dispatcher.start()
        yield
        if dispatcher is not None:
            dispatcher.stop()

    app = FastAPI(
        title="reply-assistant",
        summary="Grounded, playbook-checked reply drafts (Korean and English)",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.deps = deps
    app.state.dispatcher = dispatcher
    install_error_handlers(app)
    app.add_middleware(CatchAll)
    app.add_middleware(BodyLimit, limit=max_body)
    store = deps.store

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(signed_in)])

    def load(draft_id: int) -> dict[str, Any]:
        row = store.get_draft(draft_id)
        if row is None:
            raise ApiError(404, f"no draft {draft_id}", where="id")
        return row

    def remembered(user_id: int, key: str, request_hash: str) -> int | None:
        """The draft an earlier request with this key made (409 if that request differed)."""
        k = tables.api_idempotency
        with store.engine.connect() as conn:
            found = conn.execute(
                select(k.c.draft_id, k.c.request_hash).where(k.c.user_id == user_id, k.c.key == key)
            ).first()
        if found is None:
            return None
        if found.request_hash != request_hash:
            raise ApiError(
                409,
                "this Idempotency-Key was used for a different request",
                where="Idempotency-Key",
            )
        return int(found.draft_id)

    def replay(draft_id: int) -> JSONResponse:
        view = draft_view(load(draft_id))
        return JSONResponse(
            {k: view[k] for k in CREATED_KEYS},
            status_code=201,
            headers={"Idempotent-Replayed": "true"},
        )

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @v1.post("/drafts", status_code=201)
    def create_draft(
        body: DraftIn,
        actor: Who,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        if body.history and not (body.customer_id or (body.customer or {}).get("id")):
            raise InputError("history needs a customer_id", where="history")
        key = idempotency_key.strip() if idempotency_key else None
        if key is not None and not 0 < len(key) <= MAX_KEY:
            raise ApiError(422, f"must be 1 to {MAX_KEY} characters", where="Idempotency-Key")
        digest = hashlib.sha256(body.model_dump_json().encode("utf-8")).hexdigest()
        if key is not None:
            earlier = remembered(actor.account.id, key, digest)
            if earlier is not None:
                return replay(earlier)
        if body.customer:
            profile = dict(body.customer)
            given = profile.setdefault("id", body.customer_id)
            if body.customer_id and given != body.customer_id:
                raise InputError("differs from customer_id", where="customer.id")
            if not given:
                raise InputError("send customer_id or customer.id", where="customer.id")
            if "language" not in profile and history.get_customer(store, str(given)) is None:
                from assistant.text import detect_language

                profile["language"] = detect_language(body.message)  # a new customer's own
            body.customer_id = history.save_profile(store, profile, actor=actor.name)
        req = DraftRequest(
            message=body.message,
            channel=body.channel,
            customer_id=body.customer_id or None,
            conversation_id=body.conversation_id or None,
            author=actor.name,
            via="api",
            style=body.style or None,
            prompt_version=body.prompt_version or None,
        )
        if body.history and body.customer_id:
            validate(req)
            req.conversation_id = history.record_history(
                store,
                body.customer_id,
                req.conversation_id,
                [(m.role, m.text, m.at) for m in body.history],
                body.channel,
            )
            # Drafts made before the customer's latest message answer an older one.
            latest = history.last_customer_message_at(store, req.conversation_id)
            if latest is not None:
                review.mark_stale_for_conversation(
                    store, req.conversation_id, since=latest, actor=actor.name
                )
        draft = draft_reply(deps, req)
        assert draft.id is not None
        if key is not None:
            try:
                with store.transaction() as conn:
                    conn.execute(
                        insert(tables.api_idempotency).values(
                            user_id=actor.account.id,
                            key=key,
                            request_hash=digest,
                            draft_id=draft.id,
                            created_at=store.now(),
                        )
                    )
            except IntegrityError:
                # The same key raced in from another request: answer with the draft it got.
                first = remembered(actor.account.id, key, digest)
                if first is not None:
                    return replay(first)
                raise
        row = load(draft.id)
        out = {**draft.contract(), "status": row["status"], "version": row["version"]}
        return JSONResponse(out, status_code=201)

    @v1.get("/drafts/{draft_id}")
    def get_draft(draft_id: int) -> dict[str, Any]:
        return draft_view(load(draft_id))

    @v1.post("/drafts/{draft_id}/approve")
    def approve(
        draft_id: int,
        body: ApproveIn,
        actor: Who,
        if_match: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        expected = _version(if_match)
        load(draft_id)
        decision = review.approve(
            store,
            draft_id,
            final_text=body.text,
            reviewer=actor,
            expected_version=expected,
            override_reason=body.override_reason,
            checker=review.make_checker(
                store, known_urls=deps.kb.known_urls(), ui_lang=deps.settings.ui_language
            ),
            confirm_stale=body.confirm_stale,
        )
        if dispatcher is not None:
            dispatcher.wake()
        return {"decision": decision.model_dump(mode="json"), "draft": draft_view(load(draft_id))}

    @v1.post("/drafts/{draft_id}/reject")
    def reject(
        draft_id: int,
        body: RejectIn,
        actor: Who,
        if_match: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        row = load(draft_id)
        expected = _version(if_match) if if_match is not None else int(row["version"])
        decision = review.reject(
            store, draft_id, reviewer=actor, reason=body.reason, expected_version=expected
        )
        return {"decision": decision.model_dump(mode="json"), "draft": draft_view(load(draft_id))}

    @v1.post("/check")
    def check(body: CheckIn) -> dict[str, Any]:
        if body.channel not in CHANNELS:
            raise InputError(
                f"unknown channel {body.channel!r} (use {', '.join(CHANNELS)})", where="channel"
            )
        if body.lang not in (None, "ko", "en"):
            raise InputError("use ko or en", where="lang")
        if not body.text.strip():
            raise InputError("the draft is empty", where="text")
        person = None
        if body.customer_id:
            person = history.get_customer(store, body.customer_id)
            if person is None:
                raise InputError(f"unknown customer {body.customer_id!r}", where="customer_id")
        result = playbook.check(
            body.text,
            channel=body.channel,
            lang=body.lang,
            customer_message=body.customer_message or None,
            customer=person,
            known_urls=deps.kb.known_urls() if deps.kb.count() else None,
            ui_lang=deps.settings.ui_language,
        )
        return result.contract()

    @v1.post("/triage")
    def triage(body: TriageIn) -> dict[str, Any]:
        if not body.message.strip():
            raise InputError("the message is empty", where="message")
        return triage_mod.triage(body.message).contract()

    @v1.get("/search")
    def search(
        q: Annotated[str, Query(description="What to look for, in Korean or English.")],
        k: Annotated[int, Query(ge=1, le=50, description="How many documents.")] = 5,
    ) -> dict[str, Any]:
        if not q.strip():
            raise InputError("the query is empty", where="q")
        return {"results": [h.contract() for h in deps.kb.search(q, k=k)]}

    app.include_router(v1)
    app.include_router(hooks)
    from assistant.api.surveys import router as surveys_router

    app.include_router(surveys_router)  # GET/POST /s/{token}: no sign-in, the token is the key
    return app


def app_for_data_dir(data_dir: Path | None = None) -> FastAPI:
    """The app over the data dir (``$ASSISTANT_DATA_DIR`` by default), its deps built once."""
    from assistant.config import load_settings
    from assistant.errors import InputError
    from assistant.pipeline import Deps

    settings = load_settings(data_dir=data_dir)
    if not settings.data_dir.is_dir():
        raise InputError(
            "no data here: run `reply-assistant init` first", where=str(settings.data_dir)
        )
    return create_app(Deps.from_settings(settings))
