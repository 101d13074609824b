"""The model call: litellm for any configured model, with one interface for streaming and not.

litellm is imported lazily (it takes seconds) and never reaches the network at import
(``LITELLM_LOCAL_MODEL_COST_MAP``). Errors come back as :class:`ModelError` with one line
that says what happened; API keys stay in the provider's environment variables and are
never logged.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

from assistant.config import Settings
from assistant.errors import ModelError
from assistant.models import Generation

TokenCallback = Callable[[str], None]
_SECRET = re.compile(r"\b(sk|pk|rk|key|token|api)[-_][A-Za-z0-9_-]{8,}", re.I)


def litellm_module() -> Any:
    """Import litellm once, offline and quiet."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.turn_off_message_logging = True
    litellm.drop_params = True
    return litellm


def check_model(model: str) -> None:
    """Raise ModelError when litellm cannot route the model string to a provider."""
    litellm = litellm_module()
    try:
        litellm.get_llm_provider(model)
    except Exception:
        raise ModelError(
            f"unknown model {model!r}: use a litellm model string such as openai/gpt-4o-mini, "
            "anthropic/claude-3-5-haiku-latest or ollama/qwen2.5:7b"
        ) from None


def describe_error(exc: BaseException) -> str:
    """One line for the user: the error's kind and its first line, without secrets."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text.replace("litellm.", "")
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_TOKEN")) and os.environ[name] and os.environ[name] in text:
            text = text.replace(os.environ[name], "***")
    text = _SECRET.sub("***", text)
    kind = type(exc).__name__
    return f"{kind}: {text[:300]}" if text and not text.startswith(kind) else text[:300] or kind


def _params(settings: Settings, messages: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": settings.model,
        "messages": messages,
        "temperature": settings.temperature,
        "timeout": settings.request_timeout,
        "num_retries": settings.max_retries,
    }
    if settings.api_base:
        params["api_base"] = settings.api_base
    if settings.fallback_models:
        params["fallbacks"] = list(settings.fallback_models)
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
    cost = None
    try:
        cost = float(litellm.completion_cost(completion_response=response))
    except Exception:
        cost = None
    return {"prompt_tokens": prompt, "completion_tokens": completion, "cost_usd": cost}


def complete(
    messages: list[dict[str, str]],
    settings: Settings,
    *,
    on_token: TokenCallback | None = None,
    **extra: Any,
) -> Generation:
    """Call the configured model; stream tokens to ``on_token`` when given.

    ``extra`` goes to litellm as is (tests pass ``mock_response``).
    """
    litellm = litellm_module()
    check_model(settings.model)
    started = time.perf_counter()
    try:
        if on_token is None:
            response = litellm.completion(**_params(settings, messages, **extra))
            text = response.choices[0].message.content or ""
        else:
            response, text = _stream(litellm, settings, messages, on_token, **extra)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(describe_error(exc)) from None
    if not text.strip():
        raise ModelError(f"{settings.model} returned an empty reply")
    return Generation(
        text=text.strip(),
        model=getattr(response, "model", None) or settings.model,
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
        **_usage(litellm, response, messages, text),
    )


def _stream(
    litellm: Any,
    settings: Settings,
    messages: list[dict[str, str]],
    on_token: TokenCallback,
    **extra: Any,
) -> tuple[Any, str]:
    params = _params(settings, messages, stream=True, **extra)
    if "mock_response" not in extra:
        params["stream_options"] = {"include_usage": True}
    chunks = []
    parts: list[str] = []
    for chunk in litellm.completion(**params):
        chunks.append(chunk)
        choices = getattr(chunk, "choices", None) or []
        delta = getattr(choices[0].delta, "content", None) if choices else None
        if delta:
            parts.append(delta)
            on_token(delta)
    response = litellm.stream_chunk_builder(chunks, messages=messages) if chunks else None
    return response, "".join(parts)


async def acomplete(messages: list[dict[str, str]], settings: Settings, **extra: Any) -> Generation:
    """Async version of :func:`complete` (no streaming), for bulk and eval runs."""
    litellm = litellm_module()
    check_model(settings.model)
    started = time.perf_counter()
    try:
        response = await litellm.acompletion(**_params(settings, messages, **extra))
        text = response.choices[0].message.content or ""
    except Exception as exc:
        raise ModelError(describe_error(exc)) from None
    if not text.strip():
        raise ModelError(f"{settings.model} returned an empty reply")
    return Generation(
        text=text.strip(),
        model=getattr(response, "model", None) or settings.model,
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
        **_usage(litellm, response, messages, text),
    )
