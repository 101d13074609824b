"""Workspace panels of the daily tools: inserting a team macro into the reply editor (and the
conversation summary above a long history). Streamlit glue only: the decisions are made by
:mod:`assistant.macros` and :mod:`assistant.summary`."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.pipeline import Deps
from assistant.ui import flash, lang, tr


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
