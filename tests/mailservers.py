"""Real mail servers on 127.0.0.1 for the tests: Debian's Dovecot as a throwaway IMAP server
(started from a temp dir) and aiosmtpd capturing what is sent, with answers a test can script
(a 451 first, a 550, a connection dropped after DATA)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
USER, PASSWORD = "support", "pw-3c9e"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dovecot_missing() -> str | None:
    """Why Dovecot cannot run here, or None."""
    if DOVECOT is None or not shutil.which("doveadm"):
        return "Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)"
    if os.geteuid() != 0:
        return "Dovecot's throwaway server needs root here (imap-login drops to dovenull)"
    return None


class Dovecot:
    """A Dovecot IMAP server with one user and an empty INBOX, in its own temp folder (outside
    pytest's, which Dovecot's auth process, running as its own user, could not enter)."""

    def __init__(self) -> None:
        import tempfile

        self.base = Path(tempfile.mkdtemp(prefix="ra-dovecot-"))
        self.port = free_port()
        self.url = f"imap://{USER}@127.0.0.1:{self.port}/INBOX"

    def __enter__(self) -> Dovecot:
        b = self.base
        for d in ("run", "state", "home", "mail"):
            (b / d).mkdir(parents=True, exist_ok=True)
        digest = subprocess.run(
            ["doveadm", "pw", "-s", "SHA512-CRYPT", "-p", PASSWORD],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        (b / "passwd").write_text(f"{USER}:{digest}\n")
        (b / "dovecot.conf").write_text(
            f"""
base_dir = {b}/run
state_dir = {b}/state
log_path = {b}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 8
mail_location = maildir:{b}/mail/%u
passdb {{
  driver = passwd-file
  args = {b}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={b}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        )
        subprocess.run(["chown", "-R", "mail:mail", str(b / "mail"), str(b / "home")], check=True)
        os.chmod(b, 0o755)
        subprocess.run(
            [DOVECOT or "dovecot", "-c", str(b / "dovecot.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    log = (b / "dovecot.log").read_text() if (b / "dovecot.log").exists() else ""
                    raise RuntimeError(f"Dovecot did not start: {log[-2000:]}") from None
                time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def _stop(self) -> None:
        pid_file = self.base / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                return
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    def append(self, *messages: bytes) -> None:
        """Put messages in the INBOX (IMAP APPEND), in order."""
        import imaplib

        imap = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            imap.login(USER, PASSWORD)
            for raw in messages:
                typ, data = imap.append("INBOX", None, None, raw)
                assert typ == "OK", data
        finally:
            imap.logout()


class Capture:
    """An aiosmtpd server on 127.0.0.1 keeping every message it accepts. ``script`` holds the
    answers to give to the next DATA commands ("451 …", "550 …", or "drop" to close the
    connection without answering); an empty script accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.script: list[str] = []
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            answer = self.script.pop(0) if self.script else "250 Message accepted"
        if answer == "drop":
            # The message reached us, then the connection breaks before the answer.
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
            server.transport.close()
            return "250 never seen"
        if answer.startswith("250"):
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return answer

    def __enter__(self) -> Capture:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
