"""``reply-assistant outbox``: approved replies, and sending them through their channels."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.data import data_store

outbox_app = typer.Typer(help="Approved replies and their sending.", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $ASSISTANT_DATA_DIR or ./.assistant-data)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@outbox_app.command("list")
def list_outbox(
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Approved replies, newest first, with where they go and how sending went."""
    from assistant import review

    _settings, store = data_store(data_dir)
    items = review.outbox(store, status=status)
    if as_json:
        sys.stdout.write(json.dumps([i.model_dump(mode="json") for i in items]) + "\n")
        return 0
    for i in items:
        to = (i.destination or {}).get("source") or "by hand"
        line = f"#{i.id}\t{i.status}\t{to}\tdraft {i.draft_id}\t{i.reviewer}"
        print(line + (f"\t{i.error}" if i.error and i.status != "sent" else ""))
    return 0


@outbox_app.command("send")
def send(
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep sending as replies are approved (Ctrl-C stops).")
    ] = False,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between passes.")] = 5.0,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Send approved replies whose conversation came through a configured channel, each once
    (`reply-assistant serve` does this by itself)."""
    from assistant import channels
    from assistant.channels.delivery import send_due
    from assistant.errors import InputError

    settings, store = data_store(data_dir)
    adapters = channels.configured(settings)
    if not adapters:
        raise InputError(
            "no channel is configured (ASSISTANT_CHATWOOT_URL and ASSISTANT_CHATWOOT_TOKEN, "
            "or ASSISTANT_SMTP_URL)",
            where="settings",
        )
    done = []
    while True:
        for result in send_due(store, adapters, lease_s=settings.send_lease):
            done.append(result)
            if not as_json:
                print(f"#{result.outbox_id}\t{result.status}\t{result.error or ''}".rstrip())
        if not watch:
            break
        time.sleep(interval)
    if as_json:
        sys.stdout.write(json.dumps({"results": [r.__dict__ for r in done]}) + "\n")
    return 1 if any(r.status in ("failed", "uncertain") for r in done) else 0
