"""Translation with a configured model (the local fake OpenAI server): an incoming message in
the agent's language, cached per message; a reply translated for the customer with both
versions stored; the model-free consistency check (T1) that catches a changed amount, date or
URL and holds the approval to it; nothing to translate with offline; a forgotten customer's
translations go."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import privacy, review, translate
from assistant.config import load_settings
from assistant.errors import ApprovalBlocked
from assistant.playbook.consistency import compare, facts
from assistant.store import Store
from tests.actors import actor
from tests.fakellm import FakeLLM

MESSAGE_KO = "환불 신청한 지 일주일이 지났는데 아직 9,900원이 안 들어왔어요. 언제 되나요?"
MESSAGE_EN = (
    "It has been a week since I asked for a refund and the 9,900 won is still not back. When?"
)
ORIGINAL = (
    "Hi Hyunwoo,\n\nThis is Jiwoo from the Haru Notes support team. I'm sorry the refund is late.\n"
    "The 9,900 won will be back on your card within 3-5 business days, by Friday, December 12.\n"
    "The steps are here: https://help.harunotes.example/ko/articles/refunds\n\nBest regards,\nJiwoo"
)
FAITHFUL = (
    "현우 고객님, 안녕하십니까. 하루노트 고객지원팀 서지우입니다. 환불이 늦어져 죄송합니다.\n"
    "9,900원은 3–5 영업일 안에, 12월 12일 금요일까지 카드로 돌아갑니다.\n"
    "자세한 방법은 https://help.harunotes.example/ko/articles/refunds 에서 보실 수 있습니다.\n\n"
    "감사합니다.\n서지우 드림"
)


def _store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'records.db'}")
    store.migrate()
    return store


def _draft(store: Store, **fields: object) -> dict[str, object]:
    from assistant import history

    history.save_profile(store, {"id": "cus_t", "name": "정현우", "language": "ko"})
    values: dict[str, object] = dict(
        status="ready", customer_id="cus_t", channel="email", message=MESSAGE_KO,
        language="ko", situations=["S2"], output="", model="openai/fake",
        prompt_version="draft_reply@v3", findings=[],
    )  # fmt: skip
    values.update(fields)
    draft = store.get_draft(store.create_draft(**values))
    assert draft is not None
    return draft


# ----- the consistency check --------------------------------------------------------------


def test_the_same_facts_in_both_languages_are_equal() -> None:
    assert compare(ORIGINAL, FAITHFUL) == []
    assert (
        compare("환불은 3–5 영업일 안에 완료됩니다.", "The refund is done within 3-5 days.") == []
    )
    assert compare("내일 오후 3시에 연락드리겠습니다.", "I will call you tomorrow at 3 p.m.") == []
    assert compare("Write to billing@harunotes.example, order GPA.3312-5521.", "billing@harunotes.example 로 주문 GPA.3312-5521 을 알려 주세요.") == []  # fmt: skip


@pytest.mark.parametrize(
    ("changed", "kind", "left", "right"),
    [
        (FAITHFUL.replace("9,900원", "$99"), "금액", "9,900 won", "$99"),
        (FAITHFUL.replace("12월 12일", "12월 15일"), "날짜", "December 12", "12월 15일"),
        (FAITHFUL.replace("ko/articles/refunds", "ko/articles/refund-now"), "링크", "https://help.harunotes.example/ko/articles/refunds", "https://help.harunotes.example/ko/articles/refund-now"),
        (FAITHFUL.replace("3–5 영업일", "5–7 영업일"), "기간", "3-5 business days", "5–7 영업일"),
    ],
)  # fmt: skip
def test_a_changed_amount_date_link_or_window_is_an_error_quoting_both(
    changed: str, kind: str, left: str, right: str
) -> None:
    found = compare(ORIGINAL, changed)
    assert [f.rule for f in found] == ["T1"] and found[0].severity == "error"
    assert kind in found[0].message and f"'{left}'" in found[0].message
    assert f"'{right}'" in found[0].message and found[0].quote == right
    assert found[0].span is not None and changed[found[0].span[0] : found[0].span[1]] == right


def test_a_promise_or_date_the_original_never_made_is_caught() -> None:
    found = compare("We can't give a date yet.", "반드시 다음 주까지 해결해 드리겠습니다.", "en")
    assert sorted(f.quote or "" for f in found) == ["다음 주", "반드시"]
    missing = compare("We will refund you by Monday.", "월요일까지 연락드리겠습니다.", "en")
    assert [f.quote for f in missing] == [None] and "'refund'" in missing[0].message


def test_the_brand_name_is_not_read_as_a_day() -> None:
    assert [f.kind for f in facts("하루노트 고객지원팀입니다")] == []
    assert [f.value for f in facts("하루 안에 답변드리겠습니다")] == [(1, 1, "day")]


# ----- translating with the model ---------------------------------------------------------


def test_an_incoming_message_is_translated_once_per_message(fake: FakeLLM, tmp_path: Path) -> None:
    store = _store(tmp_path)
    settings = load_settings(model="openai/fake", api_base=fake.api_base)
    fake.enqueue(MESSAGE_EN)
    first = translate.translate_message(store, settings, MESSAGE_KO, "en", customer_id="cus_t")
    again = translate.translate_message(store, settings, MESSAGE_KO, "en", customer_id="cus_t")
    assert first.text == again.text == MESSAGE_EN and first.id == again.id
    assert (first.source_lang, first.target_lang, first.kind) == ("ko", "en", "message")
    assert len(fake.requests) == 1  # the second time came from the cache
    sent = fake.requests[0]["messages"]
    assert "from Korean into English" in sent[0]["content"]
    assert sent[1]["content"] == f"<message>\n{MESSAGE_KO}\n</message>"
    assert first.prompt_version == "translate_message@v1"


def test_a_reply_is_translated_for_the_customer_and_both_versions_are_kept(
    fake: FakeLLM, tmp_path: Path
) -> None:
    store = _store(tmp_path)
    settings = load_settings(model="openai/fake", api_base=fake.api_base)
    draft = _draft(store)
    fake.enqueue(FAITHFUL.replace("9,900원", "$99"))
    done = translate.translate_reply(store, settings, draft, ORIGINAL, author="지수")
    assert done.source_text == ORIGINAL and done.text.startswith("현우 고객님")
    assert (done.source_lang, done.target_lang, done.register) == ("en", "ko", "hapsyo")
    assert [f.rule for f in done.findings] == ["T1"]
    system = fake.requests[0]["messages"][0]["content"]
    assert "Speech level for this channel: 하십시오체" in system
    assert translate.active_reply(store, int(draft["id"])) == done  # type: ignore[arg-type]
    # the playbook checks the version the customer gets, held to the original
    checker = review.make_checker(
        store, known_urls={"https://help.harunotes.example/ko/articles/refunds"}
    )
    result = checker(done.text, draft)
    assert "T1" in [f.rule for f in result.findings] and not result.ok
    with pytest.raises(ApprovalBlocked, match="T1"):
        review.approve(store, int(draft["id"]), final_text=done.text, reviewer=actor("지수", "agent"),  # type: ignore[arg-type]
                       expected_version=int(draft["version"]), checker=checker)  # type: ignore[arg-type]  # fmt: skip
    fixed = done.text.replace("$99", "9,900원")
    assert [f.rule for f in checker(fixed, draft).findings if f.rule == "T1"] == []
    decision = review.approve(store, int(draft["id"]), final_text=fixed, reviewer=actor("지수", "agent"),  # type: ignore[arg-type]
                              expected_version=int(draft["version"]), checker=checker)  # type: ignore[arg-type]  # fmt: skip
    assert decision.action == "edited_approved"


def test_setting_a_translation_aside_stops_the_comparison(fake: FakeLLM, tmp_path: Path) -> None:
    store = _store(tmp_path)
    settings = load_settings(model="openai/fake", api_base=fake.api_base)
    draft = _draft(store, channel="chat")
    fake.enqueue("환불은 12월 15일까지 될 거예요.")
    translate.translate_reply(store, settings, draft, "The refund will be done by December 12.")
    assert [
        f.rule for f in translate.consistency(store, draft, "환불은 12월 15일까지 될 거예요.")
    ] == ["T1"]
    assert "해요체" in fake.requests[0]["messages"][0]["content"]
    translate.set_aside(store, int(draft["id"]))  # type: ignore[arg-type]
    assert translate.consistency(store, draft, "환불은 12월 15일까지 될 거예요.") == []


def test_offline_there_is_nothing_to_translate_with(tmp_path: Path) -> None:
    store = _store(tmp_path)
    settings = load_settings()
    assert not translate.available(settings)
    with pytest.raises(translate.TranslationUnavailable, match="needs a model"):
        translate.translate_message(store, settings, MESSAGE_KO, "en")
    with pytest.raises(translate.TranslationUnavailable):
        translate.translate_reply(store, settings, _draft(store), ORIGINAL)


def test_a_reply_already_in_the_customers_language_is_refused(
    fake: FakeLLM, tmp_path: Path
) -> None:
    store = _store(tmp_path)
    settings = load_settings(model="openai/fake", api_base=fake.api_base)
    with pytest.raises(translate.InputError, match="already in the customer's language"):
        translate.translate_reply(store, settings, _draft(store), FAITHFUL)
    assert fake.requests == []


def test_forgetting_a_customer_deletes_their_translations(fake: FakeLLM, tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from assistant import history
    from assistant import store as tables

    store = _store(tmp_path)
    settings = load_settings(model="openai/fake", api_base=fake.api_base)
    draft = _draft(store)
    history.record_message(store, "cus_t", None, "customer", MESSAGE_KO, "email")
    fake.enqueue(MESSAGE_EN)
    fake.enqueue(FAITHFUL)
    translate.translate_message(store, settings, MESSAGE_KO, "en", customer_id="cus_t")
    translate.translate_reply(store, settings, draft, ORIGINAL)
    privacy.forget_customer(store, "cus_t", actor("admin", "admin"))
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tables.translations)).scalar() == 0


# ----- the eval assertions the bilingual suites use ---------------------------------------


def test_the_link_language_and_register_assertions_score_a_reply() -> None:
    from assistant.evals.assertions import Assertion, Context, Output, evaluate

    urls = {
        "https://help.harunotes.example/ko/articles/refunds": "ko",
        "https://help.harunotes.example/en/articles/team-sso": "en",
    }
    ctx = Context(url_langs=urls, case_language="ko")
    mixed = Output(
        text="환불은 https://help.harunotes.example/ko/articles/refunds 에서 확인해 주세요. "
        "SSO는 https://help.harunotes.example/en/articles/team-sso (영문) 을 참고해 주세요.",
        channel="chat",
    )
    links = evaluate(Assertion.parse({"type": "link_language"}, "t"), mixed, ctx)
    assert not links.passed and links.score == 0.5 and "team-sso" in links.reason
    english = evaluate(
        Assertion.parse({"type": "link_language", "value": "en", "threshold": 0.5}, "t"), mixed, ctx
    )
    assert english.passed
    level = evaluate(Assertion.parse({"type": "register"}, "t"), mixed, ctx)
    assert level.passed and level.reason == "all in haeyo"  # chat's level
    formal = evaluate(Assertion.parse({"type": "register", "value": "hapsyo"}, "t"), mixed, ctx)
    assert not formal.passed and formal.score == 0.0
