"""The agent workspace (app.py) through Streamlit's AppTest: draft, edit, approve, reject,
blocked approvals, stale drafts, and the demo-data offer on an empty data dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import accounts, history, review
from assistant.config import load_settings
from assistant.store import Store
from assistant.ui.i18n import t

APP = str(Path(__file__).resolve().parent.parent / "app.py")
KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
OVERPROMISE = "반드시 내일까지 해결됩니다."


PASSWORD = "correct-horse-7"


def store() -> Store:
    return Store.from_settings(load_settings())


def account(name: str = "지수", role: str = "lead") -> None:
    if accounts.get_user(store(), name) is None:
        accounts.add_user(store(), name, role, PASSWORD)


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    at.button(key="btn_signin").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def start(name: str = "지수", role: str = "lead") -> AppTest:
    """The workspace, signed in as ``name`` (a lead unless ``role``)."""
    account(name, role)
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    return sign_in(at, name)


def open_conversation(at: AppTest, name_part: str) -> AppTest:
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
    assert [b.key for b in at.sidebar.button] == ["btn_sign_out"]  # no inbox yet
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


def _everything(at: AppTest) -> str:
    """Every text the page sent to the browser, main area and sidebar."""
    parts = [texts(at)] + [str(c.value) for c in at.caption] + [str(s.value) for s in at.subheader]
    parts += [b.label for b in at.button] + [str(x.value) for x in at.info]
    parts += [str(m.value) for m in at.sidebar.markdown] + [b.label for b in at.sidebar.button]
    return "\n".join(parts)


def test_nothing_about_customers_shows_before_sign_in(demo_data: Path) -> None:
    account("지수", "agent")
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    page = _everything(at)
    assert t("signin_title") in page
    for name in ("김민지", "James", "정현우", "Priya", "이서연"):
        assert name not in page
    assert not at.sidebar.button  # no inbox, no sign-out
    sign_in(at, "지수", "not-the-password")
    assert any(t("signin_failed") in e.value for e in at.error)
    assert "김민지" not in _everything(at) and at.session_state["account_id"] is None
    sign_in(at, "지수")
    assert any("김민지" in b.label for b in at.sidebar.button)


def test_an_agent_approves_as_itself_but_cannot_override(demo_data: Path) -> None:
    at = open_conversation(start("민호", "agent"), "정현우 · 환불 아직도")
    text = draft(at)
    at.text_area(key="editor").input(text + "\n" + OVERPROMISE).run()
    assert at.button(key="btn_approve").disabled
    assert not [w for w in at.text_input if w.key == "override_reason"]
    assert any(t("override_needs_lead") in c.value for c in at.caption)
    at.text_area(key="editor").input(text).run()
    at.button(key="btn_approve").click().run()
    [item] = review.outbox(store())
    assert item.reviewer == "민호"
    events = store().list_events(kind="draft.approved")
    assert events[-1]["actor"] == "민호" and events[-1]["payload"]["via"] == "workspace"


def test_a_disabled_account_is_signed_out_on_its_next_click(demo_data: Path) -> None:
    at = start("수빈", "agent")
    assert any("김민지" in b.label for b in at.sidebar.button)
    accounts.set_disabled(store(), "수빈", True)
    at.run()
    assert t("signin_title") in _everything(at)
    assert "김민지" not in _everything(at)


def test_signing_out_clears_the_session(demo_data: Path) -> None:
    at = open_conversation(start(), "James")
    draft(at)
    at.sidebar.button(key="btn_sign_out").click().run()
    assert at.session_state["account_id"] is None and at.session_state["draft_id"] is None
    assert t("signin_title") in _everything(at) and "James" not in _everything(at)
