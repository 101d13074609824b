"""Offline prompt evaluations: assertion semantics, the mock model, the matrix, the cache,
baseline comparison, and the HTML report rendered in a real Chromium."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from assistant import evals
from assistant.errors import InputError
from assistant.evals.assertions import Assertion, Context, Output, evaluate
from assistant.evals.results import compare, load_results, write_results
from assistant.llm.mock import ResponseCache, mock_reply
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_browser
from tests.fakellm import FakeLLM

KB_URL = "https://help.harunotes.example/ko/articles/refunds"
REPLY_KO = f"안녕하세요, 김민지 고객님. 환불 방법은 {KB_URL} 에서 확인하실 수 있습니다. 감사합니다."


def _check(kind: str, value: Any, out: Output, **options: Any) -> bool:
    ctx = Context(known_urls={KB_URL}, case_language=options.pop("case_language", None))
    return evaluate(Assertion(kind, value, options=options), out, ctx).passed


def _out(text: str = REPLY_KO, **kw: Any) -> Output:
    return Output(text=text, **kw)


@pytest.mark.parametrize(
    ("kind", "value", "good", "bad", "options"),
    [
        ("rule_present", ["F4"], _out(rules=["F4", "R2"]), _out(rules=["R2"]), {}),
        ("rule_absent", ["F*"], _out(rules=["R2"]), _out(rules=["F7"]), {}),
        ("rule_absent", ["R*"], _out(rules=["F1"]), _out(rules=["R5"]), {}),
        ("contains", ["환불", "감사"], _out(), _out("환불만 있습니다"), {}),
        ("contains", "THANK", _out("thank you"), _out("sorry"), {"ignore_case": True}),
        ("not_contains", ["@"], _out(), _out("메일 a@b.example 로"), {}),
        ("regex", r"https://\S+", _out(), _out("링크 없음"), {}),
        ("regex", r"\d{3}-\d{4}-\d{4}", _out(), _out("010-1234-5678"), {"negate": True}),
        ("language", "ko", _out(), _out("Thanks for writing in, we will help."), {}),
        ("max_length", 60, _out("짧은 답변입니다."), _out("가" * 61), {}),
        ("links_in_kb", None, _out(), _out("see https://help.harunotes.example/en/nope"), {}),
        ("retrieved", ["ko/refunds"], _out(retrieved=["a", "ko/refunds"]), _out(), {}),
        ("situations", ["S2"], _out(situations=["S2"]), _out(situations=["S2", "S1"]), {}),
        ("cost_max", 0.01, _out(usage={"cost_usd": 0.001}), _out(usage={"cost_usd": 0.2}), {}),
        ("latency_max", 500, _out(usage={"latency_ms": 20}), _out(usage={"latency_ms": 900}), {}),
    ],
)
def test_each_assertion_passes_and_fails_when_it_should(
    kind: str, value: Any, good: Output, bad: Output, options: dict[str, Any]
) -> None:
    assert _check(kind, value, good, **dict(options))
    assert not _check(kind, value, bad, **dict(options))


def test_max_length_counts_like_x_and_uses_the_channel_limit_by_default() -> None:
    korean = "가" * 150  # 150 characters, but X counts Hangul double: 300 > 280
    assert not _check("max_length", None, _out(korean, channel="x"))
    assert _check("max_length", None, _out(korean, channel="instagram"))
    assert _check("max_length", None, _out(korean * 10, channel="email"))


def test_language_defaults_to_the_case_language_and_scores_have_thresholds() -> None:
    assert not _check("language", None, _out("Hello there, thanks!"), case_language="ko")
    partial = Assertion("situations", ["S1", "S4"], threshold=0.5)
    result = evaluate(partial, _out(situations=["S4"]), Context())
    assert result.passed and result.score == pytest.approx(0.5)
    hit = evaluate(Assertion("retrieved", ["b"]), _out(retrieved=["a", "b"]), Context())
    assert hit.passed and hit.score == pytest.approx(0.5)  # hit@3, MRR-style score
    first = Assertion("retrieved", ["b"], threshold=1.0)
    assert not evaluate(first, _out(retrieved=["a", "b"]), Context()).passed
    beyond = Assertion("retrieved", ["c"], options={"k": 2})
    assert not evaluate(beyond, _out(retrieved=["a", "b", "c"]), Context()).passed


def test_unknown_assertion_type_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match="unknown assertion type 'containz'"):
        Assertion.parse({"type": "containz", "value": "x"}, "suite.yaml case a")


def test_llm_judge_scores_through_litellm_mock_and_is_cached(tmp_path: Path) -> None:
    from assistant.config import load_settings
    from assistant.evals.judge import make_judge

    stats = evals.Stats()
    cache = ResponseCache(tmp_path / "cache.sqlite")
    judge = make_judge(load_settings(), cache, stats, "ko")
    rubric = "답변이 고객에게 사과하고 다음 단계를 안내하면 1점입니다."
    good = Assertion(
        "llm_judge",
        rubric,
        options={"model": "openai/judge", "mock_response": '{"score": 0.9, "reason": "사과함"}'},
    )
    bad = Assertion(
        "llm_judge",
        rubric,
        options={"model": "openai/judge", "mock_response": '{"score": 0.3, "reason": "없음"}'},
    )
    first = evaluate(good, _out(), Context(judge=judge))
    assert first.passed and first.score == pytest.approx(0.9) and first.reason == "사과함"
    assert not evaluate(bad, _out(), Context(judge=judge)).passed
    assert stats.model_calls == 2
    evaluate(good, _out(), Context(judge=judge))
    assert stats.model_calls == 2 and stats.cache_hits == 1


def test_mock_judge_reads_the_rubric_and_the_reply_from_the_prompt(tmp_path: Path) -> None:
    from assistant.config import load_settings
    from assistant.evals.judge import make_judge

    stats = evals.Stats()
    judge = make_judge(load_settings(), ResponseCache(tmp_path / "c.sqlite"), stats, "en")
    rubric = 'The reply says "sorry" and gives "two business days".'
    half = Assertion("llm_judge", rubric, options={"model": "mock/judge"})
    result = evaluate(half, _out("We are sorry for the trouble."), Context(judge=judge))
    assert (result.score, result.passed) == (0.5, False)
    assert result.reason == "missing 'two business days'"
    assert stats.model_calls == 1  # through litellm's mock, parsed as a Judgement


def _render(version: str, channel: str, language: str = "ko") -> list[dict[str, str]]:
    from assistant import playbook, prompts

    return prompts.render(
        "draft_reply",
        version,
        message="결제가 두 번 됐어요. 하나는 환불해 주세요. 정말 화가 나네요.",
        language=language,
        channel=channel,
        char_limit=playbook.channel_limit(channel),
        customer=None,
        history="",
        sources=[{"title": "환불", "url": KB_URL, "text": "환불 정책"}],
        situations=["S1", "S2"],
        required=playbook.required_moves(["S1", "S2"], channel),
        style=None,
        feedback=[],
        today="2025-11-20",
        agent_name="서지우",
        company="하루노트",
    )


def test_mock_follows_what_the_prompt_states_v2_fits_x_in_korean() -> None:
    from assistant.playbook import count_chars

    v1 = mock_reply(_render("v1", "x"), "x")
    v2 = mock_reply(_render("v2", "x"), "x")
    assert len(v1) <= 280 < count_chars(v1, "x")  # v1 states 280 characters: counted naively
    assert count_chars(v2, "x") <= 280  # v2 says how X counts: the mock counts the same way
    assert "DM" in v1 and "DM" in v2  # both say the reply is public
    email = mock_reply(_render("v1", "email"), "email")
    assert email.startswith("안녕하세요") and email.endswith("하루노트 고객지원팀")
    assert KB_URL in email and "죄송" in email and "감사" in email
    assert mock_reply(_render("v1", "email"), "email") == email  # deterministic


def test_matrix_expands_prompts_times_models_with_offline_once() -> None:
    variants = evals.matrix(["v1", "draft_reply@v2", "v1"], ["offline", "mock/a", "openai/x"])
    assert [v.id for v in variants] == [
        "offline",
        "v1 × mock/a",
        "v2 × mock/a",
        "v1 × openai/x",
        "v2 × openai/x",
    ]
    assert [v.id for v in evals.matrix([], [])] == ["offline"]
    with pytest.raises(InputError, match="v9"):
        evals.matrix(["v9"], ["mock/a"])


def test_suite_files_validate_with_file_and_case(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - id: a\n    message: hi\n    channel: fax\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown channel 'fax'") as err:
        evals.load_suite(bad)
    assert "case a" in str(err.value)
    broken = tmp_path / "broken.yaml"
    broken.write_text("cases: [\n  - id: a", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        evals.load_suite(broken)
    with pytest.raises(InputError, match="no eval suite named 'nope'"):
        evals.load_suite("nope")


def test_shipped_suites_have_the_promised_sizes_and_coverage() -> None:
    situations = evals.load_suite("situations")
    assert len(situations.cases) >= 40
    expected = {s for c in situations.cases for a in c.asserts if a.type == "situations"
                for s in a.value}  # fmt: skip
    assert expected >= {f"S{i}" for i in range(1, 9)}
    assert {c.lang for c in situations.cases} == {"ko", "en"}
    social = evals.load_suite("social")
    assert len(social.cases) >= 20
    assert {c.channel for c in social.cases} >= {"x", "instagram", "review"}
    assert evals.load_suite("retrieval").target == "retrieve"
    checker = evals.load_suite("checker")
    assert checker.target == "check" and len(checker.cases) >= 50


def _tiny_suite(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "name: tiny\ndefaults:\n  assert:\n    - {type: language}\n"
        "cases:\n"
        "  - id: ko-refund\n    lang: ko\n    message: 결제가 두 번 됐어요. 환불해 주세요.\n"
        "    assert: [{type: situations, value: [S2]}]\n"
        "  - id: en-howto\n    lang: en\n    channel: chat\n"
        "    message: How do I export my notes to PDF?\n",
        encoding="utf-8",
    )
    return path


def test_second_run_is_served_from_the_cache_without_model_calls(
    demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.config import load_settings

    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    settings = load_settings(data_dir=demo_data)
    suite = evals.load_suite(_tiny_suite(tmp_path))
    variants = evals.matrix(["v2"], ["openai/fake"])
    reply = "Hi, thank you for writing in. I'm sorry for the trouble; we will help you shortly."
    with FakeLLM(default=reply) as fake:
        fast = settings.model_copy(update={"api_base": fake.api_base, "max_retries": 0})
        first = evals.run_suites([suite], variants, fast)
        assert len(fake.requests) == 2 and first.stats.model_calls == 2
        second = evals.run_suites([suite], variants, fast)
        assert len(fake.requests) == 2  # nothing reached the model
        assert second.stats.model_calls == 0 and second.stats.cache_hits == 2
    assert [r["output"]["text"] for r in second.rows] == [reply, reply]
    assert first.rows[0]["output"]["usage"]["prompt_tokens"] == 120  # the recorded usage
    assert second.rows[0]["output"]["usage"] == first.rows[0]["output"]["usage"]


def _row(case: str, passed: bool, reason: str, variant: str = "offline") -> dict[str, Any]:
    return {
        "suite": "s",
        "case": case,
        "variant": variant,
        "message": "<b>고객</b> 메시지",
        "channel": "email",
        "customer": None,
        "output": {"text": f"reply to {case} <script>alert(1)</script>", "rules": [],
                   "retrieved": [], "usage": {}, "error": None},
        "assertions": [{"label": "language ko", "type": "language", "pass": passed,
                        "score": float(passed), "weight": 1.0, "reason": reason}],
        "pass": passed,
        "score": float(passed),
    }  # fmt: skip


def _run(rows: list[dict[str, Any]]) -> evals.Run:
    from assistant.evals.results import summarise

    return evals.Run({"suites": ["s"], "today": "2025-11-20"}, rows, summarise(rows, evals.Stats()))


def test_a_worse_result_is_reported_as_a_regression(tmp_path: Path) -> None:
    baseline = _run([_row("a", True, "reply is ko"), _row("b", False, "reply is en")])
    current = _run([_row("a", False, "reply is en"), _row("b", True, "reply is ko")])
    write_results(baseline, tmp_path / "base")
    result = compare(current, load_results(tmp_path / "base"))
    assert [(r["case"], r["before"], r["after"]) for r in result["regressed"]] == [
        ("a", "reply is ko", "reply is en")
    ]
    assert [r["case"] for r in result["improved"]] == ["b"]
    assert result["pass_rates"][0]["delta"] == 0.0
    same = compare(baseline, load_results(tmp_path / "base"))
    assert same["regressed"] == [] and same["improved"] == []
    with pytest.raises(InputError, match="not an eval results folder"):
        load_results(tmp_path / "missing")


class _Page(HTMLParser):
    """The elements and the visible text of an HTML page, as a browser's parser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_report_shows_markup_in_replies_and_names_as_text(tmp_path: Path) -> None:
    from assistant.evals.report import write_html

    row = _row("<i>case</i>", False, "reason <img src=x onerror=alert(2)>", "v1 <b>×</b> mock/a")
    row["output"]["rules"] = ["<F2>"]
    run = _run([row, _row("plain", True, "reply is ko", "v1 <b>×</b> mock/a")])
    page = _Page()
    page.feed(write_html(run, tmp_path / "report.html", compare(run, run)).read_text("utf-8"))
    tags = [tag for tag, _ in page.tags]
    assert "script" not in tags and "img" not in tags and "b" not in tags and "i" not in tags
    assert not [a for _, attrs in page.tags for k, a in attrs.items() if k in {"src", "href"}]
    text = "".join(page.text)
    assert "reply to <i>case</i> <script>alert(1)</script>" in text  # shown, not run
    assert "<b>고객</b> 메시지" in text and "reason <img src=x onerror=alert(2)>" in text
    assert "v1 <b>×</b> mock/a" in text and "rules <F2>" in text and "<i>case</i>" in text
    assert tags.count("table") == 3 and "svg" in tags and "style" in tags


def test_html_report_renders_side_by_side_in_chromium(tmp_path: Path) -> None:
    from assistant.evals.report import write_html

    require_browser()
    rows = [
        _row("refund-ko", True, "reply is ko", "v1 × mock/a"),
        _row("refund-ko", False, "reply is en", "v2 × mock/a"),
        _row("sync-en", True, "reply is en", "v1 × mock/a"),
        _row("sync-en", True, "reply is en", "v2 × mock/a"),
    ]
    run = _run(rows)
    baseline = _run([_row("refund-ko", True, "reply is ko", "v2 × mock/a")])
    page_path = write_html(run, tmp_path / "report.html", compare(run, baseline))
    source = page_path.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in source and "&lt;script&gt;" in source
    assert "http://" not in source.replace("http://www.w3.org/2000/svg", "")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(page_path.as_uri())
        table = page.locator("table.side-by-side")
        assert table.is_visible()
        headers = table.locator("tr").first.locator("th").all_inner_texts()
        assert headers == ["case", "v1 × mock/a", "v2 × mock/a"]
        assert table.locator("span.badge.fail").count() == 1
        assert table.locator("span.badge.pass").count() == 3
        assert page.locator("svg.chart rect").count() >= 2
        assert "1 regressed" in page.locator("#baseline + p").inner_text()
        page.screenshot(path=str(ARTIFACTS / "eval_report.png"), full_page=True)
        browser.close()


def test_cli_eval_bad_suite_is_exit_2_and_json_run_writes_results(
    demo_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    with pytest.raises(SystemExit) as bad:
        main(["eval", "nope"])
    err = capsys.readouterr().err
    assert bad.value.code == 2 and "no eval suite named 'nope'" in err and "Traceback" not in err
    out = tmp_path / "results"
    with pytest.raises(SystemExit) as done:
        main(
            ["eval", str(_tiny_suite(tmp_path)), "--model", "mock/a", "--prompt", "v2",
             "--out", str(out), "--json", "--data-dir", str(demo_data)]
        )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert doc["results_dir"] == str(out)
    assert doc["summary"]["cases"] == 2
    assert (out / "cases.jsonl").read_text(encoding="utf-8").count("\n") == 2
    assert done.value.code == doc["exit_code"] == (0 if doc["summary"]["passed"] == 2 else 1)
