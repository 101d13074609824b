"""``reply-assistant mail``: the support mailbox (read over IMAP, drafted like other messages)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.data import data_store
from assistant.cli.outbox import DataDir

if TYPE_CHECKING:
    from assistant.channels.mail import Mailbox, SyncResult
    from assistant.config import Settings
    from assistant.pipeline import Deps

mail_app = typer.Typer(help="The support mailbox.", no_args_is_help=True)


@mail_app.command("sync")
def sync(
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Keep reading as mail arrives (IMAP IDLE; Ctrl-C stops)."),
    ] = False,
    interval: Annotated[
        float,
        typer.Option("--interval", help="With --watch: at most this many seconds between reads."),
    ] = 60.0,
    draft: Annotated[
        bool, typer.Option("--draft/--no-draft", help="Draft what came in (else `serve` does).")
    ] = True,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON line per read.")] = False,
) -> int:
    """Read new mail from ASSISTANT_IMAP_URL: each message is recorded once, joins its thread or
    starts a conversation, and gets a draft; auto-replies, bounces and list mail are skipped."""
    import imaplib
    import time

    from assistant.channels.mail import Mailbox
    from assistant.channels.mail import sync as read_mail
    from assistant.errors import InputError

    if interval <= 0:
        raise InputError("must be more than 0", where="--interval")
    settings, store = data_store(data_dir)
    box: Mailbox | None = Mailbox(settings)
    deps = _deps(settings) if draft else None
    failed = False
    try:
        while True:
            try:
                box = box or Mailbox(settings)
                result = read_mail(store, settings, box)
            except (imaplib.IMAP4.error, OSError, InputError) as exc:
                box = _drop(box)
                if not watch:
                    raise InputError(
                        f"the mailbox stopped answering: {exc}", where="ASSISTANT_IMAP_URL"
                    ) from None
                print(
                    f"error: the mailbox stopped answering ({exc}); trying again", file=sys.stderr
                )
                time.sleep(min(interval, 30.0))
                continue
            drafted = _draft_all(deps) if deps is not None else 0
            _report(result, drafted, as_json)
            failed = failed or bool(result.errors)
            if not watch:
                return 1 if failed else 0
            box = _wait(box, interval)
    finally:
        _drop(box)


def _wait(box: Mailbox, interval: float) -> Mailbox | None:
    """Wait for new mail; None when the session broke meanwhile (the next pass reconnects)."""
    import imaplib

    try:
        box.wait(interval)
    except (imaplib.IMAP4.error, OSError):
        return _drop(box)
    return box


def _drop(box: Mailbox | None) -> Mailbox | None:
    """Close a session that may already be broken; None (no session now)."""
    if box is not None:
        box.close()
    return None


def _deps(settings: Settings) -> Deps:
    from assistant.pipeline import Deps

    return Deps.from_settings(settings)


def _draft_all(deps: Deps) -> int:
    """Draft every mail message waiting for one; how many were drafted."""
    from assistant.channels import draft_inbound, pending_inbound
    from assistant.channels.mail import SOURCE

    done = 0
    while True:
        rows = [r for r in pending_inbound(deps.store, limit=100) if r["source"] == SOURCE]
        moved = [draft_inbound(deps, r["id"], None) != r["status"] for r in rows]
        done += sum(moved)
        if not any(moved):
            return done


def _report(result: SyncResult, drafted: int, as_json: bool) -> None:
    if as_json:
        doc = {
            "mailbox": result.mailbox, "imported": len(result.imported),
            "conversations": sorted(set(result.imported)), "skipped": result.skipped,
            "errors": result.errors, "drafted": drafted, "last_uid": result.last_uid,
        }  # fmt: skip
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    print(
        f"{result.mailbox}: {len(result.imported)} new, {len(result.skipped)} skipped, "
        f"{drafted} drafted (up to UID {result.last_uid})"
    )
    for why in result.skipped:
        print(f"  skipped: {why}")
    for line in result.errors:
        print(f"error: {line}", file=sys.stderr)
