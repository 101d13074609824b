"""Signed-in actors for tests of the core (the review path checks roles, not names)."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.accounts import Account, Actor


def actor(name: str, role: str = "lead", via: str = "workspace") -> Actor:
    """An account acting through ``via`` (a lead by default: approve and override)."""
    account = Account(id=0, name=name, role=role, created_at=datetime.now(UTC))  # type: ignore[arg-type]
    return Actor(account, via)
