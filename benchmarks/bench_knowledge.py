"""Help-center speed: ingest throughput and search latency at about 10k chunks.

Builds a synthetic corpus from the demo help center's sections (Korean and English, shuffled
into new articles), ingests it into a fresh data dir, then times distinct searches. In the
same run it times the embedding model alone on the very chunks the ingest embedded (same
batches), and prints ingest throughput as a share of it (``ingest_vs_model``: 1.0 would mean
that reading, chunking, Korean analysis and Chroma cost nothing). CPU seconds of both are
reported too: on a busy machine the wall-time share falls towards model CPU / ingest CPU, on an
idle one the worker thread hides Kiwi behind the model. Re-ingesting the unchanged corpus is
timed too, with the number of embedding calls it made (0 expected).
Prints one JSON document.

    .venv/bin/python benchmarks/bench_knowledge.py [--chunks 10000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.config import load_settings  # noqa: E402
import assistant.knowledge as knowledge  # noqa: E402
from assistant.knowledge import KnowledgeBase, default_knowledge_dir  # noqa: E402
from assistant.knowledge.files import add_chunks_many, collect_files, parse_file  # noqa: E402
from assistant.knowledge.ingest import chunk_rows  # noqa: E402
from assistant.text import sentences  # noqa: E402


def _sections() -> list[tuple[str, str]]:
    """(lang, section text) pieces of the demo articles, front matter removed."""
    out = []
    for path in sorted(default_knowledge_dir().rglob("*.md")):
        lang = path.parent.name
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        for part in re.split(r"\n(?=## )", body):
            text = part.strip()
            if text and not text.startswith("# "):
                out.append((lang, text))
    return out


def build_corpus(folder: Path, chunks: int, seed: int = 7) -> int:
    """Write synthetic articles with about ``chunks`` sections in all; returns the file count."""
    rng = random.Random(seed)
    sections = _sections()
    files = 0
    written = 0
    while written < chunks:
        lang = rng.choice(["ko", "en"])
        pool = [text for lg, text in sections if lg == lang]
        picked = rng.sample(pool, 5)
        title = f"{'문서' if lang == 'ko' else 'Article'} {files}: " + picked[0].splitlines()[0][3:]
        url = f"https://help.harunotes.example/{lang}/articles/synthetic-{files}"
        text = "\n\n".join(picked)
        front = (
            f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\nlang: {lang}\nurl: {url}\n---\n"
        )
        (folder / lang).mkdir(parents=True, exist_ok=True)
        (folder / lang / f"synthetic-{files}.md").write_text(front + text, encoding="utf-8")
        files += 1
        written += len(picked)
    return files


def _queries(n: int) -> list[str]:
    cases = [
        json.loads(line)["query"]
        for line in (REPO / "evals" / "retrieval.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    suffixes = ["", " 도와주세요", " please help", " 급해요", " asap", " 문의드립니다", " thanks"]
    out = [f"{q}{s}" for s in suffixes for q in cases]
    return out[:n]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _cpu() -> float:
    """CPU seconds this process has used (all threads, user and system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _model_seconds(kb: KnowledgeBase, corpus: Path) -> float:
    """The embedding model alone on the ingest's own inputs, in the ingest's batches."""
    docs = add_chunks_many([parse_file(f, root, chunk=False) for f, root in collect_files([corpus])])
    inputs = chunk_rows(docs)[3]
    started = time.perf_counter()
    for start in range(0, len(inputs), knowledge._BATCH):
        kb.embedder.documents(inputs[start : start + knowledge._BATCH])
    return time.perf_counter() - started


def _reingest(kb: KnowledgeBase, corpus: Path) -> tuple[float, int]:
    """Seconds and embedding calls of re-ingesting the unchanged corpus in a new instance."""
    again = KnowledgeBase(kb.settings)
    real, calls = again.embedder.documents, [0]

    def counted(texts: list[str]):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return real(texts)

    again.embedder.documents = counted  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        again.ingest([corpus])
        return time.perf_counter() - started, calls[0]
    finally:
        del again.embedder.documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        files = build_corpus(corpus, args.chunks)
        kb = KnowledgeBase(load_settings(data_dir=Path(tmp) / "data"))
        kb.embedder.query("warm up")  # model loads are not ingest time
        sentences("모델을 미리 불러옵니다. 준비되었습니다.")
        cpu0, started = _cpu(), time.perf_counter()
        report = kb.ingest([corpus])
        ingest_s, ingest_cpu = time.perf_counter() - started, _cpu() - cpu0
        cpu0 = _cpu()
        model_s = _model_seconds(kb, corpus)
        model_cpu = _cpu() - cpu0
        reingest_s, reingest_calls = _reingest(kb, corpus)
        kb.search("warm up the index", k=5)
        latencies = []
        for query in _queries(args.queries):
            t0 = time.perf_counter()
            kb.search(query, k=5)
            latencies.append((time.perf_counter() - t0) * 1000)
        result = {
            "files": files,
            "chunks": report.chunks,
            "ingest_seconds": round(ingest_s, 2),
            "ingest_chunks_per_second": round(report.chunks / ingest_s, 1),
            "model_only_seconds": round(model_s, 2),
            "model_only_chunks_per_second": round(report.chunks / model_s, 1),
            "ingest_vs_model": round(model_s / ingest_s, 3),
            "ingest_cpu_seconds": round(ingest_cpu, 2),
            "model_only_cpu_seconds": round(model_cpu, 2),
            "reingest_unchanged_seconds": round(reingest_s, 2),
            "reingest_embedding_calls": reingest_calls,
            "queries": len(latencies),
            "search_ms_p50": round(statistics.median(latencies), 2),
            "search_ms_p95": round(_pct(latencies, 95), 2),
            "search_ms_max": round(max(latencies), 2),
            "embedding": kb.embedder.backend,
            "fusion": kb.fusion,
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
