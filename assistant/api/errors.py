"""The API's error contract: every error is JSON ``{"error", "where"}`` with the right status,
never a traceback; and the request-body cap (413) in front of everything."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.errors import (
    ApprovalBlocked,
    ConflictError,
    InputError,
    ModelError,
    PermissionDenied,
)
from assistant.models import CheckResult, Finding

log = logging.getLogger("assistant.api")

MAX_BODY = 256 * 1024
"""The largest request body accepted (bytes); a larger one gets 413."""


class ApiError(Exception):
    """An error with its HTTP status, message and the field or header it is about."""

    def __init__(
        self, status: int, message: str, *, where: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.where = where
        self.headers = headers
        super().__init__(message)


def error_body(message: str, where: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "where": where, **extra}


def _json(status: int, message: str, where: str, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(message, where, **extra), status_code=status)


def _input_message(exc: InputError) -> str:
    text = str(exc)
    prefix = f"{exc.where}: "
    return text[len(prefix) :] if exc.where and text.startswith(prefix) else text


def _findings(findings: list[object]) -> list[dict[str, Any]]:
    items = [f for f in findings if isinstance(f, Finding)]
    return list(CheckResult(findings=items).contract()["findings"])


def install_error_handlers(app: FastAPI) -> None:
    """Map the core's errors (and FastAPI's own) to JSON ``{"error", "where"}``."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        response = _json(exc.status, str(exc), exc.where)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        if first.get("type") == "json_invalid":
            return _json(400, "the request body is not valid JSON", "body")
        return _json(422, str(first.get("msg", "invalid request")), where)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = _json(exc.status_code, str(exc.detail), request.url.path)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        return _json(422, _input_message(exc), exc.where or "body")

    @app.exception_handler(PermissionDenied)
    async def _denied(request: Request, exc: PermissionDenied) -> JSONResponse:
        return _json(403, str(exc), request.url.path)

    @app.exception_handler(ApprovalBlocked)
    async def _blocked(request: Request, exc: ApprovalBlocked) -> JSONResponse:
        return _json(422, str(exc), "text", findings=_findings(exc.findings))

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return _json(409, str(exc), "If-Match", stale=type(exc).__name__ == "StaleDraftError")

    @app.exception_handler(ModelError)
    async def _model(request: Request, exc: ModelError) -> JSONResponse:
        return _json(502, f"model call failed: {exc}", "model", draft_id=exc.draft_id)


class CatchAll:
    """ASGI middleware: an unexpected exception becomes a JSON 500 (logged with its traceback on
    the server, never sent to the client)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await refuse(send, 500, "internal error (logged on the server)", scope.get("path", ""))


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes gets 413, whether it says so in
    Content-Length or only turns out that long while it is read."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await refuse(send, 400, "Content-Length is not a number", "Content-Length")
                return
            if size > self.limit:
                await self._too_large(send)
                return
        chunks: list[bytes] = []
        total = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.limit:
                await self._too_large(send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body"))
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        await refuse(send, 413, f"the request body is over {self.limit // 1024} KiB", "body")


async def refuse(send: Send, status: int, message: str, where: str) -> None:
    """Send a JSON error response straight through ASGI."""
    payload = json.dumps(error_body(message, where)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
