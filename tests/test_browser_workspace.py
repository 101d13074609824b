"""The workspace in a real browser: draft, catch a forbidden phrase, fix it, approve, see it
in the Outbox. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant import accounts
from assistant.config import load_settings
from assistant.store import Store
from tests.browser import screenshot, sign_in, streamlit_page, wait_app_idle

pytestmark = pytest.mark.browser

OVERPROMISE = "반드시 내일까지 해결됩니다."
PASSWORD = "correct-horse-7"


def _accounts(data: Path, **roles: str) -> None:
    store = Store.from_settings(load_settings(data_dir=data))
    for name, role in roles.items():
        accounts.add_user(store, name, role, PASSWORD)
    store.dispose()


def test_draft_finding_fix_approve_outbox(demo_data: Path) -> None:
    started = time.monotonic()
    env = {"ASSISTANT_DATA_DIR": str(demo_data), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    _accounts(demo_data, 지수="lead")
    with streamlit_page("app.py", env, viewport=(1400, 1500)) as (page, base_url):
        sign_in(page, "지수", PASSWORD)
        page.get_by_role("button", name="정현우 · 환불 아직도").click()
        page.get_by_role("button", name="초안 작성").click()
        editor = page.get_by_label("답장 (편집 가능)")
        editor.wait_for(timeout=60_000)
        wait_app_idle(page)
        assert "정현우 고객님" in editor.input_value()
        screenshot(page, "workspace_draft")

        original = editor.input_value()
        editor.fill(original + "\n" + OVERPROMISE)
        editor.press("Control+Enter")
        page.get_by_text("F2 · 오류").first.wait_for()
        wait_app_idle(page)
        assert page.get_by_role("button", name="승인").is_disabled()
        screenshot(page, "workspace_finding")

        editor.fill(original)
        editor.press("Control+Enter")
        page.get_by_text("F2 · 오류").first.wait_for(state="detached")
        wait_app_idle(page)
        approve = page.get_by_role("button", name="승인")
        assert approve.is_enabled()
        approve.click()
        page.get_by_text("승인했습니다").first.wait_for()
        screenshot(page, "workspace_approved")

        page.get_by_role("link", name="Outbox").click()  # same session: still signed in
        wait_app_idle(page)
        page.get_by_text("정현우 고객님").first.wait_for()
        page.get_by_text("승인: 지수").first.wait_for()
        screenshot(page, "outbox")
    assert time.monotonic() - started < 300  # sanity bound only; timings are reported, not tested


def test_addresses_in_customer_text_are_not_links(tmp_path: Path) -> None:
    """A phishing address in a customer's message must not become a clickable link in the
    agent's browser (Markdown would link bare URLs, www. names and e-mail addresses)."""
    message = (
        "결제 확인은 https://harunotes-billing.example/login 에서 했어요. "
        "See www.refund-now.example or write to billing@refund-now.example"
    )
    page_script = tmp_path / "customer_text_page.py"
    page_script.write_text(
        f"from assistant.ui import customer_text\ncustomer_text({message!r})\n",
        encoding="utf-8",
    )
    with streamlit_page(page_script, {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}) as (page, _):
        shown = page.locator('[data-testid="stMarkdownContainer"]').first
        shown.wait_for()
        text = shown.inner_text().replace("\u2060", "")
        links = shown.locator("a").count()
    assert "https://harunotes-billing.example/login" in text
    assert "billing@refund-now.example" in text
    assert links == 0
