"""The data dir a command works on: its settings, checked to exist, and its records store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.store import Store


def require_data(settings: Settings) -> None:
    """Refuse (one line, exit 2) when the data dir was never made by ``init``."""
    from assistant.errors import InputError

    if not settings.data_dir.is_dir():
        raise InputError(
            "no data here: run `reply-assistant init` first", where=str(settings.data_dir)
        )


def data_settings(data_dir: Path | None, **overrides: Any) -> Settings:
    """The settings for ``--data-dir`` (and ``overrides``), the data dir required to exist."""
    from assistant.config import load_settings

    settings = load_settings(data_dir=data_dir, **overrides)
    require_data(settings)
    return settings


def data_store(data_dir: Path | None) -> tuple[Settings, Store]:
    """:func:`data_settings` and the records store they name (migrated)."""
    from assistant.store import Store

    settings = data_settings(data_dir)
    return settings, Store.from_settings(settings)
