"""A Chatwoot conversation in a real browser: the draft the webhook made waits in the inbox,
the agent approves it, it reaches Chatwoot once, and the Outbox says where it went."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant import accounts, channels
from assistant.channels.chatwoot import parse_event
from assistant.config import load_settings
from assistant.pipeline import Deps
from tests.browser import screenshot, sign_in, streamlit_page, wait_app_idle
from tests.fakechatwoot import FakeChatwoot, message_created

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-7"


def test_a_chatwoot_draft_is_approved_in_the_browser_and_sent_once(
    demo_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeChatwoot() as fake:
        monkeypatch.setenv("ASSISTANT_CHATWOOT_URL", fake.url)
        monkeypatch.setenv("ASSISTANT_CHATWOOT_TOKEN", fake.token)
        deps = Deps.from_settings(load_settings())
        payload = message_created(
            "팀 요금제로 바꾸면 기존 노트는 어떻게 되나요?", message_id=51, conversation_id=21,
            contact_id=61, name="한서연", email="seoyeon@example.com",
        )  # fmt: skip
        got = channels.receive(deps.store, parse_event(payload))  # type: ignore[arg-type]
        assert got is not None
        channels.draft_inbound(deps, got.inbound_id, channels.configured(deps.settings)["chatwoot"])
        accounts.add_user(deps.store, "지수", "agent", PASSWORD)
        deps.store.dispose()
        env = {
            "ASSISTANT_DATA_DIR": str(demo_data),
            "ASSISTANT_CHATWOOT_URL": fake.url,
            "ASSISTANT_CHATWOOT_TOKEN": fake.token,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
        with streamlit_page("app.py", env, viewport=(1400, 1400)) as (page, _base):
            sign_in(page, "지수", PASSWORD)
            page.get_by_role("button", name=re.compile("한서연")).first.click()
            editor = page.get_by_label("답장 (편집 가능)")
            editor.wait_for(timeout=60_000)
            wait_app_idle(page)
            text = editor.input_value()
            assert text and text in fake.notes(1, 21)[0]["content"]
            page.get_by_role("button", name="승인").click()
            page.get_by_text("Chatwoot에 고객 답장으로 보냈습니다").first.wait_for()
            screenshot(page, "chatwoot_sent")
            page.get_by_role("link", name="Outbox").click()
            wait_app_idle(page)
            page.get_by_text("Chatwoot(으)로 보냄").first.wait_for()
            screenshot(page, "chatwoot_outbox")
        assert [m["content"] for m in fake.replies(1, 21)] == [text]
