"""``reply-assistant surveys``: CSAT/CES survey links for approved replies."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.data import data_store

surveys_app = typer.Typer(help="CSAT and CES surveys sent with replies.", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $ASSISTANT_DATA_DIR or ./.assistant-data)."
    ),
]


@surveys_app.command("create")
def create(
    draft_id: Annotated[int, typer.Argument(help="An approved draft.")],
    kind: Annotated[str, typer.Option("--kind", help="csat (1-5) or ces (1-7).")] = "csat",
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> int:
    """A one-question survey link for the customer of an approved reply (printed once)."""
    from assistant import surveys

    settings, store = data_store(data_dir)
    token, survey = surveys.create(
        store, draft_id, kind=kind, days=settings.survey_days, actor="cli"
    )
    url = f"{settings.survey_base_url.rstrip('/')}/s/{token}"
    if as_json:
        out = {"url": url, "kind": survey.kind, "lang": survey.lang,
               "expires_at": survey.expires_at.isoformat()}  # fmt: skip
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        print(url)
    return 0


@surveys_app.command("report")
def report(
    kind: Annotated[str, typer.Option("--kind", help="csat or ces.")] = "csat",
    data_dir: DataDir = None,
) -> int:
    """Answers so far, by week, prompt version, model, agent and overridden finding (JSON)."""
    from assistant import surveys
    from assistant.config import load_settings
    from assistant.store import Store

    store = Store.from_settings(load_settings(data_dir=data_dir))
    sys.stdout.write(json.dumps(surveys.analytics(store, kind), ensure_ascii=False) + "\n")
    return 0
