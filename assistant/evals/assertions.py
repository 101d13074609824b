"""Eval assertions: each one scores an :class:`Output` in [0, 1] and passes at its threshold.

Kinds (``type`` in a suite file), with what ``value`` means:

- ``rule_present``: rule ids the playbook checker must report (e.g. ``[F4]``);
  ``rule_absent``: rule ids it must not report. ``"F*"`` / ``"R*"`` match every F or R rule,
  so ``rule_absent: [R*]`` means "every required move is made".
- ``contains`` / ``not_contains``: a string or a list of strings (all must / none may appear;
  ``ignore_case: true`` to ignore case).
- ``regex``: a pattern that must match (``negate: true``: must not match).
- ``equals``: the reply is exactly ``value`` (a mapping or list: the reply is JSON equal to
  it); ``is_json``: the reply parses as JSON. Both take ``negate: true``.
- ``language``: ``ko`` or ``en``; the reply's detected language.
- ``max_length``: characters as the channel's platform counts them (``playbook.count_chars``);
  ``null`` means the channel's own limit (none for email).
- ``links_in_kb``: every URL in the reply is a knowledge-base URL.
- ``link_language``: ``ko`` or ``en`` (default: the case's language); every help-center
  article the reply links is in that language (score: the share that is).
- ``register``: ``haeyo`` or ``hapsyo`` (default: the channel's speech level, setting
  ``ko_register``); every Korean sentence that has a level is in that one (score: the share).
- ``retrieved``: expected doc ids in the top ``k`` (default 3) results (hit@k); score =
  1/rank, so ``threshold: 1`` asks for rank 1.
- ``situations``: expected triage situations (``mode: exact`` (default) or ``includes``).
- ``llm_judge``: a rubric (write it in the case's language); ``model`` is any litellm
  model string or ``mock/<name>``; the judge answers ``{"score": 0..1, "reason": ...}``
  (``assistant.evals.judge``). ``threshold`` 0.7.
- ``cost_max`` (USD) / ``latency_max`` (ms): from the usage recorded on the draft.

Every assertion takes ``weight`` (default 1) and ``threshold`` (default 1, or 0.7 for the
judge): it passes when its score reaches the threshold.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import InputError

KINDS = (
    "rule_present",
    "rule_absent",
    "contains",
    "not_contains",
    "regex",
    "equals",
    "is_json",
    "language",
    "max_length",
    "links_in_kb",
    "link_language",
    "register",
    "retrieved",
    "situations",
    "llm_judge",
    "cost_max",
    "latency_max",
)


@dataclass
class Assertion:
    """One check on an output, from a suite file."""

    type: str
    value: Any = None
    weight: float = 1.0
    threshold: float | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Any, where: str) -> Assertion:
        """From a suite mapping; an unknown kind or a bad shape is an InputError at ``where``."""
        if not isinstance(raw, dict) or "type" not in raw:
            raise InputError("an assertion needs a 'type'", where=where)
        kind = raw["type"]
        if kind not in KINDS:
            raise InputError(
                f"unknown assertion type {kind!r} (use {', '.join(KINDS)})", where=where
            )
        rest = {k: v for k, v in raw.items() if k not in ("type", "value", "weight", "threshold")}
        try:
            weight = float(raw.get("weight", 1.0))
            threshold = None if raw.get("threshold") is None else float(raw["threshold"])
        except (TypeError, ValueError):
            raise InputError("weight and threshold must be numbers", where=where) from None
        return cls(kind, raw.get("value"), weight, threshold, rest)

    @property
    def label(self) -> str:
        """Short text for reports: ``rule_absent F*,R*``."""
        value = self.value
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        text = "" if value is None else str(value)
        return f"{self.type} {text[:40]}".strip()

    def to_dict(self) -> dict[str, Any]:
        """Back to the suite shape."""
        out: dict[str, Any] = {"type": self.type, "value": self.value, "weight": self.weight}
        if self.threshold is not None:
            out["threshold"] = self.threshold
        return out | self.options


@dataclass
class Output:
    """What a variant produced for a case: the reply and everything the assertions look at."""

    text: str = ""
    channel: str = "email"
    language: str = ""
    situations: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    model: str = ""
    prompt: str = ""
    cached: bool = False
    error: str | None = None


@dataclass
class Context:
    """What assertions may need besides the output."""

    known_urls: set[str] | None = None
    url_langs: dict[str, str] | None = None
    """The language of each help-center article, by its URL (``link_language``)."""
    case_language: str | None = None
    judge: Callable[[str, str, Assertion], tuple[float, str]] | None = None


@dataclass
class Result:
    """One assertion's outcome."""

    label: str
    type: str
    passed: bool
    score: float
    weight: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "label": self.label,
            "type": self.type,
            "pass": self.passed,
            "score": round(self.score, 4),
            "weight": self.weight,
            "reason": self.reason,
        }


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _matches(pattern: str, rule: str) -> bool:
    return rule.startswith(pattern[:-1]) if pattern.endswith("*") else rule == pattern


def _rules(a: Assertion, out: Output, present: bool) -> tuple[float, str]:
    wanted = _as_list(a.value)
    found = [p for p in wanted if any(_matches(p, r) for r in out.rules)]
    if present:
        missing = [p for p in wanted if p not in found]
        score = len(found) / len(wanted) if wanted else 1.0
        return score, f"missing {', '.join(missing)}" if missing else "all reported"
    hits = sorted({r for r in out.rules if any(_matches(p, r) for p in wanted)})
    score = 1.0 - len(found) / len(wanted) if wanted else 1.0
    return score, f"reported {', '.join(hits)}" if hits else "none reported"


def _contains(a: Assertion, out: Output, negate: bool) -> tuple[float, str]:
    fold = bool(a.options.get("ignore_case"))
    text = out.text.lower() if fold else out.text
    needles = _as_list(a.value)
    present = [n for n in needles if (n.lower() if fold else n) in text]
    if negate:
        score = 1.0 - len(present) / len(needles) if needles else 1.0
        return score, f"found {present[0]!r}" if present else "absent"
    missing = [n for n in needles if n not in present]
    score = len(present) / len(needles) if needles else 1.0
    return score, f"missing {missing[0]!r}" if missing else "present"


def _regex(a: Assertion, out: Output) -> tuple[float, str]:
    try:
        found = re.search(str(a.value), out.text, re.M)
    except re.error as exc:
        raise InputError(f"bad regex {a.value!r} ({exc})", where="regex") from None
    negate = bool(a.options.get("negate"))
    ok = (found is None) if negate else (found is not None)
    reason = f"matched {found.group(0)[:40]!r}" if found else "no match"
    return float(ok), reason


def _equals(a: Assertion, out: Output) -> tuple[float, str]:
    import json

    if isinstance(a.value, dict | list):
        try:
            same = json.loads(out.text) == a.value
        except ValueError:
            same = False
    else:
        same = out.text.strip() == str(a.value).strip()
    ok = same != bool(a.options.get("negate"))
    return float(ok), "equal" if same else f"differs: {out.text[:40]!r}"


def _is_json(a: Assertion, out: Output) -> tuple[float, str]:
    import json

    try:
        json.loads(out.text)
        parsed, reason = True, "valid JSON"
    except ValueError as exc:
        parsed, reason = False, f"not JSON ({exc})"
    return float(parsed != bool(a.options.get("negate"))), reason


def _language(a: Assertion, out: Output, ctx: Context) -> tuple[float, str]:
    from assistant.text import detect_language

    expected = str(a.value or ctx.case_language or out.language)
    got = detect_language(out.text) if out.text.strip() else "-"
    return float(got == expected), f"reply is {got}, expected {expected}"


def _max_length(a: Assertion, out: Output) -> tuple[float, str]:
    from assistant.playbook import channel_limit, count_chars

    limit = int(a.value) if a.value is not None else channel_limit(out.channel)
    used = count_chars(out.text, out.channel)
    if limit is None:
        return 1.0, f"{used} characters, no limit on {out.channel}"
    return float(used <= limit), f"{used}/{limit} characters as {out.channel} counts"


def _links(out: Output, ctx: Context) -> tuple[float, str]:
    from assistant.playbook.privacy import normalise_url, url_spans

    urls = [out.text[s:e] for s, e in url_spans(out.text)]
    if ctx.known_urls is None:
        return 1.0, "no knowledge base to compare with"
    known = {normalise_url(u) for u in ctx.known_urls}
    unknown = [u for u in urls if normalise_url(u) not in known]
    if unknown:
        return 0.0, f"not in the knowledge base: {unknown[0]}"
    return 1.0, f"{len(urls)} link(s), all in the knowledge base"


def _link_language(a: Assertion, out: Output, ctx: Context) -> tuple[float, str]:
    from assistant.playbook.privacy import normalise_url, url_spans

    expected = str(a.value or ctx.case_language or out.language)
    langs = {normalise_url(u): lang for u, lang in (ctx.url_langs or {}).items()}
    linked = [out.text[s:e] for s, e in url_spans(out.text)]
    found = [(u, langs[normalise_url(u)]) for u in linked if normalise_url(u) in langs]
    if not found:
        return 1.0, "no help-center link"
    other = [u for u, lang in found if lang != expected]
    score = 1.0 - len(other) / len(found)
    return (
        score,
        f"not in {expected}: {other[0]}" if other else f"{len(found)} link(s) in {expected}",
    )


def _register(a: Assertion, out: Output) -> tuple[float, str]:
    from assistant import speech
    from assistant.config import ko_register

    expected = str(a.value or ko_register(out.channel))
    levelled = [s for s in speech.levels(out.text) if s.level]
    if not levelled:
        return 1.0, "no Korean sentence with a speech level"
    off = [s.text for s in levelled if s.level != expected]
    score = 1.0 - len(off) / len(levelled)
    return score, f"not in {expected}: {off[0][:40]!r}" if off else f"all in {expected}"


def _retrieved(a: Assertion, out: Output) -> tuple[float, str]:
    k = int(a.options.get("k", 3))
    expected = _as_list(a.value)
    top = out.retrieved[:k]
    rank = next((i for i, d in enumerate(top, 1) if d in expected), None)
    if rank is None:
        return 0.0, f"not in top {k}: {', '.join(top) or 'nothing retrieved'}"
    return 1.0 / rank, f"rank {rank}"


def _situations(a: Assertion, out: Output) -> tuple[float, str]:
    expected, got = set(_as_list(a.value)), set(out.situations)
    shown = f"got {','.join(sorted(got)) or '-'}, expected {','.join(sorted(expected)) or '-'}"
    if a.options.get("mode", "exact") == "includes":
        return float(expected <= got), shown
    union = expected | got
    return (len(expected & got) / len(union) if union else 1.0), shown


def _usage_max(a: Assertion, out: Output, key: str, unit: str) -> tuple[float, str]:
    got = out.usage.get(key)
    if got is None:
        return 1.0, f"no {key} reported"
    return float(float(got) <= float(a.value)), f"{got} {unit} (max {a.value})"


def evaluate(a: Assertion, out: Output, ctx: Context) -> Result:
    """Score one assertion on one output."""
    if out.error and a.type not in ("situations", "retrieved"):
        return Result(a.label, a.type, False, 0.0, a.weight, f"no output: {out.error}")
    if a.type == "llm_judge":
        if ctx.judge is None:
            raise InputError("llm_judge needs a model", where="llm_judge")
        score, reason = ctx.judge(out.text, str(a.value), a)
        threshold = 0.7 if a.threshold is None else a.threshold
        return Result(a.label, a.type, score >= threshold, score, a.weight, reason)
    score, reason = _score(a, out, ctx)
    threshold = 1.0 if a.threshold is None else a.threshold
    if a.type == "retrieved" and a.threshold is None:
        threshold = 1.0 / int(a.options.get("k", 3))  # hit@k: any rank within k passes
    return Result(a.label, a.type, score >= threshold - 1e-9, score, a.weight, reason)


def _score(a: Assertion, out: Output, ctx: Context) -> tuple[float, str]:
    kind = a.type
    if kind in ("rule_present", "rule_absent"):
        return _rules(a, out, present=kind == "rule_present")
    if kind in ("contains", "not_contains"):
        return _contains(a, out, negate=kind == "not_contains")
    simple: dict[str, Callable[[], tuple[float, str]]] = {
        "regex": lambda: _regex(a, out),
        "equals": lambda: _equals(a, out),
        "is_json": lambda: _is_json(a, out),
        "language": lambda: _language(a, out, ctx),
        "max_length": lambda: _max_length(a, out),
        "links_in_kb": lambda: _links(out, ctx),
        "link_language": lambda: _link_language(a, out, ctx),
        "register": lambda: _register(a, out),
        "retrieved": lambda: _retrieved(a, out),
        "situations": lambda: _situations(a, out),
        "cost_max": lambda: _usage_max(a, out, "cost_usd", "USD"),
        "latency_max": lambda: _usage_max(a, out, "latency_ms", "ms"),
    }
    return simple[kind]()
