"""Analytics: how reviewers treat the drafts, per prompt version and model."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant import macros, review
from assistant.ui import get_deps, init_state, page_config, sidebar_language, signed_in, tr
from assistant.ui.panels import survey_charts


def main() -> None:
    page_config("analytics")
    init_state()
    sidebar_language()
    st.title(tr("analytics_title"))
    signed_in()
    store = get_deps().store
    agents = review.reviewers(store)
    who = st.selectbox(tr("analytics_agent"), [None, *agents], key="analytics_agent",
                       format_func=lambda a: tr("analytics_all_agents") if a is None else a)  # fmt: skip
    stats = review.analytics(store, reviewer=who)
    if not stats["decided"]:
        st.info(tr("analytics_empty"))
    cols = st.columns(5)
    cols[0].metric(tr("as_is"), stats["approved_as_is"])
    cols[1].metric(tr("edited"), stats["edited"])
    cols[2].metric(tr("rejected_n"), stats["rejected"])
    cols[3].metric(tr("median_edit"), stats["edit_distance"]["median"] or 0)
    cols[4].metric(tr("time_to_approve"), stats["seconds_to_approve"]["median"] or 0)
    if stats["findings_by_rule"]:
        st.subheader(tr("findings_by_rule"))
        rules = pd.DataFrame(list(stats["findings_by_rule"].items()), columns=["rule", "n"])
        st.bar_chart(rules.set_index("rule"), height=220)
    if stats["by_prompt_version"]:
        st.subheader(tr("by_prompt"))
        rows = [
            {
                **{k: v for k, v in g.items() if k != "edit_distance"},
                "mean_edit": g["edit_distance"]["mean"],
            }
            for g in stats["by_prompt_version"]
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="by_prompt_table")
    if stats["reject_reasons"]:
        st.subheader(tr("reject_reasons"))
        st.dataframe(
            pd.DataFrame(list(stats["reject_reasons"].items()), columns=["reason", "n"]),
            hide_index=True,
            key="reasons_table",
        )
    survey_charts(get_deps())
    uses = macros.usage(store)
    if uses:
        st.subheader(tr("macro_usage"))
        st.dataframe(pd.DataFrame(uses), hide_index=True, key="macro_usage_table")


main()
