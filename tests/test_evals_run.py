"""Eval runs as a user drives them: the budget stop and --resume, repeats served from the cache,
--filter, promptfoo configs, and the report of a run too large to show in full."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant import evals
from assistant.errors import InputError
from assistant.evals import RunOptions, run_eval
from assistant.evals.assertions import Context, Output, evaluate
from tests.fakellm import FakeLLM

REPLY = "Hi, thank you for writing in. I'm sorry for the trouble; we will help you shortly."
PRICED = "openai/gpt-4o-mini"
"""A model litellm prices from its local cost map (the fake server reports 120 + 40 tokens)."""


def _suite(tmp_path: Path, n: int = 4) -> Path:
    lines = ["name: small", "cases:"]
    for i in range(n):
        tag = "refund" if i % 2 == 0 else "howto"
        lines += [
            f"  - id: case-{i}",
            "    lang: en",
            f"    tags: [{tag}]",
            f"    message: My notes stopped syncing after the update, case {i}. Please help.",
            "    assert: [{type: language}]",
        ]
    path = tmp_path / "small.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _settings(data: Path, fake: FakeLLM) -> Any:
    from assistant.config import load_settings

    return load_settings(data_dir=data, api_base=fake.api_base, max_retries=0)


def _rows(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_budget_stops_before_it_is_exceeded_and_resume_finishes_without_asking_again(
    demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    suite, out = _suite(tmp_path), tmp_path / "run"
    with FakeLLM(default=REPLY) as fake:
        settings = _settings(demo_data, fake)
        first = run_eval(settings, [str(suite)], ["v2"], [PRICED], out_dir=out,
                         options=RunOptions(concurrency=4, max_cost=0.0001))  # fmt: skip
        summary = first.run.summary
        # each call costs 0.000042: two fit in 0.0001, a third would not
        assert summary["stopped"] == "budget" and summary["remaining"] == 2
        assert len(fake.requests) == 2 and first.exit_code == 1
        spent = summary["suites"]["small"]["v2 × openai/gpt-4o-mini"]["cost_usd"]
        assert 0 < spent <= 0.0001
        assert len(_rows(out)) == 2
        second = run_eval(settings, [], [], [], options=RunOptions(resume=out))
    assert len(fake.requests) == 4  # only the two rows not answered were asked
    assert second.results_dir == out and "stopped" not in second.run.summary
    assert second.run.summary["cases"] == 4
    assert sorted(r["case"] for r in _rows(out)) == [f"case-{i}" for i in range(4)]
    assert not (out / "run.json").exists()  # finished: nothing left to resume
    with pytest.raises(InputError, match="nothing to resume"):
        run_eval(settings, [], [], [], options=RunOptions(resume=out))


def test_repeat_asks_each_repeat_once_and_serves_every_repeat_from_the_cache_next_time(
    demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    suite = _suite(tmp_path, 2)
    with FakeLLM(default=REPLY) as fake:
        settings = _settings(demo_data, fake)
        opts = RunOptions(concurrency=4, repeat=3)
        first = run_eval(settings, [str(suite)], ["v2"], ["openai/fake"], options=opts)
        assert len(fake.requests) == 6 and first.run.summary["model_calls"] == 6
        second = run_eval(settings, [str(suite)], ["v2"], ["openai/fake"], options=opts)
    assert len(fake.requests) == 6  # the second run asked nothing
    assert second.run.summary["cache_hits"] == 6 and second.run.summary["cases"] == 6
    repeats = sorted((r["case"], r["repeat"]) for r in second.run.rows)
    assert repeats == [(f"case-{i}", r) for i in range(2) for r in range(3)]


def test_filter_picks_cases_by_id_glob_or_tag(demo_data: Path, tmp_path: Path) -> None:
    suite = str(_suite(tmp_path))
    from assistant.config import load_settings

    settings = load_settings(data_dir=demo_data)
    by_tag = run_eval(settings, [suite], [], ["mock/a"], options=RunOptions(filters=["howto"]))
    assert sorted(r["case"] for r in by_tag.run.rows) == ["case-1", "case-3"]
    by_id = run_eval(settings, [suite], [], ["mock/a"], options=RunOptions(filters=["case-[02]"]))
    assert sorted(r["case"] for r in by_id.run.rows) == ["case-0", "case-2"]
    with pytest.raises(InputError, match="no case matches"):
        run_eval(settings, [suite], [], ["mock/a"], options=RunOptions(filters=["nothing"]))


PROMPTFOO = """\
description: Refund replies
prompts:
  - v1
  - file://prompts/draft_reply/v2.md.j2
  - "Answer the customer: {{message}}"
providers:
  - mock/a
  - id: openai:chat:gpt-4o-mini
    config: {temperature: 0.2}
outputPath: results.json
defaultTest:
  vars: {channel: email}
  assert:
    - type: not-contains
      value: "{{forbidden}}"
    - type: rule_absent
      value: ["F*"]
    - type: links_in_kb
  options:
    provider: mock/judge
tests:
  - description: refund-ko
    vars:
      message: "결제가 두 번 됐어요. 환불해 주세요."
      lang: ko
      forbidden: "ignore previous instructions"
    assert:
      - {type: contains, value: "고객님"}
      - {type: icontains, value: "THANK"}
      - {type: regex, value: "\\\\d"}
      - {type: equals, value: "exactly this"}
      - {type: is-json}
      - {type: llm-rubric, value: 'The reply says "환불"', threshold: 0.5}
      - {type: javascript, value: "output.length > 3"}
      - {type: max_length, value: 2000}
"""


def test_promptfoo_config_maps_onto_a_draft_suite_and_names_what_it_ignores(
    tmp_path: Path,
) -> None:
    from assistant.evals import promptfoo

    path = tmp_path / "promptfooconfig.yaml"
    path.write_text(PROMPTFOO, encoding="utf-8")
    assert promptfoo.is_config(str(path))
    imported = promptfoo.load(path)
    assert imported.prompts == ["draft_reply@v1", "draft_reply@v2"]
    assert imported.models == ["mock/a", "openai/gpt-4o-mini"]
    (case,) = imported.suite.cases
    assert (case.id, case.lang, case.channel) == ("refund-ko", "ko", "email")
    kinds = [(a.type, a.value, a.options) for a in case.asserts]
    assert ("contains", "고객님", {"ignore_case": False}) in kinds
    assert ("contains", "THANK", {"ignore_case": True}) in kinds
    assert ("not_contains", "ignore previous instructions", {"ignore_case": False}) in kinds
    assert ("regex", "\\d", {"negate": False}) in kinds
    assert ("equals", "exactly this", {"negate": False}) in kinds
    assert ("is_json", None, {"negate": False}) in kinds
    assert ("llm_judge", 'The reply says "환불"', {"model": "mock/judge"}) in kinds
    assert {"rule_absent", "links_in_kb", "max_length"} <= {k for k, _, _ in kinds}
    assert "javascript" not in {k for k, _, _ in kinds}
    notes = "\n".join(imported.ignored)
    assert "assert type javascript: not supported" in notes
    assert "outputPath: not used" in notes and "providers[2].config: not used" in notes
    assert "prompts[3]: raw prompt text not used" in notes
    assert "vars.forbidden: not used" in notes


@pytest.mark.parametrize(
    ("kind", "value", "options", "good", "bad"),
    [
        ("equals", "exactly this", {}, "exactly this", "not this"),
        ("equals", {"a": 1}, {}, '{"a": 1}', '{"a": 2}'),
        ("is_json", None, {}, '{"ok": true}', "plain words"),
        ("is_json", None, {"negate": True}, "plain words", "[1, 2]"),
    ],
)
def test_equals_and_is_json(
    kind: str, value: Any, options: dict[str, Any], good: str, bad: str
) -> None:
    from assistant.evals.assertions import Assertion

    a = Assertion(kind, value, options=options)
    assert evaluate(a, Output(text=good), Context()).passed
    assert not evaluate(a, Output(text=bad), Context()).passed


def test_cli_runs_a_promptfoo_config_and_says_what_it_ignored(
    demo_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    path = tmp_path / "promptfooconfig.yaml"
    path.write_text(PROMPTFOO.replace("  - id: openai:chat:gpt-4o-mini\n    config: {temperature: 0.2}\n", ""),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(SystemExit):
        main(["eval", str(path), "--json", "--data-dir", str(demo_data)])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["summary"]["cases"] == 2  # one test × v1, v2 on mock/a
    assertions = doc["summary"]["suites"]["promptfooconfig"]["v1 × mock/a"]["assertions"]
    assert {"contains", "regex", "equals", "is_json", "llm_judge", "rule_absent"} <= set(assertions)
    assert any("javascript" in line for line in doc["ignored"])
    assert "ignored: assert type javascript: not supported, skipped" in captured.err
    assert "results_dir" in doc


def test_report_of_a_large_run_read_from_disk_shows_the_first_cases_and_the_failed_rows_in_chromium(
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    from assistant.evals.report import write_html
    from assistant.evals.results import load_results, summarise, write_results
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_browser

    require_browser()
    rows = []
    for i in range(30):
        for variant in ("a", "b"):
            passed = i % 5 != 0
            rows.append({
                "suite": "s", "case": f"c{i:02d}", "variant": variant, "message": "m",
                "channel": "email", "customer": None, "pass": passed, "score": float(passed),
                "output": {"text": "reply", "rules": [], "retrieved": [], "usage": {}, "error": None},
                "assertions": [{"label": "language ko", "type": "language", "pass": passed,
                                "score": float(passed), "weight": 1.0, "reason": "why"}],
            })  # fmt: skip
    run = evals.Run({"suites": ["s"], "today": "2025-11-20"}, rows, summarise(rows, evals.Stats()))
    folder = write_results(run, tmp_path / "run")
    page_path = write_html(load_results(folder), tmp_path / "report.html", limit=10)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(page_path.as_uri())
        assert "showing the first 10 of 30 cases" in page.locator("p.shown").inner_text()
        shown = page.locator("table.side-by-side .case-id").all_inner_texts()
        assert shown == [f"c{i:02d}" for i in range(10)]
        failed = page.locator("table.failed td.case-id").all_inner_texts()
        assert failed == [c for c in ("c10", "c15", "c20", "c25") for _ in "ab"]
        browser.close()


def test_model_calls_in_a_second_process_answer_rows_and_report_failures(
    demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.evals.runner import Controls

    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    suite = evals.load_suite(_suite(tmp_path, 3))
    variants = evals.matrix(["v2"], ["openai/fake"])
    with FakeLLM(default=REPLY) as fake:
        fake.enqueue_fault(400, body='{"error": {"message": "bad request"}}')
        settings = _settings(demo_data, fake)
        ctl = Controls(concurrency=1, model_process=True, callers=1)
        run = evals.run_suites([suite], variants, settings, controls=ctl)
    rows = {r["case"]: r for r in run.rows}
    assert len(fake.requests) == 3 and run.summary["model_calls"] == 2
    assert rows["case-0"]["output"]["error"] and not rows["case-0"]["pass"]
    assert rows["case-1"]["output"]["text"] == rows["case-2"]["output"]["text"] == REPLY
