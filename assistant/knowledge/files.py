"""Reading knowledge files: Markdown with YAML front matter, plain text and HTML, into chunks.

A document's id defaults to its path without suffix, relative to the folder it was ingested
from (``ko/password-reset``). Its translation ``key`` (front matter ``key``) is shared by the
files of one article in each language; it defaults to the id without its ``ko/`` or ``en/``
folder, so ``ko/refunds`` and ``en/refunds`` are translations of each other. Chunks follow headings, then sentences (Korean endings through
Kiwi, see :func:`assistant.text.sentences`), up to about :data:`CHUNK_CHARS` characters.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.text import detect_language, sentences, sentences_many

SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
}
CHUNK_CHARS = 600
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)


@dataclass
class Chunk:
    """One piece of a document: the heading it sits under and its text."""

    heading: str
    text: str


@dataclass
class ParsedDoc:
    """A knowledge document read from a file, before it is stored."""

    doc_id: str
    title: str
    url: str
    lang: str
    tags: list[str]
    body: str
    key: str
    source: Path
    root: Path
    digest: str
    chunks: list[Chunk] = field(default_factory=list)


def collect_files(paths: list[Path]) -> list[tuple[Path, Path]]:
    """``(file, root)`` for every knowledge file under ``paths`` (folders are searched deeply)."""
    found: list[tuple[Path, Path]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            root = path.resolve()
            for file in sorted(root.rglob("*")):
                hidden = any(p.startswith(".") for p in file.relative_to(root).parts)
                if file.is_file() and file.suffix.lower() in SUFFIXES and not hidden:
                    found.append((file, root))
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise InputError("not a knowledge file (.md, .txt or .html)", where=str(path))
            found.append((path.resolve(), path.resolve().parent))
        else:
            raise InputError("no such file or folder", where=str(path))
    return found


def read_text(path: Path) -> str:
    """The file's text; unreadable or binary files are an InputError naming the file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", where=str(path)) from None
    if b"\x00" in data[:8192]:
        raise InputError("binary file, not text", where=str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", where=str(path)) from None


def parse_file(path: Path, root: Path, *, chunk: bool = True) -> ParsedDoc:
    """Read one knowledge file into a :class:`ParsedDoc`, with its chunks unless ``chunk=False``."""
    raw = read_text(path)
    kind = SUFFIXES[path.suffix.lower()]
    if kind == "markdown":
        meta, body = _front_matter(raw, path)
    elif kind == "html":
        meta, body = _html(raw)
    else:
        meta, body = {}, raw
    doc = _build_doc(meta, body, path, root, raw)
    if not doc.body.strip():
        raise InputError("no text to index", where=str(path))
    if chunk:
        add_chunks(doc)
    return doc


def add_chunks(doc: ParsedDoc) -> ParsedDoc:
    """Fill ``doc.chunks`` (the slow part of reading: Korean sentence splitting)."""
    doc.chunks = chunk_markdown(doc.body, doc.title)
    if not doc.chunks:
        raise InputError("no text to index", where=str(doc.source))
    return doc


def check_text(doc: ParsedDoc) -> None:
    """An InputError naming the file when chunking would find no text (checked before an
    ingest writes anything; chunking itself comes later)."""
    if not any(text for _, text in _sections(doc.body, doc.title)):
        raise InputError("no text to index", where=str(doc.source))


def add_chunks_many(docs: list[ParsedDoc]) -> list[ParsedDoc]:
    """:func:`add_chunks` for many documents, their Korean sentences split in one batch."""
    sections = [_sections(doc.body, doc.title) for doc in docs]
    texts = [text for parts in sections for _, text in parts]
    split = iter(sentences_many(texts))
    for doc, parts in zip(docs, sections, strict=True):
        doc.chunks = _pack([(heading, next(split)) for heading, _ in parts], CHUNK_CHARS)
        if not doc.chunks:
            raise InputError("no text to index", where=str(doc.source))
    return docs


def _front_matter(raw: str, path: Path) -> tuple[dict[str, Any], str]:
    import yaml

    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, raw
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
    if end is None:
        raise InputError("front matter is not closed by '---'", where=f"{path}:1")
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(f"malformed front matter ({problem})", where=f"{path}:{line}") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # 2026-02-30, deep nesting
        problem = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        raise InputError(f"malformed front matter ({problem})", where=f"{path}:2") from None
    if not isinstance(meta, dict):
        raise InputError("front matter must be a mapping of fields", where=f"{path}:2")
    return meta, "\n".join(lines[end + 1 :])


def _field_str(meta: dict[str, Any], name: str, path: Path) -> str:
    value = meta.get(name)
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InputError(f"field {name!r} must be text", where=f"{path}: {name}")
    return str(value).strip()


def _tags(meta: dict[str, Any], path: Path) -> list[str]:
    value = meta.get("tags")
    if value is None:
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list) and all(isinstance(t, (str, int)) for t in value):
        return [str(t).strip() for t in value if str(t).strip()]
    raise InputError("field 'tags' must be a list of words", where=f"{path}: tags")


def _build_doc(meta: dict[str, Any], body: str, path: Path, root: Path, raw: str) -> ParsedDoc:
    title = _field_str(meta, "title", path) or _first_h1(body)
    if not title:
        raise InputError(
            "missing title (front matter 'title' or a '# ' heading)", where=f"{path}: title"
        )
    lang = _field_str(meta, "lang", path).lower() or detect_language(body)
    if lang not in {"ko", "en"}:
        raise InputError(f"lang must be 'ko' or 'en', not {lang!r}", where=f"{path}: lang")
    doc_id = _field_str(meta, "id", path) or path.relative_to(root).with_suffix("").as_posix()
    key = _field_str(meta, "key", path) or translation_key(doc_id)
    digest = hashlib.sha256(f"{path.relative_to(root).as_posix()}\n{raw}".encode()).hexdigest()
    return ParsedDoc(
        doc_id=doc_id,
        title=title,
        url=_field_str(meta, "url", path),
        lang=lang,
        tags=_tags(meta, path),
        body=body,
        key=key,
        source=path,
        root=root,
        digest=digest[:32],
    )


def translation_key(doc_id: str) -> str:
    """The translation key of a document without one in its front matter: its id without the
    language folder (``ko/refunds`` and ``en/refunds`` share ``refunds``)."""
    head, sep, rest = doc_id.partition("/")
    return rest if sep and head in {"ko", "en"} else doc_id


def _first_h1(body: str) -> str:
    for line in body.splitlines():
        match = _HEADING.match(line)
        if match and len(match.group(1)) == 1:
            return match.group(2).strip()
    return ""


def _plain(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    return _LIST_MARK.sub("", text)


def _sections(body: str, title: str) -> list[tuple[str, str]]:
    sections: list[tuple[str, list[str]]] = [(title, [])]
    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            heading = match.group(2).strip()
            if len(match.group(1)) == 1 and heading == title and not any(sections[-1][1]):
                continue
            sections.append((heading, []))
        else:
            sections[-1][1].append(line)
    return [(h, _plain("\n".join(lines)).strip()) for h, lines in sections]


def chunk_markdown(body: str, title: str, max_chars: int = CHUNK_CHARS) -> list[Chunk]:
    """Chunks along headings, then whole sentences packed up to ``max_chars``."""
    parts = [(heading, sentences(text) if text else []) for heading, text in _sections(body, title)]
    return _pack(parts, max_chars)


def _pack(sections: list[tuple[str, list[tuple[int, int, str]]]], max_chars: int) -> list[Chunk]:
    """Whole sentences of each section packed into chunks of up to ``max_chars``."""
    chunks: list[Chunk] = []
    for heading, found in sections:
        current = ""
        for _, _, sentence in found:
            sentence = " ".join(sentence.split())
            if current and len(current) + 1 + len(sentence) > max_chars:
                chunks.append(Chunk(heading, current))
                current = ""
            current = f"{current} {sentence}".strip()
        if current:
            chunks.append(Chunk(heading, current))
    return chunks


class _HtmlText(HTMLParser):
    """Collects an HTML page's title and its visible text, headings kept as Markdown headings."""

    _BLOCKS = {"p", "div", "li", "br", "tr", "section", "article", "ul", "ol", "table", "header"}
    _SKIP = {"script", "style", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.h1 = ""
        self.parts: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack.append(tag)
        if tag in self._BLOCKS:
            self.parts.append("\n")
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n" + "#" * int(tag[1]) + " ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass
        if tag in self._BLOCKS or re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if any(t in self._SKIP for t in self._stack):
            return
        if "title" in self._stack:
            self.title += data
            return
        if "h1" in self._stack:
            self.h1 += data
        self.parts.append(data.replace("\n", " "))


def _html(raw: str) -> tuple[dict[str, Any], str]:
    parser = _HtmlText()
    parser.feed(raw)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    body = "\n".join(line for line in lines if line)
    title = " ".join(parser.title.split()) or " ".join(parser.h1.split())
    return ({"title": title} if title else {}), body
