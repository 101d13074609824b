"""HTTP API speed: ``POST /v1/drafts`` latency and throughput against a fresh CLI process.

Builds a data dir with about ``--chunks`` help-center chunks (the synthetic corpus of
bench_knowledge.py; ``--data-dir`` reuses one built before), starts ``reply-assistant serve`` as
its own process with the offline drafter, and measures:

- ``POST /v1/drafts`` one at a time: p50 / p95 milliseconds;
- requests per second with ``--concurrency`` clients at once;
- the same draft made by a fresh ``reply-assistant draft --json`` process (wall seconds), and
  ``draft`` / ``search`` sent through the server with ``--server`` (wall seconds, whole process).

Prints one JSON document.

    .venv/bin/python benchmarks/bench_api.py [--chunks 10000] [--requests 200] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_knowledge import _pct, _queries, build_corpus  # noqa: E402

PY = sys.executable


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(data), ASSISTANT_ADMIN_PASSWORD="bench-admin-pw", **extra)
    env["PYTHONPATH"] = str(REPO)
    return env


def prepare(data: Path, chunks: int) -> int:
    """``init`` plus the synthetic corpus; the number of documents in the index."""
    subprocess.run([PY, "-m", "assistant", "init", "--json"], env=_env(data), check=True,
                   capture_output=True)  # fmt: skip
    corpus = data.parent / "corpus"
    if chunks and not corpus.exists():
        corpus.mkdir()
        build_corpus(corpus, chunks)
        subprocess.run([PY, "-m", "assistant", "ingest", str(corpus), "--json"],
                       env=_env(data), check=True, capture_output=True)  # fmt: skip
    from assistant.config import load_settings
    from assistant.knowledge import KnowledgeBase

    return int(KnowledgeBase(load_settings(data_dir=data)).count())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    token = subprocess.run(
        [PY, "-m", "assistant", "tokens", "create", "--user", "admin", "--json"],
        env=_env(data), check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    port = _free_port()
    proc = subprocess.Popen(
        [PY, "-m", "assistant", "serve", "--port", str(port)], env=_env(data),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url, json.loads(token)["token"]
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("serve did not start")


def sequential(url: str, token: str, messages: list[str]) -> list[float]:
    out = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
        c.post("/v1/drafts", json={"message": messages[0]})  # warm-up
        for m in messages:
            t = time.perf_counter()
            r = c.post("/v1/drafts", json={"message": m, "customer_id": "cus_ko_minji"})
            out.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 201, r.text
    return out


def concurrent(url: str, token: str, messages: list[str], clients: int) -> float:
    """Requests per second with ``clients`` at once, each sending its share."""
    shares = [messages[i::clients] for i in range(clients)]

    def run(share: list[str]) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=300) as c:
            for m in share:
                assert c.post("/v1/drafts", json={"message": m}).status_code == 201

    threads = [threading.Thread(target=run, args=(s,)) for s in shares]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return len(messages) / (time.perf_counter() - t)


def wall(cmd: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return round(statistics.median(times), 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--cli-runs", type=int, default=3)
    ap.add_argument("--data-dir", type=Path, help="reuse (or build once into) this data dir")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-api-"))
    data = args.data_dir or root / "data"
    data.parent.mkdir(parents=True, exist_ok=True)
    chunks = prepare(data, args.chunks)
    messages = (_queries(args.requests) * (args.requests // 50 + 2))[: args.requests]
    proc, url, token = start_server(data)
    try:
        lat = sequential(url, token, messages)
        rps = concurrent(url, token, messages, args.concurrency)
        env = _env(data)
        remote = _env(data, ASSISTANT_SERVER=url, ASSISTANT_SERVER_TOKEN=token)
        draft_cmd = [PY, "-m", "assistant", "draft", "--json", messages[0]]
        search_cmd = [PY, "-m", "assistant", "search", "--json", messages[0]]
        result = {
            "benchmark": "api",
            "documents": chunks,
            "requests": len(lat),
            "drafter": "offline",
            "post_drafts_ms": {
                "p50": round(statistics.median(lat), 1),
                "p95": round(_pct(lat, 95), 1),
                "max": round(max(lat), 1),
            },
            "concurrency": args.concurrency,
            "requests_per_s": round(rps, 2),
            "fresh_cli_draft_s": wall(draft_cmd, env, args.cli_runs),
            "cli_draft_via_server_s": wall(draft_cmd, remote, args.cli_runs),
            "cli_search_via_server_s": wall(search_cmd, remote, args.cli_runs),
        }
    finally:
        proc.terminate()
        proc.wait(30)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
