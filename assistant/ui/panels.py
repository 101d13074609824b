"""Workspace panels of the daily tools: inserting a team macro into the reply editor (and the
conversation summary above a long history). Streamlit glue only: the decisions are made by
:mod:`assistant.macros` and :mod:`assistant.summary`."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.pipeline import Deps
from assistant.ui import flash, lang, tr
from assistant.ui.workspace import escape_markdown as esc


def _team(deps: Deps) -> Any:
    from assistant.macros import Team

    return Team.of(deps.kb, deps.settings, lang())


def insert_macro(deps: Deps, customer_id: str | None) -> None:
    """Callback: the chosen macro rendered for this customer, appended to the editor."""
    from assistant import history, macros

    s = st.session_state
    name = s.get("macro_choice")
    if not name:
        return
    customer = history.get_customer(deps.store, customer_id) if customer_id else None
    who = {"name": customer.name, "plan": customer.plan} if customer else {}
    try:
        s["editor"] = macros.insert_into(
            deps.store,
            name,
            s["editor"],
            _team(deps),
            customer=who,
            agent=s["actor"].name,
            draft_id=s["draft_id"],
            register=deps.settings.ko_register_for(s["channel"]),
        )
    except macros.MacroError as exc:
        flash("error", str(exc))
        return
    flash("success", tr("macro_inserted", name=name))


def macro_picker(deps: Deps, customer_id: str | None, draft_lang: str | None) -> None:
    """A macro list (the draft's language first; flagged ones left out) and an insert button."""
    from assistant import macros

    usable = [m for m in macros.list_macros(deps.store) if m.status == "ok"]
    usable.sort(key=lambda m: (m.lang != (draft_lang or lang()), m.name))
    if not usable:
        st.caption(tr("macro_none"))
        return
    titles = {m.name: f"{m.title} · {m.lang} · {m.name}" for m in usable}
    if st.session_state.get("macro_choice") not in titles:  # none yet, or deleted since
        st.session_state["macro_choice"] = next(iter(titles))
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    left.selectbox(
        tr("macro_pick"), options=list(titles), format_func=titles.__getitem__, key="macro_choice"
    )
    right.button(
        tr("macro_insert"),
        key="btn_insert_macro",
        on_click=insert_macro,
        args=(deps, customer_id),
        width="stretch",
    )


def _bars(rows: list[dict[str, Any]], by: str, scale: int) -> None:
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(rows)
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("mean:Q", scale=alt.Scale(domain=[0, scale]), title=tr("csat_mean")),
            y=alt.Y(f"{by}:N", sort="-x", title=None),
            tooltip=[by, "mean", "answers", "satisfied"],
        )
        .properties(height=alt.Step(28))
    )
    st.altair_chart(chart, width="stretch", height=max(120, 40 * len(rows) + 60))


def survey_charts(deps: Deps) -> None:
    """Analytics: CSAT or CES over time and by prompt version, model, agent, overridden rule."""
    import altair as alt
    import pandas as pd

    from assistant import surveys

    st.subheader(tr("csat_title"))
    kind = st.radio(tr("csat_kind"), ["csat", "ces"], horizontal=True, key="csat_kind",
                    format_func=str.upper)  # fmt: skip
    stats = surveys.analytics(deps.store, kind)
    cols = st.columns(4)
    cols[0].metric(tr("csat_sent"), stats["sent"])
    cols[1].metric(tr("csat_answers"), stats["answers"])
    cols[2].metric(tr("csat_mean"), stats["mean"] if stats["mean"] is not None else "-")
    share = stats["satisfied"]
    cols[3].metric(tr("csat_satisfied"), f"{share:.0%}" if share is not None else "-")
    if not stats["answers"]:
        st.caption(tr("csat_empty"))
        return
    scale = surveys.SCALES[kind]
    st.markdown(f"**{tr('csat_over_time')}**")
    weeks = pd.DataFrame(stats["by_week"])
    line = (
        alt.Chart(weeks)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:N", title=None),
            y=alt.Y("mean:Q", scale=alt.Scale(domain=[1, scale]), title=tr("csat_mean")),
            tooltip=["week", "mean", "answers"],
        )
    )
    st.altair_chart(line.properties(height=200), width="stretch")
    left, right = st.columns(2)
    for i, by in enumerate(("prompt_version", "model", "agent", "overridden")):
        with left if i % 2 == 0 else right:
            st.markdown(f"**{tr('csat_by_' + by)}**")
            _bars(stats[f"by_{by}"], by, scale)


@st.cache_data(show_spinner=False, max_entries=256)
def _summary(customer_id: str, last_message: int, model: str, ui_lang: str, _deps: Deps) -> Any:
    """The summary, computed once per customer history (its newest message), model and language."""
    from assistant import summary

    return summary.summarize(_deps.store, customer_id, _deps.settings, language=ui_lang)


def _focus(message_id: int) -> None:
    st.session_state["history_focus"] = message_id


def summary_block(deps: Deps, customer_id: str) -> dict[int, Any]:
    """The summary above a long history; the messages of the history by id (for the links)."""
    from assistant import summary
    from assistant.ui import customer_text

    rows = summary.history(deps.store, customer_id)
    by_id = {int(r["id"]): r for r in rows}
    if len(rows) < deps.settings.summary_min_messages:
        return by_id
    found = _summary(customer_id, max(by_id), deps.settings.model, lang(), deps)
    if found is None or not found.points:
        return by_id
    with st.container(border=True):
        st.markdown(f"**{tr('summary_title')}**")
        by = found.by
        st.caption(
            tr("summary_by_offline") if by == "offline" else tr("summary_by_model", model=by)
        )
        for kind in summary.KINDS:
            points = found.of(kind)
            if points:
                st.markdown(f"*{tr('summary_' + kind)}*")
            for i, p in enumerate(points):
                left, right = st.columns([6, 1], vertical_alignment="center")
                when = f"{p.at:%Y-%m-%d}" if p.at else ""
                left.caption(when)
                customer_text(p.text, container=left)
                right.button("↗", key=f"summary_{kind}_{i}", help=tr("summary_show"),
                             on_click=_focus, args=(p.message_ids[0],))  # fmt: skip
    return by_id


def history_panel(deps: Deps, customer: Any) -> None:
    """The summary (for a long history) and the timeline of past conversations; the message
    a summary point links to is opened and marked."""
    from assistant.ui import customer_text

    by_id = summary_block(deps, customer.id)
    focus = by_id.get(st.session_state.get("history_focus") or -1)
    st.markdown(f"**{tr('timeline')}**")
    for conv in customer.conversations[:8]:
        started = conv.started_at.date().isoformat() if conv.started_at else ""
        opened = focus is not None and str(focus["conversation_id"]) == conv.id
        with st.expander(f"{started} · {conv.channel} · {esc(conv.subject)}", expanded=opened):
            for m in conv.messages:
                marked = (
                    focus is not None and opened and (m.text, m.at) == (focus["text"], focus["at"])
                )
                head = (
                    f"{tr('role_' + m.role)} · {m.at:%Y-%m-%d %H:%M}"
                    if m.at
                    else tr("role_" + m.role)
                )
                st.caption(f":orange[**▶ {tr('summary_source')}**] · {head}" if marked else head)
                customer_text(m.text)
