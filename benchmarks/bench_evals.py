"""Eval throughput and memory: the prompt-version matrix against a model with fixed latency.

``--cases`` messages (cycled from the shipped ``situations`` suite, each with its own id and
a varied tail, with the suite's assertions) × 2 prompt versions (v1, v2) against a local
OpenAI-compatible server (tests/fakellm.py, in its own process as a real provider would be)
that answers every request after ``--latency`` seconds, ``--concurrency`` calls in flight.
The ideal wall time is ``cases × 2 × latency / concurrency``. Each timed run is the whole
``run_eval`` (per case: triage, history, retrieval, prompt, model call, playbook check,
draft record, assertions; results streamed to disk, summary written): first with an empty
answer cache (every row a model call), then again with every answer in the cache. The
start-up a process pays once (imports, the triage dictionary, the embedding model, the
model client) is timed on its own, before the runs.

``--memory-cases N`` adds a run of N cases × 2 variants with the deterministic ``mock/a`` and
``mock/b`` models (no network, the same per-case pipeline) and its HTML report, in a child
process whose peak RSS is reported: memory must stay flat as a suite grows.

Usage: python benchmarks/bench_evals.py [--cases 400] [--latency 0.3] [--concurrency 16]
       [--repeats 1] [--data-dir DIR (initialised)] [--memory-cases 20000]
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def make_suite(path: Path, n: int) -> None:
    """A JSONL suite of ``n`` draft cases cycled from the shipped situations suite."""
    import yaml

    src = yaml.safe_load((REPO / "evals" / "suites" / "situations.yaml").read_text("utf-8"))
    header = {"name": f"bench{n}", "target": "draft", "defaults": src.get("defaults") or {}}
    cases = src["cases"]
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"suite": header}, ensure_ascii=False) + "\n")
        for i in range(n):
            case = dict(cases[i % len(cases)])
            case["id"] = f"{case['id']}-{i:05d}"
            case["message"] = f"{case['message']} #{i}"
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _children_cpu() -> float:
    """CPU seconds of the child processes that have ended (the model-call processes; the fake
    server is still running, so its CPU is not counted)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _init(data_dir: Path) -> None:
    if (data_dir / "evals.db").exists() or any(data_dir.glob("chroma*")):
        return
    subprocess.run(
        [sys.executable, "-m", "assistant", "init", "--data-dir", str(data_dir)],
        cwd=REPO, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def warm(settings: Any) -> float:
    """What a process loads once (timed apart from the runs)."""
    started = time.perf_counter()
    from assistant import llm
    from assistant.knowledge import KnowledgeBase
    from assistant.triage import triage

    llm.warm_up(settings)
    triage("동기화가 안 돼요, 정말 화가 납니다", model=None)
    KnowledgeBase(settings).search("sync fails", k=3)
    return round(time.perf_counter() - started, 2)


def timed_run(settings: Any, suite: Path, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    from assistant.evals import RunOptions, run_eval

    cpu0, started, kids0 = time.process_time(), time.perf_counter(), _children_cpu()
    outcome = run_eval(
        settings, [str(suite)], ["v1", "v2"], ["openai/fake"], out_dir=out,
        options=RunOptions(concurrency=args.concurrency, callers=args.callers),
    )  # fmt: skip
    wall = time.perf_counter() - started
    rows = outcome.run.summary["cases"]
    ideal = rows * args.latency / args.concurrency
    return {
        "rows": rows,
        "wall_s": round(wall, 2),
        "ideal_s": round(ideal, 2),
        "of_ideal": round(ideal / wall, 3) if wall else None,
        "rows_per_s": round(rows / wall, 1),
        "cpu_s": round(time.process_time() - cpu0, 2),
        "model_process_cpu_s": round(_children_cpu() - kids0, 2),
        "model_calls": outcome.run.summary["model_calls"],
        "cache_hits": outcome.run.summary["cache_hits"],
    }


def throughput(args: argparse.Namespace, data_dir: Path, tmp: Path) -> dict[str, Any]:
    from assistant.config import load_settings

    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fakellm", "--delay", str(args.latency),
         "--reply", "Thank you for telling us, and sorry for the trouble."],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        api_base = server.stdout.readline().strip()
        os.environ.setdefault("OPENAI_API_KEY", "bench-key")
        settings = load_settings(data_dir=data_dir, api_base=api_base, max_retries=0)
        suite = tmp / "suite.jsonl"
        make_suite(suite, args.cases)
        startup = warm(settings)
        cold, cached = [], []
        for i in range(args.repeats):
            for suffix in ("", "-wal", "-shm"):  # an empty cache: every row a model call
                (data_dir / f"eval-cache.sqlite{suffix}").unlink(missing_ok=True)
            cold.append(timed_run(settings, suite, args, tmp / f"cold{i}"))
            cached.append(timed_run(settings, suite, args, tmp / f"cached{i}"))
    finally:
        server.terminate()
        server.wait()
    return {"startup_s": startup, "cold": cold, "cached": cached, "peak_rss_mb": _rss_mb()}


def memory_child(n: int, data_dir: Path, tmp: Path) -> dict[str, Any]:
    """In its own process: N cases × mock/a, mock/b, and the HTML report."""
    from assistant.config import load_settings
    from assistant.evals import RunOptions, run_eval

    suite = tmp / "big.jsonl"
    make_suite(suite, n)
    settings = load_settings(data_dir=data_dir)
    started = time.perf_counter()
    outcome = run_eval(
        settings, [str(suite)], ["v1"], ["mock/a", "mock/b"], out_dir=tmp / "big",
        report=tmp / "big.html", options=RunOptions(concurrency=16),
    )  # fmt: skip
    return {
        "cases": n,
        "rows": outcome.run.summary["cases"],
        "wall_s": round(time.perf_counter() - started, 1),
        "peak_rss_mb": _rss_mb(),
        "report_mb": round((tmp / "big.html").stat().st_size / 1e6, 2),
        "cases_jsonl_mb": round((tmp / "big" / "cases.jsonl").stat().st_size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--memory-cases", type=int, default=0)
    parser.add_argument(
        "--callers",
        type=int,
        default=None,
        help="model-call processes (default: by cores; 0: in the run's process)",
    )
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--child-memory", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data_dir = args.data_dir or tmp / "data"
        _init(data_dir)
        if args.child_memory:
            print(json.dumps(memory_child(args.child_memory, data_dir, tmp)))
            return
        result: dict[str, Any] = {"cases": args.cases, "variants": 2, "latency_s": args.latency,
                                  "concurrency": args.concurrency, "cpus": os.cpu_count(), "callers": args.callers,
                                  "load_avg": os.getloadavg()}  # fmt: skip
        if not args.skip_throughput:
            result["throughput"] = throughput(args, data_dir, tmp)
        if args.memory_cases:
            child = subprocess.run(
                [sys.executable, __file__, "--child-memory", str(args.memory_cases),
                 "--data-dir", str(data_dir)],
                cwd=REPO, check=True, capture_output=True, text=True,
            )  # fmt: skip
            result["memory"] = json.loads(child.stdout.strip().splitlines()[-1])
        result["load_avg_after"] = os.getloadavg()
        shutil.rmtree(tmp / "big", ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
