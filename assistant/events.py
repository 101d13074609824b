"""Audit events, declared once: every kind the records store accepts, and what it means.

Each event is a row of ``events`` (when, kind, draft, actor, payload); the actor is the
signed-in account's name (or ``system``/``init``), and the payload says from which front end
(``via``) where it matters. :meth:`assistant.store.Store.record_event` refuses a kind that is
not declared here, so the audit trail has one vocabulary.
"""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    """The kinds of audit event."""

    DRAFT_CREATED = "draft.created"
    """A draft was made (actor: who asked for it; payload: via, model)."""
    DRAFT_FAILED = "draft.failed"
    """The model could not draft (payload: error)."""
    DRAFT_APPROVED = "draft.approved"
    """A person approved a reply (payload: decision_id, action, edit_distance, override_reason,
    findings, via)."""
    DRAFT_REJECTED = "draft.rejected"
    """A person rejected a draft (payload: decision_id, reason, via)."""
    DRAFT_STALE = "draft.stale"
    """The customer wrote again before the draft was decided."""
    REPLY_SENT = "reply.sent"
    """An approved reply was sent or marked sent (payload: decision_id, outbox_id)."""
    REPLY_SEND_FAILED = "reply.send_failed"
    """A channel adapter could not send an approved reply (payload: outbox_id, to, error,
    attempts, retry: whether it is tried again by itself)."""
    REPLY_SEND_UNCERTAIN = "reply.send_uncertain"
    """A send was cut off and the channel cannot tell whether the reply arrived: a person checks
    and retries or marks it sent (payload: outbox_id, to)."""
    REPLY_RETRY = "reply.retry"
    """A person asked for a failed send to be tried again (payload: outbox_id)."""
    NOTE_POSTED = "draft.note_posted"
    """A draft was posted to the helpdesk conversation as a private note (payload: to,
    external_id)."""
    INBOUND_SKIPPED = "inbound.skipped"
    """A channel delivered a message that gets no draft (payload: source, reason)."""
    CUSTOMERS_IMPORTED = "customers_imported"
    """Customer histories were imported (payload: path, customers, ids)."""
    NOTE_ADDED = "note_added"
    PROMISE_ADDED = "promise_added"
    PROMISE_STATUS = "promise_status"
    USER_ADDED = "user.added"
    """An account was created (payload: user, role, via)."""
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    SIGNIN_FAILED = "user.signin_failed"
    """A sign-in was refused (actor: the name tried; payload: via, reason)."""
    TOKEN_CREATED = "user.token_created"
    """An API token was made for an account (payload: user, name, via; never the token)."""
    TOKEN_REVOKED = "user.token_revoked"
    """An API token was revoked (payload: token_id, name, via)."""
    CUSTOMER_FORGOTTEN = "customer.forgotten"
    """A customer's personal data was erased (actor: the admin; payload: counts of what was
    removed, a salted hash of the id, via)."""
    RETENTION_PURGED = "records.retention_purged"
    """Customer text older than ``retention_days`` was erased (payload: the setting, counts)."""
    MACRO_SAVED = "macro.saved"
    """A team macro was added or changed after passing the playbook (payload: macro)."""
    MACRO_DELETED = "macro.deleted"
    MACRO_FLAGGED = "macro.flagged"
    """A help-center change made a macro fail the playbook (payload: macro, rules)."""
    SURVEY_CREATED = "survey.created"
    """A CSAT/CES survey link was made for an approved reply (payload: survey_id, kind)."""
    SURVEY_ANSWERED = "survey.answered"
    """A customer answered a survey (actor: customer; payload: survey_id, kind; no score)."""


EVENT_KINDS: frozenset[str] = frozenset(e.value for e in Event)
