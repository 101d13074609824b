"""Bulk runs drained by worker processes through a task queue: procrastinate on PostgreSQL.

``reply-assistant bulk enqueue FILE --out OUT.jsonl`` reads, triages and clusters the posts
like a local run, stores every post that gets no draft at once, stores the others as
``queued`` rows of ``bulk_posts`` and defers one procrastinate job per queued post (its
``run_id`` and ``key``). ``reply-assistant bulk worker``, on any number of machines that reach
the database, runs procrastinate's worker on the ``bulk`` queue with a
:class:`~assistant.bulk.draft.Drafter`; each job drafts its post and stores it with
:func:`assistant.bulk.runs.save_post` claiming the ``queued`` row: the draft, its audit event
and the post's new status commit in one transaction, and only while the row is still
``queued``, so a post is drafted into the records exactly once even when its job runs twice.

A worker killed mid-run leaves its jobs ``doing``; every worker sends heartbeats, and each one
looks for jobs held by a worker whose heartbeat is older than ``stalled_after`` seconds and
puts them back in the queue (procrastinate's stalled-job recovery), so another worker drafts
them. Rerunning ``reply-assistant bulk FILE --out OUT.jsonl`` afterwards writes the stored
posts to OUT (the run is resumable as always). Procrastinate's own tables are created by its
own schema, once, under an advisory lock (:func:`ensure_schema`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from assistant import store as tables
from assistant.bulk import runs
from assistant.errors import InputError

if TYPE_CHECKING:
    import procrastinate

    from assistant.bulk.draft import Drafter
    from assistant.config import Settings
    from assistant.pipeline import Deps

QUEUE = "bulk"
TASK = "assistant.bulk.draft_post"
QUEUED = "queued"
"""The status of a post waiting in the queue (a ``bulk_posts`` row with no output yet)."""
_SCHEMA_LOCK = 0x62756C6B  # "bulk": the advisory lock held while procrastinate's schema is made
log = logging.getLogger(__name__)


def conninfo(settings: Settings) -> str:
    """The psycopg connection string of the records database; InputError unless PostgreSQL."""
    url = make_url(settings.db_url)
    if url.get_backend_name() != "postgresql":
        raise InputError(
            "the task queue needs PostgreSQL (a postgresql+psycopg:// URL); "
            "SQLite has none: run `reply-assistant bulk FILE --out OUT` on one machine instead",
            where="ASSISTANT_DATABASE_URL",
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(dsn: str) -> procrastinate.App:
    """A procrastinate app on ``dsn`` with the bulk drafting task registered."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))
    app.task(name=TASK, queue=QUEUE, pass_context=True)(_draft_post)
    return app


def ensure_schema(dsn: str) -> bool:
    """Create procrastinate's tables unless they exist (one process at a time); True if made."""
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(dsn, autocommit=False) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        found = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if found and found[0] is not None:
            return False
        conn.execute(SchemaManager.get_schema())  # type: ignore[arg-type]
    return True


# ----- enqueueing a run --------------------------------------------------------------------


def enqueue(deps: Deps, path: Path, out: Path) -> dict[str, Any]:
    """Store the run of ``path`` (named by ``out``) and queue a job per post to draft.

    Posts already stored (drafted, skipped, invalid, or queued) are left alone; failed ones are
    queued again. Returns ``{"run", "queued", "stored", "total", "issues"}``.
    """
    from assistant.bulk import base_record, prepare
    from assistant.bulk.io import read_posts

    dsn = conninfo(deps.settings)
    read = read_posts(path)
    run_id = runs.open_run(
        deps.store, str(out.resolve()), input=str(path), model=deps.settings.model
    )
    runs.set_issues(deps.store, run_id, [i.as_dict() for i in read.issues])
    done = runs.statuses(deps.store, run_id)
    todo = [p for p in read.posts if done.get(p.key) in (None, "failed")]
    prepared, _ = prepare(deps, todo)
    keys: list[str] = []
    for post in todo:
        prep = prepared.get(post.key)
        record = base_record(post, prep)
        if post.invalid or prep is None:
            record.update(status="invalid", reason=post.invalid or "invalid row")
        elif prep.triage.spam:
            record.update(status="skipped", reason="spam or not about us")
        else:
            record.update(status=QUEUED, _triage=prep.triage.model_dump(mode="json"))
            keys.append(post.key)
        runs.save_post(deps, run_id, record, None)
    ensure_schema(dsn)
    asyncio.run(_defer(dsn, run_id, keys))
    return {
        "run": run_id,
        "queued": len(keys),
        "stored": len(todo) - len(keys),
        "total": len(read.posts),
        "issues": len(read.issues),
    }


async def _defer(dsn: str, run_id: int, keys: list[str]) -> None:
    app = make_app(dsn)
    async with app.open_async():
        task = app.tasks[TASK]
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            args: list[dict[str, Any]] = [{"run_id": run_id, "key": k} for k in batch]
            await task.batch_defer_async(*args)


# ----- the worker --------------------------------------------------------------------------


@dataclass
class WorkerOptions:
    """How one ``bulk worker`` process works."""

    concurrency: int = 8
    """Posts (model calls) in flight in this process."""
    until_done: bool = False
    """Exit once the queue has no job waiting or running (else wait for new runs)."""
    heartbeat: float = 5.0
    """Seconds between this worker's heartbeats."""
    stalled_after: float = 30.0
    """A worker silent this long is taken for dead: its jobs go back to the queue."""
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


@dataclass
class _State:
    deps: Deps
    drafter: Drafter
    name: str
    drafted: int = 0


def work(settings: Settings, options: WorkerOptions) -> dict[str, Any]:
    """Run one worker until stopped (SIGINT/SIGTERM) or, with ``until_done``, the queue is
    empty. Returns ``{"worker", "posts"}`` (posts this worker stored)."""
    dsn = conninfo(settings)
    from assistant.bulk import BulkOptions
    from assistant.bulk.draft import Drafter
    from assistant.pipeline import Deps

    deps = Deps.from_settings(settings)
    drafter = Drafter(deps, BulkOptions(concurrency=options.concurrency), options.concurrency)
    drafter.warm()
    ensure_schema(dsn)
    state = _State(deps, drafter, options.name)
    try:
        asyncio.run(_work(make_app(dsn), state, options))
    finally:
        deps.store.dispose()
    return {"worker": options.name, "posts": state.drafted}


async def _work(app: procrastinate.App, state: _State, options: WorkerOptions) -> None:
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[QUEUE],
                concurrency=options.concurrency,
                name=options.name,
                wait=True,
                update_heartbeat_interval=options.heartbeat,
                stalled_worker_timeout=options.stalled_after,
                fetch_job_polling_interval=min(5.0, options.heartbeat),
                additional_context={"bulk": state},
                delete_jobs="successful",
            )
        )
        watch = asyncio.create_task(_watch(app, options, worker))
        try:
            with contextlib.suppress(asyncio.CancelledError):  # stopped by _watch
                await worker
        finally:
            watch.cancel()


async def _watch(app: procrastinate.App, options: WorkerOptions, worker: asyncio.Task[Any]) -> None:
    """Every heartbeat: put stalled jobs back in the queue; with ``until_done``, stop the worker
    when nothing is waiting or running."""
    while not worker.done():
        await asyncio.sleep(options.heartbeat)
        await recover_stalled(app, options.stalled_after)
        if options.until_done and not await _pending(app):
            worker.cancel()  # procrastinate stops gracefully on cancellation
            return


async def recover_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """Put the jobs of workers silent for ``stalled_after`` seconds back in the queue."""
    stalled = await app.job_manager.get_stalled_jobs(
        queue=QUEUE, task_name=TASK, seconds_since_heartbeat=stalled_after
    )
    count = 0
    for job in stalled:
        await app.job_manager.retry_job(job)
        count += 1
    if count:
        log.warning("put %d job(s) of a stalled bulk worker back in the queue", count)
    return count


async def _pending(app: procrastinate.App) -> int:
    """Jobs of the bulk queue waiting or running."""
    rows = await app.connector.execute_query_all_async(
        "SELECT count(*) AS n FROM procrastinate_jobs "
        "WHERE queue_name = %(queue)s AND status IN ('todo', 'doing')",
        queue=QUEUE,
    )
    return int(rows[0]["n"]) if rows else 0


async def _draft_post(context: Any, run_id: int, key: str) -> None:
    """The task: draft one queued post and store it, unless someone stored it already."""
    state: _State = context.additional_context["bulk"]
    record = await asyncio.to_thread(_queued_record, state.deps, run_id, key)
    if record is None:
        return  # stored by another worker (a job retried after a false alarm), or removed
    from assistant.bulk.draft import Job
    from assistant.models import Draft, Triage

    tri = Triage.model_validate(record.pop("_triage"))
    job = Job(key, str(record.get("text") or ""), str(record.get("platform") or "x"), tri)
    fields = await state.drafter.outcome(job)
    raw = fields.pop("_draft", None)
    draft = Draft.model_validate(raw) if raw is not None else None
    finished = {**record, **fields, "worker": state.name}
    try:
        await asyncio.to_thread(runs.save_post, state.deps, run_id, finished, draft, claim=QUEUED)
    except runs.AlreadyStored:
        return
    state.drafted += 1


def _queued_record(deps: Deps, run_id: int, key: str) -> dict[str, Any] | None:
    p = tables.bulk_posts
    with deps.store.engine.connect() as conn:
        row = conn.execute(
            select(p.c.record).where(p.c.run_id == run_id, p.c.key == key, p.c.status == QUEUED)
        ).first()
    return dict(row.record) if row is not None else None


# ----- progress ----------------------------------------------------------------------------


def progress(store: Any, run_id: int) -> dict[str, Any] | None:
    """A queued run's progress: ``{"waiting", "in_flight", "done", "failed", "total",
    "by_worker"}`` (``by_worker``: posts each worker stored); None for a run that never used
    the queue."""
    p = tables.bulk_posts
    with store.engine.connect() as conn:
        rows = conn.execute(select(p.c.status, p.c.record).where(p.c.run_id == run_id)).all()
        held = _in_flight(conn, run_id)
    by_worker: dict[str, int] = {}
    counts = {QUEUED: 0, "failed": 0, "done": 0}
    for status, record in rows:
        worker = (record or {}).get("worker")
        if worker:
            by_worker[str(worker)] = by_worker.get(str(worker), 0) + 1
        counts[status if status in (QUEUED, "failed") else "done"] += 1
    if not by_worker and not counts[QUEUED]:
        return None
    in_flight = min(held, counts[QUEUED])
    return {
        "waiting": counts[QUEUED] - in_flight,
        "in_flight": in_flight,
        "done": counts["done"],
        "failed": counts["failed"],
        "total": len(rows),
        "by_worker": dict(sorted(by_worker.items())),
    }


def _in_flight(conn: Any, run_id: int) -> int:
    """Jobs of this run a worker holds now (0 where procrastinate's tables are absent)."""
    if conn.dialect.name != "postgresql":
        return 0
    if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
        return 0
    found = conn.execute(
        text(
            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = :q AND task_name = :t "
            "AND status = 'doing' AND (args->>'run_id')::int = :run"
        ),
        {"q": QUEUE, "t": TASK, "run": run_id},
    ).scalar()
    return int(found or 0)
