"""The offline drafter: a deterministic, playbook-complete reply when no model is configured.

It restates the customer's issue in their own words, greets them by name, apologises,
thanks, links the best help-center articles, and says what happens next with an honest
window counted in business days. A Korean reply ends its sentences in the channel's speech
level (setting ``ko_register``: 해요체 or 하십시오체). The wording lives in ``prompts/offline_reply/``; this
module only prepares the facts and picks the longest variant that fits the channel.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from assistant import prompts
from assistant.config import DEFAULT_BRAND, PUBLIC_CHANNELS
from assistant.models import Customer, Generation, Promise, SearchHit

OFFLINE_LABEL = "offline"
_PII = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|@\w+|#\w+|\+?\d[\d\s-]{7,}\d|https?://\S+|\b[A-Z]{2,5}-?\d{4,}\b",
    re.I,
)
_NOISE = re.compile(r"[ㅠㅜㅡㅋㅎ]{2,}|[!?~.…]+$|\s+")
_GREETING = re.compile(
    r"^(안녕하세요|안녕하십니까|hello|hi|hey|dear [\w ]+|good (morning|afternoon|evening))[\s,.!~]*",
    re.I,
)
_ABUSE = re.compile(
    r"쓰레기|병신|개같|씨발|ㅅㅂ|미친|fuck|shit|crap|garbage|trash|stupid|idiot", re.I
)
_DIRECTIVE = re.compile(
    r"\bignore\b|\binstructions?\b|\bsystem\b|\bprompt\b|\byou are now\b|\bpretend\b|"
    r"\boverride\b|\bdeveloper mode\b|\brepeat everything\b|</?\s*[a-z_]+\s*>|"
    r"지시|지침|프롬프트|무시하고|개발자\s*모드|이제부터|지금부터|관리자|메모|반말",
    re.I,
)
"""Sentences that address the assistant rather than describe the issue: never restated."""
_NEVER_RESTATED = frozenset({"F2", "F7", "F8"})
"""Promises, links and leaks: a quoted restatement carrying one would still put it in the reply."""
_WEEKDAYS_KO = "월화수목금토일"
_QUESTION = re.compile(
    r"\?|(나요|까요|는지|을까|ㄹ까)[\s.~]*$|^(how|what|when|where|why|can|could|is|are|do|does)\b",
    re.I,
)


@dataclass
class OfflineRequest:
    """The facts the offline drafter needs (all plain data)."""

    message: str
    language: str
    channel: str
    situations: list[str]
    sources: list[SearchHit]
    customer: Customer | None = None
    overdue: list[Promise] = field(default_factory=list)
    agent_name: str = "Support team"
    company: str = DEFAULT_BRAND.company
    today: date = field(default_factory=date.today)
    register: str = ""
    """The Korean speech level of the reply (``haeyo``/``hapsyo``; "" the channel's)."""


def business_days_after(start: date, days: int) -> date:
    """The date ``days`` business days (Mon–Fri) after ``start``."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def format_window(due: date, language: str, days: int | None = None) -> str:
    """An honest window in business days with its date.

    ``"영업일 기준 2일 이내(11월 25일 수요일까지)"`` / ``"within 2 business days (by Wednesday, November 25)"``;
    without ``days`` only the date part.
    """
    if language == "ko":
        when = f"{due.month}월 {due.day}일 {_WEEKDAYS_KO[due.weekday()]}요일까지"
        return f"영업일 기준 {days}일 이내({when})" if days else when
    when = f"by {due.strftime('%A')}, {due.strftime('%B')} {due.day}"
    if not days:
        return when
    unit = "business day" if days == 1 else "business days"
    return f"within {days} {unit} ({when})"


def issue_phrase(message: str, language: str, limit: int | None = None) -> str:
    """The customer's own words for the issue, quoted: the most telling sentence, cleaned.

    Contact details, links, abusive words and injected instructions never come back; an
    empty string means no safe restatement was found (the template then says something
    generic).
    """
    return _best_sentence(message, language, limit)[0]


def _best_sentence(message: str, language: str, limit: int | None = None) -> tuple[str, bool]:
    """The quoted restatement, and whether the customer asked it as a question."""
    from assistant.text import sentences, terms

    limit = limit or (48 if language == "ko" else 90)
    best, best_score, question = "", 0, False
    for _start, _end, sentence in sentences(message)[:6]:
        cleaned = _GREETING.sub("", sentence.strip())
        cleaned = _NOISE.sub(" ", _PII.sub("", cleaned)).strip(" ,.!?~")
        if not cleaned or _ABUSE.search(cleaned) or _unsafe(cleaned, language):
            continue
        score = len(terms(cleaned))
        if score > best_score:
            best, best_score = cleaned, score
            question = sentence.rstrip().endswith("?") or bool(_QUESTION.search(sentence))
    if not best:
        return "", False
    if len(best) > limit:
        cut = best[:limit].rsplit(" ", 1)[0]
        best = (cut if len(cut) > limit // 2 else best[:limit]) + "…"
    return (f"“{best}?”" if question and language == "en" else f"“{best}”"), question


def _unsafe(sentence: str, language: str) -> bool:
    """True for an instruction to the assistant, or words the playbook would forbid in a reply
    (a promise, a link, a leak): a customer's injected text never comes back in the draft."""
    if _DIRECTIVE.search(sentence):
        return True
    from assistant import playbook

    result = playbook.check(sentence, lang=language, known_urls=set(), situations=[])
    return any(f.severity == "error" and f.rule in _NEVER_RESTATED for f in result.findings)


def _window(req: OfflineRequest) -> tuple[str, str]:
    if "S5" in req.situations or "S2" in req.situations:
        kind, days = "team", 2
    elif "S4" in req.situations or "S7" in req.situations:
        kind, days = "bug", 2
    else:
        kind, days = "plain", 1
    due = business_days_after(req.today, days)
    if req.channel in PUBLIC_CHANNELS:
        return format_window(due, req.language), kind
    return format_window(due, req.language, days), kind


LANGUAGE_MARK = {"ko": {"en": "영문"}, "en": {"ko": "in Korean"}}
"""How a reply in one language marks a linked article written in the other."""


def _link(source: SearchHit, language: str, public: bool) -> dict[str, str]:
    """A link of the reply; an article in another language than the reply's is marked so
    (after its title, or after the address in a public reply, which shows only the address)."""
    mark = LANGUAGE_MARK.get(language, {}).get(source.lang)
    if not mark:
        return {"title": source.title, "url": source.url}
    if public:
        return {"title": source.title, "url": f"{source.url} ({mark})"}
    return {"title": f"{source.title} ({mark})", "url": source.url}


def compose(req: OfflineRequest, fits: Callable[[str], bool] | None = None) -> Generation:
    """Render the reply; for short channels, the longest variant that ``fits``."""
    window, kind = _window(req)
    public = req.channel in PUBLIC_CHANNELS
    name = req.customer.name if req.customer else ""
    best = req.sources[:1] + [s for s in req.sources[1:2] if not public and s.score >= 0.75]
    links = [_link(s, req.language, public) for s in best]
    text = ""
    for brevity in (0, 1, 2, 3):
        limit = 24 if public and brevity else None
        issue, question = _best_sentence(req.message, req.language, limit)
        text = prompts.render_text(
            "offline_reply",
            "v1",
            language=req.language,
            channel=req.channel,
            public=public,
            brevity=min(brevity, 2),
            name=name if not (public and brevity >= 2) else "",
            agent_name=req.agent_name,
            company=req.company,
            issue=issue if brevity < 3 else "",
            question=question,
            situations=req.situations,
            links=links,
            window=window,
            window_kind=kind,
            overdue=[p.what for p in req.overdue],
        )
        text = _in_register(_tidy(text), req)
        if fits is None or fits(text):
            break
    return Generation(text=text, model=OFFLINE_LABEL, latency_ms=0.0)


def _in_register(text: str, req: OfflineRequest) -> str:
    """A Korean reply with its endings in the channel's speech level (:mod:`assistant.speech`)."""
    if req.language != "ko":
        return text
    from assistant import speech
    from assistant.config import ko_register

    return speech.convert(text, req.register or ko_register(req.channel)).text


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n(감사합니다\.|Best regards,|Thank you!)$", r"\n\n\1", text, flags=re.M)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text[:1].upper() + text[1:]
