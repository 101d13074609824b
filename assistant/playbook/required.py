"""The required moves R1-R6: which apply to a reply, and whether the draft makes them."""

from __future__ import annotations

import re

from assistant.config import PUBLIC_CHANNELS
from assistant.models import Severity
from assistant.playbook.doc import Doc, Hit, rx
from assistant.playbook.privacy import normalise_url, url_spans
from assistant.text import terms

_APOLOGY_SITUATIONS = frozenset({"S1", "S2", "S4", "S7"})
_FOLLOW_UP_SITUATIONS = frozenset({"S4", "S5", "S7"})


def required_moves(situations: list[str], channel: str) -> list[str]:
    """The R rules a reply for ``situations`` on ``channel`` must make.

    - Default (no situation known, email/chat): all six moves.
    - Praise only (S8): thank (R3) and greet (R6) — no apology, no next step, no link needed.
    - Apology (R4) is required when something went wrong or may have: no situation known,
      S1 angry, S2 refund, S4 bug, S7 systemic. A plain how-to (S6), cancellation (S3) or
      out-of-scope question (S5) does not need one.
    - Next step (R5) is required unless the reply itself settles it: not for S6 alone,
      not for praise. On public channels the next step is the invitation to a private
      channel, so R5 is not required there.
    - Link (R2): always in email/chat except praise; on public channels only for S6, where
      the article is the answer (X counts a link as 23 characters, it fits).
    - Greeting (R6): everywhere except X, whose 280 characters go to the substance; the
      agent's introduction or signature is required in email and chat only.
    """
    sits = set(situations)
    public = channel in PUBLIC_CHANNELS
    if sits == {"S8"}:
        return ["R3"] if channel == "x" else ["R3", "R6"]
    moves = ["R1"]
    if (not public and "S8" not in sits) or "S6" in sits:
        moves.append("R2")
    moves.append("R3")
    if not sits or sits & _APOLOGY_SITUATIONS:
        moves.append("R4")
    if not public and not (sits and sits <= {"S6", "S8"}):
        moves.append("R5")
    if channel != "x":
        moves.append("R6")
    return moves


def move_severity(rule: str, situations: list[str], channel: str) -> Severity:
    """Missing moves are warnings, except a missing next step (R5) when the situation needs a
    follow-up (S4 bug, S5 out of scope, S7 systemic) and a missing link (R2) for a how-to (S6)."""
    sits = set(situations)
    if rule == "R5" and sits & _FOLLOW_UP_SITUATIONS:
        return "error"
    if rule == "R2" and "S6" in sits:
        return "error"
    return "warning"


# ---------------------------------------------------------------- detectors
_RESTATE = rx(
    r"문의(하신|해\s*주신|주신)|말씀(하신|해\s*주신|주신)|알려\s*주신|제보(하신|해\s*주신)|요청(하신|해\s*주신)",
    r"겪(고\s*계신|으신|고\s*계시)|보내\s*주신|남겨\s*주신|(라고|다고)\s*(하셨|말씀)|하셨다고|않는다고|안\s*된다고",
    r"\byou\s+(mentioned|said|wrote|reported|described|noted|told\s+us|asked|requested|flagged)\b",
    r"\byou('re|\s+are)\s+(asking|having|seeing|unable|not\s+able)\b",
    r"\bI\s+understand\s+(that\s+)?(your|you)\b|\bit\s+sounds\s+like\b|\bif\s+I\s+understand\b",
    r"\b(regarding|about)\s+your\s+(question|request|issue|problem|report|message)\b",
    r"\byour\s+(question|request|message|report)\s+about\b",
)
_THANK = rx(r"감사|고맙|고마워|\bthank|\bthanks\b|\bappreciate|\bgrateful\b")
_APOLOGY = rx(
    r"죄송|사과(드립|드리|의\s*말씀)|송구|불편을\s*(드려|끼쳐|드린)",
    r"\bsorry\b|\bapologi[sz]e|\bapologies\b|\bregret\s+(the|any)\b",
)
_WINDOW = rx(
    r"영업일|이내|(\d+|한|두|세|하루|이틀|사흘)\s*(시간|일|주)?\s*(안에|내에|내로|이내)|오늘\s*(중|안|내)|금일|익일",
    r"내일\s*(까지|중|오전|오후)|[월화수목금토일]요일\s*(까지|중|오전|오후|에)|이번\s*주\s*(중|안|내|까지)",
    r"다음\s*주\s*(초|중|까지|[월화수목금]요일)|\d+\s*월\s*\d+\s*일\s*(까지|에|중)|\d+\s*시\s*(까지|전|이전)",
    r"\bwithin\s+(\d+|one|two|three|four|five|a|an|the\s+next)\s*(\w+\s+)?(hours?|days?|weeks?)\b",
    r"\bby\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|noon|eod)\b",
    r"\bby\s+(the\s+)?end\s+of\s+(the\s+|this\s+)?(day|week)\b|\bby\s+\d",
    r"\b(today|tomorrow|tonight)\b|\b(this|next)\s+(week|monday|tuesday|wednesday|thursday|friday)\b",
    r"\bin\s+the\s+next\s+\d+\s+(hours?|days?)\b|\bon\s+(monday|tuesday|wednesday|thursday|friday)\b",
)
_ACTION = rx(
    r"연락|안내|알려|답변|회신|말씀드리|공유|전달|처리|보내|드리겠|하겠|드릴게요|할게요|예정",
    r"\b(get\s+back|update|follow\s+up|reply|respond|let\s+you\s+know|contact|reach\s+out|email|write|"
    r"send|check|look\s+into|process|confirm|hear|investigate|share)\b|\b(will|'ll)\b",
)
_GREETING = rx(
    r"안녕하세요|안녕하십니까|반갑습니다|^\s*\S+\s*님[,!.\s]|고객님[,!.]",
    r"^\s*(hi|hello|hey|dear|good\s+(morning|afternoon|evening))\b",
)
_INTRO = rx(
    r"(저는|제가)\s+\S+.{0,20}(입니다|이에요|예요)|(고객지원팀|지원팀|고객센터|상담원|매니저|담당자|팀)\s*\S*\s*\S+(입니다|이에요|예요)",
    r"드림\s*$|^\s*[-–—]\s*\S+|하루노트\s*(고객지원팀|팀|고객센터|지원팀|서포트)",
    r"\bmy\s+name\s+is\b|\bI('m|\s+am)\s+\w+\s+(from|with|at|on)\b|\bthis\s+is\s+\w+\s+(from|at|with|on)\b",
    r"\b(best|kind|warm)\s+regards\b|\bregards,|\bsincerely\b|\bcheers,|\bHaru\s*Notes\s+(support|team)\b",
)
_GENERIC_TERMS = frozenset(
    "하다 있다 되다 않다 없다 같다 주다 보다 고객 문의 하루 노트 하루노트 안녕 감사 수 것 거 때 좀 제 저 님 "
    "번 등 분 더 이 그 app note haru harunot hi hello thank "
    # how the customer feels is not what the issue is: "화나네요", "답답해요", "짜증나요"
    "나다 화나다 답답하다 짜증 짜증나다 속상하다 너무 진짜 정말 제발 빨리 벌써 또".split()
)


_PARTICLES = frozenset("가이은는을를로에도")


def _key_terms(message: str) -> set[str]:
    return {t for t in terms(message) if t not in _GENERIC_TERMS and len(t) > 1 or t.isdigit()}


def _term_in(term: str, lowered: str) -> bool:
    if term.endswith("다") and len(term) >= 3 and not term.isascii():
        return term[:-1] in lowered
    if term.isascii():
        return re.search(r"\b" + re.escape(term), lowered) is not None
    if len(term) >= 3 and term[-1] in _PARTICLES:  # an unknown word Kiwi kept with its particle
        return term in lowered or term[:-1] in lowered
    return term in lowered


def confirms(doc: Doc) -> bool:
    """R1: the draft restates the customer's issue (shared key terms or a restating phrase)."""
    if doc.has(_RESTATE):
        return True
    if not doc.customer_message:
        return False
    key = _key_terms(doc.customer_message)
    if not key:
        return True
    lowered = doc.text.lower()
    shared = sum(1 for t in key if _term_in(t, lowered))
    return shared >= min(2, len(key))


def links(doc: Doc) -> bool:
    """R2: a URL (a known one when the knowledge-base URLs are given)."""
    spans = url_spans(doc.text)
    if doc.known_urls is None:
        return bool(spans)
    known = {normalise_url(u) for u in doc.known_urls}
    return any(normalise_url(doc.text[s:e]) in known for s, e in spans)


def apologises(doc: Doc, insincere: list[tuple[int, int]]) -> bool:
    """R4: a sincere apology (not one inside an F6 "sorry you feel that way")."""
    return any(not any(s <= m.start() < e for s, e in insincere) for m in doc.matches(_APOLOGY))


def next_step(doc: Doc) -> bool:
    """R5: one sentence with both an action and a time window."""
    return any(_WINDOW.search(s) and _ACTION.search(s) for _, s in doc.sentences())


def greets(doc: Doc, need_intro: bool) -> bool:
    """R6: a greeting or the customer's name, plus the agent's introduction where needed."""
    lines = doc.text.splitlines()
    head = "\n".join(lines[:3])
    greeted = bool(_GREETING.search(head)) or bool(
        doc.customer and doc.customer.name and doc.customer.name.split()[0] in head
    )
    if not need_intro:
        return greeted
    intro = any(_INTRO.search(line) for line in lines)
    return greeted and intro


def check_moves(doc: Doc, insincere: list[tuple[int, int]]) -> list[Hit]:
    """A finding (no span) for every required move the draft does not make."""
    detectors = {
        "R1": lambda: confirms(doc),
        "R2": lambda: links(doc),
        "R3": lambda: doc.has(_THANK),
        "R4": lambda: apologises(doc, insincere),
        "R5": lambda: next_step(doc),
        "R6": lambda: greets(doc, need_intro=doc.channel not in PUBLIC_CHANNELS),
    }
    return [
        Hit(rule, severity=move_severity(rule, doc.situations, doc.channel))
        for rule in required_moves(doc.situations, doc.channel)
        if not detectors[rule]()
    ]
