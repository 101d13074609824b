"""The help center: ingest knowledge files into Chroma and search them (vectors + BM25).

Storage: one Chroma collection per embedding backend (``PersistentClient`` under
``<data_dir>/chroma``, or ``HttpClient`` when ``chroma_url`` is set). Every chunk carries its
document's metadata, a content hash and its BM25 terms, so Chroma is the single source of
truth: the lexical index is rebuilt from the stored metadata when the knowledge base opens
and after every ingest, and cannot drift from the vectors.

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

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from assistant.config import Settings
from assistant.errors import InputError
from assistant.knowledge.embeddings import Embedder, chroma_embedding_function, get_embedder
from assistant.knowledge.files import ParsedDoc, add_chunks, collect_files, parse_file
from assistant.models import SearchHit
from assistant.text import BM25Index, detect_language, terms

if TYPE_CHECKING:
    import numpy as np

DEFAULT_FUSION = "convex:0.05"
"""Chunk score = cosine similarity + 0.05 x BM25 / best BM25 of the query (measured best)."""
CANDIDATES = 60
RRF_K = 60
SNIPPET_CHARS = 240
_BATCH = 256
_DOC_FIELDS = ("doc_id", "title", "url", "lang", "tags")


class IngestReport(BaseModel):
    """What an ingest did: documents added, updated, unchanged and removed; chunks written."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0


@dataclass
class _Index:
    """The in-memory view of the collection: chunk rows, documents and the BM25 index."""

    ids: list[str]
    metas: list[dict[str, Any]]
    texts: list[str]
    docs: dict[str, dict[str, Any]]
    bm25: BM25Index
    row: dict[str, int]
    translations: dict[str, dict[str, str]]
    first_row: dict[str, int]
    urls: set[str] | None = None


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
        self.fusion = fusion
        self._collection: Any = None
        self._index: _Index | None = None

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

    def _load(self) -> _Index:
        if self._index is not None:
            return self._index
        got = self._open(create=False).get(include=["metadatas", "documents"])
        ids, metas, texts = got["ids"], got["metadatas"] or [], got["documents"] or []
        docs: dict[str, dict[str, Any]] = {}
        for meta in metas:
            entry = docs.setdefault(str(meta["doc_id"]), {k: meta.get(k, "") for k in meta})
            entry["chunks"] = int(entry.get("chunks", 0)) + 1
        bm25 = BM25Index([str(m.get("terms", "")).split() for m in metas])
        row = {cid: i for i, cid in enumerate(ids)}
        translations: dict[str, dict[str, str]] = {}
        first_row: dict[str, int] = {}
        for i, meta in enumerate(metas):
            doc_id = str(meta["doc_id"])
            translations.setdefault(translation_key(doc_id), {})[str(meta.get("lang"))] = doc_id
            if doc_id not in first_row or int(meta.get("chunk", 0)) == 0:
                first_row[doc_id] = i
        self._index = _Index(
            list(ids),
            [dict(m) for m in metas],
            list(texts),
            docs,
            bm25,
            row,
            translations,
            first_row,
        )
        return self._index

    # ----- ingest --------------------------------------------------------------------------
    def ingest(self, paths: list[Path], *, prune: bool = False) -> IngestReport:
        """Add or update knowledge files; unchanged files are skipped.

        Every file is read and validated before anything is written, so a bad file changes
        nothing. With ``prune``, documents whose files vanished from an ingested folder go.
        """
        files = collect_files([Path(p) for p in paths])
        parsed = [parse_file(file, root, chunk=False) for file, root in files]
        _check_unique(parsed)
        collection = self._open(create=True)
        self._index = None
        existing = self._load().docs
        for doc in parsed:
            if not _intact(existing.get(doc.doc_id), doc.digest):
                add_chunks(doc)
        report = IngestReport()
        for doc in parsed:
            old = existing.get(doc.doc_id)
            if _intact(old, doc.digest):
                report.unchanged += 1
                continue
            if old is not None:
                collection.delete(where={"doc_id": doc.doc_id})
            report.chunks += self._add(collection, doc)
            report.updated += old is not None
            report.added += old is None
        for doc_id in self._stale(existing, parsed, paths if prune else []):
            collection.delete(where={"doc_id": doc_id})
            report.removed += 1
        self._index = None
        return report

    def _add(self, collection: Any, doc: ParsedDoc) -> int:
        base = {
            "doc_id": doc.doc_id,
            "title": doc.title,
            "url": doc.url,
            "lang": doc.lang,
            "tags": ",".join(doc.tags),
            "source": str(doc.source),
            "root": str(doc.root),
            "hash": doc.digest,
            "n_chunks": len(doc.chunks),
        }
        ids, texts, metas, inputs = [], [], [], []
        for i, chunk in enumerate(doc.chunks):
            context = doc.title if chunk.heading == doc.title else f"{doc.title} - {chunk.heading}"
            ids.append(f"{doc.doc_id}#{i}")
            texts.append(chunk.text)
            inputs.append(f"{context}\n{chunk.text}")
            lexical = " ".join(terms(f"{context}\n{chunk.text}"))
            metas.append({**base, "heading": chunk.heading, "chunk": i, "terms": lexical})
        for start in range(0, len(ids), _BATCH):
            end = start + _BATCH
            vectors = self.embedder.documents(inputs[start:end])
            collection.add(
                ids=ids[start:end],
                documents=texts[start:end],
                metadatas=metas[start:end],
                embeddings=[v.tolist() for v in vectors],
            )
        return len(ids)

    @staticmethod
    def _stale(
        existing: dict[str, dict[str, Any]], parsed: list[ParsedDoc], prune_paths: list[Path]
    ) -> list[str]:
        """Documents to remove: moved to a new id, or (when pruning) whose file vanished."""
        seen_ids = {d.doc_id for d in parsed}
        seen_sources = {str(d.source) for d in parsed}
        folders = [Path(p).expanduser().resolve() for p in prune_paths if Path(p).is_dir()]
        stale = []
        for doc_id, meta in existing.items():
            if doc_id in seen_ids:
                continue
            source = str(meta.get("source", ""))
            if source in seen_sources:
                stale.append(doc_id)
            elif (
                any(Path(source).is_relative_to(f) for f in folders) and not Path(source).is_file()
            ):
                stale.append(doc_id)
        return stale

    # ----- reading -------------------------------------------------------------------------
    def count(self) -> int:
        """Number of documents in the knowledge base (0 when nothing was ingested yet)."""
        try:
            return len(self._load().docs)
        except InputError:
            return 0

    def documents(self) -> list[dict[str, Any]]:
        """Every document (doc_id, title, url, lang, tags), sorted by id, for listings."""
        try:
            docs = self._load().docs
        except InputError:
            return []
        out = []
        for doc_id in sorted(docs):
            meta = docs[doc_id]
            row = {k: meta.get(k, "") for k in _DOC_FIELDS}
            row["tags"] = [t for t in str(meta.get("tags", "")).split(",") if t]
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

    def _vector_ranking(self, index: _Index, query: str) -> list[tuple[int, float]]:
        vector = self.embedder.query(query)
        got = self._open(create=False).query(
            query_embeddings=[vector.tolist()],
            n_results=min(CANDIDATES, len(index.ids)),
            include=["distances"],
        )
        pairs = zip(got["ids"][0], (got["distances"] or [[]])[0], strict=False)
        return [(index.row[cid], 1.0 - float(dist)) for cid, dist in pairs if cid in index.row]

    def _lexical_ranking(self, index: _Index, query: str) -> list[tuple[int, float]]:
        import numpy as np

        scores: np.ndarray = index.bm25.scores(terms(query))
        top = np.argsort(-scores)[:CANDIDATES]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def _fused(self, index: _Index, query: str) -> dict[int, float]:
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
        self, index: _Index, chunk_scores: dict[int, float], k: int, lang: str | None
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

    def as_retriever(self, k: int = 4) -> Any:
        """A langchain-core ``BaseRetriever`` over this knowledge base (returns ``Document``s)."""
        from assistant.knowledge.retriever import make_retriever

        return make_retriever(self, k)


def translation_key(doc_id: str) -> str:
    """Documents with the same key are translations: ``ko/refunds`` and ``en/refunds``."""
    head, sep, rest = doc_id.partition("/")
    return rest if sep and head in {"ko", "en"} else doc_id


def _prefer_language(
    index: _Index, best: dict[str, tuple[float, int]], lang: str
) -> dict[str, tuple[float, int]]:
    """One document per translation group: the ``lang`` one where it exists, at the group's best."""
    groups: dict[str, list[str]] = {}
    for doc_id in best:
        groups.setdefault(translation_key(doc_id), []).append(doc_id)
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


def _hit(index: _Index, row: int, score: float) -> SearchHit:
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


def _check_unique(parsed: list[ParsedDoc]) -> None:
    seen: dict[str, Path] = {}
    for doc in parsed:
        if doc.doc_id in seen:
            raise InputError(
                f"document id {doc.doc_id!r} is also used by {seen[doc.doc_id]}",
                where=f"{doc.source}: id",
            )
        seen[doc.doc_id] = doc.source


def _intact(stored: dict[str, Any] | None, digest: str) -> bool:
    """True when the stored document is this file's content with all of its chunks (an ingest
    killed half-way through a document leaves fewer; the next ingest replaces them)."""
    if stored is None or stored.get("hash") != digest:
        return False
    expected = stored.get("n_chunks")
    return expected in (None, "") or int(stored.get("chunks", 0)) == int(expected)


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
