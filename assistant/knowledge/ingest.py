"""The write side of ingest: chunk rows of parsed documents, stored in batches.

Documents go in groups of about one batch of chunks: while the embedding model runs on one
group in the calling thread, a worker thread already chunks the next groups and splits their
Korean text into sentences and BM25 terms (Kiwi's batch calls run in C++ outside the GIL).
Each batch of chunks is one Chroma ``add``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError
from assistant.knowledge.files import CHUNK_CHARS, ParsedDoc, add_chunks_many
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
            "key": doc.key,
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


def store_documents(
    collection: Any,
    embedder: Embedder,
    docs: list[ParsedDoc],
    batch: int,
    progress: Progress | None,
) -> tuple[Rows, np.ndarray]:
    """Chunk ``docs`` and add their chunks to ``collection`` in batches of ``batch``; returns
    the rows written and every chunk's vector. A worker thread chunks and analyses the next
    groups of documents (Kiwi) while this thread embeds and stores the current one."""
    import numpy as np

    rows: Rows = ([], [], [], [])
    vectors: list[np.ndarray] = []
    total = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chunking") as pool:
        prepared = [pool.submit(_prepare, group) for group in _groups(docs, batch)]
        for future in prepared:
            ids, texts, metas, inputs = future.result()
            total += len(ids)
            for start in range(0, len(ids), batch):
                end = start + batch
                found = embedder.documents(inputs[start:end])
                collection.add(
                    ids=ids[start:end],
                    documents=texts[start:end],
                    metadatas=metas[start:end],
                    embeddings=[v.tolist() for v in found],
                )
                vectors.append(np.asarray(found, dtype=np.float32))
                if progress:
                    progress("chunks", len(rows[0]) + min(end, len(ids)), total)
            for kept, new in zip(rows, (ids, texts, metas, inputs), strict=True):
                kept.extend(new)  # type: ignore[attr-defined]
    return rows, (np.vstack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32))


def _groups(docs: list[ParsedDoc], batch: int) -> list[list[ParsedDoc]]:
    """Consecutive documents of about ``batch`` chunks (estimated from their length)."""
    groups: list[list[ParsedDoc]] = [[]]
    size = 0
    for doc in docs:
        if groups[-1] and size >= batch:
            groups.append([])
            size = 0
        groups[-1].append(doc)
        size += len(doc.body) // CHUNK_CHARS + 1
    return [g for g in groups if g]


def _prepare(group: list[ParsedDoc]) -> Rows:
    """Chunks of ``group`` (Korean sentences through Kiwi) with their BM25 terms."""
    add_chunks_many(group)
    rows = chunk_rows(group)
    for meta, words in zip(rows[2], terms_many(rows[3]), strict=True):
        meta["terms"] = " ".join(words)
    return rows


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


def check_unique(parsed: list[ParsedDoc], existing: dict[str, dict[str, Any]]) -> None:
    """A document id used by two files, or a translation key used by two documents of the same
    language (here or already stored), is an InputError naming the second file."""
    from assistant.knowledge.index import key_of

    seen: dict[str, Path] = {}
    keys: dict[tuple[str, str], str] = {}
    ids = {d.doc_id for d in parsed}
    for doc_id, meta in existing.items():
        if doc_id not in ids:
            keys[(key_of(meta), str(meta.get("lang")))] = str(meta.get("source") or doc_id)
    for doc in parsed:
        if doc.doc_id in seen:
            raise InputError(
                f"document id {doc.doc_id!r} is also used by {seen[doc.doc_id]}",
                where=f"{doc.source}: id",
            )
        seen[doc.doc_id] = doc.source
        other = keys.setdefault((doc.key, doc.lang), str(doc.source))
        if other != str(doc.source):
            raise InputError(
                f"translation key {doc.key!r} is also used by {other} in the same language "
                f"({doc.lang})",
                where=f"{doc.source}: key",
            )


def intact(stored: dict[str, Any] | None, doc: ParsedDoc) -> bool:
    """True when the stored document is this file's content with all of its chunks (an ingest
    killed half-way through a document leaves fewer; the next ingest replaces them) and its
    translation key (a document stored before keys were kept, whose file names one, is
    stored again so that its translations pair up)."""
    from assistant.knowledge.index import key_of

    if stored is None or stored.get("hash") != doc.digest or key_of(stored) != doc.key:
        return False
    expected = stored.get("n_chunks")
    return expected in (None, "") or int(stored.get("chunks", 0)) == int(expected)
