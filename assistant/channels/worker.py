"""The background loop of ``reply-assistant serve``: drafts what the channels delivered, posts
the notes, sends approved replies.

A webhook answers as soon as the message is recorded and wakes the loop; the loop also runs
every few seconds, so a message recorded before a restart, a note Chatwoot refused and a send
that must be retried are all taken up again without anyone asking.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from assistant.channels import Adapter, draft_inbound, pending_inbound
from assistant.channels.delivery import SendResult, send_due

if TYPE_CHECKING:
    from assistant.pipeline import Deps

log = logging.getLogger("assistant.channels")


class Dispatcher:
    """One thread that drains the inbound messages and the outbox of configured channels."""

    def __init__(self, deps: Deps, adapters: dict[str, Adapter], *, interval: float = 2.0) -> None:
        self.deps = deps
        self.adapters = adapters
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run the loop in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="channels", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current step and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Look for work now (a webhook recorded a message, a person approved a reply)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # noqa: BLE001 - the loop must outlive one bad step
                log.exception("channels: a step failed; trying again shortly")
                busy = False
            if not busy:
                self._wake.wait(self.interval)
                self._wake.clear()

    def run_once(self) -> bool:
        """One pass: draft and note what came in, send what is due; True if anything ran."""
        moved = 0
        for row in pending_inbound(self.deps.store):
            if self._stop.is_set():
                return True
            status = draft_inbound(self.deps, row["id"], self.adapters.get(row["source"]))
            moved += status != row["status"]
        sent: list[SendResult] = []
        if self.adapters:
            sent = send_due(self.deps.store, self.adapters, lease_s=self.deps.settings.send_lease)
        for result in sent:
            if result.status != "sent":
                log.warning("reply %s: %s (%s)", result.outbox_id, result.status, result.error)
        return bool(moved or sent)
