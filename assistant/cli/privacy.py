"""``customers forget``, ``maintenance``, ``backup`` and ``restore``: customers' personal data
and copies of the data dir. The work is done by :mod:`assistant.privacy`."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli.data import require_data
from assistant.cli.users import AsJson, DataDir


def _password() -> str:
    """A password typed once at a terminal, or the first line of standard input."""
    from assistant.errors import InputError

    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InputError("no password on standard input", where="password")
    return line


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _print_erasure(report: dict[str, Any], title: str) -> None:
    print(title)
    for key, value in report.items():
        if isinstance(value, int) and value:
            print(f"  {key}: {value}")
    if report["files"]:
        print(f"  files rewritten: {', '.join(report['files'])}")
    if report["compacted"]:
        print(f"  compacted: {', '.join(report['compacted'])}")
    for path in report["still_found"]:
        print(f"warning: {path} still holds the text (is the app still running?)", file=sys.stderr)


def forget(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    as_name: Annotated[
        str, typer.Option("--as", help="Your admin account (the password is prompted for).")
    ],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Erase a customer's personal data (admins only): profile, history and every piece of
    their text in drafts, decisions, the outbox, audit payloads, caches and bulk files."""
    from assistant import accounts, privacy
    from assistant.accounts import Actor
    from assistant.errors import PermissionDenied, SignInError
    from assistant.store import Store

    settings = _settings(data_dir)
    store = Store.from_settings(settings)
    try:
        account = accounts.authenticate(store, as_name, _password(), via="cli")
    except SignInError as exc:
        raise PermissionDenied(str(exc)) from None
    report = privacy.forget_customer(store, customer_id, Actor(account, "cli"), settings=settings)
    store.dispose()
    out = report.to_dict()
    if as_json:
        _emit({"customer_id": customer_id, "removed": out})
    else:
        _print_erasure(out, f"forgot customer {customer_id}")
    return 0


def run_maintenance(settings: Any) -> dict[str, Any]:
    """Apply the retention setting; the report as a dict (``init`` calls this too)."""
    from assistant import privacy
    from assistant.store import Store

    store = Store.from_settings(settings)
    try:
        report = privacy.purge_expired(store, settings.retention_days, settings=settings)
    finally:
        store.dispose()
    return {"retention_days": settings.retention_days, "purged": report.to_dict()}


def maintenance(data_dir: DataDir = None, as_json: AsJson = False) -> int:
    """Erase customer text older than ASSISTANT_RETENTION_DAYS (closed conversations with no
    undecided draft; profiles are kept) and report the counts."""
    settings = _settings(data_dir)
    out = run_maintenance(settings)
    if as_json:
        _emit(out)
    elif settings.retention_days is None:
        print("retention: ASSISTANT_RETENTION_DAYS is not set, everything is kept")
    else:
        _print_erasure(out["purged"], f"retention {settings.retention_days} days: purged")
    return 0


def backup(
    path: Annotated[Path, typer.Argument(help="A new (or empty) folder for the backup.")],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Copy the records and the knowledge index consistently, while the app runs. Exits 1 when
    a part could not be copied (PostgreSQL records, a Chroma server)."""
    from assistant import privacy

    settings = _settings(data_dir)
    report = privacy.backup(settings, path)
    if as_json:
        _emit(report.to_dict())
    else:
        files = report.manifest["files"]
        size = sum(f["bytes"] for f in files)
        print(f"backup {report.path}: {len(files)} files, {size} bytes")
    for line in report.not_copied:
        print(f"not copied: {line}", file=sys.stderr)
    return 1 if report.not_copied else 0


def restore(
    path: Annotated[Path, typer.Argument(help="A folder made by `reply-assistant backup`.")],
    data_dir: DataDir = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a data dir that is not empty.")
    ] = False,
    as_json: AsJson = False,
) -> int:
    """Restore a backup into a new or empty data dir (--force replaces a non-empty one)."""
    from assistant import privacy
    from assistant.errors import InputError
    from assistant.store import Store

    settings = _settings(data_dir, exists=False)
    if settings.database_url or settings.chroma_url:
        raise InputError(
            "restore only fills the embedded stores; unset ASSISTANT_DATABASE_URL and "
            "ASSISTANT_CHROMA_URL (restore PostgreSQL with pg_restore)",
            where="settings",
        )
    manifest = privacy.restore(path, settings.data_dir, force=force)
    store = Store.from_settings(settings)  # newer code: its migrations run now
    store.dispose()
    if as_json:
        _emit({"data_dir": str(settings.data_dir), "manifest": manifest})
    else:
        print(f"restored {path} ({manifest['created_at']}) into {settings.data_dir}")
    return 0


def _settings(data_dir: Path | None, *, exists: bool = True) -> Any:
    from assistant.config import load_settings

    settings = load_settings(data_dir=data_dir)
    if exists:
        require_data(settings)
    return settings


def register(app: typer.Typer, customers_app: typer.Typer) -> None:
    """Add these commands to the command line."""
    customers_app.command("forget")(forget)
    app.command("maintenance")(maintenance)
    app.command("backup")(backup)
    app.command("restore")(restore)
