"""Running eval suites as a stream: cases are grounded once, drafted for every variant with a
bounded number of model calls in flight, and each finished row goes straight to disk.

A ``draft`` suite runs as one asyncio pipeline. A producer grounds each case once for all
variants (triage, the customer's history, retrieval; the query embeddings of the next cases
are computed in one batch in a thread), and hands its case × variant × repeat jobs to a
bounded queue; ``concurrency`` workers take jobs, ask the model (only the call holds a slot),
check the draft, record it, score the assertions and pass the row to a :class:`RowSink`.
So triage, retrieval, rendering, checking and scoring overlap with the model's latency, and
memory holds only the rows in flight, never the run.

The sink appends each row to ``cases.jsonl`` in the order the jobs were made (a short
reorder buffer), updates the summary and advances the progress bar. ``--max-cost`` is a
:class:`Budget`: a call starts only while the money spent, plus the calls in flight at the
mean cost so far, plus this one, stays within the limit; otherwise the run stops and the rows
not drafted are left for ``--resume``. Ctrl-C stops the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError, ModelError
from assistant.evals.assertions import Context, Output, Result, evaluate
from assistant.evals.results import Summariser, row_key, row_line
from assistant.evals.suites import OWN_MODEL_TARGETS, SHARED, Case, Stats, Suite, Variant

if TYPE_CHECKING:
    from assistant.evals.caller import CallerPool
    from assistant.llm.drafters import CachedModel, Prompt
    from assistant.llm.mock import ResponseCache
    from assistant.models import Generation
    from assistant.pipeline import Deps, DraftRequest, Grounding

ProgressFactory = Callable[[int], AbstractContextManager[Callable[[], None]]]
"""``progress(total)`` → a context manager giving ``advance()``, called once per row."""
RowKey = tuple[str, str, str, int]
PRIME_BATCH = 32
"""Cases whose query embeddings are computed in one batch."""


class BudgetStop(Exception):
    """The next model call would take the run past ``--max-cost``."""


@dataclass
class Controls:
    """How a run runs: concurrency, repeats, the budget, rows already done, the progress bar."""

    concurrency: int = 4
    repeat: int = 1
    max_cost: float | None = None
    done: set[RowKey] = field(default_factory=set)
    progress: ProgressFactory | None = None
    model_process: bool | None = None
    """Model calls in a second process (:mod:`assistant.evals.caller`); None: when a run
    makes at least ``caller.MIN_CALLS`` litellm calls."""
    callers: int | None = None
    """How many model-call processes (None: ``caller.pool_size()``)."""


@dataclass
class Budget:
    """Money a run may spend on model calls (None: no limit)."""

    limit: float | None
    spent: float = 0.0
    reserved: float = 0.0
    finished: int = 0
    in_flight: int = 0
    stopped: bool = False
    _cond: asyncio.Condition | None = None

    async def acquire(self) -> float:
        """Reserve one call at the mean cost so far; BudgetStop when it would not fit. Until a
        first call has reported its cost, calls go one at a time."""
        if self.limit is None:
            return 0.0
        cond = self._cond = self._cond or asyncio.Condition()
        async with cond:
            while self.finished == 0 and self.in_flight > 0 and not self.stopped:
                await cond.wait()
            estimate = self.spent / self.finished if self.finished else 0.0
            fits = self.spent + self.reserved + estimate <= self.limit
            if self.stopped or not fits or (self.finished == 0 and self.limit <= 0):
                self.stopped = True
                cond.notify_all()
                raise BudgetStop
            self.in_flight += 1
            self.reserved += estimate
            return estimate

    async def release(self, estimate: float, cost: float | None) -> None:
        """A call finished (``cost`` None: it failed and cost nothing we know of)."""
        if self.limit is None or self._cond is None:
            return
        async with self._cond:
            self.in_flight -= 1
            self.reserved -= estimate
            self.spent += float(cost or 0.0)
            self.finished += 1
            self._cond.notify_all()


class RowSink:
    """Rows to ``cases.jsonl`` in job order, into the summary, and onto the progress bar."""

    def __init__(self, path: Path, summary: Summariser, advance: Callable[[], None]) -> None:
        self.fh = path.open("a", encoding="utf-8")
        self.summary = summary
        self.advance = advance
        self.pending: dict[int, dict[str, Any] | None] = {}
        self.next = 0
        self.written = 0

    def put(self, seq: int, row: dict[str, Any] | None) -> None:
        """Row ``seq`` is finished (None: skipped, nothing to write)."""
        if row is not None:
            self.summary.add(row)
            self.advance()
        self.pending[seq] = row
        while self.next in self.pending:
            self._write(self.pending.pop(self.next))
            self.next += 1

    def _write(self, row: dict[str, Any] | None) -> None:
        if row is not None:
            self.fh.write(row_line(row) + "\n")
            self.fh.flush()
            self.written += 1

    def close(self) -> None:
        """Write what is still buffered (a stopped run), then close the file."""
        for seq in sorted(self.pending):
            self._write(self.pending[seq])
        self.pending.clear()
        self.fh.close()


@dataclass
class SuiteRun:
    """What every job of one suite shares."""

    suite: Suite
    deps: Deps
    cache: ResponseCache
    stats: Stats
    controls: Controls
    sink: RowSink
    budget: Budget
    repeat_field: bool
    caller: CallerPool | None = None
    known_urls: set[str] | None = None
    url_langs: dict[str, str] | None = None
    judges: dict[str, Any] = field(default_factory=dict)


def uses_litellm(variant: Variant) -> bool:
    """Whether the variant's model is called through litellm (not offline, not a mock)."""
    from assistant.llm.mock import is_mock

    return variant.model != "offline" and not is_mock(variant.model)


def jobs_of(case: Case, variants: list[Variant], ctl: Controls, suite: str) -> list[Any]:
    """The (variant, repeat) pairs of a case still to run."""
    shared = variants if variants else []
    pairs = [(v, r) for v in shared for r in range(ctl.repeat)]
    return [(v, r) for v, r in pairs if (suite, case.id, v.id, r) not in ctl.done]


# ------------------------------------------------------------------------------ draft suites
def request_for(case: Case, variant: Variant) -> DraftRequest:
    """The pipeline request of one case × variant."""
    from assistant.pipeline import DraftRequest

    return DraftRequest(
        message=case.message,
        channel=case.channel,
        customer_id=case.customer_id,
        style=case.style,
        prompt_version=variant.prompt if variant.model != "offline" else None,
        author="eval",
        via="eval",
    )


def variant_deps(deps: Deps, variant: Variant) -> Deps:
    """Deps whose settings name the variant's model."""
    return dataclasses.replace(
        deps, settings=deps.settings.model_copy(update={"model": variant.model})
    )


async def adraft_suite(sr: SuiteRun, variants: list[Variant]) -> None:
    """Draft every case × variant × repeat of a draft suite (see the module docstring)."""
    from assistant.llm.drafters import CachedModel, model_for

    models: dict[tuple[str, int], CachedModel] = {}
    for v in variants:
        vdeps = variant_deps(sr.deps, v)
        for r in range(sr.controls.repeat):
            model = CachedModel(model_for(vdeps.settings), sr.cache, vdeps.settings.temperature)
            if r:  # each repeat is its own answer, and its own cache entry
                model.params = {**model.params, "repeat": r}
            models[(v.id, r)] = model
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max(2, sr.controls.concurrency * 2))
    gate = asyncio.Semaphore(max(1, sr.controls.concurrency))
    if sr.caller is not None:
        sr.caller.attach()
    workers = [
        asyncio.create_task(_worker(sr, queue, models, gate))
        for _ in range(max(1, sr.controls.concurrency))
    ]
    try:
        await _produce(sr, variants, queue, len(workers))
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        if sr.caller is not None:
            sr.caller.detach()
        sr.stats.model_calls += sum(m.calls for m in models.values())
        sr.stats.cache_hits += sum(m.hits for m in models.values())


def _chunks(cases: list[Case], size: int) -> Iterator[list[Case]]:
    for start in range(0, len(cases), size):
        yield cases[start : start + size]


async def _produce(sr: SuiteRun, variants: list[Variant], queue: Any, workers: int) -> None:
    """Ground each case once and queue its jobs; then one stop marker per worker. The query
    embeddings of the next chunk of cases are computed (in a thread) while this one is
    grounded."""
    seq = 0
    chunks = [
        todo
        for chunk in _chunks(sr.suite.cases, PRIME_BATCH)
        if (
            todo := [
                (c, jobs)
                for c in chunk
                if (jobs := jobs_of(c, variants, sr.controls, sr.suite.name))
            ]
        )
    ]
    primed = _prime_soon(sr.deps, chunks[0]) if chunks else None
    for i, todo in enumerate(chunks):
        if primed is not None:
            await primed
        primed = _prime_soon(sr.deps, chunks[i + 1]) if i + 1 < len(chunks) else None
        for case, jobs in todo:
            if sr.budget.stopped:
                break
            grounding, error = _ground(sr.deps, case, jobs[0][0])
            for variant, repeat in jobs:
                await queue.put((seq, case, variant, repeat, grounding, error))
                seq += 1
            await asyncio.sleep(0)
    if primed is not None:
        await primed
    for _ in range(workers):
        await queue.put(None)


def _prime_soon(deps: Deps, todo: list[Any]) -> asyncio.Future[None]:
    return asyncio.ensure_future(asyncio.to_thread(_prime, deps, [c.message for c, _ in todo]))


def _prime(deps: Deps, messages: list[str]) -> None:
    """Compute the search-query embeddings of these messages in one batch (cached)."""
    prime = getattr(deps.kb.embedder, "prime", None)
    texts = [m.strip() for m in messages if m and m.strip()]
    if prime is not None and texts:
        with contextlib.suppress(Exception):  # a failure here is met again, per case, later
            prime(texts)


def _ground(deps: Deps, case: Case, variant: Variant) -> tuple[Grounding | None, str | None]:
    from assistant.pipeline import ground

    try:
        return ground(deps, request_for(case, variant)), None
    except (ModelError, InputError) as exc:
        return None, str(exc)


async def _worker(sr: SuiteRun, queue: Any, models: dict[Any, Any], gate: Any) -> None:
    while (item := await queue.get()) is not None:
        seq, case, variant, repeat, grounding, error = item
        if sr.budget.stopped:
            sr.sink.put(seq, None)
            continue
        model = models[(variant.id, repeat)]
        try:
            out = await _adraft(sr, case, variant, model, gate, grounding, error)
        except BudgetStop:
            sr.sink.put(seq, None)
            continue
        sr.sink.put(seq, await arow(sr, case, variant.id, out, repeat))


async def _adraft(
    sr: SuiteRun,
    case: Case,
    variant: Variant,
    model: CachedModel,
    gate: asyncio.Semaphore,
    g: Grounding | None,
    error: str | None,
) -> Output:
    """One case × variant: the model's first answer to the prompt, checked and recorded."""
    from assistant.pipeline import agenerate_and_check, new_trace, record_draft

    out = Output(channel=case.channel, model=variant.model, prompt=variant.prompt)
    if g is None:
        out.error = error
        return out
    deps = variant_deps(sr.deps, variant)
    req = request_for(case, variant)

    async def call(prompt: Prompt) -> Generation:
        async with gate:
            estimate = await sr.budget.acquire()
            cost = None
            try:
                gen = await _ask(sr, model, variant, prompt)
                cost = gen.cost_usd
                return gen
            finally:
                await sr.budget.release(estimate, cost)

    try:
        draft = await agenerate_and_check(
            deps,
            model,
            req,
            g,
            new_trace(req, g),
            call=lambda prompt: model.agenerate_with(prompt, call),
            regenerate=False,
        )
    except (ModelError, InputError) as exc:
        out.error = str(exc)
        return out
    record_draft(deps, req, draft)
    return _filled(out, draft, variant)


async def _ask(sr: SuiteRun, model: CachedModel, variant: Variant, prompt: Prompt) -> Generation:
    """The model's answer: from the model-call process for a litellm model when there is one."""
    from assistant.llm.drafters import LiteLLMModel

    if sr.caller is not None and isinstance(model.inner, LiteLLMModel):
        return await sr.caller.agenerate(variant.model, prompt.messages)
    return await model.inner.agenerate(prompt)


def _filled(out: Output, draft: Any, variant: Variant) -> Output:
    usage = draft.trace.get("usage", {})
    out.text, out.language, out.situations = draft.draft, draft.language, draft.situations
    out.rules = [f.rule for f in draft.findings]
    out.retrieved = [s.doc_id for s in draft.sources]
    out.cached, out.prompt = bool(usage.get("cached")), draft.prompt_version
    out.usage = {k: v for k, v in usage.items() if k != "cached"}
    if variant.model == "offline":
        out.usage = {"latency_ms": 0.0, "cost_usd": 0.0}
    return out


# ------------------------------------------------------------------------------ other suites
def run_other_suite(sr: SuiteRun) -> None:
    """A retrieve, check, triage or judge suite, case by case (no variants)."""
    seq = 0
    for case in sr.suite.cases:
        own_model = sr.suite.target in OWN_MODEL_TARGETS
        for repeat in range(sr.controls.repeat if own_model else 1):
            if (sr.suite.name, case.id, SHARED, repeat) in sr.controls.done:
                continue
            out = _run_other(sr.suite, case, sr.deps)
            sr.sink.put(seq, row(sr, case, SHARED, out, repeat))
            seq += 1


def _run_other(suite: Suite, case: Case, deps: Deps) -> Output:
    """A retrieve or check case (no model), or a triage, judge or translate case (its own
    model)."""
    from assistant.evals import steps

    if suite.target == "triage":
        return steps.run_triage(case, deps.settings)
    if suite.target == "judge":
        return steps.run_judge(case, deps.settings)
    if suite.target == "translate":
        return steps.run_translate(case, deps.settings)
    if suite.target == "retrieve":
        k = max([int(a.options.get("k", 3)) for a in case.asserts] + [5])
        hits = deps.kb.search(case.message, k=k, lang=case.lang)
        return Output(retrieved=[h.doc_id for h in hits], language=case.lang or "")
    return steps.run_check(case)


# ------------------------------------------------------------------------------ rows
async def arow(sr: SuiteRun, case: Case, variant: str, out: Output, repeat: int) -> dict[str, Any]:
    """:func:`row`, in a thread when an assertion calls a judge model (a blocking call)."""
    if any(a.type == "llm_judge" for a in case.asserts):
        return await asyncio.to_thread(row, sr, case, variant, out, repeat)
    return row(sr, case, variant, out, repeat)


def row(sr: SuiteRun, case: Case, variant: str, out: Output, repeat: int = 0) -> dict[str, Any]:
    """Score the case's assertions on an output: the row written to ``cases.jsonl``."""
    if sr.known_urls is None:
        sr.known_urls = sr.deps.kb.known_urls()
    if sr.url_langs is None:
        sr.url_langs = {str(d["url"]): str(d["lang"]) for d in sr.deps.kb.documents() if d["url"]}
    ctx = Context(
        known_urls=sr.known_urls,
        url_langs=sr.url_langs,
        case_language=case.lang,
        judge=_judge(sr, case.lang or out.language or "ko"),
    )
    results = [evaluate(a, out, ctx) for a in case.asserts]
    passed, score = _verdict(results, case.threshold)
    line = {
        "suite": sr.suite.name,
        "case": case.id,
        "variant": variant,
        "message": case.message,
        "channel": case.channel,
        "customer": case.customer_id,
        "output": dataclasses.asdict(out),
        "assertions": [r.to_dict() for r in results],
        "pass": passed,
        "score": round(score, 4),
    }
    if sr.repeat_field:
        line["repeat"] = repeat
    return line


def _judge(sr: SuiteRun, language: str) -> Any:
    from assistant.evals.judge import make_judge

    if language not in sr.judges:
        sr.judges[language] = make_judge(sr.deps.settings, sr.cache, sr.stats, language)
    return sr.judges[language]


def _verdict(results: list[Result], threshold: float | None) -> tuple[bool, float]:
    total = sum(r.weight for r in results)
    score = sum(r.score * r.weight for r in results) / total if total else 1.0
    if threshold is not None:
        return score >= float(threshold), score
    return all(r.passed for r in results if r.weight > 0), score


def done_keys(rows: Any) -> set[RowKey]:
    """The keys of rows that have an answer (rows with an error are run again)."""
    return {row_key(r) for r in rows if not (r.get("output") or {}).get("error")}
