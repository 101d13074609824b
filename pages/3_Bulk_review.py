"""Bulk review: open a run of social-post drafts, filter, edit, approve or reject many, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

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
    tr,
)

EDITABLE = ("select", "reply")


def upload_box(folder: Path) -> None:
    with st.expander(tr("bulk_upload"), expanded=not br.list_runs(folder.parent)):
        file = st.file_uploader(tr("bulk_upload"), type=["csv", "jsonl"], key="bulk_file")
        if file is not None and st.button(tr("bulk_start"), key="bulk_start"):
            try:
                with st.spinner(tr("bulk_running")):
                    out, summary = br.start_run(get_deps(), file.name, file.getvalue())
            except InputError as exc:
                st.error(str(exc))
                return
            flash("success", tr("bulk_started", **summary["by_status"]))
            st.session_state["bulk_run"] = out.name
            st.rerun()


def show_summary(run: Path) -> None:
    summary = br.summary_of(run)
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


def review_table(run: Path, shown: list[dict[str, Any]], total: int) -> None:
    st.caption(tr("bulk_shown", shown=len(shown), total=total))
    rows = br.table_rows(shown)
    if st.checkbox(tr("bulk_select_all"), key="bulk_select_all"):
        for r in rows:
            r["select"] = r["status"] == "drafted"
    edited = st.data_editor(
        rows,
        key=f"bulk_table_{run.name}",
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
    reviewer = st.session_state.get("reviewer", "")
    a, b, c = st.columns(3)
    if a.button(tr("bulk_approve"), key="bulk_approve", type="primary"):
        decide(run, keys, "approved", edits, reviewer)
    if b.button(tr("bulk_reject"), key="bulk_reject"):
        decide(run, keys, "rejected", edits, reviewer)
    if c.button(tr("bulk_save"), key="bulk_save"):
        flash("success", tr("bulk_saved", n=br.save_edits(run, edits, reviewer=reviewer)))
        st.rerun()


def decide(run: Path, keys: list[str], decision: str, edits: dict[str, str], who: str) -> None:
    if not keys:
        flash("warning", tr("bulk_none_selected"))
    else:
        n = br.decide(run, keys, decision, edits=edits, reviewer=who)
        flash("success", tr("bulk_" + decision, n=n))
    st.rerun()


def export_buttons(run: Path) -> None:
    st.subheader(tr("bulk_export"))
    left, right = st.columns(2)
    left.download_button("CSV", br.export(run, "csv"), f"{run.stem}-approved.csv", "text/csv",
                         key="bulk_export_csv")  # fmt: skip
    right.download_button("JSONL", br.export(run, "jsonl"), f"{run.stem}-approved.jsonl",
                          "application/jsonl", key="bulk_export_jsonl")  # fmt: skip


def main() -> None:
    page_config("bulk review")
    init_state()
    sidebar_language()
    folder = get_deps().settings.data_dir / "bulk"
    st.title(tr("bulk_title"))
    show_flash()
    upload_box(folder / "uploads")
    runs = br.list_runs(folder.parent)
    if not runs:
        st.info(tr("bulk_no_runs", folder=folder))
        return
    names = [r.name for r in runs]
    wanted = st.session_state.get("bulk_run")
    index = names.index(wanted) if wanted in names else 0
    run = runs[names.index(st.selectbox(tr("bulk_pick_run"), names, index=index))]
    show_summary(run)
    records = br.load_run(run)
    st.caption(tr("bulk_counts", **br.review_counts(records)))
    review_table(run, br.apply_filters(records, filters(records)), len(records))
    export_buttons(run)


main()
