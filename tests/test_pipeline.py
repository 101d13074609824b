"""The drafting pipeline end to end: triage, history, retrieval, generation, checks and the record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant import prompts
from assistant.config import load_settings
from assistant.errors import InputError, ModelError
from assistant.pipeline import Deps, DraftRequest, draft_reply
from tests.fakellm import FakeLLM

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

MESSAGES = {
    "ko": [
        ("cus_ko_minji", "앱에서 결제하면 화면이 멈춰요"),
        (None, "지난달 결제 금액이 두 번 청구됐어요. 환불해 주세요."),
        (None, "구독 해지하고 싶습니다. 어떻게 하나요?"),
        (None, "팀 요금제 30% 할인해 주실 수 있나요? 다음 주까지 답 주세요"),
        (None, "하루노트 정말 잘 쓰고 있어요. 감사합니다!"),
        (None, "동기화가 또 안 돼요 ㅡㅡ 벌써 세 번째예요. 진짜 짜증나네요"),
        (None, "비밀번호를 잊어버렸어요. 어떻게 재설정하나요?"),
    ],
    "en": [
        ("cus_en_oliver", "My notes stopped syncing between my phone and laptop since the update."),
        (None, "I was charged twice this month. I want a refund for the duplicate charge."),
        (None, "Please cancel my subscription."),
        (None, "When will you release the Linux app? I need a date."),
        (None, "Just wanted to say the new editor is fantastic, thank you!"),
        (None, "This is ridiculous, the app crashed AGAIN and I lost my notes. Fix it now!"),
        (None, "How do I export my notes to PDF?"),
    ],
}


@pytest.fixture
def deps(demo_data: Path) -> Iterator[Deps]:
    built = Deps.from_settings(load_settings(data_dir=demo_data))
    built.clock = lambda: NOW
    yield built
    built.store.dispose()


def _cases() -> list[tuple[str, str | None, str, str]]:
    return [
        (lang, cid, text, channel)
        for lang, items in MESSAGES.items()
        for cid, text in items
        for channel in ("email", "chat", "x")
    ]


@pytest.mark.parametrize(("lang", "customer", "text", "channel"), _cases())
def test_offline_drafter_passes_its_own_checks(
    deps: Deps, lang: str, customer: str | None, text: str, channel: str
) -> None:
    draft = draft_reply(deps, DraftRequest(message=text, channel=channel, customer_id=customer))
    errors = [f for f in draft.findings if f.severity == "error"]
    assert errors == [], f"{lang}/{channel}: {draft.draft}\n{errors}"
    assert draft.language == lang
    assert draft.model == "offline"
    assert draft.sources and draft.sources[0].url.startswith("https://help.harunotes.example/")


def test_draft_is_grounded_in_history_and_recorded(deps: Deps) -> None:
    draft = draft_reply(
        deps, DraftRequest(message="앱에서 결제하면 화면이 멈춰요", customer_id="cus_ko_minji")
    )
    assert draft.draft.startswith("김민지 고객님")
    assert "결제" in draft.draft and "https://help.harunotes.example/ko/" in draft.draft
    record = deps.store.get_draft(draft.id or 0)
    assert record is not None
    assert record["status"] == "ready"
    assert record["output"] == draft.draft
    assert record["customer_id"] == "cus_ko_minji"
    assert record["trace"]["retrieved"][0]["doc_id"] == draft.sources[0].doc_id


def test_unknown_customer_and_empty_message_are_input_errors(deps: Deps) -> None:
    with pytest.raises(InputError, match="customer"):
        draft_reply(deps, DraftRequest(message="hello", customer_id="cus_nobody"))
    with pytest.raises(InputError, match="message"):
        draft_reply(deps, DraftRequest(message="   "))
    with pytest.raises(InputError, match="channel"):
        draft_reply(deps, DraftRequest(message="hello", channel="fax"))


def test_mocked_model_draft_records_prompt_and_usage(deps: Deps) -> None:
    deps.settings = load_settings(data_dir=deps.settings.data_dir, model="openai/gpt-4o-mini")
    reply = (
        "Hi Oliver, I'm Jiwoo from Haru Notes support. Thank you for telling us your notes stopped syncing "
        "after the update, and I'm sorry for the trouble. Please see "
        "https://help.harunotes.example/en/articles/sync-troubleshooting — I will check with our developers "
        "and update you within one business day."
    )
    draft = draft_reply(
        deps,
        DraftRequest(
            message="My notes stopped syncing since the update", customer_id="cus_en_oliver"
        ),
        llm_extra={"mock_response": reply},
    )
    assert draft.draft == reply
    assert draft.prompt_version == f"draft_reply@{prompts.latest('draft_reply')}"
    record = deps.store.get_draft(draft.id or 0)
    assert record is not None
    assert record["rendered_messages"][0]["role"] == "system"
    assert "<customer_message>" in record["rendered_messages"][1]["content"]
    assert record["prompt_tokens"] and record["completion_tokens"]


def test_error_findings_are_fed_back_once(deps: Deps) -> None:
    bad = "고객님, 환불은 불가합니다. 반드시 내일까지 100% 해결됩니다."
    good = (
        "김민지 고객님, 안녕하세요. 하루노트 고객지원팀 서지우입니다. 결제 화면이 멈춘다고 알려주셔서 감사합니다. "
        "불편을 드려 죄송합니다. https://help.harunotes.example/ko/articles/payment-screen-freeze 를 참고해 주시고, "
        "개발팀에 확인해 영업일 기준 2일 이내에 다시 연락드리겠습니다."
    )
    shown: list[str] = []
    with FakeLLM() as fake:
        fake.enqueue(bad)
        fake.enqueue(good)
        deps.settings = load_settings(
            data_dir=deps.settings.data_dir,
            model="openai/fake",
            api_base=fake.api_base,
            max_retries=0,
        )
        draft = draft_reply(
            deps,
            DraftRequest(message="앱에서 결제하면 화면이 멈춰요", customer_id="cus_ko_minji"),
            on_token=shown.append,
            on_restart=shown.clear,  # the first, rejected draft is not left on screen
            llm_extra={"api_key": "test"},
        )
    assert draft.attempts == 2
    assert draft.draft == good
    assert "".join(shown) == good
    feedback = fake.requests[1]["messages"][-1]["content"]
    assert "F2" in feedback and "F4" in feedback


def test_model_failure_leaves_a_failed_record(deps: Deps) -> None:
    with FakeLLM() as fake:
        fake.enqueue_fault(500)
        deps.settings = load_settings(
            data_dir=deps.settings.data_dir,
            model="openai/fake",
            api_base=fake.api_base,
            max_retries=0,
        )
        with pytest.raises(ModelError) as info:
            draft_reply(
                deps,
                DraftRequest(message="Please cancel my subscription."),
                llm_extra={"api_key": "t"},
            )
    assert info.value.draft_id is not None
    record = deps.store.get_draft(info.value.draft_id)
    assert record is not None and record["status"] == "failed" and record["error"]
    assert record["message"] == "Please cancel my subscription."


def test_pinned_and_dropped_sources(deps: Deps) -> None:
    first = draft_reply(deps, DraftRequest(message="비밀번호를 잊어버렸어요"))
    top = first.sources[0].doc_id
    again = draft_reply(
        deps,
        DraftRequest(message="비밀번호를 잊어버렸어요", dropped=[top], pinned=["ko/two-factor"]),
    )
    ids = [s.doc_id for s in again.sources]
    assert top not in ids
    assert ids[0] == "ko/two-factor"
