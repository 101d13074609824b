"""Search at scale: latency at 100k chunks in-process, and what a process holding them costs.

Ingests the demo help center (216 chunks) into a temp data dir, then grows its search view to
``--chunks`` synthetic chunks: every demo chunk copied with a jittered vector (unit length, so
copies are near neighbours and not duplicates) under new document ids, with the chunk's own
BM25 terms. The view is saved the way ingest saves it; a fresh child process loads it, runs
the retrieval-set queries (Korean and English) through ``KnowledgeBase.search`` and reports
p50/p95 latency, the load time and its peak memory (the Kiwi analyser and the embedding model
included, as in a server) and how much of it the view holds. Prints one JSON document.

    .venv/bin/python benchmarks/bench_search_scale.py [--chunks 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from assistant.config import load_settings  # noqa: E402
from assistant.knowledge import KnowledgeBase, default_knowledge_dir  # noqa: E402
from assistant.knowledge.index import build_index, load_index, save_index  # noqa: E402

FINGERPRINT = "bench_search_scale"


def grow(data: Path, out: Path, chunks: int, seed: int = 11) -> dict[str, float]:
    """Save a view of ``chunks`` synthetic chunks built from the demo help center's."""
    kb = KnowledgeBase(load_settings(data_dir=data))
    kb.ingest([default_knowledge_dir()])
    got = kb._open(create=False).get(include=["metadatas", "documents", "embeddings"])
    base_metas, base_texts = list(got["metadatas"]), list(got["documents"])
    base_vectors = np.asarray(got["embeddings"], dtype=np.float32)
    rng = np.random.default_rng(seed)
    ids, metas, texts, blocks = [], [], [], []
    copy = 0
    while len(ids) < chunks:
        noise = rng.normal(0, 0.02, base_vectors.shape).astype(np.float32)
        jittered = base_vectors + noise
        blocks.append(jittered / np.linalg.norm(jittered, axis=1, keepdims=True))
        for meta, text in zip(base_metas, base_texts, strict=True):
            doc_id = f"{meta['doc_id']}-{copy}"
            ids.append(f"{doc_id}#{meta['chunk']}")
            metas.append({**meta, "doc_id": doc_id, "url": f"{meta['url']}-{copy}"})
            texts.append(text)
        copy += 1
    vectors = np.vstack(blocks)[:chunks]
    started = time.perf_counter()
    index = build_index(ids[:chunks], metas[:chunks], texts[:chunks], vectors)
    build_s = time.perf_counter() - started
    save_index(out, index, FINGERPRINT)
    return {"build_seconds": round(build_s, 2), "file_mb": round(out.stat().st_size / 2**20, 1)}


def _rss_kb() -> int:
    """The process's resident memory now (KB), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child(data: Path, saved: Path, queries: int) -> None:
    """In a fresh process: load the saved view, search, report latency and memory."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_knowledge import _pct, _queries

    kb = KnowledgeBase(load_settings(data_dir=data))
    kb.search("warm up the models", k=5)
    kb.search("모델을 미리 불러옵니다", k=5)
    before = _rss_kb()
    started = time.perf_counter()
    index = load_index(saved, FINGERPRINT)
    load_s = time.perf_counter() - started
    assert index is not None, "the saved view did not load"
    kb._index = index
    latencies = []
    for query in _queries(queries):
        t0 = time.perf_counter()
        kb.search(query, k=5)
        latencies.append((time.perf_counter() - t0) * 1000)
    peak, held = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, _rss_kb()
    out = {
        "chunks": len(index.ids),
        "documents": len(index.docs),
        "load_seconds": round(load_s, 2),
        "queries": len(latencies),
        "search_ms_p50": round(statistics.median(latencies), 2),
        "search_ms_p95": round(_pct(latencies, 95), 2),
        "search_ms_max": round(max(latencies), 2),
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_before_view_mb": round(before / 1024, 1),
        "view_rss_mb": round((held - before) / 1024, 1),
    }
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.queries)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data, saved = Path(tmp) / "data", Path(tmp) / "view.npz"
        built = grow(data, saved, args.chunks)
        run = subprocess.run(
            [sys.executable, __file__, "--queries", str(args.queries), "--child", str(data), str(saved)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = {**json.loads(run.stdout.strip().splitlines()[-1]), **built}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
