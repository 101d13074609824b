"""Text utilities shared by search, triage and the checker: language, morphemes, words, sentences,
and the one BM25 index that help-center search and related conversations both rank with.

Korean goes through kiwipiepy (morphemes and sentence boundaries); English through a
small word tokenizer with a stop list. The Kiwi analyser loads once per process.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from kiwipiepy import Kiwi

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN = re.compile(r"[A-Za-z]")
_EN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'+-]*|\d+")
_SENTENCE_EN = re.compile(r"(?<=[.!?])\s+|\n+")
# Not prose: URLs, e-mail addresses and @handles say nothing about the writer's language.
_NOT_PROSE = re.compile(
    r"(?:https?://|www\.)\S+"  # URLs
    r"|[\w.+-]+@[\w-]+\.[\w.-]+"  # e-mail addresses
    r"|@\w+"  # handles
    r"|\b[\w-]+\.(?:com|net|org|io|me|example|kr|co)(?:/\S*)?"  # bare domains
)
_ENDS_KOREAN = re.compile(r"[\uac00-\ud7a3\u3131-\u318e][^A-Za-z\uac00-\ud7a3]*$")

EN_STOP = frozenset(
    """a an the and or but if then so to of in on at by for with from as is are was were be been being
    am do does did have has had i me my we our you your he she it its they them their this that these
    those there here what which who whom how why when where can could would should will shall may might
    must not no yes please thanks thank hi hello dear just also very really too any some all about into
    out up down over again more most much many such than only own same s t don doesn didn isn aren wasn
    im ive id get got""".split()
)

# Korean content tags kept for matching: nouns, verbs/adjectives stems, roots, foreign words, numbers.
_KO_CONTENT_TAGS = ("NNG", "NNP", "NNB", "VV", "VA", "XR", "SL", "SN", "SH", "NR")

_kiwi_lock = threading.Lock()
_kiwi: Kiwi | None = None


def kiwi() -> Kiwi:
    """The process-wide Kiwi analyser (thread-safe lazy load)."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                _kiwi = Kiwi()
    return _kiwi


def detect_language(text: str, default: str = "ko") -> str:
    """``"ko"`` or ``"en"``. Mixed text is Korean when Hangul is a real share of the letters.

    Korean messages often carry English product words ("sync", "iOS"); a Hangul share of
    0.2 or more of the letters already means a Korean speaker wrote it. URLs, e-mail
    addresses and @handles are not counted, and a message whose last words are Korean
    ("@harunotes sync 안됨") is Korean even when most letters are Latin.
    """
    core = _NOT_PROSE.sub(" ", text)
    ko = len(_HANGUL.findall(core))
    en = len(_LATIN.findall(core))
    if ko + en == 0:
        return default
    if ko / (ko + en) >= 0.2:
        return "ko"
    return "ko" if _ENDS_KOREAN.search(core) else "en"


def en_words(text: str, *, keep_stop: bool = False) -> list[str]:
    """Lower-cased English words (and numbers), stop words dropped unless asked."""
    words = [w.lower().strip("'") for w in _EN_WORD.findall(text)]
    if keep_stop:
        return words
    return [w for w in words if w not in EN_STOP and len(w) > 1]


def _stem_en(word: str) -> str:
    """A light English stemmer: "syncing"→"sync", "crashes"→"crash", "notes"→"note"."""
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    if word.endswith("es") and len(word) >= 5 and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) >= 4:
        return word[:-1]
    return word


def _ko_content(tokens: Any) -> tuple[str, ...]:
    terms: list[str] = []
    for token in tokens:
        tag = token.tag
        if tag.startswith(_KO_CONTENT_TAGS):
            form = token.form.lower()
            if tag.startswith(("VV", "VA")):
                form = form + "다"
            terms.append(form)
    return tuple(terms)


@lru_cache(maxsize=4096)
def _ko_terms_cached(text: str) -> tuple[str, ...]:
    return _ko_content(kiwi().tokenize(text))


def _finish_terms(ko_terms: tuple[str, ...]) -> list[str]:
    out = [_stem_en(t) if t.isascii() and t.isalpha() else t for t in ko_terms]
    return [t for t in out if not (t.isascii() and t in EN_STOP)]


def terms(text: str) -> list[str]:
    """Content terms for matching and BM25: Korean morphemes plus stemmed English words.

    Works on mixed text: Hangul runs go through Kiwi, Latin words through the English path.
    """
    if _HANGUL.search(text):
        return _finish_terms(_ko_terms_cached(text))
    return [_stem_en(w) for w in en_words(text)]


def terms_many(texts: list[str]) -> list[list[str]]:
    """:func:`terms` of many texts at once: the Korean ones go to Kiwi in one batch call
    (``Kiwi.tokenize(list)``, on Kiwi's worker threads) instead of one call each."""
    korean = [i for i, text in enumerate(texts) if _HANGUL.search(text)]
    skip = set(korean)
    out: list[list[str]] = [[] if i in skip else terms(t) for i, t in enumerate(texts)]
    if korean:
        batch = kiwi().tokenize([texts[i] for i in korean])
        for i, tokens in zip(korean, batch, strict=True):
            out[i] = _finish_terms(_ko_content(tokens))
    return out


def sentences(text: str) -> list[tuple[int, int, str]]:
    """Sentences as ``(start, end, text)`` offsets into ``text``; Korean endings handled by Kiwi."""
    if not text.strip():
        return []
    if _HANGUL.search(text):
        out = []
        for para_start, para in _paragraphs(text):
            for s in kiwi().split_into_sents(para):
                out.append((para_start + s.start, para_start + s.end, s.text))
        return out
    return _en_sentences(text)


def sentences_many(texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """:func:`sentences` of many texts, the Korean paragraphs of all of them split by Kiwi in
    one batch call (the same sentences as one call per paragraph, far fewer calls)."""
    paragraphs: list[tuple[int, int, str]] = []  # (text index, paragraph start, paragraph)
    out: list[list[tuple[int, int, str]]] = []
    for i, text in enumerate(texts):
        if text.strip() and _HANGUL.search(text):
            paragraphs.extend((i, start, para) for start, para in _paragraphs(text))
            out.append([])
        else:
            out.append(sentences(text))
    if paragraphs:
        split = kiwi().split_into_sents([para for _, _, para in paragraphs])
        for (i, start, _), found in zip(paragraphs, split, strict=True):
            out[i].extend((start + s.start, start + s.end, s.text) for s in found)
    return out


def _en_sentences(text: str) -> list[tuple[int, int, str]]:
    out = []
    pos = 0
    for part in _SENTENCE_EN.split(text):
        if not part:
            continue
        start = text.find(part, pos)
        pos = start + len(part)
        if part.strip():
            out.append((start, pos, part))
    return out


def _paragraphs(text: str) -> list[tuple[int, str]]:
    out = []
    pos = 0
    for block in text.split("\n"):
        if block.strip():
            out.append((pos, block))
        pos += len(block) + 1
    return out


def analyse(text: str) -> list[Any]:
    """Kiwi tokens of ``text`` (form, tag, start, len), for rules that read endings."""
    return list(kiwi().tokenize(text))


class BM25Index:
    """Okapi BM25 (k1, b) over documents given as term lists (:func:`terms`); built once, read
    many times, and saved as plain arrays (:meth:`arrays`, :meth:`from_arrays`) so a process
    that finds it on disk does not rebuild it.

    Each term keeps a posting slice of ``(document index, weight)`` with the BM25
    term-frequency part and the IDF already applied, so scoring a query is a few vectorised
    additions.
    """

    def __init__(self, docs: list[list[str]], *, k1: float = 1.2, b: float = 0.75) -> None:
        import numpy as np

        self.size = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        avg = float(lengths.mean()) if self.size else 1.0
        rows: dict[str, list[int]] = defaultdict(list)
        weights: dict[str, list[float]] = defaultdict(list)
        for i, doc in enumerate(docs):
            norm = k1 * (1 - b + b * (lengths[i] / max(avg, 1e-6)))
            for term, tf in Counter(doc).items():
                rows[term].append(i)
                weights[term].append(tf * (k1 + 1) / (tf + norm))
        parts = []
        for term, idx in rows.items():
            df = len(idx)
            idf = math.log(1 + (self.size - df + 0.5) / (df + 0.5))
            parts.append(np.array(weights[term], dtype=np.float32) * idf)
        self.vocab = {term: n for n, term in enumerate(rows)}
        counts = [len(idx) for idx in rows.values()]
        self._offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
        self._rows = np.array([i for idx in rows.values() for i in idx], dtype=np.int32)
        self._weights = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        """The index as arrays (for ``numpy.savez``): terms, offsets, rows, weights, size."""
        import numpy as np

        joined = "\n".join(self.vocab).encode("utf-8")
        return {
            "bm25_terms": np.frombuffer(joined, dtype=np.uint8),
            "bm25_offsets": self._offsets,
            "bm25_rows": self._rows,
            "bm25_weights": self._weights,
            "bm25_size": np.array([self.size], dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: Any) -> BM25Index:
        """The index saved by :meth:`arrays` (a ValueError when the arrays do not fit)."""
        import numpy as np

        index = cls.__new__(cls)
        words = bytes(np.asarray(arrays["bm25_terms"], dtype=np.uint8)).decode("utf-8")
        vocab = words.split("\n") if words else []
        index.vocab = {term: n for n, term in enumerate(vocab)}
        index._offsets = np.asarray(arrays["bm25_offsets"], dtype=np.int64)
        index._rows = np.asarray(arrays["bm25_rows"], dtype=np.int32)
        index._weights = np.asarray(arrays["bm25_weights"], dtype=np.float32)
        index.size = int(np.asarray(arrays["bm25_size"])[0])
        ends = int(index._offsets[-1]) if len(index._offsets) else -1
        if len(index.vocab) != len(vocab) or len(index._offsets) != len(vocab) + 1:
            raise ValueError("BM25 terms and offsets do not match")
        if ends != len(index._rows) or ends != len(index._weights):
            raise ValueError("BM25 postings are truncated")
        if len(index._rows) and int(index._rows.max()) >= index.size:
            raise ValueError("BM25 postings point past the last document")
        return index

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 score of every document for ``query_terms`` (zeros where nothing matches)."""
        import numpy as np

        out = np.zeros(self.size, dtype=np.float32)
        for term in set(query_terms):
            n = self.vocab.get(term)
            if n is not None:
                start, end = self._offsets[n], self._offsets[n + 1]
                out[self._rows[start:end]] += self._weights[start:end]
        return out
