"""CI gate: every eval suite, run with the offline drafter and the mock model on prompts v1, v2
and v3, must not regress against the committed baseline (``evals/results/baseline/``), and every
prompt template must be rendered by at least one case of that run.

Refresh the baseline on purpose, after checking what changed, with::

    reply-assistant eval --prompt v1 --prompt v2 --prompt v3 --model offline --model mock/follow \\
        --out evals/results/baseline
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant import prompts
from assistant.evals import BASELINE_DIR as BASELINE
from assistant.evals import EvalOutcome, available_suites, run_eval

_RUN: dict[str, Any] = {}


def _ci_run(demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EvalOutcome:
    """The CI run, made once per session by whichever test asks first (inside that test, so
    the network guard and the isolated settings apply); it notes every template it renders."""
    if not _RUN:
        from assistant.config import load_settings

        rendered: set[str] = set()
        render, render_text = prompts.render, prompts.render_text

        def noting_render(name: str, version: str, /, **ctx: Any) -> list[dict[str, str]]:
            rendered.add(f"{name}@{version}")
            return render(name, version, **ctx)

        def noting_render_text(name: str, version: str, /, **ctx: Any) -> str:
            rendered.add(f"{name}@{version}")
            return render_text(name, version, **ctx)

        monkeypatch.setattr(prompts, "render", noting_render)
        monkeypatch.setattr(prompts, "render_text", noting_render_text)
        outcome = run_eval(
            load_settings(data_dir=demo_data),
            [],
            ["v1", "v2", "v3"],
            ["offline", "mock/follow"],
            out_dir=tmp_path / "run",
            baseline=BASELINE,
        )
        _RUN.update(outcome=outcome, rendered=rendered)
    outcome: EvalOutcome = _RUN["outcome"]
    return outcome


def test_no_regression_against_the_committed_baseline(
    demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = _ci_run(demo_data, tmp_path, monkeypatch)
    comparison = outcome.comparison
    assert comparison is not None
    assert set(outcome.run.summary["suites"]) == set(available_suites())
    drafted = [r for r in outcome.run.rows if r["suite"] in ("situations", "social")]
    assert comparison["compared"] >= len(drafted)  # every drafted case has a baseline row
    lines = [
        f"{r['suite']}/{r['case']} [{r['variant']}] {r['assertion']}: {r['before']} -> {r['after']}"
        for r in comparison["regressed"]
    ]
    assert not lines, "regressed against evals/results/baseline:\n" + "\n".join(lines)
    assert outcome.exit_code == 0
    social = outcome.run.summary["suites"]["social"]
    assert social["v2 × mock/follow"]["pass_rate"] > social["v1 × mock/follow"]["pass_rate"]
    bilingual = outcome.run.summary["suites"]["bilingual"]  # v3 states the speech level
    assert bilingual["v3 × mock/follow"]["pass_rate"] == bilingual["offline"]["pass_rate"] == 1.0
    assert bilingual["v3 × mock/follow"]["pass_rate"] > bilingual["v2 × mock/follow"]["pass_rate"]
    assert outcome.run.summary["suites"]["translation"]["all"]["pass_rate"] == 1.0


def test_every_template_is_exercised_by_an_eval_case(
    demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template no eval case renders can change without any eval noticing: each one needs
    a case (a draft variant, a ``triage`` or ``judge`` suite case, an ``llm_judge`` assertion;
    an older version through ``prompt: name@version``)."""
    outcome = _ci_run(demo_data, tmp_path, monkeypatch)
    templates = {t.ref for t in prompts.all_templates()}
    missing = sorted(templates - _RUN["rendered"])
    assert not missing, f"no eval case renders {', '.join(missing)}"
    steps = [r for r in outcome.run.rows if r["suite"] in ("triage_model", "judges")]
    assert steps and all(r["output"]["error"] is None for r in steps)  # called and parsed
