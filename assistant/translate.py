"""Machine translation for a bilingual team, through the one model client (:mod:`assistant.llm`).

- :func:`translate_message` shows an incoming customer message in the agent's language. The
  answer is cached per message text, target language and model (table ``translations``,
  kind ``message``), so a message is translated once however often it is opened.
- :func:`translate_reply` turns a reply the agent wrote in their own language into the
  customer's language and speech level. Both versions are stored (kind ``reply``, with the
  draft), and the translation is compared with the original without a model
  (:func:`assistant.playbook.consistency.compare`, rule T1). As long as that translation is the
  draft's active one, :func:`consistency` holds the customer version to the agent's original
  (every re-check and the approval, see :func:`assistant.review.make_checker`).

Prompts are versioned templates (``translate_message``, ``translate_reply``). With the offline
drafter (no model configured) there is nothing to translate with: :class:`TranslationUnavailable`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from assistant import store as tables
from assistant.errors import InputError
from assistant.models import Finding

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.store import Store

MESSAGE_TEMPLATE = "translate_message"
REPLY_TEMPLATE = "translate_reply"


class TranslationUnavailable(InputError):
    """No model is configured: the offline drafter cannot translate."""

    def __init__(self) -> None:
        super().__init__(
            "translation needs a model (set ASSISTANT_MODEL); the offline drafter cannot translate",
            where="setting model",
        )


@dataclass
class Translation:
    """One stored translation: the original and its translation, and what T1 found."""

    id: int
    kind: str
    source_text: str
    source_lang: str
    text: str
    target_lang: str
    model: str
    prompt_version: str
    register: str | None = None
    draft_id: int | None = None
    findings: list[Finding] = field(default_factory=list)
    created_at: datetime | None = None

    @classmethod
    def of(cls, row: Any) -> Translation:
        return cls(
            id=row["id"],
            kind=row["kind"],
            source_text=row["source_text"],
            source_lang=row["source_lang"],
            text=row["text"],
            target_lang=row["target_lang"],
            model=row["model"],
            prompt_version=row["prompt_version"],
            register=row["register"],
            draft_id=row["draft_id"],
            findings=[Finding.model_validate(f) for f in row["findings"] or []],
            created_at=row["created_at"],
        )


def available(settings: Settings) -> bool:
    """Whether translation can run: a model is configured."""
    return not settings.is_offline


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _ask(settings: Settings, template: str, extra: dict[str, Any], **ctx: Any) -> tuple[str, str]:
    """The model's translation and the template ref used (``extra`` goes to the client)."""
    from assistant import llm, prompts

    if not available(settings):
        raise TranslationUnavailable()
    version = prompts.latest(template)
    messages = prompts.render(template, version, company=_company(settings, ctx), **ctx)
    gen = llm.complete(messages, settings, **extra)
    return gen.text.strip(), f"{template}@{version}"


def _company(settings: Settings, ctx: dict[str, Any]) -> str:
    return settings.company_ko if ctx.get("target_lang") == "ko" else settings.company


def message_text(settings: Settings, text: str, target_lang: str, **extra: Any) -> tuple[str, str]:
    """A customer's message translated into ``target_lang`` (nothing stored, no cache) and the
    template used; ``extra`` goes to the model client."""
    from assistant.text import detect_language

    return _ask(
        settings,
        MESSAGE_TEMPLATE,
        extra,
        text=text,
        source_lang=detect_language(text),
        target_lang=target_lang,
    )


def _cached_message(
    store: Store, digest: str, text: str, target_lang: str, model: str
) -> Translation | None:
    """This message's translation into ``target_lang`` by ``model``, when one is stored."""
    t = tables.translations
    with store.engine.connect() as conn:
        row = (
            conn.execute(
                select(t)
                .where(t.c.kind == "message", t.c.source_hash == digest)
                .where(t.c.target_lang == target_lang, t.c.model == model)
                .order_by(t.c.id.desc())
            )
            .mappings()
            .first()
        )
    return Translation.of(row) if row is not None and row["source_text"] == text else None


def translate_message(
    store: Store,
    settings: Settings,
    text: str,
    target_lang: str,
    *,
    customer_id: str | None = None,
) -> Translation:
    """``text`` (a customer's message) in ``target_lang``, from the cache when this message was
    translated into it by this model before. Raises :class:`TranslationUnavailable` offline and
    :class:`~assistant.errors.ModelError` when the model fails."""
    from assistant.text import detect_language

    if not text.strip():
        raise InputError("the message is empty", where="message")
    digest = _digest(text)
    cached = _cached_message(store, digest, text, target_lang, settings.model)
    if cached is not None:
        return cached
    source_lang = detect_language(text)
    translated, ref = message_text(settings, text, target_lang)
    values: dict[str, Any] = dict(
        kind="message",
        customer_id=customer_id,
        source_hash=digest,
        source_lang=source_lang,
        target_lang=target_lang,
        source_text=text,
        text=translated,
        model=settings.model,
        prompt_version=ref,
        findings=[],
    )
    return _store(store, values)


@dataclass
class ReplyTranslation:
    """A reply translated for the customer, before it is stored: the translation, the
    languages, the speech level, the template used and what T1 found."""

    text: str
    source_lang: str
    target_lang: str
    register: str | None
    prompt_version: str
    findings: list[Finding]


def translate_text(
    settings: Settings,
    text: str,
    target_lang: str,
    *,
    channel: str = "email",
    register: str | None = None,
    ui_lang: str = "ko",
    **extra: Any,
) -> ReplyTranslation:
    """An agent's reply ``text`` translated into ``target_lang`` (and, for Korean, ``register``,
    default: ``channel``'s) and compared with it (rule T1); nothing is stored. ``extra`` goes
    to the model client as is (tests and evals pass ``mock_response``)."""
    from assistant.playbook.consistency import compare
    from assistant.text import detect_language

    if not text.strip():
        raise InputError("the reply is empty", where="text")
    source_lang = detect_language(text)
    if source_lang == target_lang:
        raise InputError(
            f"the reply is already in the customer's language ({target_lang})", where="text"
        )
    level = register or settings.ko_register_for(channel)
    translated, ref = _ask(
        settings,
        REPLY_TEMPLATE,
        extra,
        text=text,
        source_lang=source_lang,
        target_lang=target_lang,
        register=level,
        channel=channel,
    )
    findings = compare(text, translated, ui_lang)
    kept = level if target_lang == "ko" else None
    return ReplyTranslation(translated, source_lang, target_lang, kept, ref, findings)


def translate_reply(
    store: Store,
    settings: Settings,
    draft: dict[str, Any],
    text: str,
    *,
    register: str | None = None,
    author: str = "",
    ui_lang: str = "ko",
) -> Translation:
    """The agent's ``text`` for ``draft`` translated into the draft's language (the
    customer's) and, for Korean, ``register`` (default: the draft channel's), see
    :func:`translate_text`; both versions are stored as the draft's active translation."""
    channel = str(draft.get("channel") or "email")
    done = translate_text(
        settings,
        text,
        str(draft.get("language") or "ko"),
        channel=channel,
        register=register,
        ui_lang=ui_lang,
    )
    values: dict[str, Any] = dict(
        kind="reply",
        draft_id=draft["id"],
        customer_id=draft.get("customer_id"),
        source_hash=_digest(text),
        source_lang=done.source_lang,
        target_lang=done.target_lang,
        register=done.register,
        source_text=text,
        text=done.text,
        model=settings.model,
        prompt_version=done.prompt_version,
        findings=[f.model_dump() for f in done.findings],
        created_by=author,
    )
    return _store(store, values, replaces=int(draft["id"]))


def _store(store: Store, values: dict[str, Any], *, replaces: int | None = None) -> Translation:
    """Insert one translation; a reply's earlier translations of the draft (``replaces``) stop
    being active in the same transaction."""
    t = tables.translations
    values = {"created_by": "", **values, "created_at": store.now(), "active": True}
    with store.transaction() as conn:
        if replaces is not None:
            conn.execute(update(t).where(t.c.draft_id == replaces).values(active=False))
        new_id = tables.inserted_id(conn.execute(insert(t).values(**values)))
        row = conn.execute(select(t).where(t.c.id == new_id)).mappings().one()
    return Translation.of(row)


def active_reply(store: Store, draft_id: int) -> Translation | None:
    """The draft's active reply translation (the agent's original and what the customer gets)."""
    t = tables.translations
    with store.engine.connect() as conn:
        row = (
            conn.execute(
                select(t)
                .where(t.c.kind == "reply", t.c.draft_id == draft_id, t.c.active.is_(True))
                .order_by(t.c.id.desc())
            )
            .mappings()
            .first()
        )
    return Translation.of(row) if row is not None else None


def set_aside(store: Store, draft_id: int) -> None:
    """Stop comparing the draft with its translation's original (the agent writes the
    customer's version directly); the stored versions stay."""
    t = tables.translations
    with store.transaction() as conn:
        conn.execute(update(t).where(t.c.draft_id == draft_id).values(active=False))


def consistency(
    store: Store, draft: dict[str, Any], text: str, ui_lang: str = "ko"
) -> list[Finding]:
    """T1 findings of ``text`` (the version the customer gets) against the original of the
    draft's active translation; none when the draft has no active translation."""
    from assistant.playbook.consistency import compare

    if draft.get("id") is None:
        return []
    current = active_reply(store, int(draft["id"]))
    return compare(current.source_text, text, ui_lang) if current is not None else []
