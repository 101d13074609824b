"""The Outbox page (AppTest) for a reply that goes back through Chatwoot: where it goes, the
error Chatwoot gave, and a retry that sends it once."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import channels, review
from assistant.channels import delivery
from assistant.config import load_settings
from assistant.pipeline import Deps
from assistant.ui.i18n import t
from tests.actors import actor
from tests.fakechatwoot import FakeChatwoot, message_created
from tests.test_app import account, sign_in

OUTBOX = str(Path(__file__).resolve().parent.parent / "pages" / "1_Outbox.py")


def test_a_failed_chatwoot_send_shows_its_error_and_retries_once(
    demo_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.channels.chatwoot import parse_event

    with FakeChatwoot() as fake:
        monkeypatch.setenv("ASSISTANT_CHATWOOT_URL", fake.url)
        monkeypatch.setenv("ASSISTANT_CHATWOOT_TOKEN", fake.token)
        deps = Deps.from_settings(load_settings())
        msg = parse_event(message_created("환불은 언제 되나요?", message_id=77, conversation_id=9))
        assert not isinstance(msg, channels.chatwoot.Ignored)
        got = channels.receive(deps.store, msg)
        assert got is not None
        assert channels.draft_inbound(deps, got.inbound_id, None) == "noted"
        draft = deps.store.list_drafts(customer_id=got.customer_id)[0]
        decision = review.approve(
            deps.store, draft["id"], final_text=draft["output"], reviewer=actor("지수"),
            expected_version=draft["version"], override_reason="checked",
        )  # fmt: skip
        fake.fail_with[:] = [403]
        first = delivery.send_now(deps.store, deps.settings, decision.id)
        assert first is not None and first.status == "failed"

        account("지수", "agent")
        at = sign_in(AppTest.from_file(OUTBOX, default_timeout=180).run(), "지수")
        assert any("Chatwoot" in c.value for c in at.caption)
        assert any("403" in w.value for w in at.warning)
        retry = next(b for b in at.button if b.label == t("retry_send", "ko"))
        retry.click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert [m["content"] for m in fake.replies(1, 9)] == [draft["output"]]
        assert any(t("sent_now", "ko", to="Chatwoot") in s.value for s in at.success)
        item = next(i for i in review.outbox(deps.store) if i.decision_id == decision.id)
        assert item.status == "sent"
        assert not any(b.label == t("retry_send", "ko") for b in at.button)


def test_forgetting_a_chatwoot_customer_forgets_their_channel_records(demo_data: Path) -> None:
    from sqlalchemy import func, select

    from assistant import privacy
    from assistant import store as tables
    from assistant.channels.chatwoot import parse_event

    deps = Deps.from_settings(load_settings())
    msg = parse_event(message_created("탈퇴하고 싶어요", message_id=5, email="gone@example.com"))
    assert not isinstance(msg, channels.chatwoot.Ignored)
    got = channels.receive(deps.store, msg)
    assert got is not None
    privacy.forget_customer(deps.store, got.customer_id, actor("관리자", role="admin"))
    with deps.store.engine.connect() as conn:
        for table in (tables.inbound, tables.external_refs):
            assert conn.execute(select(func.count()).select_from(table)).scalar() == 0
    # The same person writing again starts from nothing: none of the old history comes back.
    from assistant import history

    again = channels.receive(deps.store, parse_event(message_created("다시 왔어요", message_id=6)))  # type: ignore[arg-type]
    assert again is not None
    person = history.get_customer(deps.store, again.customer_id)
    assert person is not None
    assert [m.text for c in person.conversations for m in c.messages] == ["다시 왔어요"]


def test_approving_a_chatwoot_draft_in_the_workspace_sends_it_to_chatwoot_once(
    demo_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helpdesk's draft waits in the workspace inbox; the agent approves it there and the
    reply reaches the Chatwoot conversation once."""
    from assistant.channels.chatwoot import parse_event
    from tests.test_app import APP, open_conversation

    with FakeChatwoot() as fake:
        monkeypatch.setenv("ASSISTANT_CHATWOOT_URL", fake.url)
        monkeypatch.setenv("ASSISTANT_CHATWOOT_TOKEN", fake.token)
        deps = Deps.from_settings(load_settings())
        payload = message_created(
            "요금제 변경은 어떻게 하나요?", message_id=31, conversation_id=12, contact_id=88,
            name="한서연", email="seoyeon@example.com",
        )  # fmt: skip
        got = channels.receive(deps.store, parse_event(payload))  # type: ignore[arg-type]
        assert got is not None
        adapter = channels.configured(deps.settings)["chatwoot"]
        assert channels.draft_inbound(deps, got.inbound_id, adapter) == "noted"
        assert len(fake.notes(1, 12)) == 1

        account("지수", "agent")
        at = sign_in(AppTest.from_file(APP, default_timeout=180).run(), "지수")
        open_conversation(at, "한서연")
        text = str(at.text_area(key="editor").value)
        assert text and text in fake.notes(1, 12)[0]["content"]
        at.button(key="btn_approve").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert [m["content"] for m in fake.replies(1, 12)] == [text]
        assert any(t("sent_now", "ko", to="Chatwoot") in s.value for s in at.success)


def test_two_processes_draining_the_same_message_make_one_draft(
    demo_data: Path, db_url: str
) -> None:
    """Several serve replicas over one database: each message is claimed before it is drafted,
    so only one of them drafts it (and posts its note)."""
    import threading

    from assistant.channels.chatwoot import parse_event

    settings = load_settings(database_url=db_url)
    deps = Deps.from_settings(settings)
    from assistant import history

    history.load_demo_customers(deps.store)
    got = channels.receive(deps.store, parse_event(message_created("환불해 주세요", message_id=1)))  # type: ignore[arg-type]
    assert got is not None
    notes: list[str] = []

    class Notes:
        source = "chatwoot"

        def post_note(self, destination: dict[str, object], text: str) -> str:
            notes.append(text)
            return str(len(notes))

    barrier = threading.Barrier(4)
    results: list[str] = []

    def drain() -> None:
        barrier.wait()
        results.append(channels.draft_inbound(deps, got.inbound_id, Notes()))  # type: ignore[arg-type]

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results.count("noted") == 1 and len(notes) == 1
    assert len(deps.store.list_drafts(customer_id=got.customer_id)) == 1
