"""Triage: what language a message is in, which playbook situations it raises, how it feels,
how urgent it is, and whether it is for us at all.

Rules by default (deterministic, a few milliseconds a message once Kiwi is loaded): Korean is
read through Kiwi morphemes (sentiment with negation) and surface patterns for spoken and
internet Korean; English through word patterns. Both pattern sets run on every message, so
mixed text is handled. An LLM classifier can stand in front of the rules
(``triage(text, model=...)``, :mod:`assistant.triage.model`); any failure of the model falls
back to the rules.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from assistant.config import brand
from assistant.errors import ModelError
from assistant.models import SITUATIONS, Language, Triage
from assistant.text import analyse, detect_language
from assistant.triage import rules as R

if TYPE_CHECKING:
    from assistant.config import Settings

log = logging.getLogger(__name__)
Urgency = Literal["high", "normal", "low"]

_SPACE = re.compile(r"\s+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN_OR_EMOJI = re.compile(r"[a-z0-9$@]|[^\x00-\u318f\uac00-\ud7a3]")
_EN_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
_ACRONYMS = frozenset({"PDF", "IOS", "ASAP", "GDPR", "CCPA", "ETA", "URL", "API", "SSO", "USD"})
_SHOUT = re.compile(r"\b[A-Z]{3,}\b")


@dataclass(frozen=True)
class _Views:
    """The text as each pattern set reads it."""

    raw: str
    en: str  # lower-cased, whitespace collapsed
    ko: str  # lower-cased, whitespace removed

    @classmethod
    def of(cls, text: str) -> _Views:
        """Views of ``text``; a view is empty when its script is absent (nothing to match)."""
        low = text.lower()
        en = _SPACE.sub(" ", low).strip() if _LATIN_OR_EMOJI.search(low) else ""
        ko = _SPACE.sub("", low) if _HANGUL.search(low) else ""
        return cls(raw=text, en=en, ko=ko)

    def any(self, ko: re.Pattern[str], en: re.Pattern[str]) -> bool:
        """True when the Korean pattern matches the squeezed text or the English one the words."""
        return bool(ko.search(self.ko) or en.search(self.en))


@lru_cache(maxsize=2048)
def _ko_tokens(text: str) -> tuple[Any, ...]:
    """Kiwi tokens of ``text``, analysed once for sentiment and bug frames alike."""
    return tuple(analyse(text))


# --- sentiment ------------------------------------------------------------------------------


def _ko_score(text: str) -> float:
    tokens = _ko_tokens(text)
    total = 0.0
    for i, tok in enumerate(tokens):
        lemma = tok.form + "다" if tok.tag.startswith(("VV", "VA")) else tok.form
        weight = R.KO_LEXICON.get(lemma, 0.0)
        negated = _ko_negated(tokens, i)
        if negated and lemma in R.KO_NEGATED_ONLY and not _ko_purpose(tokens, i):
            weight = -1.0
        elif negated:
            weight = -weight
        if weight and i and tokens[i - 1].form in R.KO_INTENSIFIERS:
            weight *= 1.5
        total += weight
    return total


def _ko_negated(tokens: tuple[Any, ...], i: int) -> bool:
    """A predicate is negated by 안/못 right before it or by -지 않다/-지 못하다 right after it."""
    if not tokens[i].tag.startswith(("VV", "VA", "XR", "NNG")):
        return False
    if i and tokens[i - 1].form in R.KO_NEGATORS and tokens[i - 1].tag == "MAG":
        return True
    after = tokens[i + 1 : i + 4]
    return any(t.tag == "VX" and t.form in ("않", "못하") for t in after)


def _ko_purpose(tokens: tuple[Any, ...], i: int) -> bool:
    """True for "안 되게 해 주세요": asking for something not to happen is no complaint."""
    return i + 1 < len(tokens) and tokens[i + 1].form in ("게", "도록")


def _en_score(text: str) -> float:
    words = _EN_TOKEN.findall(text.lower())
    total = 0.0
    for i, word in enumerate(words):
        weight = R.EN_LEXICON.get(word, 0.0)
        negated = any(w in R.EN_NEGATORS or w.endswith("n't") for w in words[max(0, i - 2) : i])
        if negated and word in R.EN_NEGATED_ONLY:
            weight = -1.0
        elif negated:
            weight = -weight
        if weight and i and words[i - 1] in R.EN_INTENSIFIERS:
            weight *= 1.5
        total += weight
    return total


def _emoticon_score(text: str) -> float:
    total = sum(w * text.count(k) for k, w in R.EMOTICONS.items())
    total -= 1.0 * len(R.CRYING.findall(text))
    return total


def sentiment(text: str) -> float:
    """Sentiment in [-1, 1] (2 decimals) from lexicons, negation, intensifiers and emoticons.

    Situations pull it further: an angry message is strongly negative, a report of something
    broken is negative, praise is positive.
    """
    return _sentiment(text, _situations(_Views.of(text)))


@lru_cache(maxsize=2048)
def _raw_sentiment(text: str) -> float:
    total = _emoticon_score(text)
    if R.CRYING.search(text) or re.search(r"[\uac00-\ud7a3]", text):
        total += _ko_score(text)
    total += _en_score(text)
    return math.tanh(total / 2.5)


def _sentiment(text: str, situations: list[str]) -> float:
    score = _raw_sentiment(text)
    if "S1" in situations:
        score = min(score, -0.6)
    elif "S4" in situations or _wrong_charge(_Views.of(text)):
        score = min(score, -0.3)
    elif "S8" in situations:
        score = max(score, 0.4)
    return round(max(-1.0, min(1.0, score)), 2)


# --- situations -----------------------------------------------------------------------------


def _wrong_charge(v: _Views) -> bool:
    return v.any(R.KO_WRONG_CHARGE, R.EN_WRONG_CHARGE)


def _refund(v: _Views) -> bool:
    """Money-back frames: refund words, a charge taken twice, "I want one of them back"."""
    if v.any(R.KO_REFUND, R.EN_REFUND):
        return True
    return bool(R.EN_BACK.search(v.en) and R.MONEY_WORDS.search(v.en))


def _out_of_scope(v: _Views) -> bool:
    return (
        v.any(R.KO_PRICE, R.EN_PRICE)
        or v.any(R.KO_LEGAL_THREAT, R.EN_LEGAL_THREAT)
        or v.any(R.KO_COMPLIANCE_LAW, R.EN_COMPLIANCE_LAW)
        or v.any(R.KO_DATA_DELETION, R.EN_DATA_DELETION)
        or v.any(R.KO_SECURITY, R.EN_SECURITY)
        or v.any(R.KO_ROADMAP, R.EN_ROADMAP)
    )


def _angry(v: _Views) -> bool:
    """Anger signals: abuse, threats to leave or review, sarcasm, shouting, legal threats."""
    if v.any(R.KO_ANGRY, R.EN_ANGRY):
        return True
    if v.any(R.KO_LEGAL_THREAT, R.EN_LEGAL_THREAT) and v.any(R.KO_THREAT_IF, R.EN_THREAT_IF):
        return True
    shouted = [w for w in _SHOUT.findall(v.raw) if w not in _ACRONYMS]
    return len(shouted) >= 2


def _praise(v: _Views, found: set[str]) -> bool:
    if found & {"S1", "S2", "S3", "S4"}:
        return False
    if v.any(R.KO_PRAISE_STRONG, R.EN_PRAISE_STRONG):
        return _raw_sentiment(v.raw) > -0.1
    # A bare "thank you" closing a request is politeness, not praise.
    return not found and v.any(R.KO_THANKS, R.EN_THANKS) and not _question(v)


def _question(v: _Views) -> bool:
    return bool(R.QUESTION.search(v.raw)) or _howto(v)


def _howto(v: _Views) -> bool:
    """A how-to or documents frame ("어떻게", "where do I", "send me the invoice")."""
    return v.any(R.KO_HOWTO, R.EN_HOWTO)


# --- bug reports: a feature that does not do what it should -----------------------------------

# Verbs whose negation means something did not work: "안 열려요", "저장이 안 돼요".
_KO_FUNCTION_VERBS = frozenset(
    {"되다", "열리다", "보이다", "나오다", "뜨다", "오다", "켜지다", "넘어가다", "넘어오다",
     "바뀌다", "올라가다", "눌리다", "들어가다", "들어오다", "움직이다", "돌아가다", "끝나다",
     "먹다", "맞다", "붙다", "남다", "가다", "열다", "받아지다", "지워지다", "꺼지다"}
)  # fmt: skip
# With 못 ("can't") a few more: "못 쓰고 있어요", "로그인을 못 해요".
_KO_CANNOT_VERBS = _KO_FUNCTION_VERBS | {"쓰다", "하다", "켜다", "보다", "받다"}
# Verbs that are a failure by themselves: "멈춰요", "튕겨요", "사라졌어요".
_KO_FAILURE_VERBS = frozenset(
    {"멈추다", "사라지다", "튕기다", "날아가다", "날라가다", "없어지다", "깨지다", "끊기다",
     "꺼지다", "느리다", "얼다", "꼬이다", "뻗다", "버벅거리다", "버벅이다", "뭉개지다", "밀리다"}
)  # fmt: skip


def _ko_broken(text: str) -> bool:
    """Kiwi morphemes: a function verb negated ("안 열려요", "열리지가 않아요", "못 들어가요")
    or a failure verb in any conjugation ("튕겨요", "멈췄네요")."""
    tokens = [(t.form, t.tag) for t in _ko_tokens(text)]
    for i, (form, tag) in enumerate(tokens):
        if not tag.startswith(("VV", "VA", "XSV")):
            continue
        lemma = form + "다"
        if lemma in _KO_FAILURE_VERBS:
            return True
        after = tokens[i + 1 : i + 5]
        if after and after[0][0] in ("게", "도록"):
            continue  # "안 되게 해 주세요": asking for something not to happen
        before = tokens[i - 1] if i else ("", "")
        if lemma in _KO_CANNOT_VERBS and before == ("못", "MAG"):
            return True
        negated = before == ("안", "MAG") or any(
            t == "VX" and f in ("않", "못하") for f, t in after
        )
        if negated and lemma in _KO_FUNCTION_VERBS:
            return True
    return False


def _bug(v: _Views) -> bool:
    """A broken expectation: a feature plus a failure predicate, in either language."""
    ko = R.KO_NOT_BROKEN.sub(" ", v.ko) if v.ko else ""
    en = R.EN_NOT_BROKEN.sub(" ", v.en) if v.en else ""
    if (ko and R.KO_BUG.search(ko)) or (en and R.EN_BUG.search(en)):
        return True
    if not ko:
        return False
    raw = R.KO_NOT_BROKEN_RAW.sub(" ", v.raw)
    return _ko_broken(raw)


def _systemic(v: _Views) -> bool:
    """Many customers hit the same thing: others affected, a service-wide outage."""
    return v.any(R.KO_SYSTEMIC, R.EN_SYSTEMIC)


def _situations(v: _Views) -> list[str]:
    found: set[str] = set()
    checks = (
        ("S1", _angry(v)),
        ("S2", _refund(v)),
        ("S3", v.any(R.KO_CANCEL, R.EN_CANCEL)),
        ("S4", _bug(v)),
        ("S5", _out_of_scope(v)),
        ("S7", _systemic(v)),
    )
    found.update(sid for sid, hit in checks if hit)
    if "S7" in found:
        found.add("S4")  # many customers hitting the same thing is a bug report too
    if _praise(v, found):
        found.add("S8")
    if not found & {"S2", "S3", "S4", "S5"} and _question(v) and "S1" not in found:
        found.add("S6")
    return [s for s in SITUATIONS if s in found]


def detect_situations(text: str, language: str) -> list[str]:
    """Playbook situation ids (S1–S8, in that order) raised by ``text``.

    ``language`` is accepted for symmetry with the model classifier; Korean and English
    patterns both run on every message so mixed text is read fully.
    """
    del language
    return _situations(_Views.of(text))


# --- spam and urgency -----------------------------------------------------------------------


def is_spam(text: str) -> bool:
    """True for posts that are not for us: ads, crypto, follow-for-follow, unrelated chatter,
    links to unknown sites, or talk about another company's product."""
    v = _Views.of(text)
    if v.any(R.KO_SPAM, R.EN_SPAM):
        return True
    ours = bool(v.any(R.PRODUCT_WORDS, R.PRODUCT_WORDS))
    own = brand().own_domain
    foreign_links = [u for u in R.URL.findall(v.en) if own not in u]
    if foreign_links and (not ours or v.any(R.AD, R.AD)):
        return True
    if R.OTHER_BRANDS.search(v.en) and not R.OUR_REFERENCE.search(v.en):
        return True
    if ours or R.ASKING_US.search(v.en) or _howto(v):
        return False
    return not set(_situations(v)) - {"S6"}


def _urgency(v: _Views, situations: list[str], score: float) -> Urgency:
    high = (
        "S1" in situations
        or v.any(R.KO_LEGAL_THREAT, R.EN_LEGAL_THREAT)
        or v.any(R.KO_COMPLIANCE_LAW, R.EN_COMPLIANCE_LAW)
        or v.any(R.KO_SECURITY, R.EN_SECURITY)
        or _wrong_charge(v)
        or ("S4" in situations and v.any(R.KO_PAYMENT, R.EN_PAYMENT))
        or v.any(R.KO_DATA_LOSS, R.EN_DATA_LOSS)
        or v.any(R.KO_URGENT, R.EN_URGENT)
        or v.any(R.KO_OUTAGE, R.EN_OUTAGE)
        # many customers hitting the same failure at once is an outage, whatever the words
        or {"S4", "S7"} <= set(situations)
    )
    if high:
        return "high"
    kinds = set(situations)
    if "S8" in kinds and kinds <= {"S5", "S6", "S8"}:
        return "low"
    if kinds == {"S6"} and score > -0.2:
        return "low"
    return "normal"


def urgency(text: str) -> str:
    """``"high"``, ``"normal"`` or ``"low"`` for ``text`` (see :func:`triage`)."""
    return triage(text).urgency


# --- the entry point ------------------------------------------------------------------------


def _language(text: str) -> Language:
    return "ko" if detect_language(text) == "ko" else "en"


def triage_rules(text: str) -> Triage:
    """Rule-based triage of one message (the default behind :func:`triage`)."""
    language = _language(text)
    if is_spam(text):
        return Triage(language=language, situations=[], sentiment=sentiment_only(text),
                      urgency="low", spam=True)  # fmt: skip
    v = _Views.of(text)
    situations = _situations(v)
    score = _sentiment(text, situations)
    return Triage(
        language=language,
        situations=situations,
        sentiment=score,
        urgency=_urgency(v, situations, score),
    )


def sentiment_only(text: str) -> float:
    """Lexicon sentiment without any pull from situations (2 decimals)."""
    return round(_raw_sentiment(text), 2)


def triage(text: str, *, model: str | None = None, settings: Settings | None = None) -> Triage:
    """Language, situations, sentiment, urgency and spam flag of one customer message.

    Rules by default. With ``model`` (any litellm model string) the model is asked for the
    same fields as JSON through :mod:`assistant.llm` (the retries, fallbacks, timeouts and
    redaction of ``settings``, default: :func:`~assistant.config.load_settings`, at
    temperature 0); when the call fails or the answer is malformed, the rules decide and a
    warning says why.
    """
    if model:
        from assistant import llm
        from assistant.config import load_settings
        from assistant.triage.model import triage_with_model

        try:
            return triage_with_model(text, llm.with_model(settings or load_settings(), model))
        except ModelError as exc:
            log.warning("triage by %s failed, the rules decide: %s", model, exc)
    return triage_rules(text)
