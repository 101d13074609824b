"""Time rule-based ``triage`` per message on the labelled sets, and report their accuracy.

Prints one JSON document: Kiwi load time, p50/p95/max milliseconds per message after a
warm-up (every message seen for the first time, so no cache helps), and the evaluation of
the labelled sets (development: ``triage.jsonl``, ``triage_holdout.jsonl``,
``triage_dev2.jsonl``; blind: ``triage_blind.jsonl``) with the ids of the misses.
Run: ``.venv/bin/python benchmarks/bench_triage.py``.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from assistant.text import kiwi
from assistant.triage import triage
from assistant.evals.triage import evaluate_triage, load_cases

EVALS = Path(__file__).resolve().parent.parent / "evals"
SETS = ("triage.jsonl", "triage_holdout.jsonl", "triage_dev2.jsonl", "triage_blind.jsonl")


def main() -> None:
    """Measure and print."""
    start = time.perf_counter()
    kiwi()
    triage("하루노트 동기화가 안 돼요")  # the first analysis finishes loading Kiwi's model
    load_s = time.perf_counter() - start
    texts = [c["text"] for name in SETS
             for c in load_cases(EVALS / name)]  # fmt: skip
    timings = []
    for i, text in enumerate(texts):
        fresh = f"{text} #{i}"  # defeat the morpheme cache: measure the cold path
        t0 = time.perf_counter()
        triage(fresh)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    reports = {}
    for name in SETS:
        report = evaluate_triage(EVALS / name)
        report["misses"] = [m["id"] for m in report["misses"]]
        reports[name] = report
    print(
        json.dumps(
            {
                "kiwi_load_s": round(load_s, 2),
                "messages": len(timings),
                "ms_p50": round(statistics.median(timings), 2),
                "ms_p95": round(timings[int(0.95 * (len(timings) - 1))], 2),
                "ms_max": round(timings[-1], 2),
                "evaluation": reports,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
