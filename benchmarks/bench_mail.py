"""Mailbox sync timings against a throwaway Dovecot on 127.0.0.1 (root, dovecot-imapd): the
first sync of N messages (recording only, no drafting), a rerun that finds nothing new, and
one new message after that.

Prints one JSON document. Run: ``sudo .venv/bin/python benchmarks/bench_mail.py [N] [REPEATS]``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.channels import mail  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from assistant.store import Store  # noqa: E402
from tests.mailservers import PASSWORD, Dovecot, dovecot_missing  # noqa: E402


def _message(i: int) -> bytes:
    m = EmailMessage()
    m["From"] = f"고객 {i} <customer{i % 50}@example.com>"
    m["To"] = "support@example.com"
    m["Subject"] = f"결제 문의 {i}" if i % 2 else f"Refund question {i}"
    m["Message-ID"] = f"<bench-{i}@example.com>"
    if i % 3 == 0 and i:
        m["In-Reply-To"] = f"<bench-{i - 3}@example.com>"
    m.set_content(("앱에서 결제하면 화면이 멈춰요. " if i % 2 else "I was charged twice. ") * 5)
    return m.as_bytes()


def _time(*args: object) -> float:
    start = time.perf_counter()
    mail.sync(*args)  # type: ignore[arg-type]
    return round((time.perf_counter() - start) * 1000, 1)


def main(n: int = 300, repeats: int = 3) -> None:
    missing = dovecot_missing()
    if missing:
        print(json.dumps({"skipped": missing}))
        return
    first, rerun, one_new = [], [], []
    with Dovecot() as server:
        server.append(*[_message(i) for i in range(n)])
        for r in range(repeats):
            with tempfile.TemporaryDirectory() as tmp:
                settings = load_settings(
                    data_dir=Path(tmp), imap_url=server.url, imap_password=PASSWORD
                )
                store = Store.from_settings(settings)
                box = mail.Mailbox(settings)
                first.append(_time(store, settings, box))
                rerun.append(_time(store, settings, box))
                server.append(_message(n + r))
                one_new.append(_time(store, settings, box))
                box.close()
                store.dispose()
    median = statistics.median
    print(json.dumps({
        "messages": n, "repeats": repeats,
        "first_sync_ms": median(first), "per_message_ms": round(median(first) / n, 2),
        "rerun_ms": median(rerun), "one_new_message_ms": median(one_new),
        "runs": {"first": first, "rerun": rerun, "one_new": one_new},
    }))  # fmt: skip


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
