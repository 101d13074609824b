"""The model call: litellm for any configured model, with retries, fallbacks and timeouts.

litellm is imported lazily (it takes seconds) and never reaches the network at import
(``LITELLM_LOCAL_MODEL_COST_MAP``). Each call tries ``settings.model`` and then each of
``settings.fallback_models``; each model gets ``1 + settings.max_retries`` attempts. Rate
limits (429), timeouts, server errors (5xx), malformed answers and streams that end before
the model finished are retried with exponential backoff, honouring the provider's
``Retry-After``; other errors (a bad key, a bad request) go straight to the next model.
Every request has ``settings.request_timeout``. When all fail, :class:`ModelError` says in
one line what happened. API keys stay in the provider's environment variables and are never
logged; with ``redact_pii`` the model sees placeholders instead of personal values
(:mod:`assistant.llm.redact`).

Structured calls (:func:`complete_json`, :func:`acomplete_json`) go through the same attempts
and ask for JSON that fits a pydantic model: litellm's ``response_format`` gets the model
itself (sent as a JSON schema) where litellm knows the model supports schemas
(``litellm.supports_response_schema``), else JSON mode (``{"type": "json_object"}``); a provider
with neither has the parameter dropped (``drop_params``), so the prompt must ask for JSON too.
The answer is parsed with ``schema.model_validate_json``; an answer that does not fit is
retried once (on the same model while it has retries left, else on the next one), and a
second one ends the call with a :class:`ModelError` naming the schema and the first problems.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from assistant.config import Settings
from assistant.errors import ModelError
from assistant.models import Generation

TokenCallback = Callable[[str], None]
T = TypeVar("T")
Schema = TypeVar("Schema", bound=BaseModel)
_SECRET = re.compile(r"\b(sk|pk|rk|key|token|api)[-_][A-Za-z0-9_-]{8,}", re.I)
BACKOFF_BASE = 0.5
"""Seconds before the first retry when the provider gives no Retry-After; doubles each time."""
BACKOFF_MAX = 20.0
MAX_RETRY_AFTER = 60.0
"""A Retry-After longer than this is not waited for: the next model is tried instead."""
_RETRY_STATUS = {408, 409, 425, 429}
_RETRY_NAMES = {
    "Timeout",
    "APITimeoutError",
    "APIConnectionError",
    "InternalServerError",
    "ServiceUnavailableError",
    "BrokenStreamError",
}


MALFORMED_RETRIES = 1
"""How many structured answers that do not fit their schema one call retries before it fails."""


class BrokenStreamError(Exception):
    """A streamed answer stopped before the model said it had finished."""


class MalformedAnswer(Exception):
    """A structured answer that is not JSON fitting its schema."""


_configured = False
_routable: set[str] = set()


def litellm_module() -> Any:
    """Import litellm once, offline and quiet: no message logging, no telemetry, no banner."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    global _configured
    if _configured:  # once per process: setting log levels clears logging's caches
        return litellm
    _configured = True
    litellm.suppress_debug_info = True
    litellm.turn_off_message_logging = True
    litellm.redact_messages_in_exceptions = True
    litellm.drop_params = True
    litellm.telemetry = False
    litellm.set_verbose = False
    if not os.environ.get("LITELLM_LOG"):
        for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
            logging.getLogger(name).setLevel(logging.WARNING)
    return litellm


def warm_up(settings: Settings) -> None:
    """Load what litellm loads on its first real call (about a second of imports), without a
    request: one mocked completion, and the OpenAI SDK's resource modules it imports lazily.
    For processes about to make many calls (bulk workers), before their clock starts."""
    litellm = litellm_module()
    with contextlib.suppress(Exception):
        import openai.resources  # noqa: F401
    with contextlib.suppress(Exception):
        litellm.completion(
            model=settings.model, messages=[{"role": "user", "content": "ping"}],
            mock_response="pong",
        )  # fmt: skip


def check_model(model: str) -> None:
    """Raise ModelError when litellm cannot route the model string to a provider."""
    if model in _routable:
        return
    litellm = litellm_module()
    try:
        litellm.get_llm_provider(model)
        _routable.add(model)
    except Exception:
        raise ModelError(
            f"unknown model {model!r}: use a litellm model string such as openai/gpt-4o-mini, "
            "anthropic/claude-3-5-haiku-latest or ollama/qwen2.5:7b"
        ) from None


def scrub(text: str) -> str:
    """``text`` without API keys from the environment or anything shaped like a key."""
    for name in list(os.environ):
        value = os.environ[name]
        if name.endswith(("_API_KEY", "_TOKEN", "_SECRET")) and len(value) >= 6 and value in text:
            text = text.replace(value, "***")
    return _SECRET.sub("***", text)


def describe_error(exc: BaseException) -> str:
    """One line for the user: the error's kind and its first line, without secrets."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = scrub(text.replace("litellm.", ""))
    kind = type(exc).__name__
    return f"{kind}: {text[:300]}" if text and not text.startswith(kind) else text[:300] or kind


def retryable(exc: BaseException) -> bool:
    """Whether another attempt at the same model may succeed (rate limit, timeout, 5xx...)."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and (status in _RETRY_STATUS or status >= 500):
        return True
    return any(cls.__name__ in _RETRY_NAMES for cls in type(exc).__mro__)


def retry_after(exc: BaseException) -> float | None:
    """Seconds the provider asked us to wait (``Retry-After`` / ``retry-after-ms``), if any."""
    response = getattr(exc, "response", None)
    for headers in (
        getattr(exc, "litellm_response_headers", None),
        getattr(response, "headers", None),
    ):
        if not headers:
            continue
        millis = headers.get("retry-after-ms")
        value = headers.get("retry-after")
        try:
            if millis:
                return max(0.0, float(millis) / 1000)
            if value:
                return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - time.time())
    return None


def backoff(exc: BaseException, attempt: int) -> float | None:
    """Seconds to wait before retrying after ``exc`` on attempt ``attempt`` (1-based); None: don't."""
    if not retryable(exc):
        return None
    asked = retry_after(exc)
    if asked is not None:
        return asked if asked <= MAX_RETRY_AFTER else None
    return min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1)) * (0.75 + random.random() / 2)


def plan(settings: Settings) -> list[str]:
    """The models to try, in order: the configured one, then the fallbacks (no repeats)."""
    out: list[str] = []
    for model in [settings.model, *settings.fallback_models]:
        if model and model.strip() and model.strip() not in out:
            out.append(model.strip())
    return out


def _params(
    settings: Settings, model: str, messages: list[dict[str, str]], **extra: Any
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "temperature": settings.temperature,
        "timeout": settings.request_timeout,
        "num_retries": 0,
        "max_retries": 0,
    }
    same_provider = model.split("/", 1)[0] == settings.model.split("/", 1)[0]
    if settings.api_base and same_provider:
        params["api_base"] = settings.api_base
    params.update(extra)
    return params


def _usage(
    litellm: Any, response: Any, messages: list[dict[str, str]], text: str
) -> dict[str, Any]:
    usage = getattr(response, "usage", None)
    prompt = getattr(usage, "prompt_tokens", None) or None
    completion = getattr(usage, "completion_tokens", None) or None
    model = getattr(response, "model", None) or ""
    if not prompt:
        try:
            prompt = litellm.token_counter(model=model or "gpt-4o-mini", messages=messages)
            completion = litellm.token_counter(model=model or "gpt-4o-mini", text=text)
        except Exception:
            prompt, completion = None, None
    hidden = getattr(response, "_hidden_params", None) or {}
    cost = hidden.get("response_cost")  # litellm priced it already (a miss costs ~1 ms again)
    try:
        if "response_cost" not in hidden:
            cost = litellm.completion_cost(completion_response=response)
        cost = float(cost) if cost is not None else None
    except Exception:
        cost = None
    return {"prompt_tokens": prompt, "completion_tokens": completion, "cost_usd": cost}


class _Call:
    """One logical model call: the attempts, their errors, redaction and the result."""

    def __init__(self, messages: list[dict[str, str]], settings: Settings) -> None:
        self.settings = settings
        self.litellm = litellm_module()
        for model in plan(settings):
            check_model(model)
        self.redactor = None
        self.messages = messages
        if settings.redact_pii:
            from assistant.llm.redact import redact_messages

            self.messages, self.redactor = redact_messages(messages)
        self.errors: list[str] = []
        self.skip: str | None = None
        self.malformed = 0
        self.started = time.perf_counter()

    def attempts(self) -> Iterator[tuple[str, int]]:
        """(model, attempt number) for every attempt allowed."""
        for model in plan(self.settings):
            for attempt in range(1, self.settings.max_retries + 2):
                if self.skip == model or self.malformed > MALFORMED_RETRIES:
                    break
                yield model, attempt

    def failed(self, model: str, attempt: int, exc: BaseException) -> float | None:
        """Record a failed attempt; the seconds to wait before the next one at this model."""
        if isinstance(exc, MalformedAnswer):
            self.malformed += 1
            retry = attempt <= self.settings.max_retries and self.malformed <= MALFORMED_RETRIES
            wait = 0.0 if retry else None
        else:
            wait = backoff(exc, attempt) if attempt <= self.settings.max_retries else None
        if wait is None:
            self.skip = model
        note = f" (retrying in {wait:.1f} s)" if wait is not None else ""
        self.errors.append(f"{model} attempt {attempt}: {describe_error(exc)}{note}")
        return wait

    def give_up(self) -> ModelError:
        """The error when every attempt failed: the last one, and how many were made."""
        last = self.errors[-1].split(": ", 1)[-1] if self.errors else "no attempt made"
        last = re.sub(r" \(retrying in [\d.]+ s\)$", "", last)
        models = ", ".join(plan(self.settings))
        return ModelError(f"{len(self.errors)} attempt(s) on {models} failed; last: {last}")

    def result(self, response: Any, text: str) -> Generation:
        """The Generation for a successful answer, placeholders restored."""
        if self.redactor is not None:
            text = self.redactor.restore(text)
        return Generation(
            text=text.strip(),
            model=getattr(response, "model", None) or self.settings.model,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 1),
            errors=self.errors,
            redactions=len(self.redactor.values) if self.redactor else 0,
            **_usage(self.litellm, response, self.messages, text),
        )


def _text(response: Any, model: str) -> str:
    try:
        text = response.choices[0].message.content or ""
    except (AttributeError, IndexError, TypeError):
        raise BrokenStreamError(f"{model} returned an answer without a message") from None
    if not text.strip():
        raise BrokenStreamError(f"{model} returned an empty reply")
    return str(text)


def complete(
    messages: list[dict[str, str]],
    settings: Settings,
    *,
    on_token: TokenCallback | None = None,
    on_restart: Callable[[], None] | None = None,
    **extra: Any,
) -> Generation:
    """Call the configured model (with retries and fallbacks); stream to ``on_token`` if given.

    When a streamed attempt breaks after some tokens, ``on_restart`` is called before the
    next attempt streams again (callers showing tokens clear what they showed).
    ``extra`` goes to litellm as is (tests pass ``mock_response``).
    """
    call = _Call(messages, settings)

    def once(model: str) -> Generation:
        if on_token is None:
            response = call.litellm.completion(**_params(settings, model, call.messages, **extra))
            return call.result(response, _text(response, model))
        return call.result(*_stream(call, model, on_token, on_restart, **extra))

    return _retrying(call, once)


def _retrying(call: _Call, once: Callable[[str], T]) -> T:
    """``once(model)`` for each allowed attempt until one returns; waits between attempts."""
    for model, attempt in call.attempts():
        try:
            return once(model)
        except Exception as exc:
            wait = call.failed(model, attempt, exc)
        if wait:
            time.sleep(wait)
    raise call.give_up()


async def _aretrying(call: _Call, once: Callable[[str], Awaitable[T]]) -> T:
    """Async version of :func:`_retrying`."""
    for model, attempt in call.attempts():
        try:
            return await once(model)
        except Exception as exc:
            wait = call.failed(model, attempt, exc)
        if wait:
            await asyncio.sleep(wait)
    raise call.give_up()


def _stream(
    call: _Call,
    model: str,
    on_token: TokenCallback,
    on_restart: Callable[[], None] | None,
    **extra: Any,
) -> tuple[Any, str]:
    params = _params(call.settings, model, call.messages, stream=True, **extra)
    if "mock_response" not in extra:
        params["stream_options"] = {"include_usage": True}
    sink: Any = call.redactor.streaming(on_token) if call.redactor else on_token
    chunks, parts = [], []
    try:
        stream = call.litellm.completion(**params)
        for chunk in stream:
            chunks.append(chunk)
            choices = getattr(chunk, "choices", None) or []
            delta = getattr(choices[0].delta, "content", None) if choices else None
            if delta:
                parts.append(delta)
                sink(delta)
        if "mock_response" not in extra and not _finished(stream, chunks):
            raise BrokenStreamError(f"the stream from {model} ended before the reply was complete")
    except Exception as exc:
        if parts and on_restart is not None:
            on_restart()
        if retryable(exc) or getattr(exc, "status_code", None):
            raise
        raise BrokenStreamError(f"the stream from {model} broke: {describe_error(exc)}") from None
    if call.redactor:
        sink.flush()
    if not "".join(parts).strip():
        raise BrokenStreamError(f"{model} returned an empty reply")
    response = call.litellm.stream_chunk_builder(chunks, messages=call.messages)
    return response, "".join(parts)


def _finished(stream: Any, chunks: list[Any]) -> bool:
    """Whether the provider itself said the reply was complete (litellm adds a final "stop"
    of its own to a stream that was merely cut off, so its wrapper's record is asked first)."""
    if hasattr(stream, "received_finish_reason"):
        return bool(
            stream.received_finish_reason or getattr(stream, "intermittent_finish_reason", None)
        )
    return any(
        getattr(c.choices[0], "finish_reason", None) for c in chunks if getattr(c, "choices", None)
    )


async def acomplete(messages: list[dict[str, str]], settings: Settings, **extra: Any) -> Generation:
    """Async version of :func:`complete` (no streaming), for bulk and eval runs."""
    call = _Call(messages, settings)

    async def once(model: str) -> Generation:
        response = await call.litellm.acompletion(
            **_params(settings, model, call.messages, **extra)
        )
        return call.result(response, _text(response, model))

    return await _aretrying(call, once)


def complete_json(
    messages: list[dict[str, str]], settings: Settings, schema: type[Schema], **extra: Any
) -> Schema:
    """Call the configured model for JSON fitting ``schema`` (a pydantic model) and parse it.

    Retries, fallbacks, timeouts, redaction (placeholders are restored in the answer before it
    is parsed) and scrubbed errors are those of :func:`complete`; see the module for how the
    schema is sent and what a malformed answer does. ``extra`` goes to litellm as is.
    """
    call = _Call(messages, settings)

    def once(model: str) -> Schema:
        params = _params(settings, model, call.messages, **{**_json_mode(model, schema), **extra})
        response = call.litellm.completion(**params)
        return parse_json(schema, call.result(response, _text(response, model)).text, model)

    return _retrying(call, once)


async def acomplete_json(
    messages: list[dict[str, str]], settings: Settings, schema: type[Schema], **extra: Any
) -> Schema:
    """Async version of :func:`complete_json`."""
    call = _Call(messages, settings)

    async def once(model: str) -> Schema:
        params = _params(settings, model, call.messages, **{**_json_mode(model, schema), **extra})
        response = await call.litellm.acompletion(**params)
        return parse_json(schema, call.result(response, _text(response, model)).text, model)

    return await _aretrying(call, once)


def _json_mode(model: str, schema: type[BaseModel]) -> dict[str, Any]:
    """litellm's ``response_format`` for ``schema`` on ``model`` (see the module)."""
    if litellm_module().supports_response_schema(model=model):
        return {"response_format": schema}
    return {"response_format": {"type": "json_object"}}


def parse_json(schema: type[Schema], text: str, model: str) -> Schema:
    """``text`` (a model's answer, optionally in a Markdown code fence) validated as ``schema``;
    :class:`MalformedAnswer` says in one line what does not fit, never the values themselves."""
    body = text.strip()
    if body.startswith("```") and body.endswith("```") and len(body) >= 6:
        body = body[3:-3]
        label, newline, rest = body.partition("\n")
        if newline and (not label.strip() or label.strip().isalpha()):  # ```json
            body = rest
    try:
        return schema.model_validate_json(body.strip())
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)[:2]
        )
        raise MalformedAnswer(
            f"the answer of {model} is not valid {schema.__name__} JSON ({problems})"
        ) from None


def with_model(settings: Settings, model: str, **update: Any) -> Settings:
    """``settings`` for a call to another model (a classifier, a judge) under the same client
    policy: retries, timeouts, fallbacks and redaction stay; ``api_base`` stays only when no
    model is configured or the configured one has the same provider (as for fallbacks)."""
    values: dict[str, Any] = {"model": model, **update}
    same_provider = model.split("/", 1)[0] == settings.model.split("/", 1)[0]
    if not (settings.is_offline or same_provider):
        values["api_base"] = None
    return settings.model_copy(update=values)


def messages_for_record(messages: list[dict[str, str]], settings: Settings) -> list[dict[str, str]]:
    """The rendered messages as they may be stored: redacted when ``redact_pii`` is on."""
    if not settings.redact_pii or settings.is_offline:
        return messages
    from assistant.llm.redact import redact_messages

    return redact_messages(messages)[0]
