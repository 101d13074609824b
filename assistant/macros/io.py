"""Macros as YAML, for review in git and moving between teams.

The file is ``{"macros": [{"name", "lang", "title", "body"}, ...]}``. Reading checks every
entry (and then the playbook checks every macro) before anything is stored, so a bad file
changes nothing; an error names the file, the line of the entry and the field.
"""

from __future__ import annotations

from typing import Any

import yaml

from assistant.macros import Macro, MacroError

FIELDS = ("name", "lang", "title", "body")


class _Literal(str):
    """A string dumped as a YAML block (``|``), so multi-line bodies stay readable."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def dump(macros: list[Macro]) -> str:
    """The YAML document of ``macros``."""
    items = [
        {"name": m.name, "lang": m.lang, "title": m.title, "body": _Literal(m.body + "\n")}
        for m in macros
    ]
    return yaml.dump({"macros": items}, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def load(text: str, where: str) -> list[Macro]:
    """The macros of a YAML document; :class:`MacroError` naming ``where``, line and field."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise MacroError(f"{where}{line}: not valid YAML", where=f"{where}{line}") from None
    if not isinstance(data, dict) or not isinstance(data.get("macros"), list):
        raise MacroError(f"{where}: expected a top-level 'macros:' list", where=where)
    entries = _entry_nodes(root)
    out, seen = [], set()
    for i, item in enumerate(data["macros"]):
        at = f"{where}:{entries[i].start_mark.line + 1}" if i < len(entries) else where
        out.append(_entry(item, at))
        if out[-1].name in seen:
            raise MacroError(f"{at}: macro {out[-1].name!r} appears twice", where=at)
        seen.add(out[-1].name)
    return out


def _entry_nodes(root: Any) -> list[Any]:
    for key, value in getattr(root, "value", []):
        if getattr(key, "value", None) == "macros":
            return list(getattr(value, "value", []))
    return []


def _entry(item: Any, at: str) -> Macro:
    if not isinstance(item, dict):
        raise MacroError(f"{at}: each macro is a mapping of {', '.join(FIELDS)}", where=at)
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise MacroError(f"{at}: unknown field {unknown[0]!r}", where=f"{at}.{unknown[0]}")
    for field in FIELDS:
        if not isinstance(item.get(field), str) or not item[field].strip():
            raise MacroError(f"{at}: field {field!r} is missing or empty", where=f"{at}.{field}")
    from assistant.macros import validate_fields

    try:
        validate_fields(item["name"], item["lang"], item["title"], item["body"])
    except MacroError as exc:
        raise MacroError(f"{at}: {exc}", where=at) from None
    return Macro(name=item["name"], lang=item["lang"], title=item["title"], body=item["body"])
