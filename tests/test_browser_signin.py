"""Sign-in and roles in a real browser: nothing about customers before sign-in, a wrong
password refused, an agent approves as itself but cannot override, a lead can; the audit
trail in the Outbox names the account. Screenshots (Korean and English) in tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import review
from assistant.config import load_settings
from assistant.store import Store
from tests.browser import screenshot, sign_in, streamlit_page, wait_app_idle
from tests.test_browser_workspace import OVERPROMISE, PASSWORD, _accounts

pytestmark = pytest.mark.browser

NAMES = ("김민지", "정현우", "James", "Priya", "이서연")


def _english(page: object) -> None:
    page.get_by_text("English", exact=True).first.click()  # type: ignore[attr-defined]
    wait_app_idle(page)


def _korean(page: object) -> None:
    page.get_by_text("한국어", exact=True).first.click()  # type: ignore[attr-defined]
    wait_app_idle(page)


def _draft_in(page: object, conversation: str) -> object:
    page.get_by_role("button", name=conversation).click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="초안 작성").click()  # type: ignore[attr-defined]
    editor = page.get_by_label("답장 (편집 가능)")  # type: ignore[attr-defined]
    editor.wait_for(timeout=60_000)
    wait_app_idle(page)
    return editor


def test_sign_in_roles_and_audit(demo_data: Path) -> None:
    env = {"ASSISTANT_DATA_DIR": str(demo_data), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    _accounts(demo_data, 민호="agent", 지수="lead")
    with streamlit_page("app.py", env, viewport=(1400, 1300)) as (page, base_url):
        page.get_by_role("button", name="로그인").first.wait_for()
        body = page.locator("body").inner_text()
        assert not [n for n in NAMES if n in body]
        screenshot(page, "signin_ko")
        _english(page)
        page.get_by_role("button", name="Sign in").first.wait_for()
        assert not [n for n in NAMES if n in page.locator("body").inner_text()]
        screenshot(page, "signin_en")
        _korean(page)

        sign_in(page, "민호", "not-the-password")
        page.get_by_text("비밀번호가 맞지 않거나").first.wait_for()
        assert not [n for n in NAMES if n in page.locator("body").inner_text()]

        sign_in(page, "민호", PASSWORD)
        page.get_by_text("민호 (상담원) 로그인 중").first.wait_for()
        editor = _draft_in(page, "정현우 · 환불 아직도")
        original = editor.input_value()  # type: ignore[attr-defined]
        editor.fill(original + "\n" + OVERPROMISE)  # type: ignore[attr-defined]
        editor.press("Control+Enter")  # type: ignore[attr-defined]
        page.get_by_text("리드 이상만").first.wait_for()
        assert page.get_by_role("button", name="승인").is_disabled()
        assert page.get_by_label("무시하고 승인하는 이유").count() == 0
        screenshot(page, "agent_cannot_override")
        editor.fill(original)  # type: ignore[attr-defined]
        editor.press("Control+Enter")  # type: ignore[attr-defined]
        page.get_by_text("F2 · 오류").first.wait_for(state="detached")
        wait_app_idle(page)
        page.get_by_role("button", name="승인").click()
        page.get_by_text("승인했습니다").first.wait_for()
        page.get_by_role("button", name="로그아웃").click()
        wait_app_idle(page)

        sign_in(page, "지수", PASSWORD)
        editor = _draft_in(page, "Priya Natarajan · Refund for")
        editor.fill(editor.input_value() + "\nWe guarantee it will be fixed by tomorrow.")  # type: ignore[attr-defined]
        editor.press("Control+Enter")  # type: ignore[attr-defined]
        override = page.get_by_label("무시하고 승인하는 이유")
        override.wait_for()
        override.fill("팀장 확인: 내일 배포 확정")
        override.press("Enter")
        wait_app_idle(page)
        page.get_by_role("button", name="승인").click()
        page.get_by_text("승인했습니다").first.wait_for()

        page.get_by_role("link", name="Outbox").click()  # same session: still signed in
        wait_app_idle(page)
        page.get_by_text("승인: 민호").first.wait_for()
        for expander in page.get_by_text("감사 기록").all():
            expander.click()
        wait_app_idle(page)
        page.get_by_text("예외 승인: 팀장 확인").first.wait_for()
        screenshot(page, "audit_ko")
        _english(page)
        page.get_by_text("Audit trail").first.wait_for()
        for expander in page.get_by_text("Audit trail").all():
            expander.click()
        wait_app_idle(page)
        page.get_by_text("override: 팀장 확인").first.wait_for()
        screenshot(page, "audit_en")
    store = Store.from_settings(load_settings(data_dir=demo_data))
    by = {item.reviewer for item in review.outbox(store)}
    assert by == {"민호", "지수"}
