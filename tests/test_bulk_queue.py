"""Bulk runs through the task queue: `bulk enqueue` stores a run in PostgreSQL, three
`bulk worker` processes drain it against a slow model on 127.0.0.1, one is killed with SIGKILL
mid-run, and every post still ends with exactly one draft. On SQLite the worker refuses in one
line."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from assistant import store as tables
from assistant.config import load_settings
from assistant.store import Store
from tests.fakellm import FakeLLM

REPO = Path(__file__).resolve().parent.parent
POSTS = 180


def _posts(path: Path, n: int) -> int:
    """``n`` posts cycled from the demo file; returns how many of them are valid rows."""
    demo = REPO / "assistant" / "data" / "demo_social_posts.csv"
    with demo.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["text"].strip() and r["platform"] != "tiktok"]
    fields = ["id", "platform", "author", "text", "url", "created_at"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for i in range(n):
            r = rows[i % len(rows)]
            writer.writerow({**{k: r[k] for k in fields}, "id": f"q{i:04d}",
                             "text": f"{r['text']} #{i}"})  # fmt: skip
    return n


def _env(db_url: str, data: Path, api_base: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(data), LITELLM_LOCAL_MODEL_COST_MAP="True")
    if db_url:
        env["ASSISTANT_DATABASE_URL"] = db_url
    if api_base:
        env.update(ASSISTANT_MODEL="openai/fake", ASSISTANT_API_BASE=api_base,
                   OPENAI_API_KEY="sk-test-not-a-key")  # fmt: skip
    return env


def _cli(*args: str, env: dict[str, str], **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", *args], cwd=REPO, env=env, text=True, **kwargs
    )


def test_worker_on_sqlite_says_it_needs_postgresql(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "bulk", "worker"],
        cwd=REPO, env=_env("", data), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PostgreSQL" in lines[0], done.stderr
    assert done.stdout == ""


def _stored(engine: Any, run_id: int) -> dict[str, tuple[str, dict[str, Any]]]:
    p = tables.bulk_posts
    with engine.connect() as conn:
        rows = conn.execute(select(p.c.key, p.c.status, p.c.record).where(p.c.run_id == run_id))
        return {str(k): (str(s), dict(r)) for k, s, r in rows}


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_three_workers_one_killed_every_post_drafted_once(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the task queue needs PostgreSQL (TEST_POSTGRES_URL)")
    from assistant.bulk import queue

    posts, out, data = tmp_path / "posts.csv", tmp_path / "out.jsonl", tmp_path / "data"
    data.mkdir()
    _posts(posts, POSTS)
    logs = [(tmp_path / f"worker{i}.log").open("w") for i in range(3)]
    with FakeLLM(default="Thanks for telling us, and sorry for the trouble.", delay=0.4) as fake:
        env = _env(db_url, data, fake.api_base)
        # Workers start first (they warm up while the run is enqueued) and wait for jobs.
        workers = [
            _cli("bulk", "worker", "--concurrency", "3", "--heartbeat", "1",
                 "--stalled-after", "3", env=env, stdout=log, stderr=log)
            for log in logs
        ]  # fmt: skip
        try:
            enq = subprocess.run(
                [sys.executable, "-m", "assistant", "bulk", "enqueue", str(posts),
                 "--out", str(out), "--json"],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
            )  # fmt: skip
            assert enq.returncode == 0, enq.stderr
            engine = create_engine(db_url)
            run_id = int(json.loads(enq.stdout)["run"])
            victim = f"{os.uname().nodename}:{workers[0].pid}"

            def victim_busy() -> bool:
                stored = _stored(engine, run_id).values()
                mine = sum(1 for _, r in stored if r.get("worker") == victim)
                queued = sum(1 for s, _ in stored if s == "queued")
                return mine >= 3 and queued > 30

            _wait(victim_busy, 180, "the first worker to store some posts")
            store = Store(db_url)
            during = queue.progress(store, run_id)
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(10)

            def drained() -> bool:
                return all(s != "queued" for s, _ in _stored(engine, run_id).values())

            _wait(drained, 120, "the other workers to finish the run")
            for w in workers[1:]:
                w.send_signal(signal.SIGTERM)
            codes = [w.wait(30) for w in workers[1:]]
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
                    w.wait()
            for log in logs:
                log.close()
    assert codes == [0, 0], [p.read_text()[-2000:] for p in tmp_path.glob("worker*.log")]
    stored = _stored(engine, run_id)
    assert len(stored) == POSTS
    statuses = {s for s, _ in stored.values()}
    assert statuses <= {"drafted", "skipped", "invalid"}, statuses
    drafted = {k for k, (s, _) in stored.items() if s == "drafted"}
    with engine.connect() as conn:
        traces = conn.execute(select(tables.drafts.c.trace)).scalars().all()
    per_post: dict[str, int] = {}
    for trace in traces:
        key = str(trace["bulk"]["post"])
        per_post[key] = per_post.get(key, 0) + 1
    assert set(per_post) == drafted and set(per_post.values()) == {1}
    by_worker = queue.progress(store, run_id)
    assert by_worker is not None and by_worker["waiting"] == by_worker["in_flight"] == 0
    assert by_worker["done"] == POSTS and by_worker["failed"] == 0
    assert by_worker["by_worker"][victim] >= 3 and len(by_worker["by_worker"]) == 3
    assert during is not None and during["waiting"] + during["in_flight"] > 0
    assert during["done"] + during["waiting"] + during["in_flight"] == POSTS
    # The killed worker's jobs were put back (stalled-job recovery) and none is left behind.
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
        ).scalar()
    assert left == 0
    # Rerunning the local command writes the stored run to OUT without drafting anything.
    settings = load_settings(data_dir=data, database_url=db_url)
    from assistant.bulk import BulkOptions, run_bulk
    from assistant.pipeline import Deps

    result = run_bulk(Deps.from_settings(settings), posts, out, BulkOptions())
    assert result.processed == 0 and result.resumed == POSTS
    assert len(out.read_text(encoding="utf-8").splitlines()) == POSTS
    engine.dispose()
    store.dispose()


def test_review_page_shows_a_queued_runs_progress(tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from assistant import accounts
    from assistant.bulk import runs
    from assistant.pipeline import Deps
    from assistant.ui.i18n import t

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    deps = Deps.from_settings(settings)
    accounts.add_user(deps.store, "지수", "lead", "correct-horse-7")
    run_id = runs.open_run(deps.store, str(tmp_path / "run.jsonl"), input="posts.csv")
    workers = [None, None, None, "vm-a:101", "vm-a:101", "vm-b:202"]
    for i, worker in enumerate(workers):
        record = {"key": f"k{i}", "id": f"p{i}", "line": i + 2, "platform": "x",
                  "text": f"동기화가 안 돼요 #{i}", "language": "ko", "situations": ["S4"],
                  "status": "queued" if worker is None else "skipped", "worker": worker}  # fmt: skip
        runs.save_post(deps, run_id, record, None)
    page = str(REPO / "pages" / "3_Bulk_review.py")
    at = AppTest.from_file(page, default_timeout=120).run()
    at.text_input(key="signin_name").input("지수")
    at.text_input(key="signin_password").input("correct-horse-7")
    at.button(key="btn_signin").click().run()
    assert not at.exception, [e.value for e in at.exception]
    captions = "\n".join(str(c.value) for c in at.caption)
    counts = dict(waiting=3, in_flight=0, done=3, failed=0, total=6)
    assert any(t("bulk_queue_counts", lang, **counts) in captions for lang in ("ko", "en"))
    for worker, n in (("vm-a:101", 2), ("vm-b:202", 1)):
        assert any(t("bulk_queue_worker", lang, worker=worker, n=n) in captions
                   for lang in ("ko", "en"))  # fmt: skip
    deps.store.dispose()
