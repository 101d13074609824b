"""Channel limits and character counting as each platform counts (rule C1).

X counts with twitter-text's weighted length: code points in the Latin, general punctuation
and similar ranges weigh 1, everything else (Hangul, CJK, emoji) weighs 2, and every URL
weighs 23 because X wraps it in a t.co link; the limit is 280. Other platforms count plain
characters. App-store review replies use 350, the limit of Google Play developer replies
(the App Store allows longer ones), so one reply fits both stores. Chat has a soft limit:
a longer message still sends, so going over is a warning. Email has no limit.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.models import Severity
from assistant.playbook.doc import Doc, Hit

LIMITS: dict[str, int] = {
    "x": 280,
    "instagram": 2200,
    "facebook": 8000,
    "review": 350,
    "chat": 1000,
}
SOFT_LIMITS = frozenset({"chat"})
X_URL_WEIGHT = 23

# twitter-text v3 ranges that weigh 1; the rest weigh 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_URL = re.compile(
    r"https?://[^\s<>\"'\u3131-\u318e\uac00-\ud7a3]+|www\.[^\s<>\"'\uac00-\ud7a3]+", re.I
)


def channel_limit(channel: str) -> int | None:
    """The character limit of ``channel`` (None: no limit, as for email)."""
    return LIMITS.get(channel)


_HEAVY = re.compile("[^" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _LIGHT_RANGES) + "]")
_JOINERS = re.compile("[\u200d\ufe0f\U0001f3fb-\U0001f3ff]")


def _x_weight(segment: str) -> int:
    if not _JOINERS.search(segment):  # no emoji sequence: every character weighs 1 or 2
        return len(segment) + len(_HEAVY.findall(segment))
    total = 0
    skip_next = False
    for ch in segment:
        cp = ord(ch)
        if skip_next:  # the second half of an emoji ZWJ sequence counts with the first
            skip_next = False
            continue
        if cp == 0x200D:
            skip_next = True
            continue
        if cp == 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF:  # variation selector, skin tone
            continue
        total += 1 if any(lo <= cp <= hi for lo, hi in _LIGHT_RANGES) else 2
    return total


def count_chars(text: str, channel: str) -> int:
    """Length of ``text`` as ``channel`` counts it (X: weighted, URLs 23; others: characters)."""
    if channel != "x":
        return len(text)
    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    for m in _URL.finditer(text):
        total += _x_weight(text[pos : m.start()]) + X_URL_WEIGHT
        pos = m.end()
    return total + _x_weight(text[pos:])


def check_length(doc: Doc) -> list[Hit]:
    """C1 when the draft is longer than its channel allows (chat: a warning)."""
    limit = channel_limit(doc.channel)
    if limit is None:
        return []
    used = count_chars(doc.text, doc.channel)
    if used <= limit:
        return []
    severity: Severity = "warning" if doc.channel in SOFT_LIMITS else "error"
    cut = _cut_index(doc.text, doc.channel, limit)
    return [Hit("C1", cut, len(doc.text), severity, note=f"{used}/{limit}")]


def _cut_index(text: str, channel: str, limit: int) -> int:
    """The first character offset that no longer fits in ``limit`` (the overflow starts here)."""
    if channel != "x":
        return limit
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix whose weighted count fits
        mid = (lo + hi + 1) // 2
        if count_chars(text[:mid], channel) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo
