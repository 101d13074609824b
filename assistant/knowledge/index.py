"""The in-memory view of the help center (chunk rows, documents, BM25, vectors) and its copy on
disk.

Chroma stays the single source of truth. After every ingest the view is saved next to it as one
``.npz`` file (``<data_dir>/index/<collection>.npz``: plain arrays and JSON, no pickle), stamped
with a fingerprint of the Chroma store (its collections and the sequence numbers of its write
log, read with ``sqlite3`` alone). A fresh process whose fingerprint matches loads the file and
searches without importing chromadb, re-reading every chunk or rebuilding BM25; a file that is
missing, damaged, of an older format or stale is ignored (and rebuilt from Chroma by the caller).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.knowledge.files import translation_key
from assistant.text import BM25Index

if TYPE_CHECKING:
    import numpy as np

FORMAT = 1
"""Bumped whenever the saved layout changes; files of another format are rebuilt."""


@dataclass
class Index:
    """Chunk rows, documents, translations (``{key: {lang: doc_id}}``) and the BM25 index; ``vectors`` (unit rows, one per
    chunk) when the store is local, so vector search needs no Chroma round trip."""

    ids: list[str]
    metas: list[dict[str, Any]]
    texts: list[str]
    docs: dict[str, dict[str, Any]]
    bm25: BM25Index
    row: dict[str, int]
    translations: dict[str, dict[str, str]]
    first_row: dict[str, int]
    vectors: np.ndarray | None = None
    urls: set[str] | None = None


def build_index(
    ids: list[str],
    metas: list[dict[str, Any]],
    texts: list[str],
    vectors: np.ndarray | None = None,
    bm25: BM25Index | None = None,
) -> Index:
    """The view over chunk rows as Chroma returns them (BM25 built from the stored terms)."""
    if bm25 is None:
        bm25 = BM25Index([str(m.get("terms", "")).split() for m in metas])
    docs: dict[str, dict[str, Any]] = {}
    for meta in metas:
        entry = docs.setdefault(str(meta["doc_id"]), {k: meta.get(k, "") for k in meta})
        entry["chunks"] = int(entry.get("chunks", 0)) + 1
    translations: dict[str, dict[str, str]] = {}
    first_row: dict[str, int] = {}
    for i, meta in enumerate(metas):
        doc_id = str(meta["doc_id"])
        translations.setdefault(key_of(meta), {})[str(meta.get("lang"))] = doc_id
        if doc_id not in first_row or int(meta.get("chunk", 0)) == 0:
            first_row[doc_id] = i
    row = {cid: i for i, cid in enumerate(ids)}
    return Index(list(ids), metas, list(texts), docs, bm25, row, translations, first_row, vectors)


def key_of(meta: dict[str, Any]) -> str:
    """The translation key of a stored document (its chunks' metadata): the front matter's
    ``key``, else the one derived from its id (documents stored before keys were kept)."""
    return str(meta.get("key") or "") or translation_key(str(meta["doc_id"]))


def chroma_fingerprint(chroma_dir: Path) -> str | None:
    """What identifies the local Chroma store's content: its collections and the sequence numbers
    of its write log (every add and delete advances them). None when it cannot be read (no
    store, locked by a writer, an unknown layout): the saved view is then not trusted."""
    path = chroma_dir / "chroma.sqlite3"
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
        try:
            parts = [
                con.execute("SELECT id, name FROM collections ORDER BY id").fetchall(),
                con.execute("SELECT segment_id, seq_id FROM max_seq_id ORDER BY 1").fetchall(),
                con.execute("SELECT count(*), max(seq_id) FROM embeddings_queue").fetchall(),
                con.execute("SELECT count(*), max(id) FROM embeddings").fetchall(),
            ]
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return json.dumps(parts, default=str)


def save_index(path: Path, index: Index, fingerprint: str) -> None:
    """Write the view to ``path`` atomically (a reader sees the old file or the new one)."""
    import numpy as np

    head = {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "ids": index.ids,
        "metas": index.metas,
        "texts": index.texts,
    }
    arrays = index.bm25.arrays()
    arrays["head"] = np.frombuffer(json.dumps(head, ensure_ascii=False).encode(), dtype=np.uint8)
    if index.vectors is not None:
        arrays["vectors"] = np.ascontiguousarray(index.vectors, dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load_index(path: Path, fingerprint: str | None) -> Index | None:
    """The view saved at ``path`` when it matches ``fingerprint``; None when it is missing,
    stale, of another format or damaged in any way (never an exception)."""
    if fingerprint is None or not path.is_file():
        return None
    try:
        return _read(path, fingerprint)
    except Exception:  # a damaged or foreign file of any kind is rebuilt, never fatal
        return None


def _read(path: Path, fingerprint: str) -> Index | None:
    import numpy as np

    with np.load(path, allow_pickle=False) as saved:
        head = json.loads(bytes(saved["head"]).decode("utf-8"))
        if head.get("format") != FORMAT or head.get("fingerprint") != fingerprint:
            return None
        ids, metas, texts = head["ids"], head["metas"], head["texts"]
        bm25 = BM25Index.from_arrays(saved)
        vectors = np.array(saved["vectors"], dtype=np.float32) if "vectors" in saved else None
    if not (len(ids) == len(metas) == len(texts) == bm25.size):
        return None
    if vectors is not None and vectors.shape[0] != len(ids):
        return None
    return build_index(ids, metas, texts, vectors, bm25)


def extend_index(
    old: Index | None,
    drop: set[str],
    rows: tuple[list[str], list[dict[str, Any]], list[str], np.ndarray],
    order: list[str],
) -> Index | None:
    """``old`` without the documents in ``drop`` plus the new chunk ``rows`` (ids, metadata,
    texts, vectors: what an ingest wrote), in Chroma's ``order``, without reading the chunks
    back. None unless that makes exactly the chunks ``order`` lists (another writer got in
    between) or when ``old`` has no vectors to carry over."""
    import numpy as np

    ids, metas, texts, vectors = rows
    if old is not None and old.vectors is None and old.ids:
        return None
    keep = [] if old is None else [i for i, m in enumerate(old.metas) if m["doc_id"] not in drop]
    all_ids = [old.ids[i] for i in keep] + list(ids) if old else list(ids)
    at = {cid: n for n, cid in enumerate(all_ids)}
    if len(at) != len(all_ids) or len(order) != len(at) or set(order) != set(at):
        return None
    all_metas = ([old.metas[i] for i in keep] if old else []) + list(metas)
    all_texts = ([old.texts[i] for i in keep] if old else []) + list(texts)
    parts = [old.vectors[keep]] if old is not None and old.vectors is not None and keep else []
    fresh = np.asarray(vectors, dtype=np.float32)
    blocks = parts + ([fresh] if len(fresh) else [])
    stacked = np.vstack(blocks) if blocks else np.zeros((0, 1), dtype=np.float32)
    picked = [at[cid] for cid in order]
    return build_index(
        order, [all_metas[n] for n in picked], [all_texts[n] for n in picked], stacked[picked]
    )


def stored_ids(chroma_dir: Path, collection: str) -> list[str] | None:
    """The chunk ids of ``collection`` in the local store, in Chroma's order (None when the
    store cannot be read)."""
    path = chroma_dir / "chroma.sqlite3"
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
        try:
            rows = con.execute(
                "SELECT e.embedding_id FROM embeddings e JOIN segments s ON e.segment_id = s.id"
                " JOIN collections c ON s.collection = c.id"
                " WHERE c.name = ? AND s.scope = 'METADATA' ORDER BY e.id",
                (collection,),
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return [str(r[0]) for r in rows]


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """The rows of the ``n`` best positive scores, best first, ties in row order: what a stable
    sort of every positive score gives, without sorting them all."""
    import numpy as np

    matched = np.flatnonzero(scores > 0)
    values = scores[matched]
    if len(matched) > n:
        cut = -np.partition(-values, n - 1)[n - 1]
        above = matched[values > cut]
        matched = np.concatenate([above, matched[values == cut][: n - len(above)]])
        values = scores[matched]
    return matched[np.lexsort((matched, -values))]


def nearest(index: Index, query: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The ``n`` rows closest to the unit vector ``query`` by cosine similarity, best first
    (exact, over the saved vectors; one BLAS thread, which is faster on a busy machine)."""
    import numpy as np

    assert index.vectors is not None
    with _one_blas_thread():
        sims = index.vectors @ np.asarray(query, dtype=np.float32)
    n = min(n, len(sims))
    if n <= 0:
        return []
    top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(int(i), float(sims[i])) for i in top]


_controller: list[Any] = []


def _one_blas_thread() -> Any:
    """A context limiting BLAS to one thread (the controller found once per process)."""
    if not _controller:
        from threadpoolctl import ThreadpoolController

        _controller.append(ThreadpoolController())
    return _controller[0].limit(limits=1, user_api="blas")
