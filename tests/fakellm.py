"""A small OpenAI-compatible server on 127.0.0.1 for tests: scripted replies and faults.

``FakeLLM().enqueue("text")`` queues a reply; ``enqueue_fault(429, retry_after=1)`` a failure;
``default`` answers when the queue is empty. Every request body is kept in ``requests``.
Streaming requests get server-sent events like OpenAI's.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    """Many clients at once (bulk runs at high concurrency): a deep listen backlog."""

    request_queue_size = 512


class FakeLLM:
    """Start with ``with FakeLLM() as fake:``; use ``fake.api_base`` with model ``openai/fake``."""

    def __init__(self, default: str = "Thank you for reaching out.", delay: float = 0.0) -> None:
        self.default = default
        self.delay = delay
        self.queue: deque[dict[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.handle_error = lambda *args: None  # type: ignore[method-assign]  # clients that gave up
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def enqueue(self, text: str) -> None:
        self.queue.append({"text": text})

    def enqueue_fault(
        self, status: int, *, retry_after: float | None = None, body: str | None = None
    ) -> None:
        self.queue.append({"status": status, "retry_after": retry_after, "body": body})

    def enqueue_slow(self, text: str, seconds: float) -> None:
        """A reply that starts only after ``seconds`` (to trip a client timeout)."""
        self.queue.append({"text": text, "delay": seconds})

    def enqueue_broken_stream(self, text: str, *, after: int = 2, garbage: bool = False) -> None:
        """A streamed reply cut after ``after`` chunks: the connection closes (or, with
        ``garbage``, a malformed event is sent) and no finish_reason or [DONE] ever comes."""
        self.queue.append({"text": text, "cut": after, "garbage": garbage})

    def enqueue_raw(self, body: str) -> None:
        """A 200 answer with this exact body (malformed JSON, say)."""
        self.queue.append({"raw": body})

    def __enter__(self) -> FakeLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next(self) -> dict[str, Any]:
        with self.lock:
            return self.queue.popleft() if self.queue else {"text": self.default}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive like a real provider: clients reuse their connections.
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm holds the
            # body until the client's delayed ACK (~40 ms on every answer).
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.requests.append(body)
                    fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                item = fake._next()
                if fake.delay or item.get("delay"):
                    time.sleep(item.get("delay") or fake.delay)
                if "status" in item:
                    return self._fault(item)
                if "raw" in item:
                    return self._send(200, item["raw"].encode(), "application/json")
                if body.get("stream"):
                    return self._stream(item["text"], body, item.get("cut"), item.get("garbage"))
                return self._send(
                    200, json.dumps(_completion(item["text"], body)).encode(), "application/json"
                )

            def _fault(self, item: dict[str, Any]) -> None:
                payload = item.get("body") or json.dumps(
                    {"error": {"message": f"fake error {item['status']}", "type": "server_error"}}
                )
                self.send_response(item["status"])
                self.send_header("content-type", "application/json")
                if item.get("retry_after") is not None:
                    self.send_header("retry-after", str(item["retry_after"]))
                self.send_header("content-length", str(len(payload.encode())))
                self.end_headers()
                self.wfile.write(payload.encode())

            def _send(self, status: int, data: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(
                self, text: str, body: dict[str, Any], cut: int | None = None, garbage: bool = False
            ) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")  # the end of the body is the close
                self.end_headers()
                self.close_connection = True
                pieces = [text[i : i + 7] for i in range(0, len(text), 7)]
                for n, piece in enumerate(pieces):
                    if cut is not None and n == cut:
                        if garbage:
                            self.wfile.write(
                                b'data: {"id": "chatcmpl-fake", "choices": [{"delta": \n\n'
                            )
                            self.wfile.flush()
                        self.close_connection = True
                        return
                    chunk = {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [
                            {
                                "index": 0,
                                "delta": {"role": "assistant", "content": piece},
                                "finish_reason": None,
                            }
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                end = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "usage": {
                        "prompt_tokens": 50,
                        "completion_tokens": len(pieces),
                        "total_tokens": 50 + len(pieces),
                    },
                }
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        return Handler


def _completion(text: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160},
    }


def main() -> None:
    """Serve in its own process (benchmarks): prints the api_base, answers until killed."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--reply", default="Thank you for telling us, and sorry for the trouble.")
    args = parser.parse_args()
    fake = FakeLLM(default=args.reply, delay=args.delay)
    print(fake.api_base, flush=True)
    sys.stdout.close()
    fake.server.serve_forever()


if __name__ == "__main__":
    main()
