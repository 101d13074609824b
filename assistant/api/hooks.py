"""Helpdesk webhooks: ``POST /v1/hooks/chatwoot``.

No Bearer token here: Chatwoot signs each delivery with the webhook's secret instead, and a
delivery it did not sign, or signed too long ago, is refused (401). A verified customer message is
recorded once (a replay, with the same message id, changes nothing) and answered at once; the
draft and the private note are made by the background loop (:mod:`assistant.channels.worker`).
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from assistant import channels
from assistant.api.errors import ApiError
from assistant.channels import chatwoot

hooks = APIRouter(prefix="/v1/hooks", tags=["webhooks"])


@hooks.post("/chatwoot", status_code=202)
async def chatwoot_hook(
    request: Request,
    x_chatwoot_signature: Annotated[str | None, Header()] = None,
    x_chatwoot_timestamp: Annotated[str | None, Header()] = None,
    x_chatwoot_delivery: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """A Chatwoot ``message_created`` delivery (other events are acknowledged and ignored)."""
    deps = request.app.state.deps
    secret = deps.settings.chatwoot_secret
    if secret is None or not secret.get_secret_value():
        raise ApiError(503, "set ASSISTANT_CHATWOOT_SECRET to receive Chatwoot", where="settings")
    body = await request.body()
    try:
        chatwoot.verify(
            secret.get_secret_value(),
            signature=x_chatwoot_signature,
            timestamp=x_chatwoot_timestamp,
            body=body,
            now=time.time(),
            max_age=deps.settings.webhook_max_age,
        )
    except chatwoot.BadSignature as exc:
        raise ApiError(401, str(exc), where="X-Chatwoot-Signature") from None
    try:
        payload: Any = json.loads(body)
    except ValueError:
        raise ApiError(400, "the request body is not valid JSON", where="body") from None
    parsed = chatwoot.parse_event(payload)
    if isinstance(parsed, chatwoot.Ignored):
        return JSONResponse({"status": "ignored", "reason": parsed.reason}, status_code=200)
    received = await run_in_threadpool(channels.receive, deps.store, parsed)
    if received is None:
        return JSONResponse({"status": "duplicate", "delivery": x_chatwoot_delivery}, 200)
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake()
    return JSONResponse(
        {
            "status": "accepted",
            "inbound_id": received.inbound_id,
            "conversation_id": received.conversation_id,
            "stale_drafts": received.stale,
        },
        status_code=202,
    )
