"""The support mailbox: new mail read over IMAP becomes conversations and drafts; approved
replies go out over SMTP, threaded with ``In-Reply-To`` and ``References``.

Reading (:func:`sync`): the folder is opened read-only (nothing is marked read or moved) and
every message after the last one recorded is fetched in UID order. Each is recorded once, keyed
by the mailbox, its UIDVALIDITY and its UID (``inbound``), then the mailbox's cursor moves past
it (``mail_cursors``): a sync killed anywhere is taken up by the next one without a message
imported twice or skipped. A new UIDVALIDITY (the folder was rebuilt) starts over, and the
Message-ID keeps what was already imported from coming in again.

Sending (:class:`MailAdapter`): one SMTP transaction per reply. A 4xx answer is tried again by
the outbox loop, a 5xx waits for a person; a connection dropped after the message was handed
over (after DATA) may have delivered it, and SMTP cannot be asked afterwards, so such a send
waits as ``uncertain`` for a person instead of going out twice.
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from assistant import store as tables
from assistant.channels import (
    CannotTell,
    Contact,
    Inbound,
    SendError,
    lookup,
    receive,
    remember,
    seen,
    skip,
)
from assistant.channels.mailparse import Mail, parse
from assistant.errors import InputError

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from assistant.config import Settings
    from assistant.store import Store

SOURCE = "mail"
MAX_FETCH = 2 * 1024 * 1024
"""Bytes of a message that are read: the text and the attachments' names come before their
content, so an oversized attachment is listed by name and never downloaded whole."""
BATCH = 25
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")
_RE = ("re:", "re :", "회신:", "답장:", "aw:", "sv:")


@dataclass
class Endpoint:
    """A server named by a URL setting."""

    scheme: str
    host: str
    port: int
    user: str
    path: str

    @property
    def local(self) -> bool:
        """True for this machine (where plain connections are allowed)."""
        return self.host in LOCAL_HOSTS


def endpoint(url: str, setting: str, ports: dict[str, int]) -> Endpoint:
    """Parse a server URL; InputError naming ``setting`` when it is not one of ``ports``'
    schemes, has no host, or is plain to another machine than this one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InputError(f"not a server URL: {exc}", where=setting) from None
    scheme = parts.scheme.lower()
    if scheme not in ports or not parts.hostname:
        raise InputError(f"use {' or '.join(f'{s}://host' for s in ports)}", where=setting)
    found = Endpoint(
        scheme, parts.hostname, port or ports[scheme], unquote(parts.username or ""),
        unquote(parts.path.lstrip("/")),
    )  # fmt: skip
    if scheme in ("imap",) and not found.local:
        raise InputError("plain imap:// is only for 127.0.0.1: use imaps://", where=setting)
    return found


# -- reading the mailbox --------------------------------------------------------------------


@dataclass
class SyncResult:
    """What one :func:`sync` did."""

    mailbox: str
    imported: list[str] = field(default_factory=list)
    """The conversations new messages went to (one entry per message)."""
    skipped: list[str] = field(default_factory=list)
    """Why each message that gets no draft was skipped."""
    errors: list[str] = field(default_factory=list)
    """One line per message that could not be read (recorded as skipped)."""
    last_uid: int = 0


class Mailbox:
    """An open IMAP session on the support folder (read-only)."""

    def __init__(self, settings: Settings, *, timeout: float = 30.0) -> None:
        from imapclient import IMAPClient

        if not settings.imap_url:
            raise InputError("set ASSISTANT_IMAP_URL (imaps://user@host:993/INBOX)", where="mail")
        ep = endpoint(settings.imap_url, "ASSISTANT_IMAP_URL", {"imaps": 993, "imap": 143})
        if not ep.user or settings.imap_password is None:
            raise InputError(
                "name the user in the URL and set ASSISTANT_IMAP_PASSWORD",
                where="ASSISTANT_IMAP_URL",
            )
        self.folder = ep.path or "INBOX"
        self.key = f"{ep.user}@{ep.host}:{ep.port}/{self.folder}"
        try:
            self.client: IMAPClient = IMAPClient(
                ep.host, port=ep.port, ssl=ep.scheme == "imaps", timeout=timeout
            )
            self.client.login(ep.user, settings.imap_password.get_secret_value())
        except Exception as exc:  # noqa: BLE001 - any failure to connect is one clear line
            raise InputError(
                f"cannot open the mailbox: {exc}", where="ASSISTANT_IMAP_URL"
            ) from None

    def select(self) -> int:
        """Open the folder read-only (again); its UIDVALIDITY."""
        info = self.client.select_folder(self.folder, readonly=True)
        return int(info[b"UIDVALIDITY"])

    def new_uids(self, after: int) -> list[int]:
        """UIDs above ``after``, oldest first."""
        found = self.client.search(["UID", f"{after + 1}:*"])
        return sorted(int(u) for u in found if int(u) > after)

    def fetch(self, uids: list[int]) -> dict[int, bytes]:
        """The first :data:`MAX_FETCH` bytes of each message (not marked read)."""
        answer = self.client.fetch(uids, [f"BODY.PEEK[]<0.{MAX_FETCH}>"])
        out: dict[int, bytes] = {}
        for uid, data in answer.items():
            body = next((v for k, v in data.items() if k.startswith(b"BODY[")), None)
            if isinstance(body, bytes):
                out[int(uid)] = body
        return out

    def wait(self, seconds: float) -> None:
        """Wait for new mail (IMAP IDLE where the server has it) up to ``seconds``."""
        import time

        if b"IDLE" not in self.client.capabilities():
            time.sleep(seconds)
            return
        self.client.idle()
        try:
            self.client.idle_check(timeout=seconds)
        finally:
            self.client.idle_done()

    def close(self) -> None:
        """Log out (quietly)."""
        try:
            self.client.logout()
        except Exception:  # noqa: BLE001 - the session is over either way
            pass


def sync(store: Store, settings: Settings, box: Mailbox, *, limit: int | None = None) -> SyncResult:
    """Record every message that came in since the last sync, each once (see the module)."""
    uidvalidity = box.select()
    last = _cursor(store, box.key, uidvalidity)
    result = SyncResult(box.key, last_uid=last)
    uids = box.new_uids(last)[: limit if limit is not None else None]
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        raw = box.fetch(batch)
        for uid in batch:
            key = f"{box.key}/{uidvalidity}/{uid}"
            record(store, settings, key, raw.get(uid), result)
            _advance(store, box.key, uidvalidity, uid)
            result.last_uid = uid
    return result


def record(
    store: Store, settings: Settings, key: str, raw: bytes | None, result: SyncResult
) -> None:
    """Record one fetched message: imported, skipped (automated, ours, seen), or unreadable."""
    if seen(store, SOURCE, key):
        return
    if raw is None:
        result.errors.append(f"{key}: the server sent no content")
        skip(store, SOURCE, key, "unreadable: the server sent no content")
        return
    try:
        mail = parse(raw, fallback_id=key)
    except Exception as exc:  # noqa: BLE001 - one unreadable message must not stop the sync
        result.errors.append(f"{key}: cannot be read: {exc}")
        skip(store, SOURCE, key, f"unreadable: {exc}"[:300])
        return
    why = _why_skip(store, settings, mail)
    if why is not None:
        if skip(store, SOURCE, key, why):
            result.skipped.append(why)
        return
    _map_our_replies(store, mail)
    inbound = inbound_for(mail, key)
    try:
        got = receive(store, inbound)
    except InputError:
        # Someone else answered in a customer's thread (a colleague on Cc): their own
        # conversation, not the customer's.
        inbound.thread, inbound.extra_refs = mail.message_id, []
        got = receive(store, inbound)
    if got is not None:
        with store.transaction() as conn:
            remember(store, conn, SOURCE, "message", mail.message_id, got.conversation_id)
        result.imported.append(got.conversation_id)


def _map_our_replies(store: Store, mail: Mail) -> None:
    """A customer answering one of our replies names its Message-ID (perhaps only in
    In-Reply-To): map those ids to the conversation the reply was sent in."""
    refs = [*mail.references, *([mail.in_reply_to] if mail.in_reply_to else [])]
    if not refs:
        return
    o, d = tables.outbox, tables.drafts
    with store.transaction() as conn:
        rows = conn.execute(
            select(o.c.external_id, d.c.conversation_id)
            .join(d, d.c.id == o.c.draft_id)
            .where(o.c.external_id.in_(refs[-50:]), d.c.conversation_id.is_not(None))
        ).all()
        for external_id, conversation_id in rows:
            remember(store, conn, SOURCE, "conversation", external_id, conversation_id)


def _why_skip(store: Store, settings: Settings, mail: Mail) -> str | None:
    if mail.automated:
        return mail.automated
    ours = parseaddr(settings.support_address or "")[1].lower()
    if ours and mail.sender == ours:
        return "sent from the support address"
    if not mail.sender:
        return "no sender address to reply to"
    if not mail.text.strip() and not mail.subject.strip():
        return "no text"
    with store.engine.connect() as conn:
        if lookup(conn, SOURCE, "message", mail.message_id) is not None:
            return f"already imported ({mail.message_id[:100]})"
    return None


def inbound_for(mail: Mail, key: str) -> Inbound:
    """The inbound message a mail makes: threaded by its References and In-Reply-To, replies
    going to its sender with the thread's ids."""
    refs = list(
        dict.fromkeys([*mail.references, *([mail.in_reply_to] if mail.in_reply_to else [])])
    )
    thread = refs[0] if refs else mail.message_id
    chain = list(dict.fromkeys([*refs, mail.message_id]))
    return Inbound(
        source=SOURCE,
        key=key,
        contact=Contact(name=mail.name, email=mail.sender or None),
        thread=thread,
        extra_refs=[r for r in chain if r != thread],
        reply_to={
            "source": SOURCE,
            "to": mail.reply_to or mail.sender,
            "name": mail.name,
            "subject": mail.subject,
            "in_reply_to": mail.message_id,
            "references": chain[-20:],
        },
        text=mail.text.strip() or mail.subject,
        channel="email",
        subject=mail.subject or None,
        at=mail.at,
    )


def _cursor(store: Store, mailbox: str, uidvalidity: int) -> int:
    """The last UID recorded for this mailbox and UIDVALIDITY (0 to start over)."""
    c = tables.mail_cursors
    with store.engine.connect() as conn:
        row = conn.execute(select(c).where(c.c.mailbox == mailbox)).first()
    if row is None or int(row.uidvalidity) != uidvalidity:
        return 0
    return int(row.last_uid)


def _advance(store: Store, mailbox: str, uidvalidity: int, uid: int) -> None:
    """Move the mailbox's cursor to ``uid`` (never back: another sync may be further on)."""
    c, now = tables.mail_cursors, store.now()
    behind = (c.c.uidvalidity != uidvalidity) | (c.c.last_uid < uid)
    values = dict(uidvalidity=uidvalidity, last_uid=uid, updated_at=now)
    with store.transaction() as conn:
        done = conn.execute(update(c).where(c.c.mailbox == mailbox, behind).values(**values))
        if done.rowcount or conn.execute(select(c.c.mailbox).where(c.c.mailbox == mailbox)).first():
            return
    try:
        with store.transaction() as conn:
            conn.execute(insert(c).values(mailbox=mailbox, **values))
    except IntegrityError:  # another sync made the row first
        with store.transaction() as conn:
            conn.execute(update(c).where(c.c.mailbox == mailbox, behind).values(**values))


# -- sending ---------------------------------------------------------------------------------


class MailAdapter:
    """Approved replies out over SMTP (``ASSISTANT_SMTP_URL``), from the support address."""

    source = SOURCE

    def __init__(self, settings: Settings, *, timeout: float = 30.0) -> None:
        self.url = settings.smtp_url or ""
        self.password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
        self.support = settings.support_address or ""
        self.timeout = timeout

    def post_note(self, destination: dict[str, Any], text: str) -> str | None:
        """A mailbox has no private notes: the draft waits in the workspace."""
        return None

    def compose(self, destination: dict[str, Any], text: str) -> EmailMessage:
        """The reply as it goes out: From the support address, ``Re:`` subject, threaded."""
        sender = parseaddr(self.support)[1] or self._endpoint().user
        to = _one_line(destination.get("to"))
        if "@" not in sender or "@" not in to or " " in to:
            raise SendError(
                "no sender (ASSISTANT_SUPPORT_ADDRESS) or recipient address", retry=False
            )
        msg = EmailMessage()
        msg["From"] = self.support if parseaddr(self.support)[1] else sender
        msg["To"] = formataddr((_one_line(destination.get("name")), to))
        msg["Subject"] = reply_subject(_one_line(destination.get("subject")))
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1])
        refs = [_one_line(r) for r in destination.get("references") or [] if r]
        if destination.get("in_reply_to"):
            msg["In-Reply-To"] = _one_line(destination["in_reply_to"])
        if refs:
            msg["References"] = " ".join(refs)
        msg["Auto-Submitted"] = "no"
        msg.set_content(text, cte="quoted-printable" if text.isascii() else "base64")
        return msg

    def send_reply(self, destination: dict[str, Any], text: str) -> str:
        """Send one reply in one SMTP transaction; its Message-ID."""
        try:
            msg = self.compose(destination, text)
        except (ValueError, TypeError, IndexError) as exc:  # a header the customer's mail garbled
            raise SendError(f"the reply cannot be written as mail: {exc}", retry=False) from None
        to = parseaddr(str(msg["To"]))[1]
        sender = parseaddr(str(msg["From"]))[1]
        smtp = self._connect()
        try:
            try:
                _check(*smtp.mail(sender), "MAIL FROM")
                _check(*smtp.rcpt(to), "RCPT TO")
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                raise SendError(
                    f"the SMTP server dropped the connection: {exc}", retry=True
                ) from None
            try:
                # smtplib.data() raises only when DATA itself is refused: the answer to the
                # message is its return value.
                _check(*smtp.data(msg.as_bytes(policy=email.policy.SMTP)), "DATA")
            except smtplib.SMTPResponseException as exc:
                raise _refused(exc.smtp_code, exc.smtp_error, "DATA") from None
            except (OSError, smtplib.SMTPException) as exc:
                raise SendError(
                    f"the SMTP connection broke after the message was handed over: {exc}",
                    retry=True, maybe_sent=True,
                ) from None  # fmt: skip
        finally:
            _close(smtp)
        return str(msg["Message-ID"])

    def find_sent(self, destination: dict[str, Any], text: str, since: datetime) -> str | None:
        """SMTP cannot be asked whether a cut-off message arrived: a person checks."""
        raise CannotTell(
            "SMTP cannot be asked whether the message arrived; look in the Sent folder or the "
            "customer's thread, then mark it sent or retry it"
        )

    def _endpoint(self) -> Endpoint:
        try:
            return endpoint(self.url, "ASSISTANT_SMTP_URL", {"smtp": 587, "smtps": 465})
        except InputError as exc:
            raise SendError(str(exc), retry=False) from None

    def _connect(self) -> smtplib.SMTP:
        ep, context = self._endpoint(), ssl.create_default_context()
        try:
            if ep.scheme == "smtps":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    ep.host, ep.port, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(ep.host, ep.port, timeout=self.timeout)
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif not ep.local:
                    _close(smtp)
                    raise SendError(
                        "the SMTP server offers no STARTTLS (plain SMTP only to 127.0.0.1)",
                        retry=False,
                    )
            if ep.user:
                smtp.login(ep.user, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(
                f"the SMTP server refused the login: {exc.smtp_code}", retry=False
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise SendError(
                f"the SMTP server cannot do what is needed: {exc}", retry=False
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise _refused(exc.smtp_code, exc.smtp_error, "connect") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"the SMTP server is unreachable: {exc}", retry=True) from None
        return smtp


def reply_subject(subject: str) -> str:
    """``Re: <subject>`` (kept as it is when it already is a reply)."""
    subject = subject.strip()
    if subject.lower().startswith(_RE):
        return subject
    return f"Re: {subject}" if subject else "Re:"


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split())


def _check(code: int, reply: bytes, step: str) -> None:
    if code >= 400:
        raise _refused(code, reply, step)


def _refused(code: int, reply: bytes | str, step: str) -> SendError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return SendError(f"the SMTP server answered {code} at {step}: {text[:200]}", retry=code < 500)


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except Exception:  # noqa: BLE001 - the transaction is over either way
        smtp.close()
