"""The model steps besides drafting (triage by a model, the playbook's LLM judge, the eval
rubric judge) call the model through ``assistant.llm`` with a structured answer: against a
local OpenAI-compatible server, a rate limit is retried, personal values are redacted, the
request asks for JSON, a malformed answer is a clear error, and the parsed answer is used."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant import llm
from assistant.config import Settings, load_settings
from assistant.errors import ModelError
from tests.fakellm import FakeLLM

EMAIL = "jane.doe@example.com"
CUSTOMER = f"My account is {EMAIL}. Thanks a lot for the wonderful app, I love it!"
DRAFT = f"Hi Jane, we guarantee it ships tomorrow. We will write to {EMAIL} once it has."
RUBRIC = "The reply promises nothing it cannot keep."


def _triage(settings: Settings, text: str) -> Any:
    from assistant.triage.model import triage_with_model

    return triage_with_model(text, settings)


def _triage_used(result: Any) -> None:
    # The rules read this message as praise (S8, low urgency); the model's answer wins.
    assert (result.situations, result.urgency, result.sentiment) == (["S3"], "high", -1.0)


def _playbook_judge(settings: Settings, text: str) -> Any:
    from assistant.playbook import judge

    return judge(DRAFT, model=settings.model, settings=settings, customer_message=text)


def _findings_used(found: Any) -> None:
    def span(quote: str) -> tuple[int, int]:
        return DRAFT.index(quote), DRAFT.index(quote) + len(quote)

    promise = "guarantee it ships tomorrow"
    assert [(f.rule, f.span, f.quote) for f in found] == [
        ("F2", span(promise), promise),
        ("F8", span(EMAIL), EMAIL),
    ]
    assert found[0].message == "a date nobody can promise"


def _rubric_judge(settings: Settings, text: str) -> Any:
    from assistant.evals import Stats
    from assistant.evals.assertions import Assertion
    from assistant.evals.judge import make_judge
    from assistant.llm.mock import ResponseCache

    cache = ResponseCache(settings.data_dir / "eval-cache.sqlite")
    judge = make_judge(settings, cache, Stats(), "en")
    score, reason = judge(
        text, RUBRIC, Assertion("llm_judge", RUBRIC, options={"model": "openai/fake"})
    )
    if reason.startswith("judge failed: "):
        raise ModelError(reason.removeprefix("judge failed: "))
    return score, reason


def _judgement_used(result: Any) -> None:
    assert result == (1.0, f"it mentions {EMAIL} but promises nothing")


@dataclass
class Step:
    name: str
    run: Callable[[Settings, str], Any]
    answer: str
    """A valid answer; ``[EMAIL_1]`` stands for the redacted address."""
    used: Callable[[Any], None]
    schema: str


STEPS = [
    Step(
        "triage",
        _triage,
        '{"language": "en", "situations": ["S3", "S9"], "sentiment": -2, "urgency": "high",'
        ' "spam": false}',
        _triage_used,
        "TriageAnswer",
    ),
    Step(
        "playbook_judge",
        _playbook_judge,
        json.dumps(
            {
                "findings": [
                    {
                        "rule": "F2",
                        "quote": "guarantee it ships tomorrow",
                        "message": "a date nobody can promise",
                        "fix": "give a window",
                    },
                    {"rule": "F8", "quote": "[EMAIL_1]", "message": None, "fix": None},
                    {"rule": "Z9", "quote": None, "message": "unknown rule", "fix": "x"},
                ]
            }
        ),  # fmt: skip
        _findings_used,
        "JudgeAnswer",
    ),
    Step(
        "rubric_judge",
        lambda settings, text: _rubric_judge(settings, text),
        '{"score": 1.4, "reason": "it mentions [EMAIL_1] but promises nothing"}',
        _judgement_used,
        "Judgement",
    ),
]


def _settings(fake: FakeLLM, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"model": "openai/fake", "api_base": fake.api_base, "max_retries": 2}
    return load_settings(**(values | overrides))


def _asked_for_json(request: dict[str, Any]) -> bool:
    # litellm knows no schema support for an unknown model name: JSON mode is asked for.
    return request.get("response_format") == {"type": "json_object"}


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_a_rate_limit_is_retried_and_the_answer_used(fake: FakeLLM, step: Step) -> None:
    fake.enqueue_fault(429, retry_after=0)
    fake.enqueue(step.answer.replace("[EMAIL_1]", EMAIL))
    result = step.run(_settings(fake), CUSTOMER)
    step.used(result)
    assert len(fake.requests) == 2
    assert all(_asked_for_json(r) for r in fake.requests)
    assert fake.requests[1]["temperature"] == 0.0


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_with_redaction_the_address_never_reaches_the_model(fake: FakeLLM, step: Step) -> None:
    fake.enqueue(step.answer)
    result = step.run(_settings(fake, redact_pii=True), CUSTOMER)
    sent = json.dumps(fake.requests, ensure_ascii=False)
    assert EMAIL not in sent and "[EMAIL_1]" in sent
    step.used(result)  # the placeholder in the answer is the real address again
    assert _asked_for_json(fake.requests[0])


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_a_malformed_answer_is_retried_once_then_a_clear_error(fake: FakeLLM, step: Step) -> None:
    fake.enqueue("Sure! Here is what I found: nothing.")
    fake.enqueue('{"unexpected": true}')
    fake.enqueue(step.answer)  # never asked for: one retry at most
    with pytest.raises(ModelError) as info:
        step.run(_settings(fake), CUSTOMER)
    message = str(info.value)
    assert "\n" not in message
    assert f"not valid {step.schema} JSON" in message
    assert "Field required" in message
    assert len(fake.requests) == 2


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_one_malformed_answer_then_a_good_one(fake: FakeLLM, step: Step) -> None:
    fake.enqueue("not json at all")
    fake.enqueue(f"```json\n{step.answer.replace('[EMAIL_1]', EMAIL)}\n```")
    step.used(step.run(_settings(fake, max_retries=0, fallback_models=["openai/backup"]), CUSTOMER))
    assert [r["model"] for r in fake.requests] == ["fake", "backup"]


def test_triage_falls_back_to_the_rules_and_says_why(
    fake: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    from assistant.triage import triage, triage_rules

    fake.enqueue('{"language": "fr"}')
    fake.enqueue('{"language": "fr"}')
    with caplog.at_level(logging.WARNING, logger="assistant.triage"):
        result = triage(CUSTOMER, model="openai/fake", settings=_settings(fake))
    assert result == triage_rules(CUSTOMER)
    assert "not valid TriageAnswer JSON (language: Input should be 'ko' or 'en')" in caplog.text
    assert EMAIL not in caplog.text


def test_triage_uses_the_model_through_the_client(fake: FakeLLM) -> None:
    from assistant.triage import triage

    fake.enqueue_fault(503)
    fake.enqueue(STEPS[0].answer)
    _triage_used(triage(CUSTOMER, model="openai/fake", settings=_settings(fake)))
    assert fake.requests[1]["messages"][1]["content"] == f"<message>\n{CUSTOMER}\n</message>"


def test_a_model_that_supports_schemas_gets_the_schema(fake: FakeLLM) -> None:
    from assistant.triage.model import TriageAnswer, triage_messages

    fake.enqueue(STEPS[0].answer)
    answer = llm.complete_json(
        triage_messages(CUSTOMER), _settings(fake, model="openai/gpt-4o-mini"), TriageAnswer
    )
    assert answer.situations == ["S3", "S9"]
    sent = fake.requests[0]["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["name"] == "TriageAnswer"
    assert set(sent["json_schema"]["schema"]["properties"]) == set(TriageAnswer.model_fields)


def test_async_structured_call_retries_a_malformed_answer() -> None:
    import asyncio

    from assistant.evals.judge import Judgement

    settings = load_settings(model="openai/gpt-4o-mini")
    messages = [{"role": "user", "content": "Grade this. Answer in JSON."}]
    answer = asyncio.run(
        llm.acomplete_json(messages, settings, Judgement, mock_response='{"score": 0.5}')
    )
    assert answer == Judgement(score=0.5, reason="")
    with pytest.raises(ModelError, match=r"2 attempt\(s\).*not valid Judgement JSON"):
        asyncio.run(llm.acomplete_json(messages, settings, Judgement, mock_response="[]"))


def test_check_judge_uses_the_settings_and_reports_a_malformed_answer(
    fake: FakeLLM,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.test_cli import run

    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_API_BASE", fake.api_base)
    monkeypatch.setenv("ASSISTANT_REDACT_PII", "true")
    fake.enqueue(STEPS[1].answer)
    code, out, _ = run(["check", str(draft), "--judge", "openai/fake", "--json"], capsys)
    assert code == 1
    judged = [f for f in json.loads(out)["findings"] if f["message"] == "a date nobody can promise"]
    assert [f["quote"] for f in judged] == ["guarantee it ships tomorrow"]
    assert EMAIL not in json.dumps(fake.requests)
    fake.enqueue("no JSON here")
    fake.enqueue("none here either")
    code, _, err = run(["check", str(draft), "--judge", "openai/fake"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "not valid JudgeAnswer JSON" in err
