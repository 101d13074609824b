"""Every playbook rule's name, default severity and the words shown to the agent (ko/en).

This is the one place where rule text lives: the checker, the UI and the prompts read it
from here. Rule ids are stable (PLAYBOOK.md). K1 (``mixed_register``) starts a family of its
own beside C1: it holds a Korean reply to the speech level the team chose for the channel
(setting ``ko_register``), a house style rather than a move the playbook forbids; T1
(``translation_mismatch``) compares a reply with the version its agent wrote in another
language. Texts name the brand as ``{company}``,
``{company_ko}`` and ``{own_domain}``; :meth:`Rule.text` fills in the brand in force.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.config import brand
from assistant.models import Severity


@dataclass(frozen=True)
class Rule:
    """One playbook rule: id, short name, default severity, why it matters and how to fix it."""

    id: str
    name: str
    severity: Severity
    message: dict[str, str]
    fix: dict[str, str]

    def text(self, field: str, ui_lang: str) -> str:
        """``message`` or ``fix`` in ``ui_lang`` (Korean unless English is asked for), with the
        brand in force filled in."""
        table = self.message if field == "message" else self.fix
        now = brand()
        return table["en" if ui_lang == "en" else "ko"].format(
            company=now.company, company_ko=now.company_ko, own_domain=now.own_domain
        )


def _r(id_: str, name: str, sev: Severity, msg: tuple[str, str], fix: tuple[str, str]) -> Rule:
    return Rule(id_, name, sev, {"ko": msg[0], "en": msg[1]}, {"ko": fix[0], "en": fix[1]})


_RULES = [
    _r(
        "R1",
        "confirm",
        "warning",
        (
            "고객님의 문의 내용을 다시 짚어 주지 않았습니다. 고객은 자신의 문제가 정확히 이해되었는지 확인받고 싶어 합니다.",
            "The reply does not restate the customer's issue, so they cannot tell it was understood.",
        ),
        (
            "첫머리에서 문제를 고객님의 표현 그대로 요약하세요: '말씀하신 대로 아이폰에서 작성한 노트가 웹에 동기화되지 않는 문제를 확인했습니다.'",
            "Open by restating the problem in their words: 'You mentioned that notes written on your iPhone "
            "do not sync to the web app.'",
        ),
    ),
    _r(
        "R2",
        "link",
        "warning",
        (
            "도움말 문서 링크가 없습니다. 고객이 스스로 해결할 수 있도록 관련 문서를 안내해야 합니다.",
            "No help-center link: point the customer to the article that lets them help themselves.",
        ),
        (
            "지식베이스에 있는 관련 문서 주소를 붙이세요: '자세한 방법은 https://help.{own_domain}/ko/articles/<문서> 에서 보실 수 있습니다.'",
            "Add the matching knowledge-base article: 'Step-by-step instructions are here: "
            "https://help.{own_domain}/en/articles/<slug>.'",
        ),
    ),
    _r(
        "R3",
        "thank",
        "warning",
        (
            "감사 인사가 없습니다. 문의·제보·기다림에 대한 감사는 관계를 지켜 줍니다.",
            "No thanks: thank the customer for writing, reporting or waiting.",
        ),
        (
            "'문의해 주셔서 감사합니다.' 또는 '기다려 주셔서 감사합니다.'처럼 구체적으로 감사를 전하세요.",
            "Add a specific thank-you: 'Thank you for reporting this' or 'Thanks for your patience.'",
        ),
    ),
    _r(
        "R4",
        "apologise",
        "warning",
        (
            "불편에 대한 사과가 없습니다. 작은 불편이라도 진심으로, 구체적으로 사과해야 합니다.",
            "No apology: even a small inconvenience deserves a sincere, specific apology.",
        ),
        (
            "책임을 돌리지 않는 구체적인 사과를 넣으세요: '동기화 문제로 불편을 드려 죄송합니다.'",
            "Add a specific apology without blame: 'I'm sorry the sync problem held up your work.'",
        ),
    ),
    _r(
        "R5",
        "next",
        "warning",
        (
            "다음 단계와 시점이 없습니다. 누가 무엇을 언제까지 하는지 모르면 고객은 기다리기만 하게 됩니다.",
            "No next step with a time: without who does what and when, the customer is left waiting.",
        ),
        (
            "할 일과 정직한 기한을 함께 쓰세요: '담당 팀에 확인하여 영업일 기준 2일 이내에 다시 연락드리겠습니다.'",
            "State the action and an honest window: 'I'll check with the sync team and get back to you "
            "within two business days.'",
        ),
    ),
    _r(
        "R6",
        "greet",
        "warning",
        (
            "인사나 상담원 소개가 없습니다. 고객은 티켓이 아니라 사람과 이야기하고 있다고 느껴야 합니다.",
            "No greeting or agent introduction: the customer should feel they are talking to a person.",
        ),
        (
            "이름을 불러 인사하고 자신을 소개하세요: '안녕하세요, 민지 고객님. {company_ko} 고객지원팀 김하나입니다.'",
            "Greet by name and introduce yourself: 'Hi Alex, this is Sam from the {company} support team.'",
        ),
    ),
    _r(
        "F1",
        "blame",
        "error",
        (
            "고객의 잘못이나 '있을 수 없는 일'로 돌리는 표현입니다. 고객이 본 현상을 부정하면 신뢰를 잃습니다.",
            "This blames the customer or denies what they saw; it costs their trust.",
        ),
        (
            "의심 대신 재현에 필요한 정보를 요청하세요: '확인을 위해 사용하신 기기와 앱 버전, 재현 순서를 알려 주시겠어요?'",
            "Ask for details instead of doubting: 'Could you tell me your device, app version and the "
            "steps that led to this, so we can reproduce it?'",
        ),
    ),
    _r(
        "F2",
        "overpromise",
        "error",
        (
            "상담원이 결정할 수 없는 날짜·보장·기능 추가를 약속하고 있습니다. 지키지 못하면 더 큰 불만이 됩니다.",
            "This commits to a date, guarantee or feature the agent cannot decide; a broken promise "
            "hurts more than none.",
        ),
        (
            "약속 대신 확인 후 안내 가능한 시점을 말씀드리세요: '담당 팀에 확인하여 목요일까지 다시 연락드리겠습니다.'",
            "Promise only what you control: 'I'll check with the team responsible and update you by "
            "Thursday.'",
        ),
    ),
    _r(
        "F3",
        "boundary",
        "error",
        (
            "가격·할인·법적·보안·로드맵 문제에 대해 권한 없이 가능/불가능을 단정하고 있습니다.",
            "This says yes or no on pricing, discounts, legal, security or the roadmap without the "
            "team responsible.",
        ),
        (
            "담당 팀으로 넘기고 회신 시점을 알려 드리세요: '이 부분은 제가 결정할 수 없어 결제 담당 팀에 확인한 뒤 목요일까지 답변드리겠습니다.'",
            "Defer to the owner with a time: 'I can't decide this myself; I'll ask our billing team and "
            "get back to you by Thursday.'",
        ),
    ),
    _r(
        "F4",
        "refund_refusal",
        "error",
        (
            "이유를 묻거나 대안을 제시하지 않고 환불을 거절하고 있습니다.",
            "This refuses a refund outright, without asking why or offering an alternative.",
        ),
        (
            "사유를 여쭙고 정책과 대안을 함께 안내하세요: '어떤 점이 불편하셨는지 알려 주시면, 환불 정책에 따라 가능한 방법(스토어 환불 요청 또는 이용 기간 연장)을 안내해 드리겠습니다.'",
            "Ask the reason and give the policy path or an alternative: 'Could you tell me what went "
            "wrong? Purchases made in the App Store are refunded by Apple; I can show you how to "
            "request it.'",
        ),
    ),
    _r(
        "F5",
        "retention_push",
        "error",
        (
            "해지를 요청한 고객에게 해지 처리를 확인해 드리기 전에 붙잡는 말을 하고 있습니다.",
            "This tries to keep a customer who asked to cancel before confirming the cancellation.",
        ),
        (
            "먼저 요청대로 처리됨을 확인하세요: '요청하신 대로 구독을 해지해 드렸습니다.' 그 뒤에 필요하면 도움을 제안하세요.",
            "Confirm first: 'I've cancelled your subscription as you asked.' Offer help only after that.",
        ),
    ),
    _r(
        "F6",
        "argue",
        "warning",
        (
            "방어적이거나 따지는 말투, 또는 비꼬는 표현입니다. 화난 고객과 논쟁하면 상황이 나빠집니다.",
            "Defensive, argumentative or sarcastic tone; arguing with an upset customer makes it worse.",
        ),
        (
            "공감하고 다시 정리해 드리세요: '혼란을 드려 죄송합니다. 다시 한번 단계별로 정리해 드리겠습니다.'",
            "Empathise and restate calmly: 'I'm sorry this has been confusing; here are the steps "
            "again.'",
        ),
    ),
    _r(
        "F7",
        "fabricated_link",
        "error",
        (
            "지식베이스에 없는 링크입니다. 존재하지 않는 주소는 고객을 막다른 길로 보냅니다.",
            "This link is not in the knowledge base; an invented address sends the customer nowhere.",
        ),
        (
            "검색된 도움말 문서의 주소만 쓰거나 링크를 지우세요.",
            "Use only URLs of the help-center articles found for this reply, or remove the link.",
        ),
    ),
    _r(
        "F8",
        "leak",
        "error",
        (
            "개인정보·내부 메모·시스템 지시문이 노출됩니다. 다른 고객의 정보나 공개 채널의 계정 정보는 절대 보내면 안 됩니다.",
            "This exposes personal data, internal notes or instructions; never send another customer's "
            "data or account details in public.",
        ),
        (
            "해당 부분을 지우세요. 공개 채널이라면 '자세한 확인을 위해 DM이나 support@{own_domain}로 연락 부탁드립니다.'처럼 비공개 채널로 안내하세요.",
            "Remove it. In public, invite them to a private channel: 'Please DM us or write to "
            "support@{own_domain} so we can look at your account.'",
        ),
    ),
    _r(
        "F9",
        "impolite_ko",
        "error",
        (
            "존댓말이 아닌 반말 종결 어미입니다. 한국어 답변은 항상 '-습니다/-요'체로 써야 합니다.",
            "Korean sentence in casual speech (반말); Korean replies must use polite endings.",
        ),
        (
            "문장 끝을 존댓말로 바꾸세요: '확인해 볼게' → '확인해 보겠습니다', '안 돼' → '어렵습니다'.",
            "Use polite endings: '확인해 볼게' → '확인해 보겠습니다'.",
        ),
    ),
    _r(
        "K1",
        "mixed_register",
        "warning",
        (
            "해요체와 하십시오체가 한 답변에 섞여 있습니다. 말투가 문장마다 바뀌면 성의 없이 쓴 답변처럼 읽힙니다.",
            "The reply mixes 해요체 and 하십시오체; a reply whose speech level changes from "
            "sentence to sentence reads careless.",
        ),
        (
            "이 채널의 말투로 문장 끝을 맞추세요: '확인해 드릴게요' ↔ '확인해 드리겠습니다'.",
            "End every sentence in this channel's level: '확인해 드릴게요' ↔ '확인해 드리겠습니다'.",
        ),
    ),
    _r(
        "T1",
        "translation_mismatch",
        "error",
        (
            "번역한 답변의 숫자·금액·날짜·시각·링크·주소·번호·약속이 원문과 다릅니다. 고객은 번역된 글만 봅니다.",
            "The translated reply's numbers, amounts, dates, times, links, addresses, ids or "
            "promises differ from the original; the customer only sees the translation.",
        ),
        (
            "고객에게 보낼 글을 원문과 같게 고치거나, 원문을 고친 뒤 다시 번역하세요.",
            "Correct the customer version to match the original, or fix the original and "
            "translate again.",
        ),
    ),
    _r(
        "C1",
        "length",
        "error",
        ("채널 글자 수 제한을 넘었습니다.", "The reply is longer than the channel allows."),
        (
            "핵심(확인·감사·사과·링크)만 남기고 줄이거나, 자세한 내용은 비공개 채널로 안내하세요.",
            "Cut to the essentials (confirm, thank, apologise, link) or move details to a private "
            "channel.",
        ),
    ),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def explain(rule_id: str, ui_lang: str = "ko") -> str:
    """Why a rule matters and how to fix it, in ``ui_lang``; an unknown id raises ``KeyError``."""
    rule = RULES[rule_id]
    label = "고치는 방법" if ui_lang != "en" else "How to fix"
    return f"{rule.id} {rule.name}: {rule.text('message', ui_lang)}\n{label}: {rule.text('fix', ui_lang)}"
