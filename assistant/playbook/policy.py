"""Forbidden moves about decisions the agent does not own: F3 boundary, F4 refund refusal,
F5 retention push.

F3 needs a matter outside the agent's authority (price, discount, exception, legal, security,
roadmap) and a yes/no decision in the same sentence, with no deferral to the team responsible
in it. F4 needs a refund and a refusal in one sentence and no reason asked or alternative
anywhere in the reply. F5 needs a cancellation context (situation S3, or cancelling in the
customer's message or the draft) and a persuasion attempt before the cancellation is confirmed.
"""

from __future__ import annotations

import re

from assistant.playbook.doc import Doc, Hit, rx

_HANGUL_RE = re.compile(r"[\uac00-\ud7a3]")

# ---------------------------------------------------------------- F3 boundary
_F3_TOPIC = rx(
    r"할인|가격|요금\s*(인하|조정|면제)|쿠폰|프로모션|무료\s*(로|연장|이용|업그레이드|제공|기간)|예외",
    r"법적|소송|변호사|손해\s*배상|배상|보상금|계약|약관|개인정보\s*(유출|침해)|유출|해킹|보안|취약점",
    r"로드맵|출시\s*(일|일정|시기)|정식\s*출시",
    r"특별히|예외적으로|이번(에)?\s*한(해|하여)|고객님께만|절반|반값|면제",
    r"\b(discounts?|price|pricing|coupons?|promo|free\s+(month|upgrade|extension|year|plan)|exceptions?)\b",
    r"\b(legal|lawsuit|lawyer|attorney|sue|compensation|damages|liab\w+|contract|GDPR)\b",
    r"\b(breach|vulnerabilit\w+|hack\w*|security)\b|\b(roadmap|release\s+date|launch\s+date)\b",
    r"\d+\s*%\s*off\b|\bhalf\s+(price|off)\b|\bfor\s+free\b|\bwaive\w*|\bprice\s+match\w*",
    r"\b(renewal|entitled)\b",
)
_F3_DECISION = rx(
    r"(가능|불가능|불가)(합니다|해요|하다|하며|하고)|가능하지\s*않|되지\s*않습니다|안\s*됩니다|해\s*드릴\s*수\s*(있|없)|드릴\s*수\s*(있|없)",
    r"(적용|제공|지급|연장|면제)해\s*드리겠|(적용|제공|지급|연장)\s*(됩니다|해\s*드립)|어렵습니다",
    r"(안전합니다|영향이\s*없|문제가\s*없|책임이\s*없|책임지지\s*않|해당되지\s*않)",
    r"\byes,?\s+(we|I)\s+can\b|\b(we|I)\s+can\s+(give|offer|do|apply|extend|waive|match|make|provide)",
    r"\b(we|I)('ll|\s+will)\s+(give|offer|apply|extend|waive|compensate|pay|refund)\b",
    r"(\bis|'s)\s+(not\s+)?possible\b|\bimpossible\b|\bnot\s+(allowed|eligible)\b",
    r"\b(can(no|')t|won'?t)\s+(give|offer|do|apply|extend|waive|provide)\b",
    r"\bthere('s|\s+is)\s+no\s+(way|discount|exception)|\bno\s+(discounts?|exceptions?)\b",
    r"\b(is|are)\s+(completely\s+|totally\s+|100%\s+)?(safe|secure|not\s+affected)\b|\bnot\s+liable\b",
    r"\b(will|'ll)\s+(be\s+)?(released|launched|available)\s+(in|on|by|next)\b",
    r"(맞춰|깎아|낮춰|줄여|빼|면제해|적용해|할인해|연장해|보상해|지급해|환불해|(로|으로)\s*해)\s*드리(겠|ᆸ니다|죠|ㄹ게)",
    r"(무료|반값|절반|할인)\S*\s*(로\s*)?(드립니다|드리겠|드릴게요)",
    r"(책임|보상|배상|의무)\S*\s*(\S+\s*)?(없습니다|없어요|없으|않습니다)",
    r"(가능성|위험|우려|걱정)\S*\s*(이|은|는)?\s*(전혀\s*)?(없|문제없)|문제\s*없으니|문제없으니|안심하(셔도|세요|십시오)",
    r"\b(I|we)('ve|\s+have)?\s+(gone\s+ahead\s+and\s+)?(made|granted|approved|authori[sz]ed)\s+"
    r"(an?\s+|the\s+|your\s+)?(exception|discount|refund|credit|compensation)",
    r"\b(not|aren'?t|isn'?t)\s+(entitled|liable|responsible)\b",
    r"\bcan(no|')t\s+(ever\s+|possibly\s+)?be\s+(hacked|breached|accessed|read|leaked|stolen|compromised)",
    r"\b(no|zero)\s+(security\s+)?risk\b|\bnobody\s+(else\s+)?can\s+(ever\s+)?(read|access|see)\b",
    r"\b(knock|take)\s+\S+\s+off\b|\b(I|we)('ll|\s+will|\s+can)\s+match\b",
)
_F3_DEFER = rx(
    r"담당\s*(팀|부서|자)|결제\s*팀|법무|보안\s*팀|확인\s*(후|하여|해\s*보고|한\s*(뒤|후))|여쭤|문의하여",
    r"전달하여|전달해|결정할\s*수\s*없|판단할\s*수\s*없|권한|가능\s*여부|답변드리겠|알려\s*드리겠|연락드리겠",
    r"\bcheck\s+with\b|\bask\s+(our|the)\b|\bteam\s+responsible\b|\b(billing|legal|security|product)\s+team\b",
    r"\bcan'?t\s+decide\b|\bcannot\s+decide\b|\bnot\s+(something\s+)?(I|we)\s+can\s+decide\b",
    r"\bnot\s+up\s+to\s+me\b|\boutside\s+(of\s+)?my\b|\bconfirm\s+with\b|\bescalat\w+|\bfind\s+out\b",
    r"\bget\s+back\s+to\s+you\b|\bwhether\b",
)
_F3_BARE_ANSWER = rx(
    r"^\s*(네|예|아니요|아뇨|죄송하지만|안타깝지만|아쉽지만|아쉽게도)[,.!\s]",
    r"^\s*(yes|no|unfortunately|sorry|sadly|sure|of\s+course)\b",
)
_REFUND = rx(r"환불|환급|반환|\brefund\w*|\bmoney\s+back\b|\breimburse\w*")


def check_boundary(doc: Doc) -> list[Hit]:
    """F3: yes/no on pricing, legal, security or roadmap without deferring to the owner."""
    customer_topic = bool(doc.customer_message and _F3_TOPIC.search(doc.customer_message))
    hits = []
    for start, sent in doc.sentences():
        decision = _F3_DECISION.search(sent)
        if not decision or _F3_DEFER.search(sent) or doc.in_quote(start + decision.start()):
            continue
        topic = _F3_TOPIC.search(sent)
        if topic is None and not (customer_topic and _F3_BARE_ANSWER.search(sent)):
            continue
        if topic is not None and _REFUND.search(sent) and not _non_refund_topic(sent):
            continue  # a refund alone is F4's business
        hits.append(Hit("F3", start + decision.start(), start + decision.end()))
    return hits


def _non_refund_topic(sent: str) -> bool:
    return any(not _REFUND.search(m.group(0)) for m in _F3_TOPIC.finditer(sent)) and bool(
        rx(r"예외|할인|법적|소송|보상|exception|discount|legal|compensation").search(sent)
    )


# ---------------------------------------------------------------- F4 refund refusal
_F4_REFUSAL = rx(
    r"불가|안\s*됩니다|안\s*돼|해\s*드릴\s*수\s*(가\s*|는\s*)?없|드릴\s*수\s*(가\s*|는\s*)?없|어렵습니다|하지\s*않습니다",
    r"거절|(진행|처리)되지\s*않|처리할\s*수\s*없|대상이\s*아닙|해당되지\s*않",
    r"\b(can(no|')t|unable\s+to|won'?t|will\s+not|do\s+not|don'?t)\s+(\w+\s+){0,2}(refund|offer|give|issue|process)",
    r"\bnot\s+(possible|able|eligible|refundable)|\bno\s+refunds?\b|\bnon-?refundable\b",
    r"\b(denied|declined|rejected)\b",
)
_F4_ALTERNATIVE = rx(
    r"대신|대안|다른\s*방법|방법을\s*안내|이유|사유|어떤\s*점|불편하신\s*점|무엇이|어떤\s*문제",
    r"(스토어|App\s*Store|앱\s*스토어|앱스토어|Google\s*Play|구글\s*플레이|Apple|애플|구글)\S*\s*\S*\s*(요청|신청|접수)",
    r"이용\s*기간\s*(을\s*)?연장|크레딧|부분\s*환불|일할",
    r"\binstead\b|\balternative\w*|\b(another|other)\s+options?\b|\bwhy\b|\bwhat\s+went\s+wrong\b|\breason\b",
    r"\brequest\s+(it|one|a\s+refund)\s+(through|from|via)\b|\b(through|via|from)\s+(Apple|Google|the\s+(App|Play)\s+Store)",
    r"\bcredit\b|\bextend\b|\bpro-?rat\w+|\bpartial\b",
)


def check_refund_refusal(doc: Doc) -> list[Hit]:
    """F4: a refund refused with no reason asked and no alternative anywhere in the reply."""
    if doc.has(_F4_ALTERNATIVE):
        return []
    hits = []
    for start, sent in doc.sentences():
        if not _REFUND.search(sent):
            continue
        m = _F4_REFUSAL.search(sent)
        if m and not doc.in_quote(start + m.start()):
            hits.append(Hit("F4", start, start + len(sent)))
    return hits


# ---------------------------------------------------------------- F5 retention push
_CANCEL = rx(
    r"해지|탈퇴|구독\s*(을\s*)?취소|결제\s*취소|계정\s*(을\s*)?삭제|자동\s*갱신\s*(을\s*)?(끄|해제)",
    r"\bcancel\w*|\bunsubscribe\b|\b(close|delete)\s+my\s+account\b|\bend\s+my\s+(subscription|plan)\b",
)
_F5_PUSH = rx(
    r"정말\s*(로)?\s*(해지|탈퇴|취소|떠나)|다시\s*(한\s*번|한번)?\s*(생각|고려)|재고(해|하|를)",
    r"잃게|잃으|잃어버리|사라지|사라집니다|떠나(지|시는)|남아\s*(주|계시)|계속\s*(이용|사용)해\s*(주시|보시)",
    r"할인|\d+\s*%|무료\s*(로\s*)?(연장|이용|제공|\d+\s*개월)|혜택|유지하시는\s*(것|게)|일시\s*정지",
    r"\bare\s+you\s+(sure|certain)\b|\byou('ll|\s+will|\s+would)\s+lose\b|\blose\s+(all|your|access)\b",
    r"\breconsider\b|\bbefore\s+you\s+(go|leave|cancel)\b|\bstay\s+with\s+us\b",
    r"\b(special|exclusive)\s+offer\b|\bdiscount\b|\d+\s*%\s*off\b|\bfree\s+(month|months|upgrade)\b",
    r"\bchange\s+your\s+mind\b|\b(hate|sad)\s+to\s+see\s+you\s+go\b|\binstead\s+of\s+cancel\w*",
    r"\bpause\s+(your|the)\s+(subscription|plan)\b|\bdowngrade\s+instead\b|\bthink\s+(it\s+)?(over|twice)\b",
    # offers, alternatives and questions that come before the cancellation is confirmed
    r"(해지|탈퇴|취소)\S*\s*(하시기\s*)?전에|(해지|탈퇴|취소)\s*(하지\s*)?말고|대신|어떠세요|어떨까요|어떠실까요",
    r"어떠신가요|아깝|아까우|조금만\s*더|한\s*번만\s*더|남으시|쿠폰|괜찮으시겠|여쭤\s*봐도|여쭤도|무료로\s*(드리|드립)",
    r"이유를\s*(먼저\s*)?(알려|여쭤|말씀)|(생각|고민)해\s*(주세요|주시|보시)|점을\s*(먼저\s*)?(알려|말씀해)\s*주실\s*수",
    r"\bhow\s+about\b|\bwhat\s+about\b|\bwould\s+(a|an|the)\s+(\w+\s+){0,2}(plan|tier|option|price)\s+work\b",
    r"\binstead\b|\brather\s+than\s+cancel\w*|\bhave\s+you\s+(tried|considered|looked\s+at)\b",
    r"\bwould\s+you\s+(consider|like\s+to\s+(try|keep|stay|switch))\b|\bif\s+you\s+stay\b",
    r"\b(could|can)\s+we\s+(do|hop|jump|set\s+up|schedule|have|talk|chat)\b|\bwhat\s+made\s+you\b",
    r"\b(can|may|could)\s+I\s+ask\s+(what|why)\b|\banything\s+(we|I)\s+can\s+do\b",
    r"\bworth\s+(staying|keeping|sticking|holding)\b|\bstick\s+(around|with)\b|\bgive\s+us\s+(another|a\s+second)\b",
    r"\bhalf\s+price\b|\bhate\s+to\s+see\s+you\s+(go|leave)\b|\b(switch|move)\s+to\s+(the\s+)?(free|a\s+cheaper)\b",
    r"\b(once|if|when)\s+you\s+cancel\w*,?\s+(you('ll|\s+will)\s+lose|your\s+\w+(\s+\w+)?\s+will\s+be\s+"
    r"(capped|limited|lost|deleted|gone|reduced))",
)
_F5_CONFIRM = rx(
    r"(해지|취소|탈퇴|삭제)\S*\s*(처리|완료|접수|신청)?\S*\s*(해\s*드리겠|해\s*드렸|되었습니다|됐습니다|완료|"
    r"처리하겠|처리해\s*드리|처리했|진행하겠|진행해\s*드리|될\s*예정|됩니다|되도록|했습니다)",
    r"\b(I|we)('ve|'ll|\s+have|\s+will|\s+just|\s+already)?\s+(just\s+)?(cancel(l)?ed|cancel|closed|"
    r"processed|turned\s+off)\b",
    r"\b(has|have)\s+been\s+(cancel(l)?ed|closed|deleted|turned\s+off)\b|\bwill\s+be\s+(cancel(l)?ed|closed)\b",
    r"\b(is|are)\s+(now\s+)?cancel(l)?ed\b|\bcancellation\s+(is|has\s+been|will\s+be)\s+(done|processed|"
    r"confirmed|complete)",
    r"(해지|취소|탈퇴)[^.?!\n]{0,30}?(처리|완료|접수|진행)\S*\s*(해\s*드리|해\s*드렸|되었|됐|했|하겠|됩니다|드리겠)",
)
# A confirmation that is really a condition or a question: "before I cancel", "해지하시면".
_F5_NOT_CONFIRM = rx(
    r"\b(before|if|once|when|should|whether|unless|until|to)\s+$|시면|시기|전에|실\s*경우|하면",
)


def check_retention_push(doc: Doc) -> list[Hit]:
    """F5: persuading a customer who asked to cancel before confirming the cancellation."""
    context = "S3" in doc.situations or bool(
        doc.customer_message and _CANCEL.search(doc.customer_message)
    )
    if not context and (doc.customer_message or not doc.has(_CANCEL)):
        return []
    first_confirm = _first_confirmation(doc)
    hits = []
    for m in doc.matches(_F5_PUSH):
        if m.start() < first_confirm:
            hits.append(Hit("F5", m.start(), m.end()))
    return hits


def _first_confirmation(doc: Doc) -> int:
    """Offset of the first sentence confirming the cancellation (past the text when none)."""
    for m in doc.matches(_F5_CONFIRM):
        s, e = doc.sentence_at(m.start())
        if doc.text[s:e].rstrip().endswith("?"):
            continue
        if _F5_NOT_CONFIRM.search(doc.text[max(s, m.start() - 12) : m.start()] + " ") or (
            _F5_NOT_CONFIRM.search(m.group(0)) and _HANGUL_RE.search(m.group(0))
        ):
            continue
        return m.start()
    return len(doc.text) + 1
