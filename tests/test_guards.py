"""Guards on what is declared once: channels, platforms, styles and the brand live in
``assistant.config`` and everything else imports them."""

from __future__ import annotations

import ast
from pathlib import Path

from assistant import config

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
    import re

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
