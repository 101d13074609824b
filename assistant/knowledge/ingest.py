"""The write side of ingest: chunk rows of parsed documents, stored in batches.

Per batch of :data:`BATCH` chunks the embedding model runs in the calling thread while a worker
thread already splits the next batches' Korean text into BM25 terms (Kiwi's batch call runs in
C++ outside the GIL), and each batch is one Chroma ``add``. The embedding model sets the pace;
everything else hides behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError
from assistant.knowledge.files import ParsedDoc
from assistant.text import terms_many

if TYPE_CHECKING:
    import numpy as np

    from assistant.knowledge.embeddings import Embedder

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage ``"files"`` (files read) or ``"chunks"`` (stored)."""

Rows = tuple[list[str], list[str], list[dict[str, Any]], list[str]]


def chunk_rows(docs: list[ParsedDoc]) -> Rows:
    """Chunk ids, texts, metadata (terms still to fill in) and embedding inputs of ``docs``."""
    ids, texts, metas, inputs = [], [], [], []
    for doc in docs:
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
        for i, chunk in enumerate(doc.chunks):
            context = doc.title if chunk.heading == doc.title else f"{doc.title} - {chunk.heading}"
            ids.append(f"{doc.doc_id}#{i}")
            texts.append(chunk.text)
            inputs.append(f"{context}\n{chunk.text}")
            metas.append({**base, "heading": chunk.heading, "chunk": i, "terms": ""})
    return ids, texts, metas, inputs


def store_chunks(
    collection: Any, embedder: Embedder, rows: Rows, batch: int, progress: Progress | None
) -> np.ndarray:
    """Add ``rows`` to ``collection`` in batches of ``batch``; returns every chunk's vector."""
    import numpy as np

    ids, texts, metas, inputs = rows
    starts = range(0, len(ids), batch)
    done: list[np.ndarray] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="terms") as pool:
        lexical = [pool.submit(terms_many, inputs[s : s + batch]) for s in starts]
        for start, found in zip(starts, lexical, strict=True):
            end = start + batch
            vectors = embedder.documents(inputs[start:end])
            for meta, words in zip(metas[start:end], found.result(), strict=True):
                meta["terms"] = " ".join(words)
            collection.add(
                ids=ids[start:end],
                documents=texts[start:end],
                metadatas=metas[start:end],
                embeddings=[v.tolist() for v in vectors],
            )
            done.append(np.asarray(vectors, dtype=np.float32))
            if progress:
                progress("chunks", min(end, len(ids)), len(ids))
    return np.vstack(done) if done else np.zeros((0, 1), dtype=np.float32)


def stale_documents(
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
        elif any(Path(source).is_relative_to(f) for f in folders) and not Path(source).is_file():
            stale.append(doc_id)
    return stale


def check_unique(parsed: list[ParsedDoc]) -> None:
    """A document id used by two files is an InputError naming the second file."""
    seen: dict[str, Path] = {}
    for doc in parsed:
        if doc.doc_id in seen:
            raise InputError(
                f"document id {doc.doc_id!r} is also used by {seen[doc.doc_id]}",
                where=f"{doc.source}: id",
            )
        seen[doc.doc_id] = doc.source


def intact(stored: dict[str, Any] | None, digest: str) -> bool:
    """True when the stored document is this file's content with all of its chunks (an ingest
    killed half-way through a document leaves fewer; the next ingest replaces them)."""
    if stored is None or stored.get("hash") != digest:
        return False
    expected = stored.get("n_chunks")
    return expected in (None, "") or int(stored.get("chunks", 0)) == int(expected)
