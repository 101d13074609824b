"""Streamlit glue shared by ``app.py`` and ``pages/``: dependencies built once, session state
initialised in one place, the UI language, and safe rendering of customer text.

Only the browser pages import this module (it imports Streamlit).
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from assistant import accounts
from assistant.accounts import Account, Actor
from assistant.errors import SignInError
from assistant.pipeline import Deps
from assistant.ui.i18n import LANGS, lang_from_accept_language, t
from assistant.ui.workspace import escape_markdown

STATE_DEFAULTS: dict[str, Any] = {
    "lang": None,  # widget: the language toggle (None until read from the browser)
    "account_id": None,  # the signed-in account (None: nobody; every page asks first)
    "actor": None,  # that account as the Actor this page acts as (set by signed_in())
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
    "macro_choice": None,  # widget: the macro the editor would insert
    "macro_edit": "",  # widget (Macros page): the macro being edited ("" a new one)
    "macro_name": "",  # widget
    "macro_lang": "ko",  # widget
    "macro_title": "",  # widget
    "macro_body": "",  # widget
    "macro_refused": None,  # findings of the last refused save, shown once
    "history_focus": None,  # the message a summary point links to (its id), opened in the timeline
    "csat_kind": "csat",  # widget (Analytics): which survey's answers are charted
    "gaps": None,  # Missing articles: the gaps found (list of dicts), until "look again"
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


# -- who is at the keyboard -----------------------------------------------------------------


def signed_in() -> Actor:
    """The signed-in account; when nobody is signed in (or the account was disabled since),
    render the sign-in form and stop the page, so nothing else reaches the browser."""
    deps = get_deps()
    account_id = st.session_state.get("account_id")
    if account_id is not None:
        account = accounts.active(deps.store, int(account_id))
        if account is not None:
            _sidebar_account(account)
            st.session_state["actor"] = Actor(account, "workspace")
            return st.session_state["actor"]
        sign_out()
    from_provider = _provider_account(deps)
    if from_provider is not None:
        st.session_state["account_id"] = from_provider.id
        st.rerun()
    _sign_in_form(deps)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() ends the script run


def sign_out() -> None:
    """Forget the signed-in account and everything this session held."""
    keep = {"lang": st.session_state.get("lang")}
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    init_state()
    st.session_state.update(keep)
    if _provider_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def _sign_in_form(deps: Deps) -> None:
    st.subheader(tr("signin_title"))
    if not accounts.count_users(deps.store):
        st.info(tr("signin_no_accounts"))
    if _provider_configured():
        st.button(tr("signin_provider"), key="btn_signin_provider", on_click=st.login)
        if getattr(st.user, "is_logged_in", False):
            st.error(tr("signin_unknown_identity"))
    with st.form("signin", clear_on_submit=False):
        name = st.text_input(tr("signin_name"), key="signin_name")
        password = st.text_input(tr("signin_password"), type="password", key="signin_password")
        submitted = st.form_submit_button(tr("signin_button"), type="primary", key="btn_signin")
    if submitted:
        try:
            account = accounts.authenticate(deps.store, name, password, via="workspace")
        except SignInError as exc:
            st.error(tr("signin_locked") if exc.locked else tr("signin_failed"))
            return
        st.session_state["account_id"] = account.id
        st.session_state.pop("signin_password", None)
        st.rerun()


def _provider_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file: no identity provider
        return False


def _provider_account(deps: Deps) -> Any:
    """The account the identity provider's signed-in user maps to (None: none, or unknown)."""
    if not _provider_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    email = st.user.get("email")
    name = st.user.get("name")
    return accounts.for_identity(
        deps.store,
        email=str(email) if email else None,
        name=str(name) if name else None,
        self_register=deps.settings.oidc_self_register,
    )


def _sidebar_account(account: Account) -> None:
    st.sidebar.caption(tr("signed_in_as", name=account.name, role=tr("role_" + account.role)))
    st.sidebar.button(tr("sign_out"), key="btn_sign_out", on_click=sign_out)
