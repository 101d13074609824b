"""``reply-assistant tokens``: Bearer tokens for the HTTP API (shown once, stored hashed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from assistant.store import Store

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
    from assistant.config import load_settings
    from assistant.errors import InputError
    from assistant.store import Store

    settings = load_settings(data_dir=data_dir)
    if not settings.data_dir.is_dir():
        raise InputError(
            "no data here: run `reply-assistant init` first", where=str(settings.data_dir)
        )
    token = accounts.create_token(Store.from_settings(settings), user, name=name)
    if as_json:
        sys.stdout.write(json.dumps({"token": token}) + "\n")
    else:
        print(token)
        print(
            f"(API token for {user}; shown once. Send it as `Authorization: Bearer <token>`.)",
            file=sys.stderr,
        )
    return 0


def _store(data_dir: Path | None) -> Store:
    from assistant.config import load_settings
    from assistant.errors import InputError
    from assistant.store import Store

    settings = load_settings(data_dir=data_dir)
    if not settings.data_dir.is_dir():
        raise InputError(
            "no data here: run `reply-assistant init` first", where=str(settings.data_dir)
        )
    return Store.from_settings(settings)


@tokens_app.command("list")
def list_tokens(data_dir: DataDir = None, as_json: AsJson = False) -> int:
    """API tokens: id, account, name, when made and last used, revoked (never the token)."""
    from assistant import accounts

    rows = accounts.list_tokens(_store(data_dir))
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

    accounts.revoke_token(_store(data_dir), token_id)
    print(f"token {token_id} revoked", file=sys.stderr)
    return 0
