"""Reading one e-mail with the standard ``email`` package: who wrote, the thread it belongs to,
the new text (plain, or clean text from HTML; quoted history and the signature cut), the names
of its attachments, and whether a machine sent it (auto-replies, bounces, list mail).

Nothing here raises on a badly formed message: a header that cannot be read is treated as
missing, a body in an unknown charset is decoded leniently.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

_MSGID = re.compile(r"<[^<>\s]+>")
_QUOTE_HEADS = [
    re.compile(r"^\s*On .{4,200}wrote:\s*$", re.I),
    re.compile(r"^.{4,200}님이 작성(하였습니다|했습니다)?\s*:\s*$"),
    re.compile(r"^.{0,200}\d{4}[.년-].{0,200}(작성|wrote)\s*:\s*$"),
    re.compile(r"^\s*-{2,}\s*(Original Message|원본 메시지|Forwarded message|전달된 메시지)", re.I),
    re.compile(r"^\s*(From|보낸 사람|보낸사람)\s*:.*$", re.I),
    re.compile(r"^_{10,}\s*$"),
]
_SIGNATURE = re.compile(
    r"^\s*(--\s*|Sent from my .{1,40}|.{1,20}에서 보냄|Get Outlook for .{1,30})\s*$", re.I
)
_BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "ul", "ol", "hr"}
_DAEMONS = ("mailer-daemon", "postmaster", "noreply-dmarc", "mail-daemon")


@dataclass
class Mail:
    """What one e-mail says, ready to become an inbound message."""

    message_id: str
    sender: str
    """The address it came from (lower case), or ""."""
    name: str
    subject: str
    text: str
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    at: datetime | None = None
    automated: str | None = None
    """Why a machine sent it (an auto-reply, a bounce, list mail), else None."""
    reply_to: str | None = None
    """Where a reply goes when not to ``sender`` (the ``Reply-To`` header)."""


def parse(raw: bytes, *, fallback_id: str) -> Mail:
    """Read one message; ``fallback_id`` names it when it has no Message-ID."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    name, sender = _address(msg, "From")
    reply_name, reply_addr = _address(msg, "Reply-To")
    refs = _ids(_header(msg, "References"))
    parents = _ids(_header(msg, "In-Reply-To"))
    in_reply_to = parents[-1] if parents else None
    own = (_ids(_header(msg, "Message-ID")) or [f"<{fallback_id}>"])[0]
    body, attachments = _body(msg)
    text = clean(body)
    if attachments:
        text = (text + "\n\n" if text else "") + "\n".join(f"[첨부: {a}]" for a in attachments)
    return Mail(
        message_id=own,
        sender=sender,
        name=name or reply_name,
        subject=" ".join(_header(msg, "Subject").split())[:300],
        text=text,
        in_reply_to=in_reply_to,
        references=refs,
        attachments=attachments,
        at=_date(_header(msg, "Date")),
        automated=automated(msg, sender),
        reply_to=reply_addr if reply_addr and reply_addr != sender else None,
    )


def automated(msg: Message, sender: str) -> str | None:
    """Why a machine sent this message (RFC 3834 ``Auto-Submitted``, ``Precedence: bulk``,
    ``List-Id``, a delivery report, mailer-daemon), or None when a person did."""
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return f"automated (Auto-Submitted: {auto[:40]})"
    precedence = _header(msg, "Precedence").strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"automated (Precedence: {precedence})"
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return "mailing-list mail (List-Id)"
    if any(_header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")):
        return "automated (auto-reply header)"
    if msg.get_content_type() == "multipart/report" or sender.split("@")[0] in _DAEMONS:
        return "bounce (delivery report)"
    return None


def clean(text: str) -> str:
    """The new text of a message: quoted history (``>`` lines, "On … wrote:", "…님이 작성:",
    a forwarded header block) and the signature cut, blank runs squeezed."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if any(p.match(line) for p in _QUOTE_HEADS) and any(k.strip() for k in kept):
            break
        if _SIGNATURE.match(line) and any(k.strip() for k in kept):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    out = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", out)


def html_text(html: str) -> str:
    """Readable text from an HTML body (scripts, styles and quoted blocks dropped)."""
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - a broken HTML body still gives what was read
        pass
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        quoted = tag == "div" and any("quote" in (v or "") for k, v in attrs if k == "class")
        if tag in ("script", "style", "head", "blockquote") or quoted or self._hidden:
            self._hidden += tag not in ("br", "hr", "img", "meta", "link", "input")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            self._hidden -= tag not in ("br", "hr", "img", "meta", "link", "input")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _header(msg: Message, name: str) -> str:
    """A header's text, or "" when it is missing or cannot be read."""
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a malformed header is treated as missing
        return ""
    if value is None:
        return ""
    try:
        return _text(str(value))
    except Exception:  # noqa: BLE001
        return ""


def _text(value: str) -> str:
    """A header's text with raw 8-bit bytes (left as surrogates by the parser) decoded as
    UTF-8, else CP949 (EUC-KR), else replaced."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    for charset in ("utf-8", "cp949"):
        try:
            return raw.decode(charset)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def _address(msg: Message, name: str) -> tuple[str, str]:
    """(display name, lower-case address) of an address header, ("", "") when unreadable."""
    real, addr = "", ""
    try:
        found = getattr(msg.get(name), "addresses", None)
        if found:
            real, addr = str(found[0].display_name or ""), str(found[0].addr_spec or "")
    except Exception:  # noqa: BLE001 - fall back to the lenient parser below
        found = None
    if not _valid(addr):
        # Also a whole "name <addr>" sent as one encoded word, as some clients do.
        raw = _header(msg, name).strip().strip('"')
        pairs = getaddresses([raw]) if raw else []
        real, addr = pairs[0] if pairs else parseaddr(raw)
    real, addr = _text(real), addr.strip().lower()
    return " ".join(real.split()), addr if _valid(addr) else ""


def _valid(addr: str) -> bool:
    return "@" in addr and not any(ch.isspace() or ch in '<>,;"' for ch in addr)


def _ids(value: str) -> list[str]:
    return _MSGID.findall(value or "")


def _date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def _body(msg: Message) -> tuple[str, list[str]]:
    """The message's text (plain preferred, else HTML made text) and its attachments' names."""
    attachments: list[str] = []
    plain: str | None = None
    html: str | None = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = _filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        if filename or disposition == "attachment":
            attachments.append(filename or part.get_content_type())
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = _decode(part)
        elif ctype == "text/html" and html is None:
            html = _decode(part)
    if plain and plain.strip():
        return plain, attachments
    return html_text(html or ""), attachments


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 - a garbled filename header still names an attachment
        return "attachment"
    return " ".join(str(name).split())[:200] if name else None


def _decode(part: Message) -> str:
    """A text part's content in its declared charset (ISO-2022-KR, EUC-KR, UTF-8…), leniently."""
    if isinstance(part, EmailMessage):
        try:
            return str(part.get_content())
        except (LookupError, UnicodeError, ValueError, AssertionError):
            pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(payload or "")
    for charset in (part.get_content_charset() or "utf-8", "utf-8", "cp949"):
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")
