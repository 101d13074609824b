"""Bulk drafting throughput against a model with fixed latency, over real HTTP.

2,000 posts, a local OpenAI-compatible server (tests/fakellm.py) that answers every request
after ``--latency`` seconds, ``--concurrency`` calls in flight. Throughput is reported as a
share of the ideal ``posts × latency / concurrency`` for the drafting phase (the model-bound
part) and end to end (with triage, embedding and clustering). Also: peak memory (max RSS),
and the cost of fsync per output line against fsync every 50 lines.

Usage: python benchmarks/bench_bulk.py [--posts 2000] [--latency 0.3] [--concurrency 32]
       [--data-dir DIR]   (an initialised data dir includes retrieval; default: none)
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def make_posts(path: Path, n: int) -> None:
    """``n`` posts cycled from the demo file, each with its own id and a varied tail."""
    demo = REPO / "assistant" / "data" / "demo_social_posts.csv"
    with demo.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["text"].strip() and r["platform"] != "tiktok"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["id", "platform", "author", "text", "url", "created_at"]
        )
        writer.writeheader()
        for i in range(n):
            r = rows[i % len(rows)]
            writer.writerow({**{k: r[k] for k in ("platform", "author", "url", "created_at")},
                             "id": f"b{i:05d}", "text": f"{r['text']} #{i}"})  # fmt: skip


def fsync_cost(lines: int = 2000) -> dict[str, float]:
    """Seconds to append ``lines`` records with fsync every line, every 50 lines, and never."""
    from assistant.bulk_io import OutputWriter

    record = {"key": "x", "draft": "고객님, 불편을 드려 죄송합니다. " * 8, "findings": []}
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for every in (1, 50, 0):
            path = Path(tmp) / f"o{every}.jsonl"
            writer = OutputWriter(path, fsync_every=every)
            started = time.perf_counter()
            for i in range(lines):
                writer.write({**record, "key": str(i)})
            writer.close()
            out[f"fsync_every_{every}_ms_per_line"] = round(
                (time.perf_counter() - started) * 1000 / lines, 4
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()

    import http.server

    # The standard server queues only 5 pending connections; 32 clients connecting at once
    # would wait for TCP SYN retransmits (1 s, 3 s) and measure the test server, not us.
    http.server.ThreadingHTTPServer.request_queue_size = 512
    from assistant.bulk import BulkOptions, run_bulk
    from assistant.config import load_settings
    from assistant.pipeline import Deps
    from tests.fakellm import FakeLLM

    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeLLM(
            default="Thank you for telling us, and sorry for the trouble. Please DM us.",
            delay=args.latency,
        ) as fake,
    ):
        posts, out = Path(tmp) / "posts.csv", Path(tmp) / "out.jsonl"
        make_posts(posts, args.posts)
        data_dir = args.data_dir or Path(tmp) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        settings = load_settings(data_dir=data_dir, model="openai/fake", api_base=fake.api_base)
        deps = Deps.from_settings(settings)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        opts = BulkOptions(concurrency=args.concurrency, progress=False,
                           llm_extra={"api_key": "bench-key"})  # fmt: skip
        result = run_bulk(deps, posts, out, opts)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        calls = len(fake.requests)
        knowledge = deps.kb.count()
    run = result.summary["run"]
    drafted = result.summary["by_status"]["drafted"]
    ideal = calls * args.latency / args.concurrency
    print(json.dumps({
        "posts": args.posts, "latency_s": args.latency, "concurrency": args.concurrency,
        "model_calls": calls, "drafted": drafted, "by_status": result.summary["by_status"],
        "knowledge_chunks": knowledge, "ideal_s": round(ideal, 2),
        "prepare_s": run["prepare_s"], "draft_s": run["draft_s"], "total_s": run["elapsed_s"],
        "draft_efficiency": round(ideal / run["draft_s"], 3),
        "end_to_end_efficiency": round(ideal / run["elapsed_s"], 3),
        "posts_per_s": round(args.posts / run["draft_s"], 1),
        "clusters": len(result.summary["clusters"]),
        "peak_rss_mb": round(rss_after / 1024, 1), "rss_before_run_mb": round(rss_before / 1024, 1),
        **fsync_cost(),
        "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
