"""Systemic issues (S7): group posts of one run that report the same problem.

Each post becomes one unit vector that joins two views with fixed weights: the embedded
multilingual sentence embedding (a Korean and an English post about the same failure land
close) and a TF-IDF vector of its content terms (:func:`assistant.text.terms`), where a small
bridge maps common Korean product words to their English counterparts (동기화 → sync), so
shared terms count across languages too. The dot product of two such vectors is the
weighted mean of the two cosine similarities.

Grouping is a deterministic leader pass in time order (join the most similar group when its
centroid is at least ``threshold`` away, else start one), then one reassignment pass against
the final centroids. Groups of ``min_size`` or more are systemic; each gets a label from its
most central post and its most weighty terms.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

EMBEDDING_WEIGHT = 0.6
THRESHOLD = 0.5
MIN_SIZE = 3
SETTLED_MARGIN = 0.05
"""A settled group's centroid is a steadier reference than the first posts: the
reassignment pass accepts members this much below ``threshold``."""
LABEL_CHARS = 70

# Korean product words → the English word whose term they stand for.
BRIDGE: dict[str, str] = {
    "동기화": "sync",
    "동기": "sync",
    "싱크": "sync",
    "오프라인": "offline",
    "메모": "note",
    "노트": "note",
    "노트북": "notebook",
    "결제": "charge",
    "청구": "charge",
    "환불": "refund",
    "로그인": "login",
    "첨부": "attachment",
    "파일": "file",
    "업로드": "upload",
    "알림": "notification",
    "검색": "search",
    "공유": "share",
    "내보내기": "export",
    "가져오기": "import",
    "비밀번호": "password",
    "삭제": "delete",
    "휴지통": "trash",
    "위젯": "widget",
    "크래시": "crash",
    "튕기다": "crash",
    "꺼지다": "crash",
    "느리다": "slow",
    "아이패드": "ipad",
    "아이폰": "iphone",
    "안드로이드": "android",
    "업데이트": "update",
    "버전": "version",
    "구독": "subscription",
    "해지": "cancel",
    "취소": "cancel",
    "사진": "image",
    "이미지": "image",
    "태그": "tag",
    "클리퍼": "clipper",
    "잠금": "lock",
    "인증": "verification",
}
# Words every post about the product shares; they say nothing about the problem.
GENERIC = frozenset(
    {"haru", "harunot", "harunote", "하루", "하루노트", "app", "앱", "어플", "please", "help"}
    | {"되다", "하다", "있다", "없다", "않다", "보다", "주다", "드리다", "같다", "오늘", "저"}
)
# Stems the shared English stemmer cuts too short, back to their word ("notes" → "not").
RESTEM: dict[str, str] = {"not": "note", "plu": "plus", "mis": "miss", "typ": "type"}


@dataclass
class Item:
    """A post to group: its key, text and time."""

    key: str
    text: str
    created_at: datetime | None = None


@dataclass
class Cluster:
    """A group of posts about the same problem."""

    id: str
    members: list[str]
    central: str
    label: str
    terms: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None

    @property
    def size(self) -> int:
        """How many posts the group holds."""
        return len(self.members)

    def summary(self, lang: str = "en") -> str:
        """One line: ``12 posts since 09:00: offline notes not syncing``."""
        when = _when(self.since, self.until)
        if lang == "ko":
            head = f"게시물 {self.size}건" + (f" ({when}부터)" if when else "")
        else:
            head = f"{self.size} posts" + (f" since {when}" if when else "")
        return f"{head}: {self.label}"

    def as_dict(self) -> dict[str, Any]:
        """JSON shape used in summaries and output lines."""
        return {
            "id": self.id,
            "size": self.size,
            "label": self.label,
            "terms": self.terms,
            "since": self.since.isoformat() if self.since else None,
            "summary": self.summary("en"),
            "summary_ko": self.summary("ko"),
            "central": self.central,
            "members": self.members,
        }


def _when(since: datetime | None, until: datetime | None) -> str:
    """``09:00`` when the group's posts share a day, else ``2025-11-24 09:00``."""
    if since is None:
        return ""
    if until is not None and until.date() == since.date():
        return since.strftime("%H:%M")
    return since.strftime("%Y-%m-%d %H:%M")


def bridged_terms(text: str) -> list[str]:
    """Content terms of ``text`` with Korean product words mapped to English, generic ones gone."""
    from assistant.text import terms

    out = []
    for t in terms(text):
        t = RESTEM.get(t, t)
        t = BRIDGE.get(t, t)
        if t not in GENERIC and len(t) > 1 and "'" not in t:
            out.append(t)
    return out


def _tfidf(docs: list[list[str]]) -> tuple[np.ndarray, list[str]]:
    """Unit TF-IDF rows over terms that occur in at least two posts (others cannot link posts)."""
    import numpy as np

    df = Counter(t for d in docs for t in set(d))
    vocab = sorted(t for t, n in df.items() if n >= 2)
    col = {t: i for i, t in enumerate(vocab)}
    matrix = np.zeros((len(docs), max(1, len(vocab))), dtype=np.float32)
    n = len(docs)
    for row, d in enumerate(docs):
        for t, count in Counter(d).items():
            if t in col:
                matrix[row, col[t]] = (1 + math.log(count)) * math.log(1 + n / df[t])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12), vocab


def joint_vectors(embeddings: np.ndarray, docs: list[list[str]]) -> tuple[np.ndarray, list[str]]:
    """One unit vector per post joining the embedding and the term view (see module doc)."""
    import numpy as np

    tfidf, vocab = _tfidf(docs)
    a = math.sqrt(EMBEDDING_WEIGHT)
    b = math.sqrt(1 - EMBEDDING_WEIGHT)
    emb = np.asarray(embeddings, dtype=np.float32)
    has_terms = (np.linalg.norm(tfidf, axis=1, keepdims=True) > 0).astype(np.float32)
    # A post without shared terms is judged by its embedding alone.
    joint = np.hstack([emb * np.where(has_terms > 0, a, 1.0), tfidf * b])
    norms = np.linalg.norm(joint, axis=1, keepdims=True)
    return joint / np.maximum(norms, 1e-12), vocab


def group(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[int]:
    """A group index per row: a leader pass in row order, then one reassignment pass."""
    import numpy as np

    sums: list[np.ndarray] = []
    labels: list[int] = []
    for v in vectors:
        best, score = _nearest(sums, v)
        if best is not None and score >= threshold:
            sums[best] = sums[best] + v
            labels.append(best)
        else:
            sums.append(v.copy())
            labels.append(len(sums) - 1)
    if not sums:
        return []
    centroids = np.stack([s / max(float(np.linalg.norm(s)), 1e-12) for s in sums])
    scores = vectors @ centroids.T
    final = []
    for row, own in enumerate(labels):
        best = int(np.argmax(scores[row]))
        final.append(best if scores[row, best] >= threshold - SETTLED_MARGIN else own)
    return final


def _nearest(sums: list[np.ndarray], v: np.ndarray) -> tuple[int | None, float]:
    import numpy as np

    if not sums:
        return None, -1.0
    centroids = np.stack(sums)
    sims = (centroids @ v) / np.maximum(np.linalg.norm(centroids, axis=1), 1e-12)
    best = int(np.argmax(sims))
    return best, float(sims[best])


def cluster(
    items: list[Item],
    embeddings: np.ndarray,
    *,
    threshold: float | None = None,
    min_size: int = MIN_SIZE,
) -> list[Cluster]:
    """Systemic groups (``min_size`` or more posts) among ``items``; largest first, ids c1, c2, …

    ``embeddings``: one unit row per item, from the embedded multilingual model.
    """
    if len(items) < min_size:
        return []
    order = sorted(range(len(items)), key=lambda i: (_ts(items[i].created_at), i))
    docs = [bridged_terms(items[i].text) for i in order]
    vectors, vocab = joint_vectors(embeddings[order], docs)
    labels = group(vectors, THRESHOLD if threshold is None else threshold)
    members: dict[int, list[int]] = {}
    for row, lab in enumerate(labels):
        members.setdefault(lab, []).append(row)
    groups = [rows for rows in members.values() if len(rows) >= min_size]
    groups.sort(key=lambda rows: (-len(rows), rows[0]))
    return [
        _describe(f"c{n}", rows, [items[i] for i in order], vectors, docs)
        for n, rows in enumerate(groups, 1)
    ]


def _ts(when: datetime | None) -> float:
    return when.timestamp() if when else float("inf")


def _describe(
    cid: str, rows: list[int], items: list[Item], vectors: np.ndarray, docs: list[list[str]]
) -> Cluster:
    import numpy as np

    centroid = vectors[rows].sum(axis=0)
    central = rows[int(np.argmax(vectors[rows] @ centroid))]
    counts = Counter(t for r in rows for t in set(docs[r]))
    top = [t for t, n in counts.most_common(5) if n >= 2]
    times = [t for r in rows if (t := items[r].created_at) is not None]
    return Cluster(
        id=cid,
        members=[items[r].key for r in rows],
        central=items[central].key,
        label=label_of(items[central].text),
        terms=top,
        since=min(times) if times else None,
        until=max(times) if times else None,
    )


def label_of(text: str) -> str:
    """The first sentence of ``text``, without @handles and links, cut to a short line."""
    import re

    clean = re.sub(r"(?:https?://\S+|@\w+|#)", " ", text)
    clean = " ".join(clean.split())
    first = re.split(r"(?<=[.!?。])\s|\n", clean, maxsplit=1)[0].strip() or clean
    return first if len(first) <= LABEL_CHARS else first[: LABEL_CHARS - 1].rstrip() + "…"
