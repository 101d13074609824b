"""The bilingual workspace in a real browser, with the local fake model: an English-speaking
agent sees a Korean message in machine translation and opens the original, then converts a
draft from 해요체 to 하십시오체. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import accounts
from assistant.config import load_settings
from assistant.store import Store
from tests.browser import screenshot, sign_in, streamlit_page, wait_app_idle
from tests.fakellm import FakeLLM

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-7"
TRANSLATION = "It still has not come through. When will the refund arrive"
DRAFT = (
    "정현우 고객님, 안녕하세요. 하루노트 고객지원팀 서지우입니다.\n"
    "환불이 늦어져 정말 죄송해요. 결제 담당 팀에 바로 확인해 드릴게요.\n"
    "영업일 기준 2일 이내에 다시 알려 드릴게요. 기다려 주셔서 감사합니다."
)


def test_a_translated_message_with_its_original_and_a_converted_draft(demo_data: Path) -> None:
    store = Store.from_settings(load_settings(data_dir=demo_data))
    accounts.add_user(store, "Jordan", "lead", PASSWORD)
    store.dispose()
    with FakeLLM() as fake:
        fake.enqueue(TRANSLATION)
        env = {
            "ASSISTANT_DATA_DIR": str(demo_data),
            "ASSISTANT_MODEL": "openai/fake",
            "ASSISTANT_API_BASE": fake.api_base,
            "ASSISTANT_MAX_RETRIES": "0",
            "OPENAI_API_KEY": "test-key",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "NO_PROXY": "127.0.0.1,localhost",
            "PATH": os.environ.get("PATH", ""),
        }
        with streamlit_page("app.py", env, locale="en-US", viewport=(1400, 1600)) as (page, _):
            sign_in(page, "Jordan", PASSWORD)
            page.get_by_role("button", name="정현우 · 환불 아직도").click()
            wait_app_idle(page)
            page.get_by_text("Machine translation (openai/fake)").first.wait_for()
            page.get_by_text(TRANSLATION).first.wait_for()
            original = page.get_by_text("Show the original").first
            original.click()
            wait_app_idle(page)
            page.get_by_text("환불", exact=False).first.wait_for()
            screenshot(page, "workspace_translated_message")

            fake.enqueue(DRAFT)
            page.get_by_role("button", name="Draft a reply").click()
            editor = page.get_by_label("Reply (editable)")
            editor.wait_for(timeout=60_000)
            wait_app_idle(page)
            assert "확인해 드릴게요" in editor.input_value()
            page.get_by_role("button", name="Convert to 하십시오체").click()
            wait_app_idle(page)
            page.get_by_text("Converted", exact=False).first.wait_for()
            converted = editor.input_value()
            assert "확인해 드리겠습니다." in converted and "알려 드리겠습니다." in converted
            assert "죄송합니다." in converted and "드릴게요" not in converted
            screenshot(page, "workspace_converted_draft")
    asked = [r for r in fake.requests if "You translate messages" in r["messages"][0]["content"]]
    assert len(asked) == 1
