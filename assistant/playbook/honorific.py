"""F9: a Korean reply must keep the polite register (존댓말) in every sentence.

Each sentence's last word or two goes through Kiwi (one batched call for the whole draft);
the sentence-final ending (EF, or a connective EC that ends the sentence) decides: forms
ending in -요, -니다, -니까, -시오 (and -죠, -ㅂ시다) are polite; -어/-아/-야/-지/-냐/-니/
-자/-게/-래/-다 and the like are casual speech. Quoted customer sentences are skipped, and
sentences without a verb ending (headings, "감사합니다 ^^" fragments, names) are never
flagged; neither are the nominal endings of written Korean (letter closings ``서지우 드림``,
``고객지원팀 올림``, notice lines ``접수 완료됨``, ``변경 사항 없음``: Kiwi reads their -ㅁ/-음 as a
final ending) or header lines (``## 환불 절차``, ``[안내]``). Which polite level a sentence is in
is :mod:`assistant.speech`'s business (rule K1).
"""

from __future__ import annotations

import re
from typing import Any

from assistant.playbook.doc import Doc, Hit
from assistant.speech import HEADER
from assistant.text import kiwi

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_POLITE_SUFFIXES = ("요", "니다", "니까", "시오", "죠", "ᆸ시다", "읍시다", "소서")
_TRAILING_JUNK = re.compile(
    r"[\s.!?~…^;:,)\]\"'”’ㅎㅋㅠㅜ]+$|[\s]*[\U0001F300-\U0001FAFF\u2600-\u27BF]+$"
)
_TAIL_WORDS = 2
_NOMINAL = ("ᆷ", "음")
"""-ㅁ/-음 nominalised endings of letter closings and notice lines (Kiwi tags them EF)."""
_POLITE_SURFACE = re.compile(r"(니다|니까|요|시오|죠|세요)$")


def _is_polite(form: str) -> bool:
    return form.endswith(_POLITE_SUFFIXES)


def _tails(doc: Doc) -> list[tuple[int, str]]:
    """``(offset, text)`` of the last words of every Korean sentence outside quotes."""
    out = []
    for start, sent in doc.sentences():
        body = _TRAILING_JUNK.sub("", sent)
        if not body or not _HANGUL.search(body[-6:]) or HEADER.match(sent):
            continue
        words = list(re.finditer(r"\S+", body))
        first = words[max(0, len(words) - _TAIL_WORDS)].start()
        tail_start = start + first
        tail_end = start + len(body)
        if doc.in_quote(tail_end - 1, tail_end) or _ends_in_quote(doc, tail_end):
            continue
        if _POLITE_SURFACE.search(body):
            continue  # -니다/-니까/-요/-시오/-죠 on the surface: polite whatever the analysis
        out.append((tail_start, doc.text[tail_start:tail_end]))
    return out


def _ends_in_quote(doc: Doc, end: int) -> bool:
    return any(qs < end <= qe for qs, qe in doc.quoted)


def check_polite(doc: Doc) -> list[Hit]:
    """F9 on every Korean sentence whose final ending is not polite."""
    if doc.lang != "ko":
        return []
    tails = _tails(doc)
    if not tails:
        return []
    # One Kiwi call for all tails: joined by line breaks, tokens mapped back by offset.
    joined = "\n".join(t for _, t in tails)
    starts = []
    pos = 0
    for _, tail in tails:
        starts.append(pos)
        pos += len(tail) + 1
    groups: list[list[Any]] = [[] for _ in tails]
    index = 0
    for tok in kiwi().tokenize(joined):
        while index + 1 < len(starts) and tok.start >= starts[index + 1]:
            index += 1
        groups[index].append(tok)
    hits = []
    for (offset, tail), base, tokens in zip(tails, starts, groups, strict=True):
        ending = _final_ending(tokens)
        if ending is None or _is_polite(ending[0]):
            continue
        hits.append(Hit("F9", offset + ending[1] - base, offset + len(tail), note=ending[0]))
    return hits


def _final_ending(tokens: list[Any]) -> tuple[str, int] | None:
    """The sentence-final ending ``(form, start of its word)``, or None when there is none."""
    last = None
    for i, tok in enumerate(tokens):
        if tok.tag.startswith(("S", "W", "UN")):
            continue
        last = i
    if last is None:
        return None
    tok = tokens[last]
    if tok.tag == "JX" and tok.form == "요":
        return None  # "-어서요", "-고요": polite
    if tok.tag not in ("EF", "EC"):  # an EC counts only as the last morpheme of the sentence
        return None
    if tok.form in _NOMINAL:
        return None  # "서지우 드림", "접수 완료됨", "변경 사항 없음": written Korean, not 반말
    return tok.form, _word_start(tokens, last)


def _word_start(tokens: list[Any], index: int) -> int:
    """Start offset of the word (어절) holding token ``index``."""
    start = tokens[index].start
    for j in range(index - 1, -1, -1):
        prev = tokens[j]
        if prev.start + prev.len < start:
            break
        start = prev.start
    return start
