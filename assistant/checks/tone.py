"""Forbidden moves about what the reply says: F1 blame, F2 overpromise, F3 boundary,
F4 refund refusal, F5 retention push, F6 argue.

Each rule is a set of Korean and English patterns read sentence by sentence, with the
exceptions the playbook names: a negated blame ("it's not your fault"), an honest window
("I'll update you by Thursday"), a deferral to the team responsible, a refusal that comes
with a reason asked or an alternative, a retention offer after the cancellation is confirmed.
Quoted customer text is never matched.
"""

from __future__ import annotations

import re

from assistant.checks.doc import Doc, Hit, rx

# ---------------------------------------------------------------- F1 blame
_F1 = rx(
    r"고객님\s*(께서|이|의|이\s*직접)?\s*(잘못|실수|착각|오해)",
    r"잘못\s*(누르|눌르|클릭|입력|설정|사용|이해|조작|보|알|기억|선택|터치|삭제|저장)\S*(신|셨)",
    r"(발생할|일어날|생길|나타날|있을)\s*수\s*(가\s*)?없(습니다|어요|는\s*(일|현상|오류|문제))",
    r"그럴\s*리(가)?\s*없",
    r"(사용자|고객)\s*(의\s*)?(실수|과실|부주의|조작\s*오류)",
    r"(설명서|안내문?|공지|도움말|메일)\S*\s*(을|를)?\s*(제대로\s*)?(안\s*(읽|보|확인)|읽지\s*않|확인하지\s*않|보지\s*않)",
    r"제대로\s*(읽|확인|보|사용|설정)(지\s*않|지\s*못|으셨다면|하셨다면|하지\s*않)",
    r"저희\s*(앱|제품|서비스|쪽|측)\S*\s*(에서는|에는|은|는)\s*(그런|이런)\s*\S*\s*(없|발생하지\s*않)",
    r"저희\s*(쪽|측|앱)\S*\s*(의\s*)?(문제|잘못|책임|버그)(가|이|는)?\s*아닙",
    r"\byou\s+(must|might|probably|likely|obviously)\s+(have|'ve)\s+(accidentally\s+|mistakenly\s+)?"
    r"(clicked|tapped|pressed|typed|entered|deleted|misread|forgotten|forgot|missed|misunderstood|"
    r"chosen|selected|mistyped|ignored|skipped|not\s+\w+|done\s+something)",
    r"\b(can(no|')t|could\s*n[o']t|would\s*n[o']t)\s+(possibly\s+)?(happen|occur)\b",
    r"\b(impossible|not\s+possible)\s+(in|with|on)\s+(our|the|this)\s+(app|product|system|service|version)",
    r"\bthat('s|\s+is)\s+(simply\s+|just\s+)?impossible\b",
    r"\buser\s+error\b",
    r"\byour\s+(own\s+)?(fault|mistake)\b",
    r"\byou\s+(did|entered|typed|set|used|configured|installed)\s+(it|something|this|that|the\s+\w+)\s+(up\s+)?(wrong|incorrectly)",
    r"\byou\s+(didn'?t|did\s+not|never)\s+(read|follow|check|bother)\b",
    r"\byou\s+should\s+have\s+(read|checked|backed|saved|known|followed)",
    r"\b(there\s+is|there's)\s+no\s+(bug|problem|issue)\s+(with|in|on)\s+(our|the)\s+(app|product|side|end|system)",
    r"\b(not|isn'?t)\s+(a|an|our)?\s*(problem|issue|bug)\s+(on|with|in)\s+our\s+(side|end|app)",
    r"\bour\s+(app|product|system)\s+(doesn'?t|does\s+not|never|cannot|can'?t)\s+(lose|delete|do\s+that|crash|behave)",
    r"\bif\s+you\s+had\s+(read|followed|checked)",
)
_F1_NEGATED = re.compile(r"^\s*(이|가|은|는)?\s*(절대\s*)?(아닙|아니|아닌)", re.I)
_F1_NEGATED_EN = re.compile(r"\b(not|never|isn'?t|wasn'?t|no)\s+(\w+\s+){0,1}$", re.I)


def check_blame(doc: Doc) -> list[Hit]:
    """F1: blaming the customer or denying what they saw (negations are fine)."""
    hits = []
    for m in doc.matches(_F1):
        after = doc.text[m.end() : m.end() + 12]
        before = doc.text[max(0, m.start() - 12) : m.start()]
        if _F1_NEGATED.search(after) or _F1_NEGATED_EN.search(before):
            continue
        hits.append(Hit("F1", m.start(), m.end()))
    return hits


# ---------------------------------------------------------------- F2 overpromise
_F2_PHRASES = rx(
    r"100\s*%\s*(보장|확실|해결|복구|환불|책임|만족|장담)",
    r"보장(해\s*드리|해\s*드립|합니다|드립니다|드려요|하겠|됩니다|해요|할\s*수\s*있습니다)",
    r"장담(합니다|드립니다|하겠|해요|할\s*수\s*있습니다)",
    r"책임지고\s*\S*\s*(드리겠|하겠|해\s*드립)",
    r"약속(드립니다|드리겠|합니다|할게|드려요)",
    r"다시는\s*(이런|이러한|같은|그런)\s*\S+\s*(없|발생하지\s*않|생기지\s*않)",
    r"절대\s*(다시\s*)?\S*\s*(없을\s*것|않을\s*것|없도록\s*하겠|않도록\s*하겠)",
    r"\bguarantee(d|s)?\b",
    r"\b100\s*%\s*(sure|certain|guarantee|fixed|resolved|safe|refund)",
    r"\b(I|we)\s+promise\b|\bpromise\s+(you|that)\b",
    r"\b(never|won'?t|will\s+not)\s+happen\s+again\b",
    r"\b(definitely|certainly|absolutely|surely)\s+(ship|be\s+(fixed|resolved|added|released|"
    r"available|shipped|ready|back))",
    r"\b(will|'ll)\s+(definitely|certainly|absolutely|surely)\s+(?!(get\s+back|reply|update|"
    r"let\s+you|contact|follow|write|email|keep|pass|share|look|check|be\s+in\s+touch|reach))\w+",
)
_F2_INTENSIFIER = rx(r"반드시|무조건|틀림없이|확실히|꼭")
_F2_OUTCOME_KO = rx(
    r"(해결|수정|고쳐|고치|복구|추가|출시|배포|반영|보상|개선|지원|업데이트)\S*\s*"
    r"(드리겠|하겠|해\s*드리|될\s*것|됩니다|되겠|되도록\s*하겠|해\s*드립|할\s*것)"
)
_F2_DATE_KO = rx(
    r"내일|모레|오늘|이번\s*주|다음\s*주|다음\s*달|\d+\s*일|[월화수목금토일]요일|\d+\s*시|다음\s*(업데이트|버전|릴리스)"
)
_F2_DATED_KO = rx(
    r"(수정|해결|복구|배포|출시|추가|반영|고쳐)\S*\s*(될\s*것입니다|됩니다|되겠습니다|"
    r"해\s*드리겠|하겠습니다|해\s*드립니다|완료됩니다|드리겠습니다)"
)
_F2_FEATURE_KO = rx(
    r"기능\S*\s*(을|를)?\s*(꼭\s*|곧\s*|반드시\s*)?\S*\s*(추가|개발|출시|만들어)\s*(하겠습니다|해\s*드리겠|"
    r"될\s*것입니다|할\s*것입니다|드리겠습니다)"
)
_F2_HEDGE_KO = rx(
    r"예정|목표|예상|노력|가능성|되는\s*대로|확인\s*(후|하여|해)|검토|전달|알려|안내|연락|말씀"
)
_F2_DATED_EN = rx(
    r"\b(will|'ll|is\s+going\s+to|are\s+going\s+to)\s+(be\s+)?(fixed|resolved|released|shipped|"
    r"available|added|live|deployed|restored|fix|ship|release|add|deploy|restore|launch|resolve)\b"
)
_F2_DATE_EN = rx(
    r"\b(tomorrow|today|tonight|next\s+(week|month|release|update|version)|this\s+(week|month)|"
    r"by\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday|the\s+end|end\s+of|\d)|"
    r"on\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)|within\s+\S+\s+(hours?|days?)|"
    r"in\s+the\s+next\s+(update|release|version))\b"
)
_F2_FEATURE_EN = rx(
    r"\b(we|we'll|we\s+will|I'll|I\s+will)\s+(definitely\s+|certainly\s+|surely\s+)?(add|build|"
    r"implement|launch|release|ship)\s+(this|that|the|a|your|it)\b"
)
_F2_HEDGE_EN = rx(
    r"\b(aim|aiming|plan|planned|planning|hope|hopefully|expect|expected|estimate|target|"
    r"tentative|may|might|could|should|likely|try|trying|no\s+promises|can'?t\s+(promise|guarantee)|"
    r"once|when|if|whether)\b"
)
_NEGATED_EN = re.compile(
    r"\b(can'?t|cannot|not|no|never|unable\s+to|won'?t)\s+(\w+\s+){0,2}$", re.I
)
_INSTRUCTION_KO = re.compile(r"(세요|십시오|시기\s*바랍니다|주시면)[.!?]?\s*$")


def check_overpromise(doc: Doc) -> list[Hit]:
    """F2: guarantees, certain dates for fixes, roadmap commitments (honest windows are fine)."""
    hits = []
    for m in doc.matches(_F2_PHRASES):
        before = doc.text[max(0, m.start() - 24) : m.start()]
        if _NEGATED_EN.search(before) or re.search(
            r"(할\s*수는?|드릴\s*수는?)\s*없", doc.text[m.end() : m.end() + 8]
        ):
            continue
        hits.append(Hit("F2", m.start(), m.end()))
    for start, sent in doc.sentences():
        if any(h.start is not None and start <= h.start < start + len(sent) for h in hits):
            continue
        hit = _overpromise_in_sentence(sent)
        if hit is not None and not doc.in_quote(start + hit[0], start + hit[1]):
            hits.append(Hit("F2", start + hit[0], start + hit[1]))
    return hits


def _overpromise_in_sentence(sent: str) -> tuple[int, int] | None:
    if _INSTRUCTION_KO.search(sent):
        return None
    m = _F2_INTENSIFIER.search(sent)
    if m and _F2_OUTCOME_KO.search(sent, m.end()):
        return m.start(), _F2_OUTCOME_KO.search(sent, m.end()).end()  # type: ignore[union-attr]
    for pattern, date, hedge in (
        (_F2_DATED_KO, _F2_DATE_KO, _F2_HEDGE_KO),
        (_F2_DATED_EN, _F2_DATE_EN, _F2_HEDGE_EN),
    ):
        m = pattern.search(sent)
        if m and date.search(sent) and not hedge.search(sent):
            return m.start(), m.end()
    for pattern, hedge in ((_F2_FEATURE_KO, _F2_HEDGE_KO), (_F2_FEATURE_EN, _F2_HEDGE_EN)):
        m = pattern.search(sent)
        if m and not hedge.search(sent) and (pattern is _F2_FEATURE_KO or _feature_word(sent)):
            return m.start(), m.end()
    return None


def _feature_word(sent: str) -> bool:
    return bool(
        re.search(r"\b(feature|option|integration|support|mode|function|dark\s+mode)", sent, re.I)
    )


# ---------------------------------------------------------------- F6 argue
_F6 = rx(
    r"진정\s*(하세요|하시|해\s*주세요|하십시오|좀)",
    r"흥분\s*(하지|하시|을\s*가라앉)",
    r"말씀드렸다시피|말씀드렸듯이|말씀드린\s*(것처럼|대로|바와\s*같이)",
    r"이미\s*(여러\s*(번|차례)\s*|몇\s*번\s*|수차례\s*|분명히\s*)?(안내|설명|말씀)\s*(을\s*)?(드렸|해\s*드렸|드린\s*바)",
    r"누차|몇\s*번을\s*(말씀|설명)",
    r"그렇게\s*(느끼셨다면|생각하셨다면|받아들이셨다면|느끼신다면)",
    r"(불편|기분\s*나쁘)\S*셨다면\s*(유감|죄송)",
    r"오해\s*(하신|이신|하고\s*계신)\s*(것|듯)",
    r"이해가\s*안\s*되시|왜\s*(그렇게\s*)?화를",
    r"\bas\s+I\s+(already\s+|previously\s+|clearly\s+)?(said|explained|mentioned|stated|told\s+you|wrote)",
    r"\bas\s+(previously|already)\s+(stated|explained|mentioned)",
    r"\blike\s+I\s+(said|told\s+you|explained)",
    r"\bI('ve|\s+have)\s+(already\s+)?(told|explained\s+(this|it)\s+to)\s+you",
    r"\bcalm\s+down\b",
    r"\b(sorry|apologi[sz]e)\s+(that\s+|if\s+)?you\s+feel\s+(that\s+way|like\s+that|this\s+way)",
    r"\bsorry\s+if\s+you\s+(were|felt|are|got)\s+(offended|upset|confused)",
    r"\bno\s+need\s+to\s+(shout|yell|be\s+rude|get\s+upset|use\s+caps)",
    r"\bif\s+you\s+(had\s+)?(actually|bothered\s+to)\s+read",
    r"\bwith\s+all\s+due\s+respect\b",
    r"\b(obviously|clearly),?\s+you\b|\byou\s+(clearly|obviously)\s+(didn'?t|did\s+not|don'?t)",
    r"\bit'?s\s+not\s+(our|my)\s+(fault|problem)\b",
)
_F6_SARCASM = rx(
    r"대단하시네요|알아서\s*하세요|마음대로\s*하세요|그러시든가|그러시던가|참\s*재미있|잘\s*해\s*보세요",
    r"\bgood\s+luck\s+with\s+that\b",
    r"\b(congratulations|congrats),?\s+you('ve|\s+have)?\s+(found|managed|broke|discovered)",
    r"\bthanks\s+for\s+(nothing|the\s+(novel|essay|lecture))",
    r"\bnice\s+try\b|\bwhatever\s+you\s+say\b|\bsure,?\s+because\b",
)


def check_argue(doc: Doc) -> list[Hit]:
    """F6: defensive or arguing tone (warning); sarcasm, or any of it with an angry customer
    (S1), is an error."""
    angry = "S1" in doc.situations
    hits = [Hit("F6", m.start(), m.end(), "error") for m in doc.matches(_F6_SARCASM)]
    for m in doc.matches(_F6):
        hits.append(Hit("F6", m.start(), m.end(), "error" if angry else "warning"))
    return hits


def conditional_apology_spans(doc: Doc) -> list[tuple[int, int]]:
    """Spans of apologies that are really F6 ("sorry you feel that way"): not an R4 apology."""
    return [(m.start(), m.end()) for m in doc.matches(_F6)]
