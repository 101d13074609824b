"""What the agent workspace does, without any user interface: the browser pages only call this.

Loading the demo data, adding a pasted message, drafting for an inbox item, re-checking the
agent's edits, moving a draft to another channel, and the customer's context, each a plain
function over :class:`~assistant.pipeline.Deps`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.models import CheckResult, CustomerContext, Draft
from assistant.pipeline import Deps, DraftRequest
from assistant.review import Checker

if TYPE_CHECKING:
    from assistant.channels.delivery import SendResult

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=^])")
_JOINER = "\u2060"
# Where a joiner goes after escaping: "http|\:", "https|\:", "ftp|\:", "www|\." and "name|@".
_AUTOLINK = re.compile(
    r"(?i)(?<=http)(?=\\:)|(?<=https)(?=\\:)|(?<=ftp)(?=\\:)|(?<=www)(?=\\\.)|(?<=\w)(?=@)"
)


def needs_demo(deps: Deps) -> bool:
    """True when the data dir has neither a help-center index nor any customer."""
    from assistant import history

    return deps.kb.count() == 0 and not history.list_customers(deps.store)


def load_demo(deps: Deps) -> dict[str, int]:
    """What ``reply-assistant init`` does: ingest the demo help center and demo customers."""
    from assistant import history
    from assistant.knowledge import default_knowledge_dir

    deps.settings.data_dir.mkdir(parents=True, exist_ok=True)
    deps.kb.ingest([default_knowledge_dir()])
    customers = history.load_demo_customers(deps.store)
    return {"docs": deps.kb.count(), "customers": customers}


def add_message(deps: Deps, customer_id: str | None, text: str, channel: str) -> str:
    """Put a pasted message in the inbox; the inbox key of the new item.

    With a customer it opens a new conversation; without one it is drafted right away (an
    anonymous message lives only as its draft).
    """
    from assistant import history
    from assistant.errors import InputError

    if not text.strip():
        raise InputError("the customer message is empty", where="message")
    if customer_id:
        conv = history.record_message(deps.store, customer_id, None, "customer", text, channel)
        return f"conv:{conv}"
    draft = draft_for(deps, message=text, channel=channel)
    return f"draft:{draft.id}"


def reply_channel(conversation_channel: str) -> str:
    """The reply channel for a conversation's channel (messengers such as KakaoTalk: chat)."""
    from assistant.config import CHANNELS

    return conversation_channel if conversation_channel in CHANNELS else "chat"


def draft_for(
    deps: Deps,
    *,
    message: str,
    channel: str,
    customer_id: str | None = None,
    conversation_id: str | None = None,
    style: str | None = None,
    pinned: list[str] | None = None,
    dropped: list[str] | None = None,
    author: str | None = None,
    on_token: Callable[[str], None] | None = None,
    on_restart: Callable[[], None] | None = None,
) -> Draft:
    """Draft (or redraft) a reply through the pipeline; ``on_restart`` clears streamed text."""
    from assistant.pipeline import draft_reply

    req = DraftRequest(
        message=message,
        channel=channel,
        customer_id=customer_id,
        conversation_id=conversation_id,
        style=style,
        pinned=list(pinned or []),
        dropped=list(dropped or []),
        author=author,
        via="workspace",
    )
    return draft_reply(deps, req, on_token=on_token, on_restart=on_restart)


def checker(deps: Deps, ui_lang: str = "ko") -> Checker:
    """The review checker with this workspace's known help-center URLs, in the UI language."""
    from assistant import review

    return review.make_checker(deps.store, known_urls=deps.kb.known_urls(), ui_lang=ui_lang)


def recheck(deps: Deps, draft: dict[str, Any], text: str, ui_lang: str) -> CheckResult:
    """Playbook findings on the agent's current text for this draft, in the UI language."""
    return checker(deps, ui_lang)(text, draft)


def send_after_approval(deps: Deps, decision_id: int) -> SendResult | None:
    """Send an approved reply through its channel now (a helpdesk, the mailbox); None for a
    reply that is copied or exported by hand. A failure keeps the reply approved."""
    from assistant.channels.delivery import send_now

    return send_now(deps.store, deps.settings, decision_id)


def mail_header(deps: Deps, conversation_id: str | None) -> dict[str, str] | None:
    """For a conversation that came in by mail: who the reply goes to and its subject
    (``{"to", "subject"}``); None for other conversations."""
    from sqlalchemy import select

    from assistant import store as tables

    if not conversation_id:
        return None
    cv = tables.conversations
    with deps.store.engine.connect() as conn:
        reply_to = conn.execute(select(cv.c.reply_to).where(cv.c.id == conversation_id)).scalar()
    return destination_header(reply_to)


def destination_header(destination: dict[str, Any] | None) -> dict[str, str] | None:
    """``{"to", "subject"}`` of a mail reply's destination, None for other channels."""
    from assistant.channels.mail import SOURCE, reply_subject

    if not destination or destination.get("source") != SOURCE:
        return None
    name, address = str(destination.get("name") or "").strip(), str(destination.get("to") or "")
    to = f"{name} <{address}>" if name else address
    return {"to": to, "subject": reply_subject(str(destination.get("subject") or ""))}


def set_channel(deps: Deps, draft_id: int, version: int, channel: str) -> int:
    """Move a draft to another channel (its limit and checks change); the new version."""
    deps.store.update_draft(draft_id, expected_version=version, channel=channel)
    draft = deps.store.get_draft(draft_id)
    assert draft is not None
    return int(draft["version"])


def context(deps: Deps, customer_id: str, message: str) -> CustomerContext | None:
    """The customer's profile, history, promises and sentiment trend for the panel."""
    from assistant import history, triage

    if history.get_customer(deps.store, customer_id) is None:
        return None
    return history.context_for(
        deps.store, customer_id, message, now=deps.clock(), sentiment_fn=triage.sentiment
    )


def escape_markdown(text: str) -> str:
    """Customer text made inert for Markdown: no links, images, formatting or colour
    directives; line breaks kept. (HTML is never enabled where it is shown.)

    Escaping is not enough for bare addresses: GitHub-flavoured Markdown turns
    ``https://…``, ``www.…`` and ``name@host`` into links by itself. An invisible word joiner
    (U+2060) inside each keeps a phishing link in a customer's message from becoming one
    click away in the agent's browser; the text still reads the same."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    escaped = _AUTOLINK.sub(_JOINER, escaped)
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")
