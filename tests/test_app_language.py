"""The workspace's bilingual tools through Streamlit's AppTest: converting a draft between 해요체
and 하십시오체 (and re-checking it), a Korean message shown to an English-speaking agent in
machine translation with its original, *Translate for the customer* with the consistency
check holding the approval, and what the workspace says when no model is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import speech, translate
from assistant.config import load_settings
from assistant.store import Store
from tests.fakellm import FakeLLM
from tests.test_app import draft, open_conversation, start, texts

TRANSLATED_MESSAGE = "아직 확인 메일이 없어요 오늘 중으로 서면 확인을 받고 싶어요"


def _levels(text: str) -> set[str | None]:
    return {s.level for s in speech.levels(text)} - {None}


def test_a_draft_is_converted_between_the_levels_and_checked_again(demo_data: Path) -> None:
    at = open_conversation(start(), "정현우 · 환불 아직도")
    text = draft(at)
    assert at.selectbox(key="channel").value == "chat" and _levels(text) == {"haeyo"}
    at.button(key="btn_convert_hapsyo").click().run()
    formal = str(at.text_area(key="editor").value)
    assert _levels(formal) == {"hapsyo"} and formal != text
    assert any("하십시오체" in s.value for s in at.success)
    assert "**K1**" not in texts(at)  # one level throughout: nothing mixed
    at.text_area(key="editor").input(
        formal + "\n바로 도와드릴게요.\n다른 방법도 알려 드릴까요?"
    ).run()
    assert "**K1**" in texts(at)  # the stray 해요체 sentence is named
    at.button(key="btn_convert_hapsyo").click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = str(at.text_area(key="editor").value)
    assert "바로 도와드리겠습니다." in after and "알려 드릴까요?" in after
    assert any("알려 드릴까요?" in w.value for w in at.warning)  # left as it was, and said so
    at.button(key="btn_convert_haeyo").click().run()
    assert "바로 도와드릴게요." in str(at.text_area(key="editor").value)


def test_offline_the_workspace_says_translation_needs_a_model(demo_data: Path) -> None:
    at = open_conversation(start(), "James")  # an English message, a Korean-speaking agent
    captions = " ".join(c.value for c in at.caption)
    assert "번역은 모델이 설정된 경우에만" in captions
    assert any("confirmation" in m.value for m in at.markdown)  # the message as written
    draft(at)
    assert at.button(key="btn_translate_reply").disabled


@pytest.fixture
def workspace_model(fake: FakeLLM, monkeypatch: pytest.MonkeyPatch, demo_data: Path) -> FakeLLM:
    """The workspace (in this process) configured with the fake model."""
    monkeypatch.setenv("ASSISTANT_MODEL", "openai/fake")
    monkeypatch.setenv("ASSISTANT_API_BASE", fake.api_base)
    monkeypatch.setenv("ASSISTANT_MAX_RETRIES", "0")
    return fake


def test_an_english_message_is_shown_in_korean_and_a_reply_translated_back(
    workspace_model: FakeLLM,
) -> None:
    fake = workspace_model
    fake.enqueue(TRANSLATED_MESSAGE)
    at = open_conversation(start(), "James")
    assert TRANSLATED_MESSAGE in texts(at)
    assert "기계 번역 (openai/fake)" in " ".join(c.value for c in at.caption)
    [original] = [e for e in at.expander if e.label == "원문 보기"]
    assert any("confirmation" in m.value for m in original.markdown)
    open_conversation(at, "James")
    asked = [r for r in fake.requests if "You translate messages" in r["messages"][0]["content"]]
    assert len(asked) == 1  # cached per message: not translated again

    fake.enqueue("Hi James, this is Jiwoo from Haru Notes support. I'm checking your request.")
    draft(at)
    korean = "James 고객님, 9,900원은 12월 12일까지 환불됩니다. 감사합니다."
    at.text_area(key="editor").input(korean).run()
    fake.enqueue("Hi James, the $99 refund will reach you by December 12. Thank you.")
    at.button(key="btn_translate_reply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert str(at.text_area(key="editor").value).startswith("Hi James, the $99")
    assert "in Korean; translate it into English" in fake.requests[-1]["messages"][0]["content"]
    page = texts(at)
    assert "**T1**" in page and "9,900원" in page and "$99" in page
    assert at.button(key="btn_approve").disabled  # an error: the customer would read $99
    [mine] = [e for e in at.expander if e.label.startswith("내가 쓴 원문")]
    assert any("12월 12일" in m.value for m in mine.markdown)
    store = Store.from_settings(load_settings())
    current = translate.active_reply(store, int(at.session_state["draft_id"]))
    assert current is not None and current.source_text == korean
    at.text_area(key="editor").input(current.text.replace("$99", "9,900 won")).run()
    assert "**T1**" not in texts(at) and not at.button(key="btn_approve").disabled
