"""``reply-assistant gaps``: what customers ask that the help center does not answer."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.data import data_settings

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $ASSISTANT_DATA_DIR or ./.assistant-data)."
    ),
]


def gaps(
    top: Annotated[int, typer.Option("--top", min=1, help="How many topics to show.")] = 20,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Override ASSISTANT_GAP_THRESHOLD.")
    ] = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> int:
    """Topics the help center has no good article for, largest first, with a draft article
    (Markdown with front matter) written from the approved replies."""
    from assistant import gaps as gaps_mod
    from assistant.knowledge import KnowledgeBase
    from assistant.store import Store

    overrides = {} if threshold is None else {"gap_threshold": threshold}
    settings = data_settings(data_dir, **overrides)
    found = gaps_mod.find(Store.from_settings(settings), KnowledgeBase(settings), settings)[:top]
    if as_json:
        out = {"threshold": settings.gap_threshold, "gaps": [g.as_dict() for g in found]}
        sys.stdout.write(json.dumps(out, ensure_ascii=False, default=str) + "\n")
        return 0
    if not found:
        print("no knowledge gaps: every question found a good article")
    for g in found:
        langs = ", ".join(f"{k} {v}" for k, v in g.as_dict()["languages"].items())
        print(f"{g.id}  {len(g.questions):3} questions ({langs})  {g.label}")
    return 0
