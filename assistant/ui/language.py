"""The workspace's bilingual tools (Streamlit): the incoming message in the agent's language,
*Translate for the customer*, and *Convert to 해요체 / 하십시오체* in the draft editor. The work
is done by :mod:`assistant.translate` and :mod:`assistant.speech`; this module only renders
and wires buttons."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant import speech, translate
from assistant.errors import InputError, ModelError
from assistant.pipeline import Deps
from assistant.review.inbox import InboxItem
from assistant.ui import customer_text, flash, lang, tr


def incoming_message(deps: Deps, item: InboxItem) -> None:
    """The customer's latest message; when it is in another language than the agent's UI, its
    machine translation (cached per message) first, labelled so, with the original one click
    away. Offline the message is shown as written, and the panel says why."""
    from assistant.text import detect_language

    with st.container(border=True):
        st.caption(tr("latest_message"))
        if detect_language(item.message) == lang():
            customer_text(item.message)
            return
        if not translate.available(deps.settings):
            customer_text(item.message)
            st.caption(tr("translation_offline"))
            return
        try:
            with st.spinner(tr("translating")):
                found = translate.translate_message(
                    deps.store, deps.settings, item.message, lang(), customer_id=item.customer_id
                )
        except (InputError, ModelError) as exc:
            customer_text(item.message)
            st.caption(tr("translation_failed", error=str(exc)))
            return
        st.caption(tr("machine_translation", model=found.model))
        customer_text(found.text)
        with st.expander(tr("show_original")):
            customer_text(item.message)


def editor_tools(deps: Deps, draft: dict[str, Any]) -> None:
    """Below the editor: convert a Korean draft's speech level, translate the agent's text for
    the customer, and the agent's original of an active translation."""
    level = deps.settings.ko_register_for(st.session_state["channel"])
    if draft.get("language") == "ko":
        cols = st.columns(2)
        for col, target in zip(cols, speech.LEVELS, strict=True):
            col.button(
                tr("convert_to", level=speech.name(target)),
                key=f"btn_convert_{target}",
                on_click=convert_editor,
                args=(target,),
                type="primary" if target == level else "secondary",
                width="stretch",
            )
        st.caption(tr("channel_level", level=speech.name(level)))
    offline = not translate.available(deps.settings)
    st.button(
        tr("translate_for_customer"),
        key="btn_translate_reply",
        on_click=translate_editor,
        args=(deps, draft),
        disabled=offline,
    )
    if offline:
        st.caption(tr("translation_offline"))
    current = translate.active_reply(deps.store, int(draft["id"]))
    if current is not None:
        with st.expander(tr("translation_original", language=tr(f"lang_{current.source_lang}"))):
            customer_text(current.source_text)
            st.button(
                tr("translation_set_aside"),
                key="btn_translation_aside",
                on_click=set_aside,
                args=(deps, int(draft["id"])),
            )


def convert_editor(target: str) -> None:
    """Rewrite the editor's endings in ``target``; say what changed and what was left."""
    out = speech.convert(st.session_state["editor"], target)
    st.session_state["editor"] = out.text
    name = speech.name(target)
    if out.left:
        sentences = " / ".join(f"“{left.sentence}”" for left in out.left)
        flash("warning", tr("converted_left", level=name, n=len(out.changes), sentences=sentences))
    elif out.changes:
        flash("success", tr("converted", level=name, n=len(out.changes)))
    else:
        flash("info", tr("nothing_to_convert", level=name))


def translate_editor(deps: Deps, draft: dict[str, Any]) -> None:
    """Translate the editor's text for the customer; the editor then holds the translation."""
    s = st.session_state
    record = {**draft, "channel": s["channel"]}
    try:
        done = translate.translate_reply(
            deps.store,
            deps.settings,
            record,
            s["editor"],
            author=s["actor"].name if s.get("actor") else "",
            ui_lang=lang(),
        )
    except (InputError, ModelError) as exc:
        flash("error", str(exc))
        return
    s["editor"] = done.text
    flash("success", tr("translated_for_customer", language=tr(f"lang_{done.target_lang}")))


def set_aside(deps: Deps, draft_id: int) -> None:
    """Stop comparing the draft with the original of its translation."""
    translate.set_aside(deps.store, draft_id)
    flash("info", tr("translation_dropped"))
