"""K1: a Korean reply keeps one polite speech level, the one its channel uses.

A reply whose sentences end partly in 해요체 and partly in 하십시오체 reads careless. The
sentences of the less used level (on a tie: those not in the channel's level, setting
``ko_register``) are each a warning; the fix is the sentence rewritten in the channel's level
(:func:`assistant.speech.convert`), or, when the odd ones out are the ones already in that
level, the advice to convert the rest. Sentences in neither level (set phrases, -입니다,
closings, headers, 반말) are not counted, and quoted customer text is skipped.
"""

from __future__ import annotations

from assistant import speech
from assistant.playbook.doc import Doc, Hit

_SEP = "\x1f"


def check_mixed_register(doc: Doc) -> list[Hit]:
    """K1 on every sentence of the minority level of a reply that mixes the two levels."""
    if doc.lang != "ko":
        return []
    chosen = doc.register or speech.HAPSYO
    found = [
        s
        for s in speech.levels(doc.text, doc.sents)
        if s.level and not any(qs < s.end <= qe for qs, qe in doc.quoted)
    ]
    haeyo = [s for s in found if s.level == speech.HAEYO]
    hapsyo = [s for s in found if s.level == speech.HAPSYO]
    if not haeyo or not hapsyo:
        return []
    if len(haeyo) != len(hapsyo):
        odd = haeyo if len(haeyo) < len(hapsyo) else hapsyo
    else:
        odd = haeyo if chosen == speech.HAPSYO else hapsyo
    majority = speech.HAPSYO if odd is haeyo else speech.HAEYO
    hits = []
    for sent in odd:
        fixed = "" if sent.level == chosen else speech.convert(sent.text, chosen).text
        note = _SEP.join((str(sent.level), majority, chosen, fixed if fixed != sent.text else ""))
        hits.append(Hit("K1", sent.start, sent.end, note=note))
    return hits


def describe(note: str, quote: str, ui_lang: str) -> tuple[str, str]:
    """The finding's message and fix for a K1 hit (its ``note``) on ``quote``."""
    level, majority, chosen, fixed = note.split(_SEP)
    here, rest, want = speech.name(level), speech.name(majority), speech.name(chosen)
    en = ui_lang == "en"
    message = (
        f"This sentence is in {here}; the rest of the reply is in {rest}."
        if en
        else f"이 문장은 {here}인데 답변의 나머지는 {rest}입니다."
    )
    if level == chosen:
        fix = (
            f"This channel uses {want}: rewrite the other sentences in {want} "
            f"(Convert to {want} in the editor)."
            if en
            else f"이 채널의 말투는 {want}입니다. 나머지 문장을 {want}로 바꾸세요(편집기의 '{want}로 바꾸기')."
        )
    elif fixed:
        fix = f"'{quote}' → '{fixed}' ({'this channel uses' if en else '이 채널의 말투:'} {want})"
    else:
        fix = (
            f"End the sentence in {want}, the level this channel uses."
            if en
            else f"문장 끝을 이 채널의 말투인 {want}로 바꾸세요."
        )
    return message, fix
