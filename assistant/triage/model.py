"""The optional model step of triage: the ``triage_message`` prompt, a structured answer.

The prompt (``prompts/triage_message/``) asks for the same fields as the rules give; the call
goes through :func:`assistant.llm.complete_json` (retries, fallbacks, redaction, scrubbed
errors) and the answer is parsed as :class:`TriageAnswer`. Unknown situation ids are dropped
and the sentiment is clamped to [-1, 1]; anything else that does not fit is a ModelError
(:func:`assistant.triage.triage` then lets the rules decide).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from assistant.config import Settings, brand
from assistant.models import SITUATIONS, Language, Triage

TEMPLATE = "triage_message"


class TriageAnswer(BaseModel):
    """What the triage prompt asks the model for."""

    language: Language
    situations: list[str] = []
    sentiment: float = 0.0
    urgency: Literal["high", "normal", "low"] = "normal"
    spam: bool = False


def triage_messages(text: str, version: str | None = None) -> list[dict[str, str]]:
    """The rendered triage prompt for ``text`` (the latest version unless ``version``)."""
    from assistant import prompts

    return prompts.render(
        TEMPLATE, version or prompts.latest(TEMPLATE), message=text, company=brand().company
    )


def to_triage(answer: TriageAnswer) -> Triage:
    """The :class:`Triage` for a model's answer: known situation ids in playbook order (none for
    spam), sentiment clamped to [-1, 1] with 2 decimals."""
    situations = [s for s in SITUATIONS if s in set(answer.situations)]
    return Triage(
        language=answer.language,
        situations=[] if answer.spam else situations,
        sentiment=round(max(-1.0, min(1.0, answer.sentiment)), 2),
        urgency=answer.urgency,
        spam=answer.spam,
    )


def triage_with_model(
    text: str, settings: Settings, *, version: str | None = None, **extra: Any
) -> Triage:
    """Triage of ``text`` by ``settings.model`` at temperature 0; a failed call or a malformed
    answer raises ModelError. ``extra`` goes to litellm (tests and evals pass
    ``mock_response``)."""
    from assistant import llm

    messages = triage_messages(text, version)
    own = settings.model_copy(update={"temperature": 0.0})
    return to_triage(llm.complete_json(messages, own, TriageAnswer, **extra))
