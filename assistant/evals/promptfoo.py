"""promptfoo configs (``promptfooconfig.yaml``) as eval suites: the common subset of the format.

Used: ``description``; ``prompts`` naming the assistant's prompt versions (``v2``,
``draft_reply@v2``, ``file://prompts/draft_reply/v2.md.j2``); ``providers`` as litellm model
strings (``openai/gpt-4o-mini``; promptfoo's ``openai:gpt-4o-mini`` and
``openai:chat:gpt-4o-mini`` read the same), or ``{id: ...}``; ``tests`` (a list, or
``file://tests.yaml``) with ``description``, ``vars`` and ``assert``; ``defaultTest`` (its
``vars`` and ``assert`` go to every test, ``options.provider`` grades ``llm-rubric``).

A test's ``vars`` give the case: ``message`` (or ``input``, ``query``, ``question``, or the
only var) is the customer's message; ``channel``, ``customer``, ``lang`` and ``style`` are the
case's own fields. Assertion types: ``contains``, ``icontains``, ``regex``, ``equals``,
``is-json``, each also as ``not-…``; ``llm-rubric`` (the assistant's judge); ``cost`` and
``latency`` (``threshold`` is the maximum); and every assertion kind of
:mod:`assistant.evals.assertions` (``rule_absent``, ``links_in_kb``, ``max_length`` …) as it is
in our suites. ``{{ var }}`` in a value is the test's var. ``weight`` and ``threshold`` work
as in promptfoo.

Everything else is not used, and said so: one line per field in ``ignored`` (the CLI prints
them on stderr and in ``--json``). Raw prompt text is one of them: these cases are drafted by
the assistant's pipeline with its own templates, so a prompt must name a version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.evals.assertions import KINDS, Assertion
from assistant.evals.suites import Case, Suite

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
MESSAGE_VARS = ("message", "input", "query", "question")
CASE_VARS = ("channel", "customer", "lang", "style")
USED_TOP = {"description", "prompts", "providers", "tests", "defaultTest"}
PROMPTFOO_TYPES = ("contains", "icontains", "regex", "equals", "is-json", "llm-rubric", "cost",
                   "latency")  # fmt: skip
_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w]*)\s*\}\}")


@dataclass
class Imported:
    """A promptfoo config as one draft suite, its prompt versions and models, and notes."""

    suite: Suite
    prompts: list[str]
    models: list[str]
    ignored: list[str] = field(default_factory=list)


def is_config(name: str) -> bool:
    """Whether ``name`` is a promptfoo config file (not one of our suites)."""
    path = Path(name)
    if path.suffix not in CONFIG_SUFFIXES or not path.is_file():
        return False
    if path.name.startswith("promptfooconfig"):
        return True
    data = _read(path)
    return isinstance(data, dict) and "tests" in data and "cases" not in data


def _read(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(f"not valid YAML ({getattr(exc, 'problem', exc)})", where=where) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", where=str(path)) from None


def load(path: Path) -> Imported:
    """Read a promptfoo config; a shape we cannot use is an InputError naming the field."""
    data = _read(path)
    if not isinstance(data, dict):
        raise InputError("a promptfoo config is a mapping", where=str(path))
    notes = [f"{k}: not used" for k in data if k not in USED_TOP]
    prompts = _prompts(data.get("prompts") or [], path, notes)
    models = _providers(data.get("providers") or [], path, notes)
    default = data.get("defaultTest") or {}
    if not isinstance(default, dict):
        raise InputError("defaultTest must be a mapping", where=f"{path} defaultTest")
    tests = _tests(data.get("tests") or [], path)
    cases = [_case(t, default, i, path, notes) for i, t in enumerate(tests, 1)]
    if not cases:
        raise InputError("the config has no tests", where=f"{path} tests")
    ids = [c.id for c in cases]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise InputError(f"two tests have the description {duplicate!r}", where=f"{path} tests")
    suite = Suite(path.stem, "draft", cases, str(data.get("description") or ""), path)
    return Imported(suite, prompts, models, list(dict.fromkeys(notes)))


def _prompts(raw: Any, path: Path, notes: list[str]) -> list[str]:
    from assistant.evals.suites import normalise_prompt

    out = []
    for i, item in enumerate(raw if isinstance(raw, list) else [raw], 1):
        text = item.get("raw") or item.get("id") if isinstance(item, dict) else item
        ref = _prompt_ref(str(text or ""))
        if ref is None:
            notes.append(
                f"prompts[{i}]: raw prompt text not used (cases are drafted with the "
                "assistant's templates; name a version: v1, draft_reply@v2)"
            )
            continue
        try:
            out.append(normalise_prompt(ref))
        except InputError as exc:
            raise InputError(str(exc), where=f"{path} prompts[{i}]") from None
    return out


def _prompt_ref(text: str) -> str | None:
    """``v2``, ``draft_reply@v2`` or a template file path → a prompt reference."""
    text = text.strip().removeprefix("file://")
    match = re.fullmatch(r"(?:.*/)?([a-z_]+)/(v\d+)\.md\.j2", text)
    if match:
        return f"{match.group(1)}@{match.group(2)}"
    if re.fullmatch(r"(?:[a-z_]+@)?v\d+", text):
        return text
    return None


def litellm_model(provider: str) -> str:
    """promptfoo's ``openai:chat:gpt-4o`` or ``openai:gpt-4o`` → ``openai/gpt-4o``; a litellm
    string (``openai/gpt-4o``, ``mock/a``, ``offline``) stays as it is."""
    if "/" in provider or ":" not in provider:
        return provider
    head, _, rest = provider.partition(":")
    rest = rest.removeprefix("chat:")
    return f"{head}/{rest}"


def _providers(raw: Any, path: Path, notes: list[str]) -> list[str]:
    out = []
    for i, item in enumerate(raw if isinstance(raw, list) else [raw], 1):
        if isinstance(item, dict):
            name = item.get("id")
            notes += [f"providers[{i}].{k}: not used" for k in item if k != "id"]
        else:
            name = item
        if not isinstance(name, str) or not name.strip():
            raise InputError(
                "a provider needs an id (a model string)", where=f"{path} providers[{i}]"
            )
        out.append(litellm_model(name.strip()))
    return out


def _tests(raw: Any, path: Path) -> list[Any]:
    out: list[Any] = []
    for item in raw if isinstance(raw, list) else [raw]:
        if isinstance(item, str) and item.startswith("file://"):
            loaded = _read(path.parent / item.removeprefix("file://"))
            out += loaded if isinstance(loaded, list) else [loaded]
        else:
            out.append(item)
    return out


def _case(test: Any, default: dict[str, Any], i: int, path: Path, notes: list[str]) -> Case:
    where = f"{path} tests[{i}]"
    if not isinstance(test, dict):
        raise InputError("a test is a mapping with vars and assert", where=where)
    notes += [
        f"tests[].{k}: not used"
        for k in test
        if k not in ("description", "vars", "assert", "threshold")
    ]
    notes += [
        f"defaultTest.{k}: not used" for k in default if k not in ("vars", "assert", "options")
    ]
    variables = {**(default.get("vars") or {}), **(test.get("vars") or {})}
    message = _message(variables, where)
    for name in variables:
        if name not in (*MESSAGE_VARS, *CASE_VARS):
            notes.append(f"vars.{name}: not used (only the message and {', '.join(CASE_VARS)})")
    grader = ((default.get("options") or {}).get("provider")) or None
    raw_asserts = list(test.get("assert") or []) + list(default.get("assert") or [])
    asserts = [
        a for a in (_assertion(r, variables, grader, where, notes) for r in raw_asserts) if a
    ]
    description = str(test.get("description") or f"test-{i}")
    customer = variables.get("customer")
    return Case(
        id=description,
        message=message,
        channel=str(variables.get("channel") or "email"),
        customer_id=str(customer) if customer else None,
        lang=variables.get("lang"),
        style=variables.get("style"),
        asserts=asserts,
        threshold=test.get("threshold"),
    )


def _message(variables: dict[str, Any], where: str) -> str:
    for name in MESSAGE_VARS:
        if variables.get(name):
            return str(variables[name])
    others = [k for k in variables if k not in CASE_VARS]
    if len(others) == 1:
        return str(variables[others[0]])
    raise InputError(f"vars need a message ({', '.join(MESSAGE_VARS)})", where=where)


def _render(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: str(variables.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [_render(v, variables) for v in value]
    return value


def _assertion(
    raw: Any, variables: dict[str, Any], grader: Any, where: str, notes: list[str]
) -> Assertion | None:
    """One promptfoo assertion as ours (None, with a note, when we cannot run it)."""
    if not isinstance(raw, dict) or "type" not in raw:
        raise InputError("an assertion needs a 'type'", where=where)
    kind = str(raw["type"])
    negate = kind.startswith("not-")
    base = kind.removeprefix("not-")
    if base not in PROMPTFOO_TYPES and kind in KINDS:  # one of our own, as in our suites
        return Assertion.parse({**raw, "value": _render(raw.get("value"), variables)}, where)
    value = _render(raw.get("value"), variables)
    extra = {k: raw[k] for k in ("weight",) if k in raw}
    for k in raw:
        if k not in ("type", "value", "weight", "threshold", "provider"):
            notes.append(f"assert.{k}: not used")
    mapped = _mapped(base, negate, value, raw, grader)
    if mapped is None and base == "llm-rubric" and not negate:
        notes.append("llm-rubric without a grading provider (set provider, or "
                     "defaultTest.options.provider): skipped")  # fmt: skip
        return None
    if mapped is None:
        notes.append(f"assert type {kind}: not supported, skipped")
        return None
    return Assertion.parse({**mapped, **extra}, where)


def _mapped(base: str, negate: bool, value: Any, raw: dict[str, Any], grader: Any) -> Any:
    if base in ("contains", "icontains"):
        kind = "not_contains" if negate else "contains"
        return {"type": kind, "value": value, "ignore_case": base == "icontains"}
    if base == "regex":
        return {"type": "regex", "value": value, "negate": negate}
    if base == "equals":
        return {"type": "equals", "value": value, "negate": negate}
    if base == "is-json":
        return {"type": "is_json", "negate": negate}
    if base in ("cost", "latency") and not negate and raw.get("threshold") is not None:
        return {"type": f"{base}_max", "value": raw["threshold"]}
    if base == "llm-rubric" and not negate:
        model = raw.get("provider") or grader
        model = model.get("id") if isinstance(model, dict) else model
        if not model:
            return None
        judged = {"type": "llm_judge", "value": value, "model": litellm_model(str(model))}
        if raw.get("threshold") is not None:
            judged["threshold"] = raw["threshold"]
        return judged
    return None
