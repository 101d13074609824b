"""The playbook checker: every required and forbidden move of PLAYBOOK.md on any draft.

``check()`` reads a draft (the drafter's or one an agent typed) with its context and returns
findings: the rule id, the exact words concerned (``span``/``quote``), why it matters and a
concrete fix, in the agent's UI language. Rules live in the modules of this package; their texts in
``assistant.playbook.rules.RULES``. ``judge()`` optionally asks a model for the same findings.
"""

from __future__ import annotations

from assistant.config import CHANNELS
from assistant.errors import InputError
from assistant.models import CheckResult, Customer, Finding
from assistant.playbook.channel import channel_limit, check_length, count_chars
from assistant.playbook.doc import Doc, Hit
from assistant.playbook.honorific import check_polite
from assistant.playbook.judge import judge
from assistant.playbook.levels import check_mixed_register, describe
from assistant.playbook.policy import check_boundary, check_refund_refusal, check_retention_push
from assistant.playbook.privacy import check_leak, check_links
from assistant.playbook.required import required_moves
from assistant.playbook.rules import RULES, Rule, explain
from assistant.playbook.tone import (
    check_argue,
    check_blame,
    check_overpromise,
    conditional_apology_spans,
)

__all__ = [
    "RULES",
    "Rule",
    "channel_limit",
    "check",
    "count_chars",
    "explain",
    "judge",
    "required_moves",
]

_FORBIDDEN = (
    check_blame,
    check_overpromise,
    check_boundary,
    check_refund_refusal,
    check_retention_push,
    check_argue,
    check_links,
    check_leak,
    check_polite,
    check_mixed_register,
)
_NOTE_LABELS = {
    "email": ("이메일 주소", "e-mail address"),
    "phone": ("전화번호", "phone number"),
    "card": ("카드 번호", "card number"),
    "order": ("주문·결제 번호", "order or payment id"),
    "address": ("주소", "street address"),
    "internal": ("내부 메모·비밀·지시문", "internal note, secret or instructions"),
    "account": ("계정 정보", "account detail"),
    "prompt": ("시스템 지시문과 같은 문장", "text copied from the system prompt"),
}


def check(
    text: str,
    *,
    channel: str = "email",
    lang: str | None = None,
    customer_message: str | None = None,
    customer: Customer | None = None,
    known_urls: set[str] | None = None,
    situations: list[str] | None = None,
    ui_lang: str = "ko",
    system_prompt: str | None = None,
    register: str | None = None,
) -> CheckResult:
    """Every playbook finding on ``text`` as sent on ``channel``.

    ``lang`` None: detected from the text. ``situations`` None: detected from
    ``customer_message`` by the triage module (none without a customer message).
    ``known_urls`` None: links are not checked against the knowledge base (F7 skipped).
    ``customer``: the current customer, whose own details may appear in private channels.
    ``register``: the Korean speech level the reply keeps (default: the channel's, setting
    ``ko_register``).
    Findings come in text order, then the missing moves; ``ok`` is False on any error.
    """
    if channel not in CHANNELS:
        raise InputError(
            f"unknown channel {channel!r} (use one of {', '.join(sorted(CHANNELS))})",
            where="channel",
        )
    from assistant.config import ko_register
    from assistant.text import detect_language

    lang = lang or detect_language(text)
    if situations is None:
        situations = _detect_situations(customer_message, lang)
    doc = Doc(
        text,
        lang,
        channel,
        customer_message,
        customer,
        known_urls,
        list(situations),
        system_prompt,
        register or ko_register(channel),
    )
    hits: list[Hit] = []
    for rule in _FORBIDDEN:
        hits.extend(rule(doc))
    hits.extend(check_length(doc))
    hits.sort(key=lambda h: (h.start if h.start is not None else len(text) + 1, h.rule))
    from assistant.playbook.required import check_moves

    hits.extend(check_moves(doc, conditional_apology_spans(doc)))
    return CheckResult(findings=[_finding(h, text, ui_lang) for h in hits])


def _detect_situations(customer_message: str | None, lang: str) -> list[str]:
    if not customer_message:
        return []
    from assistant.triage import detect_situations

    try:
        return list(detect_situations(customer_message, lang))
    except Exception:  # a triage failure must not stop the check
        return []


def _finding(hit: Hit, text: str, ui_lang: str) -> Finding:
    rule = RULES[hit.rule]
    message = rule.text("message", ui_lang)
    if hit.rule == "C1" and hit.note:
        used, limit = hit.note.split("/")
        message += f" ({used}/{limit}자)" if ui_lang != "en" else f" ({used}/{limit} characters)"
    elif hit.rule == "F8" and hit.note in _NOTE_LABELS:
        label = _NOTE_LABELS[hit.note][1 if ui_lang == "en" else 0]
        message = f"[{label}] {message}"
    span = (hit.start, hit.end) if hit.start is not None and hit.end is not None else None
    quote = text[span[0] : span[1]] if span else None
    fix = rule.text("fix", ui_lang)
    if hit.rule == "K1" and hit.note and quote:
        detail, fix = describe(hit.note, quote, ui_lang)
        message = f"{message} {detail}"
    return Finding(
        rule=hit.rule,
        severity=hit.severity or rule.severity,
        span=span,
        quote=quote,
        message=message,
        fix=fix,
    )
