"""``draft``, ``check`` and ``search`` sent to a running ``reply-assistant serve``.

With ``--server URL`` (or ``ASSISTANT_SERVER``) the command loads no model and no index: it
sends the same request to the server's ``/v1`` API with ``ASSISTANT_SERVER_TOKEN`` and prints the
answer in the command's own shapes. Only the standard library is imported here, so the command
starts in the time Python and the command line parser take.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from assistant.errors import InputError

TIMEOUT_S = 120.0


class Remote:
    """A running server and the token to use it."""

    def __init__(self, url: str, token: str | None) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InputError(f"not an http(s) URL: {url!r}", where="--server")
        if not token:
            raise InputError(
                "set ASSISTANT_SERVER_TOKEN to a token from `reply-assistant tokens create`",
                where="--server",
            )
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One API call; its JSON answer. An error answer is an InputError with its ``where``."""
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise _error(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(f"cannot reach {self.url}: {reason}", where="--server") from None


def _error(exc: urllib.error.HTTPError) -> InputError:
    try:
        body = json.loads(exc.read())
        message, where = str(body.get("error")), str(body.get("where") or "server")
    except (ValueError, AttributeError):
        message, where = f"the server answered {exc.code}", "--server"
    if exc.code == 401:
        where = "ASSISTANT_SERVER_TOKEN"
    return InputError(message, where=where)


def remote_for(server: str | None) -> Remote | None:
    """The server to send work to (``--server``, else ``ASSISTANT_SERVER``), or None."""
    url = server or os.environ.get("ASSISTANT_SERVER") or ""
    if not url.strip():
        return None
    return Remote(url.strip(), os.environ.get("ASSISTANT_SERVER_TOKEN"))


def emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


DRAFT_KEYS = (
    "id", "draft", "language", "situations", "sources", "findings", "model", "prompt_version",
)  # fmt: skip
"""The keys of ``draft --json`` (DESIGN.md)."""


def draft(remote: Remote, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/drafts``, in the shape of ``draft --json``."""
    answer = remote.call("POST", "/v1/drafts", body)
    return {k: answer.get(k) for k in DRAFT_KEYS}


def check(remote: Remote, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/check``: ``{"ok", "findings"}``."""
    return dict(remote.call("POST", "/v1/check", body))


def search(remote: Remote, query: str, k: int) -> dict[str, Any]:
    """``GET /v1/search``: ``{"results": [...]}``."""
    q = urllib.parse.urlencode({"q": query, "k": k})
    return dict(remote.call("GET", f"/v1/search?{q}"))
