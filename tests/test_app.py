"""The agent workspace (app.py) through Streamlit's AppTest: draft, edit, approve, reject,
blocked approvals, stale drafts, and the demo-data offer on an empty data dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import history, review
from assistant.config import load_settings
from assistant.store import Store
from assistant.ui.i18n import t

APP = str(Path(__file__).resolve().parent.parent / "app.py")
KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
OVERPROMISE = "반드시 내일까지 해결됩니다."


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def store() -> Store:
    return Store.from_settings(load_settings())


def open_conversation(at: AppTest, name_part: str, reviewer: str = "지수") -> AppTest:
    at.sidebar.text_input(key="reviewer").input(reviewer).run()
    button = next(b for b in at.sidebar.button if name_part in b.label)
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def draft(at: AppTest) -> str:
    at.button(key="btn_draft").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return str(at.text_area(key="editor").value)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error]
    parts += [w.value for w in at.warning] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def test_empty_data_dir_offers_the_demo_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tmp_path / "knowledge"
    small.mkdir()
    for name in ("refunds.md", "cancel-subscription.md"):
        for lang in ("ko", "en"):
            (small / lang).mkdir(exist_ok=True)
            shutil.copy(KNOWLEDGE / lang / name, small / lang / name)
    monkeypatch.setattr("assistant.knowledge.default_knowledge_dir", lambda: small)
    at = start()
    assert at.button(key="btn_load_demo").label == t("load_demo")
    assert any(t("empty_title") in s.value for s in at.subheader)
    assert not at.sidebar.button  # no inbox yet
    at.button(key="btn_load_demo").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("4" in s.value for s in at.success), [s.value for s in at.success]
    labels = [b.label for b in at.sidebar.button]
    assert any("김민지" in label for label in labels), labels


def test_draft_edit_and_approve_lands_in_the_outbox(demo_data: Path) -> None:
    at = open_conversation(start(), "James")
    text = draft(at)
    assert text.startswith("Hi James")
    edited = text.replace("Hi James O'Connor,", "Hello James,")
    at.text_area(key="editor").input(edited).run()
    assert not at.button(key="btn_approve").disabled
    at.button(key="btn_approve").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("편집 거리" in s.value for s in at.success)
    [item] = review.outbox(store())
    assert item.text == edited.strip() and item.reviewer == "지수"
    assert item.customer_id == "cus_en_james"


def test_reject_asks_for_a_reason(demo_data: Path) -> None:
    at = open_conversation(start(), "Priya")
    draft(at)
    draft_id = at.session_state["draft_id"]
    at.button(key="btn_reject").click().run()
    assert any("reason" in e.value for e in at.error), [e.value for e in at.error]
    assert store().get_draft(draft_id)["status"] == "ready"  # type: ignore[index]
    at.text_input(key="reject_reason").input("환불 정책 설명이 틀림").run()
    at.button(key="btn_reject").click().run()
    assert any(t("rejected") in s.value for s in at.success)
    record = store().get_draft(draft_id)
    assert record is not None and record["status"] == "rejected"


def test_error_findings_block_approval_until_fixed_or_overridden(demo_data: Path) -> None:
    at = open_conversation(start(), "정현우 · 환불 아직도")
    text = draft(at)
    assert not at.button(key="btn_approve").disabled
    at.text_area(key="editor").input(text + "\n" + OVERPROMISE).run()
    page = texts(at)
    assert "**F2**" in page and "반드시 내일까지" in page
    assert at.selectbox(key="channel").value == "chat"  # a KakaoTalk conversation
    assert at.button(key="btn_approve").disabled
    at.text_input(key="override_reason").input("팀장 확인: 내일 배포 확정").run()
    assert not at.button(key="btn_approve").disabled
    at.text_input(key="override_reason").input("").run()
    at.text_area(key="editor").input(text).run()  # the agent removes the phrase again
    assert "**F2**" not in texts(at)
    assert not at.button(key="btn_approve").disabled


def test_stale_draft_needs_confirmation(demo_data: Path) -> None:
    at = open_conversation(start(), "이서연")
    text = draft(at)
    conv = "conv_seoyeon_invoice_1103"
    history.record_message(
        store(), "cus_ko_seoyeon", conv, "customer", "답변 언제 주시나요?", "email"
    )
    at.run()
    assert any(t("stale_warning") in w.value for w in at.warning)
    assert at.button(key="btn_approve").disabled
    at.checkbox(key="confirm_stale").check().run()
    assert not at.button(key="btn_approve").disabled
    at.button(key="btn_approve").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [item] = review.outbox(store())
    assert item.text == text.strip() and item.conversation_id == conv
