"""CSAT/CES surveys: a link for an approved reply with an unguessable, hashed, expiring token
answered once; a forged, reused or expired token is refused; answers are broken down by
prompt version, model, agent and the findings that were overridden. The page is driven in
real Chromium in Korean and English."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from assistant import review, surveys
from assistant import store as tables
from assistant.config import load_settings
from assistant.errors import InputError
from assistant.store import Store
from tests.actors import actor
from tests.browser import CHROMIUM, CHROMIUM_ARGS, free_port, require_browser, screenshot

OVERPROMISE = "반드시 내일까지 해결됩니다."


def approved(store: Store, *, customer: str | None = "cus_ko_minji", lang: str = "ko",
             prompt: str = "draft_reply@v1", override: bool = False, who: str = "지수") -> int:  # fmt: skip
    text = f"안녕하세요. {OVERPROMISE}" if override else "안녕하세요. 확인해 드렸습니다."
    draft_id = store.create_draft(status="ready", customer_id=customer, message="환불 문의",
                                  language=lang, output=text, findings=[], prompt_version=prompt,
                                  model="offline")  # fmt: skip
    review.approve(store, draft_id, final_text=text, reviewer=actor(who), expected_version=1,
                   override_reason="팀장 확인" if override else None)  # fmt: skip
    return draft_id


def test_a_token_is_hashed_answered_once_and_refused_when_forged_reused_or_expired(
    db_url: str,
) -> None:
    store = Store(db_url)
    store.migrate()
    with store.transaction() as conn:
        conn.execute(tables.customers.insert().values(id="cus_ko_minji", name="김민지",
                                                      language="ko", created_at=store.now()))  # fmt: skip
    pending = store.create_draft(status="ready", message="m", output="o", findings=[])
    with pytest.raises(InputError, match="not approved"):
        surveys.create(store, pending)
    token, survey = surveys.create(store, approved(store), kind="csat", days=14)
    assert len(token) >= 32 and survey.lang == "ko"
    with store.engine.connect() as conn:
        [stored] = conn.execute(select(tables.surveys.c.token_hash)).scalars().all()
    assert stored == surveys.token_hash(token) and token not in stored
    with pytest.raises(surveys.SurveyRefused) as forged:
        surveys.lookup(store, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert forged.value.reason == "unknown"
    with pytest.raises(InputError):
        surveys.answer(store, token, 6)  # CSAT is 1 to 5
    surveys.answer(store, token, 5)
    with pytest.raises(surveys.SurveyRefused) as reused:
        surveys.answer(store, token, 1)
    assert reused.value.reason == "answered"
    late, _ = surveys.create(store, approved(store), kind="ces", days=1)
    store.clock = lambda: tables.utcnow() + timedelta(days=2)
    with pytest.raises(surveys.SurveyRefused) as expired:
        surveys.answer(store, late, 7)
    assert expired.value.reason == "expired"
    with store.engine.connect() as conn:
        scores = conn.execute(select(tables.surveys.c.score).order_by(tables.surveys.c.id))
        assert list(scores.scalars()) == [5, None]
    store.dispose()


def test_answers_are_broken_down_by_prompt_version_agent_and_overridden_findings(
    demo_data: Path,
) -> None:
    store = Store.from_settings(load_settings())
    for prompt, who, override, score in [("draft_reply@v1", "지수", False, 5),
                                         ("draft_reply@v1", "민수", True, 2),
                                         ("draft_reply@v2", "지수", False, 4)]:  # fmt: skip
        token, _ = surveys.create(store, approved(store, prompt=prompt, who=who, override=override))
        surveys.answer(store, token, score)
    surveys.create(store, approved(store))  # sent, never answered
    stats = surveys.analytics(store, "csat")
    assert stats["sent"] == 4 and stats["answers"] == 3 and stats["mean"] == 3.67
    by_prompt = {g["prompt_version"]: g["mean"] for g in stats["by_prompt_version"]}
    assert by_prompt == {"draft_reply@v1": 3.5, "draft_reply@v2": 4.0}
    assert {g["agent"]: g["answers"] for g in stats["by_agent"]} == {"민수": 1, "지수": 2}
    assert {g["overridden"]: g["mean"] for g in stats["by_overridden"]} == {"F2": 2.0, "none": 4.5}
    assert len(stats["by_week"]) == 1 and stats["by_model"][0]["model"] == "offline"


@pytest.fixture
def served(demo_data: Path) -> Iterator[tuple[str, Store]]:
    """``reply-assistant serve``'s app in a thread on a free port over the demo data."""
    import uvicorn

    from assistant.api import create_app
    from assistant.pipeline import Deps

    deps = Deps.from_settings(load_settings())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(deps), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", deps.store
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize(
    ("lang", "customer", "kind", "question", "thanks", "again"),
    [
        ("ko", "cus_ko_minji", "csat", "하루노트 고객지원에 얼마나 만족하셨나요?",
         "소중한 의견 감사합니다.", "이미 응답하신 설문입니다."),
        ("en", "cus_en_james", "ces", "How easy was it to get your issue resolved?",
         "Thank you for your feedback.", "already been answered"),
    ],
    ids=["ko", "en"],
)  # fmt: skip
def test_the_survey_page_in_chromium(
    served: tuple[str, Store], lang: str, customer: str, kind: str, question: str,
    thanks: str, again: str,
) -> None:  # fmt: skip
    require_browser()
    from playwright.sync_api import sync_playwright

    base, store = served
    token, _ = surveys.create(store, approved(store, customer=customer, lang=lang), kind=kind)
    expired, _ = surveys.create(store, approved(store, customer=customer, lang=lang), kind=kind)
    with store.transaction() as conn:
        conn.execute(update(tables.surveys).where(tables.surveys.c.token_hash ==
                     surveys.token_hash(expired)).values(expires_at=store.now() - timedelta(1)))  # fmt: skip
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_context(locale="ko-KR" if lang == "ko" else "en-US").new_page()
        response = page.goto(f"{base}/s/{token}")
        assert response is not None and response.status == 200
        assert page.get_by_role("heading").inner_text() == question
        assert page.get_by_role("radio").count() == surveys.SCALES[kind]
        assert "김민지" not in page.content() and "James" not in page.content()
        page.get_by_label(str(surveys.SCALES[kind])).check()
        screenshot(page, f"survey-{lang}")
        page.get_by_role("button").click()
        assert page.get_by_role("status").inner_text() == thanks
        response = page.goto(f"{base}/s/{token}")  # reused
        assert response is not None and response.status == 409
        assert again in page.get_by_role("status").inner_text()
        response = page.goto(f"{base}/s/{expired}")
        assert response is not None and response.status == 410
        response = page.goto(f"{base}/s/{token[::-1]}")  # forged
        assert response is not None and response.status == 404
        assert response.headers["referrer-policy"] == "no-referrer"
        browser.close()
    with store.engine.connect() as conn:
        answers = conn.execute(text("SELECT score FROM surveys WHERE score IS NOT NULL"))
        assert list(answers.scalars()) == [surveys.SCALES[kind]]


def test_analytics_charts_csat_and_the_outbox_makes_a_link(demo_data: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.test_app import account, sign_in

    store = Store.from_settings(load_settings())
    token, _ = surveys.create(store, approved(store, prompt="draft_reply@v2"))
    surveys.answer(store, token, 4)
    account("지수", "lead")
    pages = Path(__file__).resolve().parent.parent / "pages"
    at = sign_in(
        AppTest.from_file(str(pages / "2_Analytics.py"), default_timeout=120).run(), "지수"
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["보낸 설문"] == "1" and metrics["평균 점수"] == "4.0"
    assert len(at.get("vega_lite_chart")) == 5  # over time + four breakdowns
    at = sign_in(AppTest.from_file(str(pages / "1_Outbox.py"), default_timeout=120).run(), "지수")
    at.button(key=f"survey_{review.outbox(store)[0].decision_id}").click().run()
    [link] = [i.value for i in at.info if "/s/" in i.value]
    made = link.rsplit("/s/", 1)[1]
    assert surveys.lookup(store, made).lang == "ko"
