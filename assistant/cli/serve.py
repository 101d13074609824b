"""``reply-assistant serve``: the HTTP API (FastAPI on uvicorn), models loaded once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $ASSISTANT_DATA_DIR or ./.assistant-data)."
    ),
]


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
    data_dir: DataDir = None,
) -> int:
    """Serve the HTTP API (Bearer tokens from `tokens create`; OpenAPI docs at /docs)."""
    import uvicorn

    from assistant.api import app_for_data_dir
    from assistant.errors import InputError

    if not 0 <= port < 65536:
        raise InputError("must be between 0 (any free port) and 65535", where="--port")
    app = app_for_data_dir(data_dir)
    uvicorn.run(app, host=host, port=port, log_level="info")
    return 0
