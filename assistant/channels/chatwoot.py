"""Chatwoot: its webhook in, private notes and outgoing messages back through its REST API.

Wire format, as Chatwoot's own code sends and accepts it:

- A webhook delivery is ``Message#webhook_data`` plus ``"event": "message_created"``: ``id``,
  ``content``, ``message_type`` (``"incoming"``/``"outgoing"``/``"activity"``), ``private``,
  ``sender`` (for a customer: ``{"id", "name", "email", "phone_number", "type": "contact"}``),
  ``conversation`` (``{"id": <display id>, "channel": "Channel::WebWidget", "meta": {"sender"}}``),
  ``inbox`` and ``account`` (``{"id", "name"}``). It is signed: ``X-Chatwoot-Signature:
  sha256=<hex HMAC-SHA256(secret, "{X-Chatwoot-Timestamp}.{raw body}")>``, with
  ``X-Chatwoot-Timestamp`` (unix seconds) and ``X-Chatwoot-Delivery``.
- ``POST /api/v1/accounts/{account}/conversations/{id}/messages`` with ``api_access_token`` and
  ``{"content", "message_type": "outgoing", "private": true|false}`` makes a note or a reply and
  answers the message (``{"id", ...}``); ``GET`` on the same path lists the conversation's
  messages as ``{"meta", "payload": [...]}`` with integer ``message_type`` (1: outgoing) and
  ``created_at`` in unix seconds.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from assistant.channels import CannotTell, Contact, Inbound, SendError

SOURCE = "chatwoot"
_OUTGOING = ("outgoing", 1)
_INCOMING = ("incoming", 0)


class BadSignature(Exception):
    """A webhook delivery that Chatwoot's secret did not sign, or signed too long ago."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Chatwoot-Signature`` value for a body sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str,
    *,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    now: float,
    max_age: float,
) -> None:
    """Raise :class:`BadSignature` unless the delivery is signed with ``secret`` and fresh."""
    if not signature or not timestamp:
        raise BadSignature("send X-Chatwoot-Signature and X-Chatwoot-Timestamp")
    timestamp = timestamp.strip()
    try:
        sent = int(timestamp)
    except ValueError:
        raise BadSignature("X-Chatwoot-Timestamp is not unix seconds") from None
    if abs(now - sent) > max_age:
        raise BadSignature(f"X-Chatwoot-Timestamp is more than {int(max_age)} s away from now")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        raise BadSignature("X-Chatwoot-Signature does not match the body")


@dataclass
class Ignored:
    """A delivery that gets no draft, and why."""

    reason: str


def parse_event(payload: Any) -> Inbound | Ignored:
    """The customer message a ``message_created`` delivery carries, or why it is ignored."""
    if not isinstance(payload, dict):
        return Ignored("not a JSON object")
    if payload.get("event") != "message_created":
        return Ignored(f"event {payload.get('event')!r}")
    if payload.get("message_type") not in _INCOMING:
        return Ignored(f"{payload.get('message_type')} message")
    if payload.get("private"):
        return Ignored("private note")
    conversation = payload.get("conversation") or {}
    account = (payload.get("account") or {}).get("id") or conversation.get("account_id")
    sender = payload.get("sender") or (conversation.get("meta") or {}).get("sender") or {}
    if sender.get("type") not in (None, "contact"):
        return Ignored(f"sent by a {sender.get('type')}")
    text = str(payload.get("content") or "").strip()
    if payload.get("id") is None or conversation.get("id") is None or account is None:
        return Ignored("no message, conversation or account id")
    if not text:
        return Ignored("no text (attachments only)")
    thread = f"{account}:{conversation['id']}"
    return Inbound(
        source=SOURCE,
        key=f"{account}:message:{payload['id']}",
        contact=Contact(
            external_id=f"{account}:{sender['id']}" if sender.get("id") is not None else None,
            name=str(sender.get("name") or ""),
            email=(str(sender["email"]).strip() or None) if sender.get("email") else None,
            phone=str(sender.get("phone_number") or "") or None,
        ),
        thread=thread,
        reply_to={
            "source": SOURCE,
            "account_id": account,
            "conversation_id": conversation["id"],
            "inbox_id": (payload.get("inbox") or {}).get("id") or conversation.get("inbox_id"),
        },
        text=text,
        channel="email" if conversation.get("channel") == "Channel::Email" else "chat",
    )


class ChatwootAdapter:
    """Notes and replies through Chatwoot's REST API (``api_access_token``)."""

    source = SOURCE

    def __init__(self, base_url: str, token: str, *, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            timeout=timeout,
            headers={"api_access_token": token, "Accept": "application/json"},
            follow_redirects=False,
        )

    def _url(self, destination: dict[str, Any]) -> str:
        account, conversation = destination.get("account_id"), destination.get("conversation_id")
        if account is None or conversation is None:
            raise SendError("no Chatwoot account or conversation to send to", retry=False)
        return f"{self.base_url}/api/v1/accounts/{account}/conversations/{conversation}/messages"

    def _post(self, destination: dict[str, Any], text: str, *, private: bool) -> str:
        url = self._url(destination)
        body = {"content": text, "message_type": "outgoing", "private": private}
        try:
            answer = self._client.post(url, json=body)
        except httpx.ConnectError as exc:
            raise SendError(f"Chatwoot is unreachable: {exc}", retry=True) from None
        except httpx.HTTPError as exc:
            # The request may have reached Chatwoot: leave the send to the crash recovery,
            # which looks the reply up before sending again.
            raise SendError(f"Chatwoot did not answer: {exc}", retry=True, maybe_sent=True) from exc
        if answer.status_code >= 300:
            retry = answer.status_code == 429 or answer.status_code >= 500
            raise SendError(
                f"Chatwoot answered {answer.status_code}: {answer.text[:200]}", retry=retry
            )
        try:
            return str(answer.json()["id"])
        except (ValueError, KeyError, TypeError):
            return ""

    def post_note(self, destination: dict[str, Any], text: str) -> str | None:
        """A private note in the conversation (agents see it; the customer does not)."""
        return self._post(destination, text, private=True)

    def send_reply(self, destination: dict[str, Any], text: str) -> str:
        """An outgoing message to the customer."""
        return self._post(destination, text, private=False)

    def find_sent(self, destination: dict[str, Any], text: str, since: datetime) -> str | None:
        """The id of an outgoing, non-private message with exactly this text made after
        ``since`` in the conversation, or None."""
        try:
            answer = self._client.get(self._url(destination))
            answer.raise_for_status()
            messages = answer.json().get("payload") or []
        except (httpx.HTTPError, ValueError, AttributeError, SendError) as exc:
            raise CannotTell(f"Chatwoot's messages could not be read: {exc}") from None
        wanted, after = text.strip(), since.timestamp()
        for m in messages:
            if (
                m.get("message_type") in _OUTGOING
                and not m.get("private")
                and str(m.get("content") or "").strip() == wanted
                and float(m.get("created_at") or 0) >= after
            ):
                return str(m.get("id"))
        return None
