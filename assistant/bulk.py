"""Bulk runs over social-media posts: validate, triage, cluster, draft concurrently, resume.

``run_bulk(deps, FILE, OUT)`` reads the posts (:mod:`assistant.bulk_io`), triages every valid
one, groups posts about the same problem (:mod:`assistant.clusters`; groups of three or more
get S7 and one summary line), then drafts replies with at most ``concurrency`` model calls in
flight. The channel of each draft is the post's platform, and every draft is checked by the
playbook checker. Each finished post is appended to OUT as one JSON line at once, so a rerun
with the same OUT skips what is there (posts that ``failed`` are tried again) and a killed
run loses only the posts in flight.

Model calls go through :func:`assistant.llm.acomplete`, which turns litellm's own retries off
and retries rate limits (429), server errors (5xx), timeouts and connection errors itself
with exponential backoff, honouring ``Retry-After``, then tries the fallback models; a post
whose call still fails is ``failed`` with the reason, and the run goes on. The offline drafter answers when no model is configured. Bulk drafts are recorded in
OUT (the run's record), not in the records store; review decisions go to a sidecar file.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.bulk_io import Done, OutputWriter, Post, load_output, read_posts
from assistant.errors import ModelError
from assistant.models import SITUATIONS, Generation, Triage

if TYPE_CHECKING:
    import numpy as np

    from assistant.clusters import Cluster
    from assistant.pipeline import Deps

PROBLEM_SITUATIONS = frozenset({"S1", "S2", "S3", "S4", "S7"})


@dataclass
class BulkOptions:
    """How a run drafts: concurrency, timeouts, retries, durability, progress display."""

    concurrency: int = 8
    timeout: float | None = None
    """Seconds per model request (default: the ``request_timeout`` setting)."""
    retries: int = 4
    """Retries per post on rate limits, server errors and timeouts (backoff in assistant.llm)."""
    fsync_every: int = 50
    regenerate: bool = False
    """Ask the model once more, with the checker's errors, when a draft has error findings."""
    retry_failed: bool = True
    progress: bool = True
    llm_extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Prepared:
    """A valid post after triage and clustering, ready to draft."""

    post: Post
    triage: Triage
    cluster: Cluster | None = None


@dataclass
class RunResult:
    """What a run did: the summary (see :func:`summarize`) and this run's counts."""

    summary: dict[str, Any]
    processed: int
    resumed: int
    elapsed_s: float


def run_bulk(
    deps: Deps,
    path: Path,
    out: Path,
    options: BulkOptions | None = None,
    *,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> RunResult:
    """Run (or resume) a bulk run of ``path`` into ``out``. Raises InputError for a bad file."""
    return asyncio.run(arun_bulk(deps, path, out, options or BulkOptions(), on_record=on_record))


async def arun_bulk(
    deps: Deps,
    path: Path,
    out: Path,
    options: BulkOptions,
    *,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> RunResult:
    """The async form of :func:`run_bulk` (for callers that already run an event loop)."""
    started = time.perf_counter()
    read = read_posts(path)
    done = load_output(out, repair=True)
    todo = [p for p in read.posts if _needs_work(done, p.key, options)]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-cpu") as cpu:
        prepared, vectors = await asyncio.get_running_loop().run_in_executor(
            cpu, prepare, deps, read.posts
        )
        prepared_at = time.perf_counter()
        runner = _Runner(deps, options, cpu, OutputWriter(out, fsync_every=options.fsync_every))
        runner.kb = _prefetched_kb(deps, prepared, vectors)
        runner.on_record = on_record
        try:
            await runner.run([(p, prepared.get(p.key)) for p in todo])
        finally:
            runner.writer.close()
        drafted_at = time.perf_counter()
    records = list(load_output(out).records.values())
    summary = summarize(records, issues=[i.as_dict() for i in read.issues])
    summary.update(input=str(path), out=str(out), model=deps.settings.model)
    elapsed = time.perf_counter() - started
    summary["run"] = {
        "processed": len(todo),
        "resumed": len(read.posts) - len(todo),
        "elapsed_s": round(elapsed, 2),
        "prepare_s": round(prepared_at - started, 2),
        "draft_s": round(drafted_at - prepared_at, 2),
    }
    return RunResult(summary, len(todo), len(read.posts) - len(todo), elapsed)


def _needs_work(done: Done, key: str, options: BulkOptions) -> bool:
    rec = done.records.get(key)
    if rec is None:
        return True
    return options.retry_failed and rec.get("status") == "failed"


# ----- triage and clustering ---------------------------------------------------------------


def prepare(deps: Deps, posts: list[Post]) -> tuple[dict[str, Prepared], np.ndarray | None]:
    """Triage every valid post and mark systemic groups (S7). Also returns the embeddings."""
    from assistant import triage

    prepared = {
        p.key: Prepared(p, triage.triage(p.text, model=None)) for p in posts if not p.invalid
    }
    problems = [x for x in prepared.values() if not x.triage.spam and _is_problem(x.triage)]
    vectors = _embed(deps, [x.post.text for x in problems])
    for group in _clusters(problems, vectors):
        for key in group.members:
            item = prepared[key]
            item.cluster = group
            if "S7" not in item.triage.situations:
                found = {*item.triage.situations, "S7"}
                item.triage.situations = [s for s in SITUATIONS if s in found]
    return prepared, _vectors_by_post(problems, vectors)


def _is_problem(tri: Triage) -> bool:
    return bool(PROBLEM_SITUATIONS & set(tri.situations)) or tri.sentiment <= -0.3


def _embed(deps: Deps, texts: list[str]) -> np.ndarray | None:
    if not texts:
        return None
    from assistant.embeddings import get_embedder

    return get_embedder(deps.settings.embedding).documents(texts)


def _clusters(problems: list[Prepared], vectors: np.ndarray | None) -> list[Cluster]:
    from assistant.clusters import Item, cluster

    if vectors is None:
        return []
    items = [Item(x.post.key, x.post.text, x.post.created_at) for x in problems]
    return cluster(items, vectors)


def _vectors_by_post(problems: list[Prepared], vectors: np.ndarray | None) -> Any:
    if vectors is None:
        return None
    return {x.post.text: vectors[i] for i, x in enumerate(problems)}


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

    def known_urls(self) -> set[str]:
        return set()


def _prefetched_kb(deps: Deps, prepared: dict[str, Prepared], vectors: Any) -> Any:
    """The knowledge base with this run's query vectors prefetched (query == document vectors
    for the default embedded model only; other backends embed queries differently)."""
    kb = deps.kb
    if kb.count() == 0:
        return _NoKnowledge()
    if not vectors or getattr(kb.embedder, "backend", "") != "embedded:use":
        return kb
    view = copy.copy(kb)
    view.embedder = _PrefetchedEmbedder(kb.embedder, vectors)  # type: ignore[assignment]
    return view


# ----- drafting ----------------------------------------------------------------------------


class _Runner:
    """Drafts posts with bounded concurrency and writes each record as it finishes."""

    def __init__(
        self, deps: Deps, options: BulkOptions, cpu: ThreadPoolExecutor, writer: OutputWriter
    ) -> None:
        self.deps = deps
        self.options = options
        self.cpu = cpu
        self.writer = writer
        self.kb: Any = deps.kb
        self.on_record: Callable[[dict[str, Any]], None] | None = None
        self.sem = asyncio.Semaphore(max(1, options.concurrency))
        self.known_urls: set[str] = set()

    async def run(self, work: list[tuple[Post, Prepared | None]]) -> None:
        loop = asyncio.get_running_loop()
        self.known_urls = await loop.run_in_executor(self.cpu, self.kb.known_urls)
        with _progress(self.options.progress, len(work)) as advance:

            async def one(post: Post, prep: Prepared | None) -> None:
                record = await self._record(post, prep)
                self.writer.write(record)
                if self.on_record:
                    self.on_record(record)
                advance()

            await asyncio.gather(*(one(p, x) for p, x in work))

    async def _record(self, post: Post, prep: Prepared | None) -> dict[str, Any]:
        record = base_record(post, prep)
        if post.invalid or prep is None:
            return {**record, "status": "invalid", "reason": post.invalid or "invalid row"}
        if prep.triage.spam:
            return {**record, "status": "skipped", "reason": "spam or not about us"}
        async with self.sem:
            try:
                drafted = await self._draft(prep)
            except ModelError as exc:
                return {**record, "status": "failed", "reason": str(exc)}
            except Exception as exc:  # noqa: BLE001 - one post's failure must not stop the run
                return {**record, "status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
        return {**record, **drafted, "status": "drafted", "reason": None}

    async def _draft(self, prep: Prepared) -> dict[str, Any]:
        from assistant.pipeline import DraftRequest

        loop = asyncio.get_running_loop()
        req = DraftRequest(message=prep.post.text, channel=prep.post.platform)
        deps = dataclasses.replace(self.deps, kb=self.kb)
        if self.deps.settings.is_offline:
            gen, sources = await loop.run_in_executor(self.cpu, _offline, deps, req, prep.triage)
            ref = "offline_reply@v1"
            system = None
        else:
            ref, messages, sources = await loop.run_in_executor(
                self.cpu, _prompt, deps, req, prep.triage, []
            )
            gen = await self._call(messages)
            system = messages[0]["content"] if messages else None
        result = await loop.run_in_executor(
            self.cpu, self._check, gen.text, req, prep.triage, system
        )
        attempts = 1
        if self.options.regenerate and not result.ok and not self.deps.settings.is_offline:
            ref, messages, _ = await loop.run_in_executor(
                self.cpu, _prompt, deps, req, prep.triage, result.errors
            )
            gen = await self._call(messages)
            result = await loop.run_in_executor(
                self.cpu, self._check, gen.text, req, prep.triage, system
            )
            attempts = 2
        return {
            "draft": gen.text,
            "findings": [f.model_dump(mode="json") for f in result.findings],
            "model": gen.model,
            "prompt_version": ref,
            "sources": [s.url for s in sources],
            "latency_ms": gen.latency_ms,
            "attempts": attempts,
        }

    def _check(self, text: str, req: Any, tri: Triage, system: str | None) -> Any:
        from assistant import playbook

        return playbook.check(
            text,
            channel=req.channel,
            lang=tri.language,
            customer_message=req.message,
            known_urls=self.known_urls,
            situations=tri.situations,
            ui_lang=self.deps.settings.ui_language,
            system_prompt=system,
        )

    async def _call(self, messages: list[dict[str, str]]) -> Generation:
        """One model call; :func:`assistant.llm.acomplete` retries rate limits, server errors and
        timeouts with backoff (honouring ``Retry-After``) and tries the fallback models."""
        from assistant import llm

        settings = self.deps.settings.model_copy(
            update={
                "max_retries": self.options.retries,
                "request_timeout": self.options.timeout or self.deps.settings.request_timeout,
            }
        )
        return await llm.acomplete(messages, settings, **self.options.llm_extra)


def _offline(deps: Deps, req: Any, tri: Triage) -> tuple[Generation, list[Any]]:
    from assistant.pipeline import generate_offline, retrieve

    sources = _retrieve(deps, req, tri, retrieve)
    return generate_offline(deps, req, tri, None, sources), sources


def _prompt(
    deps: Deps, req: Any, tri: Triage, feedback: list[Any]
) -> tuple[str, list[dict[str, str]], list[Any]]:
    from assistant.pipeline import prompt_messages, retrieve

    sources = _retrieve(deps, req, tri, retrieve)
    ref, messages = prompt_messages(deps, req, tri, None, sources, feedback)
    return ref, messages, sources


def _retrieve(deps: Deps, req: Any, tri: Triage, retrieve: Any) -> list[Any]:
    from assistant.errors import InputError

    try:
        return list(retrieve(deps, req, tri.language))
    except InputError:  # no knowledge base yet: draft without sources
        return []


# ----- records and summaries ---------------------------------------------------------------


def base_record(post: Post, prep: Prepared | None) -> dict[str, Any]:
    """The output line of a post before drafting (every field present)."""
    tri = prep.triage if prep else None
    group = prep.cluster if prep else None
    return {
        "key": post.key,
        "id": post.id,
        "line": post.line,
        "platform": post.platform or post.raw_platform,
        "author": post.author,
        "url": post.url,
        "text": post.text,
        "created_at": post.created_at.isoformat() if post.created_at else None,
        "language": tri.language if tri else None,
        "situations": list(tri.situations) if tri else [],
        "sentiment": tri.sentiment if tri else None,
        "urgency": tri.urgency if tri else None,
        "cluster": group.id if group else None,
        "cluster_size": group.size if group else None,
        "cluster_summary": group.summary("en") if group else None,
        "cluster_summary_ko": group.summary("ko") if group else None,
        "draft": None,
        "findings": [],
        "model": None,
        "status": None,
        "reason": None,
        "warnings": list(post.warnings),
        "extra": dict(post.extra),
    }


def summarize(
    records: list[dict[str, Any]], issues: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Counts by status, situation, platform and language; clusters; findings by rule."""
    from collections import Counter

    status = Counter(str(r.get("status")) for r in records)
    situations = Counter(s for r in records for s in r.get("situations") or [])
    platforms = Counter(str(r.get("platform") or "?") for r in records)
    languages = Counter(str(r["language"]) for r in records if r.get("language"))
    rules = Counter(str(f.get("rule")) for r in records for f in r.get("findings") or [])
    clusters: dict[str, dict[str, Any]] = {}
    for r in records:
        if r.get("cluster"):
            c = clusters.setdefault(
                r["cluster"],
                {
                    "id": r["cluster"],
                    "size": r.get("cluster_size") or 0,
                    "summary": r.get("cluster_summary"),
                    "summary_ko": r.get("cluster_summary_ko"),
                    "members": [],
                },
            )
            c["members"].append(r.get("id") or r.get("key"))
    return {
        "total": len(records),
        "by_status": {s: status.get(s, 0) for s in ("drafted", "skipped", "invalid", "failed")},
        "by_situation": {s: situations[s] for s in SITUATIONS if situations.get(s)},
        "by_platform": dict(sorted(platforms.items())),
        "by_language": dict(sorted(languages.items())),
        "clusters": sorted(clusters.values(), key=lambda c: (-c["size"], c["id"])),
        "findings_by_rule": dict(sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))),
        "drafts_with_errors": sum(
            1 for r in records if any(f.get("severity") == "error" for f in r.get("findings") or [])
        ),
        "issues": issues or [],
    }


class _progress:
    """A rich progress bar on stderr with rate and ETA (a no-op when disabled)."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled and total > 0
        self.total = total
        self._progress: Any = None

    def __enter__(self) -> Callable[[], None]:
        if not self.enabled:
            return lambda: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("Drafting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._progress.start()
        task = self._progress.add_task("bulk", total=self.total, rate="")
        started = time.perf_counter()

        def advance() -> None:
            done = self._progress.tasks[0].completed + 1
            rate = done / max(time.perf_counter() - started, 1e-6)
            self._progress.update(task, advance=1, rate=f"{rate:.1f} posts/s")

        return advance

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
