"""CI gate: every eval suite, run with the offline drafter and the mock model on prompts v1 and
v2, must not regress against the committed baseline (``evals/results/baseline/``).

Refresh the baseline on purpose, after checking what changed, with::

    reply-assistant eval --prompt v1 --prompt v2 --model offline --model mock/follow \\
        --out evals/results/baseline
"""

from __future__ import annotations

from pathlib import Path

from assistant.evals import BASELINE_DIR as BASELINE
from assistant.evals import available_suites, run_eval


def test_no_regression_against_the_committed_baseline(demo_data: Path, tmp_path: Path) -> None:
    from assistant.config import load_settings

    settings = load_settings(data_dir=demo_data)
    outcome = run_eval(
        settings,
        [],
        ["v1", "v2"],
        ["offline", "mock/follow"],
        out_dir=tmp_path / "run",
        baseline=BASELINE,
    )
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
