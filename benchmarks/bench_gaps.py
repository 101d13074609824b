"""Knowledge-gap speed: ``gaps.find`` over N stored customer messages (the labelled ko/en
questions of ``tests/fixtures/gaps.jsonl`` repeated with small variations), after the models
are loaded. Prints one JSON document.

    .venv/bin/python benchmarks/bench_gaps.py [--messages 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant import gaps  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from assistant.knowledge import KnowledgeBase, default_knowledge_dir  # noqa: E402
from assistant.store import Store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = [json.loads(line) for line in (REPO / "tests/fixtures/gaps.jsonl").open()]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp))
        kb = KnowledgeBase(settings)
        kb.ingest([default_knowledge_dir()])
        store = Store.from_settings(settings)
        for i in range(args.messages):
            r = rows[i % len(rows)]
            text = r["text"] if i < len(rows) else f"{r['text']} ({i})"
            store.create_draft(status="ready", message=text, language=r["lang"], findings=[])
        gaps.find(store, kb, settings)  # warm: models loaded, indexes read
        times, found = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            found = gaps.find(store, kb, settings)
            times.append(time.perf_counter() - start)
    out = {
        "messages": args.messages,
        "repeats": args.repeats,
        "seconds_median": round(statistics.median(times), 3),
        "seconds_all": [round(t, 3) for t in times],
        "ms_per_message": round(1000 * statistics.median(times) / args.messages, 2),
        "topics": len(found),
        "gap_messages": sum(len(g.questions) for g in found),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
