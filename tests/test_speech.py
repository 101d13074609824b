"""Korean speech levels: the per-channel setting, conversion between 해요체 and 하십시오체, the
mixed-level rule K1, and F9 quiet on polite written Korean while 반말 is still caught."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import playbook, speech
from assistant.config import DEFAULT_KO_REGISTER, load_settings
from assistant.errors import InputError

REPO = Path(__file__).resolve().parent.parent

PAIRS = [  # (해요체, 하십시오체)
    ("확인해 드릴게요.", "확인해 드리겠습니다."),
    ("곧 연락드릴게요.", "곧 연락드리겠습니다."),
    ("편하게 말씀해 주세요.", "편하게 말씀해 주십시오."),
    ("알려 주시겠어요?", "알려 주시겠습니까?"),
    ("처리해 드렸어요.", "처리해 드렸습니다."),
    ("결제 내역은 설정에서 보실 수 있어요.", "결제 내역은 설정에서 보실 수 있습니다."),
    ("확인하셨어요?", "확인하셨습니까?"),
    ("도움이 되면 좋겠어요.", "도움이 되면 좋겠습니다."),
    ("불편하시겠어요.", "불편하시겠습니다."),
    ("기다려 주세요.", "기다려 주십시오."),
]


@pytest.mark.parametrize(("haeyo", "hapsyo"), PAIRS)
def test_conversion_round_trips_the_common_endings(haeyo: str, hapsyo: str) -> None:
    up = speech.convert(haeyo, "hapsyo")
    assert up.text == hapsyo and not up.left
    down = speech.convert(up.text, "haeyo")
    assert down.text == haeyo and not down.left
    assert [c.before for c in up.changes] and up.changes[0].after in hapsyo


def test_conversion_keeps_set_phrases_closings_and_what_it_cannot_convert() -> None:
    text = (
        "안녕하세요, 민지 고객님. 하루노트 고객지원팀 서지우입니다.\n"
        "- 처리 상태: 접수 완료\n"
        "도와드릴까요?\n"
        "잘 확인했어요.\n"
        "감사합니다.\n"
        "서지우 드림"
    )
    out = speech.convert(text, "hapsyo")
    assert out.text == text.replace("잘 확인했어요.", "잘 확인했습니다.")
    assert [left.sentence for left in out.left] == ["도와드릴까요?"]
    assert "하십시오체" in out.left[0].reason
    assert speech.convert(out.text, "hapsyo").changes == []  # already there: nothing to do


@pytest.mark.parametrize(
    ("sentence", "level"),
    [
        ("확인해 드릴게요.", "haeyo"),
        ("처리해 드렸습니다.", "hapsyo"),
        ("괜찮으세요?", "haeyo"),
        ("기다려 주십시오.", "hapsyo"),
        ("감사합니다.", None),
        ("참고 바랍니다.", None),
        ("하루노트 고객지원팀 서지우입니다.", None),
        ("서지우 드림", None),
        ("- 처리 상태: 접수 완료", None),
        ("## 환불 절차", None),
        ("확인해 볼게.", None),
    ],
)
def test_each_sentence_has_its_level_or_none(sentence: str, level: str | None) -> None:
    assert [s.level for s in speech.levels(sentence)] == [level]


POLITE = {
    "closing": "요청하신 환불을 접수했습니다. 결과는 내일 안내해 드리겠습니다.\n\n감사합니다.\n서지우 드림",
    "closing_ollim": "견적서를 첨부해 보내 드립니다.\n\n하루노트 고객지원팀 올림",
    "closing_baesang": "세금계산서를 발행해 드렸습니다.\n\n고객지원팀 서지우 배상",
    "noun_lines": "처리 현황을 안내해 드립니다.\n- 처리 상태: 접수 완료\n- 처리 결과: 환불 완료됨\n- 변경 사항 없음",
    "headers": "## 환불 절차\n[안내] 결제 취소\n결제 취소는 설정 > 구독에서 하실 수 있습니다.",
    "set_phrase": "자세한 내용은 아래 도움말을 참고 바랍니다.\n확인 부탁드립니다.",
}


@pytest.mark.parametrize("kind", sorted(POLITE))
def test_polite_written_korean_is_quiet(kind: str) -> None:
    found = playbook.check(POLITE[kind], channel="email", lang="ko", situations=[])
    assert not [f for f in found.findings if f.rule in ("F9", "K1")], found.findings


def test_banmal_is_still_an_error_next_to_a_closing() -> None:
    result = playbook.check("그건 안 돼. 다시 깔아 봐.\n\n서지우 드림", lang="ko", situations=[])
    f9 = [f for f in result.findings if f.rule == "F9"]
    assert [f.quote for f in f9] == ["돼", "봐"] and all(f.severity == "error" for f in f9)
    assert not result.ok


MIXED = (
    "문의하신 동기화 문제를 확인했습니다.\n"
    "담당 팀에 전달해 드릴게요.\n"
    "영업일 기준 2일 이내에 다시 연락드리겠습니다."
)


def test_a_reply_mixing_the_levels_warns_on_the_minority_with_a_fix() -> None:
    result = playbook.check(MIXED, channel="email", lang="ko", situations=[])
    k1 = [f for f in result.findings if f.rule == "K1"]
    assert [f.quote for f in k1] == ["담당 팀에 전달해 드릴게요."]
    assert k1[0].severity == "warning" and result.ok
    assert "'담당 팀에 전달해 드리겠습니다.'" in k1[0].fix and "하십시오체" in k1[0].fix
    english = playbook.check(MIXED, channel="email", lang="ko", situations=[], ui_lang="en")
    assert "this channel uses 하십시오체" in next(f.fix for f in english.findings if f.rule == "K1")


def test_when_the_minority_is_the_channels_level_the_fix_says_convert_the_rest() -> None:
    chat = playbook.check(MIXED, channel="chat", lang="ko", situations=[])
    k1 = [f for f in chat.findings if f.rule == "K1"]
    assert [f.quote for f in k1] == ["담당 팀에 전달해 드릴게요."]
    assert "해요체로 바꾸기" in k1[0].fix
    tie = "확인했어요.\n연락드리겠습니다."
    quoted = [
        f.quote for f in playbook.check(tie, channel="chat", lang="ko").findings if f.rule == "K1"
    ]
    assert quoted == ["연락드리겠습니다."]  # a tie: the sentence not in the channel's level


def test_converting_a_mixed_reply_makes_it_pass_k1() -> None:
    fixed = speech.convert(MIXED, "hapsyo").text
    assert "전달해 드리겠습니다." in fixed
    assert not [f for f in playbook.check(fixed, lang="ko").findings if f.rule == "K1"]


# ----- the setting -------------------------------------------------------------------------


def test_the_setting_has_per_channel_defaults_and_accepts_pairs() -> None:
    assert load_settings().ko_register == DEFAULT_KO_REGISTER
    assert DEFAULT_KO_REGISTER == {
        "email": "hapsyo",
        "review": "hapsyo",
        "chat": "haeyo",
        "x": "haeyo",
        "instagram": "haeyo",
        "facebook": "haeyo",
    }
    assert load_settings(ko_register="chat=hapsyo").ko_register_for("chat") == "hapsyo"
    assert set(load_settings(ko_register="haeyo").ko_register.values()) == {"haeyo"}
    with pytest.raises(InputError, match="unknown speech level 'formal'") as err:
        load_settings(ko_register="email=formal")
    assert err.value.where == "setting ko_register"


def _cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", **env}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full,
        cwd=REPO,
        timeout=300,
    )


def test_the_offline_drafter_writes_in_the_channels_level(demo_data: Path) -> None:
    env = {"ASSISTANT_DATA_DIR": str(demo_data)}
    message = "구독 해지하고 싶어요. 어디서 하나요?"
    drafts = {}
    for channel, extra in (
        ("chat", {}),
        ("email", {}),
        ("chat", {"ASSISTANT_KO_REGISTER": "chat=hapsyo"}),
    ):
        out = _cli("draft", "--json", "--channel", channel, message, env={**env, **extra})
        assert out.returncode == 0, out.stderr
        draft = json.loads(out.stdout)
        drafts[(channel, bool(extra))] = draft["draft"]
        assert not [f for f in draft["findings"] if f["rule"] in ("F9", "K1")]
    used = {key: {s.level for s in speech.levels(text)} - {None} for key, text in drafts.items()}
    assert used == {
        ("chat", False): {"haeyo"},
        ("email", False): {"hapsyo"},
        ("chat", True): {"hapsyo"},
    }


def test_the_check_command_holds_a_reply_to_the_channels_level(tmp_path: Path) -> None:
    env = {"ASSISTANT_DATA_DIR": str(tmp_path / "none")}
    out = _cli("check", "-", "--json", "--channel", "chat", "--lang", "ko", env=env, stdin=MIXED)
    assert out.returncode in (0, 1), out.stderr
    result = json.loads(out.stdout)
    k1 = [f for f in result["findings"] if f["rule"] == "K1"]
    assert result["ok"] and [f["quote"] for f in k1] == ["담당 팀에 전달해 드릴게요."]
    assert k1[0]["severity"] == "warning"


# ----- macros and prompts follow the level -------------------------------------------------


def test_a_korean_macro_is_inserted_in_the_reply_channels_level(demo_data: Path) -> None:
    from assistant.knowledge import KnowledgeBase
    from assistant.macros import Macro, Team, insert_into, save
    from assistant.store import Store
    from tests.actors import actor

    settings = load_settings(data_dir=demo_data)
    store, team = Store.from_settings(settings), Team.of(KnowledgeBase(settings), settings)
    body = "{{ customer.name }} 고객님, 환불 요청 잘 받았습니다. 결과는 바로 안내해 드리겠습니다."
    save(store, Macro(name="refund-ack", lang="ko", title="환불 접수", body=body), team,
         actor=actor("lead"))  # fmt: skip
    chat = insert_into(store, "refund-ack", "", team, customer={"name": "정현우"}, agent="서지우",
                       draft_id=None, register=settings.ko_register_for("chat"))  # fmt: skip
    assert chat == "정현우 고객님, 환불 요청 잘 받았어요. 결과는 바로 안내해 드릴게요."
    email = insert_into(store, "refund-ack", "", team, customer={"name": "정현우"},
                        agent="서지우", draft_id=None, register="hapsyo")  # fmt: skip
    assert email.endswith("바로 안내해 드리겠습니다.")


def test_prompt_v3_states_the_level_and_the_mock_model_follows_it() -> None:
    from assistant import prompts
    from assistant.llm.mock import mock_reply

    ctx = dict(
        message="결제가 두 번 됐어요",
        language="ko",
        char_limit=None,
        customer=None,
        history="",
        sources=[
            {
                "title": "SSO",
                "url": "https://help.harunotes.example/en/articles/team-sso",
                "text": "Set up SSO.",
                "lang": "en",
            }
        ],  # fmt: skip
        situations=["S2"],
        required=["R1", "R3", "R5"],
        style=None,
        feedback=[],
        today="2026-12-01",
        agent_name="서지우",
        company="하루노트",
    )
    chat = prompts.render("draft_reply", "v3", channel="chat", register="haeyo", **ctx)
    assert "Speech level for this channel: 해요체" in chat[0]["content"]
    assert "never mix 해요체 and 하십시오체" in chat[0]["content"]
    assert "(in English: the help center has no version" in chat[1]["content"]
    email = prompts.render("draft_reply", "v3", channel="email", register="hapsyo", **ctx)
    assert "Speech level for this channel: 하십시오체" in email[0]["content"]
    assert {s.level for s in speech.levels(mock_reply(chat, "chat"))} - {None} == {"haeyo"}
    assert {s.level for s in speech.levels(mock_reply(email, "email"))} - {None} == {"hapsyo"}
    older = prompts.render("draft_reply", "v2", channel="chat", **ctx)
    assert {s.level for s in speech.levels(mock_reply(older, "chat"))} - {None} == {"hapsyo"}
