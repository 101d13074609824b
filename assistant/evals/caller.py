"""Model calls of an eval run in a second process, so that the run uses two cores.

Per row, the model client (building the request, reading the answer, litellm's bookkeeping
and pricing) costs about as much CPU as the rest of the pipeline (triage, retrieval, prompt,
playbook check, record, assertions). In one process both share one core and the event loop;
:class:`ModelProcess` moves the client to a child process with its own event loop, which
imports only :mod:`assistant.llm` (litellm), not the triage dictionary or the embedding
model, so it adds little memory. The parent keeps everything else, including the cache and
the budget: the child only answers ``(id, model, messages)`` with a :class:`Generation`, or
with the one-line error of a failed call (a :class:`ModelError` in the parent).

Protocol over one duplex pipe (pickled tuples): parent → child ``("call", id, model,
messages)``, ``("stop",)``; child → parent ``("ready",)``, ``("done", id, generation dict)``,
``("error", id, message)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
from typing import TYPE_CHECKING, Any

from assistant.errors import ModelError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.models import Generation

START_TIMEOUT = 120.0
MIN_CALLS = 64
"""Fewer litellm calls than this run in the parent (starting the child costs seconds)."""


def _child(conn: Any, settings: Settings) -> None:
    """The child: warm the client, say ready, answer calls until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops us
    from assistant import llm

    llm.warm_up(settings)
    conn.send(("ready",))
    asyncio.run(_serve(conn, settings))
    conn.close()
    os._exit(0)  # nothing to save: skip the teardown of litellm and the loop


async def _serve(conn: Any, settings: Settings) -> None:
    from assistant import llm

    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[None] = loop.create_future()
    tasks: set[asyncio.Task[None]] = set()

    async def one(call_id: int, model: str, messages: list[dict[str, str]]) -> None:
        try:
            gen = await llm.acomplete(messages, settings.model_copy(update={"model": model}))
            conn.send(("done", call_id, gen.model_dump()))
        except Exception as exc:  # noqa: BLE001 - every failure is the row's error
            text = str(exc) if isinstance(exc, ModelError) else f"{type(exc).__name__}: {exc}"
            conn.send(("error", call_id, text))

    def readable() -> None:
        while not stopped.done() and conn.poll():
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                msg = ("stop",)
            if msg[0] == "stop":
                stopped.set_result(None)
                return
            task = loop.create_task(one(*msg[1:]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    loop.add_reader(conn.fileno(), readable)
    await stopped
    loop.remove_reader(conn.fileno())


class ModelProcess:
    """A child process making litellm calls for the running event loop (see the module)."""

    def __init__(self, settings: Settings) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_child, args=(child, settings), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.futures: dict[int, asyncio.Future[Generation]] = {}
        self.next_id = 0
        self.loop: asyncio.AbstractEventLoop | None = None

    def wait_ready(self) -> None:
        """Block until the child has loaded the client (started early, it loads meanwhile)."""
        if self.ready:
            return
        if not self.conn.poll(START_TIMEOUT):
            raise ModelError("the model-call process did not start")
        try:
            msg = self.conn.recv()
        except EOFError:
            raise ModelError("the model-call process did not start") from None
        if msg[0] != "ready":
            raise ModelError("the model-call process did not start")
        self.ready = True

    def attach(self) -> None:
        """Read answers in the running loop (call once per event loop)."""
        self.wait_ready()
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(self.conn.fileno(), self._readable)

    def detach(self) -> None:
        """Stop reading in the loop (before it closes); calls still waiting fail."""
        if self.loop is not None:
            self.loop.remove_reader(self.conn.fileno())
            self.loop = None
        for fut in self.futures.values():
            if not fut.done():
                fut.set_exception(ModelError("the run stopped before the model answered"))
        self.futures.clear()

    def _readable(self) -> None:
        from assistant.models import Generation

        while self.conn.poll():
            try:
                kind, call_id, payload = self.conn.recv()
            except (EOFError, OSError):
                self.detach()
                return
            fut = self.futures.pop(call_id, None)
            if fut is None or fut.done():
                continue
            if kind == "done":
                fut.set_result(Generation.model_validate(payload))
            else:
                fut.set_exception(ModelError(str(payload)))

    async def agenerate(self, model: str, messages: list[dict[str, str]]) -> Generation:
        """One call of ``model`` on ``messages``, answered by the child."""
        if self.loop is None or not self.proc.is_alive():
            raise ModelError("the model-call process is not running")
        self.next_id += 1
        fut: asyncio.Future[Generation] = self.loop.create_future()
        self.futures[self.next_id] = fut
        self.conn.send(("call", self.next_id, model, messages))
        return await fut

    def close(self) -> None:
        """Stop the child (and wait a little for it)."""
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(("stop",))
        self.proc.join(timeout=2 if self.ready else 0)  # still loading: nothing to wait for
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=5)
        self.conn.close()


class CallerPool:
    """Several :class:`ModelProcess` children taking calls in turn (litellm's own CPU per call
    is several times what the HTTP exchange costs, so one child may be a core's worth).

    Started at once (``start()``: the children load while the parent does), or at the first
    call that needs them: a run whose answers are all in the cache never starts them."""

    def __init__(self, settings: Settings, size: int) -> None:
        self.settings = settings
        self.size = max(1, size)
        self.members: list[ModelProcess] = []
        self.turn = 0
        self._attached = False
        self._starting: asyncio.Lock | None = None

    def start(self) -> None:
        """Spawn the children now (they load in the background)."""
        if not self.members:
            self.members = [ModelProcess(self.settings) for _ in range(self.size)]

    def attach(self) -> None:
        """Read the children's answers in the running loop (once they are started)."""
        self._starting = asyncio.Lock()
        if self.members:
            for member in self.members:
                member.attach()
            self._attached = True

    def detach(self) -> None:
        """Stop reading (calls still waiting fail)."""
        for member in self.members:
            member.detach()
        self._attached = False

    async def _ready(self) -> None:
        if self._attached:
            return
        assert self._starting is not None, "attach() first"
        async with self._starting:
            if not self._attached:
                self.start()
                for member in self.members:
                    await asyncio.to_thread(member.wait_ready)
                    member.attach()
                self._attached = True

    async def agenerate(self, model: str, messages: list[dict[str, str]]) -> Generation:
        """One call, by the next child in turn."""
        await self._ready()
        self.turn = (self.turn + 1) % len(self.members)
        return await self.members[self.turn].agenerate(model, messages)

    def close(self) -> None:
        """Stop every child."""
        for member in self.members:
            member.close()


def pool_size() -> int:
    """Model-call processes for a run: one per core beyond the first, at least one."""
    return max(1, (os.cpu_count() or 2) - 1)
