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
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from assistant.errors import InputError
from assistant.evals.suites import Run, Stats


class Summariser:
    """The run summary, built one row at a time (rows are not kept)."""

    def __init__(self) -> None:
        self.suites: dict[str, dict[str, Any]] = {}
        self.cases = 0
        self.passed = 0

    def add(self, row: dict[str, Any]) -> None:
        """Count one case row."""
        block = self.suites.setdefault(row["suite"], {}).setdefault(row["variant"], _empty())
        self.cases += 1
        self.passed += int(row["pass"])
        block["cases"] += 1
        block["passed"] += int(row["pass"])
        block["score_sum"] += row["score"]
        usage = row["output"].get("usage") or {}
        block["cost_usd"] += float(usage.get("cost_usd") or 0.0)
        if usage.get("latency_ms") is not None:
            block["latency_sum"] += float(usage["latency_ms"])
            block["latency_n"] += 1
        for a in row["assertions"]:
            kind = block["assertions"].setdefault(a["type"], {"n": 0, "passed": 0})
            kind["n"] += 1
            kind["passed"] += int(a["pass"])

    def result(self, stats: Stats) -> dict[str, Any]:
        """Per suite and variant: cases, passed, pass rate, mean score, assertions, cost,
        latency; and the totals."""
        suites: dict[str, dict[str, Any]] = {}
        for suite, variants in self.suites.items():
            for variant, raw in variants.items():
                block = dict(raw)
                n, lat_n = block["cases"], block.pop("latency_n")
                block["pass_rate"] = round(block["passed"] / n, 4) if n else 0.0
                block["score"] = round(block.pop("score_sum") / n, 4) if n else 0.0
                lat = block.pop("latency_sum")
                block["latency_ms_mean"] = round(lat / lat_n, 1) if lat_n else 0.0
                block["cost_usd"] = round(block["cost_usd"], 6)
                suites.setdefault(suite, {})[variant] = block
        return {
            "suites": suites,
            "cases": self.cases,
            "passed": self.passed,
            "model_calls": stats.model_calls,
            "cache_hits": stats.cache_hits,
        }


def summarise(rows: Iterable[dict[str, Any]], stats: Stats) -> dict[str, Any]:
    """Per suite and variant: cases, passed, pass rate, mean score, assertions, cost, latency."""
    acc = Summariser()
    for row in rows:
        acc.add(row)
    return acc.result(stats)


def _empty() -> dict[str, Any]:
    return {
        "cases": 0,
        "passed": 0,
        "score_sum": 0.0,
        "cost_usd": 0.0,
        "latency_sum": 0.0,
        "latency_n": 0,
        "assertions": {},
    }


class RowFile(Sequence[dict[str, Any]]):
    """The rows of a results folder's ``cases.jsonl``, read from disk each time they are
    iterated (one line at a time), so a run of any size is never held in memory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._len: int | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if not self.path.is_file():
            return
        with self.path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        where = f"{self.path}:{number}"
                        raise InputError(f"malformed results ({exc.msg})", where=where) from None

    def __len__(self) -> int:
        if self._len is None:
            self._len = sum(1 for _ in self)
        return self._len

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        rows = list(self) if isinstance(index, slice) or index < 0 else None
        if rows is not None:
            return rows[index]
        for i, row in enumerate(self):
            if i == index:
                return row
        raise IndexError(index)


def new_run_id() -> str:
    """A sortable id for a results folder: ``20251120-093015``."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def new_run_dir(parent: Path) -> Path:
    """A new, empty results folder under ``parent`` named by :func:`new_run_id` (with a
    ``-2``, ``-3`` … suffix when a run started in the same second)."""
    parent.mkdir(parents=True, exist_ok=True)
    base = new_run_id()
    for n in range(1, 1000):
        path = parent / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise InputError("too many runs started this second", where=str(parent))


def stable_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row without what changes from run to run (latency, cache state), for diffable files."""
    output = dict(row["output"])
    output.pop("cached", None)
    usage = dict(output.get("usage") or {})
    usage.pop("latency_ms", None)
    output["usage"] = usage
    return {**row, "output": output}


def row_line(row: dict[str, Any]) -> str:
    """One line of ``cases.jsonl`` (without its newline)."""
    return json.dumps(stable_row(row), ensure_ascii=False, sort_keys=True)


def write_results(run: Run, out_dir: Path) -> Path:
    """Write ``config.json`` and ``summary.json`` to ``out_dir``, and ``cases.jsonl`` unless the
    run's rows were already streamed there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    config = {k: v for k, v in run.config.items() if k != "created"}
    (out_dir / "config.json").write_text(_dumps(config) + "\n", encoding="utf-8")
    target = out_dir / "cases.jsonl"
    rows = run.rows
    if not (isinstance(rows, RowFile) and rows.path.resolve() == target.resolve()):
        tmp = target.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(row_line(row) + "\n")
        tmp.replace(target)
    summary = {k: v for k, v in run.summary.items() if k not in ("model_calls", "cache_hits")}
    (out_dir / "summary.json").write_text(_dumps(summary) + "\n", encoding="utf-8")
    return out_dir


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def load_results(path: Path) -> Run:
    """Read a results folder back (its rows stay on disk, read as they are iterated); a
    missing or malformed one is an InputError."""
    path = Path(path)
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        if not (path / "cases.jsonl").is_file():
            raise FileNotFoundError(2, "missing", str(path / "cases.jsonl"))
    except FileNotFoundError as exc:
        raise InputError(
            f"not an eval results folder ({Path(exc.filename).name} missing)", where=str(path)
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed results ({exc.msg})", where=str(path)) from None
    return Run(config, RowFile(path / "cases.jsonl"), summary)


def row_key(row: dict[str, Any]) -> tuple[str, str, str, int]:
    """What identifies a row across runs: suite, case, variant and repeat."""
    return row["suite"], row["case"], row["variant"], int(row.get("repeat") or 0)


def compare(current: Run, baseline: Run) -> dict[str, Any]:
    """Regressions and improvements per assertion, and pass-rate changes per suite × variant.
    Both runs are read row by row; of the baseline only each assertion's label, verdict and
    reason are kept."""
    before = {
        row_key(r): [(a["label"], bool(a["pass"]), a["reason"]) for a in r["assertions"]]
        for r in baseline.rows
    }
    regressed: list[dict[str, Any]] = []
    improved: list[dict[str, Any]] = []
    compared = 0
    for row in current.rows:
        old = before.get(row_key(row))
        if old is None:
            continue
        compared += 1
        for i, ((label, was, reason), b) in enumerate(zip(old, row["assertions"], strict=False)):
            if label != b["label"]:
                continue
            entry = {
                "suite": row["suite"],
                "case": row["case"],
                "variant": row["variant"],
                "assertion": b["label"],
                "index": i,
                "before": reason,
                "after": b["reason"],
            }
            if was and not b["pass"]:
                regressed.append(entry)
            elif b["pass"] and not was:
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
