"""F7 fabricated links and F8 leaks.

F7: every URL in the draft must be one of the knowledge-base URLs (compared without
scheme case, ``www.``, trailing slash, fragment or trailing punctuation).
F8: e-mail addresses, phone numbers (Korean mobile and landline, +82, North American,
international), card numbers (Luhn-valid), order ids, street addresses, internal-note
markers, secrets and system-prompt echoes. In private channels (email, chat) the current
customer's own e-mail, phone and the ids they wrote themselves may be quoted back; in public
channels no account detail at all. Company addresses (under the ``own_domain`` setting,
@harunotes.example by default) are never leaks.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.config import brand
from assistant.playbook.doc import Doc, Hit, rx

URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'`\u3131-\u318e\uac00-\ud7a3]+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|kr|example|app|dev|me|ly)/[^\s<>\"'\uac00-\ud7a3]*",
    re.I,
)
_TRAILING = ".,;:!?)]}>'\"’”。、"


def normalise_url(url: str) -> str:
    """A URL in comparable form: no scheme, no ``www.``, no fragment, no trailing slash."""
    url = url.strip().rstrip(_TRAILING)
    url = re.sub(r"^https?://", "", url, flags=re.I)
    url = re.sub(r"^www\.", "", url, flags=re.I)
    url = url.split("#", 1)[0].rstrip("/")
    host, _, path = url.partition("/")
    return host.lower() + ("/" + path if path else "")


def url_spans(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of every URL in ``text``, trailing punctuation excluded."""
    out = []
    for m in URL.finditer(text):
        if m.start() > 0 and text[m.start() - 1] == "@":
            continue
        end = m.end()
        while end > m.start() and text[end - 1] in _TRAILING:
            end -= 1
        out.append((m.start(), end))
    return out


def check_links(doc: Doc) -> list[Hit]:
    """F7: every URL not in ``known_urls`` (skipped when no list is given)."""
    if doc.known_urls is None:
        return []
    known = {normalise_url(u) for u in doc.known_urls}
    return [
        Hit("F7", s, e) for s, e in url_spans(doc.text) if normalise_url(doc.text[s:e]) not in known
    ]


# ---------------------------------------------------------------- F8 leak
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = rx(
    r"(?<![\d-])(?:\+82[-.\s]?)?0?1[016789][-.\s]?\d{3,4}[-.\s]?\d{4}(?![\d-])",
    r"(?<![\d-])\+82[-.\s]?\(?0?\d{1,2}\)?[-.\s]?\d{3,4}[-.\s]?\d{4}(?![\d-])",
    r"(?<![\d-])\(?0(?:2|[3-6][1-5]|70|80)\)?[-.\s]\d{3,4}[-.\s]\d{4}(?![\d-])",
    r"(?<![\d-])(?:\+?1[-.\s])?\(?[2-9]\d{2}\)?[-.\s]\d{3}[-.\s]\d{4}(?![\d-])",
    r"(?<![\d-])\+\d{1,3}[-.\s]\d{1,4}[-.\s]\d{3,4}[-.\s]\d{3,4}(?![\d-])",
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_ORDER_CODE = re.compile(
    r"\b(?:ORD|ORDER|INV|GPA|TXN|PAY)[-_.]?(?=[A-Z0-9.\-]*\d)[A-Z0-9][A-Z0-9.\-]{3,}\b"
)
_ORDER = rx(
    _ORDER_CODE.pattern,
    r"(?:주문|결제|거래|영수증)\s*번호\s*(?:는|은)?\s*[:：]?\s*#?[A-Z0-9][A-Z0-9-]{4,}",
    r"\b(?:order|invoice|receipt|transaction)\s*(?:#|number|no\.?|id)\s*(?:is\s*)?[:：]?\s*#?[A-Z0-9][A-Z0-9-]{4,}",
    r"(?<![\w&])#\d{6,}\b",
)
_ADDRESS = rx(
    r"(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주)\S*\s+"
    r"(?:\S+(?:시|구|군)\s+){1,2}\S+(?:로|길|동|읍|면)\s*\d+(?:[-\s]\d+)?(?:\s*,?\s*\d+동\s*\d+호)?",
    r"\d+동\s*\d+호",
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|"
    r"Lane|Ln\.?|Drive|Dr\.?|Court|Ct\.?|Way)(?![a-z])",
)
_INTERNAL = rx(
    r"\binternal\s+(note|only|memo|comment|use)\b|\[\s*internal\s*\]|\bagent\s+note\b",
    r"내부\s*(메모|참고|용|노트|전용|공유|검토)|상담원\s*메모|\bdo\s+not\s+share\b|외부\s*공유\s*금지",
    r"\bnote\s+to\s+self\b|\bTODO\s*:|\bFIXME\b|\bJIRA-\d+|\bescalation\s+notes?\b",
    r"\bsk-[A-Za-z0-9]{16,}|\b(api[_\s-]?key|password|token)\s*[:=](?!\s*https?://)|비밀번호\s*[:：]\s*(?!https?://)\S+",
    r"\bsystem\s+prompt\b|\bmy\s+(instructions|guidelines|system\s+message)\s+(are|say|tell)\b",
    r"\bI\s+(was|am|have\s+been)\s+(instructed|told|programmed)\s+to\b|시스템\s*프롬프트",
    r"(제게|저에게)\s*주어진\s*(지시|지침)|지시\s*사항에\s*따르면",
)
_PUBLIC_ACCOUNT = rx(
    r"\bcard\s+ending\s+(in\s+)?\d{4}\b|카드\s*(끝\s*자리|뒷\s*자리)\s*\d{4}|끝자리\s*\d{4}",
    r"\byour\s+account\s+(shows|email|is\s+registered)|계정\s*(이메일|메일)\s*(은|는)?\s*\S+@",
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits(value: str) -> str:
    d = re.sub(r"\D", "", value)
    return "0" + d[2:] if d.startswith("82") else d


def _own_values(doc: Doc) -> tuple[set[str], set[str]]:
    """The customer's own e-mails (lower-case) and digit strings / ids they may see privately."""
    emails: set[str] = set()
    tokens: set[str] = set()
    sources = [doc.customer_message or ""]
    if doc.customer is not None:
        if doc.customer.email:
            emails.add(doc.customer.email.lower())
        if doc.customer.phone:
            tokens.add(_digits(doc.customer.phone))
        for conv in doc.customer.conversations:
            sources += [m.text for m in conv.messages if m.role == "customer"]
    for src in sources:
        emails |= {m.group(0).lower() for m in _EMAIL.finditer(src)}
        tokens |= {_digits(m.group(0)) for m in _PHONE.finditer(src)}
        tokens |= {re.sub(r"\W", "", m.group(0)).upper() for m in _ORDER.finditer(src)}
        tokens |= {_digits(m.group(0)) for m in _CARD.finditer(src)}
    return emails, tokens


@lru_cache(maxsize=8)
def _company_address(domain: str) -> re.Pattern[str]:
    """An e-mail address at ``domain`` or one of its subdomains."""
    return re.compile(rf"@(?:[a-z0-9-]+\.)*{re.escape(domain)}$", re.I)


def check_leak(doc: Doc) -> list[Hit]:
    """F8: personal data not the customer's own (any in public), internal notes, secrets,
    and system-prompt echoes."""
    emails, own = (set(), set()) if doc.public else _own_values(doc)
    urls = url_spans(doc.text)
    hits = []
    for em in _EMAIL.finditer(doc.text):
        addr = em.group(0).lower()
        if not _company_address(brand().own_domain).search(addr) and addr not in emails:
            hits.append(Hit("F8", em.start(), em.end(), note="email"))
    for cm in _CARD.finditer(doc.text):
        digits = re.sub(r"\D", "", cm.group(0))
        if _luhn(digits) and _digits(cm.group(0)) not in own:
            hits.append(Hit("F8", cm.start(), cm.end(), note="card"))
    taken = urls + [(h.start or 0, h.end or 0) for h in hits]
    for note, pattern, key in (
        ("phone", _PHONE, _digits),
        ("order", _ORDER, lambda v: re.sub(r"\W", "", v).upper()),
    ):
        for m in doc.matches(pattern, quotes=True):
            if key(m.group(0)) not in own and not _overlaps(m.start(), m.end(), taken):
                hits.append(Hit("F8", m.start(), m.end(), note=note))
    address_ok = "" if doc.public else (doc.customer_message or "")
    for m in doc.matches(_ADDRESS, quotes=True):
        if m.group(0) not in address_ok:
            hits.append(Hit("F8", m.start(), m.end(), note="address"))
    markers = [(_INTERNAL, "internal")] + ([(_PUBLIC_ACCOUNT, "account")] if doc.public else [])
    for pattern, note in markers:
        hits += [
            Hit("F8", m.start(), m.end(), note=note) for m in doc.matches(pattern, quotes=True)
        ]
    hits += _prompt_echo(doc)
    return _dedupe(hits)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def _dedupe(hits: list[Hit]) -> list[Hit]:
    out: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.start or 0, -(h.end or 0))):
        if not any(_overlaps(h.start or 0, h.end or 0, [(o.start or 0, o.end or 0)]) for o in out):
            out.append(h)
    return out


def _prompt_echo(doc: Doc, n: int = 6, min_chars: int = 25) -> list[Hit]:
    """Runs of ``n`` or more words copied verbatim from the system prompt."""
    if not doc.system_prompt:
        return []
    prompt_words = [w.lower() for w in re.findall(r"\S+", doc.system_prompt)]
    grams = {tuple(prompt_words[i : i + n]) for i in range(len(prompt_words) - n + 1)}
    words = [(m.start(), m.end(), m.group(0).lower()) for m in re.finditer(r"\S+", doc.text)]
    hits: list[Hit] = []
    i = 0
    while i <= len(words) - n:
        if tuple(w for _, _, w in words[i : i + n]) in grams:
            j = i + n
            while j < len(words) and tuple(w for _, _, w in words[j - n + 1 : j + 1]) in grams:
                j += 1
            start, end = words[i][0], words[j - 1][1]
            if end - start >= min_chars:
                hits.append(Hit("F8", start, end, note="prompt"))
            i = j
        else:
            i += 1
    return hits
