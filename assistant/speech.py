"""Korean speech levels: which polite level a sentence ends in, and rewriting common endings
from one level to the other, on Kiwi's morphemes.

Two polite levels (존댓말) are in use in support replies: 해요체 (``haeyo``: -어요, -세요,
-ㄹ게요, -나요) and 하십시오체 (``hapsyo``: -습니다, -ㅂ니까, -십시오). A sentence's level is that
of its final ending. Some sentences belong to neither and are never counted or rewritten:
set formal phrases (감사합니다, 죄송합니다, 부탁드립니다, 참고 바랍니다, 안녕하세요), the copula
-입니다 (a self-introduction reads the same in both), nominal endings (접수 완료, 처리함, 서지우 드림),
headers and 반말 (the checker's F9).

:func:`convert` rewrites each sentence's final word to the target level with
``Kiwi.join`` (so ``확인해 드릴게요`` ↔ ``확인해 드리겠습니다``, ``주세요`` ↔ ``주십시오``) and
reports what it changed and what it left, with the reason (``-ㄹ까요``, ``-는데요`` and the like
have no fixed counterpart).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.text import kiwi

HAEYO = "haeyo"
HAPSYO = "hapsyo"
LEVELS = (HAEYO, HAPSYO)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_TRAILING = re.compile(r"[\s.!?~…^;:,)\]\"'”’ㅎㅋㅠㅜ]+$|\s*[\U0001F300-\U0001FAFF\u2600-\u27BF]+$")
_SPLIT = re.compile(r"(?<=[.!?~…])[ \t]+|\n")
HEADER = re.compile(r"^\s*(#{1,6}\s|[\[【].*[\]】]\s*$|[■□▶▷●◆]\s*[^.!?]{1,40}$)")
"""Headers: Markdown headings, a line in brackets ([안내]), a short line after a box or arrow."""
_NEUTRAL_STEMS = frozenset(
    {"감사", "죄송", "고맙", "반갑", "미안", "안녕", "부탁", "바라", "수고", "축하", "양해"}
    | {"감사하", "죄송하", "미안하", "안녕하", "부탁드리", "수고하", "축하드리", "감사드리"}
)
"""Predicates of set phrases: their 하십시오체 forms fit a 해요체 reply too."""
_HAPSYO_ENDINGS = ("니다", "니까", "시오", "ᆸ시다", "읍시다")
_TAIL_WORDS = 2


@dataclass(frozen=True)
class Sentence:
    """One sentence of a text: where it is and its level (None: counted as neither)."""

    start: int
    end: int
    text: str
    level: str | None


@dataclass(frozen=True)
class Change:
    """A rewritten ending: ``before`` at ``[start, end)`` of the original text became ``after``."""

    start: int
    end: int
    before: str
    after: str


@dataclass(frozen=True)
class Left:
    """A sentence not in the target level that was left as it was, and why."""

    start: int
    end: int
    sentence: str
    reason: str


@dataclass
class Conversion:
    """The converted text, what changed and what could not be converted."""

    text: str
    target: str
    changes: list[Change] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)


@dataclass
class _Ending:
    """A sentence's final word as morphemes (from its first token to the final ending)."""

    word: list[Any]
    start: int
    end: int
    question: bool
    tail: frozenset[str] = frozenset()
    """The forms of the sentence's last words (a set phrase may span two: 감사 드립니다)."""


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``[start, end)``: each line, split after . ! ? ~ … and a space."""
    spans, pos = [], 0
    for m in [*_SPLIT.finditer(text), None]:
        stop = m.start() if m else len(text)
        start, end = pos, stop
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
        pos = m.end() if m else len(text)
    return spans


def levels(text: str, spans: list[tuple[int, int]] | None = None) -> list[Sentence]:
    """Every sentence of ``text`` (``spans``, default :func:`sentence_spans`) with its level."""
    spans = sentence_spans(text) if spans is None else spans
    endings = _endings(text, spans)
    return [
        Sentence(s, e, text[s:e], _level(ending) if ending else None)
        for (s, e), ending in zip(spans, endings, strict=True)
    ]


def convert(text: str, target: str) -> Conversion:
    """``text`` with every sentence in the other polite level rewritten to ``target``
    (``haeyo`` or ``hapsyo``); sentences in neither level are kept as they are."""
    if target not in (HAEYO, HAPSYO):
        raise ValueError(f"unknown speech level {target!r} (use haeyo or hapsyo)")
    spans = sentence_spans(text)
    out = Conversion(text, target)
    pieces, pos = [], 0
    for (s, e), ending in zip(spans, _endings(text, spans), strict=True):
        level = _level(ending) if ending else None
        if ending is None or level is None or level == target:
            continue
        new = (_to_hapsyo if target == HAPSYO else _to_haeyo)(ending)
        if new is None:
            out.left.append(Left(s, e, text[s:e], _reason(ending, target)))
            continue
        after = kiwi().join(new)
        pieces.append(text[pos : ending.start] + after)
        out.changes.append(Change(ending.start, ending.end, text[ending.start : ending.end], after))
        pos = ending.end
    out.text = "".join(pieces) + text[pos:]
    return out


def name(level: str) -> str:
    """How a level is called: 해요체 / 하십시오체 (the same words in English)."""
    from assistant.config import KO_REGISTER_NAMES

    return KO_REGISTER_NAMES.get(level, level)


# ----- analysis ------------------------------------------------------------------------------
def _endings(text: str, spans: list[tuple[int, int]]) -> list[_Ending | None]:
    """The final word of each sentence as morphemes (one batched Kiwi call for all)."""
    tails: list[tuple[int, int]] = []
    wanted: list[int] = []
    for n, (s, e) in enumerate(spans):
        sentence = text[s:e]
        body = _TRAILING.sub("", sentence)
        if not body or not _HANGUL.search(body[-6:]) or HEADER.match(sentence):
            continue
        words = list(re.finditer(r"\S+", body))
        tails.append((s + words[max(0, len(words) - _TAIL_WORDS)].start(), s + len(body)))
        wanted.append(n)
    found: list[_Ending | None] = [None] * len(spans)
    if not tails:
        return found
    analysed = kiwi().tokenize([text[a:b] for a, b in tails])
    for n, (a, b), tokens in zip(wanted, tails, analysed, strict=True):
        s, e = spans[n]
        found[n] = _final_word(list(tokens), a, "?" in text[b:e] or text[s:e].endswith("?"))
    return found


def _final_word(tokens: list[Any], offset: int, question: bool) -> _Ending | None:
    """The word holding the sentence-final ending, or None when the sentence has none."""
    content = [i for i, t in enumerate(tokens) if not t.tag.startswith(("S", "W", "UN"))]
    if not content:
        return None
    last = content[-1]
    first = last
    while first > 0 and tokens[first - 1].start + tokens[first - 1].len >= tokens[first].start:
        first -= 1
    word = tokens[first : last + 1]
    end = tokens[last].start + tokens[last].len
    forms = frozenset(t.form for t in tokens[: last + 1])
    return _Ending(word, offset + word[0].start, offset + end, question, forms)


def _level(ending: _Ending) -> str | None:
    """``haeyo``, ``hapsyo`` or None (set phrase, copula -입니다, nominal ending, 반말...)."""
    last = ending.word[-1]
    form, tag = last.form, last.tag
    if tag == "JX" and form == "요":
        return HAEYO  # -고요, -어서요, -ㄴ가요
    if tag != "EF" or form in ("ᆷ", "음"):
        return None
    stems = ending.tail
    if form.endswith(_HAPSYO_ENDINGS):
        if stems & _NEUTRAL_STEMS or (len(ending.word) > 1 and ending.word[-2].tag == "VCP"):
            return None
        return HAPSYO
    if form.endswith(("요", "죠")):
        return None if "안녕" in stems and form.endswith("세요") else HAEYO
    return None


# ----- rewriting -----------------------------------------------------------------------------
def _to_hapsyo(ending: _Ending) -> list[Any] | None:
    """The final word's morphemes in 하십시오체, or None when there is no safe rewrite."""
    *prefix, last = ending.word
    form = last.form
    after_copula = bool(prefix) and prefix[-1].tag == "VCP"
    if last.tag != "EF":
        return None
    if form in ("세요", "으세요") and not after_copula:
        return [*prefix, ("시", "EP"), ("ᆸ니까" if ending.question else "ᆸ시오", "EF")]
    if form == "ᆯ게요":
        return [*prefix, ("겠", "EP"), ("습니다", "EF")]
    if form in ("어요", "아요", "여요", "에요", "예요", "이에요", "네요", "군요"):
        if after_copula:
            return [*prefix, ("ᆸ니까" if ending.question else "ᆸ니다", "EF")]
        return [*prefix, ("습니까" if ending.question else "습니다", "EF")]
    if form == "나요" and ending.question:
        return [*prefix, ("습니까", "EF")]
    if form in ("죠", "지요") and not ending.question:
        return [*prefix, ("습니다", "EF")]
    return None


def _to_haeyo(ending: _Ending) -> list[Any] | None:
    """The final word's morphemes in 해요체, or None when there is no safe rewrite."""
    *prefix, last = ending.word
    form = last.form
    if form in ("습니다", "ᆸ니다") and prefix and prefix[-1].form == "겠":
        return _promise_to_haeyo(prefix)
    if form in ("습니다", "ᆸ니다", "습니까", "ᆸ니까"):
        return [*prefix, ("어요", "EF")]
    if form == "ᆸ시오" and prefix and prefix[-1].form in ("시", "으시"):
        return [*prefix[:-1], ("세요", "EF")]
    return None


def _promise_to_haeyo(prefix: list[Any]) -> list[Any]:
    """-겠습니다: the agent's promise of an action becomes -ㄹ게요 (드리겠습니다 → 드릴게요);
    a guess or a wish keeps -겠- (좋겠어요, 불편하시겠어요)."""
    before = prefix[-2] if len(prefix) > 1 else None
    action = before is not None and (
        before.tag in ("VV", "XSV", "VX") and before.form not in ("되", "있", "없", "시", "으시")
    )
    if action:
        return [*prefix[:-1], ("ᆯ게요", "EF")]
    return [*prefix, ("어요", "EF")]


def _reason(ending: _Ending, target: str) -> str:
    """Why a sentence was left: the ending has no fixed counterpart in ``target``."""
    last = ending.word[-1]
    ending_text = "-" + last.form.lstrip("ᆫᆯᆷᆸ") if last.tag in ("EF", "JX") else last.form
    return f"{ending_text}: {name(target)}로 바꿀 정해진 어미가 없습니다 (no fixed {target} form)"
