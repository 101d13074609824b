"""The agent workspace: inbox, customer, sources, draft editor with live playbook findings,
approve or reject. Streamlit only: every decision is made by ``assistant`` modules."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant import accounts, review
from assistant.accounts import Actor
from assistant.config import CHANNELS, STYLES
from assistant.errors import (
    ApprovalBlocked,
    ConflictError,
    InputError,
    ModelError,
    PermissionDenied,
)
from assistant.models import CheckResult
from assistant.pipeline import Deps
from assistant.review.inbox import InboxItem, inbox
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
    workspace,
)
from assistant.ui.language import editor_tools, incoming_message
from assistant.ui.panels import history_panel, macro_picker
from assistant.ui.workspace import escape_markdown as esc

SEVERITY_COLOUR = {"error": "red", "warning": "orange"}


# -- state changes (callbacks run before the next script run) ---------------------------------


def open_item(item: InboxItem, deps: Deps) -> None:
    """Select an inbox item and load its latest open draft into the editor."""
    st.session_state.update(
        selected=item.key, draft_id=None, draft_version=None, editor="", pinned=[], dropped=[]
    )
    st.session_state.update(override_reason="", reject_reason="", confirm_stale=False, kb_query="")
    st.session_state["channel"] = workspace.reply_channel(item.channel)
    draft = deps.store.get_draft(item.draft_id) if item.draft_id else None
    if draft and draft["status"] in ("ready", "stale") and draft.get("output"):
        load_draft(draft)


def load_draft(draft: dict[str, Any]) -> None:
    st.session_state.update(
        draft_id=draft["id"],
        draft_version=draft["version"],
        editor=draft["output"],
        channel=draft["channel"],
        override_reason="",
        confirm_stale=False,
    )


def request_draft(style: str) -> None:
    st.session_state["pending_draft"] = style


def change_channel(deps: Deps) -> None:
    draft_id, version = st.session_state["draft_id"], st.session_state["draft_version"]
    if draft_id is None:
        return
    try:
        new = workspace.set_channel(deps, draft_id, version, st.session_state["channel"])
        st.session_state["draft_version"] = new
    except Exception as exc:  # a concurrent change: say so, keep the text
        flash("error", tr("conflict", detail=str(exc)))


def toggle(list_key: str, doc_id: str) -> None:
    items: list[str] = st.session_state[list_key]
    st.session_state[list_key] = (
        [d for d in items if d != doc_id] if doc_id in items else [*items, doc_id]
    )


def clear_draft() -> None:
    st.session_state.update(
        selected=None, draft_id=None, draft_version=None, editor="", override_reason=""
    )
    st.session_state.update(reject_reason="", confirm_stale=False, pinned=[], dropped=[])


def do_approve(deps: Deps, actor: Actor) -> None:
    s = st.session_state
    try:
        decision = review.approve(
            deps.store,
            s["draft_id"],
            final_text=s["editor"],
            reviewer=actor,
            expected_version=s["draft_version"],
            override_reason=s["override_reason"] or None,
            checker=workspace.checker(deps, s["lang"]),
            confirm_stale=bool(s["confirm_stale"]),
        )
    except (ConflictError, ApprovalBlocked, InputError, PermissionDenied) as exc:
        flash(
            "error", tr("conflict", detail=str(exc)) if isinstance(exc, ConflictError) else str(exc)
        )
        return
    clear_draft()
    flash("success", tr("approved", distance=decision.edit_distance))
    sent = workspace.send_after_approval(deps, decision.id)
    if sent is None:
        return
    to = sent.to.capitalize()
    if sent.status == "sent":
        flash("success", tr("sent_now", to=to))
    elif sent.status == "queued":
        flash("info", tr("send_queued", to=to))
    else:
        flash("warning", tr("send_failed_now", to=to, error=sent.error or sent.status))


def do_reject(deps: Deps, actor: Actor) -> None:
    s = st.session_state
    try:
        review.reject(
            deps.store,
            s["draft_id"],
            reviewer=actor,
            reason=s["reject_reason"],
            expected_version=s["draft_version"],
        )
    except (ConflictError, InputError, PermissionDenied) as exc:
        flash("error", str(exc))
        return
    clear_draft()
    flash("success", tr("rejected"))


def add_message(deps: Deps) -> None:
    s = st.session_state
    try:
        key = workspace.add_message(
            deps, s["new_customer"] or None, s["new_text"], s["new_channel"]
        )
    except (InputError, ModelError) as exc:
        flash("error", str(exc))
        return
    s["new_text"] = ""
    s["selected"] = None
    for item in inbox(deps.store, now=deps.clock()):
        if item.key == key:
            open_item(item, deps)
    flash("success", tr("message_added"))


def load_demo(deps: Deps) -> None:
    with st.spinner(tr("loading_demo")):
        counts = workspace.load_demo(deps)
    flash("success", tr("demo_loaded", **counts))


# -- sidebar ----------------------------------------------------------------------------------


def badges(item: InboxItem) -> str:
    parts = []
    if item.triage:
        parts.append(item.triage.language.upper())
        parts += [tr(f"sit_{s}") for s in item.triage.situations if f"sit_{s}" in _SIT_KEYS]
        parts.append(f"{tr('sentiment')} {item.triage.sentiment:+.1f}")
        if item.triage.urgency != "normal":
            parts.append(tr(f"urgency_{item.triage.urgency}"))
    if "waiting" in item.flags:
        parts.append(tr("waiting"))
    if "stale" in item.flags:
        parts.append(f":orange[{tr('stale')}]")
    if "overdue" in item.flags:
        parts.append(f":red[**{tr('overdue')}**]")
    return " · ".join(parts)


_SIT_KEYS = {f"sit_S{i}" for i in range(1, 9)}


def sidebar_inbox(deps: Deps, items: list[InboxItem]) -> None:
    st.sidebar.subheader(tr("inbox"))
    if not items:
        st.sidebar.caption(tr("inbox_empty"))
    for item in items:
        urgent = item.triage is not None and item.triage.urgency == "high"
        who = item.customer_name or tr("anonymous")
        label = f"{esc(who)} · {esc(item.subject or item.message[:40])}"
        label = f":red[**{tr('urgency_high')}**] {label}" if urgent else label
        st.sidebar.button(
            label,
            key=f"inbox_{item.key}",
            on_click=open_item,
            args=(item, deps),
            type="primary" if item.key == st.session_state["selected"] else "secondary",
            width="stretch",
        )
        st.sidebar.caption(f"{item.channel} · {badges(item)}")


def sidebar_new_message(deps: Deps) -> None:
    from assistant import history

    customers = {c.id: c.name for c in history.list_customers(deps.store)}
    with st.sidebar.expander(tr("new_message")), st.form("new_message_form", border=False):
        st.selectbox(
            tr("customer"),
            options=["", *customers],
            format_func=lambda cid: customers.get(cid, tr("anonymous")),
            key="new_customer",
        )
        st.selectbox(tr("channel"), options=list(CHANNELS), key="new_channel")
        st.text_area(tr("message_text"), key="new_text", height=120)
        st.form_submit_button(tr("add_message"), on_click=add_message, args=(deps,))


# -- the conversation ------------------------------------------------------------------------


def run_pending_draft(deps: Deps, item: InboxItem) -> None:
    """Generate (streaming into a placeholder) when a draft button asked for it."""
    style = st.session_state.get("pending_draft")
    if style is None:
        return
    st.session_state["pending_draft"] = None
    box = st.empty()
    streamed: list[str] = []

    def on_token(token: str) -> None:
        streamed.append(token)
        box.text("".join(streamed))

    def on_restart() -> None:
        streamed.clear()
        box.text("")

    try:
        with st.spinner(tr("drafting")):
            draft = workspace.draft_for(
                deps,
                message=item.message,
                channel=st.session_state["channel"],
                customer_id=item.customer_id,
                conversation_id=item.conversation_id,
                style=style or None,
                pinned=st.session_state["pinned"],
                dropped=st.session_state["dropped"],
                author=st.session_state["actor"].name,
                on_token=on_token,
                on_restart=on_restart,
            )
    except (InputError, ModelError) as exc:
        box.error(str(exc))
        return
    box.empty()
    record = deps.store.get_draft(draft.id) if draft.id else None
    if record:
        load_draft(record)


def draft_buttons() -> None:
    has_draft = st.session_state["draft_id"] is not None
    if not has_draft:
        st.button(
            tr("draft_reply"), key="btn_draft", type="primary", on_click=request_draft, args=("",)
        )
        return
    cols = st.columns(4)
    for col, style, key in zip(
        cols,
        ("", *STYLES),
        ("regenerate", *STYLES),
        strict=True,
    ):
        col.button(
            tr(key), key=f"btn_{key}", on_click=request_draft, args=(style,), width="stretch"
        )


def char_counter(text: str, channel: str) -> None:
    from assistant.playbook import channel_limit, count_chars

    used, limit = count_chars(text, channel), channel_limit(channel)
    if limit is None:
        st.caption(tr("chars_nolimit", used=used))
    elif used > limit:
        st.caption(f":red[**{tr('chars', used=used, limit=limit)} — {tr('over_limit')}**]")
    else:
        st.caption(tr("chars", used=used, limit=limit))


def editor_panel(deps: Deps, item: InboxItem) -> CheckResult | None:
    run_pending_draft(deps, item)
    st.selectbox(
        tr("channel"), options=list(CHANNELS), key="channel", on_change=change_channel, args=(deps,)
    )
    header = workspace.mail_header(deps, item.conversation_id)
    if header is not None:
        st.caption(tr("mail_to", to=esc(header["to"]), subject=esc(header["subject"])))
    draft_buttons()
    if st.session_state["draft_id"] is None:
        return None
    draft = deps.store.get_draft(st.session_state["draft_id"])
    if draft is None:
        return None
    macro_picker(deps, item.customer_id, draft.get("language"))
    st.text_area(tr("editor"), key="editor", height=360)
    char_counter(st.session_state["editor"], st.session_state["channel"])
    editor_tools(deps, draft)
    result = workspace.recheck(deps, draft, st.session_state["editor"], st.session_state["lang"])
    decision_panel(deps, draft, result)
    return result


def decision_panel(deps: Deps, draft: dict[str, Any], result: CheckResult) -> None:
    s = st.session_state
    stale = review.is_stale(deps.store, draft["id"])
    if stale:
        st.warning(tr("stale_warning"))
        st.checkbox(tr("confirm_stale"), key="confirm_stale")
    actor: Actor = s["actor"]
    may_override = accounts.allowed(actor.role, "override")
    if not result.ok:
        st.error(tr("blocked"))
        if may_override:
            st.text_input(tr("override_reason"), key="override_reason")
        else:
            st.caption(tr("override_needs_lead"))
    blocked = (not result.ok and not (may_override and s["override_reason"].strip())) or (
        stale and not s["confirm_stale"]
    )
    left, right = st.columns(2)
    left.button(
        tr("approve"),
        key="btn_approve",
        type="primary",
        disabled=blocked,
        on_click=do_approve,
        args=(deps, actor),
        width="stretch",
    )
    with right:
        st.text_input(tr("reject_reason"), key="reject_reason")
        st.button(
            tr("reject"), key="btn_reject", on_click=do_reject, args=(deps, actor), width="stretch"
        )


def findings_panel(result: CheckResult | None) -> None:
    st.subheader(tr("findings"))
    if result is None:
        return
    if not result.findings:
        st.success(tr("no_findings"))
    for f in result.findings:
        with st.container(border=True):
            quote = f"“{esc(f.quote)}”" if f.quote else tr("missing_move")
            st.markdown(
                f":{SEVERITY_COLOUR.get(f.severity, 'gray')}[**{f.rule}** · {tr(f.severity)}] · {quote}"
            )
            st.markdown(f"**{tr('why')}:** {esc(f.message)}")
            st.markdown(f"**{tr('fix')}:** {esc(f.fix)}")


def customer_panel(deps: Deps, item: InboxItem) -> None:
    if not item.customer_id:
        st.caption(tr("anonymous"))
        return
    ctx = workspace.context(deps, item.customer_id, item.message)
    if ctx is None:
        return
    c = ctx.customer
    st.markdown(
        f"**{esc(c.name)}** · {tr('plan')}: {esc(c.plan or '-')} · {tr('since')}: {c.since or '-'}"
    )
    if c.tags:
        st.caption(f"{tr('tags')}: " + ", ".join(esc(tag) for tag in c.tags))
    st.markdown(f"**{tr('promises')}**")
    if not ctx.open_promises:
        st.caption(tr("no_promises"))
    for p in ctx.open_promises:
        due = f"{tr('due')} {p.due}" if p.due else ""
        if p in ctx.overdue_promises:
            st.markdown(f":red[**{tr('overdue')}** · {due}] {esc(p.what)}")
        else:
            st.markdown(f"{due} · {esc(p.what)}")
    if c.notes:
        st.markdown(f"**{tr('notes')}**")
        for n in c.notes[-5:]:
            customer_text(f"{n.text} — {n.author}")
    if ctx.sentiment_trend:
        import altair as alt
        import pandas as pd

        st.markdown(f"**{tr('sentiment_trend')}**")
        frame = pd.DataFrame(ctx.sentiment_trend, columns=["date", "sentiment"])
        chart = (
            alt.Chart(frame)
            .mark_line(point=True)
            .encode(
                x=alt.X("date:T", title=None),
                y=alt.Y("sentiment:Q", scale=alt.Scale(domain=[-1, 1]), title=tr("sentiment")),
            )
            .properties(height=160)
        )
        st.altair_chart(chart, width="stretch")
    history_panel(deps, c)


def sources_panel(deps: Deps) -> None:
    s = st.session_state
    draft = deps.store.get_draft(s["draft_id"]) if s["draft_id"] else None
    sources = (draft or {}).get("sources") or []
    if not sources:
        st.caption(tr("no_sources"))
    for src in sources:
        doc_id = str(src.get("doc_id"))
        cols = st.columns([5, 1])
        cols[0].markdown(
            f"[{esc(str(src.get('title', '')))}]({src.get('url', '')}) · {tr('score')} {float(src.get('score', 0)):.2f}"
        )
        cols[0].caption(esc(str(src.get("snippet", ""))[:160]))
        label = tr("undo") if doc_id in s["dropped"] else tr("drop")
        cols[1].button(label, key=f"drop_{doc_id}", on_click=toggle, args=("dropped", doc_id))
    st.text_input(tr("search_kb"), key="kb_query")
    if s["kb_query"].strip():
        for hit in deps.kb.search(s["kb_query"], k=5):
            cols = st.columns([5, 1])
            cols[0].markdown(f"[{esc(hit.title)}]({hit.url}) · {tr('score')} {hit.score:.2f}")
            label = tr("undo") if hit.doc_id in s["pinned"] else tr("pin")
            cols[1].button(
                label, key=f"pin_{hit.doc_id}", on_click=toggle, args=("pinned", hit.doc_id)
            )
    if s["pinned"]:
        st.caption(f"{tr('pinned')}: " + ", ".join(s["pinned"]))
    if s["dropped"]:
        st.caption(f"{tr('dropped')}: " + ", ".join(s["dropped"]))
    st.button(tr("regenerate_sources"), key="btn_regen_sources", on_click=request_draft, args=("",))


def conversation_view(deps: Deps, item: InboxItem) -> None:
    who = item.customer_name or tr("anonymous")
    st.subheader(f"{esc(who)} · {esc(item.subject or '')}")
    st.caption(f"{item.channel} · {badges(item)}")
    incoming_message(deps, item)
    left, right = st.columns([3, 2], gap="large")
    with left:
        result = editor_panel(deps, item)
    with right:
        findings_panel(result)
        tab_customer, tab_sources = st.tabs([tr("customer"), tr("sources")])
        with tab_customer:
            customer_panel(deps, item)
        with tab_sources:
            sources_panel(deps)


def main() -> None:
    page_config("reply assistant")
    init_state()
    deps = get_deps()
    sidebar_language()
    st.title(tr("app_title", company=deps.settings.company, company_ko=deps.settings.company_ko))
    signed_in()
    if deps.settings.is_offline:
        st.info(tr("offline_banner"))
    show_flash()
    if workspace.needs_demo(deps):
        st.subheader(tr("empty_title"))
        st.write(tr("empty_body"))
        st.button(
            tr("load_demo"), key="btn_load_demo", type="primary", on_click=load_demo, args=(deps,)
        )
        return
    items = inbox(deps.store, now=deps.clock())
    sidebar_inbox(deps, items)
    sidebar_new_message(deps)
    item = next((i for i in items if i.key == st.session_state["selected"]), None)
    if item is None:
        st.info(tr("pick_conversation"))
        return
    conversation_view(deps, item)


main()
