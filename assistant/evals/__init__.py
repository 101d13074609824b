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
import contextlib
import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import resources
from assistant.errors import InputError
from assistant.evals import runner
from assistant.evals.runner import Controls
from assistant.evals.suites import (
    OWN_MODEL_TARGETS,
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
    "Controls",
    "EvalOutcome",
    "Run",
    "RunOptions",
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
    from assistant.pipeline import Deps

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
    out_dir: Path | None = None,
    controls: Controls | None = None,
    prior: Iterable[dict[str, Any]] = (),
) -> Run:
    """Run every suite for every variant, the model calls concurrently and cached; each row is
    appended to ``<out_dir>/cases.jsonl`` as it finishes (default: a new folder under
    ``<data dir>/evals/``). ``controls`` add repeats, a budget, rows already done (``prior``:
    their rows, counted in the summary) and a progress bar. A run stopped by the budget or by
    Ctrl-C returns what it finished, with ``summary["stopped"]`` saying why."""
    ctl = controls or Controls(concurrency=concurrency)
    caller = _model_process(suites, variants, settings, ctl)
    try:
        deps = deps or eval_deps(settings)
        return _run(suites, variants, settings, deps, ctl, caller, out_dir, progress, prior)
    finally:
        if caller is not None:
            caller.close()


def _model_process(
    suites: list[Suite], variants: list[Variant], settings: Settings, ctl: Controls
) -> Any:
    """A model-call process for a run with enough litellm calls (started first: it loads
    while this process loads the rest)."""
    from assistant.evals.caller import MIN_CALLS, CallerPool, pool_size

    if ctl.model_process is False:
        return None
    called = [v for v in variants if runner.uses_litellm(v)]
    drafts = [s for s in suites if s.target == "draft"]
    calls = _total(drafts, called, ctl) if called and drafts else 0
    if ctl.model_process or calls >= MIN_CALLS:
        pool = CallerPool(settings, ctl.callers or pool_size())
        cache = settings.data_dir / "eval-cache.sqlite"
        if ctl.model_process or not cache.is_file() or cache.stat().st_size < 64 * 1024:
            pool.start()  # answers are likely to be asked: load while this process loads
        return pool
    return None


def _run(
    suites: list[Suite],
    variants: list[Variant],
    settings: Settings,
    deps: Deps,
    ctl: Controls,
    caller: Any,
    out_dir: Path | None,
    progress: Callable[[str], None] | None,
    prior: Iterable[dict[str, Any]],
) -> Run:
    from assistant.evals.results import RowFile, Summariser, new_run_dir
    from assistant.llm.mock import ResponseCache

    out_dir = out_dir or new_run_dir(settings.data_dir / "evals")
    out_dir.mkdir(parents=True, exist_ok=True)
    cache = ResponseCache(settings.data_dir / "eval-cache.sqlite")
    stats, summary = Stats(), Summariser()
    for old in prior:
        summary.add(old)
    total = _total(suites, variants, ctl)
    budget = runner.Budget(ctl.max_cost)
    stopped = None
    bar = ctl.progress(total) if ctl.progress and total else contextlib.nullcontext(lambda: None)
    with bar as advance:
        sink = runner.RowSink(out_dir / "cases.jsonl", summary, advance)
        try:
            for suite in suites:
                if progress:
                    progress(f"{suite.name}: {len(suite.cases)} cases")
                sr = runner.SuiteRun(
                    suite, deps, cache, stats, ctl, sink, budget, ctl.repeat > 1, caller
                )
                if suite.target == "draft":
                    asyncio.run(runner.adraft_suite(sr, variants))
                else:
                    runner.run_other_suite(sr)
                sink.next, sink.pending = 0, {}
                if budget.stopped:
                    stopped = "budget"
                    break
        except KeyboardInterrupt:
            stopped = "interrupted"
        finally:
            sink.close()
    result = summary.result(stats)
    if stopped:
        result |= {"stopped": stopped, "remaining": max(0, total - sink.written)}
    config = _config(suites, variants, deps, ctl)
    return Run(config, RowFile(out_dir / "cases.jsonl"), result, stats)


def _config(
    suites: list[Suite], variants: list[Variant], deps: Deps, ctl: Controls
) -> dict[str, Any]:
    config = {
        "suites": [s.name for s in suites],
        "variants": [dataclasses.asdict(v) | {"id": v.id} for v in variants],
        "today": deps.clock().date().isoformat(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if ctl.repeat > 1:
        config["repeat"] = ctl.repeat
    return config


def _total(suites: list[Suite], variants: list[Variant], ctl: Controls) -> int:
    """Rows this run will write (those already done not counted)."""
    n = 0
    for suite in suites:
        for case in suite.cases:
            if suite.target == "draft":
                n += len(runner.jobs_of(case, variants, ctl, suite.name))
            else:
                repeats = ctl.repeat if suite.target in OWN_MODEL_TARGETS else 1
                n += sum((suite.name, case.id, SHARED, r) not in ctl.done for r in range(repeats))
    return n


# ------------------------------------------------------------------------------ entry point
@dataclass
class EvalOutcome:
    """What ``run_eval`` did: the run, where it was written, the comparison and the exit code."""

    run: Run
    results_dir: Path
    comparison: dict[str, Any] | None
    report: Path | None
    exit_code: int
    ignored: list[str] = dataclasses.field(default_factory=list)
    """Fields of a promptfoo config that were not used, one line each."""

    def contract(self) -> dict[str, Any]:
        """The JSON document of ``eval --json``."""
        return {
            "results_dir": str(self.results_dir),
            "report": str(self.report) if self.report else None,
            "summary": self.run.summary,
            "comparison": self.comparison,
            "exit_code": self.exit_code,
            "ignored": self.ignored,
        }


@dataclass
class RunOptions:
    """What ``eval`` runs besides the suites and variants."""

    concurrency: int = 4
    repeat: int = 1
    max_cost: float | None = None
    filters: list[str] = dataclasses.field(default_factory=list)
    resume: Path | None = None
    bar: runner.ProgressFactory | None = None
    callers: int | None = None
    """Model-call processes (None: by cores; 0: calls in this process)."""


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
    options: RunOptions | None = None,
) -> EvalOutcome:
    """Run suites (all shipped ones when empty) for prompts × models, write the results
    (``<data dir>/evals/<run-id>/`` unless ``out_dir``), compare with ``baseline`` and write the
    HTML ``report``. With ``options.resume`` (a results folder), finish that run instead: the
    same suites, variants and repeats, without the rows already answered. Exit code 1: with a
    baseline, any regression; without one, any failed case; also a run the budget stopped;
    130: stopped by Ctrl-C.
    """
    from assistant.evals import plan
    from assistant.evals.report import write_html
    from assistant.evals.results import compare, load_results, new_run_dir, write_results

    opts = options or RunOptions(concurrency=concurrency)
    if opts.resume is not None:
        work = plan.resume_plan(settings, opts)
    else:
        work = plan.new_plan(suites, prompts, models, opts)
    old = load_results(baseline) if baseline else None
    results_dir = work.out_dir or out_dir or new_run_dir(settings.data_dir / "evals")
    plan.save_state(results_dir, work, opts)
    ctl = Controls(opts.concurrency, work.repeat, opts.max_cost, work.done, opts.bar)
    if opts.callers is not None:
        ctl.model_process, ctl.callers = opts.callers > 0, opts.callers or None
    run = run_suites(
        work.suites, work.variants, settings, progress=progress, out_dir=results_dir,
        controls=ctl, prior=work.prior,
    )  # fmt: skip
    write_results(run, results_dir)
    comparison = compare(run, old) if old else None
    html_path = write_html(run, report, comparison) if report else None
    stopped = run.summary.get("stopped")
    plan.mark(results_dir, stopped or "done")
    if stopped == "interrupted":
        code = 130
    elif comparison is not None:
        code = 1 if comparison["regressed"] or stopped else 0
    else:
        code = 0 if run.summary["passed"] == run.summary["cases"] and not stopped else 1
    return EvalOutcome(run, results_dir, comparison, html_path, code, work.ignored)
