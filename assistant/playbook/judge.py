"""An optional LLM judge: asks a model for playbook findings in the checker's own shape.

The prompt (``prompts/playbook_judge/``) gives the model the rules (ids, names, meanings) and
the draft, the channel, the situations and the customer message in fenced blocks; the call
goes through :func:`assistant.llm.complete_json` (retries, fallbacks, redaction, scrubbed
errors) and the answer is parsed as :class:`JudgeAnswer`,
``{"findings": [{"rule", "quote", "message", "fix"}]}``. Quotes are located in the draft to
give spans; a finding whose quote is not in the draft keeps ``span`` None; unknown rule ids
are dropped. A failed call or a malformed answer is a ModelError.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from assistant.models import Finding
from assistant.playbook.rules import RULES

if TYPE_CHECKING:
    from assistant.config import Settings

TEMPLATE = "playbook_judge"
SHOWN = ("channel", "situations", "customer_message")
"""What the judge may be shown besides the draft."""


class JudgeFinding(BaseModel):
    """One finding as the judge reports it."""

    rule: str
    quote: str | None = None
    message: str | None = None
    fix: str | None = None


class JudgeAnswer(BaseModel):
    """What the judge prompt asks the model for."""

    findings: list[JudgeFinding]


def judge_messages(
    text: str, rules: list[str], *, version: str | None = None, **shown: Any
) -> list[dict[str, str]]:
    """The rendered judge prompt for ``text`` and ``rules``; ``shown`` holds any of
    :data:`SHOWN` (the latest template version unless ``version``)."""
    from assistant import prompts

    listed = [
        {"id": r, "name": RULES[r].name, "message": RULES[r].text("message", "en")}
        for r in rules
        if r in RULES
    ]
    context = {key: shown.get(key) for key in SHOWN}
    version = version or prompts.latest(TEMPLATE)
    return prompts.render(TEMPLATE, version, text=text, rules=listed, **context)


def judge(
    text: str,
    *,
    model: str,
    rules: list[str] | None = None,
    settings: Settings | None = None,
    version: str | None = None,
    **ctx: Any,
) -> list[Finding]:
    """Findings from ``model`` for ``rules`` (default: all but T1, which compares a translation
    with an original the judge is not shown); unknown rule ids are dropped.

    The call follows ``settings`` (default: :func:`~assistant.config.load_settings`) at
    temperature 0. ``ctx`` may hold ``channel``, ``situations``, ``customer_message`` (shown to
    the model) and any litellm keyword (``mock_response``, ``api_base``, ``temperature`` ...).
    """
    from assistant import llm
    from assistant.config import load_settings

    wanted = rules or [r for r in RULES if r != "T1"]
    shown = {key: ctx.pop(key) for key in SHOWN if key in ctx}
    messages = judge_messages(text, wanted, version=version, **shown)
    own = llm.with_model(settings or load_settings(), model, temperature=0.0)
    answer = llm.complete_json(messages, own, JudgeAnswer, **ctx)
    found = (_finding(item, text) for item in answer.findings)
    return [f for f in found if f is not None and f.rule in wanted]


def _finding(item: JudgeFinding, text: str) -> Finding | None:
    rule = RULES.get(item.rule)
    if rule is None:
        return None
    span = None
    if item.quote:
        pos = text.find(item.quote)
        span = (pos, pos + len(item.quote)) if pos >= 0 else None
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        span=span,
        quote=text[span[0] : span[1]] if span else None,
        message=item.message or rule.message["en"],
        fix=item.fix or rule.fix["en"],
    )
