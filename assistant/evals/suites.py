"""Eval suites and the values a run is made of: cases, variants, rows, stats.

A suite (``<name>.yaml`` in the team's suites folder or the shipped ones, or ``.jsonl`` with
an optional ``{"suite": {...}}`` header line) has a ``target``: ``draft``, ``retrieve``,
``check``, ``triage``, ``judge`` or ``translate`` (:mod:`assistant.evals.steps`); it may wrap a labelled
file (``source: ../retrieval.jsonl``) instead of listing ``cases``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import resources
from assistant.errors import InputError
from assistant.evals.assertions import Assertion

TARGETS = ("draft", "retrieve", "check", "triage", "judge", "translate")
OWN_MODEL_TARGETS = ("triage", "judge", "translate")
"""Targets whose cases name their own model (repeated with ``--repeat``)."""
SUITE_SUFFIXES = (".yaml", ".yml", ".jsonl")
SHARED = "all"
"""The variant name of retrieve, check, triage, judge and translate suites, whose results do not
depend on the prompt version or model of the run's variants (triage, judge and translate cases
name their own)."""


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
    tags: list[str] = field(default_factory=list)


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
    rows: Sequence[dict[str, Any]]
    """A list, or a :class:`~assistant.evals.results.RowFile` read from disk as iterated."""
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
    known = {"id", "message", "query", "channel", "lang", "style", "assert", "tags"}
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
        tags=[str(t) for t in _as_tags(merged.get("tags"))],
    )


def _as_tags(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _wrap_source(path: Path, header: dict[str, Any]) -> list[dict[str, Any]]:
    """Cases from a labelled file: ``retrieval`` (hit@k) or ``checker`` (expect/forbid rules)."""
    source = (path.parent / str(header["source"])).resolve()
    fmt = header.get("format", header.get("target"))
    if fmt == "retrieval":
        from assistant.evals.retrieval import load_cases as load_retrieval

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
    from assistant.evals.checker import load_cases as load_checker

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
