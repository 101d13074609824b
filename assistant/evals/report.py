"""Eval reports: a self-contained HTML page (the terminal table is in ``assistant.cli.render``).

The page is the jinja2 template ``report.html.j2`` beside this module, rendered with autoescape
on, so every piece of customer or model text is HTML-escaped. It has no external resource
(inline CSS and SVG, no script, no CDN): summary bars per suite and variant, the comparison
with a baseline (regressed and improved assertions, pass-rate changes), and per suite a
side-by-side table (one row per case, one column per variant) with the reply and every
assertion's pass/fail and reason. This module only shapes the run into plain values.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

    from assistant.evals.suites import Run

TEMPLATE = "report.html.j2"
"""The page template, shipped inside the package next to this module."""
PAGE_CASES = 200
"""Cases shown in full per suite; a report is for a person, every row is in cases.jsonl."""
_COLORS = ("#2f6fdf", "#e07b00", "#1f9d55", "#b03aa0", "#6b7280", "#c0392b")
_BAR, _GAP, _HEIGHT, _LEGEND_STEP = 18, 26, 160, 170


def _pct(value: float, signed: bool = False) -> str:
    return f"{value:+.1%}" if signed else f"{value:.1%}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("assistant.evals", "."),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = _pct
    return env


def _variants(run: Run) -> list[str]:
    seen: list[str] = []
    for blocks in run.summary.get("suites", {}).values():
        for variant in blocks:
            if variant not in seen:
                seen.append(variant)
    return seen


def _chart(run: Run) -> dict[str, Any]:
    """Geometry of the inline SVG bar chart: pass rate per suite, one bar per variant."""
    variants = _variants(run)
    bars: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    x = 40
    for suite, blocks in run.summary.get("suites", {}).items():
        start = x
        for variant, block in blocks.items():
            rate = block["pass_rate"]
            h = rate * _HEIGHT
            bars.append(
                {
                    "suite": suite,
                    "variant": variant,
                    "rate": rate,
                    "percent": round(rate * 100),
                    "color": _COLORS[variants.index(variant) % len(_COLORS)],
                    "x": x,
                    "mid": x + _BAR / 2,
                    "y": f"{10 + _HEIGHT - h:.1f}",
                    "h": f"{h:.1f}",
                    "label_y": f"{6 + _HEIGHT - h:.1f}",
                }
            )
            x += _BAR + 2
        labels.append({"suite": suite, "x": (start + x) / 2})
        x += _GAP
    legend = [
        {"variant": v, "x": 40 + i * _LEGEND_STEP, "color": _COLORS[i % len(_COLORS)]}
        for i, v in enumerate(variants)
    ]
    width = max(x, 40 + _LEGEND_STEP * len(variants))
    return {"bars": bars, "labels": labels, "legend": legend, "end": x, "width": width,
            "height": _HEIGHT, "bar": _BAR}  # fmt: skip


def _cell(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """One case × variant cell: badge, score, the reply (or what was retrieved, or the error)."""
    if row is None:
        return None
    out = row["output"]
    body = out.get("text") or ""
    if not body and out.get("retrieved"):
        body = "retrieved: " + ", ".join(out["retrieved"])
    if out.get("error"):
        body = f"error: {out['error']}"
    return {
        "badge": "pass" if row["pass"] else "fail",
        "score": row["score"],
        "extra": f" · rules {', '.join(out['rules'])}" if out.get("rules") else "",
        "body": body,
        "assertions": row["assertions"],
    }


def _table(run: Run, suite: str, limit: int) -> dict[str, Any]:
    """The side-by-side table of one suite (one row per case, one column per variant) for its
    first ``limit`` cases, and up to ``limit`` failed rows of the others; read in one pass
    over the rows, holding only what is shown."""
    variants = list(run.summary.get("suites", {}).get(suite, {}))
    firsts: dict[str, dict[str, Any]] = {}
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    failed: list[dict[str, Any]] = []
    more_failed = 0
    seen_total = 0
    for r in run.rows:
        if r["suite"] != suite:
            continue
        if r["case"] in firsts or len(firsts) < limit:
            firsts.setdefault(r["case"], r)
            by_key[(r["case"], r["variant"])] = r
        elif not r["pass"]:
            if len(failed) < limit:
                bad = [a for a in r["assertions"] if not a["pass"]]
                failed.append({"case": r["case"], "variant": r["variant"], "assertions": bad})
            else:
                more_failed += 1
        seen_total += 1
    cases = [
        {
            "id": case,
            "meta": first["channel"] + (f" · {first['customer']}" if first.get("customer") else ""),
            "message": first["message"],
            "cells": [_cell(by_key.get((case, v))) for v in variants],
        }
        for case, first in firsts.items()
    ]
    n_cases = _case_count(run, suite, seen_total, len(variants))
    return {"name": suite, "variants": variants, "cases": cases, "total": n_cases,
            "failed": failed, "more_failed": more_failed}  # fmt: skip


def _case_count(run: Run, suite: str, rows: int, variants: int) -> int:
    """Cases in a suite: its rows over its variants (and repeats)."""
    repeat = int(run.config.get("repeat") or 1)
    return rows // max(1, variants * repeat) if rows else 0


def html_report(run: Run, comparison: dict[str, Any] | None = None, limit: int = PAGE_CASES) -> str:
    """The whole report as one HTML document (per suite, the first ``limit`` cases in full)."""
    suites = list(run.summary.get("suites", {}))
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            suites=suites,
            variants=_variants(run),
            today=run.config.get("today", ""),
            passed=run.summary.get("passed", 0),
            cases=run.summary.get("cases", 0),
            chart=_chart(run),
            comparison=comparison,
            tables=[_table(run, s, limit) for s in suites],
        )
    )


def write_html(
    run: Run, path: Path, comparison: dict[str, Any] | None = None, limit: int = PAGE_CASES
) -> Path:
    """Write the HTML report to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(run, comparison, limit), encoding="utf-8")
    return path
