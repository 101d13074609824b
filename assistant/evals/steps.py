"""Eval cases for the model steps besides drafting: triage by a model (target ``triage``) and
the playbook's LLM judge (target ``judge``).

A case names its model (``model:``, usually in the suite's ``defaults``) and may name the
template version (``prompt: triage_message@v1``; default: the latest). ``mock/<name>``
answers deterministically from the rendered prompt (:mod:`assistant.llm.mock`); anything else
is a litellm model string, called through :mod:`assistant.llm` with the eval settings (these
answers are not cached). A failed call or a malformed answer is the row's error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError, ModelError
from assistant.evals.assertions import Output

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.evals.suites import Case


def _model(case: Case) -> str:
    model = str(case.data.get("model") or "")
    if not model:
        raise InputError("a triage or judge case needs 'model'", where=f"case {case.id}")
    return model


def _version(case: Case, template: str) -> str:
    from assistant import prompts

    name, version = prompts.parse_ref(str(case.data.get("prompt") or template))
    if name != template:
        raise InputError(f"this target uses {template} templates", where=f"case {case.id}")
    return version


def _call(
    settings: Settings,
    model: str,
    messages: list[dict[str, str]],
    mock: Callable[[list[dict[str, str]]], str],
) -> tuple[Settings, dict[str, Any]]:
    """Settings for ``model`` at temperature 0, and the mock answer when it is ``mock/*``."""
    from assistant import llm
    from assistant.llm.mock import is_mock, litellm_model

    extra = {"mock_response": mock(messages)} if is_mock(model) else {}
    return llm.with_model(settings, litellm_model(model), temperature=0.0), extra


def run_triage(case: Case, settings: Settings) -> Output:
    """Triage of the case's message by its model (no fallback to the rules)."""
    from assistant.llm.mock import mock_triage
    from assistant.triage.model import TEMPLATE, triage_messages, triage_with_model

    model, version = _model(case), _version(case, TEMPLATE)
    out = Output(channel=case.channel, model=model, prompt=f"{TEMPLATE}@{version}")
    own, extra = _call(settings, model, triage_messages(case.message, version), mock_triage)
    try:
        tri = triage_with_model(case.message, own, version=version, **extra)
    except ModelError as exc:
        out.error = str(exc)
        return out
    out.language, out.situations = tri.language, tri.situations
    return out


def run_judge(case: Case, settings: Settings) -> Output:
    """The playbook judge's findings on the case's ``text`` (``rules:`` to limit them)."""
    from assistant.llm.mock import mock_findings
    from assistant.playbook.judge import TEMPLATE, judge, judge_messages
    from assistant.playbook.rules import RULES

    model, version = _model(case), _version(case, TEMPLATE)
    text = str(case.data.get("text", ""))
    rules = [str(r) for r in case.data.get("rules") or RULES if r != "T1"]
    shown = {
        "channel": case.channel,
        "situations": case.data.get("situations"),
        "customer_message": case.message or None,
    }
    out = Output(text=text, channel=case.channel, model=model, prompt=f"{TEMPLATE}@{version}")
    messages = judge_messages(text, rules, version=version, **shown)
    own, extra = _call(settings, model, messages, mock_findings)
    kwargs = {**shown, **extra}
    try:
        found = judge(text, model=own.model, rules=rules, settings=own, version=version, **kwargs)
    except ModelError as exc:
        out.error = str(exc)
        return out
    out.rules = [f.rule for f in found]
    return out


def run_check(case: Case) -> Output:
    """The playbook checker on the case's ``text`` (target ``check``)."""
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


def run_translate(case: Case, settings: Settings) -> Output:
    """A translation by the case's model (target ``translate``): the agent's reply ``text``
    into ``lang`` and the channel's speech level (kind ``reply``, the default; its rules are
    the consistency check's T1 and the playbook's on the translation, the version the customer
    gets), or the customer's ``message`` into ``lang`` (kind ``message``). A ``mock/*`` model
    answers with the case's ``answer``: the scripted output of a fake model, so that the
    prompt, the client and the checks around it are what is measured."""
    from assistant import llm, playbook, translate
    from assistant.llm.mock import is_mock, litellm_model

    model, kind = _model(case), str(case.data.get("kind") or "reply")
    if kind not in ("reply", "message"):
        raise InputError("kind must be reply or message", where=f"case {case.id}")
    extra: dict[str, Any] = {}
    if is_mock(model):
        if not case.data.get("answer"):
            raise InputError(
                "a translate case with a mock model needs 'answer'", where=f"case {case.id}"
            )
        extra["mock_response"] = str(case.data["answer"])
    own = llm.with_model(settings, litellm_model(model), temperature=0.0)
    target = case.lang or "ko"
    out = Output(channel=case.channel, model=model, language=target)
    try:
        if kind == "message":
            out.text, out.prompt = translate.message_text(own, case.message, target, **extra)
            return out
        done = translate.translate_text(
            own, str(case.data.get("text", "")), target, channel=case.channel, **extra
        )
    except ModelError as exc:
        out.error = str(exc)
        return out
    out.text, out.prompt = done.text, done.prompt_version
    checked = playbook.check(done.text, channel=case.channel, lang=target, situations=[])
    out.rules = [f.rule for f in done.findings] + [f.rule for f in checked.findings]
    return out
