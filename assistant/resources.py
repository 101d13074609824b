"""Where the shipped files live, and the team's folders that override them.

The package ships its prompt templates, the demo help center, the eval suites and the labelled
sets. In a source checkout they are the top-level ``prompts/``, ``knowledge/`` and ``evals/``
folders; the wheel is built from exactly those folders into ``assistant/shipped/`` (see
``setup.py``), so there is no second copy that can drift. Code asks :func:`shipped` and gets
whichever is there, found with :mod:`importlib.resources`.

A team overrides or extends the shipped prompts and suites from folders it owns
(settings ``prompts_dir`` and ``suites_dir``); a file there wins over the shipped file of the
same name, the way a datasette template overrides the built-in one.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SHIPPED_FOLDERS = ("prompts", "knowledge", "evals")
"""The top-level source folders that the wheel carries as ``assistant/shipped/<name>``."""

_team: dict[str, Path] = {}


def shipped(name: str) -> Path:
    """The shipped folder ``name`` (one of :data:`SHIPPED_FOLDERS`)."""
    if name not in SHIPPED_FOLDERS:
        raise ValueError(f"not a shipped folder: {name!r}")
    inside = Path(str(files("assistant").joinpath("shipped", name)))
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parent.parent / name


def use_team_folders(*, prompts: Path | None = None, suites: Path | None = None) -> None:
    """Set (or clear, with ``None``) the team's own prompts and suites folders."""
    for key, folder in (("prompts", prompts), ("suites", suites)):
        if folder is None:
            _team.pop(key, None)
        else:
            _team[key] = Path(folder).expanduser()


def prompt_folders() -> list[Path]:
    """Where prompt templates are looked up, the team's folder first."""
    return [*_existing("prompts"), shipped("prompts")]


def suite_folders() -> list[Path]:
    """Where eval suites are looked up by name, the team's folder first."""
    return [*_existing("suites"), shipped("evals") / "suites"]


def labelled_set(name: str) -> Path:
    """A shipped labelled set (``retrieval.jsonl``, ``triage.jsonl``, ...)."""
    return shipped("evals") / name


def _existing(key: str) -> list[Path]:
    folder = _team.get(key)
    return [folder] if folder is not None and folder.is_dir() else []
