"""One draft prepared once for every rule: sentences with offsets, quoted parts, context."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.models import Customer, Severity

_SENT_END = re.compile(r"(?<=[.!?。~…])[ \t]+|\s*\n\s*")
# Quoted text: "..." “...” ‘...’ 「...」 『...』, and '...' when not an English apostrophe.
_QUOTES = re.compile(
    r"\"[^\"\n]{1,300}\"|“[^”\n]{1,300}”|‘[^’\n]{1,300}’|「[^」\n]{1,300}」|『[^』\n]{1,300}』"
    r"|(?<![A-Za-z])'[^'\n]{1,300}'(?![A-Za-z])"
)
_EMAIL_QUOTE_LINE = re.compile(r"^[ \t]*>.*$", re.M)

PUBLIC_CHANNELS = frozenset({"x", "instagram", "facebook", "review"})
PRIVATE_CHANNELS = frozenset({"email", "chat"})
CHANNELS = PUBLIC_CHANNELS | PRIVATE_CHANNELS


@dataclass
class Hit:
    """A rule matched at ``[start, end)`` of the draft (``start`` None: a missing move)."""

    rule: str
    start: int | None = None
    end: int | None = None
    severity: Severity | None = None
    note: str = ""


@dataclass
class Doc:
    """A draft and its context, analysed once and read by every rule."""

    text: str
    lang: str
    channel: str = "email"
    customer_message: str | None = None
    customer: Customer | None = None
    known_urls: set[str] | None = None
    situations: list[str] = field(default_factory=list)
    system_prompt: str | None = None
    sents: list[tuple[int, int]] = field(default_factory=list)
    quoted: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sents = split_sentences(self.text)
        self.quoted = [(m.start(), m.end()) for m in _QUOTES.finditer(self.text)]
        self.quoted += [(m.start(), m.end()) for m in _EMAIL_QUOTE_LINE.finditer(self.text)]

    @property
    def public(self) -> bool:
        """True on public social channels (X, Instagram, Facebook, app-store reviews)."""
        return self.channel in PUBLIC_CHANNELS

    def in_quote(self, start: int, end: int | None = None) -> bool:
        """True when ``[start, end)`` lies inside quoted text (the customer's own words)."""
        end = start + 1 if end is None else end
        return any(qs <= start and end <= qe for qs, qe in self.quoted)

    def sentences(self) -> Iterator[tuple[int, str]]:
        """``(start, sentence)`` pairs in order."""
        for s, e in self.sents:
            yield s, self.text[s:e]

    def sentence_at(self, pos: int) -> tuple[int, int]:
        """The sentence span around ``pos``."""
        for s, e in self.sents:
            if s <= pos < e:
                return s, e
        return 0, len(self.text)

    def matches(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Every match of ``pattern`` outside quoted text."""
        for m in pattern.finditer(self.text):
            if not self.in_quote(m.start(), m.end()):
                yield m

    def has(self, pattern: re.Pattern[str]) -> bool:
        """True when ``pattern`` matches anywhere outside quoted text."""
        return next(self.matches(pattern), None) is not None


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``[start, end)``: ends at . ! ? ~ … followed by space, or a line break."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_END.finditer(text):
        if m.start() > pos and text[pos : m.start()].strip():
            out.append(_trim(text, pos, m.start()))
        pos = max(pos, m.end())
    if pos < len(text) and text[pos:].strip():
        out.append(_trim(text, pos, len(text)))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def rx(*parts: str) -> re.Pattern[str]:
    """One case-insensitive pattern from alternatives."""
    return re.compile("|".join(f"(?:{p})" for p in parts), re.I)
