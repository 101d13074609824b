"""Personal data and secrets: with ``redact_pii`` the model sees placeholders and the draft gets
the real values back; API keys come only from the environment and end up nowhere on disk or
in logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant import triage
from assistant.config import load_settings
from assistant.errors import ModelError
from assistant.llm import complete
from assistant.llm.redact import Redactor, redact_messages
from assistant.pipeline import Deps, DraftRequest, draft_reply, prompt_messages, retrieve
from tests.fakellm import FakeLLM

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
EMAIL, PHONE = "gildong.hong@mailbox.example", "010-3921-4410"
CARD, ACCOUNT = "4539 1488 0343 6467", "110-482-559013"
MESSAGE = (
    f"환불 받을 계좌는 신한 {ACCOUNT}입니다. 결제한 카드는 {CARD}이고, "
    f"연락은 {EMAIL} 또는 {PHONE}로 부탁드립니다. 중복 결제 환불해 주세요."
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("메일은 minji.kim@example.com 입니다", "EMAIL"),
        ("010-2841-7730으로 전화 주세요", "PHONE"),
        ("01028417730 입니다", "PHONE"),
        ("+82 10-2841-7730", "PHONE"),
        ("사무실 02-555-0142", "PHONE"),
        ("031 123 4567 로 연락", "PHONE"),
        ("call +44 20 7946 0321 please", "PHONE"),
        ("my cell is (415) 555-0132", "PHONE"),
        ("card 4539-1488-0343-6467", "CARD"),
        ("카드번호 4539148803436467", "CARD"),
        ("국민 123456-01-234567", "ACCOUNT"),
        ("계좌번호: 1002123456789", "ACCOUNT"),
        ("account number 12345678901", "ACCOUNT"),
    ],
)
def test_each_kind_is_replaced_and_restored(text: str, kind: str) -> None:
    red = Redactor()
    hidden = red.redact(text)
    assert f"[{kind}_1]" in hidden
    assert sum(ch.isdigit() for ch in hidden) <= 1 and "@" not in hidden
    assert red.restore(hidden) == text


def test_same_value_same_placeholder_and_plain_text_untouched() -> None:
    red = Redactor()
    hidden = red.redact(f"{EMAIL}, again {EMAIL}, and 2026년 11월 23일 4,900원 order of 3 notes")
    assert hidden == "[EMAIL_1], again [EMAIL_1], and 2026년 11월 23일 4,900원 order of 3 notes"


def test_streamed_tokens_are_restored_even_when_a_placeholder_is_split() -> None:
    red = Redactor()
    red.redact(f"{EMAIL} {PHONE}")
    shown: list[str] = []
    sink = red.streaming(shown.append)
    for token in ["메일 [EM", "AIL_1] 또는 [", "PHONE_1", "]로 연락", "드리겠습니다. [참고]"]:
        sink(token)
    sink.flush()
    assert "".join(shown) == f"메일 {EMAIL} 또는 {PHONE}로 연락드리겠습니다. [참고]"


@pytest.fixture
def deps(demo_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deps]:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    built = Deps.from_settings(load_settings(data_dir=demo_data))
    built.clock = lambda: NOW
    yield built
    built.store.dispose()


def _placeholders(deps: Deps, req: DraftRequest) -> dict[str, str]:
    """real value -> placeholder, as the pipeline's call will redact the same messages."""
    tri = triage.triage(req.message)
    sources = retrieve(deps, req, tri.language)
    _, messages = prompt_messages(deps, req, tri, None, sources, [])
    red = redact_messages(messages)[1]
    return {value: token for token, value in red.values.items()}


LOGGERS = ("", "assistant", "LiteLLM", "LiteLLM Router", "openai", "httpx", "httpcore")
"""Every logger that could see a request: ours, litellm's and its HTTP clients', at DEBUG."""


def test_the_model_sees_placeholders_and_the_draft_gets_real_values(
    deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    req = DraftRequest(message=MESSAGE, channel="email")
    with FakeLLM() as fake:
        deps.settings = load_settings(
            data_dir=deps.settings.data_dir,
            model="openai/fake",
            api_base=fake.api_base,
            redact_pii=True,
            max_retries=0,
        )
        ph = _placeholders(deps, req)
        fake.enqueue(
            f"안녕하세요, 하루노트 고객지원팀 서지우입니다. 중복 결제로 불편을 드려 죄송합니다. "
            f"환불 결과는 {ph[EMAIL]}로 안내드리고, 급한 경우 {ph[PHONE]}로 연락드리겠습니다. "
            f"계좌 {ph[ACCOUNT]} 확인했습니다."
        )
        draft = draft_reply(deps, req)
    sent = repr(fake.requests)
    for value in (EMAIL, PHONE, CARD, ACCOUNT):
        assert value not in sent
        assert ph[value] in sent
    assert EMAIL in draft.draft and PHONE in draft.draft and ACCOUNT in draft.draft
    assert "[EMAIL_" not in draft.draft
    record = deps.store.get_draft(draft.id or 0)
    assert record is not None and record["output"] == draft.draft
    stored = repr(record["rendered_messages"]) + repr(record["trace"]["messages"])
    logged = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert {r.name.split(".")[0] for r in caplog.records} & {"LiteLLM", "httpcore", "openai"}
    for value in (EMAIL, PHONE, CARD, ACCOUNT):
        assert value not in stored
        assert value not in logged
    assert record["trace"]["usage"]["redactions"] >= 4


def test_without_redaction_the_model_sees_the_text_as_written(deps: Deps) -> None:
    with FakeLLM() as fake:
        settings = load_settings(model="openai/fake", api_base=fake.api_base, max_retries=0)
        complete([{"role": "user", "content": MESSAGE}], settings)
    assert EMAIL in repr(fake.requests) and CARD in repr(fake.requests)


def test_the_api_key_comes_from_the_environment_and_is_written_nowhere(
    deps: Deps,
    demo_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = "sk-proj-FAKE0123456789abcdefSECRET"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    caplog.set_level(logging.DEBUG)
    with FakeLLM() as fake:
        deps.settings = load_settings(
            data_dir=demo_data, model="openai/fake", api_base=fake.api_base, max_retries=0
        )
        draft_reply(deps, DraftRequest(message="How do I export my notes to PDF?"))
        fake.enqueue_fault(
            401, body=f'{{"error": {{"message": "Incorrect API key provided: {key}"}}}}'
        )
        with pytest.raises(ModelError) as failed:
            draft_reply(deps, DraftRequest(message="Sync stopped working on my Mac."))
    assert fake.headers[0]["authorization"] == f"Bearer {key}"
    assert key not in str(failed.value)
    deps.store.dispose()
    leaks = [p for p in demo_data.rglob("*") if p.is_file() and key.encode() in p.read_bytes()]
    assert leaks == []
    out = capsys.readouterr()
    assert key not in caplog.text and key not in out.out and key not in out.err
    record = deps.store.get_draft(failed.value.draft_id or 0)
    assert record is not None and record["status"] == "failed" and "***" in record["error"]
