"""Measure triage against a labelled set (``evals/triage.jsonl``): one JSON object a line with
``id, text, language, situations, sentiment ("neg"/"neu"/"pos"), urgency, spam``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.evals.labelled import read_cases
from assistant.models import SITUATIONS, Triage

POLARITY_THRESHOLD = 0.2
_REQUIRED = ("id", "text", "language", "situations", "sentiment", "urgency")


def polarity(score: float) -> str:
    """``"neg"``, ``"neu"`` or ``"pos"`` for a sentiment score."""
    if score <= -POLARITY_THRESHOLD:
        return "neg"
    if score >= POLARITY_THRESHOLD:
        return "pos"
    return "neu"


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The labelled cases of ``path``; a malformed line is an :class:`InputError` naming it."""
    return read_cases(path, tuple(_REQUIRED))


def evaluate_triage(
    cases_path: Path, classify: Callable[[str], Triage] | None = None
) -> dict[str, Any]:
    """Score triage on a labelled set.

    Returns ``cases``, ``language_accuracy``, ``situation_accuracy`` (exact set, spam counted
    right when flagged as spam), ``per_situation`` (precision/recall/support for S1–S8 and
    ``spam``), ``sentiment_accuracy`` (polarity), ``urgency_accuracy`` and ``misses`` (one
    entry per case with any field wrong).
    """
    if classify is None:
        from assistant.triage import triage

        classify = triage
    cases = load_cases(cases_path)
    hits = {"language": 0, "situations": 0, "sentiment": 0, "urgency": 0}
    counts = {k: {"tp": 0, "fp": 0, "fn": 0} for k in (*SITUATIONS, "spam")}
    misses = []
    for case in cases:
        got = classify(case["text"])
        expected_labels = _labels(case["situations"], bool(case.get("spam", False)))
        got_labels = _labels(got.situations, got.spam)
        _count(counts, expected_labels, got_labels)
        right = {
            "language": got.language == case["language"],
            "situations": expected_labels == got_labels,
            "sentiment": polarity(got.sentiment) == case["sentiment"],
            "urgency": got.urgency == case["urgency"],
        }
        for key, ok in right.items():
            hits[key] += ok
        if not all(right.values()):
            misses.append(_miss(case, got, [k for k, ok in right.items() if not ok]))
    total = max(len(cases), 1)
    return {
        "cases": len(cases),
        "language_accuracy": round(hits["language"] / total, 3),
        "situation_accuracy": round(hits["situations"] / total, 3),
        "sentiment_accuracy": round(hits["sentiment"] / total, 3),
        "urgency_accuracy": round(hits["urgency"] / total, 3),
        "per_situation": {k: _precision_recall(c) for k, c in counts.items()},
        "misses": misses,
    }


def _labels(situations: list[str], spam: bool) -> frozenset[str]:
    return frozenset({"spam"}) if spam else frozenset(situations)


def _count(
    counts: dict[str, dict[str, int]], expected: frozenset[str], got: frozenset[str]
) -> None:
    for label in counts:
        if label in expected and label in got:
            counts[label]["tp"] += 1
        elif label in got:
            counts[label]["fp"] += 1
        elif label in expected:
            counts[label]["fn"] += 1


def _precision_recall(c: dict[str, int]) -> dict[str, float | int]:
    predicted = c["tp"] + c["fp"]
    actual = c["tp"] + c["fn"]
    return {
        "precision": round(c["tp"] / predicted, 3) if predicted else 1.0,
        "recall": round(c["tp"] / actual, 3) if actual else 1.0,
        "support": actual,
    }


def _miss(case: dict[str, Any], got: Triage, wrong: list[str]) -> dict[str, Any]:
    return {
        "id": case["id"],
        "text": case["text"],
        "wrong": wrong,
        "expected": {k: case.get(k) for k in ("language", "situations", "sentiment", "urgency")}
        | {"spam": bool(case.get("spam", False))},
        "got": got.model_dump() | {"polarity": polarity(got.sentiment)},
    }
