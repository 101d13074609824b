"""Rendering a macro's body: jinja2 in a sandbox, with only the variables a macro may use.

A macro body may use ``{{ customer.name }}``, ``{{ customer.plan }}``, ``{{ agent.name }}``,
``{{ company }}`` and ``{{ article('refunds') }}`` (the help-center URL of that article, in the
macro's language where a translation exists). Anything else is refused when the macro is saved,
and a variable that cannot be filled when it is inserted is a one-line :class:`MacroError`
naming the macro and the variable. The sandbox keeps a team's macro from reaching Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from assistant.errors import InputError

FIELDS: dict[str, tuple[str, ...]] = {"customer": ("name", "plan"), "agent": ("name",)}
"""The objects a macro can read and their attributes."""
NAMES = frozenset({*FIELDS, "company", "article"})
"""Every top-level name a macro may use."""
SAMPLE = {
    "ko": {"customer": {"name": "김하루", "plan": "Plus"}, "agent": {"name": "서지우"}},
    "en": {"customer": {"name": "Alex Kim", "plan": "Plus"}, "agent": {"name": "Jiwoo Seo"}},
}
"""What a macro is checked with when it is saved (no real customer at hand)."""


class MacroError(InputError):
    """A macro that cannot be saved or rendered: bad syntax, an unknown variable, an article
    the help center does not have. The message names the macro (or file and line) itself."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.where = where


@dataclass
class HelpCenter:
    """The help center as macros see it: article URLs by doc id and by translation key."""

    urls: dict[str, str] = field(default_factory=dict)
    by_key: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_documents(cls, docs: list[dict[str, Any]]) -> HelpCenter:
        """Built from :meth:`assistant.knowledge.KnowledgeBase.documents`."""
        from assistant.knowledge.files import translation_key

        hc = cls()
        for d in docs:
            doc_id, url = str(d.get("doc_id", "")), str(d.get("url", ""))
            if not doc_id or not url:
                continue
            hc.urls[doc_id] = url
            key = str(d.get("key") or "") or translation_key(doc_id)
            hc.by_key.setdefault(key, {})[str(d.get("lang") or "")] = url
        return hc

    def known_urls(self) -> set[str]:
        """Every article URL (the checker's F7 list)."""
        return set(self.urls.values())

    def url(self, key: str, lang: str) -> str | None:
        """The URL of article ``key`` (a doc id or its translation key), ``lang``'s version first."""
        if key in self.urls:
            return self.urls[key]
        versions = self.by_key.get(key)
        if not versions:
            return None
        return versions.get(lang) or next(iter(sorted(versions.items())))[1]


_ENV = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
)


def _parse(name: str, body: str) -> nodes.Template:
    try:
        return _ENV.parse(body)
    except TemplateSyntaxError as exc:
        raise MacroError(
            f"macro {name!r}: template error on line {exc.lineno}: {exc.message}", where=name
        ) from None


def articles_in(name: str, body: str) -> list[str]:
    """The article keys ``body`` links with ``article('…')`` (literal keys only)."""
    keys = []
    for call in _parse(name, body).find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "article":
            if len(call.args) != 1 or not isinstance(call.args[0], nodes.Const):
                raise MacroError(
                    f"macro {name!r}: article() takes one quoted article id", where=name
                )
            keys.append(str(call.args[0].value))
    return keys


def validate(name: str, body: str) -> None:
    """Refuse a body with bad syntax or a variable a macro cannot have (one line each)."""
    tree = _parse(name, body)
    for ref in tree.find_all(nodes.Name):
        if ref.ctx == "load" and ref.name not in NAMES:
            raise MacroError(f"macro {name!r}: unknown variable {ref.name!r}", where=name)
    for attr in tree.find_all(nodes.Getattr):
        if isinstance(attr.node, nodes.Name) and attr.node.name in FIELDS:
            if attr.attr not in FIELDS[attr.node.name]:
                var = f"{attr.node.name}.{attr.attr}"
                raise MacroError(f"macro {name!r}: unknown variable {var!r}", where=name)
    articles_in(name, body)


def render(
    name: str,
    body: str,
    *,
    lang: str,
    help_center: HelpCenter,
    customer: dict[str, Any],
    agent: dict[str, Any],
    company: str,
) -> str:
    """The macro's text for this customer and agent; :class:`MacroError` (one line, naming the
    macro and the variable or article) when something cannot be filled."""
    validate(name, body)

    def article(key: str) -> str:
        url = help_center.url(str(key), lang)
        if url is None:
            raise MacroError(
                f"macro {name!r}: no help-center article {str(key)!r}", where=f"{name}.article"
            )
        return url

    objects = {"customer": customer, "agent": agent}
    for attr in _parse(name, body).find_all(nodes.Getattr):
        if isinstance(attr.node, nodes.Name) and attr.node.name in FIELDS:
            if not objects[attr.node.name].get(attr.attr):
                var = f"{attr.node.name}.{attr.attr}"
                raise MacroError(f"macro {name!r}: {var} is not known here", where=name)
    context = {**objects, "company": company, "article": article}
    try:
        return _ENV.from_string(body).render(context).strip()
    except UndefinedError as exc:
        raise MacroError(f"macro {name!r}: variable not set: {exc.message}", where=name) from None
    except SecurityError as exc:
        raise MacroError(f"macro {name!r}: not allowed in a macro: {exc}", where=name) from None
