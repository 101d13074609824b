"""Team macros (canned replies), checked by the playbook.

A macro is a short jinja2 body in Korean or English (variables: :mod:`assistant.macros.render`).
Saving one renders it with sample values and runs the playbook's forbidden-move rules on the
result (a link not in the help center, 반말, an over-promise, ...): any error refuses the save
with the findings. After every help-center change :func:`recheck_all` runs the same check on
every macro and flags those that no longer pass (an article gone). An agent inserts a macro
into the editor with :func:`insert`, which renders it for the conversation's customer and
records the use; :func:`usage` says how often each macro was used and how much agents edited
after inserting it.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from rapidfuzz.distance import Levenshtein
from sqlalchemy import Connection, delete, insert, select, update

from assistant import accounts
from assistant import store as tables
from assistant.accounts import Actor
from assistant.events import Event
from assistant.macros.render import SAMPLE, HelpCenter, MacroError, articles_in, render, validate
from assistant.models import Finding
from assistant.store import Store

__all__ = ["HelpCenter", "Macro", "MacroError", "MacroRefused", "render"]

NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
MAX_BODY = 4000
LANGS = ("ko", "en")


class Macro(BaseModel):
    """One team macro as stored."""

    id: int | None = None
    name: str
    lang: Literal["ko", "en"]
    title: str
    body: str
    status: Literal["ok", "flagged"] = "ok"
    findings: list[Finding] = Field(default_factory=list)
    created_by: str = ""
    updated_at: datetime | None = None


class MacroRefused(Exception):
    """The playbook found errors in a macro: it was not saved."""

    def __init__(self, name: str, findings: list[Finding]) -> None:
        self.name = name
        self.findings = findings
        rules = ", ".join(f"{f.rule} {f.quote!r}" if f.quote else f.rule for f in findings)
        super().__init__(f"macro {name!r} refused by the playbook: {rules}")


@dataclass
class Team:
    """Who and what a macro is rendered for: the help center and the company name."""

    help_center: HelpCenter
    company: str
    ui_lang: str = "ko"

    @classmethod
    def of(cls, kb: Any, settings: Any, ui_lang: str = "ko") -> Team:
        """The team's help center (a :class:`~assistant.knowledge.KnowledgeBase`) and brand."""
        company = settings.company_ko if ui_lang == "ko" else settings.company
        return cls(HelpCenter.from_documents(kb.documents()), company, ui_lang)


def _who(actor: Actor | str) -> str:
    """The name a change is recorded as: a signed-in account needs the ``macros`` permission
    (lead); a plain name is the operator at the command line."""
    if isinstance(actor, Actor):
        return accounts.require(actor, "macros").name
    return actor


def validate_fields(name: str, lang: str, title: str, body: str) -> None:
    """One-line :class:`MacroError` for a bad name, language, title or body."""
    if not NAME.match(name or ""):
        raise MacroError(
            f"macro name {name!r}: use lower-case letters, digits, '-', '_' or '.'", where="name"
        )
    if lang not in LANGS:
        raise MacroError(f"macro {name!r}: lang must be ko or en, not {lang!r}", where="lang")
    if not (title or "").strip():
        raise MacroError(f"macro {name!r}: the title is empty", where="title")
    if not (body or "").strip():
        raise MacroError(f"macro {name!r}: the body is empty", where="body")
    if len(body) > MAX_BODY:
        raise MacroError(f"macro {name!r}: the body is over {MAX_BODY} characters", where="body")
    validate(name, body)


def findings_for(name: str, lang: str, body: str, team: Team) -> list[Finding]:
    """The playbook's findings on the macro rendered with sample values: the forbidden moves
    only (a macro is a part of a reply, so the required moves are the reply's business); an
    article the help center does not have is an F7 error."""
    from assistant import playbook

    missing = [k for k in articles_in(name, body) if team.help_center.url(k, lang) is None]
    if missing:
        return [_missing_article(name, key, team.ui_lang) for key in missing]
    sample = SAMPLE[lang]
    text = render(
        name, body, lang=lang, help_center=team.help_center, company=team.company, **sample
    )
    result = playbook.check(
        text,
        channel="email",
        lang=lang,
        known_urls=team.help_center.known_urls(),
        situations=[],
        ui_lang=team.ui_lang,
    )
    return [f for f in result.findings if f.span is not None and f.rule != "C1"]


def _missing_article(name: str, key: str, ui_lang: str) -> Finding:
    from assistant.playbook import RULES

    return Finding(
        rule="F7",
        severity="error",
        quote=f"article('{key}')",
        message=(
            f"macro {name!r}: the help center has no article {key!r}"
            if ui_lang == "en"
            else f"매크로 {name!r}: 도움말 센터에 {key!r} 문서가 없습니다"
        ),
        fix=RULES["F7"].text("fix", ui_lang),
    )


def save(store: Store, macro: Macro, team: Team, *, actor: Actor | str) -> Macro:
    """Check and store (insert or replace by name) one macro; :class:`MacroRefused` with the
    findings when the playbook finds an error, :class:`MacroError` for a bad field."""
    return save_all(store, [macro], team, actor=actor)[0]


def save_all(store: Store, items: list[Macro], team: Team, *, actor: Actor | str) -> list[Macro]:
    """Check every macro first, then store them all in one transaction (all or nothing)."""
    who = _who(actor)
    checked = []
    for m in items:
        validate_fields(m.name, m.lang, m.title, m.body)
        findings = findings_for(m.name, m.lang, m.body, team)
        if any(f.severity == "error" for f in findings):
            raise MacroRefused(m.name, [f for f in findings if f.severity == "error"])
        checked.append(m.model_copy(update={"findings": findings, "status": "ok"}))
    with store.transaction() as conn:
        for m in checked:
            _upsert(store, conn, m, who)
            store.record_event(Event.MACRO_SAVED, actor=who, payload={"macro": m.name}, conn=conn)
    return [_get(store, m.name) for m in checked]


def _upsert(store: Store, conn: Connection, m: Macro, actor: str) -> None:
    t, now = tables.macros, store.now()
    values = dict(
        lang=m.lang,
        title=m.title.strip(),
        body=m.body.strip(),
        status="ok",
        findings=[f.model_dump(mode="json") for f in m.findings],
        updated_at=now,
        checked_at=now,
    )
    found = conn.execute(select(t.c.id).where(t.c.name == m.name)).first()
    if found is None:
        conn.execute(insert(t).values(name=m.name, created_by=actor, created_at=now, **values))
    else:
        conn.execute(update(t).where(t.c.id == found.id).values(**values))


def _macro(row: Any) -> Macro:
    return Macro(
        id=row.id,
        name=row.name,
        lang=row.lang,
        title=row.title,
        body=row.body,
        status=row.status,
        findings=[Finding(**f) for f in row.findings or []],
        created_by=row.created_by or "",
        updated_at=row.updated_at,
    )


def _get(store: Store, name: str) -> Macro:
    found = get(store, name)
    if found is None:
        raise MacroError(f"no macro {name!r}", where="name")
    return found


def get(store: Store, name: str) -> Macro | None:
    """One macro by name, or None."""
    t = tables.macros
    with store.engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.name == name)).first()
    return _macro(row) if row is not None else None


def list_macros(store: Store, *, lang: str | None = None) -> list[Macro]:
    """Every macro by name, optionally one language's."""
    t = tables.macros
    stmt = select(t).order_by(t.c.name)
    if lang:
        stmt = stmt.where(t.c.lang == lang)
    with store.engine.connect() as conn:
        return [_macro(r) for r in conn.execute(stmt)]


def remove(store: Store, name: str, *, actor: Actor | str) -> None:
    """Delete a macro (its use counts go with it)."""
    who = _who(actor)
    t = tables.macros
    with store.transaction() as conn:
        gone = conn.execute(delete(t).where(t.c.name == name)).rowcount
        if not gone:
            raise MacroError(f"no macro {name!r}", where="name")
        store.record_event(Event.MACRO_DELETED, actor=who, payload={"macro": name}, conn=conn)


def recheck_all(store: Store, team: Team) -> list[str]:
    """Check every macro against the help center as it is now (after an ingest): a macro with
    an error is flagged with its findings, one that passes again is cleared; the flagged names."""
    flagged = []
    for m in list_macros(store):
        try:
            findings = findings_for(m.name, m.lang, m.body, team)
        except MacroError as exc:  # e.g. a variable the renderer no longer accepts
            findings = [Finding(rule="F7", severity="error", message=str(exc), fix="")]
        bad = any(f.severity == "error" for f in findings)
        status = "flagged" if bad else "ok"
        flagged += [m.name] if bad else []
        with store.transaction() as conn:
            conn.execute(
                update(tables.macros)
                .where(tables.macros.c.id == m.id)
                .values(
                    status=status,
                    findings=[f.model_dump(mode="json") for f in findings],
                    checked_at=store.now(),
                )
            )
            if bad and m.status != "flagged":
                store.record_event(
                    Event.MACRO_FLAGGED,
                    actor="system",
                    payload={"macro": m.name, "rules": sorted({f.rule for f in findings})},
                    conn=conn,
                )
    return flagged


def insert_into(
    store: Store,
    name: str,
    editor_text: str,
    team: Team,
    *,
    customer: dict[str, Any],
    agent: str,
    draft_id: int | None,
    register: str | None = None,
) -> str:
    """The editor's text with macro ``name`` rendered for this customer and appended (a new
    paragraph); the use is recorded. A flagged macro is refused until it is fixed. A Korean
    macro's endings are put in ``register`` (the reply channel's speech level) when given."""
    m = _get(store, name)
    if m.status == "flagged":
        raise MacroError(f"macro {name!r} is flagged by the playbook: fix it first", where=name)
    text = render(
        m.name,
        m.body,
        lang=m.lang,
        help_center=team.help_center,
        customer=customer,
        agent={"name": agent},
        company=team.company,
    )
    if register and m.lang == "ko":
        from assistant.speech import convert

        text = convert(text, register).text
    after = f"{editor_text.rstrip()}\n\n{text}" if editor_text.strip() else text
    with store.transaction() as conn:
        conn.execute(
            insert(tables.macro_uses).values(
                macro_id=m.id, draft_id=draft_id, agent=agent, text_after=after, used_at=store.now()
            )
        )
    return after


def usage(store: Store) -> list[dict[str, Any]]:
    """Per macro: uses, uses in approved replies, and the edit distance between the editor's
    text right after the insertion and the approved text (median and mean)."""
    u, m, dec = tables.macro_uses, tables.macros, tables.decisions
    stmt = (
        select(m.c.name, u.c.id, u.c.text_after, dec.c.final_text, dec.c.action)
        .select_from(
            m.join(u, u.c.macro_id == m.c.id).outerjoin(dec, dec.c.draft_id == u.c.draft_id)
        )
        .order_by(m.c.name, u.c.id)
    )
    by_name: dict[str, list[Any]] = {}
    with store.engine.connect() as conn:
        for r in conn.execute(stmt):
            by_name.setdefault(r.name, []).append(r)
    out = []
    for name, rows in by_name.items():
        approved = [r for r in rows if r.action in ("approved", "edited_approved")]
        edits = [Levenshtein.distance(r.text_after, r.final_text or "") for r in approved]
        out.append(
            {
                "macro": name,
                "uses": len({r.id for r in rows}),
                "approved": len(approved),
                "edit_distance_median": statistics.median(edits) if edits else None,
                "edit_distance_mean": round(statistics.fmean(edits), 1) if edits else None,
            }
        )
    return out
