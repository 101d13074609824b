"""Outbox: approved replies, who approved them, where they go; mark sent, retry a failed send,
export as CSV or JSONL."""

from __future__ import annotations

import streamlit as st

from assistant import review
from assistant.errors import ConflictError, InputError, PermissionDenied
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
from assistant.ui.workspace import destination_header, escape_markdown


def mark_sent(decision_id: int) -> None:
    try:
        review.mark_sent(get_deps().store, decision_id, actor=st.session_state["actor"].name)
    except (ConflictError, InputError) as exc:
        flash("error", str(exc))


def retry_send(outbox_id: int) -> None:
    from assistant.channels import delivery

    deps = get_deps()
    try:
        delivery.retry(deps.store, outbox_id, st.session_state["actor"])
        item = next(i for i in review.outbox(deps.store) if i.id == outbox_id)
        result = delivery.send_now(deps.store, deps.settings, item.decision_id)
    except (ConflictError, InputError, PermissionDenied) as exc:
        flash("error", str(exc))
        return
    if result is not None and result.status == "sent":
        flash("success", tr("sent_now", to=result.to.capitalize()))
    elif result is not None and result.error:
        flash("warning", tr("send_error", error=result.error))


def make_survey(draft_id: int) -> None:
    from assistant import surveys

    settings = get_deps().settings
    try:
        token, _ = surveys.create(get_deps().store, draft_id, days=settings.survey_days,
                                  actor=st.session_state["actor"].name)  # fmt: skip
    except InputError as exc:
        flash("error", str(exc))
        return
    url = f"{settings.survey_base_url.rstrip('/')}/s/{token}"
    flash("info", tr("survey_link_made", days=settings.survey_days, url=url))


def audit_table(draft_id: int) -> None:
    """The draft's audit trail: who drafted, approved or rejected it, from where, overrides."""
    rows = [
        {
            tr("audit_when"): f"{e.at:%Y-%m-%d %H:%M:%S}",
            tr("audit_what"): tr("event_" + e.kind.replace(".", "_")),
            tr("audit_who"): e.actor,
            tr("audit_via"): e.via or "",
            tr("audit_detail"): "; ".join(
                x
                for x in (
                    tr("audit_override", reason=e.override_reason, rules=", ".join(e.findings))
                    if e.override_reason
                    else "",
                    tr("audit_edits", n=e.edit_distance) if e.edit_distance else "",
                    e.reason or "",
                )
                if x
            ),
        }
        for e in review.audit(get_deps().store, draft_id)
    ]
    st.table(rows)


def main() -> None:
    page_config("outbox")
    init_state()
    sidebar_language()
    deps = get_deps()
    st.title(tr("outbox_title"))
    signed_in()
    show_flash()
    items = review.outbox(deps.store)
    if not items:
        st.info(tr("outbox_empty"))
        return
    left, right = st.columns(2)
    left.download_button(
        tr("export_csv"),
        review.export_outbox(deps.store, "csv"),
        "outbox.csv",
        "text/csv",
        key="export_csv",
    )
    right.download_button(
        tr("export_jsonl"),
        review.export_outbox(deps.store, "jsonl"),
        "outbox.jsonl",
        "application/jsonl",
        key="export_jsonl",
    )
    for item in items:
        with st.container(border=True):
            st.caption(
                f"#{item.id} · {item.channel} · {item.customer_id or tr('anonymous')} · "
                f"{tr('status_' + item.status)} · {tr('approved_by', who=item.reviewer)} · "
                f"{item.created_at:%Y-%m-%d %H:%M}"
            )
            if item.sends_itself:
                to = str((item.destination or {}).get("source", "")).capitalize()
                st.caption(tr("sent_via" if item.status == "sent" else "send_to", to=to))
                header = destination_header(item.destination)
                if header is not None:
                    to, subject = escape_markdown(header["to"]), escape_markdown(header["subject"])
                    st.caption(tr("mail_to", to=to, subject=subject))
            customer_text(item.text)
            if item.error and item.status != "sent":
                st.warning(tr("send_error", error=item.error))
            with st.expander(tr("audit_title")):
                audit_table(item.draft_id)
            st.button(tr("survey_link", kind="CSAT"), key=f"survey_{item.decision_id}",
                      on_click=make_survey, args=(item.draft_id,))  # fmt: skip
            if item.status in ("failed", "uncertain"):
                st.button(
                    tr("retry_send"), key=f"retry_{item.id}", on_click=retry_send, args=(item.id,)
                )
            if item.status == "queued" and not item.sends_itself or item.status == "uncertain":
                st.button(
                    tr("mark_sent"),
                    key=f"sent_{item.decision_id}",
                    on_click=mark_sent,
                    args=(item.decision_id,),
                )


main()
