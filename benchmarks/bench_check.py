"""Time ``assistant.playbook.check`` on 2,000-character Korean and English drafts.

Prints one JSON document: p50/p95 milliseconds per language after a warm-up (Kiwi loaded).
Run: ``.venv/bin/python benchmarks/bench_check.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from assistant.playbook import check

KO_PARAGRAPH = (
    "안녕하세요 민지 고객님, 하루노트 고객지원팀 김하나입니다. 아이폰에서 작성한 노트가 웹에 "
    "동기화되지 않는다고 알려 주셔서 감사합니다. 작업에 불편을 드려 죄송합니다. 앱을 최신 버전으로 "
    "업데이트한 뒤 설정에서 '지금 동기화'를 눌러 보시겠어요? 자세한 방법은 "
    "https://help.harunotes.example/ko/articles/sync-troubleshooting 에 있습니다. 해결되지 않으면 "
    "담당 팀에 확인하여 영업일 기준 2일 이내에 다시 연락드리겠습니다.\n"
)
EN_PARAGRAPH = (
    "Hi Alex, this is Sam from the Haru Notes support team. Thanks for letting us know that notes "
    "written on your iPhone are not showing up on the web app, and I'm sorry this held up your "
    "work. Could you update the app and tap Settings > Sync > Sync now? The steps are here: "
    "https://help.harunotes.example/en/articles/sync-troubleshooting If that does not help, I'll "
    "check with our sync team and get back to you within two business days.\n"
)
URLS = {
    "https://help.harunotes.example/ko/articles/sync-troubleshooting",
    "https://help.harunotes.example/en/articles/sync-troubleshooting",
}


def _draft(paragraph: str, size: int = 2000) -> str:
    return (paragraph * (size // len(paragraph) + 1))[:size]


def _time(text: str, lang: str, runs: int) -> dict[str, float]:
    message = (
        "아이폰 노트가 웹에서 동기화가 안 돼요" if lang == "ko" else "iPhone notes do not sync"
    )
    kwargs = {"lang": lang, "customer_message": message, "known_urls": URLS, "situations": ["S4"]}
    for _ in range(3):
        check(text, **kwargs)  # type: ignore[arg-type]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        check(text, **kwargs)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "chars": len(text),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    result = {
        "runs": args.runs,
        "ko": _time(_draft(KO_PARAGRAPH), "ko", args.runs),
        "en": _time(_draft(EN_PARAGRAPH), "en", args.runs),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
