"""Worker processes for the drafting phase of a bulk run.

With a real model, most of a post's CPU goes to the model client (building the request,
reading the answer, litellm's bookkeeping), all of it on the event loop's thread. One
process therefore stops at one core; :class:`WorkerPool` spreads the posts over several
processes, each with its own event loop, its own :class:`~assistant.bulk.draft.Drafter` and
its share of the run's concurrency.

The parent keeps the output file: workers only send back the fields of each finished post,
and the parent appends the line, so resuming and "a kill -9 loses at most the posts in
flight" work as with one process. Each worker holds at most its share of slots plus a small
lookahead. A worker that dies fails only the posts it held (status ``failed``, with the
reason), the others carry on, and the parent's summary names the worker that was lost.

Protocol over one duplex pipe per worker (pickled tuples):
parent → worker ``("job", Job)``, ``("stop",)``;
worker → parent ``("ready", None)``, ``("done", key, fields)``, ``("error", message)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import sys
import types
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.bulk.draft import Drafter, Job

LOOKAHEAD = 2
"""Posts a worker holds beyond its slots, so a freed slot finds a prompt ready."""
START_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0


def shares(concurrency: int, workers: int) -> list[int]:
    """Split ``concurrency`` slots over ``workers`` (each at least one; fewer workers if needed)."""
    workers = max(1, min(workers, concurrency))
    base, extra = divmod(max(1, concurrency), workers)
    return [base + (1 if i < extra else 0) for i in range(workers)]


def _worker_main(conn: Any, settings: Any, options: Any, slots: int) -> None:
    """Entry point of a worker process: warm up, say ready, draft until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops us
    try:
        from assistant.pipeline import Deps

        drafter = Drafter(Deps.from_settings(settings), options, slots)
        drafter.warm()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the posts
        conn.send(("error", f"worker could not start: {type(exc).__name__}: {exc}"))
        return
    try:
        conn.send(("ready", None))
    except OSError:  # the parent is gone
        return
    asyncio.run(_serve(conn, drafter))
    # Every result is in the pipe and the worker holds nothing to save: skip the interpreter's
    # teardown of litellm, the models and the event loop (over a second with two workers).
    conn.close()
    os._exit(0)


async def _serve(conn: Any, drafter: Drafter) -> None:
    loop = asyncio.get_running_loop()
    stopped = loop.create_future()
    tasks: set[asyncio.Task[None]] = set()

    async def one(job: Job) -> None:
        fields = await drafter.outcome(job)
        conn.send(("done", job.key, fields))

    def readable() -> None:
        try:
            while conn.poll():
                message = conn.recv()
                if message[0] == "job":
                    task = loop.create_task(one(message[1]))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                elif not stopped.done():
                    stopped.set_result(None)
        except (EOFError, OSError):  # the parent is gone: nobody wants the results
            if not stopped.done():
                stopped.set_result(None)

    loop.add_reader(conn.fileno(), readable)
    await stopped
    loop.remove_reader(conn.fileno())
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class _Worker:
    process: Any
    conn: Any
    credit: int
    held: dict[str, Job] = field(default_factory=dict)
    ready: bool = False
    gone: bool = False


class WorkerPool:
    """Worker processes drafting jobs; start early (they warm up while the parent prepares)."""

    def __init__(self, settings: Any, options: Any, concurrency: int, workers: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []
        self.lost: list[str] = []
        for slots in shares(concurrency, workers):
            parent, child = ctx.Pipe(duplex=True)
            process = ctx.Process(
                target=_worker_main,
                args=(child, settings, options, slots),
                name="bulk-draft",
                daemon=True,
            )
            with _bare_main():
                process.start()
            child.close()
            self.workers.append(_Worker(process, parent, slots + LOOKAHEAD))

    async def run(self, jobs: list[Job], on_outcome: Callable[[Job, dict[str, Any]], None]) -> None:
        """Draft every job; ``on_outcome(job, fields)`` in the parent as each one finishes."""
        loop = asyncio.get_running_loop()
        queue = deque(jobs)
        finished = loop.create_future()

        def settle() -> None:
            live = [w for w in self.workers if not w.gone]
            if not live:
                for job in queue:
                    on_outcome(job, _failed("no bulk worker process is left (see the run's log)"))
                queue.clear()
            for w in live:
                while w.ready and queue and len(w.held) < w.credit:
                    job = queue.popleft()
                    w.held[job.key] = job
                    w.conn.send(("job", job))
            if not queue and all(not w.held for w in live) and not finished.done():
                finished.set_result(None)

        for w in self.workers:
            loop.add_reader(w.conn.fileno(), self._reader(w, on_outcome, settle))
            loop.add_reader(w.process.sentinel, self._on_exit(w, on_outcome, settle))
        try:
            try:
                await asyncio.wait_for(self._all_started(), START_TIMEOUT)
            except TimeoutError:  # a worker stuck starting: its exit fails what it held
                for w in self.workers:
                    if not w.ready and not w.gone:
                        w.process.kill()
            settle()
            await finished
        finally:
            for w in self.workers:
                loop.remove_reader(w.conn.fileno())
                loop.remove_reader(w.process.sentinel)

    async def _all_started(self) -> None:
        while not all(w.ready or w.gone for w in self.workers):
            await asyncio.sleep(0.02)

    def _reader(self, w: _Worker, on_outcome: Any, settle: Callable[[], None]) -> Any:
        def readable() -> None:
            try:
                while not w.gone and w.conn.poll():
                    self._handle(w, w.conn.recv(), on_outcome)
            except (EOFError, OSError):  # it died: its exit code says how
                w.process.join(1.0)
                self._lose(w, on_outcome, _exit_reason(w.process.exitcode))
            settle()

        return readable

    def _handle(self, w: _Worker, message: tuple[Any, ...], on_outcome: Any) -> None:
        kind = message[0]
        if kind == "ready":
            w.ready = True
        elif kind == "done":
            job = w.held.pop(message[1], None)
            if job is not None:
                on_outcome(job, message[2])
        elif kind == "error":
            self._lose(w, on_outcome, str(message[1]))

    def _on_exit(self, w: _Worker, on_outcome: Any, settle: Callable[[], None]) -> Any:
        def exited() -> None:
            try:  # results it sent before dying are still in the pipe
                while w.conn.poll():
                    self._handle(w, w.conn.recv(), on_outcome)
            except (EOFError, OSError):
                pass
            w.process.join(1.0)  # the sentinel can fire just before the exit code is there
            self._lose(w, on_outcome, _exit_reason(w.process.exitcode))
            settle()

        return exited

    def _lose(self, w: _Worker, on_outcome: Any, why: str) -> None:
        if w.gone:
            return
        w.gone = True
        asyncio.get_running_loop().remove_reader(w.process.sentinel)
        asyncio.get_running_loop().remove_reader(w.conn.fileno())
        note = f"bulk worker process {w.process.pid} stopped: {why}"
        self.lost.append(f"{note} ({len(w.held)} post(s) in flight failed)")
        for job in w.held.values():
            on_outcome(job, _failed(f"{note}; rerun with the same --out to retry"))
        w.held.clear()

    def close(self) -> None:
        """Tell the workers to stop, wait a little, then terminate any that remain."""
        for w in self.workers:
            if w.process.is_alive():
                try:
                    w.conn.send(("stop",))
                except OSError:
                    pass
        for w in self.workers:
            w.process.join(STOP_TIMEOUT)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()


@contextlib.contextmanager
def _bare_main() -> Iterator[None]:
    """Start a spawned worker without re-running the parent's main script.

    ``spawn`` runs the parent's ``__main__`` file again in every child before the target. For a
    run started from the Bulk review page that file is the Streamlit page (Streamlit executes
    pages as ``__main__``): each worker would draw the page and open the database while the
    parent holds it. The workers need nothing from ``__main__`` (their entry point lives in
    this module), so the child is told there is none.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _failed(reason: str) -> dict[str, Any]:
    return {"status": "failed", "reason": reason}


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "its pipe closed"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"it exited with code {code}"


def default_workers(drafts: int, offline: bool) -> int:
    """Processes for a run: one for the offline drafter, a small run or a machine of two cores
    or fewer (measured: on 2 cores a second process slows triage and embedding more than it
    speeds drafting); else one per two cores, at most four (each loads ~700 MB of models)."""
    cpus = os.cpu_count() or 1
    if offline or drafts < 64 or cpus <= 2:
        return 1
    return min(cpus // 2, 4)
