"""Reviewing a bulk run: the table an agent edits, filters, decisions, export, the summary.

The Streamlit page only calls these functions. A run and its posts live in the records store
(:mod:`assistant.bulk.runs`); a drafted post's reply is a draft like any other, so deciding
it goes through :mod:`assistant.review`: re-checked, blocked by error findings unless a
reason is given, audited, and in the outbox and analytics once approved.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.bulk import runs
from assistant.errors import ApprovalBlocked, ConflictError

if TYPE_CHECKING:
    from assistant.accounts import Actor
    from assistant.pipeline import Deps
    from assistant.store import Store

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


def list_runs(store: Store) -> list[dict[str, Any]]:
    """The runs in the records store, newest first (``id``, ``name``, ``posts``, ...)."""
    return runs.list_runs(store)


def load_run(store: Store, run_id: int) -> list[dict[str, Any]]:
    """Records of a run in input order, each with its review state (``decision``, ``final``)."""
    return runs.records(store, run_id)


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


@dataclass
class Decided:
    """What a bulk decision did: how many posts it decided, and the ones it could not."""

    done: int = 0
    blocked: dict[str, str] = field(default_factory=dict)
    """Post key → why approval was refused (the playbook errors; an override reason is needed)."""
    conflicts: dict[str, str] = field(default_factory=dict)
    """Post key → someone else decided or changed it meanwhile."""


def decide(
    deps: Deps,
    run_id: int,
    keys: list[str],
    decision: str,
    *,
    reviewer: Actor,
    edits: dict[str, str] | None = None,
    override_reason: str | None = None,
    reason: str | None = None,
) -> Decided:
    """Approve or reject the drafted posts ``keys`` (with an edited reply per key, if given)
    through the one review path: each final text is re-checked, error findings block approval
    unless ``override_reason`` is given, and every decision is an audited transaction whose
    approved reply goes to the outbox. Posts without a draft or already decided are left.
    Deciding in bulk needs the lead role (PermissionDenied otherwise)."""
    from assistant import accounts, review

    accounts.require(reviewer, "bulk_decide")
    if decision not in ("approved", "rejected"):
        raise ValueError(f"unknown decision {decision!r}")
    records = {str(r["key"]): r for r in runs.records(deps.store, run_id)}
    checker = review.make_checker(
        deps.store, known_urls=deps.kb.known_urls(), ui_lang=deps.settings.ui_language
    )
    out = Decided()
    for key in keys:
        rec = records.get(key)
        if rec is None or rec.get("draft_id") is None or rec["decision"] != "pending":
            continue
        try:
            if decision == "approved":
                text = (edits or {}).get(key) or rec.get("final") or ""
                review.approve(
                    deps.store,
                    rec["draft_id"],
                    final_text=text,
                    reviewer=reviewer,
                    expected_version=rec["version"],
                    override_reason=override_reason,
                    checker=checker,
                )
            else:
                review.reject(
                    deps.store,
                    rec["draft_id"],
                    reviewer=reviewer,
                    reason=reason or "rejected in bulk review",
                    expected_version=rec["version"],
                )
        except ApprovalBlocked as exc:
            out.blocked[key] = str(exc)
            continue
        except ConflictError as exc:
            out.conflicts[key] = str(exc)
            continue
        out.done += 1
    return out


def save_edits(store: Store, run_id: int, edits: dict[str, str]) -> int:
    """Keep edited replies of undecided drafted posts without deciding them; how many."""
    records = {str(r["key"]): r for r in runs.records(store, run_id)}
    saved = 0
    for key, text in edits.items():
        rec = records.get(key)
        if rec is None or rec.get("draft_id") is None or rec["decision"] != "pending":
            continue
        if text == rec.get("final"):
            continue
        runs.save_edit(store, run_id, key, text)
        saved += 1
    return saved


def approved(store: Store, run_id: int) -> list[dict[str, Any]]:
    """Approved replies, ready for the posting tool (fields: :data:`EXPORT_FIELDS`)."""
    return [
        {
            "id": r.get("id"),
            "platform": r.get("platform"),
            "author": r.get("author"),
            "url": r.get("url"),
            "language": r.get("language"),
            "reply": r["final"],
            "edited": r["edited"],
            "approved_at": r.get("decided_at"),
        }
        for r in runs.records(store, run_id)
        if r["decision"] == "approved" and r.get("final")
    ]


def export(store: Store, run_id: int, fmt: str) -> str:
    """Approved replies as ``csv`` or ``jsonl`` text."""
    rows = approved(store, run_id)
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


def start_run(deps: Deps, filename: str, content: bytes) -> tuple[int, dict[str, Any]]:
    """Save an uploaded posts file under ``<data_dir>/bulk/uploads/`` and run it (or resume it).

    The run's output also goes to ``<data_dir>/bulk/<stem>.jsonl``. Returns the run's id and
    summary; raises InputError for a bad file.
    """
    from assistant.bulk import BulkOptions, run_bulk

    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(filename).name)
    folder = deps.settings.data_dir / "bulk"
    upload = folder / "uploads" / (safe or "posts.csv")
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(content)
    out = folder / f"{upload.stem}.jsonl"
    result = run_bulk(deps, upload, out, BulkOptions())
    return int(result.summary["run"]["id"]), result.summary


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


def summary_of(store: Store, run_id: int) -> dict[str, Any]:
    """The run's summary (as ``bulk --json`` prints it)."""
    from assistant.bulk import summarize

    return summarize(runs.records(store, run_id), issues=runs.issues(store, run_id))


def queue_progress(store: Store, run_id: int) -> dict[str, Any] | None:
    """Progress of a run drained by ``bulk worker`` processes (None for a run made here)."""
    from assistant.bulk import queue

    return queue.progress(store, run_id)
