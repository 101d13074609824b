"""Approved mail replies through a real SMTP server on 127.0.0.1 (aiosmtpd capturing what it
accepts): From the support address, ``Re:`` subject, In-Reply-To and References as the
customer's client threads them, our Message-ID recorded; exactly one message per approval, also
when the server first answers 451; a 5xx keeps the reply approved for a person to retry; a
connection dropped after DATA waits as uncertain instead of sending twice."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import channels, review
from assistant.channels import delivery, mail
from assistant.channels.mailparse import parse
from assistant.config import Settings, load_settings
from assistant.pipeline import Deps
from tests import mailmessages as mm
from tests.actors import actor
from tests.mailservers import Capture


@pytest.fixture(scope="module")
def smtp() -> Iterator[Capture]:
    with Capture() as server:
        yield server


@pytest.fixture(scope="module")
def deps(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deps]:
    data = tmp_path_factory.mktemp("mailsend") / "data"
    shutil.copytree(demo_dir, data)
    deps = Deps.from_settings(load_settings(data_dir=data))
    yield deps
    deps.store.dispose()


def _settings(deps: Deps, smtp: Capture) -> Settings:
    return load_settings(
        data_dir=deps.settings.data_dir, smtp_url=smtp.url, support_address=mm.SUPPORT
    )


def _approved(deps: Deps, raw: bytes, key: str) -> tuple[review.Decision, dict[str, Any]]:
    """A customer's mail recorded, drafted and approved: its decision and draft."""
    got = channels.receive(deps.store, mail.inbound_for(parse(raw, fallback_id=key), key))
    assert got is not None
    assert channels.draft_inbound(deps, got.inbound_id, None) == "noted"
    row = channels._inbound_row(deps.store, got.inbound_id)
    draft = deps.store.get_draft(row["draft_id"])
    assert draft is not None
    decision = review.approve(
        deps.store, draft["id"], final_text=draft["output"], reviewer=actor("서지우"),
        expected_version=draft["version"], override_reason="checked by a lead",
    )  # fmt: skip
    return decision, draft


def _entry(deps: Deps, decision: review.Decision) -> review.OutboxItem:
    return next(i for i in review.outbox(deps.store) if i.decision_id == decision.id)


def test_an_approved_reply_goes_out_once_threaded_from_the_support_address(
    deps: Deps, smtp: Capture
) -> None:
    decision, draft = _approved(deps, mm.ko_utf8(), "box/1/1")
    before = len(smtp.messages)
    result = delivery.send_now(deps.store, _settings(deps, smtp), decision.id)
    assert result is not None and result.status == "sent", result
    assert len(smtp.messages) == before + 1, (result, _entry(deps, decision))
    sent = smtp.messages[-1]
    assert (
        sent["From"] == mm.SUPPORT and sent["To"].addresses[0].addr_spec == "minji.kim@example.com"
    )
    assert sent["Subject"] == "Re: 결제 오류 문의"
    assert sent["In-Reply-To"] == "<ko-1@mail.example.com>"
    assert "<ko-1@mail.example.com>" in sent["References"]
    body = sent.get_body(("plain",))
    assert body is not None and body.get_content().strip() == draft["output"].strip()
    assert smtp.envelopes[-1] == ("support@example.com", ["minji.kim@example.com"])
    entry = _entry(deps, decision)
    assert entry.status == "sent" and entry.external_id == sent["Message-ID"]
    assert entry.external_id.endswith("@example.com>")
    # Sending again (another loop, a double click) sends nothing more.
    again = delivery.send_one(
        deps.store, entry.id, mail.MailAdapter(_settings(deps, smtp)), lease_s=120
    )
    assert again.status == "sent" and len(smtp.messages) == before + 1


def test_a_reply_in_a_thread_keeps_the_whole_chain_and_one_re(deps: Deps, smtp: Capture) -> None:
    channels.receive(
        deps.store, mail.inbound_for(parse(mm.en_quoted_printable(), fallback_id="k"), "box/1/2")
    )
    decision, _ = _approved(deps, mm.follow_up(), "box/1/3")
    delivery.send_now(deps.store, _settings(deps, smtp), decision.id)
    sent = smtp.messages[-1]
    assert sent["Subject"] == "Re: Charged twice", "no Re: Re:"
    assert sent["In-Reply-To"] == "<en-2@example.com>"
    assert sent["References"].split() == ["<en-1@example.com>", "<en-2@example.com>"]


def test_a_451_is_retried_and_exactly_one_message_arrives(deps: Deps, smtp: Capture) -> None:
    decision, _ = _approved(deps, mm.ko_iso2022(), "box/1/4")
    before = len(smtp.messages)
    smtp.script[:] = ["451 4.3.0 Try again later"]
    settings = _settings(deps, smtp)
    first = delivery.send_now(deps.store, settings, decision.id)
    assert first is not None and first.status == "retry" and "451" in (first.error or "")
    assert len(smtp.messages) == before
    entry = _entry(deps, decision)
    assert entry.next_attempt_at is not None
    _due_now(deps, entry.id)
    [second] = delivery.send_due(deps.store, channels.configured(settings), lease_s=120)
    assert second.status == "sent"
    assert len(smtp.messages) == before + 1
    assert smtp.messages[-1]["To"].addresses[0].addr_spec == "seojun@example.kr"
    assert delivery.send_due(deps.store, channels.configured(settings), lease_s=120) == []
    assert len(smtp.messages) == before + 1


def test_a_550_keeps_the_reply_approved_and_a_person_retries_it(deps: Deps, smtp: Capture) -> None:
    decision, draft = _approved(deps, mm.html_only(), "box/1/5")
    before = len(smtp.messages)
    smtp.script[:] = ["550 5.7.1 Message rejected"]
    settings = _settings(deps, smtp)
    first = delivery.send_now(deps.store, settings, decision.id)
    assert first is not None and first.status == "failed" and "550" in (first.error or "")
    entry = _entry(deps, decision)
    assert entry.status == "failed" and "550" in (entry.error or "")
    assert deps.store.get_draft(draft["id"])["status"] == "approved"  # type: ignore[index]
    delivery.retry(deps.store, entry.id, actor("서지우"))
    [again] = delivery.send_due(deps.store, channels.configured(settings), lease_s=120)
    assert again.status == "sent" and len(smtp.messages) == before + 1


def test_a_connection_dropped_after_data_is_never_sent_twice(deps: Deps, smtp: Capture) -> None:
    decision, _ = _approved(deps, mm.oversized_attachment(size=2000), "box/1/6")
    before = len(smtp.messages)
    smtp.script[:] = ["drop"]
    settings = _settings(deps, smtp)
    first = delivery.send_now(deps.store, settings, decision.id)
    assert first is not None and first.status == "unconfirmed", first
    entry = _entry(deps, decision)
    _due_now(deps, entry.id)
    [second] = delivery.send_due(deps.store, channels.configured(settings), lease_s=120)
    assert second.status == "uncertain" and "Sent folder" in (second.error or "")
    assert len(smtp.messages) == before + 1, "the message that may have arrived, once"
    assert delivery.send_due(deps.store, channels.configured(settings), lease_s=120) == []


def test_bad_smtp_settings_are_one_clear_error_on_the_entry(deps: Deps, smtp: Capture) -> None:
    decision, _ = _approved(deps, mm.ko_reply(), "box/1/7")
    settings = load_settings(
        data_dir=deps.settings.data_dir, smtp_url="smtp://mail.example.com:587",
        support_address=mm.SUPPORT,
    )  # fmt: skip
    settings.smtp_url = "http://mail.example.com"
    result = delivery.send_now(deps.store, settings, decision.id)
    assert result is not None and result.status == "failed"
    assert "ASSISTANT_SMTP_URL" in (result.error or "")


def _due_now(deps: Deps, outbox_id: int) -> None:
    """The pause before the next automatic try is over."""
    from assistant import store as tables

    with deps.store.transaction() as conn:
        conn.execute(
            tables.outbox.update()
            .where(tables.outbox.c.id == outbox_id)
            .values(next_attempt_at=deps.store.now())
        )


def test_the_workspace_shows_a_mail_conversations_recipient_and_subject(demo_data: Path) -> None:
    from assistant.store import Store
    from tests.test_app import open_conversation, start

    store = Store.from_settings(load_settings())
    raw = mm.en_quoted_printable()
    channels.receive(store, mail.inbound_for(parse(raw, fallback_id="k"), "box/9/1"))
    at = open_conversation(start(), "Dana Park")
    assert any("Charged twice" in s.value for s in at.subheader)
    captions = [str(c.value) for c in at.caption]
    shown = [c for c in captions if c.startswith("받는 사람:")]
    assert len(shown) == 1, captions
    plain = shown[0].replace("\\", "").replace("\u2060", "")
    assert plain == "받는 사람: Dana Park <dana@example.com> · 제목: Re: Charged twice"


def test_an_answer_to_our_reply_joins_the_conversation_by_in_reply_to_alone(
    deps: Deps, smtp: Capture
) -> None:
    from email.message import EmailMessage

    decision, draft = _approved(deps, mm.new_customer(), "box/1/8")
    delivery.send_now(deps.store, _settings(deps, smtp), decision.id)
    ours = _entry(deps, decision).external_id
    assert ours
    m = EmailMessage()
    m["From"] = "Tom Whitaker <tom@example.com>"
    m["Subject"] = "Re: Export to PDF"
    m["Message-ID"] = "<tom-2@example.com>"
    m["In-Reply-To"] = ours  # no References: some clients only set this
    m.set_content("Thanks, that worked!")
    result = mail.SyncResult("box")
    mail.record(deps.store, _settings(deps, smtp), "box/1/9", m.as_bytes(), result)
    assert result.imported == [draft["conversation_id"]]


def test_a_message_is_recorded_once_and_the_cursor_never_goes_back(db_url: str) -> None:
    from assistant.store import Store

    store = Store(db_url)
    store.migrate()
    settings = load_settings(support_address=mm.SUPPORT)
    result = mail.SyncResult("box")
    for key in ("box/7/1", "box/7/1", "box/8/1"):  # a rerun; the folder rebuilt (new UIDVALIDITY)
        mail.record(store, settings, key, mm.en_quoted_printable(), result)
    assert len(result.imported) == 1
    assert result.skipped == ["already imported (<en-1@example.com>)"]
    colleague = mm.follow_up().replace(b"Dana Park <dana@example.com>", b"Sam <sam@example.com>")
    mail.record(store, settings, "box/8/3", colleague, result)  # a colleague on Cc answers
    assert len(result.imported) == 2 and result.imported[0] != result.imported[1]
    mail.record(store, settings, "box/8/2", mm.support_copy(), result)
    assert result.skipped[-1] == "sent from the support address"
    mail._advance(store, "box", 8, 5)
    mail._advance(store, "box", 8, 3)  # a slower sync finishing late
    assert mail._cursor(store, "box", 8) == 5 and mail._cursor(store, "box", 9) == 0
    mail._advance(store, "box", 9, 1)
    assert mail._cursor(store, "box", 9) == 1
    store.dispose()
