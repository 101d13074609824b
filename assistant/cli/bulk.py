"""``reply-assistant bulk``: a bulk run here (``bulk FILE --out OUT``), or through the task
queue on PostgreSQL (``bulk enqueue FILE --out OUT``, then ``bulk worker`` on any machines)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from assistant.cli.data import require_data

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $ASSISTANT_DATA_DIR or ./.assistant-data)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DEFAULT = "run"


class _RunByDefault(TyperGroup):
    """``bulk FILE --out OUT`` means ``bulk run FILE --out OUT``: any first word that is not a
    subcommand (or help) starts a run here, as the command did before it had subcommands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [DEFAULT, *args]
        return super().parse_args(ctx, args)


bulk_app = typer.Typer(
    cls=_RunByDefault,
    help="Draft replies to many social posts: here (bulk FILE --out OUT.jsonl), or through "
    "the task queue on PostgreSQL (bulk enqueue, bulk worker).",
    no_args_is_help=True,
)


def _settings(data_dir: Path | None) -> Any:
    """Settings on PostgreSQL with a data dir (the knowledge base), or a one-line InputError."""
    from assistant.bulk import queue
    from assistant.config import load_settings

    settings = load_settings(data_dir=data_dir)
    queue.conninfo(settings)  # PostgreSQL, before any other check or work
    require_data(settings)
    return settings


@bulk_app.command("enqueue")
def enqueue(
    file: Annotated[Path, typer.Argument(help="Social posts: CSV or JSONL (id, platform, text…).")],
    out: Annotated[
        Path, typer.Option("--out", help="The run's output JSONL (its name; `bulk` writes it).")
    ],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Store a run in PostgreSQL and queue its posts for `bulk worker` processes."""
    from assistant.bulk import queue
    from assistant.pipeline import Deps

    settings = _settings(data_dir)
    result = queue.enqueue(Deps.from_settings(settings), file, out)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(
            f"run {result['run']}: {result['queued']} post(s) queued, {result['stored']} stored "
            f"without a draft, {result['total']} in the file; start `reply-assistant bulk "
            f"worker` on any machine, then `reply-assistant bulk {file} --out {out}` writes OUT"
        )
    return 0


@bulk_app.command("worker")
def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Model calls in flight in this worker.")
    ] = 8,
    until_done: Annotated[
        bool,
        typer.Option("--until-done", help="Exit when no job is waiting or running."),
    ] = False,
    heartbeat: Annotated[
        float, typer.Option("--heartbeat", help="Seconds between this worker's heartbeats.")
    ] = 5.0,
    stalled_after: Annotated[
        float,
        typer.Option(
            "--stalled-after",
            help="Seconds without a heartbeat after which a worker's posts go to another.",
        ),
    ] = 30.0,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Draft queued bulk posts (needs PostgreSQL); stop with Ctrl-C or SIGTERM."""
    from assistant.bulk import queue
    from assistant.errors import InputError

    if concurrency < 1:
        raise InputError("must be at least 1", where="--concurrency")
    if heartbeat <= 0 or stalled_after <= heartbeat:
        raise InputError("must be more than --heartbeat (> 0)", where="--stalled-after")
    settings = _settings(data_dir)
    options = queue.WorkerOptions(
        concurrency=concurrency,
        until_done=until_done,
        heartbeat=heartbeat,
        stalled_after=stalled_after,
    )
    print(f"bulk worker {options.name}: waiting for queued posts", file=sys.stderr)
    result = queue.work(settings, options)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"bulk worker {result['worker']}: stored {result['posts']} post(s)")
    # Every post it drafted is committed and its connections are closed: skip the interpreter's
    # teardown of litellm and the models (seconds on a busy machine) so a stop is prompt.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
