"""Macros in the browser pages (AppTest): a lead saves a macro only once the playbook passes
it; an agent inserts one into the reply editor, rendered for the customer and re-checked."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from assistant import macros
from assistant import store as tables
from assistant.config import load_settings
from assistant.knowledge import KnowledgeBase
from assistant.store import Store
from tests.test_app import account, draft, open_conversation, sign_in, start, texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "4_Macros.py")
BODY = (
    "{{ customer.name }} 고객님, 환불 절차는 [환불 정책]({{ article('refunds') }})에 "
    "정리되어 있습니다."
)


def store() -> Store:
    return Store.from_settings(load_settings())


def test_a_lead_saves_a_macro_only_after_the_playbook_passes_it(demo_data: Path) -> None:
    account("지수", "lead")
    at = sign_in(AppTest.from_file(PAGE, default_timeout=120).run(), "지수")
    at.text_input(key="macro_name").input("refund-ko")
    at.text_input(key="macro_title").input("환불 안내")
    at.text_area(key="macro_body").input("환불은 설정에서 확인해.").run()
    at.button(key="btn_macro_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "**F9**" in texts(at) and macros.list_macros(store()) == []
    at.text_area(key="macro_body").input(BODY).run()
    assert any("https://help.harunotes.example/ko/articles/refunds" in c.value for c in at.code)
    at.button(key="btn_macro_save").click().run()
    [saved] = macros.list_macros(store())
    assert saved.name == "refund-ko" and saved.status == "ok"


def test_an_agent_cannot_edit_macros_on_the_page(demo_data: Path) -> None:
    account("민수", "agent")
    at = sign_in(AppTest.from_file(PAGE, default_timeout=120).run(), "민수")
    assert not [b for b in at.button if b.key == "btn_macro_save"]
    assert any("리드" in c.value for c in at.caption)


def test_an_agent_inserts_a_macro_rendered_for_the_customer(demo_data: Path) -> None:
    settings = load_settings()
    team = macros.Team.of(KnowledgeBase(settings), settings, "ko")
    macros.save(store(), macros.Macro(name="refund-ko", lang="ko", title="환불 안내", body=BODY),
                team, actor="cli")  # fmt: skip
    at = open_conversation(start("민수", "agent"), "정현우 · 환불 아직도")
    before = draft(at)
    assert at.selectbox(key="macro_choice").value == "refund-ko"  # the only one: chosen already
    at.button(key="btn_insert_macro").click().run()
    assert not at.exception, [e.value for e in at.exception]
    text = str(at.text_area(key="editor").value)
    assert text.startswith(before.rstrip()) and "정현우 고객님, 환불 절차는" in text
    assert "(https://help.harunotes.example/ko/articles/refunds)" in text
    assert any("다시 했습니다" in s.value for s in at.success)
    with store().engine.connect() as conn:
        [use] = conn.execute(select(tables.macro_uses)).mappings().all()
    assert use["draft_id"] == at.session_state["draft_id"] and use["text_after"] == text
    assert "F7" not in texts(at)  # the inserted link is the help center's own
