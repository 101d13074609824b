"""Guards: channels, platforms, styles and the brand are declared once, in ``assistant.config``,
and everything else imports them; every setting has help text and is documented in the README;
every UI string has a Korean and an English text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pydantic import Field

from assistant import config
from assistant.ui import i18n

REPO = Path(__file__).resolve().parent.parent
CODE = sorted([*REPO.glob("assistant/**/*.py"), REPO / "app.py", *REPO.glob("pages/*.py")])
KNOWN_VOCABULARY = {("assistant/bulk/clusters.py", "하루노트")}
"""Brand words inside matching vocabularies (the clusters' stop words; triage's and the
required moves' patterns hold them inside larger regexes): word lists tuned on the labelled
sets, with spelling variants, rather than declarations of the brand."""


def _strings(tree: ast.AST) -> list[ast.Constant]:
    """Every string constant of a module that is not a docstring."""
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def _redeclared(source: str, where: str) -> list[str]:
    """Lists of channels or styles, and brand values, spelled out in a module's ``source``."""
    tree = ast.parse(source)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) >= 2:
            values = {e.value for e in node.elts if isinstance(e, ast.Constant)}
            if len(values) == len(node.elts):
                for name, declared in (("CHANNELS", config.CHANNELS), ("STYLES", config.STYLES)):
                    if values <= set(declared):
                        found.append(f"{where}:{node.lineno} lists {name} values {sorted(values)}")
    brand = config.DEFAULT_BRAND
    domains = (brand.own_domain, brand.own_domain.replace(".", r"\."))
    for node in _strings(tree):
        if (where, node.value) in KNOWN_VOCABULARY:
            continue
        if node.value in (brand.company, brand.company_ko) or any(d in node.value for d in domains):
            found.append(f"{where}:{node.lineno} spells out the brand: {node.value[:60]!r}")
    return found


def test_channels_platforms_styles_and_the_brand_are_declared_only_in_config() -> None:
    found = [
        f
        for path in CODE
        if path != REPO / "assistant" / "config.py"
        for f in _redeclared(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    ]
    assert found == []


def test_the_guard_sees_a_second_declaration() -> None:
    source = (
        '"""Docstrings may name harunotes.example."""\n'
        'PUBLIC = frozenset({"x", "instagram"})\nSTYLE = ["warmer", "formal"]\n'
        'DOMAIN = r"@harunotes\\.example$"\nNAME = "하루노트"\nOTHER = ("x", "y")\n'
    )
    assert len(_redeclared(source, "probe.py")) == 4


def test_declared_values_agree() -> None:
    from assistant.bulk.io import PLATFORM_ALIASES
    from assistant.playbook.channel import LIMITS
    from assistant.ui.i18n import STRINGS

    assert config.CHANNELS == config.PRIVATE_CHANNELS + config.PUBLIC_CHANNELS
    assert not set(config.PRIVATE_CHANNELS) & set(config.PUBLIC_CHANNELS)
    assert set(config.PLATFORMS) <= set(config.CHANNELS)
    assert set(PLATFORM_ALIASES.values()) == set(config.PLATFORMS)
    assert set(LIMITS) <= set(config.CHANNELS)
    assert set(config.STYLES) <= set(STRINGS)  # each style button has its label
    settings = config.load_settings()
    assert settings.brand == config.DEFAULT_BRAND == config.brand()


def test_the_command_line_help_names_the_declared_channels_and_styles() -> None:
    """``assistant.cli`` imports no settings at start-up, so its help spells the lists out."""
    import typer.main

    from assistant.cli import app

    expected = {"channel": set(config.CHANNELS), "style": set(config.STYLES)}
    seen = 0
    for command in typer.main.get_command(app).commands.values():  # type: ignore[attr-defined]
        for param in command.params:
            if param.name in expected:
                assert set(re.findall(r"[a-z]+", param.help or "")) - {"or"} == expected[param.name]
                seen += 1
    assert seen >= 3


# -- settings: help text and the README -------------------------------------------------------


def _without_help(settings: type[config.Settings]) -> list[str]:
    return [
        name
        for name, field in settings.model_fields.items()
        if not (field.description or "").strip()
    ]


def _undocumented(settings: type[config.Settings], readme: str) -> list[str]:
    """Settings whose environment variable ``ASSISTANT_<NAME>`` the README never names."""
    return [
        name
        for name in settings.model_fields
        if not re.search(rf"\bASSISTANT_{name.upper()}\b", readme)
    ]


def test_every_setting_has_help_and_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(config.Settings.model_fields) >= 20
    assert _without_help(config.Settings) == []
    assert _undocumented(config.Settings, readme) == []


def test_the_settings_guards_fail_on_a_missing_help_or_mention() -> None:
    class Extra(config.Settings):
        sneaky: int = Field(1)

    assert _without_help(Extra) == ["sneaky"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert _undocumented(Extra, readme) == ["sneaky"]
    assert _undocumented(config.Settings, readme.replace("ASSISTANT_TOP_K", "")) == ["top_k"]
    without_ko = readme.replace("ASSISTANT_COMPANY_KO", "")
    assert _undocumented(config.Settings, without_ko) == ["company_ko"]


# -- UI strings: Korean and English -----------------------------------------------------------

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


def _incomplete(strings: dict[str, tuple[str, ...]]) -> list[str]:
    """Keys without exactly a non-empty Korean text (with Hangul) and English text (without)."""
    bad = []
    for key, texts in strings.items():
        ok = isinstance(texts, tuple) and len(texts) == len(i18n.LANGS) == 2
        if ok:
            ko, en = texts
            ok = all(isinstance(t, str) and t.strip() for t in texts)
            ok = ok and bool(_HANGUL.search(ko)) and not _HANGUL.search(en)
        if not ok:
            bad.append(key)
    return bad


def test_every_ui_string_has_korean_and_english() -> None:
    assert i18n.LANGS == ("ko", "en")
    assert len(i18n.STRINGS) > 100
    assert _incomplete(i18n.STRINGS) == []


def test_the_ui_string_guard_fails_on_a_missing_text() -> None:
    strings: dict[str, tuple[str, ...]] = dict(i18n.STRINGS)
    strings |= {"no_en": ("저장", ""), "one": ("저장",), "blank_ko": (" ", "Save")}
    strings |= {"swapped": ("Save", "저장")}
    assert _incomplete(strings) == ["no_en", "one", "blank_ko", "swapped"]
