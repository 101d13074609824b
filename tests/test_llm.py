"""The model call through litellm: mock_response and a real HTTP round trip to a local fake server."""

from __future__ import annotations

import pytest

from assistant.config import load_settings
from assistant.errors import ModelError
from assistant.llm import complete
from tests.fakellm import FakeLLM

MESSAGES = [
    {"role": "system", "content": "You draft replies."},
    {"role": "user", "content": "환불해 주세요"},
]


def test_mock_response_gives_text_and_usage() -> None:
    settings = load_settings(model="openai/gpt-4o-mini")
    gen = complete(MESSAGES, settings, mock_response="고객님, 안녕하세요.")
    assert gen.text == "고객님, 안녕하세요."
    assert gen.prompt_tokens and gen.completion_tokens


def test_mock_streaming_calls_back_every_piece() -> None:
    settings = load_settings(model="openai/gpt-4o-mini")
    pieces: list[str] = []
    gen = complete(
        MESSAGES, settings, on_token=pieces.append, mock_response="Thanks for waiting, Oliver."
    )
    assert len(pieces) > 1
    assert "".join(pieces) == gen.text == "Thanks for waiting, Oliver."


def test_unknown_model_string_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="unknown model 'nonsense-model-xyz'"):
        complete(MESSAGES, load_settings(model="nonsense-model-xyz"))


def test_rate_limit_error_is_one_line() -> None:
    settings = load_settings(model="openai/gpt-4o-mini", max_retries=0)
    with pytest.raises(ModelError) as info:
        complete(MESSAGES, settings, mock_response="litellm.RateLimitError")
    assert "\n" not in str(info.value)
    assert "RateLimit" in str(info.value)


def test_real_http_round_trip_to_local_server() -> None:
    with FakeLLM() as fake:
        fake.enqueue("Hi Oliver, thank you for your patience.")
        settings = load_settings(model="openai/fake", api_base=fake.api_base, max_retries=0)
        gen = complete(MESSAGES, settings, api_key="test-key")
    assert gen.text == "Hi Oliver, thank you for your patience."
    assert gen.prompt_tokens == 120 and gen.completion_tokens == 40
    assert fake.requests[0]["messages"][1]["content"] == "환불해 주세요"


def test_real_http_streaming_from_local_server() -> None:
    with FakeLLM() as fake:
        fake.enqueue("김민지 고객님, 기다려 주셔서 감사합니다.")
        settings = load_settings(model="openai/fake", api_base=fake.api_base, max_retries=0)
        pieces: list[str] = []
        gen = complete(MESSAGES, settings, on_token=pieces.append, api_key="test-key")
    assert len(pieces) >= 2
    assert gen.text == "김민지 고객님, 기다려 주셔서 감사합니다."
    assert fake.requests[0]["stream"] is True


def test_server_error_becomes_model_error() -> None:
    with FakeLLM() as fake:
        fake.enqueue_fault(500)
        settings = load_settings(model="openai/fake", api_base=fake.api_base, max_retries=0)
        with pytest.raises(ModelError):
            complete(MESSAGES, settings, api_key="test-key")


def test_api_key_never_appears_in_error() -> None:
    secret = "sk-test-very-secret-123456"
    with FakeLLM() as fake:
        fake.enqueue_fault(401, body='{"error": {"message": "bad key sk-test-very-secret-123456"}}')
        settings = load_settings(model="openai/fake", api_base=fake.api_base, max_retries=0)
        with pytest.raises(ModelError) as info:
            complete(MESSAGES, settings, api_key=secret)
    assert secret not in str(info.value)
