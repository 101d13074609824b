"""Triage: language, playbook situations, sentiment, urgency and spam, in Korean and English."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant import llm
from assistant.config import Settings, load_settings
from assistant.errors import InputError
from assistant.evals.triage import evaluate_triage, load_cases, polarity
from assistant.models import SITUATIONS
from assistant.text import detect_language
from assistant.triage import detect_situations, is_spam, sentiment, triage
from tests.fakellm import FakeLLM

EVALS = Path(__file__).resolve().parent.parent / "evals"

# One fresh message per situation and language (not in the labelled sets).
SITUATION_CASES = [
    ("S1", "ko", "아 진짜 열받네요. 고객센터는 뭐하는 곳이에요? 답답해 죽겠어요"),
    ("S1", "en", "This is ridiculous. I'm sick of waiting for an answer from you people."),
    ("S2", "ko", "웹에서 결제한 플러스 요금 환불 가능할까요? 3일 전에 결제했어요"),
    ("S2", "en", "I'd like my money back for the yearly plan I bought last week."),
    ("S3", "ko", "다음 달부터는 구독 취소해 주세요. 잘 썼습니다"),
    ("S3", "en", "Please cancel my Plus subscription at the end of this month."),
    ("S4", "ko", "맥 앱에서 노트를 저장하면 에러 메시지가 떠요"),
    ("S4", "en", "The Windows app freezes whenever I paste an image into a note."),
    ("S5", "ko", "웹 클리퍼에 보안 취약점이 있는 것 같아 제보드립니다"),
    ("S5", "en", "Could you give our school a discount on the Team plan?"),
    ("S6", "ko", "노트북 이름은 어디서 바꿀 수 있나요?"),
    ("S6", "en", "How can I move a note to another notebook?"),
    ("S7", "ko", "저만 그런가요? 다른 분들도 아침부터 동기화가 안 된다고 하네요"),
    ("S7", "en", "Sync is failing for everyone in my office since this morning."),
    ("S8", "ko", "잠긴 노트 기능 정말 만족하면서 쓰고 있어요. 감사합니다!"),
    ("S8", "en", "Love the new web clipper, it's perfect for my research. Thanks!"),
]


@pytest.mark.parametrize(("situation", "language", "text"), SITUATION_CASES)
def test_each_situation_is_found_in_both_languages(
    situation: str, language: str, text: str
) -> None:
    result = triage(text)
    assert result.language == language
    assert situation in result.situations
    assert not result.spam


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("진짜 짜증나네요 ㅡㅡ 결제했는데 환불해 주세요", ["S1", "S2"]),
        ("Your support is useless. Refund me and cancel my account.", ["S1", "S2", "S3"]),
        ("정말 편하게 잘 쓰고 있어요! 근데 태그 색깔 바꾸는 방법이 있나요?", ["S6", "S8"]),
    ],
)
def test_several_situations_in_playbook_order(text: str, expected: list[str]) -> None:
    assert triage(text).situations == expected


def test_standalone_functions_agree_with_triage() -> None:
    text = "The app crashes when I open a shared notebook"
    result = triage(text)
    assert detect_situations(text, "en") == result.situations == ["S4"]
    assert sentiment(text) == result.sentiment


@pytest.mark.parametrize(
    ("text", "language", "situation"),
    [
        ("iOS 앱에서 sync가 안 돼요. login도 자꾸 풀려요", "ko", "S4"),
        ("Hi, the export 버튼 does nothing, the app is broken", "en", "S4"),
        ("@harunotes refund 해주세요", "ko", "S2"),
        (
            "이 글 https://help.harunotes.example/en/articles/export-notes 보고 했는데도 안 돼요",
            "ko",
            "S4",
        ),
    ],
)
def test_mixed_korean_and_english(text: str, language: str, situation: str) -> None:
    result = triage(text)
    assert result.language == language
    assert situation in result.situations


def test_urls_and_handles_do_not_decide_the_language() -> None:
    assert detect_language("support@harunotes.example 로 보냈는데 답이 없어요") == "ko"
    assert detect_language("@harunotes @harunotes_help 동기화 문제 확인 부탁드려요") == "ko"
    assert detect_language("Sent it to support@harunotes.example, no answer yet") == "en"


@pytest.mark.parametrize(
    ("negative", "positive"),
    [
        ("앱이 안 좋아요", "앱이 좋아요"),
        ("I'm not happy with the new editor", "I'm happy with the new editor"),
        ("동기화가 또 실패했어요 ㅠㅠ", "동기화 빨라져서 좋아요 ^^"),
    ],
)
def test_sentiment_polarity_and_negation(negative: str, positive: str) -> None:
    assert sentiment(negative) < -0.1
    assert sentiment(positive) > 0.1


def test_intensifiers_and_anger_make_sentiment_stronger() -> None:
    assert sentiment("정말 좋아요") > sentiment("좋아요")
    assert sentiment("This is really bad") < sentiment("This is bad")
    assert triage("최악이에요 ㅡㅡ 장난하나").sentiment <= -0.6


@pytest.mark.parametrize(
    "text",
    ["", "   ", "👍👍👍", "ㅠㅠㅠㅠㅠㅠ" * 20, "Awesome amazing perfect love thanks " * 30],
)
def test_sentiment_stays_in_range_with_two_decimals(text: str) -> None:
    score = triage(text).sentiment
    assert -1.0 <= score <= 1.0
    assert round(score, 2) == score


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("결제가 두 번 됐어요. 확인해 주세요", "high"),
        ("급해요!! 내일 발표 자료가 든 노트가 안 열려요", "high"),
        ("I will contact my lawyer about this charge.", "high"),
        ("All my notes disappeared after logging in on a new phone.", "high"),
        ("Haru Notes is down for me and my whole team right now", "high"),
        ("Thank you so much, the team is great!", "low"),
        ("How do I add a tag to a note?", "low"),
        ("태그 필터가 가끔 안 돼요", "normal"),
        ("Can you cancel my plan?", "normal"),
    ],
)
def test_urgency(text: str, expected: str) -> None:
    assert triage(text).urgency == expected


@pytest.mark.parametrize(
    "text",
    [
        "선팔하면 맞팔 갑니다~ 인스타 친구 구해요",
        "부업으로 한 달에 300 버는 법 👉 http://easy-money.example/join",
        "Win free crypto now, join our airdrop today!!!",
        "check out my channel for cat videos http://catz.example",
        "Notion's new database view is so slow today",
        "날씨 좋다 산책 가야지",
    ],
)
def test_spam_and_not_for_us(text: str) -> None:
    result = triage(text)
    assert result.spam is True
    assert result.situations == []
    assert is_spam(text)


@pytest.mark.parametrize(
    "text",
    [
        "에버노트에서 가져온 노트 태그가 다 빠졌어요",
        "I read https://help.harunotes.example/en/articles/sync but sync still fails",
        "Thanks!",
    ],
)
def test_real_customers_are_not_spam(text: str) -> None:
    assert triage(text).spam is False


def test_links_under_the_own_domain_setting_are_not_foreign() -> None:
    from assistant.config import load_settings

    text = "can you look at https://acme.example/page"
    assert is_spam(text)  # a link to some other site and nothing about us
    load_settings(own_domain="acme.example")
    assert not is_spam(text)


def test_contract_shape() -> None:
    contract = triage("환불해 주세요").contract()
    assert set(contract) == {"language", "situations", "sentiment", "urgency"}
    assert json.loads(json.dumps(contract, ensure_ascii=False)) == contract
    assert contract["language"] == "ko"
    assert all(s in SITUATIONS for s in contract["situations"])
    assert contract["urgency"] in {"high", "normal", "low"}


def test_triage_is_deterministic() -> None:
    text = "업데이트 후 노트가 사라졌어요 ㅠㅠ 다른 사람들도 그렇대요"
    assert triage(text) == triage(text)


def _model_settings(fake: FakeLLM) -> Settings:
    return load_settings(model="openai/fake", api_base=fake.api_base, max_retries=1)


def test_model_answer_is_used_when_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    answer = '{"language": "en", "situations": ["S8", "S2"], "sentiment": 2, "urgency": "low"}'
    with FakeLLM(default=answer) as fake:
        result = triage(
            "whatever the customer wrote", model="openai/fake", settings=_model_settings(fake)
        )
    assert result.situations == ["S2", "S8"]
    assert result.sentiment == 1.0
    assert result.urgency == "low"


@pytest.mark.parametrize("answer", ["not json at all", '{"situations": "S1"', "boom"])
def test_model_failure_falls_back_to_rules(monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.01)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    text = "두 번 결제됐어요 환불해 주세요"
    with FakeLLM(default=answer) as fake:
        if answer == "boom":
            for _ in range(2):
                fake.enqueue_fault(500)
        assert triage(text, model="openai/fake", settings=_model_settings(fake)) == triage(text)
        assert len(fake.requests) == 2  # one retry, then the rules


# --- the labelled set ------------------------------------------------------------------------


def test_labelled_set_covers_every_situation_in_both_languages() -> None:
    cases = load_cases(EVALS / "triage.jsonl")
    assert len(cases) >= 60
    languages = Counter(c["language"] for c in cases)
    assert min(languages["ko"], languages["en"]) >= 0.4 * len(cases)
    per_situation = Counter(s for c in cases for s in c["situations"])
    assert all(per_situation[s] >= 5 for s in SITUATIONS)
    assert sum(len(c["situations"]) > 1 for c in cases) >= 5
    assert sum(bool(c.get("spam")) for c in cases) >= 5
    assert len({c["id"] for c in cases}) == len(cases)


def test_labelled_set_meets_targets() -> None:
    report = evaluate_triage(EVALS / "triage.jsonl")
    assert report["language_accuracy"] == 1.0, report["misses"]
    assert report["situation_accuracy"] >= 0.9, report["misses"]
    assert report["sentiment_accuracy"] >= 0.85, report["misses"]
    assert report["urgency_accuracy"] >= 0.85, report["misses"]


def test_held_out_set_language_and_floor() -> None:
    report = evaluate_triage(EVALS / "triage_holdout.jsonl")
    assert report["cases"] >= 15
    assert report["language_accuracy"] == 1.0, report["misses"]
    assert report["situation_accuracy"] >= 0.8, report["misses"]


def test_second_development_set_meets_targets() -> None:
    report = evaluate_triage(EVALS / "triage_dev2.jsonl")
    assert report["cases"] >= 50
    assert report["language_accuracy"] == 1.0, report["misses"]
    assert report["situation_accuracy"] >= 0.9, report["misses"]


def test_blind_set_does_not_regress() -> None:
    # Written before the rules were reworked and measured once afterwards (0.917 exact-set
    # situation accuracy, language 1.0); the rules were not tuned on it. This is a floor.
    report = evaluate_triage(EVALS / "triage_blind.jsonl")
    assert report["cases"] >= 60
    assert report["language_accuracy"] == 1.0, report["misses"]
    assert report["situation_accuracy"] >= 0.9166, report["misses"]


# Frames rather than phrases: each message below says its situation without the usual word.
@pytest.mark.parametrize(
    ("text", "situation"),
    [
        ("태그 검색하면 결과가 하나도 없어요. 노트엔 분명 있는데", "S4"),
        ("데스크톱 앱 켜면 빈 화면만 나와요", "S4"),
        ("설정 바꿔도 다시 켜면 원래대로 안 바뀌어 있어요", "S4"),
        ("the notebook list comes up empty on web", "S4"),
        ("sharing settings don't save, they switch back to private", "S4"),
        ("your store took my card twice for one Plus month", "S2"),
        ("카드 내역에 2건 찍혔네요 한 건은 다시 넣어 주세요", "S2"),
        ("Wow, love how every update logs me out 👏", "S1"),
        ("이런 식이면 리뷰에 다 쓸 거예요", "S1"),
        ("Could we get a nonprofit rate for our 30 seats?", "S5"),
        ("Can you email me a receipt for May?", "S6"),
        ("half of our office can't open shared notes right now", "S7"),
    ],
)
def test_situation_frames_without_the_usual_words(text: str, situation: str) -> None:
    result = triage(text)
    assert situation in result.situations, result
    assert not result.spam


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Thanks for fixing the sync bug so quickly!", "S4"),
        ("다음 달부터는 결제 안 되게 해 주세요", "S4"),
        ("I can't find the option to change the font", "S4"),
        ("There's a billing error, I paid $9.98 instead of $4.99", "S4"),
        ("어제 가입했는데 하나도 안 썼어요. 환불해 주세요", "S4"),
    ],
)
def test_look_alikes_are_not_that_situation(text: str, absent: str) -> None:
    assert absent not in triage(text).situations


@pytest.mark.parametrize(
    "text",
    [
        "영수증 발급 가능한가요? 회사 제출용이에요",
        "Please send the invoice for March to accounting.",
    ],
)
def test_document_requests_are_not_spam(text: str) -> None:
    result = triage(text)
    assert result.spam is False
    assert result.situations == ["S6"]


def test_evaluation_counts_precision_and_recall(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    rows = [
        {"id": "a", "text": "환불해 주세요", "language": "ko", "situations": ["S2"]},
        {"id": "b", "text": "How do I export notes?", "language": "en", "situations": ["S4"]},
    ]
    path.write_text(
        "\n".join(json.dumps(r | {"sentiment": "neu", "urgency": "normal"}) for r in rows)
    )
    report = evaluate_triage(path)
    assert report["situation_accuracy"] == 0.5
    assert report["per_situation"]["S4"]["recall"] == 0.0
    assert report["per_situation"]["S6"]["precision"] == 0.0
    assert [m["id"] for m in report["misses"]] == ["b"]


def test_bad_labelled_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "a", "text": "x", "language": "en"}\n{broken\n')
    with pytest.raises(InputError, match=r"cases.jsonl:1"):
        load_cases(path)


def test_polarity_thresholds() -> None:
    assert [polarity(x) for x in (-0.5, 0.0, 0.5)] == ["neg", "neu", "pos"]
