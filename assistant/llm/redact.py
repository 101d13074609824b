"""PII redaction for text that leaves the machine: placeholders out, real values back in.

With ``redact_pii`` on, :mod:`assistant.llm` replaces e-mail addresses, phone numbers
(Korean mobile and landline, ``+82``, North American, international), card numbers and
bank account numbers in the rendered messages with numbered placeholders such as
``[EMAIL_1]`` or ``[PHONE_2]`` before the model sees them, and puts the real values back in
the model's answer. The same value always gets the same placeholder within one call, and
the numbering follows the order of appearance, so redacting the same messages twice gives
the same text (the stored copy of the prompt matches what was sent).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_CARD = r"(?<![\d-])\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}(?![\d-])"
_ACCOUNT_NAMED = (
    r"(?<=계좌)\s*(?:번호)?\s*[:：]?\s*\d[\d-]{7,18}\d(?![\d-])"
    r"|(?<=account)\s*(?:number|no\.?|#)?\s*[:：]?\s*\d[\d-]{6,18}\d(?![\d-])"
)
_ACCOUNT = r"(?<![\d-])\d{3,6}-\d{2,6}-\d{2,7}(?:-\d{1,3})?(?![\d-])"
_PHONE = (
    r"(?<![\d-])\+\d{1,3}[-.\s]?\(?\d{1,4}\)?[-.\s]?\d{3,4}[-.\s]?\d{4}(?![\d-])"
    r"|(?<![\d-])01[016789][-.\s]?\d{3,4}[-.\s]?\d{4}(?![\d-])"
    r"|(?<![\d-])\(?0(?:2|[3-6][1-5]|70|80)\)?[-.\s]?\d{3,4}[-.\s]?\d{4}(?![\d-])"
    r"|(?<![\d-])\(?[2-9]\d{2}\)?[-.\s]\d{3}[-.\s]\d{4}(?![\d-])"
)
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(_EMAIL)),
    ("ACCOUNT", re.compile(_ACCOUNT_NAMED, re.I)),
    ("CARD", re.compile(_CARD)),
    ("PHONE", re.compile(_PHONE)),
    ("ACCOUNT", re.compile(_ACCOUNT)),
)
"""Placeholder kind and pattern, in the order they are applied: named accounts, cards and
phones before bare hyphenated account numbers (which a phone number would also match)."""

PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|ACCOUNT)_\d+\]")
NOTE = (
    "Personal details in this conversation are replaced by placeholders such as [EMAIL_1] or "
    "[PHONE_1]. Copy a placeholder exactly when you need the value; never guess it."
)


@dataclass
class Redactor:
    """Replaces personal values with placeholders and puts them back; one per model call."""

    values: dict[str, str] = field(default_factory=dict)
    """placeholder -> real value"""
    _by_value: dict[str, str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def _placeholder(self, kind: str, value: str) -> str:
        if value not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            token = f"[{kind}_{self._counts[kind]}]"
            self._by_value[value] = token
            self.values[token] = value
        return self._by_value[value]

    def redact(self, text: str) -> str:
        """``text`` with every personal value replaced by its placeholder."""
        for kind, pattern in KINDS:
            text = pattern.sub(lambda m, k=kind: self._sub(k, m), text)  # type: ignore[misc]
        return text

    def _sub(self, kind: str, match: re.Match[str]) -> str:
        value = match.group(0)
        lead = value[: len(value) - len(value.lstrip())]
        return lead + self._placeholder(kind, value.strip())

    def restore(self, text: str) -> str:
        """``text`` with every known placeholder replaced by its real value."""
        return PLACEHOLDER.sub(lambda m: self.values.get(m.group(0), m.group(0)), text)

    def redact_messages(self, messages: list[dict[str, str]]) -> list[dict[str, str]]:
        """Copies of chat messages with their content redacted, plus a note on placeholders."""
        out = [{**m, "content": self.redact(str(m.get("content", "")))} for m in messages]
        if self.values and out and out[0].get("role") == "system":
            out[0]["content"] = f"{out[0]['content']}\n\n{NOTE}"
        return out

    def streaming(self, on_token: Callable[[str], None]) -> StreamRestorer:
        """A token callback that restores placeholders even when split across tokens."""
        return StreamRestorer(self, on_token)


class StreamRestorer:
    """Buffers a possible placeholder (from ``[`` to ``]``) so callers see only real values."""

    def __init__(self, redactor: Redactor, on_token: Callable[[str], None]) -> None:
        self.redactor = redactor
        self.on_token = on_token
        self.pending = ""

    def __call__(self, delta: str) -> None:
        self.pending += delta
        start = self.pending.rfind("[")
        if start == -1 or "]" in self.pending[start:] or len(self.pending) - start > 16:
            self.flush()
            return
        if start > 0:
            self.on_token(self.redactor.restore(self.pending[:start]))
            self.pending = self.pending[start:]

    def flush(self) -> None:
        """Pass on whatever is buffered."""
        if self.pending:
            self.on_token(self.redactor.restore(self.pending))
            self.pending = ""


def redact_messages(messages: list[dict[str, str]]) -> tuple[list[dict[str, str]], Redactor]:
    """Redacted copies of ``messages`` and the redactor that can restore the answer."""
    redactor = Redactor()
    return redactor.redact_messages(messages), redactor
