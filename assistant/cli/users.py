"""``reply-assistant users``: accounts and their roles (passwords from a prompt or stdin only)."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

users_app = typer.Typer(help="Accounts and roles (agent, lead, admin).", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $ASSISTANT_DATA_DIR or ./.assistant-data)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def read_password(what: str = "Password") -> str:
    """A password typed twice at a terminal, or the first line of standard input."""
    from assistant.errors import InputError

    if sys.stdin.isatty():
        first = getpass.getpass(f"{what}: ")
        if getpass.getpass(f"{what} again: ") != first:
            raise InputError("the two passwords differ", where="password")
        return first
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InputError("no password on standard input", where="password")
    return line


def _store(data_dir: Path | None) -> object:
    from assistant.config import load_settings
    from assistant.store import Store

    settings = load_settings(data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store.from_settings(settings)


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Account name (what the person signs in with).")],
    role: Annotated[str, typer.Option("--role", help="agent, lead or admin.")] = "agent",
    email: Annotated[
        str | None, typer.Option("--email", help="E-mail the identity provider reports.")
    ] = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Sign in only through the identity provider.")
    ] = False,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Create an account; the password is read from a prompt (or the first line of stdin)."""
    from assistant import accounts

    store = _store(data_dir)
    password = None if no_password else read_password()
    account = accounts.add_user(store, name, role, password, email=email)  # type: ignore[arg-type]
    _print(account.model_dump(mode="json"), as_json, f"added {account.name} ({account.role})")
    return 0


@users_app.command("list")
def list_(data_dir: DataDir = None, as_json: AsJson = False) -> int:
    """Every account with its role and whether it is disabled."""
    from assistant import accounts

    rows = [a.model_dump(mode="json") for a in accounts.list_users(_store(data_dir))]  # type: ignore[arg-type]
    if as_json:
        sys.stdout.write(json.dumps({"users": rows}, ensure_ascii=False) + "\n")
        return 0
    for r in rows:
        state = " (disabled)" if r["disabled"] else ""
        print(f"{r['name']}\t{r['role']}{state}\t{r['email'] or ''}")
    return 0


@users_app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="Account name.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable it again instead.")] = False,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Disable an account: it can't sign in, and its open sessions stop working."""
    from assistant import accounts

    account = accounts.set_disabled(_store(data_dir), name, not enable)  # type: ignore[arg-type]
    word = "disabled" if account.disabled else "enabled"
    _print(account.model_dump(mode="json"), as_json, f"{word} {account.name}")
    return 0


@users_app.command("password")
def password(
    name: Annotated[str, typer.Argument(help="Account name.")],
    data_dir: DataDir = None,
) -> int:
    """Set a new password (from a prompt or the first line of stdin)."""
    from assistant import accounts

    accounts.set_password(_store(data_dir), name, read_password("New password"))  # type: ignore[arg-type]
    print(f"password changed for {name}")
    return 0


def _print(obj: dict[str, object], as_json: bool, line: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    else:
        print(line)
