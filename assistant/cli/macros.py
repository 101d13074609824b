"""``reply-assistant macros``: the team's canned replies (checked by the playbook), as YAML too.

``add`` and ``import`` refuse a macro the playbook finds an error in (exit 1, the findings on
stderr or in the JSON); a bad file or field is exit 2 with one line naming it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.cli.data import data_settings

if TYPE_CHECKING:
    from assistant.macros import Macro, Team
    from assistant.store import Store

macros_app = typer.Typer(help="Team macros (canned replies), checked.", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $ASSISTANT_DATA_DIR or ./.assistant-data)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
OPERATOR = "cli"
"""Who changes made at the command line are recorded as."""


def _open(data_dir: Path | None) -> tuple[Store, Team]:
    from assistant.knowledge import KnowledgeBase
    from assistant.macros import Team
    from assistant.store import Store

    settings = data_settings(data_dir)
    team = Team.of(KnowledgeBase(settings), settings, settings.ui_language)
    return Store.from_settings(settings), team


def _view(m: Macro) -> dict[str, Any]:
    return m.model_dump(mode="json", exclude={"id"})


def _save(store: Store, team: Team, items: list[Macro], as_json: bool) -> int:
    from assistant.macros import MacroRefused, save_all

    try:
        saved = save_all(store, items, team, actor=OPERATOR)
    except MacroRefused as exc:
        found = [f.model_dump(mode="json") for f in exc.findings]
        if as_json:
            sys.stdout.write(
                json.dumps({"ok": False, "macro": exc.name, "findings": found}, ensure_ascii=False)
                + "\n"
            )
        print(f"refused: {exc}", file=sys.stderr)
        for f in exc.findings:
            print(f"  {f.rule} {f.severity}: {f.quote or ''} — {f.message}", file=sys.stderr)
        return 1
    if as_json:
        out = {"ok": True, "macros": [_view(m) for m in saved]}
        sys.stdout.write(json.dumps(out, ensure_ascii=False, default=str) + "\n")
    else:
        print(f"saved {len(saved)} macro(s): {', '.join(m.name for m in saved)}")
    return 0


def _body(value: str) -> str:
    from assistant.errors import InputError

    if value == "-":
        return sys.stdin.read()
    path = Path(value)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read ({type(exc).__name__})", where=value) from None


@macros_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Macro name (lower-case, digits, - _ .).")],
    body: Annotated[str, typer.Option("--body", help="File with the body, or - for stdin.")],
    title: Annotated[str, typer.Option("--title", help="What agents see in the list.")],
    lang: Annotated[str, typer.Option("--lang", help="ko or en.")] = "ko",
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Add or replace a macro; refused (exit 1) when the playbook finds an error in it."""
    from assistant.macros import Macro

    store, team = _open(data_dir)
    text = _body(body)
    from assistant.macros import validate_fields

    validate_fields(name, lang, title, text)
    return _save(store, team, [Macro(name=name, lang=lang, title=title, body=text)], as_json)  # type: ignore[arg-type]


@macros_app.command("list")
def list_command(
    lang: Annotated[str | None, typer.Option("--lang", help="Only ko or en.")] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """The team's macros, with their status (flagged after a help-center change)."""
    from assistant.macros import list_macros

    store, _ = _open(data_dir)
    items = list_macros(store, lang=lang)
    if as_json:
        out = {"macros": [_view(m) for m in items]}
        sys.stdout.write(json.dumps(out, ensure_ascii=False, default=str) + "\n")
        return 0
    for m in items:
        flag = (
            "" if m.status == "ok" else "  [flagged: " + ", ".join(f.rule for f in m.findings) + "]"
        )
        print(f"{m.name:24} {m.lang}  {m.title}{flag}")
    return 0


@macros_app.command("export")
def export(
    out: Annotated[str, typer.Argument(help="YAML file to write, or - for stdout.")] = "-",
    data_dir: DataDir = None,
) -> int:
    """Every macro as one YAML document."""
    from assistant.macros import io, list_macros

    store, _ = _open(data_dir)
    text = io.dump(list_macros(store))
    if out == "-":
        sys.stdout.write(text)
    else:
        Path(out).write_text(text, encoding="utf-8")
    return 0


@macros_app.command("import")
def import_command(
    path: Annotated[
        Path, typer.Argument(help="YAML file ({macros: [{name, lang, title, body}]}).")
    ],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Add or replace the file's macros: all of them or, on any error, none."""
    from assistant.errors import InputError
    from assistant.macros import io

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read ({type(exc).__name__})", where=str(path)) from None
    items = io.load(text, str(path))
    store, team = _open(data_dir)
    return _save(store, team, items, as_json)


def recheck_after_ingest(settings: Any) -> list[str]:
    """Re-check every macro against the help center just ingested; the flagged names."""
    from assistant.knowledge import KnowledgeBase
    from assistant.macros import Team, recheck_all
    from assistant.store import Store

    store = Store.from_settings(settings)
    try:
        return recheck_all(store, Team.of(KnowledgeBase(settings), settings, settings.ui_language))
    finally:
        store.dispose()
