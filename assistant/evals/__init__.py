"""Offline prompt evaluations: suites of cases with assertions, run as prompt versions × models.

A suite (``evals/suites/<name>.yaml``, or ``.jsonl`` with an optional ``{"suite": {...}}``
header line) has a ``target``: ``draft`` (the pipeline drafts a reply per variant),
``retrieve`` (help-center search only), ``check`` (the playbook checker on a given text),
``triage`` (triage by the model a case names) or ``judge`` (the playbook's LLM judge, by the
model a case names, on a given text); see :mod:`assistant.evals.steps`.
A suite may wrap a labelled file (``source: ../retrieval.jsonl``, ``format: retrieval`` or
``checker``) instead of listing ``cases``. ``defaults`` (like promptfoo's ``defaultTest``)
give every case its channel, language and extra assertions. See ``assistant.evals.assertions``
for the assertion kinds.

Variants: each prompt version × each model. ``offline`` is the template drafter (prompts do not
apply, so it runs once); ``mock/<name>`` answers deterministically from the rendered prompt
(``assistant.llm.mock``); anything else is a litellm model string. Model answers are cached in
``<data_dir>/eval-cache.sqlite`` (keyed by model + rendered messages + parameters). Every case
is drafted by the pipeline's drafting core (``pipeline.agenerate_and_check``), so the
retrieval, the prompt, the checker and the record are exactly the pipeline's. Evals measure
the model's first answer to each prompt. Drafts are recorded in ``<data_dir>/evals.db`` (seeded
with the demo customers), never among the agents' drafts.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import resources
from assistant.errors import InputError, ModelError
from assistant.evals.assertions import Context, Output, Result, evaluate
from assistant.evals.suites import (
    SHARED,
    Case,
    Run,
    Stats,
    Suite,
    Variant,
    available_suites,
    load_suite,
    matrix,
    normalise_prompt,
    suite_path,
)

__all__ = [
    "BASELINE_DIR",
    "Case",
    "EvalOutcome",
    "Run",
    "Stats",
    "Suite",
    "Variant",
    "available_suites",
    "eval_deps",
    "load_suite",
    "matrix",
    "normalise_prompt",
    "run_eval",
    "run_suites",
    "suite_path",
]

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.llm.mock import ResponseCache
    from assistant.pipeline import Deps, DraftRequest

BASELINE_DIR = resources.shipped("evals") / "results" / "baseline"
"""The committed baseline results the shipped suites are compared with."""
EVAL_TODAY = date(2025, 11, 20)


def eval_deps(settings: Settings, today: date = EVAL_TODAY) -> Deps:
    """The pipeline's deps for evals: the data dir's help center, an eval records DB seeded
    with the demo customers, and a fixed clock so that dated replies are reproducible."""
    from assistant.history import load_demo_customers
    from assistant.knowledge import KnowledgeBase
    from assistant.pipeline import Deps
    from assistant.store import Store

    kb = KnowledgeBase(settings)
    if not settings.data_dir.is_dir() or not kb.count():
        raise InputError(
            "no knowledge index here: run `reply-assistant init` first",
            where=str(settings.data_dir),
        )
    db = f"sqlite:///{settings.data_dir / 'evals.db'}"
    own = settings.model_copy(update={"database_url": db, "model": "offline"})
    store = Store.from_settings(own)
    load_demo_customers(store)
    moment = datetime.combine(today, time(9, 0), tzinfo=UTC)
    return Deps(settings=own, store=store, kb=kb, clock=lambda: moment)


def run_suites(
    suites: list[Suite],
    variants: list[Variant],
    settings: Settings,
    *,
    concurrency: int = 4,
    progress: Callable[[str], None] | None = None,
    deps: Deps | None = None,
) -> Run:
    """Run every suite for every variant; the model calls concurrently, cached."""
    from assistant.llm.mock import ResponseCache

    deps = deps or eval_deps(settings)
    cache = ResponseCache(settings.data_dir / "eval-cache.sqlite")
    stats = Stats()
    rows: list[dict[str, Any]] = []
    for suite in suites:
        if progress:
            progress(f"{suite.name}: {len(suite.cases)} cases")
        if suite.target == "draft":
            rows += asyncio.run(_adraft_all(suite, variants, deps, cache, stats, concurrency))
        else:
            rows += [
                _row(suite, c, SHARED, _run_other(suite, c, deps), deps, cache, stats)
                for c in suite.cases
            ]
    config = {
        "suites": [s.name for s in suites],
        "variants": [dataclasses.asdict(v) | {"id": v.id} for v in variants],
        "today": deps.clock().date().isoformat(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    from assistant.evals.results import summarise

    return Run(config, rows, summarise(rows, stats), stats)


def _request(case: Case, variant: Variant) -> DraftRequest:
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


def _variant_deps(deps: Deps, variant: Variant) -> Deps:
    return dataclasses.replace(
        deps, settings=deps.settings.model_copy(update={"model": variant.model})
    )


async def _adraft_all(
    suite: Suite,
    variants: list[Variant],
    deps: Deps,
    cache: ResponseCache,
    stats: Stats,
    concurrency: int,
) -> list[dict[str, Any]]:
    """Draft every case for every variant with the pipeline's drafting core; at most
    ``concurrency`` model calls in flight, answers already in the cache served from it."""
    from assistant.llm.drafters import CachedModel, model_for

    gate = asyncio.Semaphore(max(1, concurrency))
    work = []
    models = []
    for variant in variants:
        vdeps = _variant_deps(deps, variant)
        model = CachedModel(model_for(vdeps.settings), cache, vdeps.settings.temperature)
        models.append(model)
        work += [_adraft(case, variant, vdeps, model, gate) for case in suite.cases]
    outputs = await asyncio.gather(*work)
    stats.model_calls += sum(m.calls for m in models)
    stats.cache_hits += sum(m.hits for m in models)
    cases = [(c, v) for v in variants for c in suite.cases]
    return [
        _row(suite, case, variant.id, out, deps, cache, stats)
        for (case, variant), out in zip(cases, outputs, strict=True)
    ]


async def _adraft(
    case: Case, variant: Variant, deps: Deps, model: Any, gate: asyncio.Semaphore
) -> Output:
    """One case × variant: the model's first answer to the prompt, checked and recorded."""
    from assistant.pipeline import agenerate_and_check, ground, new_trace, record_draft

    out = Output(channel=case.channel, model=variant.model, prompt=variant.prompt)
    req = _request(case, variant)

    async def call(prompt: Any) -> Any:
        async with gate:
            return await model.inner.agenerate(prompt)

    try:
        g = ground(deps, req)
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
    usage = draft.trace.get("usage", {})
    out.text, out.language, out.situations = draft.draft, draft.language, draft.situations
    out.rules = [f.rule for f in draft.findings]
    out.retrieved = [s.doc_id for s in draft.sources]
    out.cached, out.prompt = bool(usage.get("cached")), draft.prompt_version
    out.usage = {k: v for k, v in usage.items() if k != "cached"}
    if variant.model == "offline":
        out.usage = {"latency_ms": 0.0, "cost_usd": 0.0}
    return out


def _run_other(suite: Suite, case: Case, deps: Deps) -> Output:
    """A retrieve or check case (no model), or a triage or judge case (its own model)."""
    from assistant.evals import steps

    if suite.target == "triage":
        return steps.run_triage(case, deps.settings)
    if suite.target == "judge":
        return steps.run_judge(case, deps.settings)
    if suite.target == "retrieve":
        k = max([int(a.options.get("k", 3)) for a in case.asserts] + [5])
        hits = deps.kb.search(case.message, k=k, lang=case.lang)
        return Output(retrieved=[h.doc_id for h in hits], language=case.lang or "")
    from assistant.models import Customer
    from assistant.playbook import check

    text = str(case.data.get("text", ""))
    urls = case.data.get("known_urls")
    customer = case.data.get("customer")
    result = check(
        text,
        channel=case.channel,
        lang=case.lang,
        customer_message=case.message or None,
        customer=Customer.model_validate(customer) if customer else None,
        known_urls=set(urls) if urls is not None else None,
        situations=list(case.data.get("situations", [])),
        system_prompt=case.data.get("system_prompt"),
    )
    return Output(text=text, channel=case.channel, rules=[f.rule for f in result.findings])


def _row(
    suite: Suite,
    case: Case,
    variant: str,
    out: Output,
    deps: Deps,
    cache: ResponseCache,
    stats: Stats,
) -> dict[str, Any]:
    from assistant.evals.judge import make_judge

    ctx = Context(
        known_urls=deps.kb.known_urls(),
        case_language=case.lang,
        judge=make_judge(deps.settings, cache, stats, case.lang or out.language or "ko"),
    )
    results = [evaluate(a, out, ctx) for a in case.asserts]
    passed, score = _verdict(results, case.threshold)
    return {
        "suite": suite.name,
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


def _verdict(results: list[Result], threshold: float | None) -> tuple[bool, float]:
    total = sum(r.weight for r in results)
    score = sum(r.score * r.weight for r in results) / total if total else 1.0
    if threshold is not None:
        return score >= float(threshold), score
    return all(r.passed for r in results if r.weight > 0), score


# ------------------------------------------------------------------------------ entry point
@dataclass
class EvalOutcome:
    """What ``run_eval`` did: the run, where it was written, the comparison and the exit code."""

    run: Run
    results_dir: Path
    comparison: dict[str, Any] | None
    report: Path | None
    exit_code: int

    def contract(self) -> dict[str, Any]:
        """The JSON document of ``eval --json``."""
        return {
            "results_dir": str(self.results_dir),
            "report": str(self.report) if self.report else None,
            "summary": self.run.summary,
            "comparison": self.comparison,
            "exit_code": self.exit_code,
        }


def run_eval(
    settings: Settings,
    suites: list[str],
    prompts: list[str],
    models: list[str],
    *,
    out_dir: Path | None = None,
    baseline: Path | None = None,
    report: Path | None = None,
    concurrency: int = 4,
    progress: Callable[[str], None] | None = None,
) -> EvalOutcome:
    """Run suites (all shipped ones when empty) for prompts × models, write the results
    (``<data dir>/evals/<run-id>/`` unless ``out_dir``), compare with ``baseline`` and write the
    HTML ``report``. Exit code 1: with a baseline, any regression; without one, any failed case.
    """
    from assistant.evals.report import write_html
    from assistant.evals.results import compare, load_results, new_run_id, write_results

    loaded = [load_suite(s) for s in (suites or available_suites())]
    old = load_results(baseline) if baseline else None
    run = run_suites(
        loaded, matrix(prompts, models), settings, concurrency=concurrency, progress=progress
    )
    results_dir = write_results(run, out_dir or settings.data_dir / "evals" / new_run_id())
    comparison = compare(run, old) if old else None
    html_path = write_html(run, report, comparison) if report else None
    if comparison is not None:
        code = 1 if comparison["regressed"] else 0
    else:
        code = 0 if run.summary["passed"] == run.summary["cases"] else 1
    return EvalOutcome(run, results_dir, comparison, html_path, code)
