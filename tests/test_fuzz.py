"""Bad input everywhere: hypothesis feeds malformed knowledge files (front matter), customer
JSONL files and TOML settings files to their parsers. Each either parses or raises one
InputError whose one line names the file (and line or field); no other exception escapes,
and an import or ingest that fails stores nothing."""

from __future__ import annotations

import json
import os
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.config import load_settings
from assistant.errors import InputError
from assistant.history import import_jsonl, read_jsonl
from assistant.knowledge.files import parse_file
from assistant.store import Store

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
YAMLISH = st.sampled_from(
    [
        "title:",
        "lang:",
        "url:",
        "tags:",
        "id:",
        " ",
        "\n",
        ":",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "'",
        '"',
        "&a",
        "*a",
        "!!python/object:os.system",
        "!!binary",
        "? ",
        "|",
        ">",
        "#",
        "ko",
        "en",
        "fr",
        "2026-02-30",
        "2026-11-23",
        "~",
        "null",
        "yes",
        "1e400",
        "0x1F",
        "하루노트",
        "---",
        "...",
        "\t",
        "%YAML 1.2",
        "<<: *a",
        "@",
        "`",
        "\x00",
        "\ufeff",
    ]
)
TEXTISH = st.text(alphabet=string.printable + "가나다라하루노트 —", max_size=60)


def _one_line(err: InputError, where: str) -> None:
    message = str(err)
    assert "\n" not in message and message.strip(), message
    assert where in message, message


def _markdown(draw: st.DrawFn) -> str:
    head = draw(st.lists(st.one_of(YAMLISH, TEXTISH), max_size=25))
    close = draw(st.sampled_from(["---\n", "...\n", "", "--\n"]))
    body = draw(
        st.sampled_from(["# 제목\n\n본문 내용입니다.\n", "Plain body text here.\n", "", "#\n"])
    )
    return "---\n" + "".join(head) + "\n" + close + body


markdown_files = st.composite(_markdown)()


@FUZZ
@given(raw=st.one_of(markdown_files, st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
@example(raw="---\ntitle: T\ndate: 2026-02-30\n---\n# T\nbody\n")
@example(raw="---\ntitle: [unclosed\n---\nbody\n")
@example(raw="---\ntitle: !!python/object/apply:os.system ['echo hi']\n---\nbody\n")
@example(raw="---\n- a\n- b\n---\nbody\n")
@example(raw="---\ntitle: T\nlang: ko\n")
@example(raw="---\ntitle: {a: 1}\n---\nbody\n")
@example(raw="---\n" + "[" * 2000 + "\n---\nbody\n")
def test_front_matter_parses_or_names_the_file(tmp_path: Path, raw: str) -> None:
    root = tmp_path / "kb"
    root.mkdir(exist_ok=True)
    path = root / "article.md"
    path.write_text(raw, encoding="utf-8", errors="surrogatepass")
    try:
        doc = parse_file(path, root)
    except InputError as err:
        _one_line(err, str(path))
        return
    assert doc.title and doc.lang in {"ko", "en"} and doc.chunks


def _jsonish() -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXTISH)
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(TEXTISH, inner, max_size=4)
        ),
        max_leaves=12,
    )


GOOD = {"id": "cus_1", "name": "김민지", "language": "ko"}
FIELDS = [
    "id",
    "name",
    "email",
    "phone",
    "language",
    "plan",
    "since",
    "tags",
    "notes",
    "promises",
    "conversations",
]


@st.composite
def _customer_line(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(TEXTISH)
    if kind == 1:
        return json.dumps(draw(_jsonish()))
    mutated = dict(GOOD)
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        mutated[key] = draw(_jsonish())
    line = json.dumps(mutated, ensure_ascii=False)
    return line[: draw(st.integers(0, len(line)))] if kind == 3 else line


@FUZZ
@given(lines=st.lists(_customer_line(), min_size=1, max_size=4))
@example(lines=['{"id": "c1", "name": "A", "since": "2026-02-30"}'])
@example(lines=['{"id": "c1", "name": "A", "conversations": [{"id": "x"}, {"id": "x"}]}'])
@example(lines=['{"id": "c1", "name": "A"}', '{"id": "c1", "name": "B"}'])
@example(lines=["[" * 5000])
@example(lines=['{"id": "c1", "name": "A", "promises": [{"what": "x", "due": "soon"}]}'])
def test_customer_jsonl_reads_or_names_the_line(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "customers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        parsed = read_jsonl(path)
    except InputError as err:
        _one_line(err, f"{path}:")
        return
    assert all(c.id.strip() and c.name.strip() for _, c in parsed)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('fuzzdb') / 'records.db'}")
    store.migrate()
    return store


@FUZZ
@given(bad=_customer_line())
def test_a_bad_line_imports_nothing(tmp_path: Path, empty_store: Store, bad: str) -> None:
    path = tmp_path / "import.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + bad + "\n", encoding="utf-8")
    try:
        read_jsonl(path)
    except InputError:
        with pytest.raises(InputError):
            import_jsonl(empty_store, path)
        with empty_store.engine.connect() as conn:
            from sqlalchemy import func, select

            from assistant.store import customers

            assert conn.execute(select(func.count()).select_from(customers)).scalar_one() == 0


SETTING_KEYS = st.sampled_from(
    [
        "model",
        "top_k",
        "temperature",
        "max_retries",
        "fallback_models",
        "ui_language",
        "redact_pii",
        "request_timeout",
        "chroma_url",
        "data_dir",
        "unknown_key",
        "assistant",
    ]
)
TOML_VALUES = st.sampled_from(
    [
        '"openai/gpt-4o-mini"',
        "0",
        "-3",
        "4",
        "1.5",
        "true",
        '"ko"',
        '"fr"',
        "[1, 2]",
        '["openai/a", "openai/b"]',
        "{ a = 1 }",
        "1979-05-27",
        '"""multi\nline"""',
        "'x'",
        "nan",
        "inf",
        '"\\u00e9"',
        "",
        "[",
        '"unterminated',
        "0x10",
    ]
)


@st.composite
def _toml(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.text(max_size=80))
    header = draw(
        st.sampled_from(["", "[assistant]\n", "[other]\n", "assistant = 3\n", "[[assistant]]\n"])
    )
    pairs = draw(st.lists(st.tuples(SETTING_KEYS, TOML_VALUES), max_size=5))
    return header + "".join(f"{k} = {v}\n" for k, v in pairs)


@FUZZ
@given(raw=_toml())
@example(raw="[assistant]\ntop_k = 0\n")
@example(raw="[assistant]\nmodel = [1, 2]\n")
@example(raw="assistant = 3\n")
@example(raw="[assistant]\nmodell = 'x'\n")
@example(raw="\x00\x01")
def test_settings_file_loads_or_names_the_file_or_setting(tmp_path: Path, raw: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(raw, encoding="utf-8", errors="surrogatepass")
    previous = os.environ.get("ASSISTANT_CONFIG")
    os.environ["ASSISTANT_CONFIG"] = str(path)
    try:
        load_settings()
    except InputError as err:
        message = str(err)
        assert "\n" not in message and (str(path) in message or "setting " in message), message
    finally:
        if previous is None:
            os.environ.pop("ASSISTANT_CONFIG", None)
        else:
            os.environ["ASSISTANT_CONFIG"] = previous


def test_a_bad_knowledge_file_ingests_nothing(tmp_path: Path) -> None:
    from assistant.knowledge import KnowledgeBase

    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "good.md").write_text("---\ntitle: 동기화\nlang: ko\n---\n# 동기화\n\n본문입니다.\n")
    (folder / "zz-bad.md").write_text("---\ntitle: Bad\nupdated: 2026-02-30\n---\nbody\n")
    kb = KnowledgeBase(load_settings(data_dir=tmp_path / "data"))
    with pytest.raises(InputError, match=r"zz-bad\.md:2: malformed front matter"):
        kb.ingest([folder])
    assert KnowledgeBase(load_settings(data_dir=tmp_path / "data")).count() == 0


def test_the_cli_reports_a_bad_settings_file_in_one_line_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    path = tmp_path / "config.toml"
    path.write_text("[assistant]\ntop_k = [[[1]]\n", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(path))
    with pytest.raises(SystemExit) as code:
        main(["settings"])
    err = capsys.readouterr().err
    assert code.value.code == 2
    assert err.count("\n") == 1 and str(path) in err and "not valid TOML" in err
