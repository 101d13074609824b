"""Korean patterns over morphemes: regexes read a sentence's Kiwi analysis, not its surface.

Korean conjugates: "설명드렸던", "설명드렸듯이", "설명드린 바와 같이" are one verb with
different endings, and "지우셨기 때문", "지우신 것 같" one customer action with different
attributions. A sentence is analysed as a stream of ``form/TAG`` tokens joined by single
spaces (``"분명히/MAG 설명/NNG 드리/VV 었/EP 던/ETM"``), so one pattern covers every
spelling. Kiwi is slow on whole drafts, so only sentences that pass a cheap surface
``trigger`` are analysed, each once per process (cached).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from functools import lru_cache

from assistant.playbook.doc import Doc, Rx, rx

_HANGUL = re.compile(r"[\uac00-\ud7a3]")


@lru_cache(maxsize=4096)
def analyse_sentence(sentence: str) -> tuple[str, tuple[int, ...], tuple[tuple[int, int], ...]]:
    """``(stream, token starts in the stream, token char spans in the sentence)``."""
    from assistant.text import kiwi

    parts: list[str] = []
    starts: list[int] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for tok in kiwi().tokenize(sentence):
        item = f"{tok.form}/{tok.tag}"
        starts.append(pos)
        spans.append((tok.start, tok.start + tok.len))
        parts.append(item)
        pos += len(item) + 1
    return " ".join(parts), tuple(starts), tuple(spans)


def morph_matches(doc: Doc, pattern: re.Pattern[str], trigger: Rx) -> Iterator[tuple[int, int]]:
    """Character spans (into ``doc.text``) where ``pattern`` matches a sentence's morphemes.

    Only Korean sentences outside quotes that ``trigger`` finds on the surface are analysed.
    """
    for start, sent in doc.sentences():
        if not _HANGUL.search(sent) or not trigger.search(sent):
            continue
        stream, starts, spans = analyse_sentence(sent)
        for m in pattern.finditer(stream):
            first = bisect_right(starts, m.start()) - 1
            last = bisect_right(starts, max(m.start(), m.end() - 1)) - 1
            s, e = start + spans[first][0], start + max(spans[last][1], spans[first][1])
            if not doc.in_quote(s, e):
                yield s, e


def mp(*parts: str) -> re.Pattern[str]:
    """One morpheme-stream pattern from alternatives."""
    return re.compile("|".join(f"(?:{p})" for p in parts))


# A token of any kind, and an honorific verb ending "-시-" after a stem.
_ANY = r"\S+"
_HON = r"(으시|시)/EP"

# ---------------------------------------------------------------- F1 blame
F1_TRIGGER = rx(r"직접|실수|잘못|깜빡|모르고|셔서|셨기|신\s*것|셨을|신\s*듯")
F1_MORPH = mp(
    # "직접 지우셨기 때문", "실수로 삭제하신 것 같습니다", "잘못 입력하셔서 잠긴", "직접 지우셨을 가능성"
    rf"(직접|실수|잘못|깜빡)/\S+ ({_ANY} ){{0,5}}?\S+/(VV|XSV) {_HON} (었/EP )?"
    r"(기/ETN 때문|\S+/ETM (것|거)/NNB (같|이)/|어서/EC|\S+/ETM (듯|가능|탓))",
    # "허용하지 않으셔서 생긴", "확인하지 않으셨기 때문"
    rf"지/EC (않|말)/VX {_HON} (었/EP )?(어서/EC|기/ETN 때문)",
)
F1_THANKS = rx(r"감사|고맙|덕분")

# ---------------------------------------------------------------- F2 overpromise
F2_TRIGGER = rx(
    r"반드시|꼭|무조건|틀림없이|확실히|완전히|100\s*%|내일|모레|오늘|이번\s*주|다음\s*주|다음\s*달|요일|\d+\s*일"
)
_OUTCOME = r"(해결|수정|복구|추가|출시|배포|반영|개선|정상화|정상|작동|고치|돌아오|돌리|복원)"
F2_MORPH = mp(
    # "완전히 해결되니", "반드시 추가될 예정입니다", "꼭 고쳐 놓겠습니다"
    rf"(반드시|꼭|무조건|틀림없이|확실히|완전히)/MAG ({_ANY} ){{0,4}}?{_OUTCOME}/\S+ (화/XSN )?"
    r"((되|하)/XSV |\S+/EC (놓|두|드리)/VX )?"
    r"(니/EC|어서/EC|고/EC|ᆸ니다/EF|습니다/EF|어요/EF|겠/EP|ᆯ/ETM (것|예정|계획)/NNB|ᆯ/ETM 예정/NNG)",
)
F2_DATE_MORPH = mp(
    # "다음 주 화요일이면 ... 정상적으로 작동합니다": a date and a plain statement of the outcome
    r"((내일|모레|\S*요일|주|달)/NNG|\d+/SN 일/NNB) (\S+ ){0,8}?"
    rf"{_OUTCOME}/\S+ (\S+/XSN \S+/JKB )?((되|하)/XSV )(ᆸ니다/EF|습니다/EF|니/EC|어요/EF)",
)
F2_HEDGE = rx(
    r"예정|목표|예상|노력|가능성|되는\s*대로|확인\s*(후|하여|해)|검토|전달|알려|안내|연락|말씀|공유|진행\s*상황|답변"
)

# ---------------------------------------------------------------- F6 argue
F6_TRIGGER = rx(r"말씀|설명|안내|적어|답변")
F6_MORPH = mp(
    # "이미/앞서/분명히/여러 번 ... 설명드렸던 내용", "... 말씀드렸는데", "앞서 안내드린 바와 같이"
    rf"(이미|앞서|분명히|누차|수차례|벌써|계속|번/NNB)\S* ({_ANY} ){{0,6}}?"
    r"(말씀|설명|안내|답변|적)/\S+ (\S+/EC )?드리/\S+ "
    r"(었/EP (듯이|다시피|는데|지만)/EC|었/EP 잖|"
    r"었/EP 던/ETM (내용|부분|사항|것)/\S+ (이/VCP|인데)|"
    r"ᆫ/ETM (바/NNB 와/JKB 같이|대로/NNB|것/NNB 처럼))",
)
