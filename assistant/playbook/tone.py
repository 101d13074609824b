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

from assistant.models import Severity
from assistant.playbook.doc import Doc, Hit, rx
from assistant.playbook.morph import (
    F1_MORPH,
    F1_THANKS,
    F1_TRIGGER,
    F2_DATE_MORPH,
    F2_HEDGE,
    F2_MORPH,
    F2_TRIGGER,
    F6_MORPH,
    F6_TRIGGER,
    morph_matches,
)

# ---------------------------------------------------------------- F1 blame
_DAMAGE = (
    r"deleted|removed|erased|emptied|cleared|archived|moved|overwrote|overwritten|"
    r"(turned|switched|logged|signed)\s+(\w+\s+){0,2}(off|out)|disabled|logged\s+out|signed\s+out|uninstalled|closed|changed|typed|mistyped|"
    r"entered|clicked|tapped|pressed|forgot|forgotten|missed|skipped|ignored|misread|misunderstood|"
    r"selected|chose|chosen|dragged|renamed|reset|declined|denied"
)
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
    r"저희\s*(쪽|측|서버|앱|시스템)\S*\s*(아무\s*|전혀\s*)?(문제|이상|오류)\S*\s*없",
    r"저희\s*(서버|앱|시스템)\S*\s*(\S+\s*){0,2}?(삭제하|지우|잃어버리|없애)지\s*않",
    r"고객님\s*(쪽|측|기기|네트워크|환경|설정)\S*\s*(\S+\s*){0,3}?(문제|원인|탓|오류)(로|인|입|일|이라|때문)",
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
    r"\bhad\s+you\s+(read|followed|checked)",
    # "you must've / probably / likely <damaging verb>": the customer as the cause
    r"\byou(\s+must|\s+probably|\s+likely|\s+obviously|\s+clearly|\s+surely)?(\s+have|'ve)?"
    r"\s+(must|probably|likely|obviously|clearly|surely|accidentally|mistakenly)\s+(have\s+)?"
    rf"({_DAMAGE})\b",
    rf"\byou(\s+must|\s+probably|\s+likely|\s+obviously|\s+surely)(\s+have|'ve)\s+({_DAMAGE})\b",
    r"\b(most\s+likely|probably|clearly|obviously)\s+you\s+\w+(ed|t)\b",
    rf"\byou\s+({_DAMAGE})\s+(it|them|this|that|the\s+\w+|your\s+\w+)\s+(yourself|by\s+mistake|by\s+accident)",
    r"\b(yourself|you)\s+(\w+\s+){0,2}(by\s+mistake|by\s+accident)\b",
    # "the problem is on your end", "works fine on our side", "coming from your viewer, not us"
    r"\b(problem|issue|error|fault|cause|culprit|trouble)s?\b[^.?!]{0,40}\b(on|with|from|in)\s+your\s+"
    r"(end|side|device|network|connection|computer|phone|viewer|browser|settings|setup)\b",
    r"\b(works?|working|runs?|running)\s+(fine|perfectly|correctly|normally|well)\s+on\s+our\s+(end|side)",
    r"\bnothing\s+wrong\s+(with|on)\s+our\s+(end|side|app|servers?|system)",
    r"\bfrom\s+your\s+\w+(\s+\w+)?,?\s+not\s+(from\s+)?(us|ours|our)\b",
    # "you didn't type the code in time", "because you forgot"
    r"\byou\s+(didn'?t|did\s+not)\s+(?!(have|need|get|receive|hear|do\s+anything|do\s+nothing|lose|"
    r"miss\s+out|deserve|mean|ask\s+for))\w+",
    rf"\b(because|since)\s+you\s+(forgot|didn'?t|did\s+not|never|{_DAMAGE})\b",
    # "notes don't just vanish", "our servers never delete attachments"
    r"\b(can(no|')t|don'?t|do\s+not|doesn'?t|does\s+not|never)\s+(just\s+|simply\s+)(disappear|vanish)",
    r"\bour\s+(servers?|sync|system|app)\s+(never|don'?t|doesn'?t|do\s+not|does\s+not|can'?t|cannot)\s+"
    r"(delete|remove|lose|erase)",
)
# A condition or a sympathy before the words makes them no blame: "if you didn't get the mail".
_F1_SOFT_EN = re.compile(
    r"\b(if|in\s+case|whether|unless|even\s+if|sorry|hope|make\s+sure|so\s+that)\b[^.?!]*$", re.I
)
_F1_NEGATED = re.compile(r"^\s*(이|가|은|는)?\s*(절대\s*)?(아닙|아니|아닌)", re.I)
_F1_NEGATED_EN = re.compile(r"\b(not|never|isn'?t|wasn'?t|no)\s+(\w+\s+){0,1}$", re.I)


def check_blame(doc: Doc) -> list[Hit]:
    """F1: blaming the customer or denying what they saw (negations are fine)."""
    hits = []
    for m in doc.matches(_F1):
        after = doc.text[m.end() : m.end() + 12]
        before = doc.text[max(0, m.start() - 12) : m.start()]
        sent_start = doc.sentence_at(m.start())[0]
        if _F1_NEGATED.search(after) or _F1_NEGATED_EN.search(before):
            continue
        if _F1_SOFT_EN.search(doc.text[sent_start : m.start()]):
            continue
        hits.append(Hit("F1", m.start(), m.end()))
    for start, end in morph_matches(doc, F1_MORPH, F1_TRIGGER):
        sent_start, sent_end = doc.sentence_at(start)
        if F1_THANKS.search(doc.text[sent_start:sent_end]):
            continue
        hits.append(Hit("F1", start, end))
    return distinct(hits)


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
    r"\b(will|'ll)\s+100\s*%\s+\w+",
)
# Assurances: an overpromise unless all they back is the agent's own next message.
_F2_ASSURE = rx(
    r"\brest\s+assured\b|\b(I|we)\s+(can\s+)?assure\s+you\b|\byou\s+have\s+(my|our)\s+word\b",
    r"\b(I|we)\s+give\s+you\s+(my|our)\s+word\b|\bno\s+doubt\s+about\s+it\b",
)
_OWN_UPDATE_EN = rx(
    r"\b(I|we)('ll|\s+will)\s+(\w+\s+)?(update|write|get\s+back|let\s+you\s+know|keep\s+you|follow\s+up|"
    r"reply|contact|be\s+in\s+touch|check|look)",
    r"\b(I|we)('ve|\s+have)\s+(passed|forwarded|shared|escalated|sent|flagged|asked)",
)
_OUTCOME_EN = rx(
    r"\b(fixed|back|resolved|restored|working|work\s+again|sorted|recovered|ready|live|ship\w*|"
    r"lands?|released|available|added|normal)\b"
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
    r"available|added|live|deployed|restored|fix|ship|release|add|deploy|restore|launch|resolve|"
    r"back|sorted(\s+out)?|working|work\s+again|up\s+and\s+running)\b",
    r"\b(fix|update|patch|release|version|widget|feature)\s+(goes\s+(out|live)|ships|lands|is\s+out|"
    r"comes\s+out|rolls\s+out|arrives)\b",
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
    hits.extend(_assurances(doc))
    hits.extend(_overpromise_morph(doc))
    for start, sent in doc.sentences():
        if any(h.start is not None and start <= h.start < start + len(sent) for h in hits):
            continue
        hit = _overpromise_in_sentence(sent)
        if hit is not None and not doc.in_quote(start + hit[0], start + hit[1]):
            hits.append(Hit("F2", start + hit[0], start + hit[1]))
    return distinct(hits)


def distinct(hits: list[Hit]) -> list[Hit]:
    """``hits`` in text order without those overlapping an earlier one of the same rule."""
    out: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.start or 0, -(h.end or 0))):
        if not any(
            o.rule == h.rule and (o.start or 0) < (h.end or 0) and (h.start or 0) < (o.end or 0)
            for o in out
        ):
            out.append(h)
    return out


def _assurances(doc: Doc) -> list[Hit]:
    """ "Rest assured", "you have my word": fine only when they back the agent's own update."""
    hits = []
    for m in doc.matches(_F2_ASSURE):
        s, e = doc.sentence_at(m.start())
        sent = doc.text[s:e]
        if _OWN_UPDATE_EN.search(sent) and not _OUTCOME_EN.search(sent):
            continue
        hits.append(Hit("F2", m.start(), m.end()))
    return hits


def _overpromise_morph(doc: Doc) -> list[Hit]:
    """Korean: a certainty adverb on an outcome ("완전히 해결되니"), or a date with an outcome
    stated as fact ("화요일이면 정상적으로 작동합니다") and no hedge."""
    if doc.lang != "ko":
        return []
    hits = [Hit("F2", s, e) for s, e in morph_matches(doc, F2_MORPH, F2_TRIGGER)]
    for s, e in morph_matches(doc, F2_DATE_MORPH, F2_TRIGGER):
        sent_start, sent_end = doc.sentence_at(s)
        if not F2_HEDGE.search(doc.text[sent_start:sent_end]):
            hits.append(Hit("F2", s, e))
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
    # "as I've mentioned twice now", "as I pointed out in my last email", "as mentioned before"
    r"\bas\s+I('ve|\s+have)?\s+(already\s+|previously\s+|clearly\s+)?(said|explained|mentioned|stated|"
    r"pointed\s+out|noted|told\s+you|written|wrote)",
    r"\bas\s+(already\s+|previously\s+)?(stated|explained|mentioned|noted)\s+(before|earlier|previously|above|"
    r"in\s+my)",
    r"\blike\s+I('ve|\s+have)?\s+(already\s+)?(said|told\s+you|explained|mentioned|written|wrote)",
    # "this was covered in my last three emails", "already answered in my previous reply"
    r"\b(covered|explained|answered|addressed|mentioned|stated)\s+(this\s+|that\s+|it\s+)?(already\s+)?"
    r"(in|on)\s+my\s+(last|previous|earlier|prior|other)\b",
    r"\b(I've|I\s+have)\s+(already\s+)?(explained|told\s+you|said|answered|mentioned)\s+(this|that|it)?\s*"
    r"(\w+\s+)?(several|multiple|many|a\s+few|two|three|\w+)\s+times\b",
    r"\b(twice|three\s+times|several\s+times|multiple\s+times|many\s+times)\s+(now|already)\b",
    r"\bfor\s+the\s+(second|third|fourth|fifth|last)\s+time\b",
    r"\bif\s+you\s+had\s+(actually\s+)?(read|looked\s+at|checked|followed)\b",
    r"\bhad\s+you\s+(actually\s+)?(read|looked\s+at|checked)\b",
    r"\bplease\s+(re-?read|read\s+(my|the)\s+(previous|earlier|last))\b",
    r"\bno\s+need\s+to\s+(get|be)\s+(so\s+)?(worked\s+up|upset|angry|rude|aggressive|dramatic)",
    r"\b(shouting|yelling|writing\s+in\s+(all\s+)?caps|capitals|insulting\s+us)\b[^.?!]{0,30}\b(won'?t|will\s+not|doesn'?t)\b",
    r"\b(can'?t|cannot)\s+(make\s+(it|this)|be)\s+any\s+clearer\b|\bI('ve|\s+have)\s+been\s+(very\s+)?clear\b",
)
_F6_KO_SURFACE = rx(
    r"다시\s*(한\s*번|한번)?\s*(말씀|설명|강조)\s*드리(지만|자면|는데)",
    r"(읽|보|확인)\S*\s*(보)?셨다면\s*(\S+\s*){0,2}(아실|아셨을|알\s*수|텐데)",
    r"제대로\s*(읽|보)\S*\s*(보)?셨다면",
    r"몇\s*번(이나|을|째)\s*(말씀|설명|안내)",
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
    severity: Severity = "error" if angry else "warning"
    for m in doc.matches(_F6):
        hits.append(Hit("F6", m.start(), m.end(), severity))
    for m in doc.matches(_F6_KO_SURFACE):
        hits.append(Hit("F6", m.start(), m.end(), severity))
    for start, end in morph_matches(doc, F6_MORPH, F6_TRIGGER):
        hits.append(Hit("F6", start, end, severity))
    return distinct(hits)


def conditional_apology_spans(doc: Doc) -> list[tuple[int, int]]:
    """Spans of apologies that are really F6 ("sorry you feel that way"): not an R4 apology."""
    return [(m.start(), m.end()) for m in doc.matches(_F6)]
