"""Measure the playbook checker on a labelled corpus (``evals/checker.jsonl``).

Each line: ``{"id", "lang", "channel", "text", "expect": [...], "forbid": [...]}`` and optionally
``customer_message``, ``situations`` (default: none, so results do not depend on triage),
``customer`` (a Customer as JSON), ``system_prompt`` and ``known_urls``. Lines without
``known_urls`` use ``checker_urls.txt`` next to the corpus (one URL a line) when it exists.
An ``expect`` rule found is a hit, missed is a miss; a ``forbid`` rule found is a false alarm.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.evals.labelled import read_cases
from assistant.models import Customer


def load_cases(cases_path: Path) -> list[dict[str, Any]]:
    """The corpus lines as dicts; a bad line raises ``InputError`` naming file and line."""
    return read_cases(cases_path, ("id", "text"))


def _shared_urls(cases_path: Path) -> set[str] | None:
    path = Path(cases_path).with_name("checker_urls.txt")
    if not path.exists():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return {u.strip() for u in lines if u.strip() and not u.startswith("#")}


def run_case(case: dict[str, Any], shared_urls: set[str] | None) -> set[str]:
    """The rule ids the checker finds on one case."""
    from assistant.playbook import check

    urls = case.get("known_urls")
    customer = case.get("customer")
    result = check(
        case["text"],
        channel=case.get("channel", "email"),
        lang=case.get("lang"),
        customer_message=case.get("customer_message"),
        customer=Customer.model_validate(customer) if customer else None,
        known_urls=set(urls) if urls is not None else shared_urls,
        situations=list(case.get("situations", [])),
        system_prompt=case.get("system_prompt"),
    )
    return {f.rule for f in result.findings}


def evaluate_checker(cases_path: Path) -> dict[str, Any]:
    """Per-rule precision/recall, overall recall and false-alarm rate, and every miss.

    ``per_rule[rule]``: ``tp`` (expected and found), ``fn`` (expected, not found), ``fp``
    (forbidden, found), ``tn`` (forbidden, not found), ``precision`` = tp/(tp+fp) and
    ``recall`` = tp/(tp+fn) (None without data). ``misses`` lists ``{"id", "rule", "kind"}``
    with kind ``missed`` or ``false_alarm``.
    """
    shared = _shared_urls(cases_path)
    counts: dict[str, dict[str, int]] = {}
    misses: list[dict[str, str]] = []
    for case in load_cases(cases_path):
        found = run_case(case, shared)
        for rule in case.get("expect", []):
            c = counts.setdefault(rule, {"tp": 0, "fn": 0, "fp": 0, "tn": 0})
            hit = rule in found
            c["tp" if hit else "fn"] += 1
            if not hit:
                misses.append({"id": case["id"], "rule": rule, "kind": "missed"})
        for rule in case.get("forbid", []):
            c = counts.setdefault(rule, {"tp": 0, "fn": 0, "fp": 0, "tn": 0})
            alarm = rule in found
            c["fp" if alarm else "tn"] += 1
            if alarm:
                misses.append({"id": case["id"], "rule": rule, "kind": "false_alarm"})
    return _summary(counts, misses, len(load_cases(cases_path)))


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _summary(
    counts: dict[str, dict[str, int]], misses: list[dict[str, str]], n: int
) -> dict[str, Any]:
    per_rule = {
        rule: {
            **c,
            "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
            "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
        }
        for rule, c in sorted(counts.items())
    }
    tp = sum(c["tp"] for c in counts.values())
    fn = sum(c["fn"] for c in counts.values())
    fp = sum(c["fp"] for c in counts.values())
    tn = sum(c["tn"] for c in counts.values())
    return {
        "cases": n,
        "recall": _ratio(tp, tp + fn),
        "false_alarm_rate": _ratio(fp, fp + tn),
        "precision": _ratio(tp, tp + fp),
        "per_rule": per_rule,
        "misses": misses,
    }
