"""Files of a bulk run: reading social posts (CSV or JSONL) and the append-only output.

Input: one post per CSV row or JSONL line with ``id, platform, author, text, url, created_at``
(other columns are kept under ``extra``). Every row becomes a :class:`Post`; a row that cannot be
drafted (empty text, unknown platform, duplicated id, not a JSON object) is still a post, with
``invalid`` set to the reason, so nothing is dropped silently. A bad ``created_at`` is a warning:
the post is still answered. A file that is not UTF-8 text, or not CSV/JSONL at all, is an
:class:`~assistant.errors.InputError` naming the file.

Output: one JSON object per finished post, appended and flushed line by line (``fsync`` every
``fsync_every`` lines and at the end), so a killed run loses only the posts in flight. Reading
it back tolerates a torn last line (a crash mid-write) and truncates it away before appending.

The run itself (its posts, drafts and review decisions) lives in the records store
(:mod:`assistant.bulk.runs`); the output file is its export, and a rerun reads it back.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from assistant.config import PLATFORMS
from assistant.errors import InputError

FIELDS = ("id", "platform", "author", "text", "url", "created_at")
PLATFORM_ALIASES: dict[str, str] = {
    "x": "x",
    "twitter": "x",
    "tweet": "x",
    "x.com": "x",
    "instagram": "instagram",
    "insta": "instagram",
    "ig": "instagram",
    "facebook": "facebook",
    "fb": "facebook",
    "meta": "facebook",
    "review": "review",
    "reviews": "review",
    "appstore": "review",
    "app store": "review",
    "app_store": "review",
    "ios": "review",
    "playstore": "review",
    "play store": "review",
    "play_store": "review",
    "googleplay": "review",
    "google play": "review",
    "google_play": "review",
}
STATUSES = ("drafted", "skipped", "invalid", "failed")


@dataclass
class Post:
    """One input row: the post's fields, where it came from, and why it is invalid (if it is)."""

    key: str
    line: int
    id: str | None
    platform: str
    text: str
    author: str = ""
    url: str = ""
    created_at: datetime | None = None
    raw_platform: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    invalid: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Issue:
    """One problem found in the input, with its line number."""

    line: int
    id: str | None
    reason: str
    severity: str = "error"

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape used in summaries."""
        return {"line": self.line, "id": self.id, "reason": self.reason, "severity": self.severity}


@dataclass
class ReadResult:
    """Every post of an input file (valid or not) and every issue found."""

    path: Path
    posts: list[Post]
    issues: list[Issue]


def normalise_platform(value: str) -> str | None:
    """``x``, ``instagram``, ``facebook`` or ``review`` for a platform name or alias."""
    return PLATFORM_ALIASES.get(" ".join(value.strip().lower().split()))


def parse_time(value: str) -> datetime | None:
    """An ISO 8601 date/time (``Z`` allowed) or a Unix timestamp; None when it is neither."""
    value = value.strip()
    if not value:
        return None
    try:
        if value.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(value), tz=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_posts(path: Path) -> ReadResult:
    """Read and validate a CSV or JSONL file of posts. Raises InputError for an unreadable file."""
    data = _read_text(path)
    fmt = _format_of(path, data)
    rows = _jsonl_rows(path, data) if fmt == "jsonl" else _csv_rows(path, data)
    posts: list[Post] = []
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for line, row, error in rows:
        post = _post(line, row, error)
        if post.id is not None and post.id in seen:
            post.invalid = (
                post.invalid or f"duplicate id {post.id!r} (first on line {seen[post.id]})"
            )
            post.key = f"{post.id}@line{line}"
        elif post.id is not None:
            seen[post.id] = line
        if post.invalid:
            issues.append(Issue(line, post.id, post.invalid))
        issues.extend(Issue(line, post.id, w, "warning") for w in post.warnings)
        posts.append(post)
    return ReadResult(path=path, posts=posts, issues=issues)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", where=str(path)) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError(f"cannot read the file ({type(exc).__name__})", where=str(path)) from None
    if b"\x00" in raw:
        raise InputError("not a text file (binary data): use CSV or JSONL", where=str(path))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start}): save the file as UTF-8 CSV or JSONL",
            where=str(path),
        ) from None


def _format_of(path: Path, data: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    first = data.lstrip()[:1]
    if first in ("{", "["):
        return "jsonl"
    if not data.strip():
        raise InputError("the file is empty", where=str(path))
    return "csv"


Row = tuple[int, dict[str, Any], str | None]


def _jsonl_rows(path: Path, data: str) -> list[Row]:
    rows: list[Row] = []
    parsed = 0
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append((number, {}, f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(value, dict):
            rows.append((number, {}, "not a JSON object"))
            continue
        parsed += 1
        rows.append((number, value, None))
    if rows and not parsed:
        raise InputError("not JSONL: no line is a JSON object with post fields", where=str(path))
    return rows


def _csv_rows(path: Path, data: str) -> list[Row]:
    first = data.split("\n", 1)[0]
    delimiter = max(",;\t", key=lambda d: (first.count(d), d == ","))
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise InputError("the file is empty or not CSV", where=str(path)) from None
    if "text" not in header:
        raise InputError(
            f"not a CSV of posts: the header needs a 'text' column (found {header[:8]})",
            where=str(path),
        )
    return list(_csv_records(reader, header))


def _csv_records(reader: Any, header: list[str]) -> Iterator[Row]:
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, {}, f"not valid CSV ({exc})"
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not values:
            continue
        row: dict[str, Any] = dict(zip(header, values, strict=False))
        if len(values) > len(header):
            row["_overflow"] = values[len(header) :]
        yield line, row, None


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _post(line: int, row: dict[str, Any], error: str | None) -> Post:
    raw_id = _text(row, "id").strip() or None
    raw_platform = _text(row, "platform")
    post = Post(
        key=raw_id or f"@line{line}",
        line=line,
        id=raw_id,
        platform=normalise_platform(raw_platform) or "",
        text=_text(row, "text").strip(),
        author=_text(row, "author").strip(),
        url=_text(row, "url").strip(),
        raw_platform=raw_platform,
        extra={str(k): v for k, v in row.items() if k not in FIELDS and k},
    )
    created = _text(row, "created_at")
    post.created_at = parse_time(created)
    if created.strip() and post.created_at is None:
        post.warnings.append(f"bad created_at {created.strip()[:40]!r} ignored")
    post.invalid = error or _invalid_reason(post, raw_id)
    return post


def _invalid_reason(post: Post, raw_id: str | None) -> str | None:
    if raw_id is None:
        return "missing id"
    if not post.text:
        return "empty post text"
    if not post.platform:
        shown = post.raw_platform.strip()[:30]
        return (
            f"unknown platform {shown!r} (use {', '.join(PLATFORMS)})"
            if shown
            else "missing platform"
        )
    return None


# ----- output ------------------------------------------------------------------------------


@dataclass
class Done:
    """What an output file already holds: the last record per key, and lines found broken."""

    records: dict[str, dict[str, Any]]
    broken_lines: list[int]
    repaired_bytes: int = 0


def load_output(path: Path, *, repair: bool = False) -> Done:
    """Records already in ``path`` (the last one per key wins).

    A torn last line (no newline at the end, or not JSON) is ignored; with ``repair`` it is cut
    off the file so that appending continues on a clean line. A broken line in the middle is
    reported in ``broken_lines`` and skipped.
    """
    if not path.exists():
        return Done({}, [])
    raw = path.read_bytes()
    end = raw.rfind(b"\n") + 1
    torn = len(raw) - end
    if torn and repair:
        with path.open("r+b") as fh:
            fh.truncate(end)
    records: dict[str, dict[str, Any]] = {}
    broken: list[int] = []
    for number, line in enumerate(raw[:end].decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            broken.append(number)
            continue
        if isinstance(rec, dict) and rec.get("key"):
            records[str(rec["key"])] = rec
        else:
            broken.append(number)
    if torn:
        broken.append(raw[:end].count(b"\n") + 1)
    return Done(records, broken, torn)


class OutputWriter:
    """Appends one JSON line per finished post: flushed each line, fsync'd every N lines."""

    def __init__(self, path: Path, *, fsync_every: int = 50) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fsync_every = max(0, fsync_every)
        self._fh: IO[str] = path.open("a", encoding="utf-8")
        self._pending = 0
        self.written = 0

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line and flush it to the OS (survives kill -9)."""
        self._fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()
        self.written += 1
        self._pending += 1
        if self.fsync_every and self._pending >= self.fsync_every:
            os.fsync(self._fh.fileno())
            self._pending = 0

    def close(self) -> None:
        """Flush, fsync and close."""
        if self._fh.closed:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
