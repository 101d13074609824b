"""Streamlit glue shared by ``app.py`` and ``pages/``: dependencies built once, session state
initialised in one place, the UI language, and safe rendering of customer text.

Only the browser pages import this module (it imports Streamlit).
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from assistant.pipeline import Deps
from assistant.ui.i18n import LANGS, lang_from_accept_language, t
from assistant.ui.workspace import escape_markdown

STATE_DEFAULTS: dict[str, Any] = {
    "lang": None,  # widget: the language toggle (None until read from the browser)
    "reviewer": "",  # widget: the agent's name
    "selected": None,  # inbox key of the open item ("conv:<id>" or "draft:<id>")
    "draft_id": None,  # the draft in the editor
    "draft_version": None,  # its version when loaded (optimistic locking)
    "editor": "",  # widget: the reply text
    "channel": "email",  # widget: the reply channel
    "pinned": [],  # help-center doc ids the agent pinned
    "dropped": [],  # doc ids the agent dropped
    "override_reason": "",  # widget
    "reject_reason": "",  # widget
    "confirm_stale": False,  # widget
    "kb_query": "",  # widget
    "flash": None,  # (kind, text) shown once after a rerun
    "pending_draft": None,  # style of a draft a button asked for ("" plain), run in the editor
    "new_customer": "",  # widget: customer of a pasted message ("" anonymous)
    "new_channel": "email",  # widget
    "new_text": "",  # widget
}


def init_state() -> None:
    """Every session-state key the pages use, with its default (the only place keys are made)."""
    for key, default in STATE_DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = list(default) if isinstance(default, list) else default
    if st.session_state["lang"] not in LANGS:
        st.session_state["lang"] = browser_lang()


def browser_lang() -> str:
    """``ko`` or ``en`` from the browser's Accept-Language (Korean when unclear)."""
    try:
        header = st.context.headers.get("Accept-Language")
    except Exception:  # no browser (tests, bare script runs)
        header = None
    return lang_from_accept_language(header)


def lang() -> str:
    """The UI language of this session."""
    return str(st.session_state.get("lang") or "ko")


def tr(key: str, **fields: object) -> str:
    """A UI string in this session's language."""
    return t(key, lang(), **fields)


@st.cache_resource(show_spinner=False)
def _deps(data_dir: str, database_url: str, model: str) -> Deps:
    from assistant.config import load_settings

    return Deps.from_settings(load_settings())


def get_deps() -> Deps:
    """The pipeline's dependencies, built once per data dir, database and model."""
    return _deps(
        os.environ.get("ASSISTANT_DATA_DIR", ""),
        os.environ.get("ASSISTANT_DATABASE_URL", ""),
        os.environ.get("ASSISTANT_MODEL", ""),
    )


def page_config(page: str) -> None:
    """Wide layout and the browser tab's title: the company (setting) and the page."""
    st.set_page_config(page_title=f"{get_deps().settings.company} · {page}", layout="wide")


def sidebar_language() -> None:
    """The ko/en toggle in the sidebar."""
    st.sidebar.radio(
        t("language", lang()),
        options=list(LANGS),
        format_func=lambda code: "한국어" if code == "ko" else "English",
        horizontal=True,
        key="lang",
    )


def flash(kind: str, text: str) -> None:
    """Show ``text`` once, after the next rerun."""
    st.session_state["flash"] = (kind, text)


def show_flash() -> None:
    """Show and forget the pending flash message."""
    pending = st.session_state.get("flash")
    if pending:
        kind, text = pending
        getattr(st, kind, st.info)(text)
        st.session_state["flash"] = None


def customer_text(text: str, *, container: Any = None) -> None:
    """Render customer-written text as inert Markdown (escaped, never HTML)."""
    (container or st).markdown(escape_markdown(text))
