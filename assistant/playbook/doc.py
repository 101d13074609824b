"""One draft prepared once for every rule: sentences with offsets, quoted parts, context."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.config import PUBLIC_CHANNELS
from assistant.models import Customer, Severity

_SENT_END = re.compile(r"(?<=[.!?。~…])[ \t]+|\s*\n\s*")
# Quoted text: "..." “...” ‘...’ 「...」 『...』, and '...' when not an English apostrophe.
_QUOTES = re.compile(
    r"\"[^\"\n]{1,300}\"|“[^”\n]{1,300}”|‘[^’\n]{1,300}’|「[^」\n]{1,300}」|『[^』\n]{1,300}』"
    r"|(?<![A-Za-z])'[^'\n]{1,300}'(?![A-Za-z])"
)
_EMAIL_QUOTE_LINE = re.compile(r"^[ \t]*>.*$", re.M)


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
    register: str | None = None
    """The Korean speech level this reply should keep (``haeyo``/``hapsyo``, rule K1)."""
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

    def matches(self, pattern: Rx, *, quotes: bool = False) -> Iterator[_Shifted]:
        """Every match of ``pattern`` sentence by sentence (offsets stay those of the text),
        outside quoted text unless ``quotes``."""
        for start, end in self.sents:
            sent = self.text[start:end]
            for m in pattern.finditer(sent):
                if quotes or not self.in_quote(start + m.start(), start + m.end()):
                    yield _Shifted(m, start)

    def has(self, pattern: Rx) -> bool:
        """True when ``pattern`` matches anywhere outside quoted text."""
        return next(self.matches(pattern), None) is not None


class _Shifted:
    """A match inside one sentence, with offsets into the whole text."""

    def __init__(self, match: re.Match[str], offset: int) -> None:
        self._m = match
        self._offset = offset

    def start(self) -> int:
        return self._m.start() + self._offset

    def end(self) -> int:
        return self._m.end() + self._offset

    def group(self, index: int = 0) -> str:
        return self._m.group(index)


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


_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]{2}")
_LITERAL_WORD = re.compile(r"[A-Za-z]{2,}")


class Rx:
    """Case-insensitive alternatives, run by script: Korean parts only on text with Hangul,
    English parts only on text with Latin letters, the rest (digits, symbols) always.

    Same ``search``/``finditer`` as a compiled pattern, several times faster on one-language
    text because Python's ``re`` tries every alternative at every position.
    """

    def __init__(self, parts: tuple[str, ...]) -> None:
        parts = tuple(alt for p in parts for alt in _alternatives(p))
        self.parts = parts
        self.kinds = [_kind(p) for p in parts]
        self._compiled: dict[tuple[bool, bool], re.Pattern[str] | None] = {}
        self.pattern = "|".join(f"(?:{p})" for p in parts)

    def _for(self, text: str) -> re.Pattern[str] | None:
        key = _scripts(text)
        if key not in self._compiled:
            wanted = {"neutral"} | ({"ko"} if key[0] else set()) | ({"en"} if key[1] else set())
            chosen = [p for p, k in zip(self.parts, self.kinds, strict=True) if k in wanted]
            self._compiled[key] = re.compile(_joined(chosen), re.I) if chosen else None
        return self._compiled[key]

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        """The first match in ``text`` from ``pos``."""
        pattern = self._for(text)
        return pattern.search(text, pos) if pattern else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Every match in ``text``."""
        pattern = self._for(text)
        return pattern.finditer(text) if pattern else iter(())


@lru_cache(maxsize=512)
def _scripts(text: str) -> tuple[bool, bool]:
    """(has Hangul, has Latin letters): asked by every rule's pattern of the same sentence,
    so it is worked out once per sentence."""
    return bool(_HANGUL.search(text)), bool(_LATIN.search(text))


def _joined(parts: list[str]) -> str:
    """One alternation; parts that start at a word boundary share a single leading ``\\b``.

    Python's ``re`` tries every alternative at every position; most positions are inside a
    word, where one shared ``\\b`` fails at once instead of once per alternative.
    """
    at_word = [
        p[2:] for p in parts if p.startswith("\\b") and p[2:3] not in ("", "*", "+", "?", "{")
    ]
    rest = [
        p for p in parts if not (p.startswith("\\b") and p[2:3] not in ("", "*", "+", "?", "{"))
    ]
    groups = []
    if at_word:
        groups.append("\\b(?:" + "|".join(f"(?:{p})" for p in at_word) + ")")
    groups += [f"(?:{p})" for p in rest]
    return "|".join(groups)


def _alternatives(pattern: str) -> list[str]:
    """Split ``pattern`` at its top-level ``|`` (outside groups and character classes)."""
    out, depth, in_class, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return [p for p in out if p]


def _kind(part: str) -> str:
    if _HANGUL.search(part):
        return "ko"
    literal = re.sub(r"\\.|\[[^\]]*\]|\(\?[:=!<]+", "", part)
    return "en" if _LITERAL_WORD.search(literal) else "neutral"


def rx(*parts: str) -> Rx:
    """One case-insensitive pattern from alternatives (see ``Rx``)."""
    return Rx(parts)
