"""Drafting models behind one interface: a litellm model, the offline template drafter, and the
deterministic ``mock/*`` models.

The pipeline asks :func:`model_for` for the model the settings name and gives it a
:class:`Prompt`; it never branches on which kind of model answers. A model says what it needs
(``renders_prompt``: the chat messages of a prompt template, or the structured request the
template drafter composes from) and whether feeding it the checker's errors can change its
answer (``learns_from_feedback``; a deterministic drafter's second answer would be its first).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from assistant.config import OFFLINE_MODEL
from assistant.models import Generation

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.llm.mock import ResponseCache
    from assistant.llm.offline import OfflineRequest

OFFLINE_TEMPLATE = "offline_reply@v1"
"""The template the offline drafter writes with (its ``prompt_version``)."""

TokenCallback = Callable[[str], None]


@dataclass
class Prompt:
    """What a drafting model is given for one attempt."""

    template: str
    """``name@version`` of the template behind this prompt."""
    channel: str
    messages: list[dict[str, str]] = field(default_factory=list)
    """The rendered chat messages (models that render prompts)."""
    request: OfflineRequest | None = None
    """The structured request (the offline drafter)."""
    fits: Callable[[str], bool] | None = None
    """Whether a text fits the channel's length limit (None: no limit)."""


class DraftModel(Protocol):
    """A model that drafts replies."""

    name: str
    renders_prompt: bool
    learns_from_feedback: bool

    def generate(
        self,
        prompt: Prompt,
        *,
        on_token: TokenCallback | None = None,
        on_restart: Callable[[], None] | None = None,
    ) -> Generation: ...

    async def agenerate(self, prompt: Prompt) -> Generation: ...


class OfflineDrafter:
    """The built-in template drafter: deterministic, playbook-complete, no network."""

    name = OFFLINE_MODEL
    renders_prompt = False
    learns_from_feedback = False

    def generate(
        self,
        prompt: Prompt,
        *,
        on_token: TokenCallback | None = None,
        on_restart: Callable[[], None] | None = None,
    ) -> Generation:
        from assistant.llm import offline

        if prompt.request is None:
            raise ValueError("the offline drafter needs the structured request")
        gen = offline.compose(prompt.request, prompt.fits)
        if on_token:
            on_token(gen.text)
        return gen

    async def agenerate(self, prompt: Prompt) -> Generation:
        return self.generate(prompt)


class MockModel:
    """``mock/<name>``: answers deterministically from what the rendered prompt asks for."""

    renders_prompt = True
    learns_from_feedback = False

    def __init__(self, name: str) -> None:
        self.name = name

    def generate(
        self,
        prompt: Prompt,
        *,
        on_token: TokenCallback | None = None,
        on_restart: Callable[[], None] | None = None,
    ) -> Generation:
        from assistant.llm.mock import mock_reply

        started = time.perf_counter()
        text = mock_reply(prompt.messages, prompt.channel)
        if on_token:
            on_token(text)
        latency = round((time.perf_counter() - started) * 1000, 2)
        return Generation(text=text, model=self.name, latency_ms=latency, cost_usd=0.0)

    async def agenerate(self, prompt: Prompt) -> Generation:
        return self.generate(prompt)


class LiteLLMModel:
    """Any model litellm reaches, through :mod:`assistant.llm` (retries, timeouts, fallbacks,
    redaction, scrubbed errors). ``extra`` goes to litellm as is (tests pass ``mock_response``)."""

    renders_prompt = True
    learns_from_feedback = True

    def __init__(self, settings: Settings, **extra: Any) -> None:
        self.settings = settings
        self.name = settings.model
        self.extra = extra

    def generate(
        self,
        prompt: Prompt,
        *,
        on_token: TokenCallback | None = None,
        on_restart: Callable[[], None] | None = None,
    ) -> Generation:
        from assistant import llm

        return llm.complete(
            prompt.messages, self.settings, on_token=on_token, on_restart=on_restart, **self.extra
        )

    async def agenerate(self, prompt: Prompt) -> Generation:
        from assistant import llm

        return await llm.acomplete(prompt.messages, self.settings, **self.extra)


class CachedModel:
    """A model whose answers are kept in a :class:`ResponseCache` (keyed by model, messages and
    temperature): an answer already given is served again without a call."""

    def __init__(self, inner: DraftModel, cache: ResponseCache, temperature: float) -> None:
        self.inner = inner
        self.cache = cache
        self.params = {"temperature": temperature}
        self.name = inner.name
        self.renders_prompt = inner.renders_prompt
        self.learns_from_feedback = inner.learns_from_feedback
        self.calls = 0
        self.hits = 0

    def _key(self, prompt: Prompt) -> str | None:
        if not self.renders_prompt:
            return None
        return self.cache.key(self.name, prompt.messages, self.params)

    def _cached(self, key: str | None) -> Generation | None:
        found = self.cache.get(key) if key else None
        if found is None:
            return None
        self.hits += 1
        text, usage = found
        fields = {k: v for k, v in usage.items() if k in Generation.model_fields}
        return Generation.model_validate(
            {"model": self.name, **fields, "text": text, "cached": True}
        )

    def _keep(self, key: str | None, gen: Generation) -> Generation:
        if key:
            self.calls += 1
            self.cache.put(key, self.name, gen.text, gen.model_dump(exclude={"text"}))
        return gen

    def generate(
        self,
        prompt: Prompt,
        *,
        on_token: TokenCallback | None = None,
        on_restart: Callable[[], None] | None = None,
    ) -> Generation:
        key = self._key(prompt)
        hit = self._cached(key)
        if hit is not None:
            return hit
        return self._keep(
            key, self.inner.generate(prompt, on_token=on_token, on_restart=on_restart)
        )

    async def agenerate(self, prompt: Prompt) -> Generation:
        return await self.agenerate_with(prompt, self.inner.agenerate)

    async def agenerate_with(
        self, prompt: Prompt, call: Callable[[Prompt], Awaitable[Generation]]
    ) -> Generation:
        """Like :meth:`agenerate`, with ``call`` (e.g. one holding a concurrency slot) asked on
        a cache miss."""
        key = self._key(prompt)
        hit = self._cached(key)
        if hit is not None:
            return hit
        return self._keep(key, await call(prompt))


def model_for(settings: Settings, **extra: Any) -> DraftModel:
    """The drafting model the settings name: ``offline``, ``mock/<name>`` or a litellm model."""
    from assistant.llm.mock import is_mock

    if settings.is_offline:
        return OfflineDrafter()
    if is_mock(settings.model):
        return MockModel(settings.model)
    return LiteLLMModel(settings, **extra)
