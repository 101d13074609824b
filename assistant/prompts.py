"""Prompt templates: jinja2 files under ``prompts/<name>/<version>.md.j2``, StrictUndefined.

Each file starts with a header comment naming the template, its version and its
variables::

    {#- name: draft_reply
        version: v1
        variables: message, language, channel, ...
        description: one line -#}

and defines ``{% block system %}`` and ``{% block user %}``; ``render()`` returns the
chat messages. A released version is never edited: a new version is a new file.
Templates are looked up in the team's prompts folder (setting ``prompts_dir``) first, then in
the shipped ones (:mod:`assistant.resources`).
Customer text always goes through the ``data`` filter, which fences it so that a
customer cannot close the block it sits in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant import resources
from assistant.errors import InputError

_HEADER = re.compile(r"\{#-?(.*?)-?#\}", re.S)
_FENCE = re.compile(
    r"<\s*/?\s*(customer_message|history|sources|playbook|findings|agent_edit|message|draft"
    r"|channel|situations|rubric|reply)[^>]*>",
    re.I,
)


@dataclass(frozen=True)
class TemplateInfo:
    """What a template file says of itself in its header."""

    name: str
    version: str
    variables: tuple[str, ...]
    description: str
    path: Path

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


def fence(text: object) -> str:
    """Neutralise anything in customer text that looks like one of our block delimiters."""
    return _FENCE.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), str(text))


def _env() -> Any:
    return _env_for(tuple(str(f) for f in resources.prompt_folders()))


@lru_cache(maxsize=4)
def _env_for(folders: tuple[str, ...]) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(list(folders)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )
    env.filters["data"] = fence
    return env


def parse_ref(ref: str) -> tuple[str, str]:
    """``"draft_reply@v2"`` → ``("draft_reply", "v2")``; a bare name means its latest version."""
    name, _, version = ref.partition("@")
    if not name:
        raise InputError("empty prompt name", where="prompt")
    return name, version or latest(name)


def versions(name: str) -> list[str]:
    """Versions of a template, oldest first (``v1``, ``v2``, ...)."""
    found: set[str] = set()
    for folder in (f / name for f in resources.prompt_folders()):
        found.update(_versions_in(str(folder), _changed(folder)))  # a new file changes the folder
    if not found:
        raise InputError(f"no prompt templates named {name!r}", where="prompt")
    return sorted(found, key=_version_number)


def _version_number(version: str) -> int:
    return int(re.sub(r"\D", "", version) or 0)


@lru_cache(maxsize=128)
def _versions_in(folder: str, changed: int) -> tuple[str, ...]:
    return tuple(p.name.split(".")[0] for p in Path(folder).glob("v*.md.j2"))


def latest(name: str) -> str:
    """The newest version of a template."""
    return versions(name)[-1]


def info(name: str, version: str) -> TemplateInfo:
    """The header of one template file."""
    for folder in resources.prompt_folders():
        path = folder / name / f"{version}.md.j2"
        if path.is_file():
            return _info_of(name, version, path, _changed(path))
    raise InputError(f"unknown prompt version {name}@{version}", where="prompt")


def _changed(path: Path) -> int:
    """When ``path`` last changed (ns), the key that renews the caches below; -1 if missing."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


@lru_cache(maxsize=128)
def _info_of(name: str, version: str, path: Path, changed: int) -> TemplateInfo:
    match = _HEADER.search(path.read_text(encoding="utf-8"))
    fields: dict[str, str] = {}
    for line in (match.group(1) if match else "").splitlines():
        key, sep, value = line.strip().partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    variables = tuple(v.strip() for v in fields.get("variables", "").split(",") if v.strip())
    return TemplateInfo(name, version, variables, fields.get("description", ""), path)


def all_templates() -> list[TemplateInfo]:
    """Every template: the shipped ones and the team's own."""
    folders = [f for f in resources.prompt_folders() if f.is_dir()]
    names = sorted({p.name for f in folders for p in f.iterdir() if p.is_dir()})
    return [info(n, v) for n in names for v in versions(n)]


def render(name: str, version: str, /, **ctx: Any) -> list[dict[str, str]]:
    """Render a template to chat messages (system, then user). Missing variables raise."""
    meta = info(name, version)
    missing = [v for v in meta.variables if v not in ctx]
    if missing:
        raise InputError(f"missing variable {missing[0]!r}", where=meta.ref)
    template = _env().get_template(f"{name}/{version}.md.j2")
    context = template.new_context(ctx)
    messages = []
    for role in ("system", "user"):
        if role in template.blocks:
            content = "".join(template.blocks[role](context)).strip()
            messages.append({"role": role, "content": content})
    return messages


def render_text(template_name: str, version: str, /, **ctx: Any) -> str:
    """Render a single-block template (``{% block text %}``) to plain text."""
    template = _env().get_template(f"{template_name}/{version}.md.j2")
    return "".join(template.blocks["text"](template.new_context(ctx))).strip()
