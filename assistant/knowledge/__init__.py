"""The help center: ingest knowledge files into Chroma and search them (vectors + BM25).

Storage: one Chroma collection per embedding backend (``PersistentClient`` under
``<data_dir>/chroma``, or ``HttpClient`` when ``chroma_url`` is set). Every chunk carries its
document's metadata, a content hash and its BM25 terms, so Chroma is the single source of
truth. With the local store, the view search reads (chunks, BM25, vectors) is saved after every
ingest under ``<data_dir>/index`` and stamped with a fingerprint of the Chroma store
(:mod:`assistant.knowledge.index`): a fresh process loads it without importing chromadb, and a
stale or damaged copy is rebuilt from Chroma, so it cannot drift from the vectors.

Ingest reads every file first (a bad file changes nothing), skips documents whose content hash
is stored whole, splits the Korean sentences and morphemes of all changed documents in batch
calls to Kiwi, and embeds and adds chunks in batches of :data:`_BATCH` (one Chroma ``add``
each).

Search: vector hits (the query embedding against chunk embeddings) and BM25 hits over Korean
morphemes and English words are fused by score (cosine + 0.05 x BM25 normalised by the
query's best BM25 score), then grouped per document (its best chunk is the snippet), and one
document per translation group is kept: the one in the customer's language where it exists.
Reciprocal rank fusion was measured and rejected: an article that exists only in the other
language has no BM25 rank and lost to same-language near misses (cross-lingual hit@3 0.18).
The design was chosen by measurement on ``evals/retrieval.jsonl`` (``assistant.evals.retrieval``);
``benchmarks/bench_knowledge.py`` measures speed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from assistant.config import Settings
from assistant.errors import InputError
from assistant.knowledge.embeddings import (
    Embedder,
    chroma_embedding_function,
    get_embedder,
    use_cache_dir,
)
from assistant.knowledge.files import check_text, collect_files, parse_file
from assistant.knowledge.index import (
    Index,
    build_index,
    chroma_fingerprint,
    extend_index,
    key_of,
    load_index,
    nearest,
    save_index,
    stored_ids,
    top_rows,
)
from assistant.knowledge.ingest import (
    Progress,
    check_unique,
    intact,
    stale_documents,
    store_documents,
)
from assistant.models import SearchHit
from assistant.text import detect_language, terms

if TYPE_CHECKING:
    import numpy as np

DEFAULT_FUSION = "convex:0.05"
"""Chunk score = cosine similarity + 0.05 x BM25 / best BM25 of the query (measured best)."""
CANDIDATES = 60
RRF_K = 60
SNIPPET_CHARS = 240
NEAR_TIE = 0.1
"""An article in the other language outranks the reply language's best article for a reply's
links only by at least this much of the top score (a near tie goes to the customer's language)."""
_BATCH = 256
_DOC_FIELDS = ("doc_id", "title", "url", "lang", "tags", "key")


class IngestReport(BaseModel):
    """What an ingest did: documents added, updated, unchanged and removed; chunks written."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0


def default_knowledge_dir() -> Path:
    """The demo help center shipped with the package."""
    from assistant.resources import shipped

    return shipped("knowledge")


class KnowledgeBase:
    """Ingest and hybrid search over the help center."""

    def __init__(self, settings: Settings, *, fusion: str = DEFAULT_FUSION) -> None:
        self.settings = settings
        api_base = None if settings.embedding.startswith("embedded") else settings.api_base
        self.embedder: Embedder = get_embedder(settings.embedding, api_base=api_base)
        use_cache_dir(Path(settings.data_dir) / "cache")
        self.fusion = fusion
        self._collection: Any = None
        self._index: Index | None = None

    # ----- storage -------------------------------------------------------------------------
    def _open(self, *, create: bool) -> Any:
        if self._collection is not None:
            return self._collection
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.settings.chroma_url:
            client = _http_client(self.settings.chroma_url, chroma_settings)
        else:
            data_dir = Path(self.settings.data_dir)
            if not create and not (data_dir / "chroma").is_dir():
                raise InputError(
                    "no knowledge index here; run `reply-assistant init` first", where=str(data_dir)
                )
            (data_dir / "chroma").mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(
                path=str(data_dir / "chroma"), settings=chroma_settings
            )
        self._collection = client.get_or_create_collection(
            name=f"knowledge-{self.embedder.slug}",
            embedding_function=chroma_embedding_function(self.embedder),
            configuration={"hnsw": {"space": "cosine"}},
        )
        return self._collection

    def _saved_path(self) -> Path | None:
        """Where the local store's search view is saved (None with a Chroma server)."""
        if self.settings.chroma_url:
            return None
        return Path(self.settings.data_dir) / "index" / f"knowledge-{self.embedder.slug}.npz"

    def _load(self) -> Index:
        if self._index is not None:
            return self._index
        saved = self._saved_path()
        chroma_dir = Path(self.settings.data_dir) / "chroma"
        if saved is not None:
            found = load_index(saved, chroma_fingerprint(chroma_dir))
            if found is not None:
                self._index = found
                return found
        self._index = self._from_chroma(saved, chroma_dir)
        return self._index

    def _from_chroma(self, saved: Path | None, chroma_dir: Path) -> Index:
        """The view read from Chroma itself; saved for the next process when the store did not
        change while it was read."""
        import numpy as np

        collection = self._open(create=False)
        before = chroma_fingerprint(chroma_dir) if saved is not None else None
        include = ["metadatas", "documents"] + (["embeddings"] if saved is not None else [])
        got = collection.get(include=include)
        metas = [dict(m) for m in got["metadatas"] or []]
        vectors = None
        if saved is not None:
            raw = got.get("embeddings")
            vectors = np.asarray(raw if raw is not None and len(raw) else [], dtype=np.float32)
            vectors = vectors.reshape(len(metas), -1) if len(metas) else None
        index = build_index(list(got["ids"]), metas, list(got["documents"] or []), vectors)
        if saved is not None and before is not None and before == chroma_fingerprint(chroma_dir):
            with contextlib.suppress(OSError):  # a read-only data dir still searches
                save_index(saved, index, before)
        return index

    def _existing(self) -> dict[str, dict[str, Any]]:
        """Stored documents by id (none before the first ingest into a local store)."""
        if not self.settings.chroma_url and not (Path(self.settings.data_dir) / "chroma").is_dir():
            return {}
        return self._load().docs

    # ----- ingest --------------------------------------------------------------------------
    def ingest(
        self, paths: list[Path], *, prune: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        """Add or update knowledge files; unchanged files are skipped (no embedding work).

        Every file is read and validated before anything is written, so a bad file changes
        nothing. With ``prune``, documents whose files vanished from an ingested folder go.
        ``progress(stage, done, total)`` is told about files read and chunks stored.
        """
        files = collect_files([Path(p) for p in paths])
        parsed = []
        for n, (file, root) in enumerate(files, 1):
            parsed.append(parse_file(file, root, chunk=False))
            if progress:
                progress("files", n, len(files))
        self._index = None
        existing = self._existing()
        stale = stale_documents(existing, parsed, paths if prune else [])
        check_unique(parsed, {i: m for i, m in existing.items() if i not in stale})
        changed = [d for d in parsed if not intact(existing.get(d.doc_id), d)]
        report = IngestReport(unchanged=len(parsed) - len(changed), removed=len(stale))
        if not changed and not stale:
            return report
        for doc in changed:
            check_text(doc)  # every refusal before anything is written
        old, collection = self._index, self._open(create=True)
        replaced = [d.doc_id for d in changed if d.doc_id in existing]
        for start in range(0, len(replaced) + len(stale), _BATCH):
            gone = (replaced + stale)[start : start + _BATCH]
            collection.delete(where={"doc_id": {"$in": gone}})
        rows, vectors = store_documents(collection, self.embedder, changed, _BATCH, progress)
        report.chunks = len(rows[0])
        report.updated = len(replaced)
        report.added = len(changed) - len(replaced)
        self._index = None
        self._save_after_ingest(old, set(replaced + stale), rows, vectors)
        return report

    def _save_after_ingest(
        self, old: Index | None, drop: set[str], rows: Any, vectors: np.ndarray
    ) -> None:
        """The new search view from the old one and what was written (Chroma is not read back
        unless the store holds other chunks than that makes), saved for the next process."""
        saved = self._saved_path()
        if saved is None:
            return
        chroma_dir = Path(self.settings.data_dir) / "chroma"
        fingerprint = chroma_fingerprint(chroma_dir)
        order = stored_ids(chroma_dir, f"knowledge-{self.embedder.slug}")
        ids, texts, metas, _ = rows
        index = None
        if fingerprint is not None and order is not None:
            index = extend_index(old, drop, (ids, metas, texts, vectors), order)
        if index is None or fingerprint is None:
            self._load()
            return
        self._index = index
        with contextlib.suppress(OSError):
            save_index(saved, index, fingerprint)

    # ----- reading -------------------------------------------------------------------------
    def count(self) -> int:
        """Number of documents in the knowledge base (0 when nothing was ingested yet)."""
        try:
            return len(self._load().docs)
        except InputError:
            return 0

    def documents(self) -> list[dict[str, Any]]:
        """Every document (doc_id, title, url, lang, tags, translation key), sorted by id."""
        try:
            docs = self._load().docs
        except InputError:
            return []
        out = []
        for doc_id in sorted(docs):
            meta = docs[doc_id]
            row = {k: meta.get(k, "") for k in _DOC_FIELDS}
            row["tags"] = [t for t in str(meta.get("tags", "")).split(",") if t]
            row["key"] = key_of(meta)
            out.append(row)
        return out

    def known_urls(self) -> set[str]:
        """Every article URL in the knowledge base (for checking links in drafts); read once
        per loaded index (every draft's check asks)."""
        try:
            index = self._load()
        except InputError:
            return set()
        if index.urls is None:
            index.urls = {str(d["url"]) for d in index.docs.values() if d.get("url")}
        return set(index.urls)

    def get(self, doc_id: str) -> SearchHit | None:
        """One document as a hit (its first chunk as snippet), e.g. a source an agent pinned."""
        try:
            index = self._load()
        except InputError:
            return None
        for row, meta in enumerate(index.metas):
            if str(meta.get("doc_id")) == doc_id:
                return _hit(index, row, 1.0)
        return None

    # ----- search --------------------------------------------------------------------------
    def search(self, query: str, k: int = 5, *, lang: str | None = None) -> list[SearchHit]:
        """The ``k`` best documents for ``query``, each with its best chunk as snippet.

        ``lang`` ("ko"/"en", default: the query's language) picks the version of an article in
        that language where a translation exists; articles that exist only in the other
        language are still found (cross-lingual vectors).
        """
        query = (query or "").strip()
        if not query:
            raise InputError("empty query", where="query")
        if k < 1:
            raise InputError("k must be at least 1", where="k")
        index = self._load()
        if not index.ids:
            return []
        preferred = lang if lang in {"ko", "en"} else detect_language(query)
        chunk_scores = self._fused(index, query)
        return self._per_document(index, chunk_scores, k, preferred)

    def coverage(self, query: str) -> float:
        """How well the help center answers ``query``: the fused score of its best chunk,
        before :meth:`search` rescales the hits to the best one (0 with nothing ingested).
        Knowledge gaps compare it with a threshold."""
        query = (query or "").strip()
        index = self._load() if query and self.count() else None
        if index is None or not index.ids:
            return 0.0
        return round(max(self._fused(index, query).values(), default=0.0), 4)

    def _vector_ranking(self, index: Index, query: str) -> list[tuple[int, float]]:
        vector = self.embedder.query(query)
        if index.vectors is not None:
            return nearest(index, vector, CANDIDATES)
        got = self._open(create=False).query(
            query_embeddings=[vector.tolist()],
            n_results=min(CANDIDATES, len(index.ids)),
            include=["distances"],
        )
        pairs = zip(got["ids"][0], (got["distances"] or [[]])[0], strict=False)
        return [(index.row[cid], 1.0 - float(dist)) for cid, dist in pairs if cid in index.row]

    def _lexical_ranking(self, index: Index, query: str) -> list[tuple[int, float]]:
        scores: np.ndarray = index.bm25.scores(terms(query))
        top = top_rows(scores, CANDIDATES)
        return [(int(i), float(scores[i])) for i in top]

    def _fused(self, index: Index, query: str) -> dict[int, float]:
        """Chunk scores: ``convex:A`` (cosine + A x normalised BM25, the default), ``rrf``
        (reciprocal rank fusion), ``vector`` or ``bm25`` alone (the last three for comparison)."""
        name, _, param = self.fusion.partition(":")
        vector = self._vector_ranking(index, query) if name != "bm25" else []
        lexical = self._lexical_ranking(index, query) if name != "vector" else []
        fused: dict[int, float] = {}
        if name == "convex":
            alpha = float(param or 0.05)
            top = lexical[0][1] if lexical else 1.0
            floor = vector[-1][1] if vector else 0.0
            cos = dict(vector)
            for row in set(cos) | {r for r, _ in lexical}:
                fused[row] = cos.get(row, floor)
            for row, score in lexical:
                fused[row] += alpha * score / top
            return fused
        for ranking in (vector, lexical):
            for rank, (row, _) in enumerate(ranking):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        return fused

    def _per_document(
        self, index: Index, chunk_scores: dict[int, float], k: int, lang: str | None
    ) -> list[SearchHit]:
        best: dict[str, tuple[float, int]] = {}
        for row, score in chunk_scores.items():
            doc_id = str(index.metas[row]["doc_id"])
            if doc_id not in best or score > best[doc_id][0]:
                best[doc_id] = (score, row)
        if lang:
            best = _prefer_language(index, best, lang)
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[:k]
        top = ranked[0][1][0] if ranked and ranked[0][1][0] > 0 else 1.0
        return [_hit(index, row, score / top) for _, (score, row) in ranked]

    # ----- the reply's language ------------------------------------------------------------
    def translated(self, hits: list[SearchHit], lang: str) -> list[SearchHit]:
        """``hits`` with each one replaced by its translation in ``lang`` where one exists (at
        the hit's score), each article once, in order."""
        try:
            index = self._load()
        except InputError:
            return list(hits)
        out: list[SearchHit] = []
        seen: set[str] = set()
        for hit in hits:
            meta = index.docs.get(hit.doc_id)
            version = index.translations.get(key_of(meta), {}).get(lang) if meta else None
            if version and version != hit.doc_id and version in index.first_row:
                hit = _hit(index, index.first_row[version], hit.score)
            if hit.doc_id not in seen:
                seen.add(hit.doc_id)
                out.append(hit)
        return out

    def in_language(self, hits: list[SearchHit], lang: str) -> list[SearchHit]:
        """The articles a reply in ``lang`` links, from ranked ``hits``: each replaced by its
        translation in ``lang`` (:meth:`translated`), then only articles in ``lang``, unless
        none exists for the best matches: articles in the other language that score clearly
        above every ``lang`` article (by :data:`NEAR_TIE` or more) stay, and the draft marks them
        as being in that language."""
        found = self.translated(hits, lang)
        first = next((h for h in found if h.lang == lang), None)
        if first is None:
            return found
        return [h for h in found if h.lang == lang or h.score >= first.score + NEAR_TIE]

    def as_retriever(self, k: int = 4) -> Any:
        """A langchain-core ``BaseRetriever`` over this knowledge base (returns ``Document``s)."""
        from assistant.knowledge.retriever import make_retriever

        return make_retriever(self, k)


def _prefer_language(
    index: Index, best: dict[str, tuple[float, int]], lang: str
) -> dict[str, tuple[float, int]]:
    """One document per translation group: the ``lang`` one where it exists, at the group's best."""
    groups: dict[str, list[str]] = {}
    for doc_id in best:
        groups.setdefault(key_of(index.docs[doc_id]), []).append(doc_id)
    out: dict[str, tuple[float, int]] = {}
    for key, members in groups.items():
        score = max(best[m][0] for m in members)
        preferred = index.translations.get(key, {}).get(lang)
        if preferred is None:
            winner = max(members, key=lambda m: best[m][0])
            out[winner] = (score, best[winner][1])
        elif preferred in best:
            out[preferred] = (score, best[preferred][1])
        else:
            out[preferred] = (score, index.first_row[preferred])
    return out


def _hit(index: Index, row: int, score: float) -> SearchHit:
    meta = index.metas[row]
    text = index.texts[row]
    return SearchHit(
        doc_id=str(meta["doc_id"]),
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        score=round(score, 4),
        snippet=_snippet(text),
        lang=str(meta.get("lang", "")),
        text=text,
    )


def _snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def _http_client(url: str, chroma_settings: Any) -> Any:
    from urllib.parse import urlparse

    import chromadb

    parsed = urlparse(url)
    if not parsed.hostname:
        raise InputError(f"not a URL: {url!r}", where="setting chroma_url")
    port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    try:
        return chromadb.HttpClient(
            host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=chroma_settings
        )
    except (ValueError, OSError) as exc:
        raise InputError(
            f"cannot reach the Chroma server at {url} ({type(exc).__name__}); is `chroma run` up?",
            where="setting chroma_url",
        ) from None
