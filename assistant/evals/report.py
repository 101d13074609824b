"""Eval reports: a self-contained HTML page (the terminal table is in ``assistant.cli.render``).

The HTML page has no external resource (inline CSS and SVG, no script, no CDN): summary bars
per suite and variant, the comparison with a baseline (regressed and improved assertions,
pass-rate changes), and per suite a side-by-side table (one row per case, one column per
variant) with the reply and every assertion's pass/fail and reason. Every piece of customer
or model text is HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.evals.suites import Run

_COLORS = ("#2f6fdf", "#e07b00", "#1f9d55", "#b03aa0", "#6b7280", "#c0392b")
_CSS = """
body{font-family:"Noto Sans KR","NanumGothic","Apple SD Gothic Neo",system-ui,sans-serif;
 margin:24px;color:#1f2933;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
.meta{color:#52606d;font-size:13px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #d9e2ec;padding:6px 8px;vertical-align:top;text-align:left}
th{background:#f0f4f8;position:sticky;top:0}
.case-id{font-weight:600;white-space:nowrap}.msg{color:#3e4c59;max-width:280px}
.badge{display:inline-block;border-radius:4px;padding:1px 6px;font-weight:700;font-size:12px}
.pass{background:#d1fae5;color:#065f46}.fail{background:#fee2e2;color:#991b1b}
pre.reply{white-space:pre-wrap;font-family:inherit;margin:6px 0;max-height:220px;overflow:auto;
 background:#f8fafc;padding:6px;border-radius:4px}
ul.asserts{list-style:none;margin:4px 0 0;padding:0}
ul.asserts li{margin:1px 0}.ok{color:#047857}.ko{color:#b91c1c;font-weight:600}
.reason{color:#616e7c}.regressed td{background:#fff5f5}.improved td{background:#f0fff4}
.delta-neg{color:#b91c1c;font-weight:700}.delta-pos{color:#047857;font-weight:700}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _variants(run: Run) -> list[str]:
    seen: list[str] = []
    for row in run.rows:
        if row["variant"] not in seen:
            seen.append(row["variant"])
    return seen


def _bars(run: Run) -> str:
    """An inline SVG bar chart: pass rate per suite, one bar per variant."""
    suites = run.summary.get("suites", {})
    variants = _variants(run)
    bar, gap, height = 18, 26, 160
    x = 40
    parts: list[str] = []
    for suite, blocks in suites.items():
        start = x
        for variant, block in blocks.items():
            color = _COLORS[variants.index(variant) % len(_COLORS)]
            h = block["pass_rate"] * height
            parts.append(
                f'<rect x="{x}" y="{10 + height - h:.1f}" width="{bar}" height="{h:.1f}" '
                f'fill="{color}"><title>{_e(suite)} · {_e(variant)}: '
                f"{block['pass_rate']:.1%}</title></rect>"
                f'<text x="{x + bar / 2}" y="{6 + height - h:.1f}" font-size="9" '
                f'text-anchor="middle">{round(block["pass_rate"] * 100)}</text>'
            )
            x += bar + 2
        parts.append(
            f'<text x="{(start + x) / 2}" y="{height + 26}" font-size="11" '
            f'text-anchor="middle">{_e(suite)}</text>'
        )
        x += gap
    axis = f'<line x1="36" y1="{10 + height}" x2="{x}" y2="{10 + height}" stroke="#9aa5b1"/>'
    legend = "".join(
        f'<rect x="{40 + i * 170}" y="{height + 38}" width="10" height="10" '
        f'fill="{_COLORS[i % len(_COLORS)]}"/><text x="{54 + i * 170}" y="{height + 47}" '
        f'font-size="11">{_e(v)}</text>'
        for i, v in enumerate(variants)
    )
    width = max(x, 40 + 170 * len(variants))
    return (
        f'<svg class="chart" role="img" aria-label="pass rate per suite and variant" '
        f'width="{width}" height="{height + 56}" xmlns="http://www.w3.org/2000/svg">'
        f'<text x="0" y="14" font-size="10">100%</text>{axis}{"".join(parts)}{legend}</svg>'
    )


def _comparison_html(comparison: dict[str, Any] | None) -> str:
    if comparison is None:
        return ""
    rows = []
    for kind in ("regressed", "improved"):
        for entry in comparison[kind]:
            rows.append(
                f'<tr class="{kind}"><td>{kind}</td><td>{_e(entry["suite"])}</td>'
                f"<td>{_e(entry['case'])}</td><td>{_e(entry['variant'])}</td>"
                f"<td>{_e(entry['assertion'])}</td><td>{_e(entry['before'])}</td>"
                f"<td>{_e(entry['after'])}</td></tr>"
            )
    rates = "".join(
        f"<tr><td>{_e(r['suite'])}</td><td>{_e(r['variant'])}</td><td>{r['before']:.1%}</td>"
        f'<td>{r["after"]:.1%}</td><td class="{"delta-neg" if r["delta"] < 0 else "delta-pos"}">'
        f"{r['delta']:+.1%}</td></tr>"
        for r in comparison["pass_rates"]
    )
    return (
        f'<h2 id="baseline">Against the baseline</h2><p class="meta">'
        f"{len(comparison['regressed'])} regressed, {len(comparison['improved'])} improved, "
        f"{comparison['compared']} case rows compared.</p>"
        "<table><tr><th>suite</th><th>variant</th><th>before</th><th>after</th><th>change</th>"
        f"</tr>{rates}</table><br><table><tr><th></th><th>suite</th><th>case</th>"
        "<th>variant</th><th>assertion</th><th>before</th><th>after</th></tr>"
        f"{''.join(rows) or '<tr><td colspan=7>no change</td></tr>'}</table>"
    )


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "<td>—</td>"
    out = row["output"]
    badge = "pass" if row["pass"] else "fail"
    body = out.get("text") or ""
    if not body and out.get("retrieved"):
        body = "retrieved: " + ", ".join(out["retrieved"])
    if out.get("error"):
        body = f"error: {out['error']}"
    extra = f" · rules {', '.join(out['rules'])}" if out.get("rules") else ""
    items = "".join(
        f'<li class="{"ok" if a["pass"] else "ko"}">{"✓" if a["pass"] else "✗"} '
        f'{_e(a["label"])} <span class="reason">— {_e(a["reason"])}</span></li>'
        for a in row["assertions"]
    )
    return (
        f'<td class="cell {badge}-cell"><span class="badge {badge}">{badge.upper()}</span> '
        f'<span class="reason">score {row["score"]:.2f}{_e(extra)}</span>'
        f'<pre class="reply">{_e(body)}</pre><ul class="asserts">{items}</ul></td>'
    )


def _suite_html(run: Run, suite: str) -> str:
    rows = [r for r in run.rows if r["suite"] == suite]
    variants = [v for v in _variants(run) if any(r["variant"] == v for r in rows)]
    by_key = {(r["case"], r["variant"]): r for r in rows}
    cases: list[str] = []
    for r in rows:
        if r["case"] not in cases:
            cases.append(r["case"])
    head = "".join(f"<th>{_e(v)}</th>" for v in variants)
    body = []
    for case in cases:
        first = next(r for r in rows if r["case"] == case)
        meta = f"{first['channel']}" + (f" · {first['customer']}" if first.get("customer") else "")
        cells = "".join(_cell(by_key.get((case, v))) for v in variants)
        body.append(
            f'<tr><td><div class="case-id">{_e(case)}</div><div class="reason">{_e(meta)}</div>'
            f'<div class="msg">{_e(first["message"])}</div></td>{cells}</tr>'
        )
    return (
        f'<h2 id="suite-{_e(suite)}">{_e(suite)}</h2>'
        f'<table class="side-by-side" data-suite="{_e(suite)}"><tr><th>case</th>{head}</tr>'
        f"{''.join(body)}</table>"
    )


def html_report(run: Run, comparison: dict[str, Any] | None = None) -> str:
    """The whole report as one HTML document."""
    suites = list(run.summary.get("suites", {}))
    variants = ", ".join(_variants(run))
    return (
        '<!doctype html><html lang="ko"><head><meta charset="utf-8">'
        f"<title>Eval report</title><style>{_CSS}</style></head><body>"
        f'<h1>Eval report</h1><p class="meta">suites: {_e(", ".join(suites))} · variants: '
        f"{_e(variants)} · date: {_e(run.config.get('today', ''))} · "
        f"{run.summary.get('passed', 0)}/{run.summary.get('cases', 0)} case rows passed</p>"
        f"<h2>Pass rate per suite</h2>{_bars(run)}{_comparison_html(comparison)}"
        f"{''.join(_suite_html(run, s) for s in suites)}</body></html>"
    )


def write_html(run: Run, path: Path, comparison: dict[str, Any] | None = None) -> Path:
    """Write the HTML report to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(run, comparison), encoding="utf-8")
    return path
