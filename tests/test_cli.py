"""The command-line contract of DESIGN.md: JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main


def run(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for command in ("init", "ingest", "search", "triage", "check", "draft", "customers"):
        assert command in out


def test_triage_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["triage", "--json", "I want a refund for the duplicate charge"], capsys)
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"language", "situations", "sentiment", "urgency"}
    assert data["language"] == "en" and "S2" in data["situations"]
    assert -1 <= data["sentiment"] <= 1 and data["urgency"] in {"high", "normal", "low"}


def test_check_refund_refusal_exits_1_with_f4(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(
        ["check", "-", "--channel", "chat", "--json"],
        capsys,
        stdin="환불은 불가합니다.",
        monkeypatch=monkeypatch,
    )
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    f4 = [f for f in data["findings"] if f["rule"] == "F4"]
    assert f4 and f4[0]["severity"] == "error"
    assert set(f4[0]) == {"rule", "severity", "span", "quote", "message", "fix"}
    start, end = f4[0]["span"]
    assert "환불은 불가합니다."[start:end] == f4[0]["quote"]


def test_check_good_draft_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text(
        "Hi Oliver, I'm Jiwoo from Haru Notes support. Thank you for letting us know your notes stopped "
        "syncing, and I'm sorry for the trouble. I have asked our developers to look into it and will "
        "update you within one business day.",
        encoding="utf-8",
    )
    message = tmp_path / "msg.txt"
    message.write_text("My notes stopped syncing", encoding="utf-8")
    code, out, _ = run(
        ["check", str(draft), "--lang", "en", "--customer-message", str(message), "--json"], capsys
    )
    data = json.loads(out)
    assert code == 0 and data["ok"] is True


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check", "missing.txt"], "missing.txt"),
        (["check", "-", "--channel", "fax"], "--channel"),
        (["search", "   "], "query"),
        (["search", "password"], "reply-assistant init"),
        (["draft", "hello", "--customer", "cus_x"], "init"),
        (["customers", "import", "nope.jsonl"], "nope.jsonl"),
        (["triage", ""], "message"),
        (["search", "x", "-k", "0"], "-k"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str],
    needle: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(args, capsys, stdin="draft text", monkeypatch=monkeypatch)
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "Traceback" not in err


def test_malformed_settings_file_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("model = \n", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    code, _, err = run(["settings"], capsys)
    assert code == 2 and str(config) in err


def test_draft_search_and_customers_on_demo_data(
    demo_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["search", "비밀번호를 잊어버렸어요", "--json"], capsys)
    assert code == 0
    results = json.loads(out)["results"]
    assert results and set(results[0]) == {"doc_id", "title", "url", "score", "snippet"}
    assert "password" in results[0]["doc_id"]

    code, out, _ = run(
        ["draft", "--json", "--customer", "cus_ko_minji", "앱에서 결제하면 화면이 멈춰요"], capsys
    )
    assert code == 0
    data = json.loads(out)
    assert {
        "draft",
        "language",
        "situations",
        "sources",
        "findings",
        "model",
        "prompt_version",
    } <= set(data)
    assert data["language"] == "ko" and data["draft"].startswith("김민지")
    assert not [f for f in data["findings"] if f["severity"] == "error"]

    code, out, _ = run(
        ["draft", "--json", "--channel", "x", "I was charged twice, refund please"], capsys
    )
    data = json.loads(out)
    assert code == 0 and data["sources"]

    code, out, _ = run(["customers", "list", "--json"], capsys)
    assert len(json.loads(out)["customers"]) >= 12


def test_help_is_fast_enough_to_not_import_heavy_modules() -> None:
    code = (
        "import sys; import assistant.cli; "
        "heavy = [m for m in ('litellm', 'chromadb', 'kiwipiepy', 'numpy', 'pydantic_settings') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


def test_measure_prints_the_labelled_set_scores(
    demo_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["measure", "retrieval", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["overall"]["n"] >= 40
    assert data["overall"]["hit@3"] >= 0.95 and data["overall"]["hit@1"] >= 0.8
    code, out, _ = run(["measure", "triage", "--json"], capsys)
    data = json.loads(out)
    assert data["language_accuracy"] == 1.0 and data["situation_accuracy"] >= 0.9
    code, out, _ = run(["measure", "checker", "--json"], capsys)
    data = json.loads(out)
    assert data["recall"] >= 0.95 and data["false_alarm_rate"] <= 0.05
    assert min(r["recall"] for r in data["per_rule"].values()) >= 0.85
    code, _, err = run(["measure", "nothing"], capsys)
    assert code == 2 and "nothing" in err
