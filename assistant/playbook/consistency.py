"""T1: a translated reply says what its original says, checked without a model.

When an agent writes a reply in their own language and a model translates it for the
customer, both versions are read for the facts a customer acts on: URLs, e-mail addresses,
order and ticket ids, amounts (with their currency), percentages, dates (``12월 15일`` =
``December 15``), weekdays, relative days (``내일`` = ``tomorrow``), times (``오후 3시`` =
``3 p.m.`` = ``15:00``), durations and ranges (``3–5 영업일`` = ``3-5 days``), other numbers, and
promise phrases (a guarantee, a refund, a cancellation). Each fact is compared by its
normalised value; one that differs or is missing on one side is an error finding quoting both
sides (``9,900원`` is not ``$99``). The spans point into the customer's version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.models import Finding
from assistant.playbook.privacy import normalise_url, url_spans

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID = re.compile(r"#\d{3,}\b|\b[A-Z]{2,6}[-_.]?\d[\dA-Z.-]{2,}\b")
_NUM = r"\d[\d,]*(?:\.\d+)?"
_SYMBOL = {"$": "USD", "US$": "USD", "₩": "KRW", "€": "EUR", "£": "GBP", "¥": "JPY"}
_WORD_CURRENCY = {
    "원": "KRW", "won": "KRW", "krw": "KRW", "달러": "USD", "dollar": "USD", "dollars": "USD",
    "usd": "USD", "유로": "EUR", "euro": "EUR", "euros": "EUR", "eur": "EUR", "엔": "JPY",
    "yen": "JPY", "파운드": "GBP", "pounds": "GBP",
}  # fmt: skip
_AMOUNT = re.compile(
    rf"(?P<sym>US\$|\$|₩|€|£|¥)\s?(?P<v1>{_NUM})"
    rf"|(?P<code>KRW|USD|EUR)\s?(?P<v2>{_NUM})"
    rf"|(?P<v3>{_NUM})\s?(?P<man>만\s?)?(?P<word>원|달러|유로|엔|파운드|KRW|USD|EUR|won|dollars?|euros?|yen)(?![A-Za-z])",
    re.I,
)
_PERCENT = re.compile(rf"(?P<v>{_NUM})\s?(?:%|퍼센트|percent)", re.I)
_KO_TIME = re.compile(
    r"(?P<mer>오전|오후|저녁|밤|새벽)?\s?(?P<h>\d{1,2})시(?!간)(?:\s?(?P<m>\d{1,2})분|\s?(?P<half>반))?"
)
_EN_TIME = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s?(?P<mer>[ap]\.?\s?m\.?)(?![a-z])|\b(?P<h2>\d{1,2}):(?P<m2>\d{2})\b",
    re.I,
)
_MONTHS = "january february march april may june july august september october november december"
_MONTH = {name[:3]: n for n, name in enumerate(_MONTHS.split(), 1)}
_EN_MONTH = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"(?P<y>\d{4})\s?[-./년]\s?(?P<mo>\d{1,2})\s?[-./월]\s?(?P<d>\d{1,2})일?"
    r"|(?P<mo2>\d{1,2})월\s?(?P<d2>\d{1,2})일"
    rf"|\b{_EN_MONTH}\s(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s(?P<y3>\d{{4}}))?\b"
    r"|\b(?P<d4>\d{1,2})(?:st|nd|rd|th)?\s(?:of\s)?(?P<mon4>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b",
    re.I,
)
_WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(
    r"(?P<ko>[월화수목금토일])요일|\b(?P<en>" + "|".join(_WEEKDAYS_EN) + r")\b", re.I
)
_RELATIVE = {
    "today": ("오늘", "today"), "tomorrow": ("내일", "tomorrow"),
    "day_after": ("모레", "the day after tomorrow"), "this_week": ("이번\\s?주", "this week"),
    "next_week": ("다음\\s?주", "next week"), "this_month": ("이번\\s?달", "this month"),
    "next_month": ("다음\\s?달", "next month"),
}  # fmt: skip
_UNITS = {
    "영업일": "day", "일": "day", "day": "day", "days": "day", "시간": "hour", "hour": "hour",
    "hours": "hour", "분": "minute", "minute": "minute", "minutes": "minute", "주": "week",
    "주일": "week", "week": "week", "weeks": "week", "개월": "month", "달": "month",
    "month": "month", "months": "month",
}  # fmt: skip
_EN_WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()
_KO_WORDS = {"하루": (1, "day"), "이틀": (2, "day"), "사흘": (3, "day"), "나흘": (4, "day")}
_N = r"\d+|" + "|".join(_EN_WORDS)
_DURATION = re.compile(
    rf"(?<![A-Za-z])(?P<lo>{_N})\s?(?:(?:[~–—-]|to|에서)\s?(?P<hi>{_N})\s?)?"
    r"(?:(?:business|working)\s)?(?P<unit>영업일|주일|개월|시간|days?|hours?|minutes?|weeks?|months?|일|분|주|달)"
    r"(?![A-Za-z])",
    re.I,
)
_KO_NATIVE = re.compile(
    r"(?<![가-힣])(?:(?P<word>하루|이틀|사흘|나흘)|(?P<n>한|두|세|네)\s?(?P<unit>시간|달|주))(?![가-힣])"
)
_PLAIN_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PROMISES = {
    "guarantee": (
        r"보장|반드시|틀림없이|확실히|무조건",
        r"guarantee|definitely|certainly|for sure|without fail",
    ),
    "refund": (r"환불", r"refund"),
    "cancel": (r"해지|취소", r"cancel"),
}
_LABELS = {
    "url": ("링크", "Link"), "email": ("이메일 주소", "E-mail address"),
    "id": ("주문·티켓 번호", "Order or ticket id"), "amount": ("금액", "Amount"),
    "percent": ("비율", "Percentage"), "date": ("날짜", "Date"), "weekday": ("요일", "Weekday"),
    "time": ("시각", "Time"), "duration": ("기간", "Duration"), "number": ("숫자", "Number"),
    "promise": ("약속 표현", "Promise"),
}  # fmt: skip


@dataclass(frozen=True)
class Fact:
    """One fact found in a text: its kind, normalised value and where it is."""

    kind: str
    value: tuple[object, ...]
    start: int
    end: int
    surface: str


def facts(text: str) -> list[Fact]:
    """Every fact in ``text``, each character counted once (URLs first, plain numbers last);
    the brand's names are not read (하루노트 holds no 하루)."""
    from assistant.config import brand

    for name in {brand().company, brand().company_ko} - {""}:
        text = text.replace(name, " " * len(name))
    taken: list[tuple[int, int]] = []
    found: list[Fact] = []
    for kind, spans in _extractors():
        for start, end, value in spans(text):
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append(Fact(kind, value, start, end, text[start:end]))
    return sorted(found, key=lambda f: f.start)


def compare(original: str, translated: str, ui_lang: str = "ko") -> list[Finding]:
    """T1 findings: the facts of ``original`` and ``translated`` that do not match."""
    ours, theirs = facts(original), facts(translated)
    findings = []
    for kind in _LABELS:
        left = [f for f in ours if f.kind == kind]
        right = [f for f in theirs if f.kind == kind]
        for f in list(left):
            match = next((g for g in right if _same(f, g)), None)
            if match is not None:
                left.remove(f)
                right.remove(match)
        for n in range(max(len(left), len(right))):
            a = left[n] if n < len(left) else None
            b = right[n] if n < len(right) else None
            findings.append(_finding(kind, a, b, ui_lang))
    return sorted(findings, key=lambda f: f.span[0] if f.span else len(translated) + 1)


# ----- extraction --------------------------------------------------------------------------
Spans = Callable[[str], Iterator[tuple[int, int, tuple[object, ...]]]]


def _extractors() -> list[tuple[str, Spans]]:
    return [
        ("url", lambda t: ((s, e, (normalise_url(t[s:e]),)) for s, e in url_spans(t))),
        ("email", lambda t: ((m.start(), m.end(), (m.group(0).lower(),)) for m in _EMAIL.finditer(t))),
        ("id", lambda t: ((m.start(), m.end(), (m.group(0).lstrip("#").upper(),)) for m in _ID.finditer(t))),
        ("amount", _amounts),
        ("percent", lambda t: ((m.start(), m.end(), (_number(m["v"]),)) for m in _PERCENT.finditer(t))),
        ("time", _times),
        ("date", _dates),
        ("duration", _durations),
        ("weekday", _weekdays),
        ("date", _relative_days),
        ("number", lambda t: ((m.start(), m.end(), (m.group(0).replace(",", ""),)) for m in _PLAIN_NUMBER.finditer(t))),
        ("promise", _promises),
    ]  # fmt: skip


def _number(text: str) -> float:
    return float(text.replace(",", "")) if re.fullmatch(r"[\d,]+(\.\d+)?", text) else float("nan")


def _amounts(text: str) -> Iterator[tuple[int, int, tuple[object, ...]]]:
    for m in _AMOUNT.finditer(text):
        if m["sym"]:
            currency, value = _SYMBOL[m["sym"].upper()], _number(m["v1"])
        elif m["code"]:
            currency, value = m["code"].upper(), _number(m["v2"])
        else:
            currency, value = _WORD_CURRENCY[m["word"].lower()], _number(m["v3"])
            value *= 10000 if m["man"] else 1
        yield m.start(), m.end(), (currency, value)


def _times(text: str) -> Iterator[tuple[int, int, tuple[object, ...]]]:
    for m in _KO_TIME.finditer(text):
        mer = {"오전": "am", "새벽": "am", "오후": "pm", "저녁": "pm", "밤": "pm"}.get(
            m["mer"] or ""
        )
        minute = 30 if m["half"] else int(m["m"] or 0)
        yield m.start(), m.end(), _clock(int(m["h"]), minute, mer)
    for m in _EN_TIME.finditer(text):
        if m["h2"]:
            yield m.start(), m.end(), _clock(int(m["h2"]), int(m["m2"]), None)
        else:
            mer = "pm" if m["mer"].lower().startswith("p") else "am"
            yield m.start(), m.end(), _clock(int(m["h"]), int(m["m"] or 0), mer)


def _clock(hour: int, minute: int, meridiem: str | None) -> tuple[object, ...]:
    """(hour on a 12-hour dial, minute, am/pm or None when the text does not say)."""
    if meridiem is None and hour > 12:
        meridiem = "pm"
    return hour % 12, minute, meridiem


def _dates(text: str) -> Iterator[tuple[int, int, tuple[object, ...]]]:
    for m in _DATE.finditer(text):
        if m["y"]:
            value: tuple[object, ...] = (int(m["mo"]), int(m["d"]), int(m["y"]))
        elif m["mo2"]:
            value = (int(m["mo2"]), int(m["d2"]), None)
        elif m["mon"]:
            value = (_MONTH[m["mon"].lower()[:3]], int(m["d3"]), int(m["y3"]) if m["y3"] else None)
        else:
            value = (_MONTH[m["mon4"].lower()[:3]], int(m["d4"]), None)
        yield m.start(), m.end(), value


def _weekdays(text: str) -> Iterator[tuple[int, int, tuple[object, ...]]]:
    for m in _WEEKDAY.finditer(text):
        day = "월화수목금토일".index(m["ko"]) if m["ko"] else _WEEKDAYS_EN.index(m["en"].lower())
        yield m.start(), m.end(), (day,)


def _relative_days(text: str) -> Iterator[tuple[int, int, tuple[object, ...]]]:
    for name, (ko, en) in _RELATIVE.items():
        for m in re.finditer(rf"{ko}|\b{en}\b", text, re.I):
            yield m.start(), m.end(), (name,)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _EN_WORDS.index(word.lower())


def _durations(text: str) -> Iterator[tuple[int, int, tuple[object, ...]]]:
    for m in _DURATION.finditer(text):
        lo = _count(m["lo"])
        hi = _count(m["hi"]) if m["hi"] else lo
        yield m.start(), m.end(), (lo, hi, _UNITS[m["unit"].lower()])
    for m in _KO_NATIVE.finditer(text):
        if m["word"]:
            n, unit = _KO_WORDS[m["word"]]
        else:
            n, unit = "한두세네".index(m["n"]) + 1, _UNITS[m["unit"]]
        yield m.start(), m.end(), (n, n, unit)


def _promises(text: str) -> Iterator[tuple[int, int, tuple[object, ...]]]:
    for name, (ko, en) in _PROMISES.items():
        first = re.search(rf"{ko}|\b(?:{en})", text, re.I)
        if first:  # a promise counts once: is it made at all, on both sides?
            yield first.start(), first.end(), (name,)


def _same(a: Fact, b: Fact) -> bool:
    """Equal facts; a time or date that leaves out am/pm or the year matches either."""
    if a.kind in ("time", "date") and len(a.value) == len(b.value) == 3:
        *head_a, last_a = a.value
        *head_b, last_b = b.value
        return head_a == head_b and (last_a is None or last_b is None or last_a == last_b)
    return a.value == b.value


def _finding(kind: str, a: Fact | None, b: Fact | None, ui_lang: str) -> Finding:
    from assistant.playbook.rules import RULES

    en = ui_lang == "en"
    label = _LABELS[kind][1 if en else 0]
    left = f"'{a.surface}'" if a else ("(none)" if en else "(없음)")
    right = f"'{b.surface}'" if b else ("(none)" if en else "(없음)")
    if en:
        message = (
            f"{label} differs between the versions: original {left}, customer version {right}."
        )
        fix = (
            f"Make the customer version say what the original says: {left}."
            if a
            else (f"Remove {right} or add it to the original first.")
        )
    else:
        message = f"원문과 다른 {label} — 원문: {left} / 고객에게 보낼 글: {right}"
        fix = (
            f"고객에게 보낼 글을 원문과 같게 고치세요: {left}"
            if a
            else (f"원문에 없는 내용입니다. 지우거나 원문에도 넣으세요: {right}")
        )
    span = (b.start, b.end) if b else None
    return Finding(
        rule="T1",
        severity=RULES["T1"].severity,
        span=span,
        quote=b.surface if b else None,
        message=message,
        fix=fix,
    )
