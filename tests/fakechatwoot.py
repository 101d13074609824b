"""A local stand-in for Chatwoot on 127.0.0.1, for tests.

It accepts and answers what Chatwoot's REST API does for a conversation's messages
(``POST``/``GET /api/v1/accounts/{account}/conversations/{id}/messages`` with the
``api_access_token`` header; messages with integer ``message_type``, 1 = outgoing, and unix
``created_at``), and builds webhook deliveries the way Chatwoot sends them (``Message#webhook_data``
plus ``"event"``, signed with ``X-Chatwoot-Signature: sha256=HMAC(secret, "{ts}.{body}")``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = re.compile(r"^/api/v1/accounts/(\d+)/conversations/(\d+)/messages$")


class FakeChatwoot:
    """The fake server: ``messages`` by conversation, knobs to fail or hang."""

    def __init__(self, token: str = "cw-token") -> None:
        self.token = token
        self.messages: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self.fail_with: list[int] = []
        """Status codes to answer the next POSTs with, first one first."""
        self.hang_outgoing = threading.Event()
        """While set, an outgoing (non-private) message is stored, then the answer waits."""
        self.release = threading.Event()
        self.got_outgoing = threading.Event()
        self.lock = threading.Lock()
        self._next_id = 1000
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeChatwoot:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def notes(self, account: int, conversation: int) -> list[dict[str, Any]]:
        return [m for m in self.messages.get((account, conversation), []) if m["private"]]

    def replies(self, account: int, conversation: int) -> list[dict[str, Any]]:
        return [
            m
            for m in self.messages.get((account, conversation), [])
            if m["message_type"] == 1 and not m["private"]
        ]

    def wait_for(self, what: Any, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = what()
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError("the fake Chatwoot never got what the test waited for")

    def _store(self, account: int, conversation: int, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._next_id += 1
            message = {
                "id": self._next_id,
                "content": body.get("content"),
                "account_id": account,
                "inbox_id": 7,
                "conversation_id": conversation,
                "message_type": 1 if body.get("message_type", "outgoing") == "outgoing" else 0,
                "content_type": "text",
                "content_attributes": {},
                "created_at": int(time.time()),
                "private": bool(body.get("private", False)),
                "status": "sent",
                "source_id": None,
                "sender": {"id": 3, "name": "reply-assistant", "type": "agent_bot"},
            }
            self.messages.setdefault((account, conversation), []).append(message)
        return message

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self) -> tuple[int, int] | None:
                if self.headers.get("api_access_token") != fake.token:
                    self._answer(401, {"errors": ["Invalid Access Token"]})
                    return None
                match = PATH.match(self.path.split("?")[0])
                if match is None:
                    self._answer(404, {"error": "Resource could not be found"})
                    return None
                return int(match.group(1)), int(match.group(2))

            def do_GET(self) -> None:  # noqa: N802
                where = self._route()
                if where is not None:
                    payload = list(fake.messages.get(where, []))
                    self._answer(200, {"meta": {"contact": {}}, "payload": payload})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                where = self._route()
                if where is None:
                    return
                if fake.fail_with:
                    status = fake.fail_with.pop(0)
                    self._answer(status, {"error": f"failed with {status}"})
                    return
                message = fake._store(*where, body)
                if message["message_type"] == 1 and not message["private"]:
                    fake.got_outgoing.set()
                    if fake.hang_outgoing.is_set():
                        fake.release.wait(120)
                self._answer(200, message)

        return Handler


def message_created(
    content: str,
    *,
    message_id: int,
    conversation_id: int = 41,
    account_id: int = 1,
    contact_id: int = 501,
    name: str = "김민지",
    email: str | None = "minji@example.com",
    message_type: str = "incoming",
    private: bool = False,
    sender_type: str = "contact",
) -> dict[str, Any]:
    """A ``message_created`` delivery as Chatwoot's ``Message#webhook_data`` builds it."""
    sender = {
        "id": contact_id,
        "name": name,
        "email": email,
        "phone_number": None,
        "identifier": None,
        "thumbnail": "",
        "additional_attributes": {},
        "custom_attributes": {},
        "account": {"id": account_id, "name": "Acme"},
        "type": sender_type,
    }
    return {
        "event": "message_created",
        "account": {"id": account_id, "name": "Acme"},
        "additional_attributes": {},
        "content_attributes": {},
        "content_type": "text",
        "content": content,
        "conversation": {
            "additional_attributes": {},
            "can_reply": True,
            "channel": "Channel::WebWidget",
            "contact_inbox": {"id": 9, "contact_id": contact_id, "inbox_id": 7, "source_id": "x"},
            "id": conversation_id,
            "inbox_id": 7,
            "messages": [],
            "labels": [],
            "meta": {"sender": sender, "assignee": None, "team": None, "hmac_verified": False},
            "status": "open",
            "custom_attributes": {},
            "snoozed_until": None,
            "unread_count": 1,
            "agent_last_seen_at": 0,
            "contact_last_seen_at": 0,
            "timestamp": int(time.time()),
            "created_at": int(time.time()),
        },
        "created_at": "2026-12-02T09:00:00.000Z",
        "id": message_id,
        "inbox": {"id": 7, "name": "Website"},
        "message_type": message_type,
        "private": private,
        "sender": sender,
        "source_id": None,
    }


def signed(
    secret: str, payload: dict[str, Any], *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a delivery signed as Chatwoot signs it."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Chatwoot-Signature": f"sha256={mac}",
        "X-Chatwoot-Timestamp": ts,
        "X-Chatwoot-Delivery": f"delivery-{payload.get('id')}-{ts}",
    }
    return body, headers
