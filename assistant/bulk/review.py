"""Reviewing a bulk run: the table an agent edits, filters, decisions, export, the summary.

The Streamlit page and the CLI only call these functions. A run is its output file
(``OUT.jsonl``, see :mod:`assistant.bulk.io`); decisions live beside it in
``OUT.decisions.jsonl`` (append only, the last decision per post wins), so the run file is
never rewritten and a review can stop and resume at any point.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.bulk.io import append_decisions, load_decisions, load_output

DECISIONS = ("pending", "approved", "rejected")
EXPORT_FIELDS = ("id", "platform", "author", "url", "language", "reply", "edited", "approved_at")


@dataclass
class Filters:
    """What the reviewer narrows the table to (empty: everything)."""

    platforms: list[str] = field(default_factory=list)
    situations: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)


def list_runs(data_dir: Path) -> list[Path]:
    """Run files under ``<data_dir>/bulk/``, newest first."""
    folder = data_dir / "bulk"
    if not folder.is_dir():
        return []
    runs = [p for p in folder.glob("*.jsonl") if not p.name.endswith(".decisions.jsonl")]
    return sorted(runs, key=lambda p: p.stat().st_mtime, reverse=True)


def load_run(run: Path) -> list[dict[str, Any]]:
    """Records of a run in input order, each with its review state (``decision``, ``final``)."""
    records = sorted(load_output(run).records.values(), key=lambda r: r.get("line") or 0)
    decisions = load_decisions(run)
    for r in records:
        d = decisions.get(str(r.get("key")), {})
        r["decision"] = d.get("decision", "pending")
        r["final"] = d.get("draft") if d.get("draft") is not None else r.get("draft")
        r["edited"] = bool(d.get("draft") is not None and d.get("draft") != r.get("draft"))
        r["rules"] = sorted({str(f.get("rule")) for f in r.get("findings") or []})
    return records


def options(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The values each filter can take in this run."""
    return {
        "platforms": sorted({str(r["platform"]) for r in records if r.get("platform")}),
        "situations": sorted({s for r in records for s in r.get("situations") or []}),
        "clusters": sorted({str(r["cluster"]) for r in records if r.get("cluster")}),
        "rules": sorted({x for r in records for x in r.get("rules") or []}),
        "statuses": sorted({str(r["status"]) for r in records if r.get("status")}),
        "decisions": list(DECISIONS),
    }


def apply_filters(records: list[dict[str, Any]], f: Filters) -> list[dict[str, Any]]:
    """Records matching every non-empty filter (any of its values)."""

    def keep(r: dict[str, Any]) -> bool:
        return (
            (not f.platforms or r.get("platform") in f.platforms)
            and (not f.situations or bool(set(r.get("situations") or []) & set(f.situations)))
            and (not f.clusters or r.get("cluster") in f.clusters)
            and (not f.rules or bool(set(r.get("rules") or []) & set(f.rules)))
            and (not f.statuses or r.get("status") in f.statuses)
            and (not f.decisions or r.get("decision") in f.decisions)
        )

    return [r for r in records if keep(r)]


def table_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flat rows for the review table (one per post; ``reply`` is the editable text)."""
    return [
        {
            "select": False,
            "key": r.get("key"),
            "id": r.get("id"),
            "platform": r.get("platform"),
            "language": r.get("language"),
            "situations": ", ".join(r.get("situations") or []),
            "cluster": r.get("cluster") or "",
            "status": r.get("status"),
            "decision": r.get("decision", "pending"),
            "post": r.get("text") or "",
            "reply": r.get("final") or "",
            "findings": ", ".join(r.get("rules") or []),
            "reason": r.get("reason") or "",
        }
        for r in records
    ]


def decide(
    run: Path,
    keys: list[str],
    decision: str,
    *,
    edits: dict[str, str] | None = None,
    reviewer: str = "",
) -> int:
    """Record ``decision`` for ``keys`` (and an edited reply per key, if given). Returns how many.

    Only drafted posts can be approved; the others are left as they are.
    """
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    records = {str(r["key"]): r for r in load_output(run).records.values()}
    edits = edits or {}
    rows = []
    for key in keys:
        rec = records.get(key)
        if rec is None or (decision == "approved" and rec.get("status") != "drafted"):
            continue
        row: dict[str, Any] = {"key": key, "decision": decision, "reviewer": reviewer}
        if key in edits and edits[key] != rec.get("draft"):
            row["draft"] = edits[key]
        rows.append(row)
    return append_decisions(run, rows)


def save_edits(run: Path, edits: dict[str, str], *, reviewer: str = "") -> int:
    """Keep edited replies without changing their decision."""
    current = load_decisions(run)
    records = {str(r["key"]): r for r in load_output(run).records.values()}
    rows = []
    for key, text in edits.items():
        rec = records.get(key)
        if rec is None or rec.get("status") != "drafted":
            continue
        before = current.get(key, {})
        if text == (before.get("draft") if before.get("draft") is not None else rec.get("draft")):
            continue
        decision = before.get("decision", "pending")
        rows.append({"key": key, "decision": decision, "draft": text, "reviewer": reviewer})
    return append_decisions(run, rows)


def approved(run: Path) -> list[dict[str, Any]]:
    """Approved replies, ready for the posting tool (fields: :data:`EXPORT_FIELDS`)."""
    decisions = load_decisions(run)
    out = []
    for r in load_run(run):
        if r["decision"] != "approved" or not r.get("final"):
            continue
        out.append(
            {
                "id": r.get("id"),
                "platform": r.get("platform"),
                "author": r.get("author"),
                "url": r.get("url"),
                "language": r.get("language"),
                "reply": r["final"],
                "edited": r["edited"],
                "approved_at": decisions.get(str(r["key"]), {}).get("at"),
            }
        )
    return out


def export(run: Path, fmt: str) -> str:
    """Approved replies as ``csv`` or ``jsonl`` text."""
    rows = approved(run)
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(EXPORT_FIELDS))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def review_counts(records: list[dict[str, Any]]) -> dict[str, int]:
    """How many posts are pending, approved and rejected."""
    return {d: sum(1 for r in records if r.get("decision") == d) for d in DECISIONS}


def start_run(deps: Any, filename: str, content: bytes) -> tuple[Path, dict[str, Any]]:
    """Save an uploaded posts file under ``<data_dir>/bulk/uploads/`` and run it (or resume it).

    The run goes to ``<data_dir>/bulk/<stem>.jsonl``. Raises InputError for a bad file.
    """
    from assistant.bulk import BulkOptions, run_bulk

    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(filename).name)
    folder = deps.settings.data_dir / "bulk"
    upload = folder / "uploads" / (safe or "posts.csv")
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(content)
    out = folder / f"{upload.stem}.jsonl"
    result = run_bulk(deps, upload, out, BulkOptions())
    return out, result.summary


def edits_in(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, str]:
    """Replies the reviewer changed in the table: ``{key: new text}``."""
    old = {str(r["key"]): r.get("reply") or "" for r in before}
    return {
        str(r["key"]): str(r.get("reply") or "")
        for r in after
        if str(r["key"]) in old and (r.get("reply") or "") != old[str(r["key"])]
    }


def selected(rows: list[dict[str, Any]]) -> list[str]:
    """Keys of the rows ticked in the table."""
    return [str(r["key"]) for r in rows if r.get("select")]


def summary_of(run: Path) -> dict[str, Any]:
    """The run's summary (as ``bulk --json`` prints it, without input-file issues)."""
    from assistant.bulk import summarize

    return summarize(list(load_output(run).records.values()))
