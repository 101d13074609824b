"""Pipeline overhead of ``draft`` with the offline drafter at ~10k chunks, and CLI start-up.

Prints one JSON document. Usage: ``python benchmarks/bench_pipeline.py [--docs N]``.
The synthetic corpus repeats the demo help center with varied product areas so that the
index holds about ``N × chunks-per-article`` chunks; the demo customers are loaded too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

AREAS = ["iOS", "Android", "웹", "Windows", "macOS", "팀", "가족", "학생", "기업", "베타"]
MESSAGES = [
    ("cus_ko_minji", "앱에서 결제하면 화면이 멈춰요"),
    (None, "지난달 결제 금액이 두 번 청구됐어요. 환불해 주세요."),
    (None, "구독 해지하고 싶습니다."),
    (None, "동기화가 또 안 돼요 ㅡㅡ 벌써 세 번째예요"),
    ("cus_en_oliver", "My notes stopped syncing between my phone and laptop since the update."),
    (None, "I was charged twice this month. I want a refund."),
    (None, "How do I export my notes to PDF?"),
    (None, "When will you release the Linux app? I need a date."),
]


def synthetic_corpus(target: Path, copies: int) -> int:
    """Write ``copies`` variants of every demo article; returns the number of files."""
    from assistant.knowledge import default_knowledge_dir

    sources = sorted(default_knowledge_dir().rglob("*.md"))
    count = 0
    for i in range(copies):
        area = AREAS[i % len(AREAS)]
        for src in sources:
            text = src.read_text(encoding="utf-8")
            head, _, body = text.partition("\n---\n")
            rel = src.relative_to(default_knowledge_dir()).with_suffix("")
            out = target / f"{rel}-{i}.md"
            out.parent.mkdir(parents=True, exist_ok=True)
            head = head.replace("title: ", f"title: ({area} {i}) ", 1)
            head = head.replace("/articles/", f"/articles/v{i}-", 1)
            head = "\n".join(line for line in head.splitlines() if not line.startswith("id:"))
            out.write_text(f"{head}\n---\n({area} {i})\n{body}", encoding="utf-8")
            count += 1
    return count


def help_wall_time(runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "assistant", "--help"], capture_output=True, check=True
        )
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=48, help="copies of the demo help center")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from assistant.config import load_settings
    from assistant.history import load_demo_customers
    from assistant.knowledge import KnowledgeBase
    from assistant.pipeline import Deps, DraftRequest, draft_reply
    from assistant.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = synthetic_corpus(root / "kb", args.docs)
        settings = load_settings(data_dir=root / "data", model="offline")
        settings.data_dir.mkdir()
        started = time.perf_counter()
        report = KnowledgeBase(settings).ingest([root / "kb"])
        ingest_s = time.perf_counter() - started
        load_demo_customers(Store.from_settings(settings))
        deps = Deps.from_settings(settings)
        deps.clock = lambda: datetime(2026, 11, 23, 10, tzinfo=UTC)
        for cid, text in MESSAGES:  # warm-up: models and analysers load once per process
            draft_reply(deps, DraftRequest(message=text, customer_id=cid))
        samples = []
        for _ in range(args.rounds):
            for cid, text in MESSAGES:
                t0 = time.perf_counter()
                draft_reply(deps, DraftRequest(message=text, customer_id=cid))
                samples.append((time.perf_counter() - t0) * 1000)
        samples.sort()
        print(
            json.dumps(
                {
                    "files": files,
                    "chunks": report.chunks,
                    "ingest_s": round(ingest_s, 1),
                    "ingest_chunks_per_s": round(report.chunks / ingest_s, 1),
                    "draft_offline_ms": {
                        "n": len(samples),
                        "p50": round(statistics.median(samples), 1),
                        "p95": round(samples[int(len(samples) * 0.95) - 1], 1),
                    },
                    "help_wall_s": help_wall_time(),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
