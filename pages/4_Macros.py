"""Macros: the team's canned replies, checked by the playbook when saved; YAML in and out."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant import accounts, macros
from assistant.errors import PermissionDenied
from assistant.macros import io as macro_io
from assistant.macros.render import FIELDS, SAMPLE
from assistant.ui import (
    flash,
    get_deps,
    init_state,
    lang,
    page_config,
    show_flash,
    sidebar_language,
    signed_in,
    tr,
)
from assistant.ui.workspace import escape_markdown as esc

VARIABLES = ", ".join(
    [*(f"{{{{ {o}.{a} }}}}" for o, attrs in FIELDS.items() for a in attrs), "{{ company }}",
     "{{ article('refunds') }}"]
)  # fmt: skip


def team() -> macros.Team:
    deps = get_deps()
    return macros.Team.of(deps.kb, deps.settings, lang())


def load_for_edit() -> None:
    found = macros.get(get_deps().store, st.session_state["macro_edit"] or "")
    s = st.session_state
    s.update(macro_name="", macro_lang="ko", macro_title="", macro_body="", macro_refused=None)
    if found is not None:
        s.update(macro_name=found.name, macro_lang=found.lang, macro_title=found.title)
        s["macro_body"] = found.body


def save() -> None:
    s = st.session_state
    item = macros.Macro(name=s["macro_name"].strip(), lang=s["macro_lang"],
                        title=s["macro_title"], body=s["macro_body"])  # fmt: skip
    s["macro_refused"] = None
    try:
        macros.save(get_deps().store, item, team(), actor=s["actor"])
    except macros.MacroRefused as exc:
        s["macro_refused"] = [f.model_dump() for f in exc.findings]
        flash("error", tr("macro_refused"))
        return
    except (macros.MacroError, PermissionDenied) as exc:
        flash("error", str(exc))
        return
    s["macro_edit"] = item.name
    flash("success", tr("macro_saved", name=item.name))


def delete(name: str) -> None:
    try:
        macros.remove(get_deps().store, name, actor=st.session_state["actor"])
    except (macros.MacroError, PermissionDenied) as exc:
        flash("error", str(exc))
        return
    st.session_state.update(macro_edit="", macro_name="", macro_title="", macro_body="")
    flash("success", tr("macro_deleted", name=name))


def findings_list(findings: list[Any]) -> None:
    for f in findings:
        f = f if isinstance(f, dict) else f.model_dump()
        quote = f" · “{esc(f['quote'])}”" if f.get("quote") else ""
        st.markdown(f":red[**{f['rule']}**]{quote} — {esc(f['message'])}")
        if f.get("fix"):
            st.caption(f["fix"])


def editor(items: list[macros.Macro]) -> None:
    names = ["", *(m.name for m in items)]
    st.selectbox(tr("macro_edit"), names, key="macro_edit", on_change=load_for_edit,
                 format_func=lambda n: n or tr("macro_new"))  # fmt: skip
    left, right = st.columns([1, 3])
    left.selectbox(tr("macro_lang"), ["ko", "en"], key="macro_lang")
    right.text_input(tr("macro_name"), key="macro_name")
    st.text_input(tr("macro_title_field"), key="macro_title")
    st.text_area(tr("macro_body", vars=VARIABLES), key="macro_body", height=200)
    if st.session_state["macro_refused"]:
        findings_list(st.session_state["macro_refused"])
    body, lang_ = st.session_state["macro_body"], st.session_state["macro_lang"]
    if body.strip():
        try:
            preview = macros.render("preview", body, lang=lang_, help_center=team().help_center,
                                    company=team().company, **SAMPLE[lang_])  # fmt: skip
            st.caption(tr("macro_preview"))
            st.code(preview, language=None, wrap_lines=True)
        except macros.MacroError as exc:
            st.warning(str(exc))
    st.button(tr("macro_save"), key="btn_macro_save", type="primary", on_click=save)


def import_export(items: list[macros.Macro]) -> None:
    st.download_button(tr("macro_export"), macro_io.dump(items), "macros.yaml",
                       "application/yaml", key="macro_export")  # fmt: skip
    upload = st.file_uploader(tr("macro_import"), type=["yaml", "yml"], key="macro_upload")
    if upload is not None and st.button(tr("macro_import"), key="btn_macro_import"):
        try:
            loaded = macro_io.load(upload.getvalue().decode("utf-8"), upload.name)
            saved = macros.save_all(get_deps().store, loaded, team(),
                                    actor=st.session_state["actor"])  # fmt: skip
        except macros.MacroRefused as exc:
            st.error(str(exc))
            findings_list(exc.findings)
            return
        except (macros.MacroError, PermissionDenied, UnicodeDecodeError) as exc:
            st.error(str(exc))
            return
        st.success(tr("macro_imported", n=len(saved)))


def listing(items: list[macros.Macro], may_edit: bool) -> None:
    for m in items:
        with st.container(border=True):
            badge = (
                f":red[{tr('macro_flagged')}]"
                if m.status == "flagged"
                else f":green[{tr('macro_ok')}]"
            )
            st.markdown(f"**{m.title}** · `{m.name}` · {m.lang} · {badge}")
            st.code(m.body, language=None, wrap_lines=True)
            if m.status == "flagged":
                findings_list(m.findings)
            if may_edit:
                st.button(tr("macro_delete"), key=f"macro_del_{m.name}", on_click=delete,
                          args=(m.name,))  # fmt: skip


def main() -> None:
    page_config("macros")
    init_state()
    sidebar_language()
    st.title(tr("macros_title"))
    actor = signed_in()
    show_flash()
    items = macros.list_macros(get_deps().store)
    may_edit = accounts.allowed(actor.role, "macros")
    left, right = st.columns([3, 2], gap="large")
    with left:
        listing(items, may_edit)
    with right:
        if may_edit:
            editor(items)
            import_export(items)
        else:
            st.caption(tr("macro_needs_lead"))


main()
