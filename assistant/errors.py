"""Errors the user can act on: each carries one line naming the file, line or field."""

from __future__ import annotations

from collections.abc import Sequence


class InputError(Exception):
    """Bad input from the user (a file, a line, a field, a flag). The CLI exits 2 with this one line."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class ModelError(Exception):
    """The configured model could not produce a reply (unknown model, provider error, timeout)."""

    def __init__(self, message: str, *, draft_id: int | None = None) -> None:
        self.draft_id = draft_id
        super().__init__(message)


class ConflictError(Exception):
    """A record changed since it was read (another agent acted first): reload and decide again."""

    def __init__(self, message: str, *, draft_id: int | None = None) -> None:
        self.draft_id = draft_id
        super().__init__(message)


class StaleDraftError(ConflictError):
    """The customer wrote again after the draft was made: re-read, then re-confirm or redraft."""


class ApprovalBlocked(Exception):
    """The final text still has error findings and no override reason was given."""

    def __init__(self, message: str, *, findings: Sequence[object] | None = None) -> None:
        self.findings = list(findings or [])
        super().__init__(message)


class PermissionDenied(Exception):
    """The signed-in account's role may not do this (or nobody is signed in)."""


class SignInError(Exception):
    """A sign-in was refused; the message does not say whether the name or the password was
    wrong. ``locked``: too many failures in a row."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        self.locked = locked
        super().__init__(message)
