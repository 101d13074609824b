"""Bulk runs over social-media posts: validate, triage, cluster, draft concurrently, resume.

``run_bulk(deps, FILE, OUT)`` reads the posts (:mod:`assistant.bulk.io`), triages every valid
one, groups posts about the same problem (:mod:`assistant.bulk.clusters`; groups of three or more
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
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.bulk.draft import Drafter, Job, draft_here
from assistant.bulk.io import Done, OutputWriter, Post, load_output, read_posts
from assistant.models import SITUATIONS, Triage

ProgressFactory = Callable[[int], AbstractContextManager[Callable[[], None]]]


def _no_progress(total: int) -> AbstractContextManager[Callable[[], None]]:
    return nullcontext(lambda: None)


if TYPE_CHECKING:
    import numpy as np

    from assistant.bulk.clusters import Cluster
    from assistant.bulk.workers import WorkerPool
    from assistant.pipeline import Deps

PROBLEM_SITUATIONS = frozenset({"S1", "S2", "S3", "S4", "S7"})


@dataclass
class BulkOptions:
    """How a run drafts: concurrency, processes, timeouts, retries, durability, progress."""

    concurrency: int = 8
    """Model calls in flight at once, over all worker processes."""
    timeout: float | None = None
    """Seconds per model request (default: the ``request_timeout`` setting)."""
    retries: int = 4
    """Retries per post on rate limits, server errors and timeouts (backoff in assistant.llm)."""
    fsync_every: int = 50
    regenerate: bool = False
    """Ask the model once more, with the checker's errors, when a draft has error findings."""
    retry_failed: bool = True
    progress: ProgressFactory | None = None
    """Given the number of posts to draft, a context manager yielding a step callback."""
    llm_extra: dict[str, Any] = field(default_factory=dict)
    workers: int | None = None
    """Processes drafting at once. None: one for the offline drafter, fewer than 64 drafts or a
    machine of two cores or fewer, else one per two cores, at most four (see
    :func:`assistant.bulk.workers.default_workers`; the model client's CPU limits a process)."""


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
    loop = asyncio.get_running_loop()
    writer = OutputWriter(out, fsync_every=options.fsync_every)
    pool = _start_pool(deps, options, todo)  # workers warm up while this process prepares
    timing: dict[str, float] = {}
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-cpu") as cpu:
            prepared, vectors = await loop.run_in_executor(cpu, prepare, deps, read.posts)
            timing["prepared"] = time.perf_counter()
            drafter = (
                None if pool else await loop.run_in_executor(cpu, _local_drafter, deps, options)
            )
        timing["ready"] = time.perf_counter()
        await _draft_all(deps, options, todo, prepared, vectors, writer, pool, drafter, on_record)
    finally:
        writer.close()
        if pool is not None:
            pool.close()
    drafted_at = time.perf_counter()
    records = list(load_output(out).records.values())
    summary = summarize(records, issues=[i.as_dict() for i in read.issues])
    summary.update(input=str(path), out=str(out), model=deps.settings.model)
    elapsed = time.perf_counter() - started
    summary["run"] = {
        "processed": len(todo),
        "resumed": len(read.posts) - len(todo),
        "elapsed_s": round(elapsed, 2),
        "prepare_s": round(timing["prepared"] - started, 2),
        "draft_s": round(drafted_at - timing["prepared"], 2),
        "workers": len(pool.workers) if pool else 1,
        "worker_errors": list(pool.lost) if pool else [],
    }
    return RunResult(summary, len(todo), len(read.posts) - len(todo), elapsed)


def _needs_work(done: Done, key: str, options: BulkOptions) -> bool:
    rec = done.records.get(key)
    if rec is None:
        return True
    return options.retry_failed and rec.get("status") == "failed"


def _start_pool(deps: Deps, options: BulkOptions, todo: list[Post]) -> WorkerPool | None:
    """Worker processes for this run, or None to draft in this process."""
    from assistant.bulk.workers import WorkerPool, default_workers

    offline = deps.settings.is_offline
    drafts = sum(1 for p in todo if not p.invalid)
    workers = options.workers if options.workers is not None else default_workers(drafts, offline)
    if workers <= 1 or offline or drafts == 0:
        return None
    return WorkerPool(deps.settings, options, options.concurrency, workers)


def _local_drafter(deps: Deps, options: BulkOptions) -> Drafter:
    drafter = Drafter(deps, options, options.concurrency)
    drafter.warm()
    return drafter


async def _draft_all(
    deps: Deps,
    options: BulkOptions,
    todo: list[Post],
    prepared: dict[str, Prepared],
    vectors: Any,
    writer: OutputWriter,
    pool: WorkerPool | None,
    drafter: Drafter | None,
    on_record: Callable[[dict[str, Any]], None] | None,
) -> None:
    """Write the lines of posts that get no draft, then draft the rest (here or in workers)."""
    jobs: list[Job] = []
    bases: dict[str, dict[str, Any]] = {}
    with (options.progress or _no_progress)(len(todo)) as advance:

        def finish(record: dict[str, Any]) -> None:
            writer.write(record)
            if on_record:
                on_record(record)
            advance()

        for post in todo:
            prep = prepared.get(post.key)
            record = base_record(post, prep)
            if post.invalid or prep is None:
                finish({**record, "status": "invalid", "reason": post.invalid or "invalid row"})
            elif prep.triage.spam:
                finish({**record, "status": "skipped", "reason": "spam or not about us"})
            else:
                bases[post.key] = record
                vector = vectors.get(post.text) if vectors else None
                jobs.append(Job(post.key, post.text, post.platform, prep.triage, vector))

        def on_outcome(job: Job, fields: dict[str, Any]) -> None:
            finish({**bases.pop(job.key), **fields})

        if pool is not None:
            await pool.run(jobs, on_outcome)
        elif drafter is not None:
            await draft_here(drafter, jobs, on_outcome)


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
    from assistant.knowledge.embeddings import get_embedder

    return get_embedder(deps.settings.embedding).documents(texts)


def _clusters(problems: list[Prepared], vectors: np.ndarray | None) -> list[Cluster]:
    from assistant.bulk.clusters import Item, cluster

    if vectors is None:
        return []
    items = [Item(x.post.key, x.post.text, x.post.created_at) for x in problems]
    return cluster(items, vectors)


def _vectors_by_post(problems: list[Prepared], vectors: np.ndarray | None) -> Any:
    if vectors is None:
        return None
    return {x.post.text: vectors[i] for i, x in enumerate(problems)}


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
