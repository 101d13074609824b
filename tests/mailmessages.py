"""Mail as customers' clients and machines send it, in Korean and English, as raw bytes."""

from __future__ import annotations

from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

SUPPORT = "Support <support@example.com>"


def _raw(msg: EmailMessage | MIMEMultipart | MIMEText) -> bytes:
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def ko_utf8() -> bytes:
    """Korean, UTF-8, with a signature."""
    m = EmailMessage()
    m["From"] = "김민지 <minji.kim@example.com>"
    m["To"] = SUPPORT
    m["Subject"] = "결제 오류 문의"
    m["Message-ID"] = "<ko-1@mail.example.com>"
    m["Date"] = "Tue, 01 Dec 2026 15:00:00 +0900"
    m.set_content(
        "앱에서 결제하면 화면이 멈춰요. 어떻게 해야 하나요?\n\n-- \n김민지 드림\n010-1234-5678\n"
    )
    return _raw(m)


def ko_reply() -> bytes:
    """Minji answers in the same thread (Gmail's Korean quote header)."""
    m = EmailMessage()
    m["From"] = "김민지 <MinJi.Kim@Example.com>"
    m["To"] = SUPPORT
    m["Subject"] = "Re: 결제 오류 문의"
    m["Message-ID"] = "<ko-3@mail.example.com>"
    m["In-Reply-To"] = "<reply-from-support@example.com>"
    m["References"] = "<ko-1@mail.example.com> <reply-from-support@example.com>"
    m["Date"] = "Tue, 01 Dec 2026 17:00:00 +0900"
    m.set_content(
        "영수증도 다시 받을 수 있을까요?\n\n"
        "2026년 12월 1일 (화) 오후 4:00, Support <support@example.com>님이 작성:\n"
        "> 안녕하세요, 고객님. 결제 오류를 확인했습니다.\n"
    )
    return _raw(m)


def ko_iso2022() -> bytes:
    """Korean in ISO-2022-KR, as older Korean clients send it (header and body)."""
    body = "환불은 언제 되나요? 지난주에 해지했어요."
    m = MIMEText(body, "plain", "iso-2022-kr")
    m["From"] = Header("박서준", "iso-2022-kr").encode() + " <seojun@example.kr>"
    m["To"] = SUPPORT
    m["Subject"] = Header("환불 문의", "iso-2022-kr").encode()
    m["Message-ID"] = "<iso-1@example.kr>"
    return _raw(m)


def en_quoted_printable() -> bytes:
    """English, quoted-printable, with the earlier mail quoted below."""
    text = (
        "Hello, I was charged twice this month for the Plus plan and I would like the second "
        "charge refunded, please.\n\n"
        "On Mon, Nov 30, 2026 at 9:00 AM Support <support@example.com> wrote:\n"
        "> Thanks for writing to us.\n"
    )
    m = MIMEText(text, "plain", "utf-8")
    del m["Content-Transfer-Encoding"]
    m["Content-Transfer-Encoding"] = "quoted-printable"
    import quopri

    m.set_payload(quopri.encodestring(text.encode()).decode())
    m["From"] = "Dana Park <dana@example.com>"
    m["To"] = SUPPORT
    m["Subject"] = "Charged twice"
    m["Message-ID"] = "<en-1@example.com>"
    return _raw(m)


def html_only() -> bytes:
    """HTML without a text part; a script, a style and a quoted block that must not show."""
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>비밀번호를 <b>재설정</b>할 수 없어요.</p><p>메일이 오지 않아요&nbsp;&amp; 스팸함도 "
        "봤어요.</p><script>alert('x')</script>"
        "<blockquote>이전 메일: 안녕하세요 고객님</blockquote></body></html>"
    )
    m = MIMEText(html, "html", "utf-8")
    m["From"] = "이서연 <seoyeon@example.com>"
    m["To"] = SUPPORT
    m["Subject"] = "비밀번호 재설정"
    m["Message-ID"] = "<html-1@example.com>"
    return _raw(m)


def oversized_attachment(size: int = 3 * 1024 * 1024) -> bytes:
    """A short text and a recording bigger than what is ever read of a message."""
    m = MIMEMultipart()
    m["From"] = "Chris Kim <chris@example.com>"
    m["To"] = SUPPORT
    m["Subject"] = "App crashes on upload"
    m["Message-ID"] = "<big-1@example.com>"
    m.attach(MIMEText("The app crashes when I upload a video. Recording attached.", "plain"))
    part = MIMEApplication(b"\x00\x01" * (size // 2), "octet-stream")
    part.add_header("Content-Disposition", "attachment", filename="screen-recording.mp4")
    m.attach(part)
    return _raw(m)


def malformed_header() -> bytes:
    """Raw 8-bit bytes in headers, a broken encoded word, a bad date, no Message-ID."""
    return (
        b"From: \xed\x99\x8d\xea\xb8\xb8\xeb\x8f\x99 <hong@example.com>\r\n"
        b"To: support@example.com\r\n"
        b"Subject: =?utf-8?B?!!notbase64?= \xb0\xe1\xc1\xa6 \xeb\xac\xb8\xec\x9d\x98\r\n"
        b"Date: yesterday afternoon\r\n"
        b'Content-Type: text/plain; charset="x-unknown-charset"\r\n'
        b"\r\n" + "쿠폰이 적용되지 않아요. 확인 부탁드립니다.\r\n".encode()
    )


def auto_reply() -> bytes:
    m = EmailMessage()
    m["From"] = "Jordan Lee <jordan@example.com>"
    m["To"] = SUPPORT
    m["Subject"] = "Out of office: Re: your ticket"
    m["Message-ID"] = "<ooo-1@example.com>"
    m["Auto-Submitted"] = "auto-replied"
    m.set_content("I am out of the office until Monday.")
    return _raw(m)


def bounce() -> bytes:
    return (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        b"To: support@example.com\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-1@mx.example.net>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        b"\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
        b"Your message could not be delivered.\r\n"
        b"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.net\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--b1--\r\n"
    )


def list_mail() -> bytes:
    m = EmailMessage()
    m["From"] = "Newsletter <news@example.org>"
    m["To"] = SUPPORT
    m["Subject"] = "12월 소식"
    m["Message-ID"] = "<news-1@example.org>"
    m["List-Id"] = "<news.example.org>"
    m["Precedence"] = "bulk"
    m.set_content("이번 달 소식입니다.")
    return _raw(m)


def all_messages() -> list[bytes]:
    """The mailbox the tests read, in arrival order (the reply comes after its thread began)."""
    return [
        ko_utf8(), ko_iso2022(), auto_reply(), en_quoted_printable(), malformed_header(),
        bounce(), html_only(), ko_reply(), list_mail(), oversized_attachment(),
    ]  # fmt: skip


def follow_up() -> bytes:
    """Dana writes again; her client sets In-Reply-To only."""
    m = EmailMessage()
    m["From"] = "Dana Park <dana@example.com>"
    m["To"] = SUPPORT
    m["Subject"] = "Re: Charged twice"
    m["Message-ID"] = "<en-2@example.com>"
    m["In-Reply-To"] = "<en-1@example.com>"
    m.set_content("Any update on the refund?\n\nSent from my iPhone\n")
    return _raw(m)


def new_customer() -> bytes:
    """Someone who never wrote before."""
    m = EmailMessage()
    m["From"] = "Tom Whitaker <tom@example.com>"
    m["To"] = SUPPORT
    m["Subject"] = "Export to PDF"
    m["Message-ID"] = "<tom-1@example.com>"
    m.set_content("How do I export my notes to PDF?")
    return _raw(m)


def support_copy() -> bytes:
    """A copy of our own reply that landed in the inbox (Bcc, a rule)."""
    m = EmailMessage()
    m["From"] = SUPPORT
    m["To"] = "Dana Park <dana@example.com>"
    m["Subject"] = "Re: Charged twice"
    m["Message-ID"] = "<ours-1@example.com>"
    m.set_content("We refunded the second charge.")
    return _raw(m)
