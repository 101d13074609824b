"""Bulk review: open a run of social-post drafts, filter, edit, approve or reject many, export.

Decisions go through the same review path as the workspace (re-check, error findings block
approval unless an override reason is given, audited, in the Outbox and Analytics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from assistant import accounts
from assistant.accounts import Actor
from assistant.bulk import review as br
from assistant.errors import InputError
from assistant.ui import (
    customer_text,
    flash,
    get_deps,
    init_state,
    page_config,
    show_flash,
    sidebar_language,
    signed_in,
    tr,
)

EDITABLE = ("select", "reply")


def upload_box(has_runs: bool) -> None:
    with st.expander(tr("bulk_upload"), expanded=not has_runs):
        file = st.file_uploader(tr("bulk_upload"), type=["csv", "jsonl"], key="bulk_file")
        if file is not None and st.button(tr("bulk_start"), key="bulk_start"):
            try:
                with st.spinner(tr("bulk_running")):
                    run_id, summary = br.start_run(get_deps(), file.name, file.getvalue())
            except InputError as exc:
                st.error(str(exc))
                return
            flash("success", tr("bulk_started", **summary["by_status"]))
            st.session_state["bulk_run"] = run_id
            st.rerun()


def draw_progress(progress: dict[str, Any]) -> None:
    st.subheader(tr("bulk_queue"))
    finished = progress["done"] + progress["failed"]
    st.progress(finished / max(1, progress["total"]))
    st.caption(tr("bulk_queue_counts", **progress))
    for worker, n in progress["by_worker"].items():
        st.caption(tr("bulk_queue_worker", worker=worker, n=n))


@st.fragment(run_every=2)
def live_progress(run_id: int) -> None:
    """While ``bulk worker`` processes drain the run: its progress, redrawn every 2 s; the
    whole page once the last post is in."""
    progress = br.queue_progress(get_deps().store, run_id)
    if progress is None or not (progress["waiting"] or progress["in_flight"]):
        st.rerun()
    else:
        draw_progress(progress)


def show_summary(run_id: int) -> None:
    progress = br.queue_progress(get_deps().store, run_id)
    if progress is not None and (progress["waiting"] or progress["in_flight"]):
        live_progress(run_id)
    elif progress is not None:
        draw_progress(progress)
    summary = br.summary_of(get_deps().store, run_id)
    cols = st.columns(4)
    for col, (name, count) in zip(cols, summary["by_status"].items(), strict=False):
        col.metric(tr("bulk_status") + f" · {name}", count)
    if summary["clusters"]:
        st.subheader(tr("bulk_systemic"))
        key = "summary_ko" if st.session_state.get("lang") == "ko" else "summary"
        for c in summary["clusters"]:
            customer_text(f"{c['id']} · {c[key] or c['summary']}")
    with st.expander(tr("bulk_summary")):
        st.json({k: summary[k] for k in ("by_situation", "by_platform", "findings_by_rule")})


def filters(records: list[dict[str, Any]]) -> br.Filters:
    opts = br.options(records)
    st.sidebar.subheader(tr("bulk_filters"))
    pick = st.sidebar.multiselect
    return br.Filters(
        platforms=pick(tr("bulk_platform"), opts["platforms"], key="bulk_f_platform"),
        situations=pick(tr("bulk_situation"), opts["situations"], key="bulk_f_situation"),
        clusters=pick(tr("bulk_cluster"), opts["clusters"], key="bulk_f_cluster"),
        rules=pick(tr("bulk_finding"), opts["rules"], key="bulk_f_rule"),
        decisions=pick(tr("bulk_decision"), opts["decisions"], key="bulk_f_decision"),
        statuses=pick(tr("bulk_status"), opts["statuses"], key="bulk_f_status"),
    )


def review_table(run_id: int, shown: list[dict[str, Any]], total: int) -> None:
    st.caption(tr("bulk_shown", shown=len(shown), total=total))
    rows = br.table_rows(shown)
    if st.checkbox(tr("bulk_select_all"), key="bulk_select_all"):
        for r in rows:
            r["select"] = r["status"] == "drafted" and r["decision"] == "pending"
    edited = st.data_editor(
        rows,
        key=f"bulk_table_{run_id}",
        use_container_width=True,
        hide_index=True,
        disabled=[c for c in (rows[0] if rows else {}) if c not in EDITABLE],
        column_config={
            "select": st.column_config.CheckboxColumn("✓", width="small"),
            "key": None,
            "post": st.column_config.TextColumn(width="medium"),
            "reply": st.column_config.TextColumn(width="large"),
        },
    )
    after = list(edited)
    edits = br.edits_in(rows, after)
    keys = br.selected(after)
    if edits:
        st.caption(tr("bulk_unsaved", n=len(edits)))
    actor: Actor = st.session_state["actor"]
    lead = accounts.allowed(actor.role, "bulk_decide")
    override = st.text_input(tr("bulk_override"), key="bulk_override") if lead else ""
    if not lead:
        st.caption(tr("bulk_needs_lead"))
    a, b, c = st.columns(3)
    if a.button(tr("bulk_approve"), key="bulk_approve", type="primary", disabled=not lead):
        decide(run_id, keys, "approved", edits, actor, override)
    if b.button(tr("bulk_reject"), key="bulk_reject", disabled=not lead):
        decide(run_id, keys, "rejected", edits, actor, override)
    if c.button(tr("bulk_save"), key="bulk_save"):
        flash("success", tr("bulk_saved", n=br.save_edits(get_deps().store, run_id, edits)))
        st.rerun()


def decide(
    run_id: int, keys: list[str], decision: str, edits: dict[str, str], who: Actor, override: str
) -> None:
    if not keys:
        flash("warning", tr("bulk_none_selected"))
        st.rerun()
    done = br.decide(
        get_deps(), run_id, keys, decision, reviewer=who, edits=edits,
        override_reason=override or None,
    )  # fmt: skip
    if done.blocked:
        flash("warning", tr("bulk_blocked", n=len(done.blocked), keys=", ".join(done.blocked)))
    elif done.conflicts:
        flash("warning", tr("bulk_conflicts", n=len(done.conflicts)))
    else:
        flash("success", tr("bulk_" + decision, n=done.done))
    st.rerun()


def export_buttons(run_id: int, stem: str) -> None:
    store = get_deps().store
    st.subheader(tr("bulk_export"))
    left, right = st.columns(2)
    left.download_button("CSV", br.export(store, run_id, "csv"), f"{stem}-approved.csv",
                         "text/csv", key="bulk_export_csv")  # fmt: skip
    right.download_button("JSONL", br.export(store, run_id, "jsonl"), f"{stem}-approved.jsonl",
                          "application/jsonl", key="bulk_export_jsonl")  # fmt: skip


def main() -> None:
    page_config("bulk review")
    init_state()
    sidebar_language()
    deps = get_deps()
    st.title(tr("bulk_title"))
    signed_in()
    show_flash()
    runs = br.list_runs(deps.store)
    upload_box(bool(runs))
    if not runs:
        st.info(tr("bulk_no_runs", folder=deps.settings.data_dir / "bulk"))
        return
    ids = [int(r["id"]) for r in runs]
    names = {int(r["id"]): Path(str(r["name"])).name for r in runs}
    wanted = st.session_state.get("bulk_run")
    index = ids.index(wanted) if wanted in ids else 0
    run_id = st.selectbox(tr("bulk_pick_run"), ids, index=index, format_func=names.__getitem__)
    show_summary(run_id)
    records = br.load_run(deps.store, run_id)
    st.caption(tr("bulk_counts", **br.review_counts(records)))
    review_table(run_id, br.apply_filters(records, filters(records)), len(records))
    export_buttons(run_id, Path(names[run_id]).stem)


main()
