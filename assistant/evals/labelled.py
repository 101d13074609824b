"""Labelled JSONL sets (evals/*.jsonl): one JSON object a line, errors naming file and line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.errors import InputError


def read_cases(
    path: Path,
    required: tuple[str, ...] = (),
    validate: Callable[[dict[str, Any]], str | None] | None = None,
) -> list[dict[str, Any]]:
    """Every non-blank line as a dict; a line that is not a JSON object, lacks a required
    field or fails ``validate`` (which returns a message) raises ``InputError`` naming
    ``file:line``."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", where=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", where=str(path)) from None
    cases = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON ({exc.msg})", where=where) from None
        if not isinstance(case, dict):
            raise InputError("not a JSON object", where=where)
        missing = [field for field in required if field not in case]
        if missing:
            raise InputError(f"missing field(s) {', '.join(missing)}", where=where)
        problem = validate(case) if validate else None
        if problem:
            raise InputError(problem, where=where)
        cases.append(case)
    return cases
