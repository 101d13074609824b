"""Bulk runs over social-media posts: validate, triage, cluster, draft concurrently, resume.

``run_bulk(deps, FILE, OUT)`` reads the posts (:mod:`assistant.bulk.io`), triages every valid
one, groups posts about the same problem (:mod:`assistant.bulk.clusters`; groups of three or more
get S7 and one summary line), then drafts replies with at most ``concurrency`` model calls in
flight. The channel of each draft is the post's platform, and every draft is checked by the
playbook checker. Each finished post is stored at once in the records store (the run, its posts, and each
reply as a draft that the one review path decides: :mod:`assistant.bulk.runs`) and appended
to OUT as one JSON line, so a rerun with the same OUT skips what is done (posts that
``failed`` are tried again) and a killed run loses only the posts in flight.

Model calls go through :func:`assistant.llm.acomplete`, which turns litellm's own retries off
and retries rate limits (429), server errors (5xx), timeouts and connection errors itself
with exponential backoff, honouring ``Retry-After``, then tries the fallback models; a post
whose call still fails is ``failed`` with the reason, and the run goes on. The offline drafter
answers when no model is configured.
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

from assistant.bulk import runs
from assistant.bulk.draft import Drafter, Job, draft_here
from assistant.bulk.io import OutputWriter, Post, load_output, read_posts
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
    run_id = runs.open_run(
        deps.store, str(out.resolve()), input=str(path), model=deps.settings.model
    )
    runs.set_issues(deps.store, run_id, [i.as_dict() for i in read.issues])
    writer = OutputWriter(out, fsync_every=options.fsync_every)
    try:
        done = _sync(deps, run_id, out, writer)
        todo = [p for p in read.posts if _needs_work(done, p.key, options)]
        timing = await _prepare_and_draft(
            deps, options, read.posts, todo, run_id, writer, on_record
        )
    finally:
        writer.close()
    drafted_at, drafted_cpu = time.perf_counter(), time.process_time()
    summary = summarize(runs.records(deps.store, run_id), issues=[i.as_dict() for i in read.issues])
    summary.update(input=str(path), out=str(out), model=deps.settings.model)
    elapsed = time.perf_counter() - started
    summary["run"] = {
        "id": run_id,
        "processed": len(todo),
        "resumed": len(read.posts) - len(todo),
        "elapsed_s": round(elapsed, 2),
        "prepare_s": round(timing["prepared"] - started, 2),
        "draft_s": round(drafted_at - timing["prepared"], 2),
        "draft_cpu_s": round(drafted_cpu - timing["prepared_cpu"], 2),
        "workers": timing["workers"],
        "worker_errors": timing["worker_errors"],
    }
    return RunResult(summary, len(todo), len(read.posts) - len(todo), elapsed)


async def _prepare_and_draft(
    deps: Deps,
    options: BulkOptions,
    posts: list[Post],
    todo: list[Post],
    run_id: int,
    writer: OutputWriter,
    on_record: Callable[[dict[str, Any]], None] | None,
) -> dict[str, Any]:
    """Triage and cluster every post, then draft ``todo`` (here, or in worker processes)."""
    loop = asyncio.get_running_loop()
    timing: dict[str, Any] = {"workers": 1, "worker_errors": []}
    if not todo:  # all stored already (a resumed or a queued run): nothing to triage or draft
        timing["prepared"], timing["prepared_cpu"] = time.perf_counter(), time.process_time()
        return timing
    pool = _start_pool(deps, options, todo)  # workers warm up while this process prepares
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-cpu") as cpu:
            prepared, vectors = await loop.run_in_executor(cpu, prepare, deps, posts)
            timing["prepared"], timing["prepared_cpu"] = time.perf_counter(), time.process_time()
            drafter = (
                None if pool else await loop.run_in_executor(cpu, _local_drafter, deps, options)
            )
        sink = _Sink(deps, run_id, writer, on_record)
        await _draft_all(options, todo, prepared, vectors, sink, pool, drafter)
    finally:
        if pool is not None:
            pool.close()
    timing["workers"] = len(pool.workers) if pool else 1
    timing["worker_errors"] = list(pool.lost) if pool else []
    return timing


class _Sink:
    """Where a finished post goes: the records store first (its draft, then the post), then one
    line of OUT, then the caller's ``on_record``."""

    def __init__(
        self,
        deps: Deps,
        run_id: int,
        writer: OutputWriter,
        on_record: Callable[[dict[str, Any]], None] | None,
    ) -> None:
        self.deps, self.run_id, self.writer, self.on_record = deps, run_id, writer, on_record

    def __call__(self, record: dict[str, Any]) -> None:
        from assistant.models import Draft

        raw = record.pop("_draft", None)
        draft = Draft.model_validate(raw) if raw is not None else None
        record["draft_id"] = runs.save_post(self.deps, self.run_id, record, draft)
        self.writer.write(record)
        if self.on_record:
            self.on_record(record)


def _sync(deps: Deps, run_id: int, out: Path, writer: OutputWriter) -> dict[str, str]:
    """Make the store and OUT agree before a (re)run: posts only in OUT (a run made elsewhere,
    or before runs were stored) are imported; posts only in the store (a crash between the two
    writes) are appended to OUT. Returns ``{key: status}`` of what is done."""
    in_out = load_output(out, repair=True).records
    stored = {str(r["key"]): r for r in runs.records(deps.store, run_id)}
    for key, rec in in_out.items():
        if key not in stored:
            runs.save_post(deps, run_id, rec, _imported_draft(rec))
    for key, rec in stored.items():
        if key not in in_out and rec.get("status") != "queued":  # queued: a worker's to draft
            writer.write({k: v for k, v in rec.items() if k not in runs.REVIEW_FIELDS})
    return runs.statuses(deps.store, run_id)


def _imported_draft(rec: dict[str, Any]) -> Any:
    """The draft of an imported output line (None unless it was drafted)."""
    from assistant.models import Draft, Finding, SearchHit

    if rec.get("status") != "drafted" or not rec.get("draft"):
        return None
    sources = [
        SearchHit(doc_id=u, title=u, url=u, score=0.0, snippet="", lang=rec.get("language") or "")
        for u in rec.get("sources") or []
    ]
    return Draft(
        draft=rec["draft"],
        language=rec.get("language") or "ko",
        situations=list(rec.get("situations") or []),
        sentiment=rec.get("sentiment") or 0.0,
        urgency=rec.get("urgency") or "normal",
        channel=rec.get("platform") or "x",
        sources=sources,
        findings=[Finding.model_validate(f) for f in rec.get("findings") or []],
        model=rec.get("model") or "",
        prompt_version=rec.get("prompt_version") or "",
        attempts=rec.get("attempts") or 1,
    )


def _needs_work(done: dict[str, str], key: str, options: BulkOptions) -> bool:
    status = done.get(key)
    if status is None:
        return True
    return options.retry_failed and status == "failed"


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
    options: BulkOptions,
    todo: list[Post],
    prepared: dict[str, Prepared],
    vectors: Any,
    sink: Callable[[dict[str, Any]], None],
    pool: WorkerPool | None,
    drafter: Drafter | None,
) -> None:
    """Store the posts that get no draft, then draft the rest (here or in workers)."""
    jobs: list[Job] = []
    bases: dict[str, dict[str, Any]] = {}
    with (options.progress or _no_progress)(len(todo)) as advance:

        def finish(record: dict[str, Any]) -> None:
            sink(record)
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
