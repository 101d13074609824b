"""``reply-assistant tokens``: Bearer tokens for the HTTP API (shown once, stored hashed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.data import data_store

tokens_app = typer.Typer(help="API tokens for `reply-assistant serve`.", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $ASSISTANT_DATA_DIR or ./.assistant-data)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@tokens_app.command("create")
def create(
    user: Annotated[str, typer.Option("--user", help="The account the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "",
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Create an API token for an account; it is printed once and only its hash is kept."""
    from assistant import accounts

    token = accounts.create_token(data_store(data_dir)[1], user, name=name)
    if as_json:
        sys.stdout.write(json.dumps({"token": token}) + "\n")
    else:
        print(token)
        print(
            f"(API token for {user}; shown once. Send it as `Authorization: Bearer <token>`.)",
            file=sys.stderr,
        )
    return 0


@tokens_app.command("list")
def list_tokens(data_dir: DataDir = None, as_json: AsJson = False) -> int:
    """API tokens: id, account, name, when made and last used, revoked (never the token)."""
    from assistant import accounts

    rows = accounts.list_tokens(data_store(data_dir)[1])
    if as_json:
        sys.stdout.write(json.dumps({"tokens": rows}, default=str) + "\n")
        return 0
    for r in rows:
        state = "revoked" if r["revoked"] else f"last used {r['last_used_at'] or 'never'}"
        print(f"{r['id']}\t{r['user']}\t{r['name'] or '-'}\t{r['created_at']:%Y-%m-%d}\t{state}")
    return 0


@tokens_app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (from `tokens list`).")],
    data_dir: DataDir = None,
) -> int:
    """Revoke an API token; requests with it get 401 from now on."""
    from assistant import accounts

    accounts.revoke_token(data_store(data_dir)[1], token_id)
    print(f"token {token_id} revoked", file=sys.stderr)
    return 0
