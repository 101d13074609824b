"""Drafting bulk posts with the pipeline's drafting core (prompt, model call, playbook check).

A :class:`Drafter` lives in one process and one event loop: the bulk runner's own (one
process) or each worker's (:mod:`assistant.bulk.workers`). Only the model call holds one of
the ``slots`` (the run's concurrency): rendering the prompt and checking the draft take a
millisecond or two of CPU and happen outside it, so the provider always has ``slots``
requests to work on while this process prepares the next ones.

:meth:`Drafter.outcome` turns a :class:`Job` into the fields of its output line: a
``drafted`` result, or ``failed`` with a one-line reason; it never raises for one post.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.errors import ModelError
from assistant.models import Generation, Triage

if TYPE_CHECKING:
    import numpy as np

    from assistant.llm.drafters import DraftModel, Prompt
    from assistant.pipeline import Deps


@dataclass
class Job:
    """One post to draft: what the drafter needs, small enough to send to a worker process."""

    key: str
    text: str
    platform: str
    triage: Triage
    vector: np.ndarray | None = None
    """The post's embedding from the prepare phase (reused as its search query vector)."""


class _PrefetchedEmbedder:
    """An embedder whose query vectors for this run's posts are already computed (batched)."""

    def __init__(self, inner: Any, vectors: dict[str, Any]) -> None:
        self._inner = inner
        self._vectors = vectors

    def query(self, text: str) -> Any:
        found = self._vectors.get(text)
        return found if found is not None else self._inner.query(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _NoKnowledge:
    """Stands in for an empty knowledge base: no sources, no known links (checked once, not
    per post: opening a missing index costs about 0.1 s each time)."""

    def search(self, query: str, k: int = 5, *, lang: str | None = None) -> list[Any]:
        return []

    def get(self, doc_id: str) -> None:
        return None

    def translated(self, hits: list[Any], lang: str) -> list[Any]:
        return list(hits)

    def in_language(self, hits: list[Any], lang: str) -> list[Any]:
        return list(hits)

    def known_urls(self) -> set[str]:
        return set()


class Drafter:
    """Drafts jobs in the running event loop with at most ``slots`` model calls in flight."""

    def __init__(self, deps: Deps, options: Any, slots: int) -> None:
        self.deps = deps
        self.options = options
        self.slots_n = max(1, slots)
        self._slots: asyncio.Semaphore | None = None
        self.vectors: dict[str, Any] = {}
        self.kb: Any = deps.kb
        self.settings = deps.settings.model_copy(
            update={
                "max_retries": options.retries,
                "request_timeout": options.timeout or deps.settings.request_timeout,
            }
        )
        from assistant.llm.drafters import model_for

        self.model: DraftModel = model_for(self.settings, **options.llm_extra)
        self.prompt_ref: str | None = None
        """The prompt template ``name@version``, resolved once (not looked up per post)."""

    def warm(self) -> None:
        """Open the knowledge base and load what the first post would load (before the clock)."""
        kb = self.deps.kb
        if kb.count() == 0:
            self.kb = _NoKnowledge()
        elif getattr(kb.embedder, "backend", "") == "embedded:use":
            self.kb = copy.copy(kb)
            self.kb.embedder = _PrefetchedEmbedder(kb.embedder, self.vectors)
        if self.model.renders_prompt:
            from assistant import prompts
            from assistant.pipeline import DRAFT_TEMPLATE

            self.prompt_ref = "@".join(prompts.parse_ref(DRAFT_TEMPLATE))
        if not self.deps.settings.is_offline:
            from assistant import llm

            llm.warm_up(self.settings)
        from assistant.triage import triage

        tri = triage("오프라인 메모가 동기화되지 않아요", model=None)
        self._check("불편을 드려 죄송합니다.", "x", "동기화가 안 돼요", tri)

    async def outcome(self, job: Job) -> dict[str, Any]:
        """The output fields of ``job``: ``status`` drafted (with the draft) or failed."""
        if job.vector is not None:
            self.vectors[job.text] = job.vector
        try:
            drafted = await self._draft(job)
        except ModelError as exc:
            return {"status": "failed", "reason": str(exc)}
        except Exception as exc:  # noqa: BLE001 - one post's failure must not stop the run
            return {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
        finally:
            self.vectors.pop(job.text, None)
        return {**drafted, "status": "drafted", "reason": None}

    async def _draft(self, job: Job) -> dict[str, Any]:
        from assistant.pipeline import DraftRequest, agenerate_and_check, ground, new_trace

        req = DraftRequest(
            message=job.text, channel=job.platform, author="bulk", prompt_version=self.prompt_ref
        )
        deps = dataclasses.replace(self.deps, kb=self.kb)
        g = ground(deps, req, job.triage)
        draft = await agenerate_and_check(
            deps,
            self.model,
            req,
            g,
            new_trace(req, g),
            call=self._call,
            regenerate=self.options.regenerate,
        )
        return {
            "draft": draft.draft,
            "findings": [f.model_dump(mode="json") for f in draft.findings],
            "model": draft.model,
            "prompt_version": draft.prompt_version,
            "sources": [s.url for s in draft.sources],
            "latency_ms": draft.trace.get("usage", {}).get("latency_ms"),
            "attempts": draft.attempts,
            "_draft": draft.model_dump(mode="json"),
        }

    def _check(self, text: str, channel: str, message: str, tri: Triage) -> Any:
        from assistant.pipeline import DraftRequest, run_checks

        req = DraftRequest(message=message, channel=channel)
        return run_checks(self.deps, text, req, tri, None, None)

    async def _call(self, prompt: Prompt) -> Generation:
        """One model call in one slot; the model client retries rate limits, server errors and
        timeouts with backoff (honouring ``Retry-After``) and falls back."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.slots_n)
        async with self._slots:
            return await self.model.agenerate(prompt)


async def draft_here(
    drafter: Drafter, jobs: list[Job], on_outcome: Any, *, lookahead: int = 4
) -> None:
    """Draft ``jobs`` in this process; ``on_outcome(job, fields)`` as each one finishes.

    At most ``slots + lookahead`` posts are being worked on at once (the lookahead has its
    prompt ready when a slot frees), so memory stays flat however long the file is.
    """
    pending = iter(jobs)
    gate = asyncio.Semaphore(drafter.slots_n + lookahead)

    async def one(job: Job) -> None:
        try:
            fields = await drafter.outcome(job)
        finally:
            gate.release()
        on_outcome(job, fields)

    tasks: set[asyncio.Task[None]] = set()
    for job in pending:
        await gate.acquire()
        task = asyncio.create_task(one(job))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
