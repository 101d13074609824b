"""Model failures against a local OpenAI-compatible server: rate limits with Retry-After,
server errors, slow answers, broken streams, malformed JSON, fallbacks. Nothing is lost:
a draft whose every attempt failed is recorded ``failed`` with the error, and the CLI says
what happened in one line (exit 2)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import llm
from assistant.config import Settings, load_settings
from assistant.errors import ModelError
from assistant.llm import acomplete, complete
from tests.fakellm import FakeLLM

MESSAGES = [
    {"role": "system", "content": "You draft replies for Haru Notes support."},
    {"role": "user", "content": "동기화가 안 돼요"},
]
REPLY = "김민지 고객님, 안녕하세요. 동기화 문제로 불편을 드려 죄송합니다."


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.05)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    with FakeLLM() as server:
        yield server


def settings_for(fake: FakeLLM, **overrides: object) -> Settings:
    values: dict[str, object] = dict(model="openai/primary", api_base=fake.api_base, max_retries=2)
    values.update(overrides)
    return load_settings(**values)


def test_rate_limit_waits_for_retry_after_then_succeeds(fake: FakeLLM) -> None:
    fake.enqueue_fault(429, retry_after=1)
    fake.enqueue(REPLY)
    started = time.perf_counter()
    gen = complete(MESSAGES, settings_for(fake))
    assert time.perf_counter() - started >= 0.95
    assert gen.text == REPLY and len(fake.requests) == 2
    assert len(gen.errors) == 1 and "RateLimitError" in gen.errors[0]
    assert "retrying in 1.0 s" in gen.errors[0]


def test_server_errors_are_retried_with_backoff(fake: FakeLLM) -> None:
    fake.enqueue_fault(500)
    fake.enqueue_fault(503)
    fake.enqueue(REPLY)
    gen = complete(MESSAGES, settings_for(fake))
    assert gen.text == REPLY and len(fake.requests) == 3 and len(gen.errors) == 2


def test_slow_answer_times_out_and_the_retry_succeeds(fake: FakeLLM) -> None:
    fake.enqueue_slow("too late", 3)
    fake.enqueue(REPLY)
    started = time.perf_counter()
    gen = complete(MESSAGES, settings_for(fake, request_timeout=0.5))
    assert time.perf_counter() - started < 2.5
    assert gen.text == REPLY
    assert "Timeout" in gen.errors[0]


def test_malformed_json_is_retried(fake: FakeLLM) -> None:
    fake.enqueue_raw('{"id": "chatcmpl-1", "choices": [')
    fake.enqueue_raw('{"id": "chatcmpl-2", "object": "chat.completion", "choices": []}')
    fake.enqueue(REPLY)
    gen = complete(MESSAGES, settings_for(fake))
    assert gen.text == REPLY and len(gen.errors) == 2


@pytest.mark.parametrize("garbage", [False, True], ids=["cut", "garbage"])
def test_broken_stream_restarts_and_the_caller_sees_one_whole_reply(
    fake: FakeLLM, garbage: bool
) -> None:
    fake.enqueue_broken_stream(REPLY, after=2, garbage=garbage)
    fake.enqueue(REPLY)
    shown: list[str] = []
    gen = complete(MESSAGES, settings_for(fake), on_token=shown.append, on_restart=shown.clear)
    assert gen.text == REPLY
    assert "".join(shown) == REPLY
    assert len(fake.requests) == 2 and "stream" in gen.errors[0].lower()


def test_fallback_model_answers_when_the_primary_keeps_failing(fake: FakeLLM) -> None:
    for _ in range(3):
        fake.enqueue_fault(500)
    fake.enqueue(REPLY)
    gen = complete(MESSAGES, settings_for(fake, fallback_models=["openai/backup"]))
    assert [r["model"] for r in fake.requests] == ["primary"] * 3 + ["backup"]
    assert gen.text == REPLY and gen.model.endswith("backup")


def test_a_bad_key_is_not_retried_but_falls_back(fake: FakeLLM) -> None:
    fake.enqueue_fault(401)
    fake.enqueue(REPLY)
    gen = complete(MESSAGES, settings_for(fake, fallback_models=["openai/backup"]))
    assert [r["model"] for r in fake.requests] == ["primary", "backup"]
    assert "AuthenticationError" in gen.errors[0]


def test_a_retry_after_beyond_reason_goes_to_the_fallback_at_once(fake: FakeLLM) -> None:
    fake.enqueue_fault(429, retry_after=3600)
    fake.enqueue(REPLY)
    started = time.perf_counter()
    gen = complete(MESSAGES, settings_for(fake, fallback_models=["openai/backup"]))
    assert time.perf_counter() - started < 5
    assert [r["model"] for r in fake.requests] == ["primary", "backup"]
    assert gen.text == REPLY


def test_when_everything_fails_the_error_is_one_line(fake: FakeLLM) -> None:
    for _ in range(4):
        fake.enqueue_fault(500)
    with pytest.raises(ModelError) as info:
        complete(MESSAGES, settings_for(fake, max_retries=1, fallback_models=["openai/backup"]))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("4 attempt(s) on openai/primary, openai/backup failed")
    assert "InternalServerError" in message and len(fake.requests) == 4


def test_async_calls_retry_too(fake: FakeLLM) -> None:
    fake.enqueue_fault(429, retry_after=0.2)
    fake.enqueue_fault(502)
    fake.enqueue(REPLY)
    gen = asyncio.run(acomplete(MESSAGES, settings_for(fake)))
    assert gen.text == REPLY and len(gen.errors) == 2


def test_failed_draft_keeps_the_error_and_the_cli_says_so_in_one_line(
    fake: FakeLLM,
    demo_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from assistant.cli import main
    from assistant.store import Store

    for _ in range(3):
        fake.enqueue_fault(503)
    monkeypatch.setenv("ASSISTANT_MODEL", "openai/primary")
    monkeypatch.setenv("ASSISTANT_API_BASE", fake.api_base)
    monkeypatch.setenv("ASSISTANT_MAX_RETRIES", "2")
    with pytest.raises(SystemExit) as code:
        main(["draft", "동기화가 계속 안 돼요. 확인 부탁드립니다.", "--customer", "cus_ko_minji"])
    assert code.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("error: model call failed: 3 attempt(s) on openai/primary failed")
    assert "recorded as failed" in err
    draft_id = int(err.split("draft #")[1].split()[0])
    store = Store(f"sqlite:///{demo_data / 'assistant.db'}")
    record = store.get_draft(draft_id)
    store.dispose()
    assert record is not None and record["status"] == "failed"
    assert "ServiceUnavailableError" in record["error"]
    assert record["message"] == "동기화가 계속 안 돼요. 확인 부탁드립니다."
    assert record["customer_id"] == "cus_ko_minji"
