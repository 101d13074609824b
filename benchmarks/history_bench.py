"""Customer-history timings: demo import, re-import, context_for (cold and warm), drafts.

Prints one JSON document. Run: ``.venv/bin/python benchmarks/history_bench.py``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from assistant.history import context_for, list_customers, load_demo_customers
from assistant.store import Store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MESSAGES = {
    "ko": "결제가 또 두 번 청구됐어요. 환불은 언제 되나요?",
    "en": "My notes are duplicated again after syncing, and I was charged twice.",
}


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        t = time.perf_counter()
        store.migrate()
        out: dict[str, object] = {"migrate_ms": _ms(t)}
        t = time.perf_counter()
        out["customers"] = load_demo_customers(store)
        out["demo_import_ms"] = _ms(t)
        t = time.perf_counter()
        load_demo_customers(store)
        out["demo_reimport_ms"] = _ms(t)
        ids = [c.id for c in list_customers(store)]
        t = time.perf_counter()
        context_for(store, ids[0], MESSAGES["en"], now=NOW)
        out["context_first_call_ms_incl_kiwi_load"] = _ms(t)
        timings = []
        for cid in ids * 5:
            message = MESSAGES["ko" if cid.startswith("cus_ko") else "en"]
            t = time.perf_counter()
            context_for(store, cid, message, now=NOW)
            timings.append((time.perf_counter() - t) * 1000)
        out["context_warm_ms"] = {
            "n": len(timings),
            "median": round(statistics.median(timings), 2),
            "max": round(max(timings), 2),
        }
        t = time.perf_counter()
        for i in range(200):
            draft_id = store.create_draft(message=f"message {i}", channel="email")
            store.update_draft(draft_id, status="ready", output="reply", findings=[])
        out["draft_create_update_ms_each"] = round(_ms(t) / 200, 2)
        store.dispose()
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
