"""Bulk drafting throughput against a model with fixed latency, over real HTTP.

2,000 posts, a local OpenAI-compatible server (tests/fakellm.py) that answers every request
after ``--latency`` seconds, ``--concurrency`` calls in flight. Throughput is reported as a
share of the ideal ``posts × latency / concurrency`` for the drafting phase (the model-bound
part) and end to end (with triage, embedding and clustering). Also: peak memory (max RSS),
and the cost of fsync per output line against fsync every 50 lines.

Client CPU counts this process and the drafting worker processes (not the fake server, which
runs in its own process as a real provider would); peak memory is this process's max RSS plus,
with workers, their count times the largest worker's max RSS (an upper bound).

Usage: python benchmarks/bench_bulk.py [--posts 2000] [--latency 0.3] [--concurrency 32]
       [--workers N] [--data-dir DIR] [--cold]   (an initialised data dir includes retrieval)
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
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
    from assistant.bulk.io import OutputWriter

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


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a running process has used so far, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)


def _pct(values: list[float], q: float) -> float | None:
    return round(values[min(len(values) - 1, int(len(values) * q))], 1) if values else None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=None, help="default: BulkOptions' own")
    parser.add_argument("--cold", action="store_true",
                        help="load the triage and embedding models inside the timed run")  # fmt: skip
    args = parser.parse_args()

    from assistant.bulk import BulkOptions, run_bulk
    from assistant.config import load_settings
    from assistant.pipeline import Deps

    # The fake model runs in its own process, as a real provider would: its CPU is not ours.
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fakellm", "--delay", str(args.latency),
         "--reply", "Thank you for telling us, and sorry for the trouble. Please DM us."],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        api_base = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            posts, out = Path(tmp) / "posts.csv", Path(tmp) / "out.jsonl"
            make_posts(posts, args.posts)
            data_dir = args.data_dir or Path(tmp) / "data"
            data_dir.mkdir(parents=True, exist_ok=True)
            settings = load_settings(data_dir=data_dir, model="openai/fake", api_base=api_base)
            deps = Deps.from_settings(settings)
            from assistant import llm

            llm.litellm_module()  # imported once per process, before the clock starts
            # Loading the triage dictionary and the embedding model happens once per process
            # (a long-lived caller pays it once); it is timed on its own, not in the run.
            load_started = time.perf_counter()
            if not args.cold:
                from assistant.knowledge.embeddings import get_embedder
                from assistant.triage import triage

                triage("동기화가 안 돼요", model=None)
                get_embedder(settings.embedding).documents(["sync fails"])
            models_load_s = round(time.perf_counter() - load_started, 2)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            cpu_before, children_before = time.process_time(), _children_cpu()
            opts = BulkOptions(concurrency=args.concurrency,
                               llm_extra={"api_key": "bench-key"}, workers=args.workers)  # fmt: skip
            result = run_bulk(deps, posts, out, opts)
            cpu_s = time.process_time() - cpu_before
            # The workers are joined by now; the fake server is not (its CPU is not ours).
            workers_cpu_s = _children_cpu() - children_before
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            rss_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            calls = sum(int(r.get("attempts") or 0) for r in records if r["status"] == "drafted")
            latencies = sorted(r["latency_ms"] for r in records if r.get("latency_ms"))
            knowledge = deps.kb.count()
    finally:
        server_cpu_s = _process_cpu(server.pid)
        server.terminate()
        server.wait()
    run = result.summary["run"]
    drafted = result.summary["by_status"]["drafted"]
    ideal = calls * args.latency / args.concurrency
    print(json.dumps({
        "posts": args.posts, "latency_s": args.latency, "concurrency": args.concurrency,
        "model_calls": calls, "drafted": drafted, "by_status": result.summary["by_status"],
        "knowledge_chunks": knowledge, "ideal_s": round(ideal, 2),
        "models_load_s": models_load_s, "cold": args.cold,
        "prepare_s": run["prepare_s"], "draft_s": run["draft_s"], "total_s": run["elapsed_s"],
        "draft_efficiency": round(ideal / run["draft_s"], 3),
        "draft_cpu_ms_per_call": round(run["draft_cpu_s"] * 1000 / max(1, calls), 2)
        if run["workers"] == 1 else None,
        "end_to_end_efficiency": round(ideal / run["elapsed_s"], 3),
        "posts_per_s": round(args.posts / run["draft_s"], 1),
        "call_latency_ms": {"p50": _pct(latencies, 0.5), "p95": _pct(latencies, 0.95),
                            "mean": round(sum(latencies) / max(1, len(latencies)), 1)},
        "workers": run["workers"], "worker_errors": run["worker_errors"],
        "client_cpu_s": round(cpu_s + workers_cpu_s, 1), "parent_cpu_s": round(cpu_s, 1),
        "workers_cpu_s": round(workers_cpu_s, 1), "fake_server_cpu_s": server_cpu_s,
        "clusters": len(result.summary["clusters"]),
        "peak_rss_mb": round(rss_after / 1024, 1), "rss_before_run_mb": round(rss_before / 1024, 1),
        "peak_rss_largest_worker_mb": round(rss_child / 1024, 1),
        "peak_rss_all_processes_mb": round((rss_after + run["workers"] * rss_child
                                            * (run["workers"] > 1)) / 1024, 1),
        **fsync_cost(),
        "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
