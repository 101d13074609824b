"""Missing articles: topics customers ask about that the help center does not answer, each
with its questions and a draft article to edit and ingest."""

from __future__ import annotations

import streamlit as st

from assistant import gaps
from assistant.ui import (
    customer_text,
    get_deps,
    init_state,
    page_config,
    sidebar_language,
    signed_in,
    tr,
)
from assistant.ui.workspace import escape_markdown as esc

TOP = 20


def look_again() -> None:
    st.session_state["gaps"] = None


def found() -> list[dict[str, object]]:
    if st.session_state["gaps"] is None:
        deps = get_deps()
        with st.spinner(tr("gaps_title")):
            st.session_state["gaps"] = [
                g.as_dict() for g in gaps.find(deps.store, deps.kb, deps.settings)[:TOP]
            ]
    return list(st.session_state["gaps"])


def topic(gap: dict) -> None:  # type: ignore[type-arg]
    with st.container(border=True):
        langs = " · ".join(f"{k.upper()} {v}" for k, v in gap["languages"].items())
        signals = ", ".join(f"{tr('signal_' + k)} {v}" for k, v in gap["signals"].items())
        st.markdown(f"### {esc(gap['label'])}")
        st.caption(f"{tr('gaps_count', n=gap['count'])} · {langs} · {signals}")
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown(f"**{tr('gaps_questions')}**")
            for q in gap["questions"][:8]:
                when = f"{q['at']:%Y-%m-%d}" if q.get("at") else ""
                st.caption(f"{when} · {q['language']} · {tr('score')} {q['score']:.2f}")
                customer_text(q["text"])
        with right:
            name = gap["article"].split("\n", 2)[1].removeprefix("id: ").replace("/", "-")
            text = st.text_area(tr("gaps_article"), value=gap["article"], height=260,
                                key=f"gap_article_{name}")  # fmt: skip
            st.download_button(tr("gaps_download"), text, f"{name}.md", "text/markdown",
                               key=f"gap_dl_{name}")  # fmt: skip


def main() -> None:
    page_config("missing articles")
    init_state()
    sidebar_language()
    st.title(tr("gaps_title"))
    signed_in()
    st.caption(tr("gaps_intro", threshold=get_deps().settings.gap_threshold))
    st.button(tr("gaps_refresh"), key="btn_gaps_refresh", on_click=look_again)
    items = found()
    if not items:
        st.info(tr("gaps_none"))
    for gap in items:
        topic(gap)


main()
