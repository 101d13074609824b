"""Who is at the keyboard: accounts, roles, password hashes, sign-in, and the role checks.

Three roles, each with everything of the one before it:

- ``agent``: draft, edit, approve or reject replies whose final text passes the playbook;
- ``lead``: also override error findings with a reason, decide bulk replies, reopen;
- ``admin``: also manage accounts, settings, API tokens and customers' personal data.

The checks live here and are called by the core (review, bulk, settings, customers), so the
workspace, the CLI and the HTTP API refuse the same things with the same message. Passwords
are hashed with argon2 (argon2-cffi); a hash never leaves this module's records. Failed
sign-ins are recorded and audited; after :data:`MAX_FAILURES` failures in
:data:`LOCKOUT_MINUTES` the account can't sign in until that window has passed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel
from sqlalchemy import func, insert, select, update

from assistant import store as tables
from assistant.errors import InputError, PermissionDenied, SignInError
from assistant.events import Event

if TYPE_CHECKING:
    from assistant.store import Store

Role = Literal["agent", "lead", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
FRONT_ENDS = ("workspace", "cli", "api", "bulk", "system")
"""Where an action came from (recorded on every audit event)."""

PERMISSIONS: dict[str, Role] = {
    "draft": "agent",
    "approve": "agent",
    "reject": "agent",
    "override": "lead",
    "bulk_decide": "lead",
    "reopen": "lead",
    "macros": "lead",
    "settings": "admin",
    "users": "admin",
    "tokens": "admin",
    "forget": "admin",
}
"""Each action and the least role that may do it."""

MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCKOUT_MINUTES = 15


class Account(BaseModel):
    """A person who can sign in (never carries the password hash)."""

    id: int
    name: str
    role: Role
    disabled: bool = False
    email: str | None = None
    created_at: datetime


@dataclass(frozen=True)
class Actor:
    """An account acting through one front end: who every decision is recorded as."""

    account: Account
    via: str = "workspace"

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def role(self) -> str:
        return self.account.role


def allowed(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action`` (see :data:`PERMISSIONS`)."""
    need = PERMISSIONS[action]
    return role in ROLES and ROLES.index(role) >= ROLES.index(need)


def require(actor: Actor | None, action: str) -> Actor:
    """``actor`` if it may do ``action``; else :class:`PermissionDenied` with one line."""
    if actor is None:
        raise PermissionDenied(f"sign in to {action.replace('_', ' ')}")
    if actor.account.disabled:
        raise PermissionDenied(f"the account {actor.name!r} is disabled")
    if not allowed(actor.role, action):
        need = PERMISSIONS[action]
        raise PermissionDenied(
            f"{actor.name} ({actor.role}) may not {action.replace('_', ' ')}: it needs the "
            f"{need} role"
        )
    return actor


# -- passwords ------------------------------------------------------------------------------


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; the parameters are in the hash)."""
    if len(password) < MIN_PASSWORD:
        raise InputError(f"must be at least {MIN_PASSWORD} characters", where="password")
    return str(_hasher().hash(password))


def _verify(hashed: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(hashed, password))
    except (VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """A random one-time password (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


# -- accounts -------------------------------------------------------------------------------


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        role=row.role,
        disabled=bool(row.disabled),
        email=row.email,
        created_at=row.created_at,
    )


def add_user(
    store: Store,
    name: str,
    role: str,
    password: str | None,
    *,
    email: str | None = None,
    by: Actor | None = None,
) -> Account:
    """Create an account. ``password`` None: it can sign in only through the identity provider."""
    name = name.strip()
    if not name:
        raise InputError("the account name is empty", where="name")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} (use {', '.join(ROLES)})", where="role")
    hashed = hash_password(password) if password is not None else None
    u = tables.users
    with store.transaction() as conn:
        if conn.execute(select(u.c.id).where(u.c.name == name)).first() is not None:
            raise InputError(f"an account named {name!r} exists", where="name")
        values = dict(
            name=name,
            role=role,
            password_hash=hashed,
            disabled=False,
            email=email.strip().lower() if email else None,
            created_at=store.now(),
        )
        new_id = tables.inserted_id(conn.execute(insert(u).values(**values)))
        store.record_event(
            Event.USER_ADDED,
            actor=by.name if by else "system",
            payload={"user": name, "role": role, "via": by.via if by else "system"},
            conn=conn,
        )
        row = conn.execute(select(u).where(u.c.id == new_id)).one()
    return _account(row)


def list_users(store: Store) -> list[Account]:
    """Every account, by name."""
    u = tables.users
    with store.engine.connect() as conn:
        return [_account(r) for r in conn.execute(select(u).order_by(u.c.name))]


def get_user(store: Store, name: str) -> Account | None:
    """The account called ``name``, or None."""
    u = tables.users
    with store.engine.connect() as conn:
        row = conn.execute(select(u).where(u.c.name == name.strip())).first()
    return _account(row) if row is not None else None


def find_by_email(store: Store, email: str) -> Account | None:
    """The account with this e-mail address (case-insensitive), or None."""
    u = tables.users
    with store.engine.connect() as conn:
        row = conn.execute(select(u).where(u.c.email == email.strip().lower())).first()
    return _account(row) if row is not None else None


def set_disabled(store: Store, name: str, disabled: bool, *, by: Actor | None = None) -> Account:
    """Disable (or enable again) an account; a disabled account's sessions stop working."""
    u = tables.users
    with store.transaction() as conn:
        done = conn.execute(update(u).where(u.c.name == name).values(disabled=disabled))
        if done.rowcount != 1:
            raise InputError(f"no account named {name!r}", where="name")
        store.record_event(
            Event.USER_DISABLED if disabled else Event.USER_ENABLED,
            actor=by.name if by else "system",
            payload={"user": name, "via": by.via if by else "system"},
            conn=conn,
        )
        row = conn.execute(select(u).where(u.c.name == name)).one()
    return _account(row)


def set_password(store: Store, name: str, password: str) -> None:
    """Give an account a new password."""
    hashed = hash_password(password)
    u = tables.users
    with store.transaction() as conn:
        done = conn.execute(update(u).where(u.c.name == name).values(password_hash=hashed))
    if done.rowcount != 1:
        raise InputError(f"no account named {name!r}", where="name")


def count_users(store: Store) -> int:
    """How many accounts exist."""
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.users)).scalar() or 0)


def ensure_admin(store: Store, password: str | None = None) -> tuple[Account, str] | None:
    """On a store without accounts, create ``admin`` with ``password`` (or a random one-time
    password); returns the account and the password to show once. None if accounts exist."""
    if count_users(store):
        return None
    chosen = password or new_password()
    return add_user(store, "admin", "admin", chosen), chosen


# -- signing in -------------------------------------------------------------------------------


def authenticate(store: Store, name: str, password: str, *, via: str = "workspace") -> Account:
    """The account, if ``password`` is right, it is enabled and not locked out; every attempt
    is recorded, and a failure is audited. Raises :class:`SignInError` (one line that does not
    say which part was wrong)."""
    u = tables.users
    now = store.now()
    with store.engine.connect() as conn:
        row = conn.execute(select(u).where(u.c.name == name.strip())).first()
    if _locked(store, name.strip(), now):
        _attempt(store, name, False, via, "locked")
        raise SignInError(
            f"too many failed sign-ins; try again in {LOCKOUT_MINUTES} minutes", locked=True
        )
    hashed = row.password_hash if row is not None else None
    ok = bool(hashed) and _verify(str(hashed), password)
    if row is None or not ok or row.disabled:
        reason = "disabled" if row is not None and ok else "wrong name or password"
        _attempt(store, name, False, via, reason)
        raise SignInError("the name or password is wrong, or the account is disabled")
    _attempt(store, name, True, via, None)
    return _account(row)


def _locked(store: Store, name: str, now: datetime) -> bool:
    s = tables.sign_ins
    since = now - timedelta(minutes=LOCKOUT_MINUTES)
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(s.c.ok).where(s.c.name == name, s.c.at >= since).order_by(s.c.id.desc())
        ).all()
    failures = 0
    for (ok,) in rows:
        if ok:
            break
        failures += 1
    return failures >= MAX_FAILURES


def _attempt(store: Store, name: str, ok: bool, via: str, reason: str | None) -> None:
    with store.transaction() as conn:
        conn.execute(
            insert(tables.sign_ins).values(name=name.strip()[:200], ok=ok, via=via, at=store.now())
        )
        if not ok:
            store.record_event(
                Event.SIGNIN_FAILED,
                actor=name.strip()[:200],
                payload={"via": via, "reason": reason},
                conn=conn,
            )


def active(store: Store, account_id: int) -> Account | None:
    """The account if it still exists and is enabled (a session checks this on every page)."""
    u = tables.users
    with store.engine.connect() as conn:
        row = conn.execute(select(u).where(u.c.id == account_id)).first()
    if row is None or row.disabled:
        return None
    return _account(row)


def for_identity(
    store: Store, *, email: str | None, name: str | None, self_register: bool
) -> Account | None:
    """The account an identity provider's user maps to (by e-mail); with ``self_register`` an
    unknown user becomes an ``agent``. None: no access."""
    if not email:
        return None
    found = find_by_email(store, email)
    if found is not None:
        return None if found.disabled else found
    if not self_register:
        return None
    base = (name or email.split("@")[0]).strip() or email
    taken = {a.name for a in list_users(store)}
    chosen = base if base not in taken else email.strip().lower()
    return add_user(store, chosen, "agent", None, email=email)


# -- API tokens -------------------------------------------------------------------------------

TOKEN_PREFIX = "ra_"


def _token_hash(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(store: Store, user_name: str, *, name: str = "", by: Actor | None = None) -> str:
    """A new HTTP API token for the account ``user_name``: returned once, stored only as its
    SHA-256 hash. ``by`` (when given) must be an admin."""
    if by is not None:
        require(by, "tokens")
    account = get_user(store, user_name)
    if account is None:
        raise InputError(f"no account named {user_name!r}", where="user")
    if account.disabled:
        raise InputError(f"the account {account.name!r} is disabled", where="user")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as conn:
        conn.execute(
            insert(tables.api_tokens).values(
                user_id=account.id,
                name=name.strip(),
                token_hash=_token_hash(token),
                created_at=store.now(),
                revoked=False,
            )
        )
        store.record_event(
            Event.TOKEN_CREATED,
            actor=by.name if by else "system",
            payload={"user": account.name, "name": name.strip(), "via": by.via if by else "cli"},
            conn=conn,
        )
    return token


def actor_for_token(store: Store, token: str) -> Actor | None:
    """The account a Bearer token belongs to, acting ``via="api"``; None for an unknown or
    revoked token or a disabled account. Records when the token was last used."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    t, u = tables.api_tokens, tables.users
    with store.engine.connect() as conn:
        row = conn.execute(
            select(u, t.c.id.label("token_id"), t.c.revoked, t.c.last_used_at)
            .join(u, u.c.id == t.c.user_id)
            .where(t.c.token_hash == _token_hash(token))
        ).first()
    if row is None or row.revoked or row.disabled:
        return None
    now = store.now()
    used = row.last_used_at
    if used is None or (now - used).total_seconds() >= TOKEN_USE_RESOLUTION_S:
        with store.transaction() as conn:
            conn.execute(update(t).where(t.c.id == row.token_id).values(last_used_at=now))
    return Actor(_account(row), via="api")


TOKEN_USE_RESOLUTION_S = 60
"""``last_used_at`` is written at most once a minute per token (not on every request)."""


def list_tokens(store: Store) -> list[dict[str, Any]]:
    """Every API token's id, account, name, dates and whether it is revoked (never the token)."""
    t, u = tables.api_tokens, tables.users
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                t.c.id, u.c.name.label("user"), t.c.name, t.c.created_at, t.c.last_used_at,
                t.c.revoked,
            )
            .join(u, u.c.id == t.c.user_id)
            .order_by(t.c.id)
        ).mappings()  # fmt: skip
        return [dict(r) for r in rows]


def revoke_token(store: Store, token_id: int, *, by: Actor | None = None) -> None:
    """Revoke one API token by its id (from :func:`list_tokens`); it stops working at once."""
    if by is not None:
        require(by, "tokens")
    t = tables.api_tokens
    with store.transaction() as conn:
        row = conn.execute(select(t.c.id, t.c.name).where(t.c.id == token_id)).first()
        if row is None:
            raise InputError(f"no API token {token_id}", where="token")
        conn.execute(update(t).where(t.c.id == token_id).values(revoked=True))
        store.record_event(
            Event.TOKEN_REVOKED,
            actor=by.name if by else "system",
            payload={"token_id": token_id, "name": row.name, "via": by.via if by else "cli"},
            conn=conn,
        )
