"""A small in-memory BM25 index over precomputed terms (Korean morphemes + English words).

Each term keeps a posting array of ``(chunk index, weight)`` with the BM25 term-frequency
part already applied, so scoring a query is a few vectorised additions.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class BM25Index:
    """Okapi BM25 (k1, b) over documents given as term lists; built once, read many times."""

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
        self.idf: dict[str, float] = {}
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, idx in rows.items():
            df = len(idx)
            self.idf[term] = math.log(1 + (self.size - df + 0.5) / (df + 0.5))
            self.postings[term] = (
                np.array(idx, dtype=np.int32),
                np.array(weights[term], dtype=np.float32) * self.idf[term],
            )

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 score of every document for ``query_terms`` (zeros where nothing matches)."""
        import numpy as np

        out = np.zeros(self.size, dtype=np.float32)
        for term in set(query_terms):
            posting = self.postings.get(term)
            if posting is not None:
                out[posting[0]] += posting[1]
        return out

    def coverage(self, query_terms: list[str]) -> float:
        """Share of the query's IDF mass that the index knows at all (0.0 to 1.0)."""
        unique = set(query_terms)
        if not unique:
            return 0.0
        default = math.log(1 + (self.size + 0.5) / 0.5)
        known = sum(self.idf.get(t, 0.0) for t in unique)
        total = sum(self.idf.get(t, default) for t in unique)
        return known / total if total else 0.0
