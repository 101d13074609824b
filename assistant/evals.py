"""Offline prompt evaluations: suites of cases with assertions, run as prompt versions × models.

A suite (``evals/suites/<name>.yaml``, or ``.jsonl`` with an optional ``{"suite": {...}}``
header line) has a ``target``: ``draft`` (the pipeline drafts a reply per variant),
``retrieve`` (help-center search only) or ``check`` (the playbook checker on a given text).
A suite may wrap a labelled file (``source: ../retrieval.jsonl``, ``format: retrieval`` or
``checker``) instead of listing ``cases``. ``defaults`` (like promptfoo's ``defaultTest``)
give every case its channel, language and extra assertions. See ``assistant.eval_assertions``
for the assertion kinds.

Variants: each prompt version × each model. ``offline`` is the template drafter (prompts do not
apply, so it runs once); ``mock/<name>`` answers deterministically from the rendered prompt
(``assistant.eval_mock``); anything else is a litellm model string. Model answers are cached in
``<data_dir>/eval-cache.sqlite`` (keyed by model + rendered messages + parameters), and the
draft is then replayed through ``pipeline.draft_reply`` with litellm's ``mock_response``, so
the checker, the retrieval and the record are exactly the pipeline's. Evals measure the
model's first answer to each prompt. Drafts are recorded in ``<data_dir>/evals.db`` (seeded
with the demo customers), never among the agents' drafts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import resources
from assistant.errors import InputError, ModelError
from assistant.eval_assertions import Assertion, Context, Output, Result, evaluate

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.eval_mock import ResponseCache
    from assistant.pipeline import Deps, DraftRequest

BASELINE_DIR = resources.shipped("evals") / "results" / "baseline"
"""The committed baseline results the shipped suites are compared with."""
TARGETS = ("draft", "retrieve", "check")
SUITE_SUFFIXES = (".yaml", ".yml", ".jsonl")
EVAL_TODAY = date(2025, 11, 20)
SHARED = "all"
"""The variant name of retrieve/check suites, whose results do not depend on prompt or model."""


@dataclass
class Case:
    """One eval case: a customer message (or a text to check) and its assertions."""

    id: str
    message: str
    channel: str = "email"
    customer_id: str | None = None
    lang: str | None = None
    style: str | None = None
    asserts: list[Assertion] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    threshold: float | None = None


@dataclass
class Suite:
    """A named list of cases with one target."""

    name: str
    target: str
    cases: list[Case]
    description: str = ""
    path: Path | None = None


@dataclass(frozen=True)
class Variant:
    """One column of the matrix: a prompt version and a model."""

    prompt: str
    model: str

    @property
    def id(self) -> str:
        if self.model == "offline":
            return "offline"
        return f"{self.prompt.split('@')[-1]} × {self.model}" if self.prompt else self.model


@dataclass
class Stats:
    """What a run cost: model calls made and answers served from the cache."""

    model_calls: int = 0
    cache_hits: int = 0


@dataclass
class Run:
    """A finished run: its configuration, one row per case × variant, and the summary."""

    config: dict[str, Any]
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    stats: Stats = field(default_factory=Stats)


# ------------------------------------------------------------------------------ suites
def suite_path(name: str) -> Path:
    """A suite name (``situations``) or a path to a suite file."""
    path = Path(name)
    if path.suffix in SUITE_SUFFIXES and path.is_file():
        return path
    for folder in resources.suite_folders():
        for suffix in SUITE_SUFFIXES:
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    known = ", ".join(available_suites()) or "none"
    raise InputError(f"no eval suite named {name!r} (available: {known})", where="suite")


def available_suites() -> list[str]:
    """Names of the team's suites and the shipped ones."""
    folders = [f for f in resources.suite_folders() if f.is_dir()]
    return sorted({p.stem for f in folders for p in f.iterdir() if p.suffix in SUITE_SUFFIXES})


def _read_suite_file(path: Path) -> tuple[dict[str, Any], list[Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise InputError(f"not JSON ({exc.msg})", where=f"{path}:{number}") from None
        header = rows.pop(0)["suite"] if rows and "suite" in rows[0] else {}
        return header, rows
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(f"not valid YAML ({getattr(exc, 'problem', exc)})", where=where) from None
    if not isinstance(data, dict):
        raise InputError("a suite file is a mapping with 'cases' or 'source'", where=str(path))
    return data, list(data.get("cases") or [])


def load_suite(name_or_path: str | Path) -> Suite:
    """Read and validate a suite; a bad case is an InputError naming the file and case."""
    path = suite_path(str(name_or_path))
    header, raw_cases = _read_suite_file(path)
    target = header.get("target", "draft")
    if target not in TARGETS:
        raise InputError(f"unknown target {target!r} (use {', '.join(TARGETS)})", where=str(path))
    if header.get("source"):
        raw_cases = _wrap_source(path, header) + raw_cases
    defaults = header.get("defaults") or {}
    cases = [_case(raw, defaults, f"{path}#{i}") for i, raw in enumerate(raw_cases, 1)]
    ids = [c.id for c in cases]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise InputError(f"duplicate case id {duplicate!r}", where=str(path))
    if not cases:
        raise InputError("the suite has no cases", where=str(path))
    name = str(header.get("name") or path.stem)
    return Suite(name, target, cases, str(header.get("description", "")), path)


def _case(raw: Any, defaults: dict[str, Any], where: str) -> Case:
    from assistant.config import CHANNELS

    if not isinstance(raw, dict) or "id" not in raw:
        raise InputError("a case needs an 'id'", where=where)
    where = f"{where.split('#')[0]} case {raw['id']}"
    merged = {**defaults, **raw}
    message = merged.get("message", merged.get("query", ""))
    channel = merged.get("channel", "email")
    if channel not in CHANNELS:
        raise InputError(f"unknown channel {channel!r}", where=where)
    asserts = [
        Assertion.parse(a, where)
        for a in list(raw.get("assert") or []) + list(defaults.get("assert") or [])
    ]
    known = {"id", "message", "query", "channel", "lang", "style", "assert"}
    customer = merged.get("customer")
    if not isinstance(customer, dict):  # a profile (checker cases) stays in ``data``
        known.add("customer")
    return Case(
        id=str(raw["id"]),
        message=str(message),
        channel=channel,
        customer_id=None if isinstance(customer, dict) else customer,
        lang=merged.get("lang"),
        style=merged.get("style"),
        asserts=asserts,
        data={k: v for k, v in merged.items() if k not in known},
        threshold=merged.get("threshold"),
    )


def _wrap_source(path: Path, header: dict[str, Any]) -> list[dict[str, Any]]:
    """Cases from a labelled file: ``retrieval`` (hit@k) or ``checker`` (expect/forbid rules)."""
    source = (path.parent / str(header["source"])).resolve()
    fmt = header.get("format", header.get("target"))
    if fmt == "retrieval":
        from assistant.retrieval_eval import load_cases as load_retrieval

        k = int(header.get("k", 3))
        return [
            {
                "id": c["id"],
                "message": c["query"],
                "lang": c["lang"],
                "assert": [{"type": "retrieved", "value": c["expected"], "k": k}],
            }
            for c in load_retrieval(source)
        ]
    if fmt in ("checker", "check"):
        return _checker_cases(source)
    raise InputError(f"unknown source format {fmt!r} (retrieval or checker)", where=str(path))


def _checker_cases(source: Path) -> list[dict[str, Any]]:
    from assistant.checker_eval import load_cases as load_checker

    shared = source.with_name("checker_urls.txt")
    urls = (
        [u.strip() for u in shared.read_text(encoding="utf-8").splitlines() if u.strip()]
        if shared.is_file()
        else None
    )
    out = []
    for c in load_checker(source):
        asserts = []
        if c.get("expect"):
            asserts.append({"type": "rule_present", "value": c["expect"]})
        if c.get("forbid"):
            asserts.append({"type": "rule_absent", "value": c["forbid"]})
        extra = {k: v for k, v in c.items() if k not in ("expect", "forbid", "customer_message")}
        extra.setdefault("known_urls", urls)
        out.append({**extra, "message": c.get("customer_message") or "", "assert": asserts})
    return out


# ------------------------------------------------------------------------------ matrix
def normalise_prompt(value: str) -> str:
    """``v2`` → ``draft_reply@v2``; checks that the template exists."""
    from assistant import prompts
    from assistant.pipeline import DRAFT_TEMPLATE

    ref = value if "@" in value or "/" in value else f"{DRAFT_TEMPLATE}@{value}"
    if ref.startswith(("v", "V")) and ref[1:].isdigit():
        ref = f"{DRAFT_TEMPLATE}@{ref}"
    name, version = prompts.parse_ref(ref)
    prompts.info(name, version)
    return f"{name}@{version}"


def matrix(prompts: list[str], models: list[str]) -> list[Variant]:
    """Every prompt × model; the offline drafter once (it uses no prompt); no duplicates."""
    from assistant.pipeline import DRAFT_TEMPLATE
    from assistant.prompts import latest

    refs = [normalise_prompt(p) for p in prompts] or [f"{DRAFT_TEMPLATE}@{latest(DRAFT_TEMPLATE)}"]
    out: list[Variant] = []
    for model in models or ["offline"]:
        if not model.strip():
            raise InputError("empty model name", where="--model")
        for ref in refs if model != "offline" else ["offline_reply@v1"]:
            variant = Variant(ref, model)
            if variant not in out:
                out.append(variant)
    return out


# ------------------------------------------------------------------------------ running
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


def litellm_model(model: str) -> str:
    """The litellm model string for a variant model (``mock/x`` → an OpenAI-shaped name)."""
    from assistant.eval_mock import is_mock

    return "openai/mock-" + model.split("/", 1)[1] if is_mock(model) else model


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
    from assistant.eval_mock import ResponseCache

    deps = deps or eval_deps(settings)
    cache = ResponseCache(settings.data_dir / "eval-cache.sqlite")
    stats = Stats()
    rows: list[dict[str, Any]] = []
    for suite in suites:
        if progress:
            progress(f"{suite.name}: {len(suite.cases)} cases")
        if suite.target == "draft":
            rows += _run_drafts(suite, variants, deps, cache, stats, concurrency)
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
    from assistant.eval_results import summarise

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
    )


def _variant_deps(deps: Deps, variant: Variant) -> Deps:
    model = litellm_model(variant.model)
    return dataclasses.replace(deps, settings=deps.settings.model_copy(update={"model": model}))


def _rendered(deps: Deps, req: DraftRequest) -> list[dict[str, str]]:
    """The messages the pipeline will send for this request (first attempt)."""
    from assistant import pipeline, triage

    tri = triage.triage(req.message)
    ctx = pipeline.customer_context(deps, req)
    sources = pipeline.retrieve(deps, req, tri.language)
    return pipeline.prompt_messages(deps, req, tri, ctx, sources, [])[1]


def _run_drafts(
    suite: Suite,
    variants: list[Variant],
    deps: Deps,
    cache: ResponseCache,
    stats: Stats,
    concurrency: int,
) -> list[dict[str, Any]]:
    """Render every prompt, call the models for cache misses concurrently, then draft."""
    plan: list[tuple[Case, Variant, Deps, str | None]] = []
    misses: dict[str, tuple[str, list[dict[str, str]], Deps, str]] = {}
    for variant in variants:
        vdeps = _variant_deps(deps, variant)
        for case in suite.cases:
            key = None
            if variant.model != "offline":
                messages = _rendered(vdeps, _request(case, variant))
                key = cache.key(
                    variant.model, messages, {"temperature": vdeps.settings.temperature}
                )
                if cache.get(key) is None:
                    misses[key] = (variant.model, messages, vdeps, case.channel)
                else:
                    stats.cache_hits += 1
            plan.append((case, variant, vdeps, key))
    errors = asyncio.run(_call_models(misses, cache, stats, concurrency)) if misses else {}
    rows = []
    for case, variant, vdeps, key in plan:
        output = _draft(case, variant, vdeps, cache, key, errors)
        rows.append(_row(suite, case, variant.id, output, deps, cache, stats))
    return rows


async def _call_models(
    misses: dict[str, tuple[str, list[dict[str, str]], Deps, str]],
    cache: ResponseCache,
    stats: Stats,
    concurrency: int,
) -> dict[str, str]:
    """Ask each model once per distinct prompt; failures come back as ``{key: error}``."""
    from assistant import llm
    from assistant.eval_mock import is_mock, mock_reply

    gate = asyncio.Semaphore(max(1, concurrency))
    errors: dict[str, str] = {}

    async def one(
        key: str, model: str, messages: list[dict[str, str]], deps: Deps, ch: str
    ) -> None:
        extra = {"mock_response": mock_reply(messages, ch)} if is_mock(model) else {}
        async with gate:
            try:
                gen = await llm.acomplete(messages, deps.settings, **extra)
            except ModelError as exc:
                errors[key] = str(exc)
                return
        stats.model_calls += 1
        cache.put(key, model, gen.text, gen.model_dump(exclude={"text"}))

    await asyncio.gather(*(one(k, *v) for k, v in misses.items()))
    return errors


def _draft(
    case: Case,
    variant: Variant,
    deps: Deps,
    cache: ResponseCache,
    key: str | None,
    errors: dict[str, str],
) -> Output:
    from assistant.pipeline import draft_reply

    out = Output(channel=case.channel, model=variant.model, prompt=variant.prompt)
    cached = cache.get(key) if key else None
    if key and cached is None:
        out.error = errors.get(key, "no answer from the model")
        return out
    extra = {"mock_response": cached[0]} if cached else None
    try:
        draft = draft_reply(deps, _request(case, variant), llm_extra=extra)
    except (ModelError, InputError) as exc:
        out.error = str(exc)
        return out
    usage = cached[1] if cached else {"latency_ms": 0.0, "cost_usd": 0.0}
    out.text, out.language, out.situations = draft.draft, draft.language, draft.situations
    out.rules = [f.rule for f in draft.findings]
    out.retrieved = [s.doc_id for s in draft.sources]
    out.usage, out.cached, out.prompt = usage, bool(cached), draft.prompt_version
    return out


def _run_other(suite: Suite, case: Case, deps: Deps) -> Output:
    """A retrieve or check case (no model)."""
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
    from assistant.eval_judge import make_judge

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
    from assistant.eval_report import write_html
    from assistant.eval_results import compare, load_results, new_run_id, write_results

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
