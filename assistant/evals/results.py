"""Eval results on disk and their comparison with a baseline.

A run directory (``evals/results/<run-id>/``) holds ``config.json`` (suites, variants, the
fixed date), ``cases.jsonl`` (one row per case × variant: the output, each assertion's
outcome, pass and score) and ``summary.json`` (per suite and variant: cases, passed,
pass rate, mean score, per-assertion pass counts, cost and latency).

A *regression* is an assertion that passed in the baseline and fails now, for the same
suite, case, variant and assertion; an *improvement* is the reverse. Only cases present in
both runs are compared.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.evals.suites import Run, Stats


def summarise(rows: list[dict[str, Any]], stats: Stats) -> dict[str, Any]:
    """Per suite and variant: cases, passed, pass rate, mean score, assertions, cost, latency."""
    suites: dict[str, dict[str, Any]] = {}
    for row in rows:
        block = suites.setdefault(row["suite"], {}).setdefault(row["variant"], _empty())
        block["cases"] += 1
        block["passed"] += int(row["pass"])
        block["score_sum"] += row["score"]
        usage = row["output"].get("usage") or {}
        block["cost_usd"] += float(usage.get("cost_usd") or 0.0)
        block["latency_ms"].append(float(usage.get("latency_ms") or 0.0))
        for a in row["assertions"]:
            kind = block["assertions"].setdefault(a["type"], {"n": 0, "passed": 0})
            kind["n"] += 1
            kind["passed"] += int(a["pass"])
    for variants in suites.values():
        for block in variants.values():
            n = block["cases"]
            block["pass_rate"] = round(block["passed"] / n, 4) if n else 0.0
            block["score"] = round(block.pop("score_sum") / n, 4) if n else 0.0
            lat = block.pop("latency_ms")
            block["latency_ms_mean"] = round(sum(lat) / len(lat), 1) if lat else 0.0
            block["cost_usd"] = round(block["cost_usd"], 6)
    return {
        "suites": suites,
        "cases": len(rows),
        "passed": sum(int(r["pass"]) for r in rows),
        "model_calls": stats.model_calls,
        "cache_hits": stats.cache_hits,
    }


def _empty() -> dict[str, Any]:
    return {
        "cases": 0,
        "passed": 0,
        "score_sum": 0.0,
        "cost_usd": 0.0,
        "latency_ms": [],
        "assertions": {},
    }


def new_run_id() -> str:
    """A sortable id for a results folder: ``20251120-093015``."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def write_results(run: Run, out_dir: Path) -> Path:
    """Write ``config.json``, ``cases.jsonl`` and ``summary.json`` to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    config = {k: v for k, v in run.config.items() if k != "created"}
    (out_dir / "config.json").write_text(_dumps(config) + "\n", encoding="utf-8")
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in _stable(run.rows)]
    (out_dir / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = {k: v for k, v in run.summary.items() if k not in ("model_calls", "cache_hits")}
    (out_dir / "summary.json").write_text(_dumps(summary) + "\n", encoding="utf-8")
    return out_dir


def _stable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without what changes from run to run (latency, cache state), for diffable files."""
    out = []
    for row in rows:
        output = dict(row["output"])
        output.pop("cached", None)
        usage = dict(output.get("usage") or {})
        usage.pop("latency_ms", None)
        output["usage"] = usage
        out.append({**row, "output": output})
    return out


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def load_results(path: Path) -> Run:
    """Read a results folder back; a missing or malformed one is an InputError."""
    path = Path(path)
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        lines = (path / "cases.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
    except FileNotFoundError as exc:
        raise InputError(
            f"not an eval results folder ({Path(exc.filename).name} missing)", where=str(path)
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed results ({exc.msg})", where=str(path)) from None
    return Run(config, rows, summary)


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return row["suite"], row["case"], row["variant"]


def compare(current: Run, baseline: Run) -> dict[str, Any]:
    """Regressions and improvements per assertion, and pass-rate changes per suite × variant."""
    before = {_key(r): r for r in baseline.rows}
    regressed: list[dict[str, Any]] = []
    improved: list[dict[str, Any]] = []
    compared = 0
    for row in current.rows:
        old = before.get(_key(row))
        if old is None:
            continue
        compared += 1
        for i, (a, b) in enumerate(zip(old["assertions"], row["assertions"], strict=False)):
            if a["label"] != b["label"]:
                continue
            entry = {
                "suite": row["suite"],
                "case": row["case"],
                "variant": row["variant"],
                "assertion": b["label"],
                "index": i,
                "before": a["reason"],
                "after": b["reason"],
            }
            if a["pass"] and not b["pass"]:
                regressed.append(entry)
            elif b["pass"] and not a["pass"]:
                improved.append(entry)
    return {
        "compared": compared,
        "regressed": regressed,
        "improved": improved,
        "pass_rates": _rate_changes(current.summary, baseline.summary),
    }


def _rate_changes(now: dict[str, Any], then: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for suite, variants in now.get("suites", {}).items():
        for variant, block in variants.items():
            old = then.get("suites", {}).get(suite, {}).get(variant)
            if old is None:
                continue
            out.append(
                {
                    "suite": suite,
                    "variant": variant,
                    "before": old["pass_rate"],
                    "after": block["pass_rate"],
                    "delta": round(block["pass_rate"] - old["pass_rate"], 4),
                }
            )
    return out
